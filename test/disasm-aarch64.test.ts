// src/disasm on AArch64 against aarch64-linux-gnu-objdump 2.40: whole listings of the committed fixtures
// (golden files made by scripts/make-disasm-golden.sh), and single words whose expected text objdump
// printed for them (no symbols: `symbolize` gives nothing, so a target is a bare address).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { aarch64Disassembler } from "../src/disasm/aarch64.js";
import { listing } from "./helpers/disasm.js";

const golden = (name: string) => readFileSync(`test/golden/disasm/aarch64-${name}`, "utf8");
const fixture = (name: string) => `test/fixtures/aarch64/${name}`;

const pending: Record<string, string> = {};

for (const f of ["pie", "nopie", "libdemo.so", "demo.o", "cxx.o", "mapping.o", "relocs.o"]) {
  test(`objdump -d aarch64/${f}`, { todo: pending[f] }, async () => {
    assert.equal(await listing(fixture(f)), golden(`${f}.d.txt`));
  });
}

for (const f of ["demo.o", "cxx.o", "relocs.o"]) {
  test(`objdump -d -r aarch64/${f}`, { todo: pending[f] }, async () => {
    assert.equal(await listing(fixture(f), { inlineRelocs: true }), golden(`${f}.dr.txt`));
  });
}

test("objdump -D, --no-show-raw-insn, --no-addresses on AArch64", async () => {
  assert.equal(await listing(fixture("demo.o"), { all: true }), golden("demo.o.D.txt"));
  assert.equal(await listing(fixture("pie"), { showRaw: false }), golden("pie.no-raw.txt"));
  assert.equal(await listing(fixture("pie"), { showAddresses: false }), golden("pie.no-addresses.txt"));
});

/** Instruction words and objdump's text for them, each a rule of aarch64-text.ts. */
const WORDS: [number, string][] = [
  [0x910003fd, "mov\tx29, sp"],
  [0xa8c17bfd, "ldp\tx29, x30, [sp], #16"],
  [0xa9bf7bfd, "stp\tx29, x30, [sp, #-16]!"],
  [0xf85e8780, "ldr\tx0, [x28], #-24"],
  [0x528000c0, "mov\tw0, #0x6                   \t// #6"],
  [0xb26183e0, "mov\tx0, #0xffffffff80000000    \t// #-2147483648"],
  [0xf27df035, "ands\tx21, x1, #0xfffffffffffffff8"],
  [0x54000041, "b.ne\t8  // b.any"],
  [0x54ffffa2, "b.cs\tfffffffffffffff4  // b.hs, b.nlast"],
  [0x5400006d, "b.le\tc"],
  [0x1a9f17e6, "cset\tw6, eq\t// eq = none"],
  [0x9a9726f7, "cinc\tx23, x23, cc\t// cc = lo, ul, last"],
  [0x90000080, "adrp\tx0, 10000"],
  [0x370005f8, "tbnz\tw24, #0, bc"],
  [0xd370f8b3, "ubfx\tx19, x5, #48, #15"],
  [0xf2c00040, "movk\tx0, #0x2, lsl #32"],
  [0x1e6e1001, "fmov\td1, #1.000000000000000000e+00"],
  [0x1e602008, "fcmp\td0, #0.0"],
  [0x6f00e401, "movi\tv1.2d, #0x0"],
  [0x4e209801, "cmeq\tv1.16b, v0.16b, #0"],
  [0x2f20a400, "uxtl\tv0.2d, v0.2s"],
  [0xd4000001, "svc\t#0x0"],
  [0x00000010, "udf\t#16"],
  [0x00527a01, ".inst\t0x00527a01 ; undefined"],
];

test("single AArch64 words as objdump prints them", async () => {
  const d = await aarch64Disassembler();
  try {
    for (const [word, want] of WORDS) {
      const bytes = Uint8Array.of(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24);
      const r = d.decode(bytes, 0, 0n, () => "", 4);
      assert.equal(r.text, want, word.toString(16));
      assert.equal(r.length, 4);
    }
  } finally {
    d.free();
  }
});
