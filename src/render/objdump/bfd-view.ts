// The file as GNU objdump sees it through BFD: which ELF sections become BFD sections (relocation
// sections are folded into the section they relocate, the symbol and string tables disappear), their
// flags, load addresses and (decompressed) sizes, the canonical symbols, and the file-level flags.
// Reproduced from observing objdump 2.40 on this machine's files.
import {
  type ElfFile,
  type ElfSymbol,
  ET_DYN,
  ET_EXEC,
  PT_LOAD,
  parseCompressionHeader,
  parseVerdefs,
  parseVerneeds,
  parseVersym,
  parseZlibGnuHeader,
  type SectionHeader,
  SHF_ALLOC,
  SHF_COMPRESSED,
  SHF_EXCLUDE,
  SHF_EXECINSTR,
  SHF_TLS,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHT_DYNSYM,
  SHT_GNU_verdef,
  SHT_GNU_verneed,
  SHT_GNU_versym,
  SHT_GROUP,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  STB_GLOBAL,
  STB_GNU_UNIQUE,
  STB_LOCAL,
  STB_WEAK,
  STT_COMMON,
  STT_FILE,
  STT_FUNC,
  STT_GNU_IFUNC,
  STT_OBJECT,
  STT_SECTION,
  symBind,
  symType,
} from "../../elf/index.js";
import {
  hasSameSizeLinkOnce,
  isSpecialSymbol,
  symbolValue,
  targetArchitectureName,
  targetFormatName,
} from "./targets.js";

export interface BfdSection {
  /** objdump's Idx: the position among BFD sections. */
  idx: number;
  sh: SectionHeader;
  /** The ELF name; -h shows `headerName` (".zdebug_x" inflated is listed as ".debug_x"). */
  name: string;
  headerName: string;
  size: bigint;
  vma: bigint;
  lma: bigint;
  alignPower: number;
  /** Flag names in the order objdump -h prints them. */
  flags: string[];
  hasContents: boolean;
  /** The SHT_REL/SHT_RELA sections folded into this one (its -r records). */
  relocSections: SectionHeader[];
  /** SHF_COMPRESSED or a ".zdebug" section with a "ZLIB" header: contents must be inflated. */
  compressed: boolean;
}

/** bfd_log2: the smallest power of two not below `x`. */
export function log2Ceil(x: bigint): number {
  let p = 0;
  while (p < 64 && 1n << BigInt(p) < x) p++;
  return p;
}

const DEBUG_NAME = /^\.(debug|zdebug|gnu\.linkonce\.wi\.|line|stab|gnu\.debuglto_\.debug_)/;

/** Index of the file's SHT_SYMTAB (BFD's elf_onesymtab), 0 when none. */
export function symtabIndex(file: ElfFile): number {
  return file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB)?.index ?? 0;
}

export function dynsymIndex(file: ElfFile): number {
  return file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM)?.index ?? 0;
}

/** The BFD sections, in section header order. */
export function bfdSections(file: ElfFile): BfdSection[] {
  const cached = sectionCache.get(file);
  if (cached) return cached;
  const shdrs = file.sectionHeaders;
  const symtab = symtabIndex(file);
  const strtabOfSymtab = new Set(shdrs.filter((s) => s.sh_type === SHT_SYMTAB).map((s) => s.sh_link));
  const folded = new Map<number, SectionHeader[]>();
  const skip = new Set<number>();
  for (const sh of shdrs) {
    if (sh.index === 0) continue;
    if (sh.sh_type === SHT_NULL || sh.sh_type === SHT_SYMTAB || sh.sh_type === SHT_SYMTAB_SHNDX) {
      skip.add(sh.index);
    } else if (sh.sh_type === SHT_STRTAB) {
      if (sh.index === file.shstrndx || strtabOfSymtab.has(sh.index)) skip.add(sh.index);
    } else if (sh.sh_type === SHT_REL || sh.sh_type === SHT_RELA) {
      const target = shdrs[sh.sh_info];
      if (
        symtab !== 0 &&
        sh.sh_link === symtab &&
        sh.sh_info !== 0 &&
        target !== undefined &&
        target.sh_type !== SHT_REL &&
        target.sh_type !== SHT_RELA &&
        target.sh_type !== SHT_SYMTAB &&
        target.sh_type !== SHT_STRTAB
      ) {
        skip.add(sh.index);
        const list = folded.get(sh.sh_info) ?? [];
        list.push(sh);
        folded.set(sh.sh_info, list);
      }
    }
  }
  const phdrs = safe(() => file.programHeaders, []);
  const loads = phdrs.filter((p) => p.p_type === PT_LOAD);
  const usePaddr = loads.some((p) => p.p_paddr !== 0n);
  const out: BfdSection[] = [];
  for (const sh of shdrs) {
    if (sh.index === 0 || skip.has(sh.index)) continue;
    const name = file.sectionName(sh) ?? "";
    const headerName = name;
    let size = sh.sh_size;
    let align = sh.sh_addralign;
    let compressed = false;
    if (sh.sh_type !== SHT_NOBITS && (sh.sh_flags & SHF_COMPRESSED) !== 0n) {
      const head = safe(() => file.read(sh.sh_offset, file.is64 ? 24 : 12, "compression header"), undefined);
      const ch = head && parseCompressionHeader(head, file.is64, file.littleEndian);
      if (ch) {
        size = ch.ch_size;
        align = ch.ch_addralign;
        compressed = true;
      }
    } else if (sh.sh_type !== SHT_NOBITS && name.startsWith(".zdebug")) {
      const head = safe(() => file.read(sh.sh_offset, 13, "zlib header"), undefined);
      const legacy = head && parseZlibGnuHeader(head);
      if (legacy !== undefined) {
        size = legacy;
        compressed = true;
      }
    }
    const f = sh.sh_flags;
    const alloc = (f & SHF_ALLOC) !== 0n;
    const hasContents = sh.sh_type !== SHT_NOBITS;
    const load = alloc && hasContents;
    const relocSections = folded.get(sh.index) ?? [];
    const flags: string[] = [];
    if (hasContents) flags.push("CONTENTS");
    if (alloc) flags.push("ALLOC");
    if (load) flags.push("LOAD");
    if (relocSections.length > 0) flags.push("RELOC");
    if ((f & SHF_WRITE) === 0n) flags.push("READONLY");
    if ((f & SHF_EXECINSTR) !== 0n) flags.push("CODE");
    else if (load) flags.push("DATA");
    const debugging = !alloc && DEBUG_NAME.test(name);
    if (debugging) flags.push("DEBUGGING");
    if ((f & SHF_EXCLUDE) !== 0n) flags.push("EXCLUDE");
    if ((f & SHF_TLS) !== 0n) flags.push("THREAD_LOCAL");
    if (sh.sh_type === SHT_GROUP) {
      flags.push("GROUP");
      const word = safe(() => file.read(sh.sh_offset, 4, "group"), undefined);
      const v = word && word.length === 4 ? (file.littleEndian ? word[0]! : word[3]!) : 0;
      if (v & 1) flags.push("LINK_ONCE_DISCARD");
    }
    if (hasSameSizeLinkOnce(file, sh)) flags.push("LINK_ONCE_SAME_SIZE");
    if (debugging) flags.push("OCTETS");
    let lma = sh.sh_addr;
    if (alloc && usePaddr) {
      for (const p of loads) {
        const inMemory =
          sh.sh_addr >= p.p_vaddr && sh.sh_addr + (hasContents ? size : 0n) <= p.p_vaddr + p.p_memsz;
        const inFile = !hasContents || (sh.sh_offset >= p.p_offset && sh.sh_offset < p.p_offset + p.p_filesz);
        if (inMemory && (inFile || size === 0n)) {
          lma =
            hasContents && inFile
              ? p.p_paddr + (sh.sh_offset - p.p_offset)
              : p.p_paddr + (sh.sh_addr - p.p_vaddr);
          break;
        }
      }
    }
    out.push({
      idx: out.length,
      sh,
      name,
      headerName,
      size,
      vma: sh.sh_addr,
      lma,
      alignPower: log2Ceil(align),
      flags,
      hasContents,
      relocSections,
      compressed,
    });
  }
  sectionCache.set(file, out);
  return out;
}

const sectionCache = new WeakMap<ElfFile, BfdSection[]>();

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** bfd_get_target's name for the file. */
export function formatName(file: ElfFile): string {
  return targetFormatName(file);
}

export function architectureName(file: ElfFile): string {
  return targetArchitectureName(file);
}

/** BFD's file flags (HAS_RELOC 0x1 ... D_PAGED 0x100), as -f prints them. */
export function fileFlags(file: ElfFile): { value: number; names: string[] } {
  const t = file.header.e_type;
  let value = 0;
  const sections = safe(() => bfdSections(file), []);
  const entry = (sh: SectionHeader) =>
    sh.sh_type === SHT_RELA ? (file.is64 ? 24n : 12n) : file.is64 ? 16n : 8n;
  if (sections.some((s) => s.relocSections.some((r) => r.sh_size >= entry(r)))) value |= 0x1;
  if (t === ET_EXEC) value |= 0x2;
  const shdrs = safe(() => file.sectionHeaders, []);
  const symSize = file.is64 ? 24n : 16n;
  // HAS_SYMS: at least one symbol besides the null entry.
  if (shdrs.some((s) => (s.sh_type === SHT_SYMTAB || s.sh_type === SHT_DYNSYM) && s.sh_size >= 2n * symSize))
    value |= 0x10;
  if (t === ET_DYN) value |= 0x40;
  if ((t === ET_EXEC || t === ET_DYN) && safe(() => file.programHeaders.length, 0) > 0) value |= 0x100;
  const all = [
    "HAS_RELOC",
    "EXEC_P",
    "HAS_LINENO",
    "HAS_DEBUG",
    "HAS_SYMS",
    "HAS_LOCALS",
    "DYNAMIC",
    "WP_TEXT",
    "D_PAGED",
  ];
  return { value, names: all.filter((_, i) => (value & (1 << i)) !== 0) };
}

/** One of BFD's canonical symbols. */
export interface BfdSymbol {
  sym: ElfSymbol;
  name: string;
  /** The section column: a section name, *UND*, *ABS* or *COM*. */
  sectionName: string;
  section: BfdSection | undefined;
  value: bigint;
  size: bigint;
  /** The seven flag characters of -t. */
  flagChars: string;
  /** The version column, when the file has symbol versions: [text, hidden]. */
  version: [string, boolean] | undefined;
  defined: boolean;
  /** A target's special symbol (a mapping symbol, a local label), which -t and -T do not list. */
  special: boolean;
}

/** The version strings of a dynamic symbol table, or undefined when the file is unversioned. */
interface VersionInfo {
  versym: Uint16Array | undefined;
  defs: Map<number, string>;
  defCount: number;
  baseFlag: boolean;
  needs: Map<number, string>;
}

function versionInfo(file: ElfFile): VersionInfo | undefined {
  const shdrs = file.sectionHeaders;
  const versymSh = shdrs.find((s) => s.sh_type === SHT_GNU_versym);
  const verdefSh = shdrs.find((s) => s.sh_type === SHT_GNU_verdef);
  const verneedSh = shdrs.find((s) => s.sh_type === SHT_GNU_verneed);
  if (!versymSh || (!verdefSh && !verneedSh)) return undefined;
  const info: VersionInfo = {
    versym: safe(() => parseVersym(file, versymSh), undefined),
    defs: new Map(),
    defCount: 0,
    baseFlag: false,
    needs: new Map(),
  };
  if (verdefSh) {
    const defs = safe(() => parseVerdefs(file, verdefSh), []);
    info.defCount = defs.length;
    info.baseFlag = (defs[0]?.vd_flags ?? 0) === 1;
    for (const d of defs) info.defs.set(d.vd_ndx, d.aux[0]?.name ?? "");
  }
  if (verneedSh)
    for (const n of safe(() => parseVerneeds(file, verneedSh), []))
      for (const a of n.aux) if (!info.needs.has(a.vna_other)) info.needs.set(a.vna_other, a.name ?? "");
  return info;
}

function versionOf(info: VersionInfo, index: number): [string, boolean] {
  const raw = info.versym?.[index] ?? 0;
  const hidden = (raw & 0x8000) !== 0;
  const n = raw & 0x7fff;
  if (n === 0) return ["", hidden];
  if (n === 1 && (n > info.defCount || info.baseFlag)) return ["Base", hidden];
  if (n <= info.defCount && info.defs.has(n)) return [info.defs.get(n)!, hidden];
  const need = info.needs.get(n);
  if (need !== undefined) return [need, true];
  return ["<corrupt>", hidden];
}

/** The symbols of the SHT_SYMTAB (dynamic=false) or SHT_DYNSYM table, entry 0 left out. */
export function bfdSymbols(file: ElfFile, dynamic: boolean): BfdSymbol[] | undefined {
  const sh = file.sectionHeaders.find((s) => s.sh_type === (dynamic ? SHT_DYNSYM : SHT_SYMTAB));
  if (!sh) return undefined;
  const sections = bfdSections(file);
  const byIndex = new Map(sections.map((s) => [s.sh.index, s]));
  const versions = versionInfo(file);
  const syms = file.symbols(sh);
  const out: BfdSymbol[] = [];
  for (let i = 1; i < syms.length; i++) {
    const sym = syms[i]!;
    const bind = symBind(sym);
    const type = symType(sym);
    const shndx = sym.shndx;
    let section: BfdSection | undefined;
    let sectionName: string;
    if (shndx === SHN_UNDEF) sectionName = "*UND*";
    else if (shndx === SHN_COMMON) sectionName = "*COM*";
    else if (shndx === SHN_ABS || (shndx >= SHN_LORESERVE && sym.st_shndx !== 0xffff)) sectionName = "*ABS*";
    else {
      section = byIndex.get(shndx);
      sectionName = section ? section.name : "*ABS*";
    }
    const common = shndx === SHN_COMMON;
    const defined = shndx !== SHN_UNDEF;
    let name = sym.name ?? "";
    if (type === STT_SECTION && section) name = section.name;
    let c1 = " ";
    if (bind === STB_LOCAL) c1 = "l";
    else if (bind === STB_GNU_UNIQUE && defined) c1 = "u";
    else if (bind === STB_GLOBAL && defined && !common) c1 = "g";
    const c2 = bind === STB_WEAK ? "w" : " ";
    const c5 = type === STT_GNU_IFUNC ? "i" : " ";
    const c6 = type === STT_SECTION || type === STT_FILE ? "d" : dynamic ? "D" : " ";
    const c7 =
      type === STT_FUNC
        ? "F"
        : type === STT_FILE
          ? "f"
          : type === STT_OBJECT || type === STT_COMMON
            ? "O"
            : " ";
    out.push({
      sym,
      name,
      sectionName,
      section,
      value: common ? sym.st_size : symbolValue(file, sym.st_value, type === STT_FUNC),
      size: common ? sym.st_value : sym.st_size,
      flagChars: `${c1}${c2}  ${c5}${c6}${c7}`,
      version: versions ? (dynamic ? versionOf(versions, i) : ["", false]) : undefined,
      defined,
      special: type !== STT_SECTION && isSpecialSymbol(file, name),
    });
  }
  return out;
}

/** Hex digits, zero padded to the file's address width (16 or 8). */
export function hexAddr(file: ElfFile, v: bigint): string {
  const width = file.is64 ? 16 : 8;
  const mask = file.is64 ? (1n << 64n) - 1n : 0xffffffffn;
  return (v & mask).toString(16).padStart(width, "0");
}
