import {
  type ElfFile,
  ET_REL,
  latin1,
  type SectionHeader,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_DYNSYM,
  SHT_GNU_verdef,
  SHT_GNU_verneed,
  SHT_GNU_versym,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  STT_GNU_IFUNC,
} from "../elf/index.js";
import { nmTarget } from "./nm-targets.js";
import type { Output } from "./output.js";

/**
 * `nm` for ELF files, as GNU nm 2.40 prints them. The table mirrors what BFD makes of an ELF symbol
 * table (elfcode.h elf_slurp_symbol_table): index 0 dropped, each symbol placed in a BFD section
 * (*UND*, *ABS*, *COM* or the section its st_shndx names) and given BSF_* flags from its binding and type;
 * its class letter is bfd_decode_symclass's (bfd/syms.c). Other machines read as the target-aware nm
 * (binutils-multiarch, the cross nms) reads them: their backend's hooks are in nm-targets.ts (mapping
 * symbols and local labels hidden, ARM Thumb bits cleared). Columns are kept as parallel arrays so
 * that a 200k-symbol table costs no per-symbol objects or bigints.
 */

// What filter_symbols and numeric_forward need to know about a symbol (bits of NmTable.kinds).
const K_UND = 1; // in the undefined section
const K_COM = 2; // in the common section
const K_ABS = 4; // in the absolute section
const K_DEBUG = 8; // BSF_DEBUGGING: section and file symbols
const K_EXTERN = 16; // BSF_GLOBAL | BSF_WEAK | BSF_GNU_UNIQUE
const K_NOSIZE = 32; // BSF_SECTION_SYM: nm has no elf_symbol_type for it, so no size
const K_WEAK = 64; // BSF_WEAK, for --no-weak
const K_SPECIAL = 128; // bfd_is_target_special_symbol, for --special-syms

export interface NmTable {
  /** 64-bit class: values print as 16 hex digits, else 8. */
  is64: boolean;
  count: number;
  /** The symbol's name (from the table's string table; section symbols take their section's name). */
  name(i: number): string;
  /** The class letter's char code (bfd_decode_symclass). */
  classes: Uint8Array;
  /** Symbol value plus section VMA (what nm prints), as high and low 32-bit halves. */
  valueHi: Uint32Array;
  valueLo: Uint32Array;
  sizeHi: Uint32Array;
  sizeLo: Uint32Array;
  kinds: Uint8Array;
  /** ELF symbol type (st_info & 0xf) for the sysv format. */
  types: Uint8Array;
  /** BFD section names (*UND*, *ABS*, *COM*, or the ELF section's), for the sysv format. */
  sectionName(i: number): string;
  /** Every name as NUL-terminated bytes at nameOffsets[i]: what the sort compares, like strcmp. */
  nameBytes: Uint8Array;
  nameOffsets: Int32Array;
  /** "@VER" / "@@VER" suffixes of dynamic symbols, when the file has version tables. */
  versions: string[] | undefined;
}

// --- BFD's view of the sections -------------------------------------------------------------------

// SEC_* flags, as _bfd_elf_make_section_from_shdr derives them from the section header.
const SEC_HAS_CONTENTS = 1;
const SEC_CODE = 2;
const SEC_DATA = 4;
const SEC_READONLY = 8;
const SEC_DEBUGGING = 16;
const SEC_SMALL_DATA = 32;

const SHF_WRITE = 1;
const SHF_ALLOC = 2;
const SHF_EXECINSTR = 4;

interface BfdSection {
  /** Whether BFD made an asection for it (symbols in other sections land in *ABS*). */
  exists: boolean;
  name: string;
  /** Class letter of a local symbol in it (coff_section_type, else decode_section_type). */
  letter: number;
  vmaHi: number;
  vmaLo: number;
}

function startsWithAny(name: string, prefixes: readonly string[]): boolean {
  for (const p of prefixes) if (name.startsWith(p)) return true;
  return false;
}

/** bfd/syms.c coff_section_type: PE section names BFD maps by name, even in ELF files. */
function coffSectionType(name: string): number {
  const table: [string, string][] = [
    [".drectve", "i"],
    [".edata", "e"],
    [".idata", "i"],
    [".pdata", "p"],
  ];
  for (const [prefix, letter] of table) {
    if (name.startsWith(prefix)) {
      const next = name.charAt(prefix.length);
      if (next === "" || ".$0123456789".includes(next)) return letter.charCodeAt(0);
    }
  }
  return 63; // '?'
}

/** bfd/syms.c decode_section_type, over the SEC_* flags. */
function decodeSectionType(flags: number): number {
  if (flags & SEC_CODE) return 0x74; // t
  if (flags & SEC_DATA) {
    if (flags & SEC_READONLY) return 0x72; // r
    if (flags & SEC_SMALL_DATA) return 0x67; // g
    return 0x64; // d
  }
  if ((flags & SEC_HAS_CONTENTS) === 0) return flags & SEC_SMALL_DATA ? 0x73 : 0x62; // s, b
  if (flags & SEC_DEBUGGING) return 0x4e; // N
  if (flags & SEC_READONLY) return 0x6e; // n
  return 63;
}

function sectionFlags(sh: SectionHeader, name: string): number {
  const shf = Number(sh.sh_flags & 0xffffffffn);
  let flags = 0;
  if (sh.sh_type !== SHT_NOBITS) flags |= SEC_HAS_CONTENTS;
  const alloc = (shf & SHF_ALLOC) !== 0;
  const load = alloc && sh.sh_type !== SHT_NOBITS;
  if ((shf & SHF_WRITE) === 0) flags |= SEC_READONLY;
  if (shf & SHF_EXECINSTR) flags |= SEC_CODE;
  else if (load) flags |= SEC_DATA;
  if (!alloc && name.startsWith(".")) {
    if (
      startsWithAny(name, [
        ".debug",
        ".gnu.debuglto_.debug_",
        ".gnu.linkonce.wi.",
        ".zdebug",
        ".line",
        ".stab",
      ]) ||
      name === ".gdb_index"
    ) {
      flags |= SEC_DEBUGGING;
    }
  }
  return flags;
}

/** Mirrors which section headers bfd_section_from_shdr turns into asections. */
function bfdSections(file: ElfFile): BfdSection[] {
  const headers = file.sectionHeaders;
  let names: { get(o: number): string | undefined } | undefined;
  try {
    names = file.sectionNameTable;
  } catch {
    names = undefined;
  }
  const symtab = headers.find((s) => s.sh_type === SHT_SYMTAB);
  const shstrndx = file.shstrndx;
  const isRel = file.header.e_type === ET_REL;
  const out: BfdSection[] = new Array(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const sh = headers[i]!;
    const name = names?.get(sh.sh_name) ?? "";
    let exists = i !== 0;
    const t = sh.sh_type;
    if (t === SHT_SYMTAB) exists = (Number(sh.sh_flags & 2n) !== 0 && !isRel) || sh !== symtab;
    else if (t === SHT_SYMTAB_SHNDX) exists = false;
    else if (t === SHT_STRTAB) exists = i !== shstrndx && symtab?.sh_link !== i;
    else if (t === SHT_REL || t === SHT_RELA) {
      const target = headers[sh.sh_info];
      const plain =
        (!isRel && Number(sh.sh_flags & 2n) !== 0) ||
        sh.sh_link === 0 ||
        symtab === undefined ||
        sh.sh_link !== symtab.index ||
        sh.sh_info === 0 ||
        target === undefined ||
        target.sh_type === SHT_REL ||
        target.sh_type === SHT_RELA;
      exists = plain;
    }
    const flags = sectionFlags(sh, name);
    let letter = coffSectionType(name);
    if (letter === 63) letter = decodeSectionType(flags);
    out[i] = {
      exists,
      name,
      letter,
      vmaHi: Number((sh.sh_addr >> 32n) & 0xffffffffn),
      vmaLo: Number(sh.sh_addr & 0xffffffffn),
    };
  }
  return out;
}

// --- symbol versions (for -D) ------------------------------------------------------------------------

interface VersionInfo {
  versym: Uint16Array;
  /** vd_ndx - 1 -> node name (first Verdaux), with VER_FLG_BASE of index 1. */
  defs: (string | undefined)[];
  baseFlag: boolean;
  /** vna_other -> vna_name. */
  needs: Map<number, string>;
}

function readVersions(file: ElfFile, symcount: number): VersionInfo | undefined {
  const headers = file.sectionHeaders;
  const versymSh = headers.find((s) => s.sh_type === SHT_GNU_versym);
  const verdefSh = headers.find((s) => s.sh_type === SHT_GNU_verdef);
  const verneedSh = headers.find((s) => s.sh_type === SHT_GNU_verneed);
  if (!versymSh || (!verdefSh && !verneedSh)) return undefined;
  const vsData = file.sectionData(versymSh);
  if (Math.floor(vsData.length / 2) !== symcount) return undefined;
  const vr = file.readerOver(vsData, "version symbol table");
  const versym = new Uint16Array(symcount);
  for (let i = 0; i < symcount; i++) versym[i] = vr.u16(i * 2);
  const defs: (string | undefined)[] = [];
  let baseFlag = false;
  const needs = new Map<number, string>();
  const strOf = (sh: SectionHeader) => {
    try {
      return file.stringTable(sh.sh_link);
    } catch {
      return undefined;
    }
  };
  if (verdefSh) {
    const data = file.sectionData(verdefSh);
    const r = file.readerOver(data, "version definition section");
    const strings = strOf(verdefSh);
    let off = 0;
    for (let n = 0; n < verdefSh.sh_info && off + 20 <= data.length; n++) {
      const flags = r.u16(off + 2);
      const ndx = r.u16(off + 4);
      const cnt = r.u16(off + 6);
      const aux = r.u32(off + 12);
      const next = r.u32(off + 16);
      let name: string | undefined;
      if (cnt > 0 && off + aux + 8 <= data.length) name = strings?.get(r.u32(off + aux));
      if (ndx >= 1 && ndx <= 0xffff) {
        while (defs.length < ndx) defs.push(undefined);
        defs[ndx - 1] = name;
        if (ndx === 1) baseFlag = (flags & 1) !== 0;
      }
      if (next === 0) break;
      off += next;
    }
  }
  if (verneedSh) {
    const data = file.sectionData(verneedSh);
    const r = file.readerOver(data, "version needs section");
    const strings = strOf(verneedSh);
    let off = 0;
    for (let n = 0; n < verneedSh.sh_info && off + 16 <= data.length; n++) {
      const cnt = r.u16(off + 2);
      let a = off + r.u32(off + 8);
      for (let j = 0; j < cnt && a + 16 <= data.length; j++) {
        const other = r.u16(a + 6);
        const name = strings?.get(r.u32(a + 8));
        if (!needs.has(other) && name !== undefined) needs.set(other, name);
        const anext = r.u32(a + 12);
        if (anext === 0) break;
        a += anext;
      }
      const next = r.u32(off + 12);
      if (next === 0) break;
      off += next;
    }
  }
  return { versym, defs, baseFlag, needs };
}

/** _bfd_elf_get_symbol_version_string plus print_symname's "@"/"@@" choice. */
function versionSuffix(v: VersionInfo, index: number, name: () => string, undefinedSym: boolean): string {
  const raw = v.versym[index]!;
  let hidden = (raw & 0x8000) !== 0;
  const vernum = raw & 0x7fff;
  let str: string;
  if (vernum === 0) return "";
  if (vernum === 1 && (vernum > v.defs.length || v.baseFlag)) return "";
  if (vernum <= v.defs.length) {
    const node = v.defs[vernum - 1];
    str = node === undefined || node !== name() ? (node ?? "") : "";
    if (node === undefined) str = "";
  } else {
    const need = v.needs.get(vernum);
    hidden = true;
    str = need ?? "<corrupt>";
  }
  if (str === "") return "";
  return (hidden || undefinedSym ? "@" : "@@") + str;
}

// --- the symbol table ------------------------------------------------------------------------------

/** Names of a string table, decoded once: slicing one string is much cheaper than decoding each name. */
class FastStrings {
  private readonly text: string;
  constructor(readonly bytes: Uint8Array) {
    this.text = latin1(bytes);
  }
  get(off: number): string | undefined {
    const t = this.text;
    if (off >= t.length) return undefined;
    let end = t.indexOf("\0", off);
    if (end < 0) end = t.length;
    return t.slice(off, end);
  }
}

/**
 * The symbol table nm would list (`dynamic`: .dynsym), or undefined when the file has none (nm's
 * "no symbols"). Throws ElfError on a table that cannot be read.
 */
export function readNmTable(file: ElfFile, dynamic: boolean): NmTable | undefined {
  const headers = file.sectionHeaders;
  const symSh = headers.find((s) => s.sh_type === (dynamic ? SHT_DYNSYM : SHT_SYMTAB));
  if (!symSh) return undefined;
  const is64 = file.is64;
  const entsize = is64 ? 24 : 16;
  const data = file.sectionData(symSh);
  const total = Math.floor(data.length / entsize);
  if (total <= 1) return undefined;
  const count = total - 1;
  const le = file.littleEndian;
  const sections = bfdSections(file);
  let strBytes: Uint8Array;
  try {
    strBytes = symSh.sh_link !== 0 ? file.sectionData(file.section(symSh.sh_link)) : new Uint8Array(0);
  } catch {
    strBytes = new Uint8Array(0);
  }
  let secNames: FastStrings | undefined;
  const secNameText = (shndx: number): string | undefined => {
    if (!secNames) {
      try {
        const idx = file.shstrndx;
        secNames = new FastStrings(file.sectionData(file.section(idx)));
      } catch {
        return undefined;
      }
    }
    return secNames.get(headers[shndx]!.sh_name);
  };
  const shndxSh = headers.find((s) => s.sh_type === SHT_SYMTAB_SHNDX && s.sh_link === symSh.index);
  const shndxReader = shndxSh
    ? file.readerOver(file.sectionData(shndxSh), "extended section indexes")
    : undefined;
  const isRel = file.header.e_type === ET_REL;
  const versions = dynamic ? readVersions(file, total) : undefined;
  const target = nmTarget(file.header.e_machine);
  const procSections = target.processorSections ? [...target.processorSections.values()] : [];

  const classes = new Uint8Array(count);
  const valueHi = new Uint32Array(count);
  const valueLo = new Uint32Array(count);
  const sizeHi = new Uint32Array(count);
  const sizeLo = new Uint32Array(count);
  const kinds = new Uint8Array(count);
  const types = new Uint8Array(count);
  const secOf = new Int32Array(count);
  const nameOffsets = new Int32Array(count);
  const extras: number[] = [];
  const strLen = strBytes.length;
  const verOf: string[] | undefined = versions ? new Array(count) : undefined;
  const nsec = sections.length;

  // Bounds: every entry lies inside `data` (count comes from its length).
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const extraNames: string[] = [];

  for (let i = 0; i < count; i++) {
    const at = (i + 1) * entsize;
    let stName: number;
    let info: number;
    let shndx: number;
    let vHi: number;
    let vLo: number;
    let sHi: number;
    let sLo: number;
    if (is64) {
      stName = dv.getUint32(at, le);
      info = data[at + 4]!;
      shndx = dv.getUint16(at + 6, le);
      if (le) {
        vLo = dv.getUint32(at + 8, true);
        vHi = dv.getUint32(at + 12, true);
        sLo = dv.getUint32(at + 16, true);
        sHi = dv.getUint32(at + 20, true);
      } else {
        vHi = dv.getUint32(at + 8);
        vLo = dv.getUint32(at + 12);
        sHi = dv.getUint32(at + 16);
        sLo = dv.getUint32(at + 20);
      }
    } else {
      stName = dv.getUint32(at, le);
      vHi = 0;
      vLo = dv.getUint32(at + 4, le);
      sHi = 0;
      sLo = dv.getUint32(at + 8, le);
      info = data[at + 12]!;
      shndx = dv.getUint16(at + 14, le);
    }
    if (shndx === SHN_XINDEX && shndxReader && (i + 2) * 4 <= shndxReader.length) {
      shndx = shndxReader.u32((i + 1) * 4);
    }
    const bind = info >> 4;
    const type = info & 0xf;
    if (target.clearsThumbBit && (type === 2 || type === STT_GNU_IFUNC) && shndx !== SHN_COMMON) {
      vLo = (vLo & ~1) >>> 0;
    }
    if (target.clearsIsaBit && type === 2 && shndx !== SHN_COMMON) vLo = (vLo & ~1) >>> 0;
    if (stName === 0 && type === 3 && shndx < nsec) {
      extras.push(i);
      extraNames.push(secNameText(shndx) ?? "(null)");
    } else if (stName < strLen) nameOffsets[i] = stName;
    else {
      extras.push(i);
      extraNames.push("(null)");
    }

    let kind = 0;
    let secIdx = -1;
    // A processor-specific section (secOf -10 - k; its letter replaces the section's).
    let procIdx = -1;
    const proc = procSections.length > 0 ? target.processorSections!.get(shndx) : undefined;
    if (proc) {
      procIdx = procSections.indexOf(proc);
      if (proc.role === "undefined") kind |= K_UND;
      else if (proc.role === "common") {
        kind |= K_COM;
        vHi = sHi;
        vLo = sLo;
      }
    } else if (shndx === SHN_UNDEF) kind |= K_UND;
    else if (shndx === SHN_ABS) kind |= K_ABS;
    else if (shndx === SHN_COMMON) {
      kind |= K_COM;
      // BFD keeps a common symbol's size in its value.
      vHi = sHi;
      vLo = sLo;
    } else if (shndx < nsec && sections[shndx]!.exists) secIdx = shndx;
    else kind |= K_ABS;

    // Flags from elf_slurp_symbol_table.
    const local = bind === 0;
    const global = bind === 1 && !(kind & (K_UND | K_COM));
    const weak = bind === 2;
    const unique = bind === 10;
    if (bind === 1 || weak || unique) kind |= K_EXTERN;
    if (weak) kind |= K_WEAK;
    if (type === 3) kind |= K_DEBUG | K_NOSIZE;
    else if (type === 4) kind |= K_DEBUG;
    const object = type === 1 || type === 5;
    const ifunc = type === STT_GNU_IFUNC;

    // bfd_decode_symclass.
    let c: number;
    if (kind & K_COM)
      c = procIdx >= 0 ? procSections[procIdx]!.letter : 0x43; // C
    else if (kind & K_UND)
      c = weak ? (object ? 0x76 : 0x77) : 0x55; // v w U
    else if (ifunc)
      c = 0x69; // i
    else if (weak)
      c = object ? 0x56 : 0x57; // V W
    else if (unique)
      c = 0x75; // u
    else if (!global && !local)
      c = 0x3f; // ?
    else {
      c = secIdx >= 0 ? sections[secIdx]!.letter : procIdx >= 0 ? procSections[procIdx]!.letter : 0x61; // a
      if (global && c >= 0x61 && c <= 0x7a) c -= 0x20;
    }

    // Printed value: section VMA + section-relative value; for ET_REL the value is already relative.
    if (secIdx >= 0 && isRel) {
      const s = sections[secIdx]!;
      if (s.vmaHi !== 0 || s.vmaLo !== 0) {
        const lo = vLo + s.vmaLo;
        vHi = (vHi + s.vmaHi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
        vLo = lo >>> 0;
      }
    }
    if (kind & K_UND) {
      vHi = 0;
      vLo = 0;
    }

    classes[i] = c;
    valueHi[i] = vHi;
    valueLo[i] = vLo;
    sizeHi[i] = sHi;
    sizeLo[i] = sLo;
    kinds[i] = kind;
    types[i] = type;
    secOf[i] =
      procIdx >= 0 ? -10 - procIdx : kind & K_UND ? -1 : kind & K_COM ? -2 : secIdx >= 0 ? secIdx : -3;
  }
  // Names not in the string table (section symbols, "(null)") go after a copy of it, NUL-terminated.
  let extraLen = 0;
  for (const n of extraNames) extraLen += n.length + 1;
  const nameBytes = new Uint8Array(strLen + 1 + extraLen);
  nameBytes.set(strBytes);
  let at = strLen + 1;
  for (let k = 0; k < extras.length; k++) {
    const n = extraNames[k]!;
    nameOffsets[extras[k]!] = at;
    for (let j = 0; j < n.length; j++) nameBytes[at++] = n.charCodeAt(j);
    at++;
  }
  const isSpecial = target.isSpecial;
  if (isSpecial) {
    for (let i = 0; i < count; i++)
      if (isSpecial(nameBytes, nameOffsets[i]!)) kinds[i] = kinds[i]! | K_SPECIAL;
  }
  let text: string | undefined;
  function name(i: number): string {
    if (text === undefined) text = bytesToText(nameBytes);
    const off = nameOffsets[i]!;
    return text.slice(off, nameBytes.indexOf(0, off));
  }
  if (verOf && versions) {
    for (let i = 0; i < count; i++) {
      verOf[i] = versionSuffix(versions, i + 1, () => name(i), (kinds[i]! & K_UND) !== 0);
    }
  }
  const sectionName = (i: number): string => {
    const x = secOf[i]!;
    if (x <= -10) return procSections[-10 - x]!.name;
    return x === -1 ? "*UND*" : x === -2 ? "*COM*" : x === -3 ? "*ABS*" : sections[x]!.name;
  };
  return {
    is64,
    count,
    name,
    nameBytes,
    nameOffsets,
    sectionName,
    classes,
    valueHi,
    valueLo,
    sizeHi,
    sizeLo,
    kinds,
    types,
    versions: verOf,
  };
}

// --- options, filtering, sorting ----------------------------------------------------------------------

export type NmFormat = "bsd" | "sysv" | "posix" | "just-symbols";

export interface NmOptions {
  dynamic: boolean;
  debugSyms: boolean;
  externOnly: boolean;
  undefinedOnly: boolean;
  definedOnly: boolean;
  sort: "name" | "numeric" | "none" | "size";
  reverse: boolean;
  printSize: boolean;
  /** -A / -o: the file name before every symbol. */
  fileNamePerSymbol: boolean;
  /** Several files on the command line: a header line per file. */
  fileNamePerFile: boolean;
  specialSyms: boolean;
  noWeak: boolean;
  withVersions: boolean;
  format: NmFormat;
  radix: 8 | 10 | 16;
  demangle?: (name: string) => string;
  /** --synthetic: the PLT stubs' `name@plt` symbols too. */
  synthetic?: boolean;
}

export function defaultNmOptions(): NmOptions {
  return {
    dynamic: false,
    debugSyms: false,
    externOnly: false,
    undefinedOnly: false,
    definedOnly: false,
    sort: "name",
    reverse: false,
    printSize: false,
    fileNamePerSymbol: false,
    fileNamePerFile: false,
    specialSyms: false,
    noWeak: false,
    withVersions: true,
    format: "bsd",
    radix: 16,
  };
}

/** nm.c filter_symbols: the indexes of the symbols to print. */
export function filterSymbols(t: NmTable, o: NmOptions): number[] {
  const out: number[] = [];
  const kinds = t.kinds;
  for (let i = 0; i < t.count; i++) {
    const k = kinds[i]!;
    if (o.undefinedOnly) {
      if (!(k & K_UND)) continue;
    } else if (o.externOnly) {
      if (!(k & (K_EXTERN | K_UND | K_COM))) continue;
    } else if (o.noWeak && k & K_WEAK) continue;
    if (!o.debugSyms && k & K_DEBUG) continue;
    if (!o.specialSyms && k & K_SPECIAL) continue;
    if (o.sort === "size" && k & (K_ABS | K_UND)) continue;
    if (o.definedOnly && k & K_UND) continue;
    out.push(i);
  }
  return out;
}

/**
 * Sorts idx[lo, hi) by name bytes (strcmp: strcoll in the C locale) from byte `depth` on, with
 * Bentley-Sedgewick multikey quicksort; equal names end up in table order, which is what glibc's
 * stable merge-sort qsort gives nm. Much cheaper than comparing JS strings with long shared prefixes.
 */
function sortByName(
  buf: Uint8Array,
  off: Int32Array,
  idx: Int32Array,
  lo: number,
  hi: number,
  depth: number,
): void {
  while (hi - lo > 1) {
    if (hi - lo < 12) {
      insertionByName(buf, off, idx, lo, hi, depth);
      return;
    }
    const mid = lo + ((hi - lo) >> 1);
    // Median of three first bytes as the pivot.
    const a = buf[off[idx[lo]!]! + depth]!;
    const b = buf[off[idx[mid]!]! + depth]!;
    const c = buf[off[idx[hi - 1]!]! + depth]!;
    const v = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let lt = lo;
    let gt = hi - 1;
    let i = lo;
    while (i <= gt) {
      const x = idx[i]!;
      const ch = buf[off[x]! + depth]!;
      if (ch < v) {
        idx[i] = idx[lt]!;
        idx[lt] = x;
        lt++;
        i++;
      } else if (ch > v) {
        idx[i] = idx[gt]!;
        idx[gt] = x;
        gt--;
      } else i++;
    }
    sortByName(buf, off, idx, lo, lt, depth);
    sortByName(buf, off, idx, gt + 1, hi, depth);
    if (v === 0) {
      // Identical names: table order.
      idx.subarray(lt, gt + 1).sort();
      return;
    }
    lo = lt;
    hi = gt + 1;
    depth++;
  }
}

function insertionByName(
  buf: Uint8Array,
  off: Int32Array,
  idx: Int32Array,
  lo: number,
  hi: number,
  depth: number,
): void {
  for (let i = lo + 1; i < hi; i++) {
    const x = idx[i]!;
    let j = i - 1;
    while (j >= lo && compareFrom(buf, off[idx[j]!]! + depth, off[x]! + depth, idx[j]!, x) > 0) {
      idx[j + 1] = idx[j]!;
      j--;
    }
    idx[j + 1] = x;
  }
}

/** strcmp from the given offsets, ties broken by table index. */
function compareFrom(buf: Uint8Array, p: number, q: number, a: number, b: number): number {
  for (;;) {
    const x = buf[p++]!;
    const y = buf[q++]!;
    if (x !== y) return x - y;
    if (x === 0) return a - b;
  }
}

/** Whether two symbols have the same name. */
function sameName(t: NmTable, a: number, b: number): boolean {
  return compareFrom(t.nameBytes, t.nameOffsets[a]!, t.nameOffsets[b]!, 0, 0) === 0;
}

/** The symbols sorted by name (nm's non_numeric_forward), equal names in table order. */
function byName(t: NmTable, idx: number[]): Int32Array {
  const out = Int32Array.from(idx);
  sortByName(t.nameBytes, t.nameOffsets, out, 0, out.length, 0);
  return out;
}

/** A comparator negated, under a stable sort: the order reverses but equal elements keep table order. */
function reverseKeepingTies(
  t: NmTable,
  sorted: Int32Array,
  same: (a: number, b: number) => boolean,
): Int32Array {
  sorted.reverse();
  let start = 0;
  for (let i = 1; i <= sorted.length; i++) {
    if (i === sorted.length || !same(sorted[i - 1]!, sorted[i]!)) {
      if (i - start > 1) sorted.subarray(start, i).reverse();
      start = i;
    }
  }
  void t;
  return sorted;
}

/** qsort with nm's comparators (non_numeric_forward, numeric_forward and their reverses). */
export function sortSymbols(t: NmTable, idx: number[], o: NmOptions): ArrayLike<number> {
  if (o.sort === "none") return idx;
  if (o.sort === "size") return sortBySize(t, idx, o);
  const named = byName(t, idx);
  if (o.sort === "name") {
    return o.reverse ? reverseKeepingTies(t, named, (a, b) => sameName(t, a, b)) : named;
  }
  // numeric_forward: undefined symbols first, then by value, then by name; equal ones in table order.
  const rank = new Int32Array(t.count);
  let r = 0;
  for (let k = 0; k < named.length; k++) {
    if (k > 0 && !sameName(t, named[k - 1]!, named[k]!)) r++;
    rank[named[k]!] = r;
  }
  const { valueHi, valueLo, kinds } = t;
  const und = (i: number) => kinds[i]! & K_UND;
  const cmp = (a: number, b: number): number => {
    const ua = und(a);
    const ub = und(b);
    if (ua !== ub) return ua ? -1 : 1;
    if (!ua) {
      if (valueHi[a] !== valueHi[b]) return valueHi[a]! < valueHi[b]! ? -1 : 1;
      if (valueLo[a] !== valueLo[b]) return valueLo[a]! < valueLo[b]! ? -1 : 1;
    }
    return rank[a]! - rank[b]!;
  };
  const sorted = Int32Array.from(idx).sort((a, b) => cmp(a, b) || a - b);
  return o.reverse ? reverseKeepingTies(t, sorted, (a, b) => cmp(a, b) === 0) : sorted;
}

/** nm.c sort_symbols_by_size for ELF: st_size is the size; zero-sized symbols are dropped. */
function sortBySize(t: NmTable, idx: number[], o: NmOptions): number[] {
  const size = (i: number) => t.sizeHi[i]! * 4294967296 + t.sizeLo[i]!;
  const kept = idx.filter((i) => !(t.kinds[i]! & K_NOSIZE) && size(i) !== 0);
  const sign = o.reverse ? -1 : 1;
  return kept.sort((a, b) => {
    const sa = size(a);
    const sb = size(b);
    if (sa !== sb) return (sa < sb ? -1 : 1) * sign;
    return compareFrom(t.nameBytes, t.nameOffsets[a]!, t.nameOffsets[b]!, 0, 0) * sign;
  });
}

// --- printing ------------------------------------------------------------------------------------

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

function hex8(n: number): string {
  return HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!;
}

function formatValue(hi: number, lo: number, is64: boolean, radix: number, pad: boolean): string {
  if (radix === 16 && pad)
    return is64 ? hex8(hi) + hex8(lo) : hi !== 0 ? hi.toString(16) + hex8(lo) : hex8(lo);
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const s = v.toString(radix);
  return pad ? s.padStart(is64 ? 16 : 8, "0") : s;
}

const isUndefinedClass = (c: number) => c === 0x55 || c === 0x77 || c === 0x76; // U w v

/** bfd_demangle: leading dots/dollars and an "@..." suffix are kept around the demangled core. */
function bfdDemangle(name: string, demangle: (n: string) => string): string {
  let p = 0;
  while (p < name.length && (name.charCodeAt(p) === 0x2e || name.charCodeAt(p) === 0x24)) p++;
  const at = name.indexOf("@", p);
  const core = at < 0 ? name.slice(p) : name.slice(p, at);
  const out = demangle(core);
  if (out === core) return name;
  return name.slice(0, p) + out + (at < 0 ? "" : name.slice(at));
}

function symbolName(t: NmTable, i: number, o: NmOptions): string {
  let name = t.name(i);
  if (!o.withVersions) {
    const at = name.indexOf("@");
    if (at >= 0) name = name.slice(0, at);
  }
  if (o.demangle && name !== "") name = bfdDemangle(name, o.demangle);
  if (t.versions && o.withVersions) name += t.versions[i]!;
  return name;
}

const ELF_TYPE_NAMES = ["NOTYPE", "OBJECT", "FUNC", "SECTION", "FILE", "COMMON", "TLS"];

function elfTypeName(type: number): string {
  const n = ELF_TYPE_NAMES[type];
  if (n) return n;
  if (type >= 13) return `<processor specific>: ${type}`;
  if (type >= 10) return `<OS specific>: ${type}`;
  return `<unknown>: ${type}`;
}

/** Prints the listed symbols: print_symbols with the chosen format's print_symbol_info. */
export function printSymbols(
  t: NmTable,
  order: ArrayLike<number>,
  o: NmOptions,
  prefix: string,
  out: Output,
): void {
  if (o.radix === 16 && !o.demangle && o.format === "bsd" && o.sort !== "size" && o.withVersions) {
    printBsdBytes(t, order, o.printSize, prefix, out);
    return;
  }
  let buf = "";
  for (let n = 0; n < order.length; n++) {
    const i = order[n]!;
    const hasSize = (t.kinds[i]! & K_NOSIZE) === 0 && (t.sizeHi[i] !== 0 || t.sizeLo[i] !== 0);
    buf += `${prefix}${formatLine(t, i, o, hasSize)}\n`;
    if (buf.length > 1 << 16) {
      out.write(buf);
      buf = "";
    }
  }
  if (buf) out.write(buf);
}

const HEX_DIGITS = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);
const latin1Decoder = new TextDecoder("latin1");

/**
 * Bytes to a byte string. TextDecoder's "latin1" is really windows-1252, which differs only for
 * 0x80-0x9f (decoded above U+00FF): when any shows up, decode the slow exact way.
 */
function bytesToText(bytes: Uint8Array): string {
  const s = latin1Decoder.decode(bytes);
  return /[^\x00-\xff]/.test(s) ? latin1(bytes) : s;
}

/** The default listing, assembled as bytes (names copied straight from the string table). */
function printBsdBytes(
  t: NmTable,
  order: ArrayLike<number>,
  printSize: boolean,
  prefix: string,
  out: Output,
): void {
  const { classes, valueHi, valueLo, sizeHi, sizeLo, kinds, nameBytes, nameOffsets, versions, is64 } = t;
  const CHUNK = 1 << 16;
  let buf = new Uint8Array(CHUNK * 2);
  let p = 0;
  const width = is64 ? 16 : 8;
  for (let n = 0; n < order.length; n++) {
    if (p > CHUNK) {
      out.write(bytesToText(buf.subarray(0, p)));
      p = 0;
    }
    const i = order[n]!;
    const ver = versions ? versions[i]! : "";
    if (p + prefix.length + ver.length + 64 > buf.length) {
      const bigger = new Uint8Array((p + prefix.length + ver.length + 64) * 2);
      bigger.set(buf.subarray(0, p));
      buf = bigger;
    }
    for (let k = 0; k < prefix.length; k++) buf[p++] = prefix.charCodeAt(k);
    const c = classes[i]!;
    if (c === 0x55 || c === 0x77 || c === 0x76) {
      for (let k = 0; k < width; k++) buf[p++] = 32;
    } else {
      p = putWord(buf, p, valueHi[i]!, valueLo[i]!, is64);
      if (printSize && (kinds[i]! & K_NOSIZE) === 0 && (sizeHi[i] !== 0 || sizeLo[i] !== 0)) {
        buf[p++] = 32;
        p = putWord(buf, p, sizeHi[i]!, sizeLo[i]!, is64);
      }
    }
    buf[p++] = 32;
    buf[p++] = c;
    buf[p++] = 32;
    // Copy the NUL-terminated name, growing the buffer for very long names.
    let q = nameOffsets[i]!;
    for (;;) {
      const b = nameBytes[q++]!;
      if (b === 0) break;
      if (p >= buf.length - ver.length - 1) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf.subarray(0, p));
        buf = bigger;
      }
      buf[p++] = b;
    }
    for (let k = 0; k < ver.length; k++) buf[p++] = ver.charCodeAt(k);
    buf[p++] = 10;
  }
  if (p > 0) out.write(bytesToText(buf.subarray(0, p)));
}

/** A value as %016lx (64-bit) or %08lx (32-bit; wider if it does not fit), written at p. */
function putWord(buf: Uint8Array, p: number, hi: number, lo: number, is64: boolean): number {
  if (is64 || hi !== 0) {
    if (!is64) {
      const h = hi.toString(16);
      for (let k = 0; k < h.length; k++) buf[p++] = h.charCodeAt(k);
    } else {
      for (let k = 7; k >= 0; k--) {
        buf[p + k] = HEX_DIGITS[hi & 15]!;
        hi >>>= 4;
      }
      p += 8;
    }
  }
  for (let k = 7; k >= 0; k--) {
    buf[p + k] = HEX_DIGITS[lo & 15]!;
    lo >>>= 4;
  }
  return p + 8;
}

function formatLine(t: NmTable, i: number, o: NmOptions, hasSize: boolean): string {
  const is64 = t.is64;
  const c = t.classes[i]!;
  const und = isUndefinedClass(c);
  const value = () => formatValue(t.valueHi[i]!, t.valueLo[i]!, is64, o.radix, o.format !== "posix");
  const size = () => formatValue(t.sizeHi[i]!, t.sizeLo[i]!, is64, o.radix, o.format !== "posix");
  const letter = String.fromCharCode(c);
  const name = symbolName(t, i, o);
  switch (o.format) {
    case "just-symbols":
      return name;
    case "posix":
      return `${name} ${letter} ${und ? "        " : `${value()} ${hasSize ? size() : ""}`}`;
    case "sysv": {
      const blank = is64 ? "                " : "        ";
      const typeCol = (t.kinds[i]! & K_NOSIZE) === 0 ? elfTypeName(t.types[i]!).padStart(18) : " ".repeat(18);
      const sec = (t.kinds[i]! & K_NOSIZE) === 0 ? t.sectionName(i) : "";
      return `${name.padEnd(20)}|${und ? blank : value()}|   ${letter}  |${typeCol}|${hasSize ? size() : blank}|     |${sec}`;
    }
    default: {
      let v: string;
      if (und) v = is64 ? "                " : "        ";
      else {
        v = o.sort === "size" && !o.printSize ? size() : value();
        if (o.printSize && hasSize) v += ` ${size()}`;
      }
      return `${v} ${letter} ${name}`;
    }
  }
}

/** A synthetic symbol bfd adds for `--synthetic`: a PLT stub named after the symbol it calls. */
export interface SyntheticSymbol {
  name: string;
  value: bigint;
  /** The called symbol is weak (class W), else global (T). */
  weak: boolean;
  section: string;
}

/**
 * The table with `extra` appended after the file's own symbols, as bfd's get_synthetic_symtab hands
 * them to nm: class T (W for a weak symbol), no size, in the PLT section.
 */
export function withSynthetic(t: NmTable, extra: SyntheticSymbol[]): NmTable {
  if (extra.length === 0) return t;
  const n = t.count + extra.length;
  const grow8 = (a: Uint8Array) => {
    const b = new Uint8Array(n);
    b.set(a);
    return b;
  };
  const grow32 = (a: Uint32Array) => {
    const b = new Uint32Array(n);
    b.set(a);
    return b;
  };
  const classes = grow8(t.classes);
  const kinds = grow8(t.kinds);
  const types = grow8(t.types);
  const valueHi = grow32(t.valueHi);
  const valueLo = grow32(t.valueLo);
  const sizeHi = grow32(t.sizeHi);
  const sizeLo = grow32(t.sizeLo);
  const encoded = extra.map((s) => new TextEncoder().encode(`${s.name}\0`));
  const nameBytes = new Uint8Array(t.nameBytes.length + encoded.reduce((a, e) => a + e.length, 0));
  nameBytes.set(t.nameBytes);
  const nameOffsets = new Int32Array(n);
  nameOffsets.set(t.nameOffsets);
  let at = t.nameBytes.length;
  extra.forEach((s, k) => {
    const i = t.count + k;
    classes[i] = (s.weak ? "W" : "T").charCodeAt(0);
    kinds[i] = K_EXTERN | K_NOSIZE | (s.weak ? K_WEAK : 0);
    types[i] = 2; // STT_FUNC
    valueHi[i] = Number(s.value >> 32n) >>> 0;
    valueLo[i] = Number(s.value & 0xffffffffn) >>> 0;
    nameOffsets[i] = at;
    nameBytes.set(encoded[k]!, at);
    at += encoded[k]!.length;
  });
  return {
    ...t,
    count: n,
    name: (i) => (i < t.count ? t.name(i) : extra[i - t.count]!.name),
    sectionName: (i) => (i < t.count ? t.sectionName(i) : extra[i - t.count]!.section),
    classes,
    kinds,
    types,
    valueHi,
    valueLo,
    sizeHi,
    sizeLo,
    nameBytes,
    nameOffsets,
    versions: t.versions ? [...t.versions, ...extra.map(() => "")] : undefined,
  };
}
