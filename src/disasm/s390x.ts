// s390x (z/Architecture) instructions as s390x-linux-gnu-objdump 2.40 lists them: Capstone decodes (its
// SystemZ module, big-endian), s390x-text.ts spells its text as objdump does. The instruction length is
// in the first byte's top two bits (z/Architecture Principles of Operation, "Instruction formats"); the
// raw column shows the bytes one by one, six to a line.
import { CapstoneHandle, loadCapstone } from "./capstone.js";
import type { Decoded, InstructionDecoder, ListingLayout } from "./decoder.js";
import { isRelative, s390Text } from "./s390x-text.js";
import type { Symbolizer } from "./x86.js";

const LAYOUT: ListingLayout = { bytesPerLine: 6, chunked: false };

/** Instruction length by the first byte's bits 0-1: 00 two bytes, 01 and 10 four, 11 six. */
const length = (first: number): number => [2, 4, 4, 6][first >>> 6] as number;

export class S390xDisassembler implements InstructionDecoder {
  readonly layout = LAYOUT;
  private readonly result: Decoded = { length: 2, text: "" };

  constructor(
    private readonly capstone: CapstoneHandle,
    readonly options: S390xOptions = {},
  ) {}

  free(): void {
    this.capstone.free();
  }

  decode(bytes: Uint8Array, offset: number, base: bigint, symbolize: Symbolizer, limit: number): Decoded {
    const result = this.result;
    const address = base + BigInt(offset);
    const end = Math.min(limit, bytes.length);
    const size = length(bytes[offset] as number);
    if (offset + size > end) {
      result.length = 0;
      result.text = `Address 0x${address.toString(16)} is out of bounds.`;
      return result;
    }
    result.length = size;
    const n = this.capstone.decode(bytes, offset, size, address, limit);
    if (n === 0) {
      if (offset + UNKNOWN_SIZE > end) {
        result.length = 0;
        result.text = `Address 0x${address.toString(16)} is out of bounds.`;
        return result;
      }
      result.length = UNKNOWN_SIZE;
      result.text = unknown(bytes, offset);
      return result;
    }
    result.text = s390Text(
      this.capstone.mnemonic,
      this.capstone.operands,
      isRelative(bytes, offset, size),
      symbolize,
      this.options.showAddresses !== false,
    );
    return result;
  }
}

/** Observed: what objdump cannot decode is 4 bytes, printed as `.long` (whatever their length bits say). */
const UNKNOWN_SIZE = 4;

function unknown(bytes: Uint8Array, offset: number): string {
  let hex = "";
  for (let i = 0; i < UNKNOWN_SIZE; i++) hex += (bytes[offset + i] as number).toString(16).padStart(2, "0");
  return `.long\t0x${hex}`;
}

export interface S390xOptions {
  /** --no-addresses: a branch target shows only its `<sym>`. */
  showAddresses?: boolean;
}

/** A disassembler for EM_S390 (64-bit), loading Capstone on first use. */
export async function s390xDisassembler(options: S390xOptions = {}): Promise<S390xDisassembler> {
  const cs = await loadCapstone();
  return new S390xDisassembler(new CapstoneHandle(cs, cs.ARCH_SYSZ, cs.MODE_BIG_ENDIAN), options);
}
