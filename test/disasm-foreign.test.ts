// src/disasm on ARM, RISC-V, s390x and MIPS against each cross objdump 2.40: whole listings of the
// committed fixtures (golden files made by scripts/make-disasm-golden.sh), and single instructions whose
// text objdump printed for them (no symbols: `symbolize` gives nothing, so a target is a bare address).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { armDisassembler } from "../src/disasm/arm.js";
import { mipsDisassembler } from "../src/disasm/mips.js";
import { riscvDisassembler } from "../src/disasm/riscv.js";
import { s390xDisassembler } from "../src/disasm/s390x.js";
import { listing } from "./helpers/disasm.js";

const golden = (name: string) => readFileSync(`test/golden/disasm/${name}`, "utf8");
const fixture = (name: string) => `test/fixtures/${name}`;

// nopie: objdump dumps what its _PROCEDURE_LINKAGE_TABLE_ object labels (bytes, 16 a line); the
// listing's object dump (listing.ts objectDumpUnit) is not told RISC-V's unit yet.
const pending: Record<string, string> = {};

for (const f of ["pie", "nopie", "libdemo.so", "demo.o", "forms.o"]) {
  const name = `riscv64/${f}`;
  test(`objdump -d ${name}`, { todo: pending[name] }, async () => {
    assert.equal(await listing(fixture(name)), golden(`riscv64-${f}.d.txt`));
  });
}

for (const f of ["pie", "nopie", "libdemo.so", "demo.o", "mapping.o"]) {
  const name = `arm/${f}`;
  test(`objdump -d ${name}`, { todo: pending[name] }, async () => {
    assert.equal(await listing(fixture(name)), golden(`arm-${f}.d.txt`));
  });
}

for (const f of ["pie", "nopie", "libdemo.so", "demo.o", "forms.o"]) {
  const name = `s390x/${f}`;
  test(`objdump -d ${name}`, { todo: pending[name] }, async () => {
    assert.equal(await listing(fixture(name)), golden(`s390x-${f}.d.txt`));
  });
}

test("objdump -d -r and -D on s390x", async () => {
  assert.equal(await listing(fixture("s390x/demo.o"), { inlineRelocs: true }), golden("s390x-demo.o.dr.txt"));
  assert.equal(await listing(fixture("s390x/demo.o"), { all: true }), golden("s390x-demo.o.D.txt"));
});

for (const f of ["pie", "nopie", "libdemo.so", "demo.o", "forms.o"]) {
  const name = `mips/${f}`;
  test(`objdump -d ${name}`, async () => {
    assert.equal(await listing(fixture(name)), golden(`mips-${f}.d.txt`));
  });
}

test("objdump -d -r, --no-show-raw-insn, --no-addresses on MIPS", async () => {
  assert.equal(await listing(fixture("mips/demo.o"), { inlineRelocs: true }), golden("mips-demo.o.dr.txt"));
  assert.equal(await listing(fixture("mips/pie"), { showRaw: false }), golden("mips-pie.no-raw.txt"));
  assert.equal(
    await listing(fixture("mips/pie"), { showAddresses: false }),
    golden("mips-pie.no-addresses.txt"),
  );
});

test("objdump -d -r on ARM", async () => {
  assert.equal(await listing(fixture("arm/demo.o"), { inlineRelocs: true }), golden("arm-demo.o.dr.txt"));
});

// -D decodes .ARM.attributes' text as ARM code, where objdump spells coprocessor 1 and 2 as the old FPA's
// instructions (rsfcssp f3, f2, f0) and Capstone as cdp.
test("objdump -D on ARM", { todo: "FPA spellings of coprocessor 1 and 2" }, async () => {
  assert.equal(await listing(fixture("arm/demo.o"), { all: true }), golden("arm-demo.o.D.txt"));
});

test("objdump -d -r, -D, --no-show-raw-insn, --no-addresses on RISC-V", async () => {
  assert.equal(
    await listing(fixture("riscv64/demo.o"), { inlineRelocs: true }),
    golden("riscv64-demo.o.dr.txt"),
  );
  assert.equal(await listing(fixture("riscv64/demo.o"), { all: true }), golden("riscv64-demo.o.D.txt"));
  assert.equal(await listing(fixture("riscv64/pie"), { showRaw: false }), golden("riscv64-pie.no-raw.txt"));
  assert.equal(
    await listing(fixture("riscv64/pie"), { showAddresses: false }),
    golden("riscv64-pie.no-addresses.txt"),
  );
});

/** RISC-V parcels (little-endian, as in the raw column) and objdump's text for each, one rule apiece. */
const RISCV: [number[], string][] = [
  [[0x13, 0x03, 0x43, 0xfd], "add\tt1,t1,-44"], // addi prints as add
  [[0x13, 0x53, 0x13, 0x00], "srl\tt1,t1,0x1"], // shift amounts in hex
  [[0x97, 0x13, 0x00, 0x00], "auipc\tt2,0x1"],
  [[0x79, 0x71], "add\tsp,sp,-48"], // c.addi16sp
  [[0xa2, 0x84], "mv\ts1,s0"],
  [[0x81, 0x46], "li\ta3,0"],
  [[0x82, 0x80], "ret"],
  [[0x81, 0x27], "sext.w\ta5,a5"], // c.addiw rd,0
  [[0x13, 0xc7, 0xf7, 0xff], "not\ta4,a5"],
  [[0x67, 0x03, 0x0e, 0x00], "jalr\tt1,t3"],
  [[0x53, 0x96, 0x07, 0xc2], "fcvt.w.d\ta2,fa5,rtz"],
  [[0xd3, 0x87, 0x0a, 0xd2], "fcvt.d.w\tfa5,s5"], // exact: no rounding mode
  [[0x0f, 0x00, 0x50, 0x0f], "fence\tiorw,ow"],
  [[0x73, 0x27, 0x10, 0x00], "frflags\ta4"],
  [[0x73, 0xd0, 0x11, 0x00], "fsflagsi\tzero,3"],
  [[0x73, 0xe5, 0x01, 0x30], "csrrs\ta0,mstatus,3"], // csrrsi under csrrs's name
  [[0xaf, 0xa6, 0xe4, 0x1c], "sc.w.aq\ta3,a4,(s1)"],
  [[0x0d, 0x00], "c.nop\t3"],
  [[0x06, 0x00], "c.slli\tzero,0x1"],
  [[0x01, 0x60], ".2byte\t0x6001"],
  [[0x3b, 0x85, 0x05, 0x08], ".4byte\t0x805853b"],
  [[0x5f, 0x61, 0x32, 0x70, 0x31, 0x5f], ".byte\t0x5f, 0x61, 0x32, 0x70, 0x31, 0x5f"], // a 48-bit parcel
  [[0x63, 0x80, 0x78, 0x03], "beq\ta7,s7,20"],
  [[0x03, 0x27, 0x02, 0x8a], "lw\ta4,-1888(tp) # fffffffffffff8a0"], // tp counts as 0
];

test("single RISC-V instructions as objdump prints them", () => {
  for (const [bytes, want] of RISCV) {
    const d = riscvDisassembler();
    const r = d.decode(Uint8Array.from(bytes), 0, 0n, () => "", bytes.length);
    assert.equal(r.text, want, bytes.map((b) => b.toString(16)).join(" "));
    assert.equal(r.length, bytes.length);
  }
});

test("RISC-V: lui/auipc values name the next use of the register once", () => {
  const d = riscvDisassembler();
  // auipc a0,0x1 at 0x100; add a1,a0,4; add a2,a0,8
  const code = Uint8Array.of(0x17, 0x15, 0, 0, 0x93, 0x05, 0x45, 0, 0x13, 0x06, 0x85, 0);
  const texts = [0, 4, 8].map((at) => d.decode(code, at, 0x100n, (a) => ` <x+${a}>`, code.length).text);
  assert.deepEqual(texts, ["auipc\ta0,0x1", "add\ta1,a0,4 # 1104 <x+4356>", "add\ta2,a0,8"]);
});

/** ARM words and Thumb halfwords (as the raw column shows them) and objdump's text, one rule apiece. */
const ARM: [string, number[], string][] = [
  ["arm", [0xe28fc600], "add\tip, pc, #0, 12"], // rotated immediate as its parts
  ["arm", [0xe28cca01], "add\tip, ip, #4096\t@ 0x1000"],
  ["arm", [0xe5bcfa70], "ldr\tpc, [ip, #2672]!\t@ 0xa70"],
  ["arm", [0xe52de004], "push\t{lr}\t\t@ (str lr, [sp, #-4]!)"],
  ["arm", [0xe49df004], "pop\t{pc}\t\t@ (ldr pc, [sp], #4)"],
  ["arm", [0xe59fe004], "ldr\tlr, [pc, #4]\t@ c"], // literal: PC+8
  ["arm", [0x012fff1e], "bxeq\tlr"],
  ["arm", [0xe1a00000], "nop\t\t\t@ (mov r0, r0)"],
  ["arm", [0x00001bfc], "strdeq\tr1, [r0], -ip"], // one register named
  ["arm", [0x00001cb0], "\t\t@ <UNDEFINED> instruction: 0x00001cb0"],
  ["arm", [0x61696265], "cmnvs\tr9, r5, ror #4"],
  ["thumb", [0x4d1b], "ldr\tr5, [pc, #108]\t@ (70)"],
  ["thumb", [0xa305], "add\tr3, pc, #20\t@ (adr r3, 18)"],
  ["thumb", [0xd003], "beq.n\ta"],
  ["thumb", [0xf7ff, 0xefde], "blx\tffffffc0"],
  ["thumb", [0xe92d, 0x4ff0], "stmdb\tsp!, {r4, r5, r6, r7, r8, r9, sl, fp, lr}"],
  ["thumb", [0xe8bd, 0x40b0], "ldmia.w\tsp!, {r4, r5, r7, lr}"],
  ["thumb", [0xf856, 0x3b04], "ldr.w\tr3, [r6], #4"],
  ["thumb", [0xea4f, 0x1353], "mov.w\tr3, r3, lsr #5"],
  ["thumb", [0xf1c2, 0x021f], "rsb\tr2, r2, #31"],
  ["thumb", [0x4240], "negs\tr0, r0"],
  ["thumb", [0x781b], "ldrb\tr3, [r3, #0]"],
  ["thumb", [0xbf28], "it\tcs"],
  ["thumb", [0xee1d, 0x3f70], "mrc\t15, 0, r3, cr13, cr0, {3}"],
  ["thumb", [0xf04f, 0x33ff], "mov.w\tr3, #4294967295\t@ 0xffffffff"],
  ["thumb", [0xdfe8], "svc\t232\t@ 0xe8"],
  ["thumb", [0xe954, 0x372a], "ldrd\tr3, r7, [r4, #-168]\t@ 0xa8"],
];

test("single ARM and Thumb instructions as objdump prints them", async () => {
  for (const [state, units, want] of ARM) {
    const d = await armDisassembler();
    try {
      const bytes = Uint8Array.from(
        units.flatMap((u) =>
          state === "arm" ? [u & 0xff, (u >>> 8) & 0xff, (u >>> 16) & 0xff, u >>> 24] : [u & 0xff, u >>> 8],
        ),
      );
      d.beginSection({
        mapping: [{ offset: 0, data: false, thumb: state === "thumb" }],
        mappingBounds: [],
        code: true,
        relocated: new Set(),
      });
      const r = d.decode(bytes, 0, 0n, () => "", bytes.length);
      assert.equal(r.text, want, units.map((u) => u.toString(16)).join(" "));
      assert.equal(r.length, bytes.length);
    } finally {
      d.free();
    }
  }
});

/** s390x bytes and objdump's text for them, one rule apiece. */
const S390X: [number[], string][] = [
  [[0xe3, 0x10, 0x10, 0x10, 0x00, 0x04], "lg\t%r1,16(%r1)"], // decimal displacement, no spaces
  [[0xa7, 0x84, 0x00, 0x19], "je\t32"], // relative target
  [[0xc0, 0xe5, 0xff, 0xff, 0xff, 0xf0], "brasl\t%r14,ffffffffffffffe0"], // below 0: wrapped
  [[0x07, 0x07], "nopr\t%r7"],
  [[0x07, 0x00], "nopr"],
  [[0x47, 0x00, 0x00, 0x00], "nop\t0"],
  [[0xec, 0x61, 0x3e, 0xbe, 0x00, 0x55], "risbgz\t%r6,%r1,62,62,0"],
  [[0xec, 0x56, 0x00, 0x07, 0x00, 0x7c], "cgijne\t%r5,0,e"],
  [[0x00, 0x00, 0x01, 0x02], ".long\t0x00000102"], // 4 bytes whatever the length bits say
];

test("single s390x instructions as objdump prints them", async () => {
  const d = await s390xDisassembler();
  try {
    for (const [bytes, want] of S390X) {
      const r = d.decode(Uint8Array.from(bytes), 0, 0n, () => "", bytes.length);
      assert.equal(r.text, want, bytes.map((b) => b.toString(16)).join(" "));
      assert.equal(r.length, bytes.length);
    }
  } finally {
    d.free();
  }
});

/** MIPS words (big-endian) and objdump's text for them, one rule apiece. */
const MIPS: [number, string][] = [
  [0x8f99820c, "lw\tt9,-32244(gp)"],
  [0x8c420000, "lw\tv0,0(v0)"],
  [0x24020006, "li\tv0,6"],
  [0x34038000, "li\tv1,0x8000"],
  [0x32520002, "andi\ts2,s2,0x2"],
  [0x001ef080, "sll\ts8,s8,0x2"],
  [0x00221402, "ror\tv0,v0,0x10"],
  [0x7c03e83b, "rdhwr\tv1,$29"],
  [0x4442f800, "cfc1\tv0,c1_fcsr"],
  [0x4620113c, "c.lt.d\t$fcc1,$f2,$f0"],
  [0x1000ffff, "b\t0"],
  [0x4d022120, "madd.s\t$f4,$f8,$f4,$f2"], // COP1X, decoded here
  [0x4d0a0021, "madd.d\t$f0,$f8,$f0,$f10"],
];

test("single MIPS words as objdump prints them", async () => {
  const d = await mipsDisassembler();
  try {
    for (const [word, want] of MIPS) {
      const bytes = Uint8Array.of(word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
      assert.equal(d.decode(bytes, 0, 0n, () => "", 4).text, want, word.toString(16));
    }
  } finally {
    d.free();
  }
});
