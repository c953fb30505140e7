// RISC-V (RV64GC) instructions as riscv64-linux-gnu-objdump 2.40 lists them. riscv-decode.ts decodes and
// spells one instruction; this follows what objdump follows across instructions: the values lui and
// auipc leave in registers, named as `# addr <sym>` on the next instruction that adds to or loads through
// one, and the `$x`/`$d` mapping symbols, under which data prints as `.word`/`.short`/`.byte`.
import type { Decoded, InstructionDecoder, ListingLayout, MappingSymbol, SectionFacts } from "./decoder.js";
import { boundAfter, dataDirective, dataUnit, mappingAt } from "./mapping-symbols.js";
import { decodeRiscv, parcelLength } from "./riscv-decode.js";
import type { Symbolizer } from "./x86.js";

const hex = (v: bigint): string => v.toString(16);

/** Observed: the raw column shows each instruction as one little-endian number, padded to 8 bytes. */
const LAYOUT: ListingLayout = { bytesPerLine: 8, chunked: true };

export class RiscvDisassembler implements InstructionDecoder {
  readonly layout = LAYOUT;
  /** What lui/auipc left in each register, until an instruction names it (then it is forgotten). */
  private readonly known: (bigint | undefined)[];
  private mapping: MappingSymbol[] = [];
  private bounds: number[] = [];
  private readonly result: Decoded = { length: 4, text: "", chunk: 4 };

  constructor(readonly options: RiscvOptions = {}) {
    this.known = Array.from({ length: 32 }, (_, reg) => this.resetValue(reg));
  }

  /**
   * What a register is known to hold before any lui/auipc and after its value has been named. Observed:
   * zero and tp count as 0 (`lw a5,-1888(tp) # fffffffffffff8a0`, each time), gp as `__global_pointer$`
   * when the file defines it; the rest as unknown.
   */
  private resetValue(reg: number): bigint | undefined {
    if (reg === 0 || reg === 4) return 0n;
    return reg === 3 ? this.options.globalPointer : undefined;
  }

  free(): void {}

  beginSection(section: SectionFacts): void {
    this.mapping = section.code ? section.mapping : [];
    this.bounds = section.mappingBounds;
  }

  decode(bytes: Uint8Array, offset: number, base: bigint, symbolize: Symbolizer, limit: number): Decoded {
    const result = this.result;
    const address = base + BigInt(offset);
    if (this.mapping.length > 0 && mappingAt(this.mapping, offset)?.data) {
      const size = dataUnit(offset, boundAfter(this.bounds, offset), false);
      if (offset + size > limit) return this.outOfBounds(address);
      result.length = size;
      result.chunk = size;
      result.text = dataDirective(bytes, offset, size, false);
      return result;
    }
    const available = Math.min(limit, bytes.length) - offset;
    const insn = decodeRiscv(bytes, offset, available);
    if (!insn) {
      const low = (bytes[offset] as number) | ((bytes[offset + 1] ?? 0) << 8);
      const size = parcelLength(low);
      if (size > available) return this.outOfBounds(address);
      result.length = size;
      if (size > 4) {
        // Observed: a longer parcel shows as halfwords and its bytes one by one.
        const list = Array.from(
          bytes.subarray(offset, offset + size),
          (b) => `0x${b.toString(16).padStart(2, "0")}`,
        );
        result.chunk = 2;
        result.text = `.byte\t${list.join(", ")}`;
        return result;
      }
      let value = 0n;
      for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[offset + i] as number);
      result.chunk = size;
      // Observed: `.2byte`/`.4byte` and the parcel in unpadded hex.
      result.text = `.${size}byte\t0x${hex(value)}`;
      return result;
    }
    result.length = insn.length;
    result.chunk = insn.length;
    let text =
      insn.operands === "" && insn.branch === undefined
        ? insn.mnemonic
        : `${insn.mnemonic}\t${insn.operands}`;
    if (insn.branch !== undefined) {
      const target = BigInt.asUintN(64, address + BigInt(insn.branch));
      const name = symbolize(target);
      text += this.options.showAddresses === false && name !== "" ? name.slice(1) : `${hex(target)}${name}`;
    }
    if (insn.use) {
      const known = this.known[insn.use.base];
      if (known !== undefined) {
        const at = BigInt.asUintN(64, known + BigInt(insn.use.offset));
        const name = symbolize(at);
        // --no-addresses: `# <sym>`, as for a branch target.
        text += this.options.showAddresses === false && name !== "" ? ` #${name}` : ` # ${hex(at)}${name}`;
        this.known[insn.use.base] = this.resetValue(insn.use.base);
      }
    }
    if (insn.set) this.known[insn.set.reg] = insn.set.pcRelative ? address + insn.set.value : insn.set.value;
    result.text = text;
    return result;
  }

  private outOfBounds(address: bigint): Decoded {
    this.result.length = 0;
    this.result.text = `Address 0x${hex(address)} is out of bounds.`;
    return this.result;
  }
}

export interface RiscvOptions {
  /** --no-addresses: a branch target shows only its `<sym>`. */
  showAddresses?: boolean;
  /** The value of the file's `__global_pointer$`, which objdump takes gp to hold. */
  globalPointer?: bigint;
}

export function riscvDisassembler(options: RiscvOptions = {}): RiscvDisassembler {
  return new RiscvDisassembler(options);
}
