// AArch64 instructions as GNU objdump 2.40 prints them. Decoding is Capstone's (the WASM build in
// @alexaltea/capstone-js, loaded on first use); aarch64-text.ts turns its text into objdump's. This file
// feeds it instruction words and follows the mapping symbols: in a code section `$d` marks data, which
// objdump prints as `.word`/`.short`/`.byte` instead of decoding it.
import { createRequire } from "node:module";
import { gnuText, isPcRelative } from "./aarch64-text.js";
import type { Decoded, InstructionDecoder, MappingSymbol, SectionFacts } from "./decoder.js";
import type { Symbolizer } from "./x86.js";

/** The parts of Capstone's Emscripten module used here (see its dist/capstone.js). */
interface CapstoneModule {
  ARCH_ARM64: number;
  MODE_ARM: number;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _cs_open(arch: number, mode: number, handlePtr: number): number;
  _cs_close(handlePtr: number): number;
  _cs_malloc(handle: number): number;
  _cs_free(insn: number, count: number): void;
  _cs_disasm_iter(handle: number, codePtr: number, sizePtr: number, addressPtr: number, insn: number): number;
  getValue(ptr: number, type: string): number;
  setValue(ptr: number, value: number | bigint, type: string): void;
  writeArrayToMemory(array: Uint8Array, ptr: number): void;
  UTF8ToString(ptr: number): string;
}

let capstone: Promise<CapstoneModule> | undefined;

/** Loads Capstone once; its factory compiles the WASM (a few MB) asynchronously. */
function loadCapstone(): Promise<CapstoneModule> {
  capstone ??= (createRequire(import.meta.url)("@alexaltea/capstone-js") as () => Promise<CapstoneModule>)();
  return capstone;
}

/** cs_insn's layout in the WASM build: mnemonic and operand text at fixed offsets. */
const INSN_MNEMONIC = 42;
const INSN_OP_STR = 74;
/** Section bytes copied into WASM memory at a time. */
const WINDOW = 1 << 16;
/** Texts kept per instruction word (PC-relative words are not kept: their text names the address). */
const CACHE_LIMIT = 1 << 16;

const hex = (v: bigint): string => v.toString(16);

export class Aarch64Disassembler implements InstructionDecoder {
  private readonly cs: CapstoneModule;
  private readonly handlePtr: number;
  private readonly handle: number;
  private readonly insn: number;
  /** cs_disasm_iter's in-out arguments: the code pointer, the bytes left, the address. */
  private readonly args: number;
  private readonly buffer: number;
  private windowBytes: Uint8Array | undefined;
  private windowStart = 0;
  private windowEnd = 0;
  private readonly cache = new Map<number, string>();
  private mapping: MappingSymbol[] = [];
  private relocated: ReadonlySet<number> = new Set();
  private bounds: number[] = [];
  private readonly result: Decoded = { length: 4, text: "", chunk: 4 };

  constructor(
    cs: CapstoneModule,
    readonly options: Aarch64Options = {},
  ) {
    this.cs = cs;
    this.handlePtr = cs._malloc(4);
    const rc = cs._cs_open(cs.ARCH_ARM64, cs.MODE_ARM, this.handlePtr);
    if (rc !== 0) throw new Error(`Capstone could not open AArch64 (error ${rc})`);
    this.handle = cs.getValue(this.handlePtr, "i32");
    this.insn = cs._cs_malloc(this.handle);
    this.args = cs._malloc(16);
    // The window, and 4 bytes after it for a word decoded in place of another (decodeWord).
    this.buffer = cs._malloc(WINDOW + 4);
  }

  free(): void {
    const cs = this.cs;
    cs._cs_free(this.insn, 1);
    cs._free(this.args);
    cs._free(this.buffer);
    cs._cs_close(this.handlePtr);
    cs._free(this.handlePtr);
  }

  /** Mapping symbols count only in code sections (with -D, nowhere: the listing gives none). */
  beginSection(section: SectionFacts): void {
    this.mapping = section.code ? section.mapping : [];
    this.bounds = section.mappingBounds;
    this.relocated = section.relocated;
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
    const address = pcRelative && this.relocated.has(offset) ? 0n : base + BigInt(offset);
    const text = this.text(bytes, offset, word, address, symbolize, limit);
    if (!pcRelative) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, text);
    }
    result.text = text;
    return result;
  }

  /** Decodes a word that is not in the section (a canonical form of one Capstone refused). */
  private decodeWord(word: number, address: bigint): boolean {
    const cs = this.cs;
    const at = this.buffer + WINDOW;
    for (let i = 0; i < 4; i++) cs.setValue(at + i, (word >>> (8 * i)) & 0xff, "i8");
    cs.setValue(this.args, at, "i32");
    cs.setValue(this.args + 4, 4, "i32");
    cs.setValue(this.args + 8, address, "i64");
    return cs._cs_disasm_iter(this.handle, this.args, this.args + 4, this.args + 8, this.insn) !== 0;
  }

  private text(
    bytes: Uint8Array,
    offset: number,
    word: number,
    address: bigint,
    symbolize: Symbolizer,
    limit: number,
  ): string {
    const cs = this.cs;
    if (bytes !== this.windowBytes || offset < this.windowStart || offset + 4 > this.windowEnd) {
      const end = Math.min(limit, bytes.length, offset + WINDOW);
      cs.writeArrayToMemory(bytes.subarray(offset, end), this.buffer);
      this.windowBytes = bytes;
      this.windowStart = offset;
      this.windowEnd = end;
    }
    const args = this.args;
    cs.setValue(args, this.buffer + (offset - this.windowStart), "i32");
    cs.setValue(args + 4, 4, "i32");
    cs.setValue(args + 8, address, "i64");
    if (!cs._cs_disasm_iter(this.handle, args, args + 4, args + 8, this.insn)) {
      const canonical = exclusiveCanonical(word);
      if (canonical === undefined || !this.decodeWord(canonical, address))
        return `.inst\t0x${word.toString(16).padStart(8, "0")} ; ${undefinedReason(word)}`;
    }
    const mnemonic = cs.UTF8ToString(this.insn + INSN_MNEMONIC);
    const opStr = cs.UTF8ToString(this.insn + INSN_OP_STR);
    return gnuText(word, mnemonic, opStr, symbolize, this.options.showAddresses !== false);
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
