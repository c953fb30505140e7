import type { ByteSource } from "./byte-source.js";
import {
  ELFCLASS64,
  ELFDATA2LSB,
  PN_XNUM,
  PT_LOAD,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_SYMTAB_SHNDX,
} from "./constants.js";
import { DataReader } from "./data-reader.js";
import { ElfError, ElfErrorCode } from "./errors.js";
import { EHDR64_SIZE, type ElfHeader, parseElfHeader } from "./header.js";
import { parseSectionHeader, type SectionHeader, SHDR32_SIZE, SHDR64_SIZE } from "./section.js";
import { PHDR32_SIZE, PHDR64_SIZE, type ProgramHeader, parseProgramHeader } from "./segment.js";
import { StringTable } from "./strings.js";
import { type ElfSymbol, parseSymbol, SYM32_SIZE, SYM64_SIZE } from "./symbol.js";

/**
 * One ELF file. Opening it reads the file header only; every table is decoded the first time it is
 * asked for and then cached. Failures throw ElfError, so a broken table fails only the view reading it.
 */
export class ElfFile {
  readonly header: ElfHeader;
  readonly is64: boolean;
  readonly littleEndian: boolean;
  private sectionHeadersCache?: SectionHeader[];
  private programHeadersCache?: ProgramHeader[];
  private readonly stringTables = new Map<number, StringTable>();
  private readonly symbolTables = new Map<number, ElfSymbol[]>();

  private constructor(
    readonly source: ByteSource,
    header: ElfHeader,
  ) {
    this.header = header;
    this.is64 = header.ei_class === ELFCLASS64;
    this.littleEndian = header.ei_data === ELFDATA2LSB;
  }

  static open(source: ByteSource): ElfFile {
    const head = source.read(0, Math.min(source.size, EHDR64_SIZE));
    return new ElfFile(source, parseElfHeader(head));
  }

  get size(): number {
    return this.source.size;
  }

  /** Bounds-checked read of [offset, offset+length) of the file. */
  read(offset: bigint | number, length: bigint | number, what: string | (() => string)): Uint8Array {
    // The structure's name is only worked out when there is an error to report.
    const name = (): string => (typeof what === "string" ? what : what());
    const off = BigInt(offset);
    const len = BigInt(length);
    const size = BigInt(this.source.size);
    if (off < 0n || off > size) {
      throw new ElfError(
        ElfErrorCode.BadOffset,
        name(),
        off,
        `offset is beyond the end of the file (${size} bytes)`,
      );
    }
    if (len < 0n || off + len > size) {
      throw new ElfError(
        ElfErrorCode.Truncated,
        name(),
        off,
        `${len} bytes at this offset run past the end of the file (${size} bytes)`,
      );
    }
    const bytes = this.source.read(Number(off), Number(len));
    if (bytes.length !== Number(len)) {
      throw new ElfError(
        ElfErrorCode.Truncated,
        name(),
        off,
        "short read: the file changed while being read",
      );
    }
    return bytes;
  }

  /** A DataReader over [offset, offset+length), in this file's byte order. */
  reader(offset: bigint | number, length: bigint | number, structure: string): DataReader {
    return new DataReader(this.read(offset, length, structure), this.littleEndian, Number(offset), structure);
  }

  /** Reader over bytes that came from elsewhere (a decompressed section), in this file's byte order. */
  readerOver(bytes: Uint8Array, structure: string, base = 0): DataReader {
    return new DataReader(bytes, this.littleEndian, base, structure);
  }

  // --- section headers -------------------------------------------------------------------------

  /** The first section header, read alone: extended numbering keeps e_shnum/e_shstrndx/e_phnum there. */
  private sectionZero(): SectionHeader | undefined {
    const h = this.header;
    if (h.e_shoff === 0n) return undefined;
    const entsize = this.is64 ? SHDR64_SIZE : SHDR32_SIZE;
    const r = this.reader(h.e_shoff, entsize, "section header 0");
    return parseSectionHeader(r, 0, this.is64, 0);
  }

  /** Number of section headers, with extended numbering (e_shnum 0 means sh_size of section 0). */
  get sectionCount(): number {
    const h = this.header;
    if (h.e_shoff === 0n) return 0;
    if (h.e_shnum !== 0) return h.e_shnum;
    const zero = this.sectionZero();
    if (!zero) return 0;
    if (zero.sh_size > BigInt(this.size)) {
      throw new ElfError(
        ElfErrorCode.BadCount,
        "section header 0",
        h.e_shoff,
        `sh_size ${zero.sh_size} is not a possible section count`,
      );
    }
    return Number(zero.sh_size);
  }

  /** Index of the section-name string table, with extended numbering (SHN_XINDEX means section 0's sh_link). */
  get shstrndx(): number {
    const h = this.header;
    if (h.e_shstrndx !== SHN_XINDEX) return h.e_shstrndx;
    return this.sectionZero()?.sh_link ?? 0;
  }

  get sectionHeaders(): SectionHeader[] {
    if (this.sectionHeadersCache) return this.sectionHeadersCache;
    const h = this.header;
    const count = this.sectionCount;
    if (count === 0) return (this.sectionHeadersCache = []);
    const minSize = this.is64 ? SHDR64_SIZE : SHDR32_SIZE;
    if (h.e_shentsize < minSize) {
      throw new ElfError(
        ElfErrorCode.BadSize,
        "section header table",
        h.e_shoff,
        `e_shentsize ${h.e_shentsize} is smaller than ${minSize}`,
      );
    }
    const r = this.reader(h.e_shoff, BigInt(count) * BigInt(h.e_shentsize), "section header table");
    const out: SectionHeader[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = parseSectionHeader(r, i * h.e_shentsize, this.is64, i);
    return (this.sectionHeadersCache = out);
  }

  /**
   * This file as readelf holds it once its section headers failed to load (filedata->section_headers is
   * NULL): the same header and segments, no sections. process_note_sections then reads the PT_NOTE
   * segments instead.
   */
  withoutSectionHeaders(): ElfFile {
    const copy = new ElfFile(this.source, this.header);
    copy.sectionHeadersCache = [];
    return copy;
  }

  section(index: number): SectionHeader {
    const all = this.sectionHeaders;
    const sh = all[index];
    if (!sh) {
      throw new ElfError(
        ElfErrorCode.BadIndex,
        "section header table",
        undefined,
        `section index ${index} is out of range (${all.length} sections)`,
      );
    }
    return sh;
  }

  /** The section-name string table, or undefined when there is none usable. */
  get sectionNameTable(): StringTable | undefined {
    const idx = this.shstrndx;
    if (idx === 0 || idx >= this.sectionHeaders.length) return undefined;
    return this.stringTable(idx);
  }

  sectionName(sh: SectionHeader): string | undefined {
    return this.sectionNameTable?.get(sh.sh_name);
  }

  findSection(name: string): SectionHeader | undefined {
    const names = this.sectionNameTable;
    if (!names) return undefined;
    return this.sectionHeaders.find((sh) => names.get(sh.sh_name) === name);
  }

  sectionsOfType(type: number): SectionHeader[] {
    return this.sectionHeaders.filter((sh) => sh.sh_type === type);
  }

  /** A section's bytes as stored in the file (still compressed if SHF_COMPRESSED); empty for SHT_NOBITS. */
  sectionData(sh: SectionHeader): Uint8Array {
    if (sh.sh_type === SHT_NOBITS || sh.sh_size === 0n) return new Uint8Array(0);
    return this.read(sh.sh_offset, sh.sh_size, () => this.describeSection(sh));
  }

  /** "section [N] NAME" for error messages. */
  describeSection(sh: SectionHeader): string {
    let name: string | undefined;
    try {
      name = this.sectionName(sh);
    } catch {
      name = undefined;
    }
    return name ? `section [${sh.index}] ${name}` : `section [${sh.index}]`;
  }

  stringTable(index: number): StringTable {
    const cached = this.stringTables.get(index);
    if (cached) return cached;
    // Not sectionData(): naming the section for an error would need this very table (.shstrtab).
    const sh = this.section(index);
    const bytes =
      sh.sh_type === SHT_NOBITS || sh.sh_size === 0n
        ? new Uint8Array(0)
        : this.read(sh.sh_offset, sh.sh_size, `string table section [${index}]`);
    const table = new StringTable(bytes);
    this.stringTables.set(index, table);
    return table;
  }

  // --- program headers -------------------------------------------------------------------------

  /** Number of program headers, with extended numbering (PN_XNUM means section 0's sh_info). */
  get segmentCount(): number {
    const h = this.header;
    if (h.e_phoff === 0n) return 0;
    if (h.e_phnum !== PN_XNUM) return h.e_phnum;
    return this.sectionZero()?.sh_info ?? h.e_phnum;
  }

  get programHeaders(): ProgramHeader[] {
    if (this.programHeadersCache) return this.programHeadersCache;
    const h = this.header;
    const count = this.segmentCount;
    if (count === 0) return (this.programHeadersCache = []);
    const minSize = this.is64 ? PHDR64_SIZE : PHDR32_SIZE;
    if (h.e_phentsize < minSize) {
      throw new ElfError(
        ElfErrorCode.BadSize,
        "program header table",
        h.e_phoff,
        `e_phentsize ${h.e_phentsize} is smaller than ${minSize}`,
      );
    }
    const r = this.reader(h.e_phoff, BigInt(count) * BigInt(h.e_phentsize), "program header table");
    const out: ProgramHeader[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = parseProgramHeader(r, i * h.e_phentsize, this.is64, i);
    return (this.programHeadersCache = out);
  }

  segmentsOfType(type: number): ProgramHeader[] {
    return this.programHeaders.filter((ph) => ph.p_type === type);
  }

  /** The file offset that holds virtual address `vaddr`, through the PT_LOAD segments. */
  vaddrToOffset(vaddr: bigint): bigint | undefined {
    for (const ph of this.programHeaders) {
      if (ph.p_type === PT_LOAD && vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
        return ph.p_offset + (vaddr - ph.p_vaddr);
      }
    }
    return undefined;
  }

  /** The virtual address at which file offset `offset` is loaded, if a PT_LOAD covers it. */
  offsetToVaddr(offset: bigint): bigint | undefined {
    for (const ph of this.programHeaders) {
      if (ph.p_type === PT_LOAD && offset >= ph.p_offset && offset < ph.p_offset + ph.p_filesz) {
        return ph.p_vaddr + (offset - ph.p_offset);
      }
    }
    return undefined;
  }

  // --- symbols ---------------------------------------------------------------------------------

  /** Decoded entries of a SHT_SYMTAB or SHT_DYNSYM section, names from its sh_link string table. */
  symbols(sh: SectionHeader): ElfSymbol[] {
    const cached = this.symbolTables.get(sh.index);
    if (cached) return cached;
    const entsize = this.is64 ? SYM64_SIZE : SYM32_SIZE;
    const stride = sh.sh_entsize >= BigInt(entsize) ? Number(sh.sh_entsize) : entsize;
    const structure = this.describeSection(sh);
    const data = this.sectionData(sh);
    const r = this.readerOver(data, structure, Number(sh.sh_offset));
    let strings: StringTable | undefined;
    try {
      strings = sh.sh_link !== 0 ? this.stringTable(sh.sh_link) : undefined;
    } catch {
      strings = undefined; // names stay undefined; the renderer reports the broken string table
    }
    const count = Math.floor(data.length / stride);
    const shndxSection = this.sectionHeaders.find(
      (s) => s.sh_type === SHT_SYMTAB_SHNDX && s.sh_link === sh.index,
    );
    const shndx = shndxSection
      ? this.readerOver(this.sectionData(shndxSection), this.describeSection(shndxSection))
      : undefined;
    const out: ElfSymbol[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const sym = parseSymbol(r, i * stride, this.is64, i, strings);
      if (sym.st_shndx === SHN_XINDEX && shndx && (i + 1) * 4 <= shndx.length) sym.shndx = shndx.u32(i * 4);
      out[i] = sym;
    }
    this.symbolTables.set(sh.index, out);
    return out;
  }
}
