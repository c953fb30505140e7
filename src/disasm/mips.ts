// MIPS32 (o32, big-endian) instructions as mips-linux-gnu-objdump 2.40 lists them: Capstone decodes,
// mips-text.ts spells its text as objdump does. Every instruction is one word; the raw column shows it as a
// big-endian number.
import { CapstoneHandle, loadCapstone } from "./capstone.js";
import type { Decoded, InstructionDecoder, ListingLayout } from "./decoder.js";
import { fpCompare, mipsText } from "./mips-text.js";
import type { Symbolizer } from "./x86.js";

export class MipsDisassembler implements InstructionDecoder {
  readonly layout: ListingLayout;
  delaySlot = false;
  private readonly result: Decoded = { length: 4, text: "", chunk: 4 };

  constructor(
    private readonly capstone: CapstoneHandle,
    readonly options: MipsOptions = {},
  ) {
    this.layout = { bytesPerLine: 4, chunked: true, bigEndian: options.littleEndian !== true };
  }

  free(): void {
    this.capstone.free();
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
    if (this.capstone.decode(bytes, offset, 4, address, limit) === 0) {
      const big = this.layout.bigEndian === true;
      let word = 0;
      for (let i = 0; i < 4; i++) word = word * 256 + (bytes[offset + (big ? i : 3 - i)] as number);
      result.text = fpCompare(word >>> 0) ?? `.word\t0x${word.toString(16)}`;
      return result;
    }
    this.delaySlot = hasDelaySlot(this.capstone.mnemonic);
    result.text = mipsText(
      this.capstone.mnemonic,
      this.capstone.operands,
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
  const mode =
    (options.is64 ? cs.MODE_MIPS64 : cs.MODE_MIPS32) | (options.littleEndian ? 0 : cs.MODE_BIG_ENDIAN);
  return new MipsDisassembler(new CapstoneHandle(cs, cs.ARCH_MIPS, mode), options);
}
