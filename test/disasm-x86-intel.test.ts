// src/disasm/x86-intel.ts against GNU objdump 2.40 -M intel: whole listings of the committed fixtures
// (golden files made by scripts/make-disasm-golden.sh; x86_64/intel.s gathers the forms whose Intel
// text is objdump's own), and single instructions whose expected text objdump printed for the same
// bytes (`objdump -D -b binary -m i386:x86-64 -M intel`, or `-m i386`: no symbols, bare `0x..` targets).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { x86Disassembler } from "../src/disasm/x86.js";
import { listing } from "./helpers/disasm.js";

const golden = (name: string) => readFileSync(`test/golden/disasm/${name}`, "utf8");
const intel = { syntax: "intel" } as const;

for (const f of [
  "x86_64/intel.o",
  "x86_64/pie",
  "x86_64/demo.o",
  "i386/pie",
  "i386/libdemo.so",
  "i386/demo.o",
]) {
  test(`objdump -d -M intel ${f}`, async () => {
    assert.equal(await listing(`test/fixtures/${f}`, intel), golden(`${f.replace("/", "-")}.intel.txt`));
  });
}

test("objdump -d -M intel,suffix (callq, pushd, retfd, fnsaved, .s)", async () => {
  const suffix = { ...intel, suffix: true };
  assert.equal(
    await listing("test/fixtures/x86_64/intel.o", suffix),
    golden("x86_64-intel.o.intel-suffix.txt"),
  );
  assert.equal(await listing("test/fixtures/i386/pie", suffix), golden("i386-pie.intel-suffix.txt"));
});

test("objdump -M intel with -d -r, -D and --no-show-raw-insn", async () => {
  const demo = "test/fixtures/x86_64/demo.o";
  assert.equal(await listing(demo, { ...intel, inlineRelocs: true }), golden("x86_64-demo.o.intel-dr.txt"));
  assert.equal(
    await listing("test/fixtures/i386/demo.o", { ...intel, all: true }),
    golden("i386-demo.o.intel-D.txt"),
  );
  const pie = "test/fixtures/x86_64/pie";
  assert.equal(await listing(pie, { ...intel, showRaw: false }), golden("x86_64-pie.intel-no-raw.txt"));
});

const hexBytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

const X86_64: [string, string][] = [
  ["f348ab", "rep stos QWORD PTR es:[rdi],rax"],
  ["a4", "movs   BYTE PTR es:[rdi],BYTE PTR ds:[rsi]"],
  ["f3a6", "repz cmps BYTE PTR ds:[rsi],BYTE PTR es:[rdi]"],
  ["6c", "ins    BYTE PTR es:[rdi],dx"],
  ["66cf", "iretw"],
  ["48cb", "retfq"],
  ["ca1000", "retf   0x10"],
  ["d7", "xlat   BYTE PTR ds:[rbx]"],
  ["64d7", "xlat   BYTE PTR fs:[rbx]"],
  ["48b88877665544332211", "movabs rax,0x1122334455667788"],
  ["a18877665544332211", "movabs eax,ds:0x1122334455667788"],
  ["9c", "pushf"],
  ["669c", "pushfw"],
  ["666a10", "pushw  0x10"],
  ["660fa0", "pushw  fs"],
  ["66c9", "leavew"],
  ["ff2d00000000", "jmp    FWORD PTR [rip+0x0]        # 0x6"],
  ["0f0100", "sgdt   [rax]"],
  ["480fc708", "cmpxchg16b OWORD PTR [rax]"],
  ["660f388008", "invept rcx,OWORD PTR [rax]"],
  ["67e2fd", "addr32 loop 0x0"],
  ["0f0d00", "prefetch BYTE PTR [rax]"],
  ["66d920", "fldenvw [rax]"],
  ["660f3a61ca1a", "pcmpestri xmm1,xmm2,0x1a"],
  ["660f3814ca", "blendvps xmm1,xmm2,xmm0"],
  ["d9c9", "fxch   st(1)"],
  ["dcc1", "fadd   st(1),st"],
  ["dd00", "fld    QWORD PTR [rax]"],
  ["62f37d58660803", "vfpclassps k1,DWORD BCST [rax]{1to16},0x3"],
  ["62f1fd385a08", "vcvtpd2ps xmm1,QWORD BCST [rax]{1to4}"],
  ["62f17c1f58c1", "vaddps zmm0{k7},zmm0,zmm1{rn-sae}"],
  ["0ff7c1", "maskmovq mm0,mm1"],
  ["f2c3", "bnd ret"],
  ["3effe0", "notrack jmp rax"],
  ["64488b042528000000", "mov    rax,QWORD PTR fs:0x28"],
  ["488b05adff0100", "mov    rax,QWORD PTR [rip+0x1ffad]        # 0x1ffb4"],
];

const I386: [string, string][] = [
  ["60", "pusha"],
  ["61", "popa"],
  ["6660", "pushaw"],
  ["669c", "pushfw"],
  ["0f0100", "sgdtd  [eax]"],
  ["660f0110", "lgdtw  [eax]"],
  ["63c0", "arpl   ax,ax"],
  ["6300", "arpl   WORD PTR [eax],ax"],
  ["ea000000001000", "jmp    0x10:0x0"],
  ["9a000000001000", "call   0x10:0x0"],
  ["66ea00001000", "jmp    0x10:0x0"],
  ["ff2d00000000", "jmp    FWORD PTR ds:0x0"],
  ["66ff2d00000000", "jmp    DWORD PTR ds:0x0"],
  ["cb", "retf"],
  ["66cb", "retfw"],
  ["67d7", "xlat   BYTE PTR ds:[bx]"],
  ["2ed7", "xlat   BYTE PTR cs:[ebx]"],
  ["a100000000", "mov    eax,ds:0x0"],
  ["67e2fd", "addr16 loop 0x0"],
  ["0f07", "sysret"],
  ["6d", "ins    DWORD PTR es:[edi],dx"],
  ["2e8b00", "mov    eax,DWORD PTR cs:[eax]"],
  ["8d742600", "lea    esi,[esi+eiz*1+0x0]"],
  ["66ff30", "push   WORD PTR [eax]"],
];

for (const [bits, cases] of [
  [64, X86_64],
  [32, I386],
] as const) {
  test(`single ${bits}-bit instructions as objdump -M intel prints them`, async () => {
    const d = await x86Disassembler({ bits, syntax: "intel", suffix: false });
    try {
      for (const [h, want] of cases) {
        const bytes = hexBytes(h);
        const r = d.decode(bytes, 0, 0n, () => "");
        assert.equal(r.text, want, h);
        assert.equal(r.length, bytes.length, h);
      }
    } finally {
      d.free();
    }
  });
}
