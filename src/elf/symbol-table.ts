import { SHT_SYMTAB_SHNDX } from "./constants.js";
import type { DataReader } from "./data-reader.js";
import { ElfError, ElfErrorCode } from "./errors.js";
import type { ElfFile } from "./file.js";
import type { SectionHeader } from "./section.js";
import type { StringTable } from "./strings.js";
import { SYM32_SIZE, SYM64_SIZE } from "./symbol.js";

/**
 * A SHT_SYMTAB or SHT_DYNSYM section read field by field, for scans that test a field or two of every
 * entry and want the names of a few: no ElfSymbol object per entry, no name decoded unless asked for.
 * It reads (and fails) as ElfFile.symbols does: the section's bytes and a linked SHT_SYMTAB_SHNDX
 * section must be readable; an unreadable string table only leaves the names undefined.
 */
export class SymbolTableView {
  /** Number of whole entries. */
  readonly count: number;
  private readonly r: DataReader;
  private readonly bytes: Uint8Array;
  private readonly stride: number;
  private readonly infoAt: number;
  private readonly shndxAt: number;
  private readonly strings: StringTable | undefined;

  constructor(file: ElfFile, sh: SectionHeader) {
    const entsize = file.is64 ? SYM64_SIZE : SYM32_SIZE;
    this.stride = sh.sh_entsize >= BigInt(entsize) ? Number(sh.sh_entsize) : entsize;
    // Elf64_Sym: name, info, other, shndx, value, size; Elf32_Sym: name, value, size, info, other, shndx.
    this.infoAt = file.is64 ? 4 : 12;
    this.shndxAt = file.is64 ? 6 : 14;
    const data = file.sectionData(sh);
    this.r = file.readerOver(data, file.describeSection(sh), Number(sh.sh_offset));
    this.bytes = data;
    this.count = Math.floor(data.length / this.stride);
    try {
      this.strings = sh.sh_link !== 0 ? file.stringTable(sh.sh_link) : undefined;
    } catch {
      this.strings = undefined;
    }
    const xindex = file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB_SHNDX && s.sh_link === sh.index);
    if (xindex) file.sectionData(xindex);
  }

  /** st_info of entry `i` (binding in the high nibble, type in the low). */
  info(i: number): number {
    // The index is checked, the byte read plain: this is the per-entry call of a scan.
    if (!(i >= 0 && i < this.count)) {
      throw new ElfError(
        ElfErrorCode.BadIndex,
        this.r.structure,
        undefined,
        `symbol index ${i} is out of range`,
      );
    }
    return this.bytes[i * this.stride + this.infoAt]!;
  }

  /** The indexes of the entries whose binding (st_info >> 4) is `bind`, in table order. */
  withBinding(bind: number): number[] {
    const out: number[] = [];
    for (let i = 0, at = this.infoAt; i < this.count; i++, at += this.stride) {
      if (this.bytes[at]! >> 4 === bind) out.push(i);
    }
    return out;
  }

  /** st_shndx of entry `i` as stored (SHN_XINDEX not resolved). */
  shndx(i: number): number {
    return this.r.u16(i * this.stride + this.shndxAt);
  }

  /** The name of entry `i` from the linked string table; undefined when st_name lies outside it. */
  name(i: number): string | undefined {
    return this.strings?.get(this.r.u32(i * this.stride));
  }
}
