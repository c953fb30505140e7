// AT&T spellings where iced's GAS text is not objdump 2.40's (expected texts from `objdump -D -b binary
// -m i386:x86-64` and `-m i386` of the same bytes): the implicit %xmm0 of the SSE4.1 blends and
// sha256rnds2 shown and maskmov*'s (%rdi) not, movsxd's 32-bit source under 66, far returns, iret and
// far jumps through memory without a suffix at their default size in 64-bit code, and where EVEX's
// {sae} and rounding modes go.
import assert from "node:assert/strict";
import { test } from "node:test";
import { x86Disassembler } from "../src/disasm/x86.js";

/** Bytes, and what objdump prints for them in 64-bit and in 32-bit code. */
const CASES: [number[], string, string][] = [
  [[0xcf], "iret", "iret"],
  [[0xcb], "lret", "lret"],
  [[0xca, 0x10, 0x00], "lret   $0x10", "lret   $0x10"],
  [[0xff, 0x2d, 0, 0, 0, 0], "ljmp   *0x0(%rip)        # 0x6", "ljmp   *0x0"],
  [[0xff, 0x1d, 0, 0, 0, 0], "lcall  *0x0(%rip)        # 0x6", "lcall  *0x0"],
  [[0x66, 0xcf], "iretw", "iretw"],
  [[0x66, 0xcb], "lretw", "lretw"],
  [[0x66, 0x0f, 0x38, 0x14, 0xca], "blendvps %xmm0,%xmm2,%xmm1", "blendvps %xmm0,%xmm2,%xmm1"],
  [[0x66, 0x0f, 0x38, 0x15, 0xca], "blendvpd %xmm0,%xmm2,%xmm1", "blendvpd %xmm0,%xmm2,%xmm1"],
  [[0x0f, 0x38, 0xcb, 0xca], "sha256rnds2 %xmm0,%xmm2,%xmm1", "sha256rnds2 %xmm0,%xmm2,%xmm1"],
  [[0x66, 0x0f, 0x38, 0x10, 0x08], "pblendvb %xmm0,(%rax),%xmm1", "pblendvb %xmm0,(%eax),%xmm1"],
  [[0x0f, 0xf7, 0xc1], "maskmovq %mm1,%mm0", "maskmovq %mm1,%mm0"],
  [[0x66, 0x0f, 0xf7, 0xc1], "maskmovdqu %xmm1,%xmm0", "maskmovdqu %xmm1,%xmm0"],
  [[0xc5, 0xf9, 0xf7, 0xc1], "vmaskmovdqu %xmm1,%xmm0", "vmaskmovdqu %xmm1,%xmm0"],
];
// 64-bit only: REX.W gives the q forms; EVEX {sae} and rounding after any immediate, before the ModRM
// operand (after the general register of an integer-to-scalar conversion), and a compare predicate in
// the mnemonic drops its immediate with {sae} too.
const X64: [number[], string][] = [
  [[0x48, 0xcf], "iretq"],
  [[0x48, 0xcb], "lretq"],
  [[0x66, 0x63, 0xc8], "movsxd %eax,%cx"],
  [[0x66, 0x45, 0x63, 0xc8], "movsxd %r8d,%r9w"],
  [[0x66, 0x63, 0x08], "movsxd (%rax),%cx"],
  [[0x2e, 0x73, 0x02], "jae,pn 0x5"],
  [[0x3e, 0x74, 0x02], "je,pt  0x5"],
  [[0x66, 0x2e, 0x73, 0x02], "data16 jae,pn 0x6"],
  [[0xc0, 0x32, 0x02], "shlb   $0x2,(%rdx)"],
  [[0xd0, 0x33], "shlb   (%rbx)"],
  [[0xf0, 0x87, 0xdb], "lock xchg %ebx,%ebx"],
  [[0xf0, 0x32, 0x02], "lock xor (%rdx),%al"],
  [[0x62, 0xf1, 0x6c, 0x1a, 0xc2, 0xcb, 0x01], "vcmpltps {sae},%zmm3,%zmm2,%k1{%k2}"],
  [[0x62, 0xf1, 0xef, 0x18, 0x7b, 0xc8], "vcvtusi2sd %rax,{rn-sae},%xmm2,%xmm1"],
  [[0x62, 0xf1, 0xee, 0x18, 0x2a, 0xc8], "vcvtsi2ss %rax,{rn-sae},%xmm2,%xmm1"],
  [[0x62, 0xf3, 0x7d, 0x18, 0x08, 0xca, 0x04], "vrndscaleps $0x4,{sae},%zmm2,%zmm1"],
  [[0x62, 0xf3, 0xed, 0x18, 0x54, 0xcb, 0x05], "vfixupimmpd $0x5,{sae},%zmm3,%zmm2,%zmm1"],
  [[0x62, 0xf3, 0x7d, 0x18, 0x1d, 0xd1, 0x04], "vcvtps2ph $0x4,{sae},%zmm2,%ymm1"],
  [[0x62, 0xf1, 0x6c, 0x18, 0x58, 0xcb], "vaddps {rn-sae},%zmm3,%zmm2,%zmm1"],
  [[0x62, 0xf1, 0x7f, 0x18, 0x2d, 0xc1], "vcvtsd2si {rn-sae},%xmm1,%eax"],
];

// Data decoded as code (-D): how many bytes objdump's `(bad)` takes, and the prefixes it names.
const BAD: [number[], number, string][] = [
  [[0x65, 0xce], 2, "gs (bad)"],
  [[0x0f, 0x00, 0xf0], 2, "(bad)"],
  [[0x62, 0x73, 0x74, 0x61, 0x63, 0x6b], 5, "(bad)"],
  [[0x62, 0x73, 0x00, 0x73, 0x69], 2, "(bad)"],
  [[0x62, 0x6c, 0x65, 0x00, 0x5f], 1, "(bad)"],
  [[0x64, 0x62, 0x2d, 0x6c, 0x73], 2, "fs (bad)"],
  [[0xc4, 0xf7, 0x12, 0x86], 1, "(bad)"],
  [[0xdf, 0xfe], 2, "(bad)"],
  [[0x8f, 0xca, 0xca, 0x45], 4, "(bad)"],
  [[0x43, 0xc5, 0x9a, 0x4d], 4, "(bad)"],
];

test("(bad) as objdump -D prints it in 64-bit code: its length and prefixes", async () => {
  const d = await x86Disassembler({ bits: 64, syntax: "att", suffix: false });
  try {
    for (const [bytes, length, text] of BAD) {
      // More bytes follow in a section: without them iced reports the instruction cut off.
      const data = Uint8Array.from([...bytes, ...new Array(15).fill(0x90)]);
      const r = d.decode(data, 0, 0n, () => "", data.length);
      assert.deepEqual([r.length, r.text], [length, text], bytes.map((b) => b.toString(16)).join(" "));
    }
  } finally {
    d.free();
  }
});

for (const bits of [64, 32] as const) {
  test(`AT&T spellings objdump uses and iced does not, ${bits}-bit`, async () => {
    const d = await x86Disassembler({ bits, syntax: "att", suffix: false });
    try {
      const cases: [number[], string][] = CASES.map(([b, t64, t32]) => [b, bits === 64 ? t64 : t32]);
      if (bits === 64) cases.push(...X64);
      for (const [bytes, want] of cases) {
        const data = Uint8Array.from(bytes);
        const r = d.decode(data, 0, 0n, () => "", data.length);
        assert.equal(r.length, data.length, want);
        assert.equal(r.text, want, bytes.map((b) => b.toString(16)).join(" "));
      }
    } finally {
      d.free();
    }
  });
}
