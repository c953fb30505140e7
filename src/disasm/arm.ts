// 32-bit ARM (A32) and Thumb (T32) instructions as arm-linux-gnueabihf-objdump 2.40 prints them. Capstone
// decodes (one handle per state), arm-text.ts spells its text as objdump does. This file chooses the state
// and follows the data: the mapping symbols `$a`/`$t`/`$d` say where ARM code, Thumb code and data start;
// without them (a stripped library) the Thumb bit of the function symbol before an address does. Data
// prints as `.word`/`.short`/`.byte`; Thumb's raw column shows halfwords (`f7ff efde`).

import { armText } from "./arm-text.js";
import { CapstoneHandle, loadCapstone } from "./capstone.js";
import type {
  Decoded,
  InstructionDecoder,
  ListingLayout,
  MappingSymbol,
  RelocationSymbol,
  SectionFacts,
} from "./decoder.js";
import { boundAfter, dataDirective, dataUnit, mappingAt } from "./mapping-symbols.js";
import type { Symbolizer } from "./x86.js";

const hex = (v: bigint): string => v.toString(16);

const LAYOUT: ListingLayout = { bytesPerLine: 4, chunked: true };

export class ArmDisassembler implements InstructionDecoder {
  readonly layout = LAYOUT;
  private mapping: MappingSymbol[] = [];
  private bounds: number[] = [];
  private relocations: ReadonlyMap<number, RelocationSymbol> = new Map();
  private readonly result: Decoded = { length: 4, text: "", chunk: 4 };

  constructor(
    private readonly arm: CapstoneHandle,
    private readonly thumb: CapstoneHandle,
    readonly options: ArmOptions = {},
  ) {}

  free(): void {
    this.arm.free();
    this.thumb.free();
  }

  beginSection(section: SectionFacts): void {
    this.mapping = section.mapping;
    this.bounds = section.mappingBounds;
    this.relocations = section.relocationSymbols ?? new Map();
  }

  /**
   * Observed: a branch a relocation patches (in a .o) shows the relocation's symbol as its target, at the
   * symbol's value (`bl 0 <__tls_get_addr>` for an undefined one), whatever its encoded offset.
   */
  private relocatedBranch(
    handle: CapstoneHandle,
    offset: number,
    size: number,
    thumb: boolean,
    symbolize: Symbolizer,
  ): string | undefined {
    const sym = this.relocations.get(offset);
    if (sym === undefined || !/^(b|bl|blx)(\w\w)?(\.w|\.n)?$/.test(handle.mnemonic)) return undefined;
    const name = sym.defined ? symbolize(sym.value) : ` <${sym.name}>`;
    const ctx = { ...this.context(thumb, size, 0n, () => name), target: sym.value };
    return armText(handle.mnemonic, handle.operands, ctx);
  }

  decode(bytes: Uint8Array, offset: number, base: bigint, symbolize: Symbolizer, limit: number): Decoded {
    const result = this.result;
    const address = base + BigInt(offset);
    const state = mappingAt(this.mapping, offset);
    const end = Math.min(limit, bytes.length);
    if (state?.data) {
      const size = dataUnit(offset, boundAfter(this.bounds, offset), true);
      if (offset + size > end) return this.outOfBounds(address);
      result.length = size;
      result.chunk = size;
      result.text = dataDirective(bytes, offset, size, false);
      return result;
    }
    const thumb = state?.thumb === true;
    if (thumb) {
      if (offset + 2 > end) return this.outOfBounds(address);
      const first = (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
      // Thumb-2: a first halfword 0b11101, 0b11110 or 0b11111 begins a 32-bit instruction.
      const size = first >>> 11 >= 0x1d ? 4 : 2;
      if (offset + size > end) return this.outOfBounds(address);
      result.length = size;
      result.chunk = 2;
      const n = this.thumb.decode(bytes, offset, size, address, limit);
      if (n === 0) {
        const value =
          size === 2
            ? first
            : ((first << 16) | (bytes[offset + 2] as number) | ((bytes[offset + 3] as number) << 8)) >>> 0;
        result.text = `\t\t@ <UNDEFINED> instruction: 0x${value.toString(16).padStart(size * 2, "0")}`;
        return result;
      }
      result.text =
        this.relocatedBranch(this.thumb, offset, size, true, symbolize) ??
        armText(this.thumb.mnemonic, this.thumb.operands, this.context(true, size, address, symbolize));
      return result;
    }
    if (offset + 4 > end) return this.outOfBounds(address);
    result.length = 4;
    result.chunk = 4;
    const word =
      ((bytes[offset] as number) |
        ((bytes[offset + 1] as number) << 8) |
        ((bytes[offset + 2] as number) << 16) |
        ((bytes[offset + 3] as number) << 24)) >>>
      0;
    const canonical = testCanonical(word);
    const decoded =
      !undefinedArm(word) &&
      (this.arm.decode(bytes, offset, 4, address, limit) !== 0 ||
        (canonical !== undefined && this.arm.decodeBytes(le32(canonical), address) !== 0));
    if (!decoded) {
      result.text = `\t\t@ <UNDEFINED> instruction: 0x${word.toString(16).padStart(8, "0")}`;
      return result;
    }
    result.text =
      this.relocatedBranch(this.arm, offset, 4, false, symbolize) ??
      armText(this.arm.mnemonic, this.arm.operands, { ...this.context(false, 4, address, symbolize), word });
    return result;
  }

  private context(thumb: boolean, size: number, address: bigint, symbolize: Symbolizer) {
    return { thumb, size, address, symbolize, showAddresses: this.options.showAddresses !== false };
  }

  private outOfBounds(address: bigint): Decoded {
    this.result.length = 0;
    this.result.text = `Address 0x${hex(address)} is out of bounds.`;
    return this.result;
  }
}

/**
 * ARM words objdump calls undefined that Capstone decodes. Observed: STRH/LDRH (register) whose
 * should-be-zero bits 11..8 are not (`00001cb0`, read by Capstone as strheq r1, [r0], -r0).
 */
function undefinedArm(word: number): boolean {
  return (word & 0x0e4000f0) === 0x000000b0 && (word & 0xf00) !== 0;
}

/**
 * The TST, TEQ, CMP and CMN encodings with S clear (the space of MRS, MSR, BX and the like) that are
 * none of those: objdump still names them by the test (`cmnvs r9, r5, ror #4`), Capstone refuses. The
 * word with S set, for a second try.
 */
function testCanonical(word: number): number | undefined {
  if ((word & 0x0d900000) !== 0x01000000 || word >>> 28 === 0xf) return undefined;
  // TEQ there is MSR's and BX's: objdump says undefined too.
  if ((word & 0x01e00000) === 0x01200000) return undefined;
  return (word | 0x00100000) >>> 0;
}

const le32 = (w: number) => Uint8Array.of(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);

export interface ArmOptions {
  /** --no-addresses: a branch target shows only its `<sym>`. */
  showAddresses?: boolean;
}

/** A disassembler for EM_ARM, loading Capstone on first use. */
export async function armDisassembler(options: ArmOptions = {}): Promise<ArmDisassembler> {
  const cs = await loadCapstone();
  return new ArmDisassembler(
    new CapstoneHandle(cs, cs.ARCH_ARM, cs.MODE_ARM),
    new CapstoneHandle(cs, cs.ARCH_ARM, cs.MODE_THUMB),
    options,
  );
}
