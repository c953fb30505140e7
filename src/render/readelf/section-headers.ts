import {
  type ElfFile,
  type SectionHeader,
  SHF_COMPRESSED,
  SHF_INFO_LINK,
  SHN_XINDEX,
  SHT_DYNAMIC,
  SHT_DYNSYM,
  SHT_FINI_ARRAY,
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
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
} from "../../elf/index.js";
import { parseSectionHeader } from "../../elf/section.js";
import type { ReadelfContext } from "./context.js";
import { EM, sectionTypeName } from "./names.js";
import { printableName } from "./printable.js";

// --- the section table as readelf holds it after process_section_headers ---------------------------

/** What readelf knows about the sections once process_section_headers has run. */
export interface ReadelfSections {
  /** e_shnum after extended numbering (0 when there is no table). */
  shnum: number;
  /** The headers, or undefined when the table could not be read (readelf's section_headers == NULL). */
  headers: SectionHeader[] | undefined;
  /** The section-name string table bytes (readelf's string_table), when loaded. */
  names: Uint8Array | undefined;
}

const cache = new WeakMap<ElfFile, ReadelfSections>();

/** e_shnum and e_shstrndx resolved as process_file_header does, through section header 0. */
function resolvedCounts(file: ElfFile): { shnum: number; shstrndx: number } {
  const h = file.header;
  let shnum = h.e_shnum;
  let shstrndx = h.e_shstrndx;
  const min = file.is64 ? 64 : 40;
  if (h.e_shoff !== 0n && h.e_shentsize >= min && (shnum === 0 || shstrndx === SHN_XINDEX)) {
    try {
      const r = file.reader(h.e_shoff, min, "section header 0");
      if (shnum === 0) shnum = Number(BigInt.asUintN(32, file.is64 ? r.u64(32) : BigInt(r.u32(20))));
      if (shstrndx === SHN_XINDEX) shstrndx = r.u32(file.is64 ? 40 : 24);
    } catch {
      // the probe failing is silent in readelf
    }
  }
  if (shstrndx >= shnum) shstrndx = 0;
  return { shnum, shstrndx };
}

/**
 * Loads the section headers and their names the way readelf's process_section_headers does, reporting
 * its messages through `report` the first time only (later views reuse the result silently).
 */
export function readelfSections(ctx: ReadelfContext, report = true): ReadelfSections {
  const { file } = ctx;
  const cached = cache.get(file);
  if (cached) return cached;
  const warn = report ? ctx.warn : () => {};
  const error = report ? ctx.error : () => {};
  const h = file.header;
  const { shnum, shstrndx } = resolvedCounts(file);
  const result: ReadelfSections = { shnum, headers: undefined, names: undefined };
  cache.set(file, result);
  if (shnum === 0 || h.e_shoff === 0n) return result;
  const entsize = file.is64 ? 64 : 40;
  if (h.e_shentsize < entsize) {
    error("The e_shentsize field in the ELF header is less than the size of an ELF section header");
    return result;
  }
  if (h.e_shentsize > entsize)
    warn("The e_shentsize field in the ELF header is larger than the size of an ELF section header");
  const amount = BigInt(shnum) * BigInt(h.e_shentsize);
  if (h.e_shoff > BigInt(file.size) || amount > BigInt(file.size) - h.e_shoff) {
    error(`Reading ${amount} bytes extends past end of file for section headers`);
    return result;
  }
  // readelf reads e_shentsize * e_shnum bytes but steps through them at the struct's own size, whatever
  // e_shentsize says; these are its own copies too, since CHECK_ENTSIZE below corrects sh_entsize.
  const r = file.reader(h.e_shoff, amount, "section headers");
  const headers: SectionHeader[] = new Array(shnum);
  for (let i = 0; i < shnum; i++) headers[i] = parseSectionHeader(r, i * entsize, file.is64, i);
  for (const s of headers) {
    if (s.sh_link > shnum) warn(`Section ${s.index} has an out of range sh_link value of ${s.sh_link}`);
    if ((s.sh_flags & SHF_INFO_LINK) !== 0n && s.sh_info > shnum)
      warn(`Section ${s.index} has an out of range sh_info value of ${s.sh_info}`);
  }
  result.headers = headers;
  if (shstrndx !== 0) {
    const strsec = headers[shstrndx]!;
    if (strsec.sh_size !== 0n) {
      const size = BigInt(file.size);
      if (strsec.sh_offset > size || strsec.sh_size > size - strsec.sh_offset)
        error(`Reading ${strsec.sh_size} bytes extends past end of file for string table`);
      else result.names = file.read(strsec.sh_offset, strsec.sh_size, "string table");
    }
  }
  checkEntsizes(result, file.is64, error);
  return result;
}

/** CHECK_ENTSIZE in process_section_headers: wrong sh_entsize values are reported, then replaced. */
function checkEntsizes(secs: ReadelfSections, is64: boolean, error: (m: string) => void): void {
  let haveDynsym = false;
  for (const s of secs.headers!) {
    let expected: bigint | undefined;
    switch (s.sh_type) {
      case SHT_DYNSYM:
        if (haveDynsym) {
          error("File contains multiple dynamic symbol tables");
          continue;
        }
        haveDynsym = true;
        expected = is64 ? 24n : 16n;
        break;
      case SHT_SYMTAB:
        expected = is64 ? 24n : 16n;
        break;
      case SHT_GROUP:
        expected = 4n;
        break;
      case SHT_REL:
        expected = is64 ? 16n : 8n;
        break;
      case SHT_RELA:
        expected = is64 ? 24n : 12n;
        break;
      case SHT_RELR:
        expected = is64 ? 8n : 4n;
        break;
    }
    if (expected !== undefined && s.sh_entsize !== expected) {
      error(`Section ${s.index} has invalid sh_entsize of ${s.sh_entsize.toString(16)}`);
      error(`(Using the expected size of ${expected.toString(16)} for the rest of this dump)`);
      s.sh_entsize = expected;
    }
  }
}

/** The raw name (section_name_print): `<no-strings>` / `<corrupt>` when it cannot be had. */
export function rawSectionName(secs: ReadelfSections, sh: SectionHeader | undefined): string {
  if (!sh) return "<none>";
  const names = secs.names;
  if (!names) return "<no-strings>";
  if (sh.sh_name >= names.length) return "<corrupt>";
  let end = names.indexOf(0, sh.sh_name);
  if (end < 0) end = names.length;
  let s = "";
  for (let i = sh.sh_name; i < end; i++) s += String.fromCharCode(names[i]!);
  return s;
}

/** readelf's printable_section_name: control bytes as ^X, other non-ASCII bytes as <XX>, at most 256. */
export function printableSectionName(secs: ReadelfSections, sh: SectionHeader | undefined): string {
  return printableName(rawSectionName(secs, sh));
}

/** readelf's print_symbol(-width, name) for a byte string in the C locale. */
export function printSymbolPadded(name: string, width: number, wide: boolean): string {
  let remaining = wide ? Number.MAX_SAFE_INTEGER : width;
  let dots = false;
  if (!wide && name.length > width) {
    remaining = Math.max(0, width - 5);
    dots = true;
  }
  let out = "";
  let printed = 0;
  for (let i = 0; i < name.length && remaining > 0; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      if (remaining < 2) break;
      out += `^${String.fromCharCode((c + 0x40) & 0xff)}`;
      remaining -= 2;
      printed += 2;
    } else {
      out += name[i];
      remaining--;
      printed++;
    }
  }
  if (dots) {
    out += "[...]";
    printed += 5;
  }
  if (printed < width) out += " ".repeat(width - printed);
  return out;
}

// --- section flags (get_elf_section_flags) ---------------------------------------------------------

const SHF_MASKOS = 0x0ff00000n;
const SHF_MASKPROC = 0xf0000000n;
const SHF_GNU_MBIND = 0x01000000n;
const SHF_GNU_RETAIN = 0x200000n;

const FLAG_LETTERS = new Map<bigint, string>([
  [0x1n, "W"],
  [0x2n, "A"],
  [0x4n, "X"],
  [0x10n, "M"],
  [0x20n, "S"],
  [0x40n, "I"],
  [0x80n, "L"],
  [0x100n, "O"],
  [0x200n, "G"],
  [0x400n, "T"],
  [0x80000000n, "E"],
  [0x800n, "C"],
]);

const FLAG_WORDS = new Map<bigint, string>([
  [0x1n, "WRITE"],
  [0x2n, "ALLOC"],
  [0x4n, "EXEC"],
  [0x10n, "MERGE"],
  [0x20n, "STRINGS"],
  [0x40n, "INFO LINK"],
  [0x80n, "LINK ORDER"],
  [0x100n, "OS NONCONF"],
  [0x200n, "GROUP"],
  [0x400n, "TLS"],
  [0x80000000n, "EXCLUDE"],
  [0x800n, "COMPRESSED"],
]);

// IA-64 OpenVMS section flags (SHF_IA_64_VMS_*), in -t words.
const VMS_FLAG_WORDS = new Map<bigint, string>([
  [0x100000000n, "VMS_GLOBAL"],
  [0x200000000n, "VMS_OVERLAID"],
  [0x400000000n, "VMS_SHARED"],
  [0x800000000n, "VMS_VECTOR"],
  [0x1000000000n, "VMS_ALLOC_64BIT"],
  [0x2000000000n, "VMS_PROTECTED"],
]);

function isX86_64(m: number): boolean {
  return m === EM.X86_64 || m === EM.L1OM || m === EM.K1OM;
}

/** The Flg column: one letter per flag bit, lowest bit first. */
export function sectionFlagLetters(flags: bigint, e_machine: number, osabi: number): string {
  let out = "";
  let rest = BigInt.asUintN(64, flags);
  while (rest) {
    const flag = rest & -rest;
    rest &= ~flag;
    const letter = FLAG_LETTERS.get(flag);
    if (letter) out += letter;
    else if (isX86_64(e_machine) && flag === 0x10000000n) out += "l";
    else if (e_machine === EM.ARM && flag === 0x20000000n) out += "y";
    else if (e_machine === EM.PPC && flag === 0x10000000n) out += "v";
    else if (flag & SHF_MASKOS) {
      if ((osabi === 3 || osabi === 9) && flag === SHF_GNU_RETAIN) out += "R";
      else if ((osabi === 0 || osabi === 3 || osabi === 9) && flag === SHF_GNU_MBIND) out += "D";
      else {
        out += "o";
        rest &= ~SHF_MASKOS;
      }
    } else if (flag & SHF_MASKPROC) {
      out += "p";
      // In C, ~SHF_MASKPROC is the unsigned int 0x0fffffff: the bits above 31 go too.
      rest &= 0x0fffffffn;
    } else out += "x";
  }
  return out;
}

/** The -t Flags line: `[hex]: WORD, WORD, OS (..), PROC (..), UNKNOWN (..)`. */
function sectionFlagWords(flags: bigint, is64: boolean, e_machine: number, osabi: number): string {
  const width = is64 ? 16 : 8;
  const hex = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(width, "0");
  const words: string[] = [];
  let os = 0n;
  let proc = 0n;
  let unknown = 0n;
  let rest = BigInt.asUintN(64, flags);
  while (rest) {
    const flag = rest & -rest;
    rest &= ~flag;
    let word = FLAG_WORDS.get(flag);
    if (!word) {
      switch (e_machine) {
        case EM.IA_64:
          if (flag === 0x10000000n) word = "SHORT";
          else if (flag === 0x20000000n) word = "NORECOV";
          else if (osabi === 13) word = VMS_FLAG_WORDS.get(flag);
          break;
        case EM.M386:
        case EM.IAMCU:
        case EM.X86_64:
        case EM.L1OM:
        case EM.K1OM:
        case EM.OLD_SPARCV9:
        case EM.SPARC32PLUS:
        case EM.SPARCV9:
        case EM.SPARC:
          if (flag === 0x40000000n) word = "ORDERED";
          break;
        case EM.ARM:
          if (flag === 0x10000000n) word = "ENTRYSECT";
          else if (flag === 0x20000000n) word = "ARM_PURECODE";
          else if (flag === 0x80000000n) word = "COMDEF";
          break;
        case EM.PPC:
          if (flag === 0x10000000n) word = "VLE";
          break;
      }
      if ((osabi === 3 || osabi === 9) && flag === SHF_GNU_RETAIN) word = "GNU_RETAIN";
      if ((osabi === 0 || osabi === 3 || osabi === 9) && flag === SHF_GNU_MBIND) word = "GNU_MBIND";
    }
    if (word) words.push(word);
    else if (flag & SHF_MASKOS) os |= flag;
    else if (flag & SHF_MASKPROC) proc |= flag;
    else unknown |= flag;
  }
  if (os) words.push(`OS (${hex(os)})`);
  if (proc) words.push(`PROC (${hex(proc)})`);
  if (unknown) words.push(`UNKNOWN (${hex(unknown)})`);
  return `[${hex(flags)}]: ${words.join(", ")}`;
}

// --- -S and -t ------------------------------------------------------------------------------------

const hex = (v: bigint, width: number) => v.toString(16).padStart(width, "0");

/**
 * readelf runs process_section_headers for every object, -S or not: its messages (bad e_shentsize, section
 * headers past the end of the file, wrong sh_entsize, ...) reach stderr either way. The CLI calls this in
 * the -S view's place when neither -S nor -t is given, so stderr matches too.
 */
export function checkSectionHeaders(ctx: ReadelfContext): void {
  const { shnum } = resolvedCounts(ctx.file);
  if (shnum === 0) {
    if (ctx.file.header.e_shoff !== 0n)
      ctx.warn(
        "possibly corrupt ELF file header - it has a non-zero section header offset, but no section headers",
      );
    return;
  }
  readelfSections(ctx);
}

/** `readelf -S` (and `-t` when opts.sectionDetails): process_section_headers in binutils/readelf.c. */
export function printSectionHeaders(ctx: ReadelfContext): void {
  const { file, opts } = ctx;
  const h = file.header;
  const { shnum } = resolvedCounts(file);
  if (shnum === 0) {
    if (h.e_shoff !== 0n) {
      ctx.warn(
        "possibly corrupt ELF file header - it has a non-zero section header offset, but no section headers",
      );
      readelfSections(ctx, false);
    } else ctx.out.write("\nThere are no sections in this file.\n");
    return;
  }
  if (!opts.fileHeader) {
    ctx.out.write(
      `There ${shnum === 1 ? "is" : "are"} ${shnum} section header${shnum === 1 ? "" : "s"}, starting at offset 0x${h.e_shoff.toString(16)}:\n`,
    );
  }
  const secs = readelfSections(ctx);
  const headers = secs.headers;
  if (!headers) return;
  const details = opts.sectionDetails;
  const wide = opts.wide;
  const is64 = file.is64;
  const machine = h.e_machine;
  const osabi = h.ei_osabi;
  const parts: string[] = [];
  parts.push(shnum > 1 ? "\nSection Headers:\n" : "\nSection Header:\n");
  if (!is64) {
    parts.push(
      details
        ? "  [Nr] Name\n       Type            Addr     Off    Size   ES   Lk Inf Al\n"
        : "  [Nr] Name              Type            Addr     Off    Size   ES Flg Lk Inf Al\n",
    );
  } else if (wide) {
    parts.push(
      details
        ? "  [Nr] Name\n       Type            Address          Off    Size   ES   Lk Inf Al\n"
        : "  [Nr] Name              Type            Address          Off    Size   ES Flg Lk Inf Al\n",
    );
  } else {
    parts.push(
      details
        ? "  [Nr] Name\n       Type              Address          Offset            Link\n       Size              EntSize          Info              Align\n"
        : "  [Nr] Name              Type             Address           Offset\n       Size              EntSize          Flags  Link  Info  Align\n",
    );
  }
  if (details) parts.push("       Flags\n");

  const fileSize = BigInt(file.size);
  for (let i = 0; i < shnum; i++) {
    const s = headers[i]!;
    checkLinks(ctx, s, i, shnum, headers, h.e_type);
    if (s.sh_size > fileSize && s.sh_type !== SHT_NOBITS && s.sh_type !== SHT_NULL && s.sh_type < 0x60000000)
      ctx.warn(`Size of section ${i} is larger than the entire file!`);

    let line = `  [${String(i).padStart(2)}] `;
    if (details) line += `${printableSectionName(secs, s)}\n      `;
    else line += printSymbolPadded(rawSectionName(secs, s), 17, wide);
    const type = sectionTypeName(s.sh_type, machine, osabi);
    line += ` ${wide ? type.padEnd(15) : type.slice(0, 15).padEnd(15)} `;
    const flags = details ? "" : sectionFlagLetters(s.sh_flags, machine, osabi).padStart(3);
    if (!is64) {
      line += `${hex(s.sh_addr, 8)} ${hex(s.sh_offset, 6)} ${hex(s.sh_size, 6)} ${hex(s.sh_entsize, 2)}`;
      line += details ? "  " : ` ${flags} `;
      let linkTooBig: string | undefined;
      if (s.sh_link >= shnum) {
        linkTooBig = "";
        if (solarisLinkMachine(machine)) {
          if (s.sh_link === 0xff00) linkTooBig = "BEFORE";
          else if (s.sh_link === 0xff01) linkTooBig = "AFTER";
        }
      }
      if (details && linkTooBig) line += `<${linkTooBig}> `;
      else line += `${String(s.sh_link).padStart(2)} `;
      line += `${String(s.sh_info).padStart(3)} ${String(s.sh_addralign).padStart(2)}\n`;
      parts.push(line);
      line = "";
      if (linkTooBig === "")
        ctx.warn(`section ${i}: sh_link value of ${s.sh_link} is larger than the number of sections`);
    } else if (wide) {
      line += `${hex(s.sh_addr, 16)} ${hex(s.sh_offset, 6)} ${hex(s.sh_size, 6)} ${hex(s.sh_entsize, 2)}`;
      line += details ? "  " : ` ${flags} `;
      line += `${String(s.sh_link).padStart(2)} ${String(s.sh_info).padStart(3)} ${String(s.sh_addralign).padStart(2)}\n`;
    } else if (details) {
      line += ` ${hex(s.sh_addr, 16)}  ${hex(s.sh_offset, 16)}  ${s.sh_link}\n       `;
      line += `${hex(s.sh_size, 16)} ${hex(s.sh_entsize, 16)}  ${String(s.sh_info).padEnd(16)}  ${s.sh_addralign}\n`;
    } else {
      line += ` ${hex(s.sh_addr, 16)}  ${hex(s.sh_offset, 8)}\n       `;
      line += `${hex(s.sh_size, 16)}  ${hex(s.sh_entsize, 16)} ${flags} `;
      line += `     ${String(s.sh_link).padStart(2)}   ${String(s.sh_info).padStart(3)}     ${s.sh_addralign}\n`;
    }
    if (line) parts.push(line);
    if (details) {
      parts.push(`       ${sectionFlagWords(s.sh_flags, is64, machine, osabi)}\n`);
      if ((s.sh_flags & SHF_COMPRESSED) !== 0n) parts.push(compressionLine(ctx, s));
    }
  }
  if (!details) {
    let key =
      "Key to Flags:\n  W (write), A (alloc), X (execute), M (merge), S (strings), I (info),\n" +
      "  L (link order), O (extra OS processing required), G (group), T (TLS),\n" +
      "  C (compressed), x (unknown), o (OS specific), E (exclude),\n  ";
    if (osabi === 3 || osabi === 9) key += "R (retain), ";
    if (osabi === 0 || osabi === 3 || osabi === 9) key += "D (mbind), ";
    if (isX86_64(machine)) key += "l (large), ";
    else if (machine === EM.ARM) key += "y (purecode), ";
    else if (machine === EM.PPC) key += "v (VLE), ";
    key += "p (processor specific)\n";
    parts.push(key);
  }
  ctx.out.write(parts.join(""));
}

function solarisLinkMachine(m: number): boolean {
  return (
    m === EM.M386 ||
    m === EM.IAMCU ||
    m === EM.X86_64 ||
    m === EM.L1OM ||
    m === EM.K1OM ||
    m === EM.OLD_SPARCV9 ||
    m === EM.SPARC32PLUS ||
    m === EM.SPARCV9 ||
    m === EM.SPARC
  );
}

/** The sh_link / sh_info sanity checks process_section_headers makes while printing each header. */
function checkLinks(
  ctx: ReadelfContext,
  s: SectionHeader,
  i: number,
  shnum: number,
  headers: SectionHeader[],
  e_type: number,
): void {
  const idx = String(i).padStart(2);
  const dynamicObject = e_type === 2 || e_type === 3;
  const linkType = s.sh_link < shnum ? headers[s.sh_link]!.sh_type : -1;
  switch (s.sh_type) {
    case SHT_REL:
    case SHT_RELA:
    case SHT_SYMTAB_SHNDX:
    case SHT_GROUP:
    case SHT_HASH:
    case SHT_GNU_HASH:
    case SHT_GNU_versym:
      // A dynamic relocation section whose entries all use symbol 0 need not name a symtab.
      if ((s.sh_type === SHT_REL || s.sh_type === SHT_RELA) && s.sh_link === 0 && dynamicObject) break;
      if (s.sh_link === 0 || s.sh_link >= shnum || (linkType !== SHT_SYMTAB && linkType !== SHT_DYNSYM))
        ctx.warn(`[${idx}]: Link field (${s.sh_link}) should index a symtab section.`);
      break;
    case SHT_DYNAMIC:
    case SHT_SYMTAB:
    case SHT_DYNSYM:
    case SHT_GNU_verneed:
    case SHT_GNU_verdef:
    case SHT_GNU_LIBLIST:
      if (s.sh_link === 0 || s.sh_link >= shnum || linkType !== SHT_STRTAB)
        ctx.warn(`[${idx}]: Link field (${s.sh_link}) should index a string section.`);
      break;
    case SHT_INIT_ARRAY:
    case SHT_FINI_ARRAY:
    case SHT_PREINIT_ARRAY:
      if (s.sh_link !== 0) ctx.warn(`[${idx}]: Unexpected value (${s.sh_link}) in link field.`);
      break;
  }
  switch (s.sh_type) {
    case SHT_REL:
    case SHT_RELA: {
      if (s.sh_info === 0 && dynamicObject) break;
      const t = s.sh_info < shnum ? headers[s.sh_info]!.sh_type : -1;
      if (
        s.sh_info === 0 ||
        s.sh_info >= shnum ||
        (t !== SHT_PROGBITS &&
          t !== SHT_NOBITS &&
          t !== SHT_NOTE &&
          t !== SHT_INIT_ARRAY &&
          t !== SHT_FINI_ARRAY &&
          t !== SHT_PREINIT_ARRAY &&
          t < 0x60000000)
      )
        ctx.warn(`[${idx}]: Info field (${s.sh_info}) should index a relocatable section.`);
      break;
    }
    case SHT_DYNAMIC:
    case SHT_HASH:
    case SHT_SYMTAB_SHNDX:
    case SHT_INIT_ARRAY:
    case SHT_FINI_ARRAY:
    case SHT_PREINIT_ARRAY:
      if (s.sh_info !== 0) ctx.warn(`[${idx}]: Unexpected value (${s.sh_info}) in info field.`);
      break;
    case SHT_GROUP:
    case SHT_SYMTAB:
    case SHT_DYNSYM:
      break;
    default:
      if (s.sh_type === SHT_NOBITS) break;
      if ((s.sh_flags & SHF_INFO_LINK) !== 0n) {
        // readelf prints this one without a newline, so the next message follows on the same line.
        if (s.sh_info < 1 || s.sh_info >= shnum)
          ctx.warn(`[${idx}]: Expected link to another section in info field`);
      } else if (s.sh_type < 0x60000000 && (s.sh_flags & SHF_GNU_MBIND) === 0n && s.sh_info !== 0) {
        ctx.warn(`[${idx}]: Unexpected value (${s.sh_info}) in info field.`);
      }
  }
}

/** The -t line under a SHF_COMPRESSED section: its Elf_Chdr type, size and alignment. */
function compressionLine(ctx: ReadelfContext, s: SectionHeader): string {
  const { file } = ctx;
  const size = BigInt(file.size);
  if (s.sh_offset > size || 24n > size - s.sh_offset) {
    ctx.error("Reading 24 bytes extends past end of file for compression header");
    return "";
  }
  const r = file.reader(s.sh_offset, 24, "compression header");
  const type = r.u32(0);
  const chSize = file.is64 ? r.u64(8) : BigInt(r.u32(4));
  const align = file.is64 ? r.u64(16) : BigInt(r.u32(8));
  const name = type === 1 ? "ZLIB, " : type === 2 ? "ZSTD, " : `[<unknown>: 0x${type.toString(16)}], `;
  return `       ${name}${hex(chSize, file.is64 ? 16 : 8)}, ${align}\n`;
}

// --- -g ------------------------------------------------------------------------------------------

function groupFlags(flags: number): string {
  if (flags === 0) return "";
  if (flags === 1) return "COMDAT ";
  const os = flags & 0x0ff00000 ? "<OS specific>" : "";
  const proc = flags & 0xf0000000 ? "<PROC specific>" : "";
  const unknown = flags & ~(1 | 0x0ff00000 | 0xf0000000) ? "<unknown>" : "";
  return `[0x${(flags >>> 0).toString(16)}: ${os}${proc}${unknown}]`;
}

/** `readelf -g`: process_section_groups in binutils/readelf.c. */
export function printSectionGroups(ctx: ReadelfContext): void {
  const { file } = ctx;
  const { shnum } = resolvedCounts(file);
  if (shnum === 0) {
    ctx.out.write("\nThere are no section groups in this file.\n");
    return;
  }
  const secs = readelfSections(ctx);
  const headers = secs.headers;
  if (!headers) {
    ctx.error("Section headers are not available!");
    return;
  }
  if (!headers.some((s) => s.sh_type === SHT_GROUP)) {
    ctx.out.write("\nThere are no section groups in this file.\n");
    return;
  }
  const owner = new Map<number, number>();
  let sawSectionZero = false;
  let tooBig = 0;
  let already = 0;
  const fileSize = BigInt(file.size);
  const symSize = file.is64 ? 24 : 16;
  const out: string[] = [];
  for (let i = 0; i < shnum; i++) {
    const section = headers[i]!;
    if (section.sh_type !== SHT_GROUP) continue;
    const name = printableSectionName(secs, section);
    const symtab = section.sh_link < shnum ? headers[section.sh_link]! : undefined;
    if (!symtab || symtab.sh_type !== SHT_SYMTAB) {
      ctx.error(`Bad sh_link in group section \`${name}'`);
      continue;
    }
    const numSyms = symbolCount(ctx, secs, symtab, fileSize);
    if (numSyms === undefined) {
      ctx.error(`Corrupt header in group section \`${name}'`);
      continue;
    }
    if (BigInt(section.sh_info) >= numSyms) {
      ctx.error(`Bad sh_info in group section \`${name}'`);
      continue;
    }
    const symAt = symtab.sh_offset + BigInt(section.sh_info) * symtab.sh_entsize;
    const sym = file.reader(symAt, symSize, "symbols");
    const st_name = sym.u32(0);
    const st_info = sym.u8(file.is64 ? 4 : 12);
    const st_shndx = sym.u16(file.is64 ? 6 : 14);
    let groupName: string;
    if ((st_info & 0xf) === 3) {
      if (st_shndx === 0 || st_shndx >= shnum) {
        ctx.error(`Bad sh_info in group section \`${name}'`);
        continue;
      }
      groupName = rawSectionName(secs, headers[st_shndx]);
    } else {
      groupName = "<corrupt>";
      const strsec = symtab.sh_link < shnum ? headers[symtab.sh_link]! : undefined;
      if (strsec) {
        if (strsec.sh_offset > fileSize || strsec.sh_size > fileSize - strsec.sh_offset) {
          ctx.error(`Reading ${strsec.sh_size} bytes extends past end of file for string table`);
        } else if (BigInt(st_name) < strsec.sh_size) {
          groupName = readCString(
            file,
            strsec.sh_offset + BigInt(st_name),
            strsec.sh_offset + strsec.sh_size,
          );
        }
      }
    }
    if (section.sh_entsize > section.sh_size) {
      ctx.error(
        `Section ${name} has sh_entsize (0x${section.sh_entsize.toString(16)}) which is larger than its size (0x${section.sh_size.toString(16)})`,
      );
      continue;
    }
    if (section.sh_offset > fileSize || section.sh_size > fileSize - section.sh_offset) {
      ctx.error(`Reading ${section.sh_size} bytes extends past end of file for section data`);
      continue;
    }
    const data = file.reader(section.sh_offset, section.sh_size, "section data");
    const count = Number(BigInt.asUintN(32, section.sh_size / section.sh_entsize - 1n));
    const flags = data.length >= 4 ? data.u32(0) : 0;
    out.push(
      `\n${groupFlags(flags)}group section [${String(i).padStart(5)}] \`${name}' [${groupName}] contains ${count} sections:\n`,
    );
    out.push("   [Index]    Name\n");
    for (let j = 0; j < count && (j + 2) * 4 <= data.length; j++) {
      const entry = data.u32((j + 1) * 4);
      if (entry >= shnum) {
        if (tooBig++ < 10) {
          ctx.error(
            `section [${String(entry).padStart(5)}] in group section [${String(i).padStart(5)}] > maximum section [${String(shnum - 1).padStart(5)}]`,
          );
          if (tooBig === 10)
            ctx.warn("Further error messages about overlarge group section indices suppressed");
        }
        continue;
      }
      const prior = owner.get(entry);
      if (prior !== undefined) {
        if (entry) {
          if (already++ < 10) {
            ctx.error(
              `section [${String(entry).padStart(5)}] in group section [${String(i).padStart(5)}] already in group section [${String(prior).padStart(5)}]`,
            );
            if (already === 10)
              ctx.warn("Further error messages about already contained group sections suppressed");
          }
          continue;
        }
        if (!sawSectionZero) {
          ctx.error(`section 0 in group section [${String(prior).padStart(5)}]`);
          sawSectionZero = true;
        }
      }
      owner.set(entry, i);
      out.push(`   [${String(entry).padStart(5)}]   ${printableSectionName(secs, headers[entry])}\n`);
    }
  }
  ctx.out.write(out.join(""));
}

/** get_elf_symbols' count for a symbol table, or undefined when readelf would reject it. */
function symbolCount(
  ctx: ReadelfContext,
  secs: ReadelfSections,
  sec: SectionHeader,
  fileSize: bigint,
): bigint | undefined {
  if (sec.sh_size === 0n) return undefined;
  const name = printableSectionName(secs, sec);
  if (sec.sh_entsize === 0n || sec.sh_entsize > sec.sh_size) {
    ctx.error(`Section ${name} has an invalid sh_entsize of 0x${sec.sh_entsize.toString(16)}`);
    return undefined;
  }
  if (sec.sh_size > fileSize) {
    ctx.error(`Section ${name} has an invalid sh_size of 0x${sec.sh_size.toString(16)}`);
    return undefined;
  }
  const n = sec.sh_size / sec.sh_entsize;
  if (sec.sh_offset > fileSize || sec.sh_size > fileSize - sec.sh_offset) {
    ctx.error(`Reading ${sec.sh_size} bytes extends past end of file for symbols`);
    return undefined;
  }
  return n;
}

function readCString(file: ElfFile, from: bigint, limit: bigint): string {
  const len = Number(limit - from);
  const bytes = file.read(from, len, "string table");
  let s = "";
  for (let i = 0; i < bytes.length && bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
