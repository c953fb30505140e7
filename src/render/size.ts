import {
  type ElfFile,
  EM_386,
  EM_X86_64,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  type SectionHeader,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_INFO_LINK,
  SHF_OS_NONCONFORMING,
  SHF_WRITE,
  SHN_COMMON,
  SHT_DYNAMIC,
  SHT_DYNSYM,
  SHT_FINI_ARRAY,
  SHT_GNU_ATTRIBUTES,
  SHT_GNU_HASH,
  SHT_GNU_LIBLIST,
  SHT_GNU_verdef,
  SHT_GNU_verneed,
  SHT_GNU_versym,
  SHT_GROUP,
  SHT_HASH,
  SHT_INIT_ARRAY,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_NULL,
  SHT_PREINIT_ARRAY,
  SHT_PROGBITS,
  SHT_REL,
  SHT_RELA,
  SHT_RELR,
  SHT_SHLIB,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  type StringTable,
} from "../elf/index.js";
import type { Output } from "./output.js";

/**
 * GNU size counts BFD sections, not ELF sections: BFD turns some ELF sections into none (symbol and
 * string tables, relocations of a relocatable object) and gives each a set of flags. This file mirrors
 * bfd/elf.c (bfd_section_from_shdr, _bfd_elf_make_section_from_shdr) for what size sees, and
 * binutils/size.c for the output.
 */

// The BFD section flags size.c reads (bfd/section.c SEC_*; the values are ours).
export const SEC_ALLOC = 1;
export const SEC_LOAD = 2;
export const SEC_HAS_CONTENTS = 4;
export const SEC_READONLY = 8;
export const SEC_CODE = 16;
export const SEC_DATA = 32;
export const SEC_GROUP = 64;

export interface BfdSection {
  name: string;
  size: bigint;
  vma: bigint;
  flags: number;
  /** Index of the ELF section header it came from. */
  shndx: number;
}

/** x86-64's SHN_X86_64_LCOMMON: BFD's large common section, also a common section. */
const SHN_X86_64_LCOMMON = 0xff02;
const SHT_X86_64_UNWIND = 0x70000001;
const SHT_LOUSER = 0x80000000;
const SHT_HIUSER = 0xffffffff;
const SHT_LOPROC = 0x70000000;
const SHT_HIPROC = 0x7fffffff;
const SHT_LOOS = 0x60000000;
const SHT_HIOS = 0x6fffffff;

/** Why BFD would not recognise the file as an object: size prints "file format not recognized". */
export class BfdFormatError extends Error {
  override readonly name = "BfdFormatError";
}

const notRecognized = (why: string): BfdFormatError => new BfdFormatError(why);

/**
 * The BFD sections of an ELF file in BFD's creation order (bfd_section_from_shdr may create one section
 * while processing another: a string table scans for its users first). Throws BfdFormatError when BFD's
 * elf_object_p would reject the file, ElfError when the bytes are unreadable.
 */
export function bfdSections(elf: ElfFile, warnings: string[] = []): BfdSection[] {
  const h = elf.header;
  const shdrs = bfdObjectCheck(elf, warnings);
  const count = shdrs.length;
  let shstrndx = elf.shstrndx;
  const strtabOk = shstrndx < count && shdrs[shstrndx]!.sh_type === SHT_STRTAB;
  if (count > 0 && !strtabOk) {
    warnings.push("has a corrupt string table index");
    shstrndx = 0;
  }
  // elf_object_p reads no section at all without a section-name table index.
  if (shstrndx === 0) return [];
  const isDynamic = h.e_type === ET_DYN;
  const isExec = h.e_type === ET_EXEC;
  const symSize = elf.is64 ? 24n : 16n;
  // Only the x86 backends are configured in Debian's binutils; every other machine is read by the
  // generic ELF target, whose section_from_shdr accepts any processor-specific section type.
  const x86 = h.e_machine === EM_X86_64 || h.e_machine === EM_386;
  let names: StringTable | undefined;
  const nameOf = (sh: SectionHeader): string => {
    if (sh.sh_name === 0) return "";
    if (names === undefined) {
      const strtab = shdrs[shstrndx];
      if (!strtab || strtab.sh_type !== SHT_STRTAB) throw notRecognized("no section-name string table");
      names = elf.stringTable(shstrndx);
    }
    const name = names.get(sh.sh_name);
    if (name === undefined) throw notRecognized(`invalid string offset ${sh.sh_name}`);
    return name;
  };

  const out: BfdSection[] = [];
  const made = new Uint8Array(count);
  const busy = new Uint8Array(count);
  let onesymtab = 0;
  let dynsymtab = 0;

  const make = (sh: SectionHeader, name: string): void => {
    if (made[sh.index]) return;
    made[sh.index] = 1;
    let flags = 0;
    if (sh.sh_type !== SHT_NOBITS) flags |= SEC_HAS_CONTENTS;
    if (sh.sh_type === SHT_GROUP) flags |= SEC_GROUP;
    if (sh.sh_flags & SHF_ALLOC) {
      flags |= SEC_ALLOC;
      if (sh.sh_type !== SHT_NOBITS) flags |= SEC_LOAD;
    }
    if ((sh.sh_flags & SHF_WRITE) === 0n) flags |= SEC_READONLY;
    if (sh.sh_flags & SHF_EXECINSTR) flags |= SEC_CODE;
    else if (flags & SEC_LOAD) flags |= SEC_DATA;
    out.push({ name, size: sh.sh_size, vma: sh.sh_addr, flags, shndx: sh.index });
  };

  const fromShdr = (index: number): void => {
    if (index <= 0 || index >= count || made[index]) return;
    if (busy[index]) throw notRecognized(`section ${index} refers to itself`);
    busy[index] = 1;
    try {
      fromShdrInner(shdrs[index]!);
    } finally {
      busy[index] = 0;
    }
  };

  const symtabLike = (sh: SectionHeader, dynamic: boolean): boolean => {
    if (sh.sh_entsize !== symSize) throw notRecognized("bad symbol table entry size");
    if (BigInt(sh.sh_info) * sh.sh_entsize > sh.sh_size) {
      if (sh.sh_size !== 0n) throw notRecognized("bad symbol table sh_info");
      return false;
    }
    if (dynamic ? dynsymtab !== 0 : onesymtab !== 0) return false; // "multiple symbol tables detected"
    if (dynamic) dynsymtab = sh.index;
    else onesymtab = sh.index;
    return true;
  };

  const fromShdrInner = (sh: SectionHeader): void => {
    const name = nameOf(sh);
    const type = sh.sh_type;
    switch (type) {
      case SHT_NULL:
      case SHT_SHLIB:
      case SHT_SYMTAB_SHNDX:
        return;
      case SHT_PROGBITS:
      case SHT_NOBITS:
      case SHT_HASH:
      case SHT_NOTE:
      case SHT_INIT_ARRAY:
      case SHT_FINI_ARRAY:
      case SHT_PREINIT_ARRAY:
      case SHT_GNU_LIBLIST:
      case SHT_GNU_HASH:
      case SHT_DYNAMIC:
      case SHT_GNU_verdef:
      case SHT_GNU_verneed:
      case SHT_GROUP:
        make(sh, name);
        return;
      case SHT_GNU_versym:
        if (sh.sh_entsize !== 2n) throw notRecognized("bad .gnu.version entry size");
        make(sh, name);
        return;
      case SHT_SYMTAB:
        if (onesymtab === sh.index) return;
        if (!symtabLike(sh, false)) return;
        // "Sometimes a shared object will map in the symbol table."
        if (sh.sh_flags & SHF_ALLOC && isDynamic) make(sh, name);
        return;
      case SHT_DYNSYM:
        if (dynsymtab === sh.index) return;
        if (!symtabLike(sh, true)) return;
        make(sh, name);
        return;
      case SHT_STRTAB: {
        if (sh.index === shstrndx) return;
        if (onesymtab !== 0 && shdrs[onesymtab]!.sh_link === sh.index) return;
        if (dynsymtab !== 0 && shdrs[dynsymtab]!.sh_link === sh.index) {
          make(sh, name);
          return;
        }
        // Not known yet: the symbol table that uses it may come later, so look for users first.
        if (onesymtab === 0 || dynsymtab === 0) {
          for (let i = 1; i < count; i++) {
            if (shdrs[i]!.sh_link !== sh.index) continue;
            if (i === sh.index) throw notRecognized("string table links to itself");
            fromShdr(i);
            if (onesymtab === i) return;
            if (dynsymtab === i) {
              make(sh, name);
              return;
            }
          }
        }
        make(sh, name);
        return;
      }
      case SHT_REL:
      case SHT_RELA:
      case SHT_RELR: {
        if (sh.sh_link >= count) {
          make(sh, name);
          return;
        }
        const linked = shdrs[sh.sh_link]!;
        if (linked.sh_type === SHT_SYMTAB || linked.sh_type === SHT_DYNSYM) fromShdr(sh.sh_link);
        const target = sh.sh_info < count ? shdrs[sh.sh_info] : undefined;
        if (
          ((isDynamic || isExec) && sh.sh_flags & SHF_ALLOC) ||
          type === SHT_RELR ||
          sh.sh_link === 0 ||
          sh.sh_link !== onesymtab ||
          sh.sh_info === 0 ||
          !target ||
          target.sh_type === SHT_REL ||
          target.sh_type === SHT_RELA
        ) {
          make(sh, name);
          return;
        }
        // A relocation section of a relocatable object: attached to its target, not a section.
        fromShdr(sh.sh_info);
        return;
      }
      default:
        if (type === SHT_GNU_ATTRIBUTES) {
          make(sh, name);
          return;
        }
        if (type >= SHT_LOPROC && type <= SHT_HIPROC) {
          if (!x86 || (h.e_machine === EM_X86_64 && type === SHT_X86_64_UNWIND)) {
            make(sh, name);
            return;
          }
          throw notRecognized(`unknown type [0x${type.toString(16)}] section \`${name}'`);
        }
        if (type >= SHT_LOUSER && type <= SHT_HIUSER) {
          if (sh.sh_flags & SHF_ALLOC) {
            throw notRecognized(`unknown type [0x${type.toString(16)}] section \`${name}'`);
          }
          make(sh, name);
          return;
        }
        if (type >= SHT_LOOS && type <= SHT_HIOS && (sh.sh_flags & SHF_OS_NONCONFORMING) === 0n) {
          make(sh, name);
          return;
        }
        throw notRecognized(`unknown type [0x${type.toString(16)}] section \`${name}'`);
    }
  };

  for (let i = 1; i < count; i++) fromShdr(i);
  return out;
}

/**
 * The sanity checks of bfd/elfcode.h elf_object_p that make BFD reject a file (BfdFormatError) or warn
 * about it (pushed to `warnings`, worded after the file name). Returns the section headers.
 */
function bfdObjectCheck(elf: ElfFile, warnings: string[]): SectionHeader[] {
  const h = elf.header;
  const shdrSize = elf.is64 ? 64 : 40;
  const phdrSize = elf.is64 ? 56 : 32;
  const ehdrSize = elf.is64 ? 64 : 52;
  if (h.e_phnum !== 0 && h.e_phentsize !== phdrSize) throw notRecognized("bad e_phentsize");
  if (h.e_shoff === 0n) {
    if (h.e_shnum !== 0 || h.e_shstrndx !== 0) throw notRecognized("section headers at offset 0");
  } else {
    if (h.e_shoff < BigInt(ehdrSize)) throw notRecognized("section headers inside the file header");
    if (h.e_shentsize !== shdrSize) throw notRecognized("bad e_shentsize");
  }
  let shdrs: SectionHeader[];
  try {
    shdrs = elf.sectionHeaders;
  } catch (e) {
    // elf_object_p gives up on a table it cannot read without a warning (that one is for sections).
    throw notRecognized(e instanceof Error ? e.message : String(e));
  }
  if (h.e_shoff !== 0n && shdrs.length === 0) throw notRecognized("no section headers");
  if (shdrs.length >= 0xff00 && h.e_shnum === 0) throw notRecognized("too many sections");
  if (h.e_phnum !== 0) {
    const end = h.e_phoff + BigInt(elf.segmentCount) * BigInt(phdrSize);
    if (end > BigInt(elf.size)) throw notRecognized("program headers run past the end of the file");
  }
  const x86 = h.e_machine === EM_X86_64 || h.e_machine === EM_386 || h.e_machine === 6;
  const size = BigInt(elf.size);
  let pastEnd = false;
  for (const sh of shdrs) {
    if (sh.sh_link >= shdrs.length && !(x86 && (sh.sh_link === 0xff00 || sh.sh_link === 0xff01)))
      throw notRecognized(`section ${sh.index}: bad sh_link`);
    if (
      (sh.sh_flags & SHF_INFO_LINK || sh.sh_type === SHT_REL || sh.sh_type === SHT_RELA) &&
      sh.sh_info >= shdrs.length
    )
      throw notRecognized(`section ${sh.index}: bad sh_info`);
    if (sh.sh_type !== SHT_NOBITS && (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
      pastEnd = true;
  }
  if (pastEnd) warnings.push("has a section extending past end of file");
  return shdrs;
}

/**
 * size --common: total size of the common symbols of a relocatable object with a symbol table
 * (size.c calculate_common_size; BFD gives an ELF common symbol the value st_size).
 */
export function commonSize(elf: ElfFile): bigint {
  if (elf.header.e_type !== ET_REL) return 0n;
  const symtab = elf.sectionHeaders.find((sh) => sh.sh_type === SHT_SYMTAB);
  if (!symtab) return 0n;
  let total = 0n;
  const syms = elf.symbols(symtab);
  for (let i = 1; i < syms.length; i++) {
    const s = syms[i]!;
    if (s.shndx === SHN_COMMON || (elf.header.e_machine === EM_X86_64 && s.shndx === SHN_X86_64_LCOMMON)) {
      if ((s.st_info & 0xf) !== 3) total += s.st_size; // STT_SECTION symbols are not counted
    }
  }
  return total;
}

export type SizeFormat = "berkeley" | "sysv" | "gnu";
export type SizeRadix = 8 | 10 | 16;

export interface SizeOptions {
  format: SizeFormat;
  radix: SizeRadix;
  totals: boolean;
  common: boolean;
}

export const defaultSizeOptions = (): SizeOptions => ({
  format: "berkeley",
  radix: 10,
  totals: false,
  common: false,
});

const U64 = (1n << 64n) - 1n;

/**
 * Prints sizes the way binutils/size.c does, keeping its state between files (the Berkeley header is
 * printed once; -t sums every file).
 */
export class SizePrinter {
  private filesSeen = 0;
  private totalText = 0n;
  private totalData = 0n;
  private totalBss = 0n;

  constructor(
    private readonly out: Output,
    private readonly opts: SizeOptions,
  ) {}

  /** size.c rprint_number: the number with its radix prefix ("0" octal, "0x" hex), right-aligned. */
  private number(n: bigint, width: number): string {
    return this.plain(n).padStart(width);
  }

  private plain(n: bigint): string {
    n &= U64;
    const r = this.opts.radix;
    return r === 10 ? n.toString() : r === 8 ? `0${n.toString(8)}` : `0x${n.toString(16)}`;
  }

  /**
   * One object: `name` is the file (or the member), `archive` the archive holding it. A core file
   * (`core` given) ends with size.c display_bfd's " (core file invoked as CMD)" instead.
   */
  object(
    sections: BfdSection[],
    name: string,
    archive: string | undefined,
    common: bigint,
    core?: { command: string | undefined },
  ): void {
    if (this.opts.format === "sysv") this.sysv(sections, name, archive, common);
    else this.berkeleyOrGnu(sections, name, archive, common);
    if (!core) this.out.write("\n");
    else this.out.write(` (core file${core.command !== undefined ? ` invoked as ${core.command}` : ""})\n\n`);
  }

  /** size.c print_berkeley_or_gnu_format with berkeley_or_gnu_sum. */
  private berkeleyOrGnu(sections: BfdSection[], name: string, archive: string | undefined, common: bigint) {
    const berkeley = this.opts.format === "berkeley";
    let text = 0n;
    let data = 0n;
    let bss = 0n;
    for (const s of sections) {
      if ((s.flags & SEC_ALLOC) === 0) continue;
      if (s.flags & SEC_CODE || (berkeley && s.flags & SEC_READONLY)) text += s.size;
      else if (s.flags & SEC_HAS_CONTENTS) data += s.size;
      else bss += s.size;
    }
    text &= U64;
    data &= U64;
    bss = (bss + common) & U64;
    if (this.filesSeen++ === 0) {
      this.out.write(
        berkeley
          ? `   text\t   data\t    bss\t    ${this.opts.radix === 8 ? "oct" : "dec"}\t    hex\tfilename\n`
          : "      text       data        bss      total filename\n",
      );
    }
    if (this.opts.totals) {
      this.totalText += text;
      this.totalData += data;
      this.totalBss += bss;
    }
    let line = this.row(text, data, bss);
    line += name;
    if (archive !== undefined) line += ` (ex ${archive})`;
    this.out.write(line);
  }

  private row(text: bigint, data: bigint, bss: bigint): string {
    const berkeley = this.opts.format === "berkeley";
    const width = berkeley ? 7 : 10;
    const sep = berkeley ? "\t" : " ";
    const total = (text + data + bss) & U64;
    let line = `${this.number(text, width)}${sep}${this.number(data, width)}${sep}${this.number(bss, width)}${sep}`;
    if (berkeley) {
      // The total columns are plain printf %7lu / %7lo and %7lx, without radix prefixes.
      const t = this.opts.radix === 8 ? total.toString(8) : total.toString();
      line += `${t.padStart(7)}\t${total.toString(16).padStart(7)}`;
    } else {
      line += this.number(total, width);
    }
    return line + sep;
  }

  /** size.c print_sysv_format: every section with flags, its size and address, then "Total". */
  private sysv(sections: BfdSection[], name: string, archive: string | undefined, common: bigint) {
    let nameLen = 0;
    let total = 0n;
    let maxVma = 0n;
    const shown = sections.filter((s) => s.flags !== 0);
    for (const s of shown) {
      if (s.name.length > nameLen) nameLen = s.name.length;
      total += s.size;
      if (s.vma > maxVma) maxVma = s.vma;
    }
    if (this.opts.common) {
      if (nameLen < 5) nameLen = 5;
      total += common;
    }
    const vmaLen = Math.max(4, this.plain(maxVma).length);
    const sizeLen = Math.max(4, this.plain(total).length);
    const parts: string[] = [];
    parts.push(`${name}  ${archive !== undefined ? ` (ex ${archive})` : ""}:\n`);
    parts.push(`${"section".padEnd(nameLen)}   ${"size".padStart(sizeLen)}   ${"addr".padStart(vmaLen)}\n`);
    for (const s of shown) {
      parts.push(
        `${s.name.padEnd(nameLen)}   ${this.number(s.size, sizeLen)}   ${this.number(s.vma, vmaLen)}\n`,
      );
    }
    if (this.opts.common) {
      parts.push(
        `${"*COM*".padEnd(nameLen)}   ${this.number(common, sizeLen)}   ${this.number(0n, vmaLen)}\n`,
      );
    }
    parts.push(`${"Total".padEnd(nameLen)}   ${this.number(total, sizeLen)}\n\n`);
    this.out.write(parts.join(""));
  }

  /** The "(TOTALS)" line of -t, printed after all files (Berkeley and GNU formats only). */
  finish(): void {
    if (!this.opts.totals || this.opts.format === "sysv") return;
    this.out.write(`${this.row(this.totalText & U64, this.totalData & U64, this.totalBss & U64)}(TOTALS)\n`);
  }
}

/** A reason this module can throw that is not the file's fault. */
export function isBfdFormatError(e: unknown): e is BfdFormatError {
  return e instanceof Error && e.name === "BfdFormatError";
}
