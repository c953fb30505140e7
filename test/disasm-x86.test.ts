// src/disasm against GNU objdump 2.40: whole `-d` listings of the committed fixtures (golden files made
// by scripts/make-disasm-golden.sh), and single instructions whose expected text objdump printed for the
// same bytes (`objdump -D -b binary -m i386:x86-64`, so no symbols: branch targets are bare `0x..`).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { nodeDecompressors } from "../src/cli/decompressors.js";
import { x86Disassembler } from "../src/disasm/x86.js";
import { listing } from "./helpers/disasm.js";

const golden = (name: string) => readFileSync(`test/golden/disasm/${name}`, "utf8");

for (const f of [
  "x86_64/demo.o",
  "x86_64/pie",
  "x86_64/nopie",
  "x86_64/static-pie",
  "x86_64/cxx.o",
  "x86_64/libsysv.so",
  "i386/demo.o",
  "i386/pie",
  "i386/nopie",
  "i386/libdemo.so",
]) {
  test(`objdump -d ${f}`, async () => {
    assert.equal(await listing(`test/fixtures/${f}`), golden(`${f.replace("/", "-")}.d.txt`));
  });
}

test("objdump -d -M suffix (setcc, .s on second encodings, fwait joined, jmpq/jmpl, bswap, xbeginq) and {evex}", async () => {
  const suffix = { suffix: true };
  assert.equal(await listing("test/fixtures/x86_64/suffix.o"), golden("x86_64-suffix.o.d.txt"));
  assert.equal(await listing("test/fixtures/x86_64/suffix.o", suffix), golden("x86_64-suffix.o.suffix.txt"));
  assert.equal(await listing("test/fixtures/x86_64/pie", suffix), golden("x86_64-pie.suffix.txt"));
  assert.equal(await listing("test/fixtures/i386/pie", suffix), golden("i386-pie.suffix.txt"));
});

test("objdump -D: data as code, .bss as its zeros, instructions cut at labels, prefixes cut at the end, section-start labels", async () => {
  for (const f of ["x86_64/pie", "x86_64/ties", "x86_64/libdemo.so", "x86_64/static-pie"])
    assert.equal(
      await listing(`test/fixtures/${f}`, { all: true }),
      golden(`${f.replace("/", "-")}.D.txt`),
      f,
    );
  // Compressed debug sections (zlib .zdebug_*, zstd SHF_COMPRESSED) are listed decompressed.
  const decompressors = nodeDecompressors();
  for (const f of ["x86_64/debug-zlib-gnu.o", "x86_64/debug-zstd"])
    assert.equal(
      await listing(`test/fixtures/${f}`, { all: true, decompressors }),
      golden(`${f.replace("/", "-")}.D.txt`),
      f,
    );
});

test("objdump -d --no-show-raw-insn, --no-addresses, -w", async () => {
  const pie = "test/fixtures/x86_64/pie";
  assert.equal(await listing(pie, { showRaw: false }), golden("x86_64-pie.no-raw.txt"));
  assert.equal(await listing(pie, { showAddresses: false }), golden("x86_64-pie.no-addresses.txt"));
  assert.equal(await listing(pie, { wide: true }), golden("x86_64-pie.wide.txt"));
});

const hexBytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

const X86_64: [string, string][] = [
  ["f30f1efa", "endbr64"],
  ["2e0f1f840000000000", "cs nopl 0x0(%rax,%rax,1)"],
  ["66662e0f1f840000000000", "data16 cs nopw 0x0(%rax,%rax,1)"],
  ["6690", "xchg   %ax,%ax"],
  ["4890", "rex.W nop"],
  ["40c3", "rex ret"],
  ["f3c3", "repz ret"],
  ["f2c3", "bnd ret"],
  ["f348ab", "rep stos %rax,%es:(%rdi)"],
  ["f3a6", "repz cmpsb %es:(%rdi),%ds:(%rsi)"],
  ["f2ae", "repnz scas %es:(%rdi),%al"],
  ["6c", "insb   (%dx),%es:(%rdi)"],
  ["6e", "outsb  %ds:(%rsi),(%dx)"],
  ["d7", "xlat   %ds:(%rbx)"],
  ["a4", "movsb  %ds:(%rsi),%es:(%rdi)"],
  ["3effe0", "notrack jmp *%rax"],
  ["f0830001", "lock addl $0x1,(%rax)"],
  ["d9c9", "fxch   %st(1)"],
  ["dec9", "fmulp  %st,%st(1)"],
  ["d9c0", "fld    %st(0)"],
  ["d1e8", "shr    %eax"],
  ["486bc00a", "imul   $0xa,%rax,%rax"],
  ["8d742600", "lea    0x0(%rsi,%riz,1),%esi"],
  ["0fb60402", "movzbl (%rdx,%rax,1),%eax"],
  ["64488b042528000000", "mov    %fs:0x28,%rax"],
  ["488b05adff0100", "mov    0x1ffad(%rip),%rax        # 0x1ffb4"],
  ["e800000000", "call   0x5"],
  ["ff2500000000", "jmp    *0x0(%rip)        # 0x6"],
  ["62f37d483fc200", "vpcmpeqb %zmm2,%zmm0,%k0"],
  ["62f1fd1858c1", "vaddpd {rn-sae},%zmm1,%zmm0,%zmm0"],
  ["c8100000", "enter  $0x10,$0x0"],
  ["cd80", "int    $0x80"],
  ["ed", "in     (%dx),%eax"],
  ["0f0b", "ud2"],
];

const I386: [string, string][] = [
  ["8d742600", "lea    0x0(%esi,%eiz,1),%esi"],
  ["8db42600000000", "lea    0x0(%esi,%eiz,1),%esi"],
  ["9a000000001000", "lcall  $0x10,$0x0"],
  ["ea000000001000", "ljmp   $0x10,$0x0"],
  ["66ff30", "pushw  (%eax)"],
  ["ff30", "push   (%eax)"],
  ["2e8b00", "mov    %cs:(%eax),%eax"],
  ["64656d", "fs gs insl (%dx),%es:(%edi)"],
  ["6769737465725454", "imul   $0x54547265,0x74(%bp,%di),%esi"],
  ["a100000000", "mov    0x0,%eax"],
  ["e800000000", "call   0x5"],
];

for (const [bits, cases] of [
  [64, X86_64],
  [32, I386],
] as const) {
  test(`single ${bits}-bit instructions as objdump prints them`, async () => {
    const d = await x86Disassembler({ bits, syntax: "att", suffix: false });
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
