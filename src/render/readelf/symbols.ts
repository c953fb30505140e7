import { sysvHashEntrySize } from "../../elf/hash.js";
import {
  DT_GNU_HASH,
  DT_HASH,
  DT_NULL,
  DT_STRSZ,
  DT_STRTAB,
  DT_SYMENT,
  DT_SYMTAB,
  DT_VERDEF,
  DT_VERNEED,
  DT_VERSYM,
  type ElfFile,
  EM_MIPS,
  EM_X86_64,
  latin1,
  type ProgramHeader,
  PT_DYNAMIC,
  PT_LOAD,
  type SectionHeader,
  SHT_DYNSYM,
  SHT_NOBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  STB_LOCAL,
  STT_SECTION,
  VER_FLG_BASE,
  VERSYM_HIDDEN,
} from "../../elf/index.js";
import type { ReadelfContext } from "./context.js";
import { printableName } from "./printable.js";

// Machine and OS numbers readelf.c tests that constants.ts does not name.
const EM_MIPS_RS3_LE = 10;
const EM_PARISC = 15;
const EM_SPARCV9 = 43;
const EM_ARM = 40;
const EM_IA_64 = 50;
const EM_PPC64 = 21;
const EM_TI_C6000 = 140;
const EM_L1OM = 180;
const EM_K1OM = 181;
const EM_AARCH64 = 183;
const EM_RISCV = 243;
const EM_ALPHA = 0x9026;
const ELFOSABI_GNU = 3;
const ELFOSABI_HPUX = 1;
const ELFOSABI_SOLARIS = 6;
const ELFOSABI_FREEBSD = 9;
const DT_MIPS_XHASH = 0x70000036n;
const VERSYM_VERSION = 0x7fff;

// ------------------------------------------------------------------------------------------------
// String tables as readelf holds them: a byte buffer plus its length; names run to the first NUL or
// to the end of the table (get_data NUL-terminates what it reads).

/**
 * Bytes to a byte string. Node's Buffer decodes Latin-1 natively, many times faster than the portable
 * latin1() on a string table of megabytes; in a browser the portable path is used.
 */
function decodeLatin1(bytes: Uint8Array): string {
  const B = (
    globalThis as {
      Buffer?: { from(a: ArrayBufferLike, o: number, l: number): { toString(e: string): string } };
    }
  ).Buffer;
  return B ? B.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1") : latin1(bytes);
}

/** A string table decoded once to a byte string; lookups are substrings of it. */
export class ReadelfStrtab {
  private textCache?: string;
  private controlCache?: boolean;
  constructor(readonly bytes: Uint8Array) {}
  /** True when some name holds a control character (so names need print_symbol's escaping). */
  get hasControl(): boolean {
    if (this.controlCache === undefined) this.controlCache = /[\x01-\x1f\x7f]/.test(this.text);
    return this.controlCache;
  }
  get length(): number {
    return this.bytes.length;
  }
  get text(): string {
    if (this.textCache === undefined) this.textCache = decodeLatin1(this.bytes);
    return this.textCache;
  }
  /** readelf's valid_symbol_name: the offset lies inside the table. */
  valid(offset: number): boolean {
    return offset < this.bytes.length;
  }
  get(offset: number): string {
    const t = this.text;
    const end = t.indexOf("\0", offset);
    return end < 0 ? t.substring(offset) : t.substring(offset, end);
  }
}

// ------------------------------------------------------------------------------------------------
// The per-file state readelf.c builds in process_section_headers, process_program_headers and
// process_dynamic_section, which the symbol, histogram and version views read.

interface LoadSegment {
  start: bigint; // p_vaddr & -p_align
  end: bigint; // p_vaddr + p_filesz
  delta: bigint; // p_offset - p_vaddr
}

export interface ReadelfDynamic {
  file: ElfFile;
  /** undefined when the section headers could not be read (readelf then disables most views). */
  sections: SectionHeader[] | undefined;
  shnum: number;
  shstrtab: ReadelfStrtab | undefined;
  phdrs: ProgramHeader[] | undefined;
  loads: LoadSegment[];
  /** Dynamic entries up to DT_NULL; undefined when there is no dynamic section. */
  dynamic: { d_tag: bigint; d_val: bigint }[] | undefined;
  /** dynamic_info / version_info: the last value of each tag. */
  info: Map<bigint, bigint>;
  dynamicStrings: ReadelfStrtab | undefined;
  /** The first SHT_DYNSYM section (process_section_headers keeps it as dynamic_symbols). */
  dynsymSection: SectionHeader | undefined;
}

const stateCache = new WeakMap<ElfFile, ReadelfDynamic>();

type Warn = (m: string) => void;

/** section_name_print: the raw name, "<no-strings>" or "<corrupt>". */
export function sectionNameRaw(st: ReadelfDynamic, sh: SectionHeader | undefined): string {
  if (!sh) return "<none>";
  if (!st.shstrtab) return "<no-strings>";
  if (!st.shstrtab.valid(sh.sh_name)) return "<corrupt>";
  return st.shstrtab.get(sh.sh_name);
}

export function printableSectionName(st: ReadelfDynamic, sh: SectionHeader | undefined): string {
  return printableName(sectionNameRaw(st, sh));
}

/** get_data's bounds check: undefined (with readelf's error) when the range is outside the file. */
export function getData(
  file: ElfFile,
  offset: bigint,
  size: bigint,
  reason: string | undefined,
  error: Warn,
): Uint8Array | undefined {
  if (size === 0n) return undefined;
  const fsize = BigInt(file.size);
  if (offset > fsize || size > fsize - offset) {
    if (reason !== undefined) error(`Reading ${size} bytes extends past end of file for ${reason}`);
    return undefined;
  }
  return file.read(offset, size, reason ?? "data");
}

/** readelf.c offset_from_vma: the first PT_LOAD whose [p_vaddr & -p_align, p_vaddr+p_filesz) holds the range. */
export function offsetFromVma(st: ReadelfDynamic, vma: bigint, size: bigint, warn: Warn): bigint {
  if (!st.phdrs || st.phdrs.length === 0) {
    warn("Cannot interpret virtual addresses without program headers.");
    return vma;
  }
  for (const s of st.loads) {
    if (vma >= s.start && vma + size <= s.end) return vma + s.delta;
  }
  warn(`Virtual address 0x${vma.toString(16)} not located in any PT_LOAD segment.`);
  return vma;
}

const MASK64 = (1n << 64n) - 1n;

export function readelfDynamic(ctx: ReadelfContext): ReadelfDynamic {
  const file = ctx.file;
  const cached = stateCache.get(file);
  if (cached) return cached;
  let sections: SectionHeader[] | undefined;
  let shnum = 0;
  try {
    shnum = file.sectionCount;
    sections = file.sectionHeaders;
  } catch {
    sections = undefined;
  }
  if (shnum === 0) sections = sections ?? [];
  let shstrtab: ReadelfStrtab | undefined;
  if (sections && sections.length > 0) {
    try {
      const idx = file.shstrndx;
      if (idx !== 0 && idx < sections.length) {
        const sh = sections[idx]!;
        const data = getData(file, sh.sh_offset, sh.sh_size, undefined, () => {});
        if (data) shstrtab = new ReadelfStrtab(data);
      }
    } catch {
      shstrtab = undefined;
    }
  }
  let phdrs: ProgramHeader[] | undefined;
  try {
    phdrs = file.programHeaders;
  } catch {
    phdrs = undefined;
  }
  const mask = file.is64 ? MASK64 : 0xffffffffn;
  const loads: LoadSegment[] = [];
  for (const p of phdrs ?? []) {
    if (p.p_type !== PT_LOAD) continue;
    loads.push({
      start: p.p_vaddr & (-p.p_align & mask),
      end: p.p_vaddr + p.p_filesz,
      delta: p.p_offset - p.p_vaddr,
    });
  }
  const st: ReadelfDynamic = {
    file,
    sections,
    shnum,
    shstrtab,
    phdrs,
    loads,
    dynamic: undefined,
    info: new Map(),
    dynamicStrings: undefined,
    dynsymSection: undefined,
  };

  // process_section_headers: the first SHT_DYNSYM and the section named .dynstr.
  for (const sh of sections ?? []) {
    if (sh.sh_type === SHT_DYNSYM && !st.dynsymSection) st.dynsymSection = sh;
    else if (
      sh.sh_type === SHT_STRTAB &&
      !st.dynamicStrings &&
      shstrtab?.valid(sh.sh_name) &&
      shstrtab.get(sh.sh_name) === ".dynstr"
    ) {
      const data = getData(file, sh.sh_offset, sh.sh_size, "dynamic strings", ctx.error);
      if (data) st.dynamicStrings = new ReadelfStrtab(data);
    }
  }

  // process_program_headers: PT_DYNAMIC, replaced by the .dynamic section when there are sections.
  let dynAddr = 0n;
  let dynSize = 0n;
  for (const p of phdrs ?? []) {
    if (p.p_type !== PT_DYNAMIC) continue;
    dynAddr = p.p_offset;
    dynSize = p.p_filesz;
    if (sections && sections.length > 0) {
      const sec = sections.find((s) => shstrtab?.valid(s.sh_name) && shstrtab.get(s.sh_name) === ".dynamic");
      if (!sec || sec.sh_size === 0n) continue;
      if (sec.sh_type === SHT_NOBITS) {
        dynAddr = 0n;
        dynSize = 0n;
        continue;
      }
      dynAddr = sec.sh_offset;
      dynSize = sec.sh_size;
    }
    if (dynAddr > BigInt(file.size) || dynSize > BigInt(file.size) - dynAddr) {
      dynAddr = 0n;
      dynSize = 0n;
    }
  }
  if (dynSize > 1n) {
    const ent = file.is64 ? 16 : 8;
    const bytes = getData(file, dynAddr, dynSize, "dynamic section", ctx.error);
    if (bytes) {
      const r = file.readerOver(bytes, "dynamic section", Number(dynAddr));
      const entries: { d_tag: bigint; d_val: bigint }[] = [];
      for (let at = 0; at + ent <= bytes.length; at += ent) {
        const d_tag = r.sword(at, file.is64);
        entries.push({ d_tag, d_val: r.word(at + ent / 2, file.is64) });
        if (d_tag === DT_NULL) break;
      }
      st.dynamic = entries;
      for (const e of entries) st.info.set(e.d_tag, e.d_val);
      if (file.header.e_machine === EM_MIPS || file.header.e_machine === EM_MIPS_RS3_LE) {
        const x = st.info.get(DT_MIPS_XHASH);
        if (x !== undefined) st.info.set(DT_GNU_HASH, x);
      }
      // process_dynamic_section: the dynamic string table when no .dynstr section was found; the
      // first DT_STRTAB/DT_STRSZ pair wins.
      if (!st.dynamicStrings) {
        let strtab = 0n;
        let strsz = 0n;
        for (const e of entries) {
          if (e.d_tag === DT_STRTAB) strtab = e.d_val;
          if (e.d_tag === DT_STRSZ) strsz = e.d_val;
          if (strtab !== 0n && strsz !== 0n) {
            const off = offsetFromVma(st, strtab, strsz, ctx.warn);
            const data = getData(file, off, strsz, "dynamic string table", ctx.error);
            if (data) st.dynamicStrings = new ReadelfStrtab(data);
            else ctx.error("Corrupt DT_STRTAB dynamic entry");
            break;
          }
        }
      }
    }
  }
  stateCache.set(file, st);
  return st;
}

// ------------------------------------------------------------------------------------------------
// Hash tables as get_num_dynamic_syms reads them (through DT_HASH / DT_GNU_HASH).

interface HashState {
  numSyms: number;
  buckets?: number[];
  chains?: number[];
  gnuBuckets?: number[];
  gnuChains?: number[];
  gnuSymIdx: number;
  xhash: boolean;
}

function readU32s(file: ElfFile, off: bigint, n: number, ent: number, error: Warn): number[] | undefined {
  if (BigInt(n) * BigInt(ent) > BigInt(file.size)) {
    error(`Invalid number of dynamic entries: ${n}`);
    return undefined;
  }
  if (off < 0n || off + BigInt(n * ent) > BigInt(file.size)) {
    error(`Unable to read in ${n * ent} bytes of dynamic data`);
    return undefined;
  }
  const r = file.reader(off, n * ent, "dynamic data");
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = ent === 8 ? Number(r.u64(i * 8)) : r.u32(i * 4);
  return out;
}

function readHashes(ctx: ReadelfContext, st: ReadelfDynamic): HashState {
  const file = ctx.file;
  const hs: HashState = {
    numSyms: 0,
    gnuSymIdx: 0,
    xhash:
      st.info.has(DT_MIPS_XHASH) &&
      (file.header.e_machine === EM_MIPS || file.header.e_machine === EM_MIPS_RS3_LE),
  };
  const hash = st.info.get(DT_HASH) ?? 0n;
  if (hash !== 0n) {
    const ent = sysvHashEntrySize(file);
    const off = offsetFromVma(st, hash, 16n, ctx.warn);
    const head = off + BigInt(2 * ent) <= BigInt(file.size) ? file.reader(off, 2 * ent, "hash") : undefined;
    if (!head) ctx.error("Failed to read in number of buckets");
    else {
      const nb = Number(head.word(0, ent === 8));
      const nc = Number(head.word(ent, ent === 8));
      if (nb !== 0 && nc !== 0) {
        const b = readU32s(file, off + BigInt(2 * ent), nb, ent, ctx.error);
        const c = b && readU32s(file, off + BigInt((2 + nb) * ent), nc, ent, ctx.error);
        if (b && c) {
          hs.buckets = b;
          hs.chains = c;
          hs.numSyms = nc;
        }
      }
    }
  }
  const gnu = st.info.get(DT_GNU_HASH) ?? 0n;
  if (gnu !== 0n) {
    const ok = ((): boolean => {
      const off = offsetFromVma(st, gnu, 16n, ctx.warn);
      if (off + 16n > BigInt(file.size)) {
        ctx.error("Failed to read in number of buckets");
        return false;
      }
      const head = file.reader(off, 16, "GNU hash");
      const nb = head.u32(0);
      const symidx = head.u32(4);
      const maskwords = head.u32(8);
      const bucketsVma = gnu + 16n + BigInt(maskwords) * (file.is64 ? 8n : 4n);
      const boff = offsetFromVma(st, bucketsVma, 4n, ctx.warn);
      const buckets = readU32s(file, boff, nb, 4, ctx.error);
      if (!buckets) return false;
      let maxchain = -1;
      for (const b of buckets) {
        if (b === 0) continue;
        if (b < symidx) return false;
        if (maxchain === -1 || b > maxchain) maxchain = b;
      }
      if (maxchain === -1) return false;
      maxchain -= symidx;
      let coff = offsetFromVma(st, bucketsVma + 4n * BigInt(nb + maxchain), 4n, ctx.warn);
      for (;;) {
        if (coff + 4n > BigInt(file.size)) {
          ctx.error("Failed to determine last chain length");
          return false;
        }
        const v = file.reader(coff, 4, "GNU hash chain").u32(0);
        coff += 4n;
        ++maxchain;
        if (v & 1) break;
      }
      const choff = offsetFromVma(st, bucketsVma + 4n * BigInt(nb), 4n, ctx.warn);
      const chains = readU32s(file, choff, maxchain, 4, ctx.error);
      if (!chains) return false;
      let xlat: number[] | undefined;
      if (hs.xhash) {
        const xoff = offsetFromVma(st, bucketsVma + 4n * BigInt(nb + maxchain), 4n, ctx.warn);
        xlat = readU32s(file, xoff, maxchain, 4, ctx.error);
        if (!xlat) return false;
      }
      let num = hs.numSyms;
      for (let hn = 0; hn < nb; hn++) {
        let si = buckets[hn]!;
        if (si === 0) continue;
        let off2 = si - symidx;
        for (;;) {
          if (xlat) {
            if (off2 < maxchain && xlat[off2]! >= num) num = xlat[off2]! + 1;
          } else if (si >= num) num = si + 1;
          si++;
          if (!(off2 < maxchain && (chains[off2++]! & 1) === 0)) break;
        }
      }
      if (num === 0) return false;
      hs.numSyms = num;
      hs.gnuBuckets = buckets;
      hs.gnuChains = chains;
      hs.gnuSymIdx = symidx;
      return true;
    })();
    if (!ok) {
      hs.gnuBuckets = undefined;
      hs.gnuChains = undefined;
    }
  }
  return hs;
}

// ------------------------------------------------------------------------------------------------
// Symbol tables read straight from the bytes: the hot loop reads fields itself instead of building an
// object per symbol.

interface RawSymtab {
  count: number;
  view: DataView;
  is64: boolean;
  le: boolean;
  shndx: Uint32Array | undefined;
}

/** get_32bit_elf_symbols / get_64bit_elf_symbols, with their checks and messages. */
function readSymtab(
  ctx: ReadelfContext,
  st: ReadelfDynamic,
  sh: { sh_offset: bigint; sh_size: bigint; sh_entsize: bigint; index: number; name: string },
): RawSymtab | undefined {
  const file = ctx.file;
  if (sh.sh_size === 0n) return undefined;
  if (sh.sh_entsize === 0n || sh.sh_entsize > sh.sh_size) {
    ctx.error(`Section ${sh.name} has an invalid sh_entsize of ${hexAlt(sh.sh_entsize)}`);
    return undefined;
  }
  if (sh.sh_size > BigInt(file.size)) {
    ctx.error(`Section ${sh.name} has an invalid sh_size of ${hexAlt(sh.sh_size)}`);
    return undefined;
  }
  const entsize = file.is64 ? 24 : 16;
  const count = Number(sh.sh_size / sh.sh_entsize);
  if (BigInt(count * entsize) > sh.sh_size + 1n) {
    ctx.error(
      `Size (${hexAlt(sh.sh_size)}) of section ${sh.name} is not a multiple of its sh_entsize (${hexAlt(sh.sh_entsize)})`,
    );
    return undefined;
  }
  const data = getData(file, sh.sh_offset, sh.sh_size, "symbols", ctx.error);
  if (!data) return undefined;
  let shndx: Uint32Array | undefined;
  for (const x of st.sections ?? []) {
    if (x.sh_type !== SHT_SYMTAB_SHNDX || x.sh_link !== sh.index) continue;
    const d = getData(file, x.sh_offset, x.sh_size, "symbol table section indices", ctx.error);
    if (!d) return undefined;
    if (x.sh_size / 4n < BigInt(count)) {
      ctx.error(
        `Index section ${printableSectionName(st, x)} has an sh_size of ${hexAlt(x.sh_size)} - expected ${hexAlt(sh.sh_size)}`,
      );
      return undefined;
    }
    const r = file.readerOver(d, "symbol table section indices");
    shndx = new Uint32Array(count);
    for (let i = 0; i < count; i++) shndx[i] = r.u32(i * 4);
  }
  // Symbols sit at the class's Elf_Sym stride whatever sh_entsize says (readelf indexes esyms[j]).
  const usable = Math.min(count, Math.floor(data.length / entsize));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { count: usable, view, is64: file.is64, le: file.littleEndian, shndx };
}

/** printf("%#" PRIx64): 0 stays "0". */
function hexAlt(v: bigint): string {
  return v === 0n ? "0" : `0x${v.toString(16)}`;
}

// ------------------------------------------------------------------------------------------------
// Names of types, bindings, visibilities and section indexes (readelf.c get_symbol_*).

function symbolBinding(file: ElfFile, bind: number): string {
  switch (bind) {
    case 0:
      return "LOCAL";
    case 1:
      return "GLOBAL";
    case 2:
      return "WEAK";
  }
  if (bind >= 13 && bind <= 15) return `<processor specific>: ${bind}`;
  if (bind >= 10 && bind <= 12) {
    if (bind === 10 && file.header.ei_osabi === ELFOSABI_GNU) return "UNIQUE";
    return `<OS specific>: ${bind}`;
  }
  return `<unknown>: ${bind}`;
}

function symbolType(file: ElfFile, type: number): string {
  const names = ["NOTYPE", "OBJECT", "FUNC", "SECTION", "FILE", "COMMON", "TLS", undefined, "RELC", "SRELC"];
  const n = names[type];
  if (n) return n;
  const m = file.header.e_machine;
  if (type >= 13 && type <= 15) {
    if (m === EM_ARM && type === 13) return "THUMB_FUNC";
    if (m === EM_SPARCV9 && type === 13) return "REGISTER";
    if (m === EM_PARISC && type === 13) return "PARISC_MILLI";
    return `<processor specific>: ${type}`;
  }
  if (type >= 10 && type <= 12) {
    if (m === EM_PARISC) {
      if (type === 11) return "HP_OPAQUE";
      if (type === 12) return "HP_STUB";
    }
    const osabi = file.header.ei_osabi;
    if (type === 10 && (osabi === ELFOSABI_GNU || osabi === ELFOSABI_FREEBSD)) return "IFUNC";
    return `<OS specific>: ${type}`;
  }
  return `<unknown>: ${type}`;
}

const VISIBILITY = ["DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"];

/** get_symbol_other: the machine's meaning of the st_other bits above the visibility. */
function symbolOther(ctx: ReadelfContext, other: number): string {
  if (other === 0) return "";
  let result: string | undefined;
  switch (ctx.file.header.e_machine) {
    case EM_ALPHA:
      if (other === 0x80) result = "NOPV";
      else if (other === 0x88) result = "STD GPLOAD";
      else {
        ctx.error(`Unrecognized alpha specific other value: ${other}`);
        result = "<unknown>";
      }
      break;
    case EM_AARCH64:
      if (other & 0x80) {
        const rest = other & ~0x80;
        result = rest === 0 ? "VARIANT_PCS" : `VARIANT_PCS | ${rest.toString(16)}`;
      }
      break;
    case EM_MIPS: {
      const mips: Record<number, string> = {
        4: "OPTIONAL",
        8: "MIPS PLT",
        32: "MIPS PIC",
        128: "MICROMIPS",
        160: "MICROMIPS, MIPS PIC",
        240: "MIPS16",
      };
      result = mips[other];
      break;
    }
    case EM_PPC64:
      if ((other & ~0xe0) === 0) {
        let v = other >> 5;
        if (v <= 6) {
          if (v >= 2) v = ((1 << v) >> 2) << 2;
          result = `<localentry>: ${v}`;
        }
      }
      break;
    case EM_RISCV: {
      let buf = "";
      let o = other;
      if (o & 0x80) {
        buf = " VARIANT_CC";
        o &= ~0x80;
      }
      if (o !== 0) buf = ` ${o.toString(16)}`;
      result = buf.length > 0 ? buf.slice(1) : buf;
      break;
    }
  }
  return result ?? `<other>: ${other.toString(16)}`;
}

function solarisVisibility(ctx: ReadelfContext, v: number): string {
  if (v === 4) return "EXPORTED";
  if (v === 5) return "SINGLETON";
  if (v === 6) return "ELIMINATE";
  if (v < 4) return VISIBILITY[v]!;
  ctx.error(`Unrecognized visibility value: ${v}`);
  return "<unknown>";
}

/** get_symbol_index_type. */
function symbolIndexType(file: ElfFile, shnum: number, type: number): string {
  if (type === 0) return "UND";
  if (type === 0xfff1) return "ABS";
  if (type === 0xfff2) return "COM";
  const m = file.header.e_machine;
  if (type === 0xff00 && m === EM_IA_64 && file.header.ei_osabi === ELFOSABI_HPUX) return "ANSI_COM";
  if ((m === EM_X86_64 || m === EM_L1OM || m === EM_K1OM) && type === 0xff02) return "LARGE_COM";
  if ((type === 0xff03 && m === EM_MIPS) || (type === 0xff00 && m === EM_TI_C6000)) return "SCOM";
  if (type === 0xff04 && m === EM_MIPS) return "SUND";
  const hex4 = (t: number) => (t & 0xffff).toString(16).padStart(4, "0");
  if (type >= 0xff00 && type <= 0xff1f) return `PRC[0x${hex4(type)}]`;
  if (type >= 0xff20 && type <= 0xff3f) return `OS [0x${hex4(type)}]`;
  if (type >= 0xff00 && type <= 0xffff) return `RSV[0x${hex4(type)}]`;
  if (shnum !== 0 && type >= shnum) return `bad section index[${String(type).padStart(3)}]`;
  return String(type).padStart(3);
}

/**
 * cplus_demangle as readelf calls it: names that are not mangled stay as they are. The WASM demangler
 * behind ctx.demangle drops a leading underscore from names it cannot demangle ("_exit" -> "exit"), so
 * only Itanium names (_Z...) go to it, and an answer that is just the name without "_" counts as failure.
 */
function demangleName(ctx: ReadelfContext, name: string): string {
  if (!name.startsWith("_Z")) return name;
  const out = ctx.demangle(name);
  return out === name.slice(1) ? name : out;
}

// ------------------------------------------------------------------------------------------------
// print_symbol: control characters as ^X, truncation to `width` with "[...]" unless -W or -T.

function printSymbolName(ctx: ReadelfContext, width: number, symbol: string): string {
  const opts = ctx.opts;
  let extraPadding = false;
  if (width < 0) {
    width = -width;
    extraPadding = true;
  } else if (width === 0) return "";
  let remaining: number;
  let dots = false;
  if (opts.wide) remaining = Number.MAX_SAFE_INTEGER;
  else {
    remaining = width;
    if (!opts.silentTruncation && symbol.length > width) {
      remaining = Math.max(0, remaining - 5);
      dots = true;
    }
  }
  if (opts.demangle && symbol.length > 0) symbol = demangleName(ctx, symbol);
  let out = "";
  let printed = 0;
  for (let i = 0; i < symbol.length && remaining > 0; i++) {
    const c = symbol.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      out += symbol[i];
      remaining--;
      printed++;
    } else if (c < 0x20 || c === 0x7f) {
      if (remaining < 2) break;
      out += `^${String.fromCharCode((c + 0x40) & 0xff)}`;
      remaining -= 2;
      printed += 2;
    } else {
      out += symbol[i];
      remaining--;
      printed++;
    }
  }
  if (dots) {
    out += "[...]";
    printed += 5;
  }
  if (extraPadding && printed < width) out += " ".repeat(width - printed);
  return out;
}

// ------------------------------------------------------------------------------------------------
// get_symbol_version_string, with the verdef and verneed walks remembered per versym value.

enum VersionKind {
  Hidden,
  Public,
  Undefined,
}

interface VerdefResult {
  maxVdNdx: number;
  found: boolean;
  base: boolean;
  vdaName: number | undefined;
}

interface VerneedResult {
  found: boolean;
  vnaName: number;
  vnaOther: number;
}

export class VersionResolver {
  private readonly verdefMemo = new Map<number, VerdefResult>();
  private readonly verneedMemo = new Map<number, VerneedResult>();
  private readonly versym: bigint;
  private readonly verdef: bigint;
  private readonly verneed: bigint;
  kind: VersionKind = VersionKind.Public;
  vnaOther = 0;

  constructor(
    private readonly ctx: ReadelfContext,
    private readonly st: ReadelfDynamic,
  ) {
    this.versym = st.info.get(DT_VERSYM) ?? 0n;
    this.verdef = st.info.get(DT_VERDEF) ?? 0n;
    this.verneed = st.info.get(DT_VERNEED) ?? 0n;
  }

  get active(): boolean {
    return this.versym !== 0n;
  }

  // A 64 KiB window over the file: versym entries are read one per symbol, in order.
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  private u16(off: bigint): number | undefined {
    const size = this.ctx.file.size;
    if (off < 0n || off + 2n > BigInt(size)) return undefined;
    const o = Number(off);
    if (o < this.windowStart || o + 2 > this.windowStart + this.window.length) {
      this.windowStart = o;
      this.window = this.ctx.file.read(o, Math.min(size - o, 1 << 16), "version data");
    }
    const w = this.window;
    const i = o - this.windowStart;
    return this.ctx.file.littleEndian ? w[i]! | (w[i + 1]! << 8) : (w[i]! << 8) | w[i + 1]!;
  }

  private walkVerdef(vers: number): VerdefResult {
    const memo = this.verdefMemo.get(vers);
    if (memo) return memo;
    const file = this.ctx.file;
    const size = BigInt(file.size);
    let off = offsetFromVma(this.st, this.verdef, 20n, this.ctx.warn);
    let maxVdNdx = 0;
    let vd_ndx = 0;
    let vd_aux = 0;
    let vd_next = 0;
    let vd_flags = 0;
    const target = vers & VERSYM_VERSION;
    // Each step moves forward by a non-zero vd_next or stops, so the file size bounds the walk.
    for (let guard = 0; guard <= file.size; guard++) {
      if (off < 0n || off + 20n > size) {
        this.ctx.error("Reading 20 bytes extends past end of file for version def");
        vd_ndx = vd_aux = vd_next = vd_flags = 0;
      } else {
        const r = file.reader(off, 20, "version def");
        vd_flags = r.u16(2);
        vd_ndx = r.u16(4);
        vd_aux = r.u32(12);
        vd_next = r.u32(16);
      }
      if ((vd_ndx & VERSYM_VERSION) > maxVdNdx) maxVdNdx = vd_ndx & VERSYM_VERSION;
      off += BigInt(vd_next);
      if (vd_ndx === target || vd_next === 0) break;
    }
    const res: VerdefResult = { maxVdNdx, found: vd_ndx === target, base: false, vdaName: undefined };
    if (res.found) {
      if (vd_ndx === 1 && vd_flags === VER_FLG_BASE) res.base = true;
      else {
        const aoff = off - BigInt(vd_next) + BigInt(vd_aux);
        if (aoff < 0n || aoff + 8n > size)
          this.ctx.error("Reading 8 bytes extends past end of file for version def aux");
        else res.vdaName = file.reader(aoff, 8, "version def aux").u32(0);
      }
    }
    this.verdefMemo.set(vers, res);
    return res;
  }

  private walkVerneed(vers: number): VerneedResult {
    const memo = this.verneedMemo.get(vers);
    if (memo) return memo;
    const file = this.ctx.file;
    const size = BigInt(file.size);
    let offset = offsetFromVma(this.st, this.verneed, 16n, this.ctx.warn);
    let vna_other = 0;
    let vna_name = 0;
    for (let guard = 0; guard <= file.size; guard++) {
      if (offset < 0n || offset + 16n > size) {
        this.ctx.error("Reading 16 bytes extends past end of file for version need");
        vna_other = 0;
        vna_name = 0;
        break;
      }
      const r = file.reader(offset, 16, "version need");
      const vn_aux = r.u32(8);
      const vn_next = r.u32(12);
      let aoff = offset + BigInt(vn_aux);
      for (let g2 = 0; g2 <= file.size; g2++) {
        let vna_next = 0;
        if (aoff < 0n || aoff + 16n > size) {
          this.ctx.error("Reading 16 bytes extends past end of file for version need aux (3)");
          vna_other = 0;
          vna_name = 0;
        } else {
          const a = file.reader(aoff, 16, "version need aux");
          vna_other = a.u16(6);
          vna_name = a.u32(8);
          vna_next = a.u32(12);
        }
        aoff += BigInt(vna_next);
        if (vna_other === vers || vna_next === 0) break;
      }
      if (vna_other === vers) break;
      offset += BigInt(vn_next);
      if (vn_next === 0) break;
    }
    const res = { found: vna_other === vers, vnaName: vna_name, vnaOther: vna_other };
    this.verneedMemo.set(vers, res);
    return res;
  }

  /**
   * The version of dynamic symbol `si`, or undefined; sets `kind` and `vnaOther` as readelf's
   * sym_info / vna_other out-parameters.
   */
  versionOf(
    si: number,
    st_shndx: number,
    st_name: number,
    strtab: ReadelfStrtab | undefined,
  ): string | undefined {
    const off = offsetFromVma(this.st, this.versym, 2n + BigInt(si) * 2n, this.ctx.warn);
    const vers = this.u16(off + BigInt(si) * 2n);
    if (vers === undefined) {
      this.ctx.error("Reading 2 bytes extends past end of file for version data");
      return undefined;
    }
    if (vers === 0) return undefined;
    this.kind = vers & VERSYM_HIDDEN ? VersionKind.Hidden : VersionKind.Public;
    let maxVdNdx = 0;
    const name = (n: number): string => (strtab?.valid(n) ? strtab.get(n) : "<corrupt>");
    if (st_shndx !== 0 && vers !== 0x8001 && this.verdef !== 0n) {
      const d = this.walkVerdef(vers);
      maxVdNdx = d.maxVdNdx;
      if (d.found) {
        if (d.base) return undefined;
        if (d.vdaName !== undefined && st_name !== d.vdaName) return name(d.vdaName);
      }
    }
    if (this.verneed !== 0n) {
      const n = this.walkVerneed(vers);
      if (n.found) {
        this.kind = VersionKind.Undefined;
        this.vnaOther = n.vnaOther;
        return name(n.vnaName);
      }
      const v = vers & VERSYM_VERSION;
      if ((maxVdNdx || v !== 1) && v > maxVdNdx) return "<corrupt>";
    }
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------
// The symbol table listing (process_symbol_table + print_dynamic_symbol).

const HEX8 = (n: number): string => (n + 0x100000000).toString(16).slice(1);

// Most symbol sizes are small: their "%5d" text is made once.
const SMALL_SIZES: string[] = [];
for (let i = 0; i < 4096; i++) SMALL_SIZES.push(String(i).padStart(5));

function formatSize(hi: number, lo: number, base: number): string {
  if (base === 0 && hi === 0 && lo <= 99999) return lo < 4096 ? SMALL_SIZES[lo]! : String(lo).padStart(5);
  const v = hi === 0 ? lo : (BigInt(hi) << 32n) | BigInt(lo);
  switch (base) {
    case 8:
      return v.toString(8).padStart(5);
    case 10:
      return v.toString(10).padStart(5);
    case 16:
      return `0x${v.toString(16).padStart(5, "0")}`;
    default:
      return `0x${v.toString(16)}`;
  }
}

interface TableSource {
  sym: RawSymtab;
  strtab: ReadelfStrtab | undefined;
  /** undefined for the -D listing (readelf passes section NULL). */
  section: SectionHeader | undefined;
  isDynsym: boolean;
}

function printTable(ctx: ReadelfContext, st: ReadelfDynamic, src: TableSource): void {
  const file = ctx.file;
  const out = ctx.out;
  const { sym, strtab, section } = src;
  const is64 = sym.is64;
  const le = sym.le;
  const view = sym.view;
  const base = ctx.opts.symBase;
  const wide = ctx.opts.wide;
  const osabi = file.header.ei_osabi;
  const machine = file.header.e_machine;
  const solaris = osabi === ELFOSABI_SOLARIS;
  const shnum = st.shnum;
  const versions = src.isDynsym ? new VersionResolver(ctx, st) : undefined;
  const useVersions = versions?.active === true;
  const fastNames = !ctx.opts.demangle && wide && strtab !== undefined && !strtab.hasControl;
  const strText = strtab?.text;
  const strLen = strtab?.length ?? 0;
  const localWarn = section !== undefined && machine !== EM_MIPS && !solaris;

  const infoCache: (string | undefined)[] = new Array(256);
  const otherCache: (string | undefined)[] = new Array(256);
  const ndxCache = new Map<number, string>();
  let lastHi = -1;
  let lastHiText = "";

  let buf = "";
  const n = sym.count;
  for (let si = 0; si < n; si++) {
    let st_name: number;
    let st_info: number;
    let st_other: number;
    let st_shndx: number;
    let vhi: number;
    let vlo: number;
    let shi: number;
    let slo: number;
    if (is64) {
      const at = si * 24;
      st_name = view.getUint32(at, le);
      st_info = view.getUint8(at + 4);
      st_other = view.getUint8(at + 5);
      st_shndx = view.getUint16(at + 6, le);
      if (le) {
        vlo = view.getUint32(at + 8, true);
        vhi = view.getUint32(at + 12, true);
        slo = view.getUint32(at + 16, true);
        shi = view.getUint32(at + 20, true);
      } else {
        vhi = view.getUint32(at + 8, false);
        vlo = view.getUint32(at + 12, false);
        shi = view.getUint32(at + 16, false);
        slo = view.getUint32(at + 20, false);
      }
    } else {
      const at = si * 16;
      st_name = view.getUint32(at, le);
      vhi = 0;
      vlo = view.getUint32(at + 4, le);
      shi = 0;
      slo = view.getUint32(at + 8, le);
      st_info = view.getUint8(at + 12);
      st_other = view.getUint8(at + 13);
      st_shndx = view.getUint16(at + 14, le);
    }
    if (st_shndx === 0xffff && sym.shndx) st_shndx = sym.shndx[si]!;

    let line = `${String(si).padStart(6)}: `;
    if (is64) {
      if (vhi !== lastHi) {
        lastHi = vhi;
        lastHiText = HEX8(vhi);
      }
      line += lastHiText + HEX8(vlo);
    } else line += HEX8(vlo);
    line += " ";
    line += formatSize(shi, slo, base);

    let info = infoCache[st_info];
    if (info === undefined) {
      info = ` ${symbolType(file, st_info & 0xf).padEnd(7)} ${symbolBinding(file, st_info >> 4).padEnd(6)}`;
      infoCache[st_info] = info;
    }
    line += info;
    let other = otherCache[st_other];
    if (other === undefined) {
      if (solaris) other = ` ${solarisVisibility(ctx, st_other).padEnd(7)}`;
      else {
        const vis = st_other & 3;
        other = ` ${VISIBILITY[vis]!.padEnd(7)}`;
        if (st_other ^ vis) other += ` [${symbolOther(ctx, st_other ^ vis)}] `;
      }
      // Values whose naming reports an error are not cached, so the error repeats as in readelf.
      const noisy =
        (solaris && st_other > 6) ||
        (!solaris &&
          machine === EM_ALPHA &&
          (st_other & ~3) !== 0 &&
          (st_other & ~3) !== 0x80 &&
          (st_other & ~3) !== 0x88);
      if (!noisy) otherCache[st_other] = other;
    }
    line += other;
    let ndx = ndxCache.get(st_shndx);
    if (ndx === undefined) {
      ndx = ` ${symbolIndexType(file, shnum, st_shndx).padStart(4)} `;
      ndxCache.set(st_shndx, ndx);
    }
    line += ndx;

    // The name: a section symbol without a name shows its section's name.
    let nameText: string;
    if (
      (st_info & 0xf) === STT_SECTION &&
      st_shndx < shnum &&
      st.sections &&
      st.sections.length > 0 &&
      st_name === 0
    ) {
      const sh = st.sections[st_shndx];
      nameText = sh && st.shstrtab?.valid(sh.sh_name) ? st.shstrtab.get(sh.sh_name) : "<corrupt>";
    } else if (st_name < strLen) {
      const end = strText!.indexOf("\0", st_name);
      nameText = end < 0 ? strText!.substring(st_name) : strText!.substring(st_name, end);
    } else nameText = "<corrupt>";

    let version: string | undefined;
    if (useVersions) version = versions!.versionOf(si, st_shndx, st_name, strtab);

    if (version === undefined) {
      if (fastNames && nameText.length > 0) line += nameText;
      else line += printSymbolName(ctx, 21, nameText);
      line += "\n";
    } else {
      const kind = versions!.kind;
      let lenAvail = 21;
      if (!wide) {
        lenAvail -= 1 + version.length;
        if (kind === VersionKind.Undefined) lenAvail -= ` (${versions!.vnaOther})`.length;
        else if (kind !== VersionKind.Hidden) lenAvail -= 1;
      }
      if (fastNames && lenAvail === 21) line += nameText;
      else line += printSymbolName(ctx, lenAvail, nameText);
      if (kind === VersionKind.Undefined) line += `@${version} (${versions!.vnaOther})\n`;
      else line += kind === VersionKind.Hidden ? `@${version}\n` : `@@${version}\n`;
    }
    buf += line;
    if (buf.length > 1 << 16) {
      out.write(buf);
      buf = "";
    }
    if (localWarn && st_info >> 4 === STB_LOCAL && si >= section!.sh_info) {
      if (buf) out.write(buf);
      buf = "";
      ctx.warn(
        `local symbol ${si} found at index >= ${printableSectionName(st, section)}'s sh_info value of ${section!.sh_info}`,
      );
    }
  }
  if (buf) out.write(buf);
}

/**
 * process_section_headers' CHECK_ENTSIZE: a SHT_SYMTAB (or the first SHT_DYNSYM) with the wrong
 * sh_entsize is reported and read with the class's Elf_Sym size instead.
 */
function checkedEntsize(ctx: ReadelfContext, st: ReadelfDynamic, sh: SectionHeader): bigint {
  const expected = ctx.file.is64 ? 24n : 16n;
  const checked = sh.sh_type === SHT_SYMTAB || (sh.sh_type === SHT_DYNSYM && sh === st.dynsymSection);
  if (!checked || sh.sh_entsize === expected) return sh.sh_entsize;
  ctx.error(`Section ${sh.index} has invalid sh_entsize of ${sh.sh_entsize.toString(16)}`);
  ctx.error(`(Using the expected size of ${expected.toString(16)} for the rest of this dump)`);
  return expected;
}

const HEADER32 = "   Num:    Value  Size Type    Bind   Vis      Ndx Name\n";
const HEADER64 = "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n";

/** %5.1f as glibc prints it: exact ties (x.x5 held exactly in binary) round to even. */
export function fixed1(x: number): string {
  const t = x * 10;
  if (Number.isInteger(x * 4) && !Number.isInteger(x * 2)) {
    const lo = Math.floor(t);
    const r = lo % 2 === 0 ? lo : lo + 1;
    return (r / 10).toFixed(1);
  }
  return x.toFixed(1);
}

function printHistogram(
  ctx: ReadelfContext,
  title: string,
  nbuckets: number,
  lengths: Uint32Array,
  maxlength: number,
  nsyms: number,
): void {
  let text = `\n${title} (total of ${nbuckets} ${nbuckets === 1 ? "bucket" : "buckets"}):\n`;
  text += " Length  Number     % of total  Coverage\n";
  const counts = new Array<number>(maxlength + 1).fill(0);
  for (let hn = 0; hn < nbuckets; hn++) counts[lengths[hn]!]!++;
  if (nbuckets > 0) {
    text += `      0  ${String(counts[0]).padEnd(10)} (${fixed1((counts[0]! * 100) / nbuckets).padStart(5)}%)\n`;
    let nzero = 0;
    for (let i = 1; i <= maxlength; i++) {
      nzero += counts[i]! * i;
      text += `${String(i).padStart(7)}  ${String(counts[i]).padEnd(10)} (${fixed1((counts[i]! * 100) / nbuckets).padStart(5)}%)    ${fixed1((nzero * 100) / nsyms).padStart(5)}%\n`;
    }
  }
  ctx.out.write(text);
}

export function printSymbols(ctx: ReadelfContext): void {
  const opts = ctx.opts;
  const file = ctx.file;
  const st = readelfDynamic(ctx);
  let doSyms = opts.symbols;
  let doDynSyms = opts.dynSyms;
  // process_object: without loadable section headers only -D keeps the symbol views.
  if (!st.sections || (st.shnum === 0 && file.header.e_shoff !== 0n)) {
    if (!opts.useDynamic) doSyms = doDynSyms = false;
  }
  const hasDynamic = st.dynamic !== undefined;
  const hashAddr = st.info.get(DT_HASH) ?? 0n;
  const gnuAddr = st.info.get(DT_GNU_HASH) ?? 0n;

  // process_dynamic_section: hash tables (and DT_SYMTAB symbols when there is no .dynsym).
  let hashes: HashState | undefined;
  let dynSymtab: RawSymtab | undefined;
  const dynSymSection: SectionHeader | undefined = st.sections ? st.dynsymSection : undefined;
  if (hasDynamic && (!dynSymSection || opts.histogram)) {
    if (opts.histogram || (opts.useDynamic && !doDynSyms)) hashes = readHashes(ctx, st);
    const num = hashes?.numSyms ?? 0;
    const symtab = st.info.get(DT_SYMTAB) ?? 0n;
    const syment = st.info.get(DT_SYMENT) ?? 0n;
    if (num !== 0 && !dynSymSection && symtab !== 0n && syment !== 0n) {
      for (const p of st.phdrs ?? []) {
        if (p.p_type !== PT_LOAD) continue;
        if (p.p_offset + p.p_filesz > BigInt(file.size)) {
          ctx.error("Invalid PT_LOAD entry");
          break;
        }
        const mask = file.is64 ? MASK64 : 0xffffffffn;
        if (symtab >= (p.p_vaddr & (-p.p_align & mask)) && symtab < p.p_vaddr + p.p_filesz) {
          const fake = {
            sh_offset: symtab - p.p_vaddr + p.p_offset,
            sh_size: BigInt(num) * syment,
            sh_entsize: syment,
            index: -1,
            name: "<corrupt>",
          };
          dynSymtab = readSymtab(ctx, st, fake);
          if (!dynSymtab || dynSymtab.count !== num) {
            ctx.error("Corrupt DT_SYMTAB dynamic entry");
            dynSymtab = undefined;
          }
          break;
        }
      }
    }
  }

  const sectionName = (sh: SectionHeader) => printableSectionName(st, sh);
  if (
    (hashAddr !== 0n || gnuAddr !== 0n) &&
    doSyms &&
    opts.useDynamic &&
    st.dynamicStrings &&
    (dynSymSection || dynSymtab)
  ) {
    if (dynSymSection && !dynSymtab) {
      const sh_entsize = checkedEntsize(ctx, st, dynSymSection);
      dynSymtab = readSymtab(ctx, st, { ...dynSymSection, sh_entsize, name: sectionName(dynSymSection) });
    }
    const count = dynSymtab?.count ?? 0;
    ctx.out.write(`\nSymbol table for image contains ${count} ${count === 1 ? "entry" : "entries"}:\n`);
    ctx.out.write(file.is64 ? HEADER64 : HEADER32);
    if (dynSymtab)
      printTable(ctx, st, { sym: dynSymtab, strtab: st.dynamicStrings, section: undefined, isDynsym: true });
  } else if ((doDynSyms || (doSyms && !opts.useDynamic)) && st.sections && st.sections.length > 0) {
    for (const sh of st.sections) {
      if ((sh.sh_type !== SHT_SYMTAB && sh.sh_type !== SHT_DYNSYM) || (!doSyms && sh.sh_type === SHT_SYMTAB))
        continue;
      const name = sectionName(sh);
      const entsize = checkedEntsize(ctx, st, sh);
      if (entsize === 0n) {
        ctx.out.write(`\nSymbol table '${name}' has a sh_entsize of zero!\n`);
        continue;
      }
      const num = sh.sh_size / entsize;
      ctx.out.write(`\nSymbol table '${name}' contains ${num} ${num === 1n ? "entry" : "entries"}:\n`);
      ctx.out.write(file.is64 ? HEADER64 : HEADER32);
      const sym = readSymtab(ctx, st, { ...sh, sh_entsize: entsize, name });
      if (!sym) continue;
      let strtab: ReadelfStrtab | undefined;
      if (sh.sh_link === file.shstrndx) strtab = st.shstrtab;
      else if (sh.sh_link < st.shnum) {
        const ss = st.sections[sh.sh_link]!;
        // readelf reads sh_size bytes whatever the type (get_data with nmemb = sh_size).
        const data = getData(file, ss.sh_offset, ss.sh_size, "string table", ctx.error);
        strtab = data ? new ReadelfStrtab(data) : undefined;
      }
      printTable(ctx, st, { sym, strtab, section: sh, isDynsym: sh.sh_type === SHT_DYNSYM });
    }
  } else if (doSyms) {
    ctx.out.write("\nDynamic symbol information is not available for displaying symbols.\n");
  }

  if (opts.histogram && hashes) {
    if (hashes.buckets && hashes.chains) {
      const { buckets, chains } = hashes;
      const nb = buckets.length;
      const nc = chains.length;
      const lengths = new Uint32Array(nb);
      const visited = new Uint8Array(nc);
      let nsyms = 0;
      let maxlength = 0;
      let corrupt = false;
      for (let hn = 0; hn < nb; hn++) {
        for (let si = buckets[hn]!; si > 0; si = chains[si]!) {
          nsyms++;
          if (maxlength < ++lengths[hn]!) maxlength++;
          if (si >= nc || visited[si]) {
            corrupt = true;
            break;
          }
          visited[si] = 1;
        }
      }
      // readelf prints the title before the chain walk reports corruption; stdout order is kept.
      if (corrupt) ctx.error("histogram chain is corrupt");
      printHistogram(ctx, "Histogram for bucket list length", nb, lengths, maxlength, nsyms);
    }
    if (hashes.gnuBuckets && hashes.gnuChains) {
      const b = hashes.gnuBuckets;
      const c = hashes.gnuChains;
      const lengths = new Uint32Array(b.length);
      let maxlength = 0;
      let nsyms = 0;
      for (let hn = 0; hn < b.length; hn++) {
        if (b[hn] === 0) continue;
        let length = 1;
        for (let off = b[hn]! - hashes.gnuSymIdx; off < c.length && (c[off]! & 1) === 0; off++) length++;
        lengths[hn] = length;
        if (length > maxlength) maxlength = length;
        nsyms += length;
      }
      const title = `Histogram for \`${hashes.xhash ? ".MIPS.xhash" : ".gnu.hash"}' bucket list length`;
      printHistogram(ctx, title, b.length, lengths, maxlength, nsyms);
    }
  }
}
