// What the listing (listing.ts) asks of an architecture's decoder: one instruction's length and text at
// a time, and the facts of how objdump lays that architecture's lines out.
import type { PooledText } from "./line-buffer.js";
import type { Symbolizer } from "./x86.js";

export interface Decoded {
  /** Bytes taken; 0 when objdump could not read the instruction (`text` then says why) and stops. */
  length: number;
  /** Mnemonic, operands and any comment; no trailing newline. */
  text: string;
  /**
   * The text as bytes, when the decoder has it so (x86's cache), with `encodedTail` after it (a
   * branch target's name): the listing writes these and does not read `text`.
   */
  encoded?: PooledText | undefined;
  encodedTail?: PooledText | undefined;
  /** The raw column's unit in bytes (1: bytes, 4: an AArch64 instruction word); 1 when absent. */
  chunk?: number;
}

/** A mapping symbol (`$x`, `$d`): from its address on, a section holds code or data (AAELF64 5.7). */
export interface MappingSymbol {
  offset: number;
  data: boolean;
  /** ARM's `$t`: Thumb code from here on. */
  thumb?: boolean;
}

/** A relocation's symbol: its name and value, and whether the file defines it. */
export interface RelocationSymbol {
  name: string;
  value: bigint;
  defined: boolean;
}

/** What a decoder may need to know of the section it decodes. */
export interface SectionFacts {
  /** Its mapping symbols, by offset (AArch64; empty elsewhere). */
  mapping: MappingSymbol[];
  /**
   * Where data printed in units must stop: the offsets (from this section's start) of every mapping
   * symbol of the file, whatever its section, in order.
   */
  mappingBounds: number[];
  /** It holds code (SHF_EXECINSTR). */
  code: boolean;
  /** The offsets a relocation patches (a relocatable file's; empty otherwise). */
  relocated: ReadonlySet<number>;
  /** The symbol each of those relocations names, by offset (ARM shows a relocated branch's target as it). */
  relocationSymbols?: ReadonlyMap<number, RelocationSymbol>;
}

export interface InstructionDecoder {
  decode(bytes: Uint8Array, offset: number, base: bigint, symbolize: Symbolizer, limit: number): Decoded;
  /** Told before each section is listed. */
  beginSection?(section: SectionFacts): void;
  /** The next instruction is the last one's delay slot (MIPS): objdump does not skip it as zeros. */
  readonly delaySlot?: boolean;
  /** How the raw column is laid out; x86's (7 bytes a line) when absent. */

  readonly layout?: ListingLayout;
  free(): void;
}

/** How objdump lays out one architecture's lines. */
export interface ListingLayout {
  /**
   * Raw bytes shown on an instruction's first line (x86: 7, s390: 6); when the column shows units (a
   * Decoded's `chunk`), the bytes it is padded to (AArch64, ARM and MIPS: 4, RISC-V: 8).
   */
  bytesPerLine: number;
  /** The raw column shows units of `chunk` bytes as numbers (AArch64), not byte by byte. */
  chunked: boolean;
  /** Those units are read big-endian (MIPS); little-endian when absent. */
  bigEndian?: boolean;
  /** Symbols that mark code and data (`$x`, `$d`) rather than name anything. */
  isMappingSymbol?: (name: string) => boolean;
}
