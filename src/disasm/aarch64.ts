// AArch64 instructions as GNU objdump 2.40 prints them. Decoding is Capstone's (the WASM build in
// @alexaltea/capstone-js, loaded on first use); aarch64-text.ts turns its text into objdump's. This file
// feeds it instruction words and follows the mapping symbols: in a code section `$d` marks data, which
// objdump prints as `.word`/`.short`/`.byte` instead of decoding it.

import { gnuText, isPcRelative } from "./aarch64-text.js";
import { CapstoneHandle, type CapstoneModule, loadCapstone } from "./capstone.js";
import type {
  Decoded,
  InstructionDecoder,
  MappingSymbol,
  RelocationSymbol,
  SectionFacts,
} from "./decoder.js";
import type { Symbolizer } from "./x86.js";

/** Texts kept per instruction word (PC-relative words are not kept: their text names the address). */
const CACHE_LIMIT = 1 << 16;

const hex = (v: bigint): string => v.toString(16);

export class Aarch64Disassembler implements InstructionDecoder {
  private readonly capstone: CapstoneHandle;
  private readonly cache = new Map<number, string>();
  private mapping: MappingSymbol[] = [];
  private relocated: ReadonlySet<number> = new Set();
  private relocations: ReadonlyMap<number, RelocationSymbol> = new Map();
  private bounds: number[] = [];
  private readonly result: Decoded = { length: 4, text: "", chunk: 4 };

  constructor(
    cs: CapstoneModule,
    readonly options: Aarch64Options = {},
  ) {
    this.capstone = new CapstoneHandle(cs, cs.ARCH_ARM64, cs.MODE_ARM);
  }

  free(): void {
    this.capstone.free();
  }

  /** Mapping symbols count only in code sections (with -D, nowhere: the listing gives none). */
  beginSection(section: SectionFacts): void {
    this.mapping = section.code ? section.mapping : [];
    this.bounds = section.mappingBounds;
    this.relocated = section.relocated;
    this.relocations = section.relocationSymbols ?? new Map();
  }

  /** Whether the mapping symbol in force at `offset` says data. */
  private dataAt(offset: number): boolean {
    const m = this.mapping;
    let lo = 0;
    let hi = m.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((m[mid] as MappingSymbol).offset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && (m[lo - 1] as MappingSymbol).data;
  }

  /** The first mapping bound past `offset`, -1 for none. */
  private boundAfter(offset: number): number {
    const b = this.bounds;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((b[mid] as number) <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < b.length ? (b[lo] as number) : -1;
  }

  decode(bytes: Uint8Array, offset: number, base: bigint, symbolize: Symbolizer, limit: number): Decoded {
    const result = this.result;
    let size = 4;
    let data = false;
    if (this.mapping.length > 0 && this.dataAt(offset)) {
      data = true;
      // Data goes out in the largest unit (4, 2, 1) that is aligned and ends by the next mapping bound;
      // past the last one objdump asks for 4 bytes whatever is left.
      const next = this.boundAfter(offset);
      if (next >= 0)
        size = offset % 4 === 0 && offset + 4 <= next ? 4 : offset % 2 === 0 && offset + 2 <= next ? 2 : 1;
    }
    if (offset + size > limit) {
      result.length = 0;
      result.text = `Address 0x${hex(base + BigInt(offset))} is out of bounds.`;
      return result;
    }
    result.length = size;
    result.chunk = size;
    if (data) {
      let value = 0;
      for (let i = size - 1; i >= 0; i--) value = value * 256 + (bytes[offset + i] as number);
      const directive = size === 4 ? ".word" : size === 2 ? ".short" : ".byte";
      result.text = `${directive}\t0x${value.toString(16).padStart(size * 2, "0")}`;
      return result;
    }
    const word =
      ((bytes[offset] as number) |
        ((bytes[offset + 1] as number) << 8) |
        ((bytes[offset + 2] as number) << 16) |
        ((bytes[offset + 3] as number) << 24)) >>>
      0;
    const pcRelative = isPcRelative(word);
    if (!pcRelative) {
      const cached = this.cache.get(word);
      if (cached !== undefined) {
        result.text = cached;
        return result;
      }
    }
    // Observed: a branch or address a relocation will patch shows its target as if the instruction
    // sat at 0 (`bl 0 <first symbol of the section>` for an unresolved call in a .o).
    const relocated = pcRelative && this.relocated.has(offset);
    const address = relocated ? 0n : base + BigInt(offset);
    // Observed: and one whose relocation names an undefined symbol is named by that symbol, addend
    // aside (`b 0 <_ZdlPvm>` for `b _ZdlPvm+8`); a defined one in another section is not.
    const sym = relocated ? this.relocations.get(offset) : undefined;
    const named: Symbolizer = sym !== undefined && !sym.defined ? () => ` <${sym.name}>` : symbolize;
    const text = this.text(bytes, offset, word, address, named, limit);
    if (!pcRelative) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, text);
    }
    result.text = text;
    return result;
  }

  private text(
    bytes: Uint8Array,
    offset: number,
    word: number,
    address: bigint,
    symbolize: Symbolizer,
    limit: number,
  ): string {
    const capstone = this.capstone;
    if (!capstone.decode(bytes, offset, 4, address, limit)) {
      const canonical = exclusiveCanonical(word);
      const le = (w: number) => Uint8Array.of(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
      if (canonical === undefined || !capstone.decodeBytes(le(canonical), address))
        return `.inst\t0x${word.toString(16).padStart(8, "0")} ; ${undefinedReason(word)}`;
    }
    return gnuText(
      word,
      capstone.mnemonic,
      capstone.operands,
      symbolize,
      this.options.showAddresses !== false,
    );
  }
}

/**
 * What objdump says of a word it cannot decode. Observed: `NYI` (not yet implemented) for the words with
 * bits 30..22 clear and bit 21 set, `undefined` for the rest.
 */
function undefinedReason(word: number): string {
  return (word & 0x7fe00000) === 0x00200000 ? "NYI" : "undefined";
}

/**
 * Load/store exclusive and ordered (LDXR, LDAR, STLR, LDLAR, ... : bits 29..24 001000, no pair) with
 * their should-be-one Rs and Rt2 fields not all ones: objdump decodes them as if they were, Capstone
 * refuses. The word with those fields set, for a second try; undefined when that changes the meaning
 * (a store exclusive's Rs is its status register).
 */
function exclusiveCanonical(word: number): number | undefined {
  if ((word & 0x3f200000) !== 0x08000000) return undefined;
  const load = (word >>> 22) & 1;
  const ordered = (word >>> 23) & 1;
  if (!load && !ordered) return undefined; // STXR, STLXR: Rs is theirs
  return (word | 0x001f7c00) >>> 0;
}

export interface Aarch64Options {
  /** --no-addresses: a branch target shows only its `<sym>`. */
  showAddresses?: boolean;
}

/** A disassembler for EM_AARCH64, loading Capstone on first use. */
export async function aarch64Disassembler(options: Aarch64Options = {}): Promise<Aarch64Disassembler> {
  return new Aarch64Disassembler(await loadCapstone(), options);
}
