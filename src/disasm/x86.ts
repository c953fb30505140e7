// x86 and x86-64 instructions as GNU objdump 2.40 prints them (AT&T syntax by default, `-M intel`,
// `-M suffix`). Decoding is iced-x86's (WASM, loaded on first use); the text starts from iced's GAS
// formatter, operand by operand, and the places where objdump's text differs are rules below, each
// measured against objdump (scripts/compat-disasm.mjs).
import { createRequire } from "node:module";
import type * as Iced from "iced-x86";
import { ByteTable } from "./byte-table.js";
import { type PooledText, pooledString, TextPool } from "./line-buffer.js";
import { VEX_ENCODABLE_EVEX_CODES } from "./x86-evex.js";
import {
  isUndecodedSegmentMove,
  REL8_SIZED_BY_66,
  SEGMENT_MOVES,
  SEGMENT_REGISTER,
  X87_MEMORY_HOLES,
  X87_ONLY_ON,
  X87_REGISTER_ALIASES,
  X87_UNDECODED,
  x87HoleKey,
} from "./x86-forms.js";
import { formatIntel, type IntelHost } from "./x86-intel.js";
import { SWAPPED_CODES } from "./x86-swapped.js";

type IcedModule = typeof Iced;

let icedModule: IcedModule | undefined;

/**
 * Loads iced-x86 once; its module instantiates the WASM synchronously on require. It is required, not
 * imported: an ESM import of this CommonJS package has node scan its whole source for export names.
 */
export async function loadIced(): Promise<IcedModule> {
  icedModule ??= createRequire(import.meta.url)("iced-x86") as IcedModule;
  return icedModule;
}

/** Returns ` <name+0x10>`-style text for an address, "" when no symbol can name it. */
export type Symbolizer = (address: bigint) => string;

export interface X86Options {
  bits: 32 | 64;
  syntax: "att" | "intel";
  suffix: boolean;
  /** --no-addresses: branch targets and RIP-relative comments show only the `<sym>`. */
  showAddresses?: boolean;
}

export interface DecodedInstruction {
  length: number;
  /** Mnemonic, operands and any `# addr <sym>` comment; no trailing newline. */
  text: string;
  /** The text as bytes, when it came from the cache (see Decoded). */
  encoded?: PooledText | undefined;
  encodedTail?: PooledText | undefined;
}

/**
 * What every decode of the listing's usual path hands back: a cached text's bytes and its target's
 * name as bytes, written as they are; `text` joins them only for a caller that reads it.
 */
class CachedResult implements DecodedInstruction {
  length = 0;
  encoded: PooledText | undefined;
  encodedTail: PooledText | undefined;
  private plain = "";
  get text(): string {
    if (this.encoded === undefined) return this.plain;
    const tail = this.encodedTail;
    return pooledString(this.encoded) + (tail ? pooledString(tail) : "");
  }
  set text(s: string) {
    this.plain = s;
    this.encoded = undefined;
    this.encodedTail = undefined;
  }
}

const hex = (v: bigint): string => v.toString(16);

/** Decodes from a window of a section's bytes; the window moves as the offset goes past it. */
export class X86Disassembler implements IntelHost {
  readonly iced: IcedModule;
  /** iced's GAS formatter, or its Intel one under `-M intel`. */
  readonly formatter: Iced.Formatter;
  private readonly instr: Iced.Instruction;
  private decoder: Iced.Decoder | undefined;
  private windowBytes: Uint8Array | undefined;
  private windowStart = 0;
  private windowEnd = 0;
  readonly addrMask: bigint;
  private readonly regNames = new Map<number, string>();
  /** Codes iced tells apart by a prefix objdump counts as unused: REX.W nop is `rex.W nop`. */
  private readonly sameCode: Map<number, number>;
  /** The offset the decoder reads next without being told. */
  private nextOffset = -1;
  private readonly cache = new ByteTable<CachedText>(CACHE_SIZE);
  /** Near branches, keyed by their bytes without the displacement. */
  private readonly branchCache = new ByteTable<CachedText>(CACHE_SIZE / 4);
  /** Per iced Code: a near branch's displacement bytes, 0 for other codes, -1 not yet looked at. */
  private readonly displacementSizes: Int8Array;
  private lastAddressText = "";
  /** Branch and RIP-relative targets named in this section, by address (see targetText). */
  private readonly targetAddresses = new Float64Array(TARGET_NAMES).fill(-1);
  private readonly targetNames: (PooledText | undefined)[] = new Array(TARGET_NAMES).fill(undefined);
  /** Where cached texts and target names keep their bytes. */
  private readonly pool = new TextPool(() => {
    this.cache.clear();
    this.branchCache.clear();
    this.targetAddresses.fill(-1);
  });
  private namedFor: Symbolizer | undefined;
  private numberBase = -1n;
  private baseNumber = 0;
  /** iced codes of NO_WAIT_CODES. */
  private readonly noWait: ReadonlySet<number>;
  /** iced codes of X87_REGISTER_ALIASES, which objdump prints as `(bad)`. */
  private readonly x87Aliases: ReadonlySet<number>;
  /** iced codes of SEGMENT_MOVES. */
  private readonly segmentMoves: ReadonlySet<number>;
  /** iced codes of the branches REL8_SIZED_BY_66 names. */
  private readonly rel8Sized: ReadonlySet<number>;
  /** Handed back by every decode: the listing reads it before the next call. */
  private readonly result = new CachedResult();
  /** Texts by their bytes without the displacement (displacementShape): before and after its digits. */
  private readonly shapes = new ByteTable<{ before: string; after: string }>(CACHE_SIZE / 4, 19);
  private readonly shapeKey = new Uint8Array(19);
  /** The 64-bit general registers, as bases a displacement shape may have. */
  private readonly wideBases: ReadonlySet<number>;
  /** prefixUsed's answers, by the question and the instruction's bytes before any displacement. */
  private readonly prefixAnswers = new ByteTable<boolean>(PREFIX_ANSWERS, 20);
  private readonly prefixKey = new Uint8Array(20);
  /** structureLength's last answer, for the instruction at structureAt of structureOf. */
  private structureAt = -1;
  private structureOf: Uint8Array | undefined;
  private structure = 0;

  constructor(
    iced: IcedModule,
    readonly options: X86Options,
  ) {
    this.iced = iced;
    const f = new iced.Formatter(
      options.syntax === "intel" ? iced.FormatterSyntax.Intel : iced.FormatterSyntax.Gas,
    );
    f.uppercaseHex = false;
    f.smallHexNumbersInDecimal = false;
    f.branchLeadingZeros = false;
    f.spaceAfterOperandSeparator = false;
    f.alwaysShowScale = true;
    f.showUselessPrefixes = true;
    f.gasShowMnemonicSizeSuffix = options.suffix;
    this.formatter = f;
    this.instr = new iced.Instruction();
    // arpl with 66 (rm16, r16): objdump's arpl is always 16-bit, the 66 is `data16`.
    this.sameCode = new Map([
      [iced.Code.Nopq, iced.Code.Nopd],
      [iced.Code.Arpl_rm16_r16, iced.Code.Arpl_r32m16_r32],
    ]);
    this.noWait = new Set(NO_WAIT_CODES.map((name) => iced.Code[name]));
    this.segmentMoves = new Set(SEGMENT_MOVES.map((name) => iced.Code[name]));
    this.x87Aliases = new Set(X87_REGISTER_ALIASES.map((name) => iced.Code[name]));
    this.rel8Sized = new Set(
      Object.entries(iced.Code)
        .filter(([name]) => REL8_SIZED_BY_66.test(name))
        .map(([, code]) => code as number),
    );
    this.displacementSizes = new Int8Array(Object.keys(iced.Code).length).fill(-1);
    this.addrMask = options.bits === 64 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
    const R = iced.Register;
    this.wideBases = new Set([
      R.RAX,
      R.RCX,
      R.RDX,
      R.RBX,
      R.RSP,
      R.RBP,
      R.RSI,
      R.RDI,
      R.R8,
      R.R9,
      R.R10,
      R.R11,
      R.R12,
      R.R13,
      R.R14,
      R.R15,
    ]);
  }

  free(): void {
    this.decoder?.free();
    this.instr.free();
    this.formatter.free();
  }

  reg(r: number): string {
    let name = this.regNames.get(r);
    if (name === undefined) {
      name = this.formatter.formatRegister(r).replace(/^%/, "");
      this.regNames.set(r, name);
    }
    return name;
  }

  /** A register in AT&T syntax, where objdump spells the debug registers %db0-%db15 (Intel: dr0). */
  attReg(r: number): string {
    const name = this.reg(r);
    return name.startsWith("dr") ? `db${name.slice(2)}` : name;
  }

  /** Decodes the instruction at `bytes[offset]`, which sits at `base + offset`. */
  decode(
    bytes: Uint8Array,
    offset: number,
    base: bigint,
    symbolize: Symbolizer,
    limit = bytes.length,
  ): DecodedInstruction {
    const iced = this.iced;
    // A new window when the offset leaves this one, or when an instruction could reach past its end.
    const moved =
      offset < this.windowStart ||
      (offset + 16 > this.windowEnd && this.windowEnd < limit) ||
      this.windowEnd > limit;
    if (this.windowBytes !== bytes || moved) {
      this.decoder?.free();
      const end = Math.min(limit, offset + 0x10000);
      this.decoder = new iced.Decoder(
        this.options.bits,
        bytes.subarray(offset, end),
        iced.DecoderOptions.None,
      );
      this.windowBytes = bytes;
      this.windowStart = offset;
      this.windowEnd = end;
      this.nextOffset = -1;
    }
    // Observed: a REX prefix followed by another prefix is lost on the instruction; objdump prints it
    // alone (`rex.WB`), as one byte.
    if (
      this.options.bits === 64 &&
      offset + 1 < limit &&
      isRex(bytes[offset] as number) &&
      (isRex(bytes[offset + 1] as number) || LEGACY_PREFIX.has(bytes[offset + 1] as number))
    ) {
      this.nextOffset = -1;
      return { length: 1, text: rexName(bytes[offset] as number) };
    }
    const decoder = this.decoder as Iced.Decoder;
    // The decoder moves on by itself from one instruction to the next; it is told only of jumps.
    if (offset !== this.nextOffset) {
      decoder.position = offset - this.windowStart;
      decoder.ip = base + BigInt(offset);
    }
    const ins = this.instr;
    decoder.decodeOut(ins);
    // Each property of the instruction is a call into WASM: the code is read once (INVALID is 0).
    const code = ins.code;
    if (code === iced.Code.INVALID) {
      this.nextOffset = -1;
      // An instruction cut off by the end of the section prints as its first byte.
      // Observed: a prefix there prints as its name (`rex.R`, `addr32`), anything else as `.byte`.
      const undecoded = offset + 1 < limit ? X87_UNDECODED.get(twoBytes(bytes, offset)) : undefined;
      if (undecoded !== undefined) return { length: 2, text: undecoded };
      if (decoder.lastError === iced.DecoderError.NoMoreBytes) {
        const first = bytes[offset] as number;
        const is64 = this.options.bits === 64;
        const name =
          is64 && isRex(first) ? rexName(first) : first === 0x67 && !is64 ? "addr16" : PREFIX_NAME[first];
        // 8f /1-/7 that is not an XOP prefix (maps 8-10) is no instruction, however the bytes go on.
        const next = bytes[offset + 1];
        if (first === 0x8f && next !== undefined && (next & 0x38) !== 0 && !XOP_MAPS.has(next & 0x1f))
          return this.bad(bytes, offset, limit);
        return { length: 1, text: name ?? `.byte 0x${first.toString(16)}` };
      }
      const form = this.rejectedForm(bytes, offset, base, symbolize, limit);
      if (form) return form;
      if (bytes[offset] === 0xf0 && offset + 1 < limit) {
        const locked = this.lockedForm(bytes, offset, base, symbolize, limit);
        if (locked) return locked;
        this.nextOffset = -1;
      }
      return this.bad(bytes, offset, limit);
    }
    if (code === iced.Code.Wait && offset + 1 < limit && X87_ESCAPE.has(bytes[offset + 1] as number)) {
      const undecoded = offset + 2 < limit ? X87_UNDECODED.get(twoBytes(bytes, offset + 1)) : undefined;
      if (undecoded !== undefined) {
        this.nextOffset = -1;
        return { length: 3, text: undecoded };
      }
      const merged = this.waitingForm(ins, bytes, offset + 1, base, symbolize, limit);
      if (merged) return merged;
      this.nextOffset = -1;
      return { length: 1, text: "fwait" };
    }
    if (this.x87Aliases.has(code)) {
      this.nextOffset = -1;
      return this.bad(bytes, offset, limit);
    }
    if (this.options.bits === 32 && this.rel8Sized.has(code))
      return this.withoutOperandSize(bytes, offset, base, symbolize);
    const length = ins.length;
    this.nextOffset = offset + length;
    const result = this.result;
    result.length = length;
    if (!this.fromCache(result, code, bytes, offset, length, base, symbolize))
      result.text = this.formatted(ins, bytes, offset, length, symbolize);
    return result;
  }

  /**
   * fwait and the no-wait x87 control instruction after it print as one waiting instruction, as the
   * assembler writes them (9b d9 /7 `fstcw`, 9b db e2 `fclex`); the decoder has read the fwait.
   */
  private waitingForm(
    ins: Iced.Instruction,
    bytes: Uint8Array,
    offset: number,
    base: bigint,
    symbolize: Symbolizer,
    limit: number,
  ): DecodedInstruction | undefined {
    (this.decoder as Iced.Decoder).decodeOut(ins);
    if (ins.isInvalid || !this.noWait.has(ins.code) || offset + ins.length > limit) return undefined;
    const length = ins.length;
    this.nextOffset = offset + length;
    const text = this.text(ins, bytes, offset, length, base, symbolize);
    return { length: length + 1, text: renamed(text, (m) => `f${m.slice(2)}`) };
  }

  /** The instruction's text, from the cache or made now. */
  private text(
    ins: Iced.Instruction,
    bytes: Uint8Array,
    offset: number,
    length: number,
    base: bigint,
    symbolize: Symbolizer,
  ): string {
    const found = new CachedResult();
    if (this.fromCache(found, ins.code, bytes, offset, length, base, symbolize)) return found.text;
    return this.formatted(ins, bytes, offset, length, symbolize);
  }

  /**
   * The instruction's text from the cache, when the same bytes were seen before: into `result`, as
   * bytes. Text depends only on the bytes, except for a branch target or a RIP-relative operand's
   * address, which are computed here from the address and the displacement (a branch is cached
   * without its displacement bytes).
   */
  private fromCache(
    result: CachedResult,
    code: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
    base: bigint,
    symbolize: Symbolizer,
  ): boolean {
    const end = offset + length;
    let cached = this.cache.get(bytes, offset, end);
    if (cached === undefined) {
      const displacement = this.branchDisplacementSize(code);
      if (displacement > 0) cached = this.branchCache.get(bytes, offset, end - displacement);
    }
    if (cached === undefined) return false;
    result.encoded = cached.bytes;
    result.encodedTail =
      cached.kind === PLAIN ? undefined : this.targetText(cached, bytes, end, base, symbolize);
    return true;
  }

  /** The instruction's text made now, and kept in the cache if it can be. */
  private formatted(
    ins: Iced.Instruction,
    bytes: Uint8Array,
    offset: number,
    length: number,
    symbolize: Symbolizer,
  ): string {
    const shape = this.displacementShape(ins, bytes, offset, length);
    if (shape !== undefined) {
      const known = this.shapes.get(this.shapeKey, 0, shape.keyLength);
      if (known !== undefined) {
        // Kept whole as well: the same bytes again are then a plain cache hit.
        const text = `${known.before}${shape.text}${known.after}`;
        this.cache.add(bytes, offset, offset + length, {
          kind: PLAIN,
          bytes: this.pool.add(text),
          size: 0,
          mask: 0n,
          maskNumber: 0,
        });
        return text;
      }
    }
    this.lastAddressText = "";
    let text =
      this.options.syntax === "intel"
        ? formatIntel(this, ins, bytes, offset, symbolize)
        : this.formatAtt(ins, bytes, offset, symbolize);
    const only = X87_ONLY_ON[this.codeName(ins.code)];
    if (only !== undefined) text += only;
    const entry = this.cacheEntry(ins, text);
    const end = offset + length;
    if (entry?.kind === BRANCH) this.branchCache.add(bytes, offset, end - entry.size, entry);
    else if (entry !== undefined) this.cache.add(bytes, offset, end, entry);
    if (shape !== undefined && entry?.kind === PLAIN) {
      // The displacement's text, once, before its registers: the rest is the same for any value.
      const operand = `${shape.text}(`;
      const at = text.indexOf(operand);
      if (at >= 0 && text.indexOf(operand, at + 1) < 0)
        this.shapes.add(this.shapeKey, 0, shape.keyLength, {
          before: text.slice(0, at),
          after: text.slice(at + shape.text.length),
        });
    }
    return text;
  }

  /**
   * An instruction whose text differs from others only by its memory operand's displacement (most of
   * the texts not seen before: `mov 0x1b8(%rbx),%rax`): its bytes without the displacement go in
   * shapeKey, and the displacement's text is returned. AT&T in 64-bit code, a 64-bit base register,
   * an 8- or 32-bit displacement the bytes hold as is (not EVEX's scaled disp8), no address-size
   * prefix; else undefined.
   */
  private displacementShape(
    ins: Iced.Instruction,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): { keyLength: number; text: string } | undefined {
    if (this.options.syntax !== "att" || this.options.bits !== 64) return undefined;
    // iced's memoryDisplSize is the displacement's size after sign extension (8 for a disp32 here).
    if (ins.memoryDisplSize === 0 || !this.wideBases.has(ins.memoryBase)) return undefined;
    const co = (this.decoder as Iced.Decoder).getConstantOffsets(ins);
    const at = co.displacementOffset;
    const size = co.hasDisplacement ? co.displacementSize : 0;
    co.free();
    if ((size !== 1 && size !== 4) || length > 16) return undefined;
    const value = signedAt(bytes, offset + at, size);
    if (BigInt(value) !== BigInt.asIntN(64, ins.memoryDisplacementU64)) return undefined;
    for (let i = offset; i < offset + at && LEGACY_PREFIX.has(bytes[i] as number); i++)
      if (bytes[i] === 0x67) return undefined;
    const key = this.shapeKey;
    key[0] = at;
    key[1] = size;
    key[2] = length;
    let k = 3;
    for (let i = 0; i < length; i++) if (i < at || i >= at + size) key[k++] = bytes[offset + i] as number;
    return { keyLength: k, text: value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}` };
  }

  /**
   * The address a cached branch names, as text's bytes. Calls and jumps go to the same few thousand
   * addresses again and again: where the address is a plain number (below 2^53, inside the mask) its
   * text is remembered for the section (`symbolize` is the section's) in a slot its address picks (a
   * newer address takes an older one's slot), and the address is never made a BigInt.
   */
  private targetText(
    cached: CachedText,
    bytes: Uint8Array,
    end: number,
    base: bigint,
    symbolize: Symbolizer,
  ): PooledText {
    if (base !== this.numberBase) {
      this.numberBase = base;
      this.baseNumber = base < 1n << 52n ? Number(base) : Number.NaN;
    }
    if (symbolize !== this.namedFor) {
      this.namedFor = symbolize;
      this.targetAddresses.fill(-1);
    }
    const step = signedAt(bytes, end - cached.size, cached.size);
    const at = this.baseNumber + end + step;
    if (at >= 0 && at <= cached.maskNumber) {
      const slot = (at ^ (at >>> 13)) & (TARGET_NAMES - 1);
      if (this.targetAddresses[slot] === at) return this.targetNames[slot] as PooledText;
      // The digits from the number: a bigint's toString costs more.
      const text = this.pool.add(this.addressText(BigInt(at), symbolize, at.toString(16)));
      this.targetAddresses[slot] = at;
      this.targetNames[slot] = text;
      return text;
    }
    return this.pool.add(this.addressText((base + BigInt(end + step)) & cached.mask, symbolize));
  }

  /**
   * What of the text just made can be kept: all of it, or a near branch's all but the address at its
   * end. Not an instruction with a RIP-relative operand: its bytes hold its displacement, and the same
   * bytes at another address name another target (measured on /usr/bin/node: 2,018 hits for 44,985
   * such texts kept, against 5 million hits for the others).
   */
  private cacheEntry(ins: Iced.Instruction, text: string): CachedText | undefined {
    const K = this.iced.OpKind;
    const R = this.iced.Register;
    for (let i = 0; i < ins.opCount; i++) {
      const kind = ins.opKind(i);
      if (kind === K.NearBranch16 || kind === K.NearBranch32 || kind === K.NearBranch64) {
        const size = this.branchDisplacementSize(ins.code);
        const mask =
          kind === K.NearBranch16 ? 0xffffn : kind === K.NearBranch32 ? 0xffff_ffffn : this.addrMask;
        const tail = this.lastAddressText;
        if (size === 0 || tail === "" || !text.endsWith(tail)) return undefined;
        const bytes = this.pool.add(text.slice(0, text.length - tail.length));
        return { kind: BRANCH, bytes, size, mask, maskNumber: Number(mask) };
      }
      if (kind === K.Memory && (ins.memoryBase === R.RIP || ins.memoryBase === R.EIP)) return undefined;
    }
    return { kind: PLAIN, bytes: this.pool.add(text), size: 0, mask: 0n, maskNumber: 0 };
  }

  /** The bytes of a near branch's displacement (its code says rel8, rel16 or rel32), else 0. */
  private branchDisplacementSize(code: number): number {
    let size = this.displacementSizes[code] as number;
    if (size < 0) {
      const rel = /_rel(8|16|32)_/.exec(`${this.codeName(code)}_`);
      size = rel ? Number(rel[1]) / 8 : 0;
      this.displacementSizes[code] = size;
    }
    return size;
  }

  /** A near branch's target (operand kind `kind`), named as objdump names it. */
  branchText(ins: Iced.Instruction, kind: number, symbolize: Symbolizer): string {
    const K = this.iced.OpKind;
    const target =
      kind === K.NearBranch64
        ? ins.nearBranch64
        : kind === K.NearBranch32
          ? BigInt(ins.nearBranch32)
          : BigInt(ins.nearBranch16);
    return this.addressText(target & this.addrMask, symbolize);
  }

  /** An address as objdump names it; the last one made is kept, for the cache to cut off. */
  addressText(address: bigint, symbolize: Symbolizer, digits: string = hex(address)): string {
    const name = symbolize(address);
    // With no symbol to name it, objdump prints the bare address with 0x.
    this.lastAddressText =
      this.options.showAddresses === false ? name.trimStart() : name ? `${digits}${name}` : `0x${digits}`;
    return this.lastAddressText;
  }

  codeName(code: number): string {
    // wasm-bindgen's enums map both ways: Code[5] is "Add_rm8_r8".
    return (this.iced.Code as unknown as Record<number, string | undefined>)[code] ?? "";
  }

  private formatAtt(ins: Iced.Instruction, bytes: Uint8Array, offset: number, symbolize: Symbolizer): string {
    const iced = this.iced;
    const K = iced.OpKind;
    const code = this.codeName(ins.code);
    let mnemonic = this.formatter.formatMnemonicOptions(ins, iced.FormatMnemonicOptions.NoPrefixes);
    const count = ins.opCount;
    const ops: string[] = [];
    let comment = "";
    let hasMemory = false;
    // An operand a segment override applies to (not the fixed %es:(%rdi) of string instructions).
    let segmentable = false;
    for (let i = count - 1; i >= 0; i--) {
      const kind = ins.opKind(i);
      switch (kind) {
        case K.Register:
          // The port in in/out/ins/outs is written (%dx).
          if (ins.opRegister(i) === iced.Register.DX && PORT_IO.test(code)) ops.push("(%dx)");
          else ops.push(`%${this.attReg(ins.opRegister(i))}`);
          break;
        case K.NearBranch16:
        case K.NearBranch32:
        case K.NearBranch64:
          ops.push(this.branchText(ins, kind, symbolize));
          break;
        case K.FarBranch16:
        case K.FarBranch32:
          // objdump: `ljmp $selector,$offset`.
          ops.push(`$0x${hex(BigInt(ins.farBranchSelector))}`);
          ops.push(`$0x${hex(BigInt(kind === K.FarBranch16 ? ins.farBranch16 : ins.farBranch32))}`);
          break;
        case K.MemorySegSI:
        case K.MemorySegESI:
        case K.MemorySegRSI:
          hasMemory = true;
          segmentable = true;
          ops.push(`%${this.stringSegment(ins)}:(%${STRING_SOURCE[kind - K.MemorySegSI]})`);
          break;
        case K.MemorySegDI:
        case K.MemorySegEDI:
        case K.MemorySegRDI:
          hasMemory = true;
          // maskmov*'s implied (%rdi) is not written (below): an override on it is named.
          segmentable = !code.includes("askmov");
          ops.push(`%${this.reg(ins.memorySegment)}:(%${STRING_DEST[kind - K.MemorySegDI]})`);
          break;
        case K.MemoryESDI:
        case K.MemoryESEDI:
        case K.MemoryESRDI:
          hasMemory = true;
          ops.push(`%es:(%${STRING_DEST[kind - K.MemoryESDI]})`);
          break;
        case K.Memory: {
          hasMemory = true;
          segmentable = true;
          const mem = this.memoryAtt(
            ins,
            ins.memoryIndex === iced.Register.None ? sibByte(bytes, offset, this.options.bits) : undefined,
          );
          ops.push(ins.isBroadcast ? mem.text + broadcast(this.formatter.formatAllOperands(ins)) : mem.text);
          if (mem.ripTarget !== undefined)
            comment = `        # ${this.addressText(mem.ripTarget, symbolize)}`;
          break;
        }
        default: {
          const imm = immediateHex(ins, i, kind);
          if (imm !== undefined) ops.push(`$${imm}`);
        }
      }
    }
    const decorated = ins.roundingControl !== iced.RoundingControl.None || ins.suppressAllExceptions;
    // Shifts and rotates by an implicit 1 (D0/D1 /n): objdump prints no count.
    if (code.endsWith("_1") && ops[0] === "$0x1") ops.shift();
    // Compare predicates named in the mnemonic (vpcmpeqb, cmpltsd): iced's pseudo-op drops the immediate.
    // (iced's operand count includes a {sae} or rounding operand.)
    else if (
      count > 0 &&
      ins.opKind(count - 1) === K.Immediate8 &&
      this.formatter.operandCount(ins) - (decorated ? 1 : 0) === count - 1
    )
      ops.shift();
    // objdump writes the implicit %xmm0 of the SSE4.1 blends and sha256rnds2 as a first operand, and
    // leaves out the implicit (%rdi) maskmov* stores to.
    if (IMPLICIT_XMM0.has(code)) ops.unshift("%xmm0");
    else if (code.includes("askmov") && code.includes("_rDI_")) ops.pop();
    // movsxd with a 66 prefix: objdump names its register source at 32 bits (`movsxd %eax,%cx`).
    else if (code === "Movsxd_r16_rm16" && ins.opKind(1) === K.Register)
      ops[0] = `%${dword(this.reg(ins.opRegister(1)))}`;
    if (code.startsWith("F")) x87Operands(code, ops);
    else if (code.startsWith("Xlat_")) ops[0] = `%${this.stringSegment(ins)}:(%${this.reg(ins.memoryBase)})`;
    else if (code === "Nopd" || code === "Nopq") mnemonic = "nop";
    // D0-D3 and C0/C1 /6, SAL's second encoding: objdump calls it shl.
    else if (code.startsWith("Sal_")) mnemonic = `shl${mnemonic.slice(3)}`;
    // objdump keeps enter's and bound's operands in Intel order: `enter $0x10,$0x0`, `bound %esp,(%ecx)`.
    else if (code.startsWith("Enter") || code.startsWith("Bound")) ops.reverse();
    // objdump's arpl is 16-bit: `arpl %di,0x61(%eax)`.
    else if (code === "Arpl_r32m16_r32")
      for (let i = 0; i < ops.length; i++) ops[i] = (ops[i] as string).replace(/^%e([a-z]{2})$/, "%$1");
    else if (code === "Nopw") {
      mnemonic = "xchg";
      ops.push("%ax", "%ax");
    }
    if (ins.opMask !== iced.Register.None || ins.zeroingMasking) {
      const last = ops.length - 1;
      ops[last] +=
        `${ins.opMask !== iced.Register.None ? `{%${this.reg(ins.opMask)}}` : ""}${ins.zeroingMasking ? "{z}" : ""}`;
    }
    if (decorated) {
      // Measured: objdump writes {sae} or the rounding mode after any immediates, before the ModRM
      // operand; for the integer-to-scalar conversions after that general register.
      let at = 0;
      while (at < ops.length && (ops[at] as string).startsWith("$")) at++;
      if (SAE_AFTER_SOURCE.test(code)) at++;
      const mode = ins.roundingControl !== iced.RoundingControl.None ? ROUNDING[ins.roundingControl] : "sae";
      ops.splice(at, 0, `{${mode}}`);
    }
    const flow = ins.flowControl;
    const indirect = flow === iced.FlowControl.IndirectBranch || flow === iced.FlowControl.IndirectCall;
    if (indirect) ops[0] = `*${ops[0]}`;
    if (this.options.suffix) {
      mnemonic = this.suffixMnemonic(mnemonic, code);
      if (SWAPPED_CODES.has(code) && ins.opKind(0) === K.Register && ins.opKind(1) === K.Register)
        mnemonic += ".s";
    } else if (this.options.bits === 64 && FAR_DEFAULT_SIZE.has(code)) mnemonic = mnemonic.slice(0, -1);
    else if (indirect) mnemonic = INDIRECT_MNEMONIC[mnemonic] ?? mnemonic;
    else if (hasMemory) mnemonic = MEMORY_MNEMONIC[mnemonic] ?? mnemonic;
    const prefixes = this.prefixNames(ins, bytes, offset, segmentable);
    mnemonic += this.branchHint(ins, bytes, offset);
    if (this.vexEncodable(ins, code)) mnemonic = `{evex} ${mnemonic}`;
    const head = prefixes ? `${prefixes} ${mnemonic}` : mnemonic;
    if (ops.length === 0) return head;
    return `${head.padEnd(6)} ${ops.join(",")}${comment}`;
  }

  /**
   * A lock prefix on an instruction that cannot be locked (iced: invalid): objdump decodes the rest
   * and names the prefix (`lock xchg %ebx,%ebx`, `lock xor (%rdx),%al`; measured on data in ls -D).
   */
  private lockedForm(
    bytes: Uint8Array,
    offset: number,
    base: bigint,
    symbolize: Symbolizer,
    limit: number,
  ): DecodedInstruction | undefined {
    const rest = this.decode(bytes, offset + 1, base, symbolize, limit);
    if (rest.text.endsWith("(bad)") || rest.text.startsWith(".byte")) return undefined;
    return { length: rest.length + 1, text: renamed(rest.text, (m) => `lock ${m}`) };
  }

  /**
   * An instruction iced rejects that objdump decodes (see x86-forms.ts): a segment-register mov with a
   * reg field iced has no register for, or an x87 memory form no instruction has. Decoded with the reg
   * field set to 0 (es; fadd/fld/fiadd/fild), whose text then gets objdump's register name or `(bad)`.
   */
  private rejectedForm(
    bytes: Uint8Array,
    offset: number,
    base: bigint,
    symbolize: Symbolizer,
    limit: number,
  ): DecodedInstruction | undefined {
    const is64 = this.options.bits === 64;
    let at = offset;
    while (at < limit && (LEGACY_PREFIX.has(bytes[at] as number) || (is64 && isRex(bytes[at] as number))))
      at++;
    const op = bytes[at] as number;
    const modrm = bytes[at + 1];
    if (modrm === undefined || at + 1 >= limit) return undefined;
    const reg = (modrm >> 3) & 7;
    const segmentMove = isUndecodedSegmentMove(op, reg);
    const x87Hole = modrm < 0xc0 && X87_MEMORY_HOLES.has(x87HoleKey(op, reg));
    if (!segmentMove && !x87Hole) return undefined;
    const copy = bytes.slice(offset, Math.min(limit, offset + 15));
    copy[at + 1 - offset] = modrm & ~0x38;
    const rest = this.decode(copy, 0, base + BigInt(offset), symbolize, copy.length);
    const text = rest.text;
    const length = rest.length;
    this.nextOffset = -1;
    const intel = this.options.syntax === "intel";
    // Cut off by the section's end, the form prints as decode prints its first byte.
    const mnemonic = /(^|\s)(mov|f[a-z]+)(\s+|$)/.exec(text);
    if (mnemonic === null) return { length, text };
    if (segmentMove) {
      // The register is the only operand named es without a following `:` (an override has one).
      const name = `${intel ? "" : "%"}${SEGMENT_REGISTER[reg]}`;
      const head = text.slice(0, mnemonic.index + mnemonic[0].length);
      const ops = text.slice(head.length).replace(intel ? /\bes(?![:\w])/ : /%es(?![:\w])/, name);
      return { length, text: head + ops };
    }
    // x87: the memory operand without its size (Intel `DWORD PTR`).
    const head = `${text.slice(0, mnemonic.index + mnemonic[1].length)}(bad)`;
    let operand = text.slice(mnemonic.index + mnemonic[0].length);
    if (intel) operand = operand.replace(/^\w+ PTR /, "");
    return { length, text: `${head.padEnd(6)} ${operand}` };
  }

  /**
   * A REL8_SIZED_BY_66 branch in 32-bit code: decoded without its 66 prefixes, each of which is named
   * `data16` before it.
   */
  private withoutOperandSize(
    bytes: Uint8Array,
    offset: number,
    base: bigint,
    symbolize: Symbolizer,
  ): DecodedInstruction {
    const length = (this.instr as Iced.Instruction).length;
    const kept: number[] = [];
    // The opcode and displacement are the last two bytes: only the prefixes before them are dropped.
    const opcode = offset + length - 2;
    for (let i = offset; i < offset + length; i++)
      if (i >= opcode || bytes[i] !== 0x66) kept.push(bytes[i] as number);
    const copy = Uint8Array.from(kept);
    const dropped = length - copy.length;
    const rest = this.decode(copy, 0, base + BigInt(offset + dropped), symbolize, copy.length);
    this.nextOffset = -1;
    // The data16s go where their bytes were among the prefixes the rest's text names (`cs data16 jns`;
    // a cs the hint took leaves none before them: `data16 jns,pn`).
    let before = 0;
    while (bytes[offset + before] !== 0x66) before++;
    const words = rest.text.split(" ");
    let named = 0;
    while (named < before && BRANCH_PREFIX_NAMES.has(words[named] as string)) named++;
    const head = words.slice(0, named).join(" ");
    const tail = words.slice(named).join(" ");
    const data16 = Array(dropped).fill("data16").join(" ");
    return { length, text: renamed(tail, (m) => `${head ? `${head} ` : ""}${data16} ${m}`) };
  }

  /**
   * Bytes no instruction starts with, as objdump prints them: its prefixes named, `(bad)`, and a length
   * that takes in the prefixes and the opcode bytes but not a ModRM byte (measured on `objdump -D` of
   * data: `gs (bad)` for 65 ce, `(bad)` over 0f 00 and over the 5 bytes of an EVEX prefix and opcode).
   */
  private bad(bytes: Uint8Array, offset: number, limit: number): DecodedInstruction {
    const names: string[] = [];
    const is64 = this.options.bits === 64;
    let at = offset;
    for (; at < limit; at++) {
      const b = bytes[at] as number;
      if (is64 && isRex(b)) continue;
      const name = PREFIX_NAME[b];
      if (name === undefined) break;
      names.push(name);
    }
    const op = bytes[at];
    const next = bytes[at + 1];
    const xop = op === 0x8f && XOP_MAPS.has((next ?? 0) & 0x1f);
    // A REX counts only right before an opcode (one another prefix follows is decode's first case), and
    // is not named before a VEX, EVEX or XOP prefix.
    const vexLike = op === 0xc4 || op === 0xc5 || op === 0x62 || xop;
    if (at !== offset && is64 && isRex(bytes[at - 1] as number) && !vexLike)
      names.push(rexName(bytes[at - 1] as number));
    let opcode = 1;
    if (op === 0x0f) opcode = next === 0x38 || next === 0x3a ? 3 : 2;
    else if (is64 && op === 0xc5) opcode = 3;
    // A VEX or EVEX prefix naming no opcode map ends at its first byte.
    else if (is64 && op === 0xc4) opcode = VEX_MAPS.has((next ?? 0) & 0x1f) ? 4 : 1;
    else if (is64 && op === 0x62)
      // ... (its reserved bit 3 set too); one whose next byte lacks its fixed 1 bit ends after two.
      opcode = !EVEX_MAPS.has((next ?? 0) & 0xf) ? 1 : ((bytes[at + 2] ?? 0) & 4) === 0 ? 2 : 5;
    // XOP (8f with map 8, 9 or 10): its two payload bytes and the opcode.
    else if (is64 && xop) opcode = 4;
    // A register-form x87 escape's ModRM is part of its opcode (a memory form is left as one byte).
    else if (op !== undefined && op >= 0xd8 && op <= 0xdf && ((next ?? 0) & 0xc0) === 0xc0) opcode = 2;
    const length = Math.max(1, Math.min(at + opcode, limit) - offset);
    return { length, text: names.length ? `${names.join(" ")} (bad)` : "(bad)" };
  }

  /** An EVEX instruction VEX could have encoded, which objdump marks `{evex}` (see x86-evex.ts). */
  vexEncodable(ins: Iced.Instruction, code: string): boolean {
    if (!VEX_ENCODABLE_EVEX_CODES.has(code)) return false;
    const R = this.iced.Register;
    if (ins.opMask !== R.None || ins.zeroingMasking || ins.isBroadcast) return false;
    if (ins.roundingControl !== this.iced.RoundingControl.None || ins.suppressAllExceptions) return false;
    const high = (r: number) => (r >= R.XMM16 && r <= R.XMM31) || (r >= R.YMM16 && r <= R.YMM31);
    for (let i = 0; i < ins.opCount; i++)
      if (ins.opKind(i) === this.iced.OpKind.Register && high(ins.opRegister(i))) return false;
    return !high(ins.memoryIndex);
  }

  /**
   * -M suffix: iced's GAS mnemonic with its size suffix, where objdump's differs (measured against
   * objdump -d -M suffix on ls and libc): no `b` on setcc, none on the x87 control-word stores and
   * loads, a `q` (`l` in 32-bit code) on a near jmp with a 32-bit displacement, `xbeginq`, no suffix on bswap, `xchgw` for the 66 90 nop.
   */
  private suffixMnemonic(mnemonic: string, code: string): string {
    if (code.startsWith("Set") && mnemonic.endsWith("b")) return mnemonic.slice(0, -1);
    if (code === "Nopw") return "xchgw";
    if (code === "Jmp_rel32_64") return "jmpq";
    if (code === "Jmp_rel32_32") return "jmpl";
    if (code === "Xbegin_rel32" && this.options.bits === 64) return "xbeginq";
    return SUFFIX_MNEMONIC[mnemonic] ?? mnemonic;
  }

  /**
   * The names objdump prints for prefixes the instruction does not use: `cs`/`ds`/`es`/`ss` in 64-bit
   * code, `data16` for a 66 that changes nothing, `rex.W` and friends, `lock`, `rep`/`repz`/`repnz`,
   * `bnd`, `notrack`, `addr32`.
   */
  prefixNames(ins: Iced.Instruction, bytes: Uint8Array, offset: number, segmentable: boolean): string {
    const names: string[] = [];
    // The last segment prefix is taken by a branch hint, and by the ds: a string source or xlat's table
    // is read through (stringSegment), even where the override does not apply.
    const taken = this.branchHint(ins, bytes, offset) !== "" || readsThroughDs(ins, this.iced);
    const end = offset + ins.length;
    let at = offset;
    let rex = -1;
    let opsize = 0;
    let count66 = 0;
    let segments = 0;
    for (let i = offset; i < end && LEGACY_PREFIX.has(bytes[i] as number); i++) {
      if (bytes[i] === 0x66) count66++;
      else if (SEGMENT_NAME[bytes[i] as number]) segments++;
    }
    const R = this.iced.Register;
    const is64 = this.options.bits === 64;
    for (; at < end; at++) {
      const b = bytes[at] as number;
      if (is64 && b >= 0x40 && b <= 0x4f) {
        rex = at;
        continue;
      }
      if (!LEGACY_PREFIX.has(b)) break;
      rex = -1;
      switch (b) {
        case 0xf0:
          names.push("lock");
          break;
        case 0xf3:
          if (ins.hasRepePrefix)
            names.push(isStringOp(ins, this.iced) && !isCompareString(ins, this.iced) ? "rep" : "repz");
          break;
        case 0xf2:
          if (ins.hasRepnePrefix) names.push(isBranch(ins, this.iced) ? "bnd" : "repnz");
          break;
        case 0x66:
          // Only the last of several 66s can size the operands; the others are data16.
          opsize++;
          if (opsize < count66 || !this.prefixUsed(ins, bytes, offset, 0x66)) names.push("data16");
          break;
        case 0x67:
          if (!this.prefixUsed(ins, bytes, offset, 0x67)) names.push(is64 ? "addr32" : "addr16");
          break;
        default: {
          const seg = SEGMENT_NAME[b] as string;
          const segReg = ins.segmentPrefix;
          // Only the last segment prefix counts, and only on an operand it can apply to.
          segments--;
          const applies = segmentable && segReg !== R.None && (!is64 || segReg === R.FS || segReg === R.GS);
          const used = segments === 0 && (taken || applies);
          if (
            b === 0x3e &&
            (ins.flowControl === this.iced.FlowControl.IndirectBranch ||
              ins.flowControl === this.iced.FlowControl.IndirectCall)
          )
            names.push("notrack");
          else if (!used) names.push(seg);
        }
      }
    }
    if (rex >= 0 && !this.rexUsed(ins, bytes, offset, rex)) names.push(rexName(bytes[rex] as number));
    return names.join(" ");
  }

  /**
   * The segment a string instruction's source or xlat's table is read through. In 64-bit code objdump
   * writes %ds for any override but fs and gs, the ones the CPU honours (`2e a5` is
   * `movsl %ds:(%rsi),%es:(%rdi)`, `64 2e a5` `fs movsl %fs:(%rsi),...`).
   */
  stringSegment(ins: Iced.Instruction): string {
    const R = this.iced.Register;
    const seg = ins.memorySegment;
    return this.options.bits === 64 && seg !== R.FS && seg !== R.GS ? "ds" : this.reg(seg);
  }

  /**
   * A conditional branch's hint, which AT&T writes in the mnemonic (-M intel does not): `jns,pn` (not
   * taken) for a 2e among the prefixes, `,pt` (taken) for a 3e, none when both are there. Measured:
   * the hint takes the last segment prefix whichever it is (`2e 64 79 xx` is `cs jns,pn`).
   */
  branchHint(ins: Iced.Instruction, bytes: Uint8Array, offset: number): string {
    if (this.options.syntax !== "att" || ins.flowControl !== this.iced.FlowControl.ConditionalBranch)
      return "";
    let cs = false;
    let ds = false;
    const end = offset + ins.length;
    const is64 = this.options.bits === 64;
    for (let at = offset; at < end; at++) {
      const b = bytes[at] as number;
      if (b === 0x2e) cs = true;
      else if (b === 0x3e) ds = true;
      else if (!LEGACY_PREFIX.has(b) && !(is64 && isRex(b))) break;
    }
    return cs === ds ? "" : cs ? ",pn" : ",pt";
  }

  /**
   * Whether the instruction uses every bit its REX prefix (at `rex`) sets; objdump names the prefix
   * when one is not (`rex.XB pop %r15`: X is unused), or when a bare 0x40 changes nothing.
   */
  private rexUsed(ins: Iced.Instruction, bytes: Uint8Array, offset: number, rex: number): boolean {
    const value = bytes[rex] as number;
    if ((value & 0xf) === 0) return this.prefixUsed(ins, bytes, offset, value, rex);
    for (let bit = 8; bit >= 1; bit >>= 1)
      if (value & bit && !this.prefixUsed(ins, bytes, offset, value, rex, value & ~bit)) return false;
    return true;
  }

  /**
   * Whether the instruction changes when the prefix bytes `value` (or only the one at `only`) are
   * dropped from its prefixes, or the one at `only` is replaced by `replacement`.
   */
  private prefixUsed(
    ins: Iced.Instruction,
    bytes: Uint8Array,
    offset: number,
    value: number,
    only = -1,
    replacement = -1,
  ): boolean {
    // The answer depends on the prefixes, opcode, ModRM and SIB, not on the values of a displacement
    // or a wide immediate (their sizes follow from the rest): remembered by those bytes.
    const key = this.prefixKey;
    const n = this.structureLength(ins, bytes, offset);
    key[0] = ins.length;
    key[1] = value;
    key[2] = only < 0 ? 0xff : only - offset;
    key[3] = replacement < 0 ? 0 : 1;
    key[4] = replacement < 0 ? 0 : replacement;
    key.set(bytes.subarray(offset, offset + n), 5);
    let used = this.prefixAnswers.get(key, 0, 5 + n);
    if (used === undefined) {
      used = this.decodesOtherwise(ins, bytes, offset, value, only, replacement);
      this.prefixAnswers.add(key, 0, 5 + n, used);
    }
    return used;
  }

  /**
   * The bytes of the instruction at `offset` before its displacement or a wide immediate: the decoder
   * says where those are, for the instruction it decoded last (which `ins` is).
   */
  private structureLength(ins: Iced.Instruction, bytes: Uint8Array, offset: number): number {
    if (this.structureAt !== offset || this.structureOf !== bytes) {
      const co = (this.decoder as Iced.Decoder).getConstantOffsets(ins);
      let end = ins.length;
      if (co.hasDisplacement) end = Math.min(end, co.displacementOffset);
      if (co.hasImmediate && co.immediateSize > 1) end = Math.min(end, co.immediateOffset);
      co.free();
      this.structureAt = offset;
      this.structureOf = bytes;
      this.structure = end;
    }
    return this.structure;
  }

  /** Whether the instruction decodes otherwise with the prefix dropped or replaced (prefixUsed). */
  private decodesOtherwise(
    ins: Iced.Instruction,
    bytes: Uint8Array,
    offset: number,
    value: number,
    only: number,
    replacement: number,
  ): boolean {
    const iced = this.iced;
    const end = offset + ins.length;
    const kept: number[] = [];
    let at = offset;
    for (; at < end; at++) {
      const b = bytes[at] as number;
      const isPrefix = LEGACY_PREFIX.has(b) || (this.options.bits === 64 && b >= 0x40 && b <= 0x4f);
      if (!isPrefix) break;
      if (only >= 0 ? at !== only : b !== value) kept.push(b);
      else if (replacement >= 0) kept.push(replacement);
    }
    const without = Uint8Array.from([...kept, ...bytes.subarray(at, end)]);
    const d = new iced.Decoder(this.options.bits, without, iced.DecoderOptions.None);
    const other = d.decode();
    d.free();
    // A sameCode pair prints alike: its registers' sizes are the code's, not the prefix's. So do the
    // memory forms of a segment-register mov, whatever 66 or REX.W says (`data16 mov %es,(%eax)`).
    const alias =
      this.sameCode.get(ins.code) === other.code ||
      (this.segmentMoves.has(ins.code) && this.segmentMoves.has(other.code) && hasMemoryOperand(ins, iced));
    let same =
      (other.code === ins.code || alias) && other.opCount === ins.opCount && other.length === without.length;
    for (let i = 0; same && i < ins.opCount; i++) {
      const kind = ins.opKind(i);
      if (other.opKind(i) !== kind) same = false;
      else if (kind === iced.OpKind.Register) same = alias || other.opRegister(i) === ins.opRegister(i);
      else if (kind === iced.OpKind.Memory)
        same = other.memoryBase === ins.memoryBase && other.memoryIndex === ins.memoryIndex;
    }
    other.free();
    return !same;
  }

  /** The SIB byte of the instruction at `offset`, if its ModRM has one. */
  sib(bytes: Uint8Array, offset: number): number | undefined {
    return sibByte(bytes, offset, this.options.bits);
  }

  /** The address size a memory operand's registers imply: a displacement is signed at that width. */
  addressBits(base: number, index: number): number {
    const name = this.reg(base !== this.iced.Register.None ? base : index);
    if (/^e|^r\d+d$/.test(name)) return 32;
    if (name.length === 2 && this.options.bits === 32) return 16;
    return this.options.bits;
  }

  private memoryAtt(ins: Iced.Instruction, sib: number | undefined): { text: string; ripTarget?: bigint } {
    const R = this.iced.Register;
    const seg = ins.segmentPrefix;
    // In 64-bit code only %fs and %gs overrides take effect; the others print as prefixes.
    const segText =
      seg !== R.None && (this.options.bits === 32 || seg === R.FS || seg === R.GS)
        ? `%${this.reg(seg)}:`
        : "";
    const base = ins.memoryBase;
    const index = ins.memoryIndex;
    if (base === R.RIP || base === R.EIP) {
      const target = ins.memoryDisplacementU64;
      const disp = BigInt.asIntN(32, target - ins.nextIP);
      return { text: `${segText}${signedHex(disp)}(%${this.reg(base)})`, ripTarget: target & this.addrMask };
    }
    const disp = ins.memoryDisplacementU64;
    if (base === R.None && index === R.None) return { text: `${segText}0x${hex(disp & this.addrMask)}` };
    const dispText =
      ins.memoryDisplSize > 0 ? signedHex(BigInt.asIntN(this.addressBits(base, index), disp)) : "";
    const b = base !== R.None ? `%${this.reg(base)}` : "";
    const bits16 = this.addressBits(base, index) === 16;
    let x = index !== R.None ? `,%${this.reg(index)}${bits16 ? "" : `,${ins.memoryIndexScale}`}` : "";
    if (index === R.None && base !== R.None && sib !== undefined && (sib & 0x38) === 0x20) {
      // A SIB byte with no index: objdump shows it as %eiz/%riz unless it is the plain (%esp) form.
      const scale = 1 << (sib >> 6);
      if ((sib & 7) !== 4 || scale !== 1)
        x = `,%${this.addressBits(base, index) === 32 ? "eiz" : "riz"},${scale}`;
    }
    return { text: `${segText}${dispText}(${b}${x})` };
  }
}

/** The first bytes of x87 instructions. */
const X87_ESCAPE = new Set([0xd9, 0xdb, 0xdd, 0xdf]);
/** The no-wait control instructions fwait joins. */
const NO_WAIT_CODES = [
  "Fnstenv_m14byte",
  "Fnstenv_m28byte",
  "Fnstcw_m2byte",
  "Fnclex",
  "Fninit",
  "Fnsave_m94byte",
  "Fnsave_m108byte",
  "Fnstsw_m2byte",
  "Fnstsw_AX",
  "Fneni",
  "Fndisi",
  "Fnsetpm",
] as const;

const PLAIN = 0;
const BRANCH = 1;
/** Instruction texts kept before the cache starts again, which bounds its memory. */
const CACHE_SIZE = 1 << 17;

/** An instruction's text with its mnemonic changed, the operands padded to column 7 again. */
function renamed(text: string, rename: (mnemonic: string) => string): string {
  const space = text.indexOf(" ");
  const mnemonic = rename(space < 0 ? text : text.slice(0, space));
  const operands = space < 0 ? "" : text.slice(space).trimStart();
  return operands ? `${mnemonic.padEnd(6)} ${operands}` : mnemonic;
}

/** A 16-bit general register's 32-bit name: ax -> eax, r9w -> r9d. */
function dword(name: string): string {
  return /^r\d+w$/.test(name) ? `${name.slice(0, -1)}d` : `e${name}`;
}

/** EVEX conversions from a general register whose {rn-sae} objdump writes after that register. */
const SAE_AFTER_SOURCE = /^EVEX_Vcvtu?si2s[sdh]_/;

/** Legacy-encoded instructions with an implicit %xmm0 operand iced does not list (measured: objdump shows it). */
const IMPLICIT_XMM0 = new Set([
  "Blendvps_xmm_xmmm128",
  "Blendvpd_xmm_xmmm128",
  "Pblendvb_xmm_xmmm128",
  "Sha256rnds2_xmm_xmmm128",
]);

/**
 * Far returns, iret and far jmp/call through memory at their default 32-bit operand size in 64-bit
 * code: iced's GAS text has an `l` suffix (`lretl`, `iretl`, `ljmpl`), objdump none (`lret`, `iret`,
 * `ljmp *..`; measured on crafted bytes: with REX.W it is `lretq`, with 66 `lretw`, as iced prints).
 */
const FAR_DEFAULT_SIZE = new Set(["Retfd", "Retfd_imm16", "Iretd", "Jmp_m1632", "Call_m1632"]);

/** How many answers prefixUsed remembers before it starts again. */
const PREFIX_ANSWERS = 1 << 16;

/** How many target names targetText remembers (a power of two). */
const TARGET_NAMES = 1 << 16;

interface CachedText {
  kind: typeof PLAIN | typeof BRANCH;
  /** The whole text (PLAIN), or the text up to the address that ends it, as bytes. */
  bytes: PooledText;
  /** A branch's displacement bytes, at the end of the instruction. */
  size: number;
  /** The width the address wraps at. */
  mask: bigint;
  /** The same, as a number (2^64-1 rounds up: every number below 2^53 is inside it). */
  maskNumber: number;
}

/** The prefix names a branch's text can start with. */
const BRANCH_PREFIX_NAMES = new Set(["es", "cs", "ss", "ds", "fs", "gs", "bnd", "repz", "lock", "addr16"]);

/** The two bytes at `at`, the first as the high byte (X87_UNDECODED's keys). */
function twoBytes(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

/** The little-endian signed integer of `size` bytes at `at`. */
function signedAt(bytes: Uint8Array, at: number, size: number): number {
  if (size === 1) return ((bytes[at] as number) << 24) >> 24;
  if (size === 2) return (((bytes[at] as number) | ((bytes[at + 1] as number) << 8)) << 16) >> 16;
  return (
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  );
}

function signedHex(v: bigint): string {
  return v < 0n ? `-0x${hex(-v)}` : `0x${hex(v)}`;
}

/** A disassembler for the ELF machine, loading iced-x86 on first use. */
export async function x86Disassembler(options: X86Options): Promise<X86Disassembler> {
  return new X86Disassembler(await loadIced(), options);
}

/** Operand `i` as objdump writes an immediate (`0x10`, without AT&T's `$`), if it is one. */
export function immediateHex(ins: Iced.Instruction, i: number, kind: number): string | undefined {
  const mask = IMMEDIATE_MASK[kind];
  return mask === undefined ? undefined : `0x${hex(ins.immediate(i) & mask)}`;
}

/** The width objdump shows an immediate in (by iced OpKind): its operand size, the sign extension done. */
const IMMEDIATE_MASK: Record<number, bigint> = {
  6: 0xffn, // Immediate8
  7: 0xffn, // Immediate8_2nd
  8: 0xffffn, // Immediate16
  9: 0xffff_ffffn, // Immediate32
  10: 0xffff_ffff_ffff_ffffn, // Immediate64
  11: 0xffffn, // Immediate8to16
  12: 0xffff_ffffn, // Immediate8to32
  13: 0xffff_ffff_ffff_ffffn, // Immediate8to64
  14: 0xffff_ffff_ffff_ffffn, // Immediate32to64
};

/** The SIB byte of the instruction at `offset`, if its ModRM has one (32/64-bit addressing). */
function sibByte(bytes: Uint8Array, offset: number, bits: number): number | undefined {
  let at = offset;
  let addr32 = bits !== 16;
  for (;;) {
    const b = bytes[at] as number;
    if (b === 0x67) addr32 = bits === 64 || !addr32;
    if (LEGACY_PREFIX.has(b) || (bits === 64 && b >= 0x40 && b <= 0x4f)) at++;
    else break;
  }
  const b = bytes[at] as number;
  if (b === 0xc5 && (bits === 64 || ((bytes[at + 1] as number) & 0xc0) === 0xc0)) at += 3;
  else if (b === 0xc4 && (bits === 64 || ((bytes[at + 1] as number) & 0xc0) === 0xc0)) at += 4;
  else if (b === 0x8f && ((bytes[at + 1] as number) & 0x38) !== 0)
    at += 4; // XOP; 8f /0 is pop
  else if (b === 0x62 && (bits === 64 || ((bytes[at + 1] as number) & 0xc0) === 0xc0)) at += 5;
  else if (b === 0x0f) {
    const c = bytes[at + 1] as number;
    at += c === 0x38 || c === 0x3a ? 3 : 2;
  } else at += 1;
  const modrm = bytes[at] as number;
  if (!addr32 || modrm >> 6 === 3 || (modrm & 7) !== 4) return undefined;
  return bytes[at + 1];
}

const PORT_IO = /^(In|Out|Ins|Outs)[bwd]?_|^(In|Out|Insb|Insw|Insd|Outsb|Outsw|Outsd)_/;

/** Embedded rounding, by iced's RoundingControl. */
export const ROUNDING = ["", "rn-sae", "rd-sae", "ru-sae", "rz-sae"];

/** The `{1toN}` iced prints on a broadcast memory operand. */
function broadcast(text: string): string {
  return /\{1to\d+\}/.exec(text)?.[0] ?? "";
}

/** The registers of string operands, by iced's OpKind order (16, 32, 64-bit addressing). */
export const STRING_SOURCE = ["si", "esi", "rsi"];
export const STRING_DEST = ["di", "edi", "rdi"];
const LEGACY_PREFIX = new Set([0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]);
/**
 * The opcode maps a VEX (0F, 0F38, 0F3A) and an EVEX prefix (and AVX512-FP16's maps 5 and 6) name; for
 * EVEX with its reserved bit 3, which must be 0.
 */
const VEX_MAPS = new Set([1, 2, 3]);
const EVEX_MAPS = new Set([1, 2, 3, 5, 6]);
/** AMD's XOP maps (8f prefix). */
const XOP_MAPS = new Set([8, 9, 10]);

/** Legacy prefixes as objdump names them when nothing uses them. */
const PREFIX_NAME: Record<number, string> = {
  240: "lock",
  242: "repnz",
  243: "repz",
  46: "cs",
  54: "ss",
  62: "ds",
  38: "es",
  100: "fs",
  101: "gs",
  102: "data16",
  103: "addr32",
};
const SEGMENT_NAME: Record<number, string> = { 38: "es", 46: "cs", 54: "ss", 62: "ds", 100: "fs", 101: "gs" };

/** iced's GAS mnemonics for indirect jumps and calls carry a size suffix objdump leaves off. */
const INDIRECT_MNEMONIC: Record<string, string> = { jmpq: "jmp", callq: "call", jmpl: "jmp", calll: "call" };
/** -M suffix: iced's mnemonics objdump spells without the doubled suffix. */
const SUFFIX_MNEMONIC: Record<string, string> = {
  bswapl: "bswap",
  bswapq: "bswap",
  fldcww: "fldcw",
  fnstcww: "fnstcw",
  fstcww: "fstcw",
  fnstsww: "fnstsw",
  fstsww: "fstsw",
};
/** Stack operations on memory: objdump prints the default size without a suffix. */
const MEMORY_MNEMONIC: Record<string, string> = { pushq: "push", popq: "pop", pushl: "push", popl: "pop" };

function isRex(b: number): boolean {
  return b >= 0x40 && b <= 0x4f;
}

function rexName(b: number): string {
  const bits = `${b & 8 ? "W" : ""}${b & 4 ? "R" : ""}${b & 2 ? "X" : ""}${b & 1 ? "B" : ""}`;
  return bits ? `rex.${bits}` : "rex";
}

function isStringOp(ins: Iced.Instruction, iced: IcedModule): boolean {
  const K = iced.OpKind;
  for (let i = 0; i < ins.opCount; i++) {
    const k = ins.opKind(i);
    if (k >= K.MemorySegSI && k <= K.MemoryESRDI) return true;
  }
  return false;
}

function hasMemoryOperand(ins: Iced.Instruction, iced: IcedModule): boolean {
  for (let i = 0; i < ins.opCount; i++) if (ins.opKind(i) === iced.OpKind.Memory) return true;
  return false;
}

/** A string instruction with a ds:[rsi] source (movs, cmps, lods, outs), or xlat. */
function readsThroughDs(ins: Iced.Instruction, iced: IcedModule): boolean {
  const K = iced.OpKind;
  for (let i = 0; i < ins.opCount; i++) {
    const k = ins.opKind(i);
    if (k >= K.MemorySegSI && k <= K.MemorySegRSI) return true;
  }
  return ins.mnemonic === iced.Mnemonic.Xlatb;
}

function isCompareString(ins: Iced.Instruction, iced: IcedModule): boolean {
  const m = ins.mnemonic;
  return (
    m === iced.Mnemonic.Cmpsb ||
    m === iced.Mnemonic.Cmpsw ||
    m === iced.Mnemonic.Cmpsd ||
    m === iced.Mnemonic.Cmpsq ||
    m === iced.Mnemonic.Scasb ||
    m === iced.Mnemonic.Scasw ||
    m === iced.Mnemonic.Scasd ||
    m === iced.Mnemonic.Scasq
  );
}

function isBranch(ins: Iced.Instruction, iced: IcedModule): boolean {
  const F = iced.FlowControl;
  const fc = ins.flowControl;
  return (
    fc === F.UnconditionalBranch ||
    fc === F.ConditionalBranch ||
    fc === F.Call ||
    fc === F.IndirectBranch ||
    fc === F.IndirectCall ||
    fc === F.Return
  );
}

/**
 * x87 register operands: objdump names %st(0) `%st` and, for the one-register forms (fld, fst, fstp,
 * fxch, fucom, fcom, ffree...), prints only the %st(i).
 */
function x87Operands(code: string, ops: string[]): void {
  // ops are in AT&T order, the reverse of the code name's.
  const implicit = code.endsWith("_st0_sti") ? 1 : code.endsWith("_sti_st0") ? 0 : -1;
  if (implicit < 0 || ops.length !== 2) return;
  if (X87_ONE_OPERAND.test(code)) ops.splice(implicit, 1);
  else ops[implicit] = "%st";
}
/** The x87 codes with st(0) implied whose text has only the st(i), in either syntax. */
export const X87_ONE_OPERAND =
  /^(Fxch|Fld|Fst|Fstp|Fucom|Fucomp|Fcom|Fcomp|Ffree|Ffreep|Fstp1|Fcom2|Fcomp3|Fcomp5|Fstp8|Fstp9|Fxch4|Fxch7)_st0_sti$/;
