// readelf -A on MIPS (process_mips_specific): the golden cases cover well-formed files; these patch
// test/fixtures/mips/libdemo.so in memory for the unusual values and the damaged GOT description.
// Expected texts are what GNU readelf 2.40 printed for the same patched bytes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { BufferSource, ElfFile } from "../src/elf/index.js";
import { StringOutput } from "../src/render/output.js";
import { printArchSpecific } from "../src/render/readelf/arch-specific.js";
import { defaultReadelfOptions, type ReadelfContext } from "../src/render/readelf/context.js";

const LIBDEMO = new URL("./fixtures/mips/libdemo.so", import.meta.url).pathname;
// From readelf -S / -d of the fixture (big-endian o32).
const ABIFLAGS_OFFSET = 0x158;
const DYNAMIC_OFFSET = 0x1ac;
const DYNAMIC_SIZE = 0x118;
const DT_MIPS_SYMTABNO = 0x70000011;
const DT_MIPS_GOTSYM = 0x70000013;

function patched(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = new Uint8Array(readFileSync(LIBDEMO));
  edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes);
  return bytes;
}

function setDynamic(view: DataView, tag: number, value: number): void {
  for (let at = DYNAMIC_OFFSET; at < DYNAMIC_OFFSET + DYNAMIC_SIZE; at += 8) {
    if (view.getUint32(at) === tag) view.setUint32(at + 4, value);
  }
}

function render(bytes: Uint8Array): { out: string; err: string; failed: boolean } {
  const out = new StringOutput();
  const errs: string[] = [];
  let failed = false;
  const ctx: ReadelfContext = {
    file: ElfFile.open(new BufferSource(bytes)),
    fileName: "libdemo.so",
    out,
    opts: { ...defaultReadelfOptions(), archSpecific: true },
    warn: (m) => errs.push(`Warning: ${m}`),
    error: (m) => {
      errs.push(`Error: ${m}`);
      failed = true;
    },
    demangle: (n) => n,
  };
  printArchSpecific(ctx);
  return { out: out.toString(), err: errs.join("\n"), failed };
}

test("MIPS ABI flags: unknown register sizes, FP ABI, ISA extension and ASE bits", () => {
  const { out } = render(
    patched((v, b) => {
      b[ABIFLAGS_OFFSET + 4] = 3; // gpr_size AFL_REG_128
      b[ABIFLAGS_OFFSET + 6] = 7; // cpr2_size: not an AFL_REG_* value
      b[ABIFLAGS_OFFSET + 7] = 42; // fp_abi
      v.setUint32(ABIFLAGS_OFFSET + 8, 99); // isa_ext
      v.setUint32(ABIFLAGS_OFFSET + 12, 0x00c00011); // DSP, MDMX and two bits outside AFL_ASE_MASK
    }),
  );
  assert.ok(
    out.includes(
      "ISA: MIPS32r2\nGPR size: 128\nCPR1 size: 32\nCPR2 size: -1\nFP ABI: ??? (42)\n" +
        "ISA Extension: Unknown (99)\nASEs:\n\tDSP ASE\n\tMDMX ASE\n\tUnknown (c00000)\nFLAGS 1: 00000000\n",
    ),
    out,
  );
});

test("primary GOT of the fixture: reserved, local and global entries", () => {
  const { out, err } = render(patched(() => {}));
  assert.equal(err, "");
  assert.ok(out.includes("  00010824 -32748(gp) 80000000 Module pointer (GNU extension)\n"), out);
  assert.ok(out.includes("  00010854 -32700(gp) 00010810 00010810 OBJECT   22 demo_data\n"), out);
});

test("a GOT that runs past the end of the file shows <unknown> after readelf's messages", () => {
  const { out, err } = render(patched((v) => setDynamic(v, DT_MIPS_SYMTABNO, 100000)));
  assert.ok(
    out.endsWith(
      "Primary GOT:\n Canonical gp value: 00018810\n\n Reserved entries:\n" +
        "   Address     Access  Initial Purpose\n  00010820 -32752(gp) <unknown> Lazy resolver\n\n",
    ),
    out,
  );
  assert.equal(
    err,
    "Warning: Virtual address 0x10820 not located in any PT_LOAD segment.\n" +
      "Error: Reading 399992 bytes extends past end of file for Global Offset Table data",
  );
});

test("DT_MIPS_GOTSYM beyond DT_MIPS_SYMTABNO stops before the GOT", () => {
  const { out, err, failed } = render(patched((v) => setDynamic(v, DT_MIPS_GOTSYM, 17)));
  assert.ok(!out.includes("Primary GOT"), out);
  assert.ok(out.endsWith("FLAGS 2: 00000000\n"), out);
  assert.equal(err, "Error: The GOT symbol offset (17) is greater than the symbol table size (16)");
  assert.ok(failed);
});
