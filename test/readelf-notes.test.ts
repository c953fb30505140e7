import assert from "node:assert/strict";
import { test } from "node:test";
import { deflateSync } from "node:zlib";
import { nodeDecompressors } from "../src/cli/decompressors.js";
import {
  BufferSource,
  ElfFile,
  gnuProperties,
  isElfError,
  parseCompressionHeader,
  parseGnuProperties,
  parseNotes,
  parseStapsdt,
  sectionContents,
} from "../src/elf/index.js";
import { StringOutput } from "../src/render/output.js";
import { defaultReadelfOptions, type ReadelfContext } from "../src/render/readelf/context.js";
import { parseDumpRequest, printSectionDumps } from "../src/render/readelf/dumps.js";
import { printNotes } from "../src/render/readelf/notes.js";

/** One note, little-endian, padded to `align`. */
function note(name: string, type: number, desc: number[], align = 4): number[] {
  const pad = (a: number[]): number[] => {
    while (a.length % align) a.push(0);
    return a;
  };
  const nameBytes = name ? [...Buffer.from(name, "latin1"), 0] : [];
  const hdr = Buffer.alloc(12);
  hdr.writeUInt32LE(nameBytes.length, 0);
  hdr.writeUInt32LE(desc.length, 4);
  hdr.writeUInt32LE(type, 8);
  const head = pad([...hdr, ...nameBytes]);
  return [...head, ...pad([...desc])];
}

const u32 = (v: number): number[] => [...Buffer.from(new Uint32Array([v]).buffer)];
const u64 = (v: bigint): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return [...b];
};

/**
 * A minimal ELF64 x86-64 ET_DYN file with a section name table and the given sections, each placed
 * after the headers. Section 0 is the null section; the string table is last.
 */
function elf64(
  sections: { name: string; type: number; flags?: bigint; align?: bigint; data: number[] }[],
): Uint8Array {
  const names = ["", ...sections.map((s) => s.name), ".shstrtab"];
  const strtab: number[] = [];
  const offsets = names.map((n) => {
    const at = strtab.length;
    strtab.push(...Buffer.from(n, "latin1"), 0);
    return at;
  });
  const body: number[] = [];
  const placed: number[] = [];
  for (const s of [...sections.map((s) => s.data), strtab]) {
    while (body.length % 8) body.push(0);
    placed.push(64 + body.length);
    body.push(...s);
  }
  while (body.length % 8) body.push(0);
  const shoff = 64 + body.length;
  const shnum = sections.length + 2;
  const out = Buffer.alloc(shoff + shnum * 64);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  out.writeUInt16LE(3, 16); // ET_DYN
  out.writeUInt16LE(62, 18); // EM_X86_64
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt16LE(64, 52);
  out.writeUInt16LE(64, 58);
  out.writeUInt16LE(shnum, 60);
  out.writeUInt16LE(shnum - 1, 62);
  out.set(body, 64);
  const all = [...sections, { name: ".shstrtab", type: 3, data: strtab }];
  all.forEach((s, i) => {
    const at = shoff + (i + 1) * 64;
    out.writeUInt32LE(offsets[i + 1]!, at);
    out.writeUInt32LE(s.type, at + 4);
    out.writeBigUInt64LE((s as { flags?: bigint }).flags ?? 0n, at + 8);
    out.writeBigUInt64LE(BigInt(placed[i]!), at + 24);
    out.writeBigUInt64LE(BigInt(s.data.length), at + 32);
    out.writeBigUInt64LE((s as { align?: bigint }).align ?? 4n, at + 48);
  });
  return new Uint8Array(out);
}

function run(
  bytes: Uint8Array,
  print: (ctx: ReadelfContext) => void,
  set: (o: ReturnType<typeof defaultReadelfOptions>) => void = () => {},
): { out: string; err: string } {
  const out = new StringOutput();
  let err = "";
  const opts = defaultReadelfOptions();
  set(opts);
  const ctx = {
    file: ElfFile.open(new BufferSource(bytes)),
    fileName: "t",
    out,
    opts,
    warn: (m: string) => {
      err += `readelf: Warning: ${m}\n`;
    },
    error: (m: string) => {
      err += `readelf: Error: ${m}\n`;
    },
    demangle: (s: string) => s,
    decompressors: nodeDecompressors(),
  };
  print(ctx);
  return { out: out.toString(), err };
}

const BUILD_ID = note("GNU", 3, [0xde, 0xad, 0xbe, 0xef]);
const ABI_TAG = note("GNU", 1, [...u32(0), ...u32(3), ...u32(2), ...u32(0)]);
// x86 FEATURE_1_AND = IBT|SHSTK, then ISA_1_NEEDED = baseline; 8-byte aligned as in 64-bit files.
const PROPERTY = note(
  "GNU",
  5,
  [...u32(0xc0000002), ...u32(4), ...u32(3), ...u32(0), ...u32(0xc0008002), ...u32(4), ...u32(1), ...u32(0)],
  8,
);

test("parseNotes splits notes and honours 4/8 alignment", () => {
  const list = parseNotes(new Uint8Array([...BUILD_ID, ...ABI_TAG]), true, 4);
  assert.equal(list.notes.length, 2);
  assert.equal(list.notes[0]!.name, "GNU");
  assert.deepEqual([...list.notes[0]!.desc], [0xde, 0xad, 0xbe, 0xef]);
  assert.equal(list.problem, undefined);
  const bad = parseNotes(new Uint8Array([...BUILD_ID.slice(0, 12), 1, 2]), true, 4);
  assert.equal(bad.problem?.kind, "bad-sizes");
  const short = parseNotes(new Uint8Array([1, 2, 3]), true, 4);
  assert.deepEqual(short.problem, { kind: "short", remaining: 3 });
});

test("GNU properties: header first, then each property; IBT/SHSTK for hardening", () => {
  const file = ElfFile.open(
    new BufferSource(elf64([{ name: ".note.gnu.property", type: 7, align: 8n, data: PROPERTY }])),
  );
  const p = gnuProperties(file);
  assert.equal(p.ibt, true);
  assert.equal(p.shstk, true);
  assert.equal(p.x86IsaNeeded, 1);
  const corrupt = parseGnuProperties(new Uint8Array(6), true, true);
  assert.equal(corrupt.corrupt?.kind, "size");
});

test("readelf -n text matches binutils 2.40 layout", () => {
  const bytes = elf64([
    { name: ".note.gnu.property", type: 7, align: 8n, data: PROPERTY },
    { name: ".note.gnu.build-id", type: 7, data: BUILD_ID },
    { name: ".note.ABI-tag", type: 7, data: ABI_TAG },
  ]);
  const { out } = run(bytes, printNotes, (o) => {
    o.notes = true;
  });
  assert.equal(
    out,
    "\nDisplaying notes found in: .note.gnu.property\n" +
      "  Owner                Data size \tDescription\n" +
      "  GNU                  0x00000020\tNT_GNU_PROPERTY_TYPE_0\n" +
      "      Properties: x86 feature: IBT, SHSTK\n\tx86 ISA needed: x86-64-baseline\n" +
      "\nDisplaying notes found in: .note.gnu.build-id\n" +
      "  Owner                Data size \tDescription\n" +
      "  GNU                  0x00000004\tNT_GNU_BUILD_ID (unique build ID bitstring)\n" +
      "    Build ID: deadbeef\n" +
      "\nDisplaying notes found in: .note.ABI-tag\n" +
      "  Owner                Data size \tDescription\n" +
      "  GNU                  0x00000010\tNT_GNU_ABI_TAG (ABI version tag)\n" +
      "    OS: Linux, ABI: 3.2.0\n",
  );
  const wide = run(bytes, printNotes, (o) => {
    o.notes = true;
    o.wide = true;
  }).out;
  assert.match(wide, /NT_GNU_PROPERTY_TYPE_0\t {6}Properties: x86 feature: IBT, SHSTK, x86 ISA needed/);
});

test("stapsdt, FDO packaging metadata and unknown notes", () => {
  const stap = note("stapsdt", 3, [
    ...u64(0x1234n),
    ...u64(0x2000n),
    ...u64(0n),
    ...Buffer.from("libc\0setjmp\0-8@%rdi\0", "latin1"),
  ]);
  const probe = parseStapsdt(parseNotes(new Uint8Array(stap), true, 4).notes[0]!.desc, true, true);
  assert.equal(probe?.name, "setjmp");
  assert.equal(probe?.exact, true);
  const fdo = note("FDO", 0xcafe1a7e, [...Buffer.from('{"type":"deb"}\0', "latin1")]);
  const other = note("XYZ", 7, [1, 2]);
  const { out } = run(elf64([{ name: ".note.x", type: 7, data: [...stap, ...fdo, ...other] }]), printNotes);
  assert.match(
    out,
    / {4}Location: 0x0000000000001234, Base: 0x0000000000002000, Semaphore: 0x0000000000000000\n/,
  );
  assert.match(out, /FDO_PACKAGING_METADATA\n {4}Packaging Metadata: \{"type":"deb"\}\n/);
  assert.match(out, /Unknown note type: \(0x00000007\)\n {3}description data: 01 02 \n/);
});

test("bad note alignment and truncated notes warn like readelf", () => {
  const r = run(elf64([{ name: ".note.x", type: 7, align: 16n, data: BUILD_ID }]), printNotes);
  assert.match(r.err, /Corrupt note: alignment 16, expecting 4 or 8/);
  const t = run(elf64([{ name: ".note.x", type: 7, data: [...BUILD_ID, 1, 2, 3] }]), printNotes);
  assert.match(t.err, /Corrupt note: only 3 bytes remain, not enough for a full note/);
});

test("compression: Elf64_Chdr parsed, zlib inflated, hostile sizes refused", () => {
  const plain = Buffer.from("hello hello hello hello\0world\0", "latin1");
  const z = deflateSync(plain);
  const chdr = [...u32(1), ...u32(0), ...u64(BigInt(plain.length)), ...u64(1n)];
  const bytes = elf64([{ name: ".debug_str", type: 1, flags: 0x800n, data: [...chdr, ...z] }]);
  const file = ElfFile.open(new BufferSource(bytes));
  const sh = file.findSection(".debug_str")!;
  assert.equal(parseCompressionHeader(file.sectionData(sh), true, true)?.ch_size, BigInt(plain.length));
  assert.deepEqual(Buffer.from(sectionContents(file, sh, nodeDecompressors())), plain);
  const huge = [...u32(1), ...u32(0), ...u64(1n << 40n), ...u64(1n)];
  const f2 = ElfFile.open(
    new BufferSource(elf64([{ name: ".z", type: 1, flags: 0x800n, data: [...huge, ...z] }])),
  );
  assert.throws(() => sectionContents(f2, f2.findSection(".z")!, nodeDecompressors()), isElfError);
  const p = run(bytes, printSectionDumps, (o) => {
    o.stringDump.push(".debug_str");
    o.decompress = true;
  });
  assert.equal(
    p.out,
    "\nString dump of section '.debug_str':\n  [     0]  hello hello hello hello\n  [    18]  world\n\n",
  );
});

test("hex dump layout, missing sections and dump request parsing", () => {
  const bytes = elf64([{ name: ".rodata", type: 1, data: [...Buffer.from("ABCDEFGHIJKLMNOPQR", "latin1")] }]);
  const r = run(bytes, printSectionDumps, (o) => {
    o.hexDump.push(".rodata", ".missing", "9");
  });
  assert.equal(
    r.out,
    "\nHex dump of section '.rodata':\n" +
      "  0x00000000 41424344 45464748 494a4b4c 4d4e4f50 ABCDEFGHIJKLMNOP\n" +
      "  0x00000010 5152                                QR\n\n",
  );
  assert.match(r.err, /Section '\.missing' was not dumped because it does not exist/);
  assert.match(r.err, /Section 9 was not dumped because it does not exist!/);
  assert.equal(parseDumpRequest("0x10"), 16);
  assert.equal(parseDumpRequest("010"), 8);
  assert.equal(parseDumpRequest(".text"), undefined);
  assert.equal(parseDumpRequest("-1"), undefined);
});
