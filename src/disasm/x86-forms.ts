// Encodings where objdump 2.40 decodes otherwise than iced-x86, as tables src/disasm/x86.ts reads. Each
// was measured by assembling the bytes alone (`objcopy -I binary`) and reading `objdump -D`; the cases
// are kept in test/fixtures/x86-forms/ with objdump's listing of them (scripts/make-disasm-golden.sh).

/**
 * Segment registers by a ModRM reg field. 8c /r and 8e /r name one; iced rejects 8e /1 (a mov to %cs)
 * and the numbers 6 and 7 no register has, which objdump decodes, printing those as `%?`.
 */
export const SEGMENT_REGISTER = ["es", "cs", "ss", "ds", "fs", "gs", "?", "?"] as const;

/** iced's codes for 8c and 8e, whose memory forms are 16-bit whatever a 66 or REX.W prefix says. */
export const SEGMENT_MOVES = [
  "Mov_rm16_Sreg",
  "Mov_r32m16_Sreg",
  "Mov_r64m16_Sreg",
  "Mov_Sreg_rm16",
  "Mov_Sreg_r32m16",
  "Mov_Sreg_r64m16",
] as const;

/** Whether `op /reg` is a segment-register mov iced has no form for (see SEGMENT_REGISTER). */
export function isUndecodedSegmentMove(op: number, reg: number): boolean {
  return (op === 0x8e && (reg === 1 || reg >= 6)) || (op === 0x8c && reg >= 6);
}

/**
 * x87 memory forms no instruction has (escape byte, ModRM reg): objdump prints `(bad)` with the
 * memory operand, the whole ModRM, SIB and displacement taken in (`d9 08` is `(bad)  (%eax)`).
 */
export const X87_MEMORY_HOLES: ReadonlySet<number> = new Set(
  [
    [0xd9, 1],
    [0xdb, 4],
    [0xdb, 6],
    [0xdd, 5],
  ].map(([esc, reg]) => x87HoleKey(esc as number, reg as number)),
);

/** The X87_MEMORY_HOLES key of an escape byte and a ModRM reg field. */
export function x87HoleKey(esc: number, reg: number): number {
  return (esc << 3) | reg;
}

/**
 * Register forms iced decodes as aliases of fstp, fcom, fcomp and fxch (the encodings the 8087 left
 * undocumented: d9 d8+i, dc d0+i, dc d8+i, dd c8+i, de d0+i, df c8+i, df d0+i, df d8+i), which
 * objdump prints as a two-byte `(bad)`.
 */
export const X87_REGISTER_ALIASES = [
  "Fstpnce_sti",
  "Fcom_st0_sti_DCD0",
  "Fcomp_st0_sti_DCD8",
  "Fxch_st0_sti_DDC8",
  "Fcomp_st0_sti_DED0",
  "Fxch_st0_sti_DFC8",
  "Fstp_sti_DFD0",
  "Fstp_sti_DFD8",
] as const;

/** The 8087 and 287 control instructions: objdump says which processor has them after the mnemonic. */
export const X87_ONLY_ON: Readonly<Record<string, string>> = {
  Fneni: "(8087 only)",
  Fndisi: "(8087 only)",
  Fnsetpm: "(287 only)",
};

/** x87 register forms iced does not decode at all, by their two bytes, as objdump prints them. */
export const X87_UNDECODED: ReadonlyMap<number, string> = new Map([[0xdbe5, "frstpm(287 only)"]]);

/**
 * Near branches with an 8-bit displacement that a 66 prefix makes 16-bit for iced (`_rel8_16`): in
 * 32-bit code objdump ignores the 66 on them, naming it `data16`, and the target keeps all 32 bits
 * (`66 79 00` at 0x1234fff0 is `data16 jns 0x1234fff3`; with a 16-bit displacement, 66 0f 89, the
 * operand size does apply).
 */
export const REL8_SIZED_BY_66 = /_rel8_16/;
