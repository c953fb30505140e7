// MIPS32 (o32, big-endian) instructions as mips-linux-gnu-objdump 2.40 lists them: Capstone decodes,
// mips-text.ts spells its text as objdump does. Every instruction is one word; the raw column shows it as a
// big-endian number.
import { CapstoneHandle, loadCapstone } from "./capstone.js";
import type { Decoded, InstructionDecoder, ListingLayout } from "./decoder.js";
import { fpCompare, mipsText, multiplyAdd } from "./mips-text.js";
import type { Symbolizer } from "./x86.js";

export class MipsDisassembler implements InstructionDecoder {
  readonly layout: ListingLayout;
  delaySlot = false;
  private readonly result: Decoded = { length: 4, text: "", chunk: 4 };

  constructor(
    private readonly base: CapstoneHandle,
    /** MIPS64 mode, for the rest of COP1X (opcode 0x13: lwxc1 ...), which Capstone's MIPS32 reads as COP3. */
    private readonly cop1x: CapstoneHandle,
    readonly options: MipsOptions = {},
  ) {
    this.layout = { bytesPerLine: 4, chunked: true, bigEndian: options.littleEndian !== true };
  }

  free(): void {
    this.base.free();
    this.cop1x.free();
  }

  decode(bytes: Uint8Array, offset: number, base: bigint, symbolize: Symbolizer, limit: number): Decoded {
    const result = this.result;
    const address = base + BigInt(offset);
    if (offset + 4 > Math.min(limit, bytes.length)) {
      result.length = 0;
      result.text = `Address 0x${address.toString(16)} is out of bounds.`;
      return result;
    }
    result.length = 4;
    result.chunk = 4;
    this.delaySlot = false;
    const big = this.layout.bigEndian === true;
    let word = 0;
    for (let i = 0; i < 4; i++) word = word * 256 + (bytes[offset + (big ? i : 3 - i)] as number);
    const fused = multiplyAdd(word >>> 0);
    if (fused !== undefined) {
      result.text = fused;
      return result;
    }
    const capstone = word >>> 26 === 0x13 ? this.cop1x : this.base;
    if (capstone.decode(bytes, offset, 4, address, limit) === 0) {
      result.text = fpCompare(word >>> 0) ?? `.word\t0x${word.toString(16)}`;
      return result;
    }
    this.delaySlot = hasDelaySlot(capstone.mnemonic);
    result.text = mipsText(
      capstone.mnemonic,
      capstone.operands,
      symbolize,
      this.options.showAddresses !== false,
    );
    return result;
  }
}

/** Branches and jumps, which have a delay slot (MIPS32 has no compact branches). */
function hasDelaySlot(mnemonic: string): boolean {
  return /^(b|j)/.test(mnemonic) && mnemonic !== "break";
}

export interface MipsOptions {
  /** --no-addresses: a branch target shows only its `<sym>`. */
  showAddresses?: boolean;
  /** mipsel (measured only on big-endian o32: the cross toolchain's). */
  littleEndian?: boolean;
  /** A 64-bit file: MIPS64's instructions too (not measured). */
  is64?: boolean;
}

/** A disassembler for EM_MIPS, loading Capstone on first use. */
export async function mipsDisassembler(options: MipsOptions = {}): Promise<MipsDisassembler> {
  const cs = await loadCapstone();
  const endian = options.littleEndian ? 0 : cs.MODE_BIG_ENDIAN;
  const mode = (options.is64 ? cs.MODE_MIPS64 : cs.MODE_MIPS32) | endian;
  return new MipsDisassembler(
    new CapstoneHandle(cs, cs.ARCH_MIPS, mode),
    new CapstoneHandle(cs, cs.ARCH_MIPS, cs.MODE_MIPS64 | endian),
    options,
  );
}
