import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { BufferSource, ElfFile } from "../src/elf/index.js";
import { relocTypeName } from "../src/elf/reloc-types.js";
import { decodeRelr, dynamicRelocationTables, parseRelocations } from "../src/elf/relocation.js";
import { StringOutput } from "../src/render/output.js";
import {
  defaultReadelfOptions,
  type ReadelfContext,
  type ReadelfOptions,
} from "../src/render/readelf/context.js";
import { dynamicTypeName, printDynamic } from "../src/render/readelf/dynamic.js";
import { printRelocations } from "../src/render/readelf/relocations.js";
import { printUnwind } from "../src/render/readelf/unwind.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

function open(path: string): ElfFile {
  return ElfFile.open(new BufferSource(readFileSync(path)));
}

/** Runs one view in-process; returns [stdout, stderr]. */
function render(
  print: (ctx: ReadelfContext) => void,
  path: string,
  opts: Partial<ReadelfOptions> = {},
): [string, string] {
  const out = new StringOutput();
  const err = new StringOutput();
  const ctx: ReadelfContext = {
    file: open(path),
    fileName: path,
    out,
    opts: { ...defaultReadelfOptions(), ...opts },
    warn: (m) => err.write(`readelf: Warning: ${m}\n`),
    error: (m) => err.write(`readelf: Error: ${m}\n`),
    demangle: (n) => n,
  };
  print(ctx);
  return [out.toString(), err.toString()];
}

/** A tiny ELF64 little-endian x86-64 header over `bytes` (no sections, no segments). */
function elf64(machine: number, littleEndian = true, size = 256): ElfFile {
  const b = new Uint8Array(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, littleEndian ? 1 : 2, 1]);
  const dv = new DataView(b.buffer);
  dv.setUint16(16, 1, littleEndian);
  dv.setUint16(18, machine, littleEndian);
  dv.setUint16(52, 64, littleEndian);
  return ElfFile.open(new BufferSource(b));
}

test("relocation type names follow include/elf/*.h", () => {
  assert.equal(relocTypeName(62, 7), "R_X86_64_JUMP_SLOT");
  assert.equal(relocTypeName(62, 37), "R_X86_64_IRELATIVE");
  assert.equal(relocTypeName(3, 8), "R_386_RELATIVE");
  assert.equal(relocTypeName(183, 1026), "R_AARCH64_JUMP_SLOT");
  assert.equal(relocTypeName(183, 183), "R_AARCH64_P32_RELATIVE");
  assert.equal(relocTypeName(40, 42), "R_ARM_PREL31");
  assert.equal(relocTypeName(243, 5), "R_RISCV_JUMP_SLOT");
  assert.equal(relocTypeName(22, 11), "R_390_JMP_SLOT");
  assert.equal(relocTypeName(8, 127), "R_MIPS_JUMP_SLOT");
  assert.equal(relocTypeName(21, 21), "R_PPC64_JMP_SLOT");
  // AArch64's R_AARCH64_TLS_DTPMOD alias is left out, as readelf leaves it out.
  assert.equal(relocTypeName(183, 1028), "R_AARCH64_TLS_DTPMOD64");
  assert.equal(relocTypeName(62, 12345), undefined);
  assert.equal(relocTypeName(9999, 1), undefined);
});

test("RELR bitmaps decode to addresses", () => {
  const file = elf64(62);
  const words = new BigUint64Array([0x10000n, (1n << 1n) | (1n << 3n) | 1n, 1n | (1n << 63n)]);
  const r = file.readerOver(new Uint8Array(words.buffer), "relr");
  assert.deepEqual(decodeRelr(file, r), [0x10000n, 0x10008n, 0x10018n, 0x10008n + 8n * 63n + 8n * 62n]);
});

test("MIPS64 little-endian r_info is reordered into sym, ssym, type3, type2, type", () => {
  const file = elf64(8, true);
  const bytes = new Uint8Array(24);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(0, 0x1234n, true);
  // Stored: r_sym (u32 LE) = 5, then r_ssym=0, r_type3=0x3, r_type2=0x12, r_type=0x03.
  dv.setUint32(8, 5, true);
  bytes.set([0, 0x03, 0x12, 0x03], 12);
  const [rel] = parseRelocations(file, file.readerOver(bytes, "rela"), "rela");
  assert.equal(rel!.r_sym, 5);
  assert.equal(rel!.r_type, 3);
  assert.equal(rel!.r_type2, 0x12);
  assert.equal(rel!.r_type3, 3);
  assert.equal(rel!.r_info, 0x0000000500031203n);
});

test("dynamic relocation tables come in readelf's order with DT_PLTREL deciding PLT's kind", () => {
  const entries = [
    { d_tag: 23n, d_val: 0x600n },
    { d_tag: 2n, d_val: 48n },
    { d_tag: 20n, d_val: 7n },
    { d_tag: 7n, d_val: 0x400n },
    { d_tag: 8n, d_val: 96n },
    { d_tag: 0n, d_val: 0n },
  ];
  assert.deepEqual(dynamicRelocationTables(entries), [
    { name: "RELA", kind: "rela", vaddr: 0x400n, size: 96n },
    { name: "PLT", kind: "rela", vaddr: 0x600n, size: 48n },
  ]);
});

test("dynamic tag names, including per-machine and unknown ones", () => {
  const x86 = elf64(62);
  assert.equal(dynamicTypeName(x86, 0x6ffffffbn), "FLAGS_1");
  assert.equal(dynamicTypeName(x86, 0x70000001n), "Processor Specific: 70000001");
  assert.equal(dynamicTypeName(x86, 0x6000000fn), "Operating System specific: 6000000f");
  assert.equal(dynamicTypeName(x86, -1n), "<unknown>: ffffffffffffffff");
  assert.equal(dynamicTypeName(elf64(8), 0x7000000an), "MIPS_LOCAL_GOTNO");
  assert.equal(dynamicTypeName(elf64(183), 0x70000001n), "AARCH64_BTI_PLT");
});

test("views render fixtures: dynamic section, relocations, RELR, unwind", () => {
  const so = `${FIXTURES}x86_64/libdemo.so`;
  if (!existsSync(so)) return;
  const [dyn] = render(printDynamic, so);
  assert.match(dyn, /^\nDynamic section at offset 0x[0-9a-f]+ contains \d+ entries:\n {2}Tag {8}Type/);
  assert.match(dyn, /\(SONAME\) {13}Library soname: \[/);
  const [rel] = render(printRelocations, so, { wide: true });
  assert.match(rel, /Relocation section '\.rela\.dyn' at offset 0x[0-9a-f]+ contains \d+ entr/);
  const [obj] = render(printDynamic, `${FIXTURES}x86_64/demo.o`);
  assert.equal(obj, "\nThere is no dynamic section in this file.\n");
  const relr = `${FIXTURES}x86_64/relr`;
  if (existsSync(relr)) assert.match(render(printRelocations, relr)[0], /\n {2}\d+ offsets\n[0-9a-f]{16}\n/);
  assert.equal(render(printUnwind, so)[0], "No processor specific unwind information to decode\n");
});

/** Byte-for-byte against GNU readelf 2.40, where it is installed (the reference this module mirrors). */
test("identical to GNU readelf 2.40 on the fixtures", (t) => {
  const version = spawnSync("readelf", ["--version"], { encoding: "utf8" });
  if (version.status !== 0 || !/ 2\.40\b/.test(version.stdout)) {
    t.skip("GNU readelf 2.40 is not installed");
    return;
  }
  const files = [
    "x86_64/libdemo.so",
    "x86_64/pie",
    "x86_64/nopie",
    "x86_64/demo.o",
    "x86_64/relr",
    "x86_64/noshdrs",
  ]
    .concat(["arm/libdemo.so", "arm/demo.o", "mips/libdemo.so", "mips/demo.o"])
    .map((f) => FIXTURES + f)
    .filter((f) => existsSync(f));
  const views: [string[], (ctx: ReadelfContext) => void, Partial<ReadelfOptions>][] = [
    [["-d"], printDynamic, {}],
    [["-W", "-d"], printDynamic, { wide: true }],
    [["-r"], printRelocations, {}],
    [["-W", "-r"], printRelocations, { wide: true }],
    [["-D", "-r"], printRelocations, { useDynamic: true }],
    [["-u"], printUnwind, {}],
  ];
  for (const f of files) {
    for (const [args, print, opts] of views) {
      const real = spawnSync("readelf", [...args, f], { env: { LC_ALL: "C" } }).stdout.toString("latin1");
      assert.equal(render(print, f, opts)[0], real, `readelf ${args.join(" ")} ${f}`);
    }
  }
});
