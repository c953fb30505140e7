import {
  type DynamicEntry,
  type ElfFile,
  type ElfSymbol,
  latin1,
  PT_DYNAMIC,
  PT_INTERP,
  PT_LOAD,
  SHT_DYNSYM,
  SHT_NOBITS,
  SHT_STRTAB,
} from "../../elf/index.js";
import { parseSymbol, SYM32_SIZE, SYM64_SIZE } from "../../elf/symbol.js";
import { type ReadelfContext, readableSections } from "./context.js";

// Tags readelf.c formats specially (include/elf/common.h and the per-machine headers).
const T = {
  NULL: 0,
  NEEDED: 1,
  PLTRELSZ: 2,
  PLTGOT: 3,
  HASH: 4,
  STRTAB: 5,
  SYMTAB: 6,
  RELA: 7,
  RELASZ: 8,
  RELAENT: 9,
  STRSZ: 10,
  SYMENT: 11,
  INIT: 12,
  FINI: 13,
  SONAME: 14,
  RPATH: 15,
  SYMBOLIC: 16,
  REL: 17,
  RELSZ: 18,
  RELENT: 19,
  PLTREL: 20,
  DEBUG: 21,
  TEXTREL: 22,
  JMPREL: 23,
  BIND_NOW: 24,
  INIT_ARRAY: 25,
  FINI_ARRAY: 26,
  INIT_ARRAYSZ: 27,
  FINI_ARRAYSZ: 28,
  RUNPATH: 29,
  FLAGS: 30,
  PREINIT_ARRAYSZ: 33,
  RELRSZ: 35,
  RELR: 36,
  RELRENT: 37,
  GNU_FLAGS_1: 0x6ffffdf4,
  GNU_PRELINKED: 0x6ffffdf5,
  GNU_CONFLICTSZ: 0x6ffffdf6,
  GNU_LIBLISTSZ: 0x6ffffdf7,
  PLTPADSZ: 0x6ffffdf9,
  MOVEENT: 0x6ffffdfa,
  MOVESZ: 0x6ffffdfb,
  FEATURE: 0x6ffffdfc,
  POSFLAG_1: 0x6ffffdfd,
  SYMINSZ: 0x6ffffdfe,
  SYMINENT: 0x6ffffdff,
  GNU_HASH: 0x6ffffef5,
  CONFIG: 0x6ffffefa,
  DEPAUDIT: 0x6ffffefb,
  AUDIT: 0x6ffffefc,
  SYMINFO: 0x6ffffeff,
  VERSYM: 0x6ffffff0,
  RELACOUNT: 0x6ffffff9,
  RELCOUNT: 0x6ffffffa,
  FLAGS_1: 0x6ffffffb,
  VERDEF: 0x6ffffffc,
  VERDEFNUM: 0x6ffffffd,
  VERNEED: 0x6ffffffe,
  VERNEEDNUM: 0x6fffffff,
  AUXILIARY: 0x7ffffffd,
  USED: 0x7ffffffe,
  FILTER: 0x7fffffff,
} as const;

const EM_MIPS = 8;
const EM_MIPS_RS3_LE = 10;
const EM_AARCH64 = 183;
const DT_MIPS_FLAGS = 0x70000005;
const DT_MIPS_IVERSION = 0x70000004;
const DT_MIPS_TIME_STAMP = 0x70000002;
const DT_MIPS_XHASH = 0x70000036;
/** MIPS tags whose value readelf prints in decimal. */
const MIPS_DECIMAL = new Set([
  0x70000001, 0x7000000a, 0x7000000b, 0x70000010, 0x70000011, 0x70000012, 0x70000014, 0x70000018, 0x7000001a,
  0x7000001c, 0x7000001e, 0x70000021, 0x7000002f,
]);
const DT_AARCH64_BTI_PLT = 0x70000001;
const DT_AARCH64_PAC_PLT = 0x70000003;

const GENERIC_NAMES: Record<number, string> = {
  0: "NULL",
  1: "NEEDED",
  2: "PLTRELSZ",
  3: "PLTGOT",
  4: "HASH",
  5: "STRTAB",
  6: "SYMTAB",
  7: "RELA",
  8: "RELASZ",
  9: "RELAENT",
  10: "STRSZ",
  11: "SYMENT",
  12: "INIT",
  13: "FINI",
  14: "SONAME",
  15: "RPATH",
  16: "SYMBOLIC",
  17: "REL",
  18: "RELSZ",
  19: "RELENT",
  36: "RELR",
  35: "RELRSZ",
  37: "RELRENT",
  20: "PLTREL",
  21: "DEBUG",
  22: "TEXTREL",
  23: "JMPREL",
  24: "BIND_NOW",
  25: "INIT_ARRAY",
  26: "FINI_ARRAY",
  27: "INIT_ARRAYSZ",
  28: "FINI_ARRAYSZ",
  29: "RUNPATH",
  30: "FLAGS",
  32: "PREINIT_ARRAY",
  33: "PREINIT_ARRAYSZ",
  34: "SYMTAB_SHNDX",
  1879047672: "CHECKSUM",
  1879047673: "PLTPADSZ",
  1879047674: "MOVEENT",
  1879047675: "MOVESZ",
  1879047676: "FEATURE",
  1879047677: "POSFLAG_1",
  1879047678: "SYMINSZ",
  1879047679: "SYMINENT",
  1879047680: "ADDRRNGLO",
  1879047930: "CONFIG",
  1879047931: "DEPAUDIT",
  1879047932: "AUDIT",
  1879047933: "PLTPAD",
  1879047934: "MOVETAB",
  1879047935: "SYMINFO",
  1879048176: "VERSYM",
  1879047927: "TLSDESC_GOT",
  1879047926: "TLSDESC_PLT",
  1879048185: "RELACOUNT",
  1879048186: "RELCOUNT",
  1879048187: "FLAGS_1",
  1879048188: "VERDEF",
  1879048189: "VERDEFNUM",
  1879048190: "VERNEED",
  1879048191: "VERNEEDNUM",
  2147483645: "AUXILIARY",
  2147483646: "USED",
  2147483647: "FILTER",
  1879047669: "GNU_PRELINKED",
  1879047928: "GNU_CONFLICT",
  1879047670: "GNU_CONFLICTSZ",
  1879047929: "GNU_LIBLIST",
  1879047671: "GNU_LIBLISTSZ",
  1879047925: "GNU_HASH",
  1879047668: "GNU_FLAGS_1",
};

/** readelf's names for the MIPS DT_LOPROC tags (objdump spells a few otherwise). */
export const MIPS_DYNAMIC_TAG_NAMES: Record<number, string> = {
  1879048193: "MIPS_RLD_VERSION",
  1879048194: "MIPS_TIME_STAMP",
  1879048195: "MIPS_ICHECKSUM",
  1879048196: "MIPS_IVERSION",
  1879048197: "MIPS_FLAGS",
  1879048198: "MIPS_BASE_ADDRESS",
  1879048199: "MIPS_MSYM",
  1879048200: "MIPS_CONFLICT",
  1879048201: "MIPS_LIBLIST",
  1879048202: "MIPS_LOCAL_GOTNO",
  1879048203: "MIPS_CONFLICTNO",
  1879048208: "MIPS_LIBLISTNO",
  1879048209: "MIPS_SYMTABNO",
  1879048210: "MIPS_UNREFEXTNO",
  1879048211: "MIPS_GOTSYM",
  1879048212: "MIPS_HIPAGENO",
  1879048214: "MIPS_RLD_MAP",
  1879048245: "MIPS_RLD_MAP_REL",
  1879048215: "MIPS_DELTA_CLASS",
  1879048216: "MIPS_DELTA_CLASS_NO",
  1879048217: "MIPS_DELTA_INSTANCE",
  1879048218: "MIPS_DELTA_INSTANCE_NO",
  1879048219: "MIPS_DELTA_RELOC",
  1879048220: "MIPS_DELTA_RELOC_NO",
  1879048221: "MIPS_DELTA_SYM",
  1879048222: "MIPS_DELTA_SYM_NO",
  1879048224: "MIPS_DELTA_CLASSSYM",
  1879048225: "MIPS_DELTA_CLASSSYM_NO",
  1879048226: "MIPS_CXX_FLAGS",
  1879048227: "MIPS_PIXIE_INIT",
  1879048228: "MIPS_SYMBOL_LIB",
  1879048229: "MIPS_LOCALPAGE_GOTIDX",
  1879048230: "MIPS_LOCAL_GOTIDX",
  1879048231: "MIPS_HIDDEN_GOTIDX",
  1879048232: "MIPS_PROTECTED_GOTIDX",
  1879048233: "MIPS_OPTIONS",
  1879048234: "MIPS_INTERFACE",
  1879048235: "MIPS_DYNSTR_ALIGN",
  1879048236: "MIPS_INTERFACE_SIZE",
  1879048237: "MIPS_RLD_TEXT_RESOLVE_ADDR",
  1879048238: "MIPS_PERF_SUFFIX",
  1879048239: "MIPS_COMPACT_SIZE",
  1879048240: "MIPS_GP_VALUE",
  1879048241: "MIPS_AUX_DYNAMIC",
  1879048242: "MIPS_PLTGOT",
  1879048244: "MIPS_RWPLT",
  1879048246: "MIPS_XHASH",
};

/** Processor-specific tag names by e_machine (get_*_dynamic_type in readelf.c). */
const PROC_NAMES: Record<number, Record<number, string>> = {
  183: { 1879048193: "AARCH64_BTI_PLT", 1879048195: "AARCH64_PAC_PLT", 1879048197: "AARCH64_VARIANT_PCS" },
  8: MIPS_DYNAMIC_TAG_NAMES,
  10: MIPS_DYNAMIC_TAG_NAMES,
  43: { 1879048193: "SPARC_REGISTER" },
  20: { 1879048192: "PPC_GOT", 1879048193: "PPC_OPT" },
  21: {
    1879048192: "PPC64_GLINK",
    1879048193: "PPC64_OPD",
    1879048194: "PPC64_OPDSZ",
    1879048195: "PPC64_OPT",
  },
  36902: { 1879048192: "ALPHA_PLTRO" },
  113: { 1879048194: "NIOS2_GP" },
  243: { 1879048193: "RISCV_VARIANT_CC" },
};

const DF_1_NAMES = [
  "NOW",
  "GLOBAL",
  "GROUP",
  "NODELETE",
  "LOADFLTR",
  "INITFIRST",
  "NOOPEN",
  "ORIGIN",
  "DIRECT",
  "TRANS",
  "INTERPOSE",
  "NODEFLIB",
  "NODUMP",
  "CONFALT",
  "ENDFILTEE",
  "DISPRELDNE",
  "DISPRELPND",
  "NODIRECT",
  "IGNMULDEF",
  "NOKSYMS",
  "NOHDR",
  "EDITED",
  "NORELOC",
  "SYMINTPOSE",
  "GLOBAUDIT",
  "SINGLETON",
  "STUB",
  "PIE",
  "KMOD",
  "WEAKFILTER",
  "NOCOMMON",
];
const DF_NAMES = ["ORIGIN", "SYMBOLIC", "TEXTREL", "BIND_NOW", "STATIC_TLS"];
const MIPS_FLAG_NAMES = [
  "QUICKSTART",
  "NOTPOT",
  "NO_LIBRARY_REPLACEMENT",
  "NO_MOVE",
  "SGI_ONLY",
  "GUARANTEE_INIT",
  "DELTA_C_PLUS_PLUS",
  "GUARANTEE_START_INIT",
  "PIXIE",
  "DEFAULT_DELAY_LOAD",
  "REQUICKSTART",
  "REQUICKSTARTED",
  "CORD",
  "NO_UNRES_UNDEF",
  "RLD_ORDER_SAFE",
];

const ELFOSABI_SOLARIS = 6;
const SOLARIS_NAMES: Record<number, string> = {
  1610612749: "SUNW_AUXILIARY",
  1610612750: "SUNW_RTLDINF",
  1610612751: "SUNW_FILTER",
  1610612752: "SUNW_CAP",
  1610612753: "SUNW_SYMTAB",
  1610612754: "SUNW_SYMSZ",
  1610612755: "SUNW_SORTENT",
  1610612756: "SUNW_SYMSORT",
  1610612757: "SUNW_SYMSORTSZ",
  1610612758: "SUNW_TLSSORT",
  1610612759: "SUNW_TLSSORTSZ",
  1610612760: "SUNW_CAPINFO",
  1610612761: "SUNW_STRPAD",
  1610612762: "SUNW_CAPCHAIN",
  1610612763: "SUNW_LDMACH",
  1610612765: "SUNW_CAPCHAINENT",
  1610612767: "SUNW_CAPCHAINSZ",
  1610612769: "SUNW_PARENT",
  1610612771: "SUNW_ASLR",
  1610612773: "SUNW_RELAX",
  1610612777: "SUNW_NXHEAP",
  1610612779: "SUNW_NXSTACK",
  1879048193: "SPARC_REGISTER",
  2147483645: "AUXILIARY",
  2147483646: "USED",
  2147483647: "FILTER",
};

/** readelf.c get_dynamic_type: the tag's name, or its "Processor Specific: %lx"-style description. */
export function dynamicTypeName(file: ElfFile, tag: bigint): string {
  // readelf passes the tag as an unsigned long: a 64-bit value for both classes (zero-extended for ELF32).
  const t = file.is64 ? BigInt.asUintN(64, tag) : BigInt.asUintN(32, tag);
  const n = t <= 0xffffffffn ? Number(t) : -1;
  const generic = n >= 0 ? GENERIC_NAMES[n] : undefined;
  if (generic !== undefined) return generic;
  const machine = file.header.e_machine;
  const solaris = file.header.ei_osabi === ELFOSABI_SOLARIS;
  if (n >= 0x70000000 && n <= 0x7fffffff) {
    const table = PROC_NAMES[machine];
    const name = table ? table[n] : solaris ? SOLARIS_NAMES[n] : undefined;
    return name ?? `Processor Specific: ${t.toString(16)}`;
  }
  if (n >= 0x6000000d && n <= 0x6ffff000) {
    const name = solaris ? SOLARIS_NAMES[n] : undefined;
    return name ?? `Operating System specific: ${t.toString(16)}`;
  }
  return `<unknown>: ${t.toString(16)}`;
}

// ---------------------------------------------------------------------------------------------------
// The dynamic information readelf.c gathers for every object (process_section_headers,
// process_program_headers, process_dynamic_section), whichever views are asked for.

export interface ReadelfDynamic {
  /** File offset and size of the dynamic array as readelf locates it; size <= 1 means "none". */
  addr: bigint;
  size: bigint;
  entries: DynamicEntry[];
  /** .dynstr (by name) or DT_STRTAB/DT_STRSZ, readelf's dynamic_strings. */
  strings: Uint8Array | undefined;
  /** .dynsym, or (for -D without section headers) the DT_SYMTAB symbols counted through the hash tables. */
  symbols: ElfSymbol[] | undefined;
  /** PT_INTERP's string, for " program interpreter" after the matching DT_NEEDED. */
  interpreter: string | undefined;
  /** The last value of each tag readelf records in dynamic_info / version_info (0 when absent). */
  info(tag: number): bigint;
}

const cache = new WeakMap<ElfFile, ReadelfDynamic>();

/** A NUL-terminated byte string from `bytes` at `offset` (readelf's dynamic_strings + offset). */
export function cString(bytes: Uint8Array, offset: number): string {
  let end = bytes.indexOf(0, offset);
  if (end < 0) end = bytes.length;
  return latin1(bytes, offset, end);
}

/**
 * readelf.c offset_from_vma: the file offset of `vma` through the first PT_LOAD with
 * (p_vaddr & -p_align) <= vma and vma + size <= p_vaddr + p_filesz; else a warning and vma itself.
 */
export function offsetFromVma(ctx: ReadelfContext, vma: bigint, size: bigint): bigint {
  const file = ctx.file;
  let phdrs: ReturnType<() => typeof file.programHeaders>;
  try {
    phdrs = file.programHeaders;
  } catch {
    phdrs = [];
  }
  if (phdrs.length === 0) {
    ctx.warn("Cannot interpret virtual addresses without program headers.");
    return vma;
  }
  const mask = file.is64 ? 0xffffffffffffffffn : 0xffffffffffffffffn;
  for (const ph of phdrs) {
    if (ph.p_type !== PT_LOAD) continue;
    const start = ph.p_vaddr & (-ph.p_align & mask);
    if (vma >= start && BigInt.asUintN(64, vma + size) <= BigInt.asUintN(64, ph.p_vaddr + ph.p_filesz)) {
      return BigInt.asUintN(64, vma - ph.p_vaddr + ph.p_offset);
    }
  }
  ctx.warn(`Virtual address 0x${vma.toString(16)} not located in any PT_LOAD segment.`);
  return vma;
}

/** Reads [offset, offset+size) when it lies inside the file, like readelf's get_data; else undefined. */
function getData(ctx: ReadelfContext, offset: bigint, size: bigint, reason: string): Uint8Array | undefined {
  const fileSize = BigInt(ctx.file.size);
  if (size === 0n) return undefined;
  if (offset > fileSize || size > fileSize - offset) {
    ctx.error(`Reading ${size} bytes extends past end of file for ${reason}`);
    return undefined;
  }
  return ctx.file.read(offset, size, reason);
}

export function readelfDynamic(ctx: ReadelfContext): ReadelfDynamic {
  const cached = cache.get(ctx.file);
  if (cached) return cached;
  const state = gatherDynamic(ctx);
  cache.set(ctx.file, state);
  return state;
}

function gatherDynamic(ctx: ReadelfContext): ReadelfDynamic {
  const file = ctx.file;
  const values = new Map<number, bigint>();
  const state: ReadelfDynamic = {
    addr: 0n,
    size: 1n,
    entries: [],
    strings: undefined,
    symbols: undefined,
    interpreter: undefined,
    info: (tag) => values.get(tag) ?? 0n,
  };
  const { sections, names } = readableSections(file);
  // process_section_headers: the first SHT_DYNSYM and the SHT_STRTAB named .dynstr.
  for (const sh of sections) {
    if (sh.sh_type === SHT_DYNSYM && state.symbols === undefined) {
      try {
        state.symbols = file.symbols(sh);
      } catch {
        state.symbols = undefined;
      }
    } else if (
      sh.sh_type === SHT_STRTAB &&
      state.strings === undefined &&
      names?.get(sh.sh_name) === ".dynstr"
    ) {
      state.strings = getData(ctx, sh.sh_offset, sh.sh_size, "dynamic strings");
    }
  }
  // process_program_headers: PT_DYNAMIC, corrected by the .dynamic section when there is one.
  let phdrs: ReturnType<() => typeof file.programHeaders> = [];
  try {
    phdrs = file.programHeaders;
  } catch {
    phdrs = [];
  }
  const fileSize = BigInt(file.size);
  let addr = 0n;
  let size = 0n;
  for (const ph of phdrs) {
    if (ph.p_type === PT_INTERP) {
      if (ph.p_offset < fileSize && ph.p_filesz <= fileSize - ph.p_offset && ph.p_filesz !== 0n) {
        const bytes = file.read(ph.p_offset, ph.p_filesz, "program interpreter");
        state.interpreter = cString(bytes, 0);
      }
    }
    if (ph.p_type !== PT_DYNAMIC) continue;
    addr = ph.p_offset;
    size = ph.p_filesz;
    if (sections.length > 0) {
      const sec = names ? sections.find((s) => names.get(s.sh_name) === ".dynamic") : undefined;
      if (sec && sec.sh_size !== 0n) {
        if (sec.sh_type === SHT_NOBITS) {
          addr = 0n;
          size = 0n;
        } else {
          addr = sec.sh_offset;
          size = sec.sh_size;
        }
      }
    }
    if (addr > fileSize || size > fileSize - addr) {
      addr = 0n;
      size = 0n;
    }
  }
  state.addr = addr;
  state.size = size === 0n ? 1n : size;
  if (state.size <= 1n) return state;

  // get_32bit_dynamic_section / get_64bit_dynamic_section: whole entries up to and including DT_NULL.
  const entsize = file.is64 ? 16 : 8;
  const data = getData(ctx, addr, state.size, "dynamic section");
  if (!data) return state;
  const r = file.readerOver(data, "dynamic section", Number(addr));
  const count = Math.floor(data.length / entsize);
  for (let i = 0; i < count; i++) {
    const at = i * entsize;
    const d_tag = file.is64 ? r.u64(at) : BigInt(r.u32(at));
    const d_val = file.is64 ? r.u64(at + 8) : BigInt(r.u32(at + 4));
    state.entries.push({ d_tag, d_val });
    if (d_tag === 0n) break;
  }
  // dynamic_info / version_info: the tags process_dynamic_section records, last one winning.
  for (const e of state.entries) {
    if (e.d_tag <= 0x7fffffffn) values.set(Number(e.d_tag), e.d_val);
  }
  const first = (tag: number): bigint => {
    for (const e of state.entries) if (e.d_tag === BigInt(tag)) return e.d_val;
    return 0n;
  };

  if (state.strings === undefined) {
    // The first point in the array where both DT_STRTAB and DT_STRSZ have been seen.
    let strtab = 0n;
    let strsz = 0n;
    for (const e of state.entries) {
      if (e.d_tag === BigInt(T.STRTAB)) strtab = e.d_val;
      if (e.d_tag === BigInt(T.STRSZ)) strsz = e.d_val;
      if (strtab !== 0n && strsz !== 0n) {
        const offset = offsetFromVma(ctx, strtab, strsz);
        state.strings = getData(ctx, offset, strsz, "dynamic string table");
        if (!state.strings) ctx.error("Corrupt DT_STRTAB dynamic entry");
        break;
      }
    }
  }
  if (
    state.symbols === undefined &&
    ((ctx.opts.useDynamic && !ctx.opts.dynSyms) || ctx.opts.histogram) &&
    first(T.SYMTAB) !== 0n
  ) {
    state.symbols = symbolsFromDynamic(ctx, state);
  }
  return state;
}

/** get_num_dynamic_syms + the DT_SYMTAB read in process_dynamic_section, for files without .dynsym. */
function symbolsFromDynamic(ctx: ReadelfContext, state: ReadelfDynamic): ElfSymbol[] | undefined {
  const file = ctx.file;
  const last = (tag: number): bigint => {
    let v = 0n;
    for (const e of state.entries) if (e.d_tag === BigInt(tag)) v = e.d_val;
    return v;
  };
  const symtab = last(T.SYMTAB);
  const syment = last(T.SYMENT);
  let count = 0;
  const word = (off: bigint, n: number): number | undefined => {
    if (off < 0n || off + BigInt(n) > BigInt(file.size)) return undefined;
    const r = file.reader(off, n, "dynamic hash table");
    return n === 8 ? Number(r.u64(0)) : r.u32(0);
  };
  const hash = last(T.HASH);
  if (hash !== 0n) {
    const entSize = (file.header.e_machine === 22 || file.header.e_machine === 0x9026) && file.is64 ? 8 : 4;
    const off = offsetFromVma(ctx, hash, 8n);
    const nchains = word(off + BigInt(entSize), entSize);
    if (nchains !== undefined) count = nchains;
  }
  let gnuHash = last(T.GNU_HASH);
  const mips = file.header.e_machine === EM_MIPS || file.header.e_machine === EM_MIPS_RS3_LE;
  const xhash = mips ? last(DT_MIPS_XHASH) : 0n;
  if (xhash !== 0n) gnuHash = xhash;
  if (gnuHash !== 0n) {
    const off = offsetFromVma(ctx, gnuHash, 16n);
    const nbuckets = word(off, 4);
    const symidx = word(off + 4n, 4);
    const maskwords = word(off + 8n, 4);
    if (nbuckets !== undefined && symidx !== undefined && maskwords !== undefined) {
      const bucketsVma = gnuHash + 16n + BigInt(maskwords) * (file.is64 ? 8n : 4n);
      const bOff = offsetFromVma(ctx, bucketsVma, 4n);
      let maxchain = -1;
      let ok = bOff + BigInt(nbuckets) * 4n <= BigInt(file.size);
      if (ok) {
        const br = file.reader(bOff, nbuckets * 4, "gnu hash buckets");
        for (let i = 0; i < nbuckets; i++) {
          const b = br.u32(i * 4);
          if (b === 0) continue;
          if (b < symidx) ok = false;
          if (b > maxchain) maxchain = b;
        }
      }
      if (ok && maxchain >= 0) {
        // Walk the last chain to its end marker.
        let chainOff = bOff + BigInt(nbuckets) * 4n + BigInt(maxchain - symidx) * 4n;
        let sym = maxchain;
        for (;;) {
          const v = word(chainOff, 4);
          if (v === undefined) break;
          sym++;
          if (v & 1) break;
          chainOff += 4n;
        }
        if (!xhash && sym > count) count = sym;
      }
    }
  }
  if (count === 0 || syment === 0n) return undefined;
  for (const ph of file.programHeaders) {
    if (ph.p_type !== PT_LOAD) continue;
    const start = ph.p_vaddr & BigInt.asUintN(64, -ph.p_align);
    if (symtab >= start && symtab < ph.p_vaddr + ph.p_filesz) {
      const offset = symtab - ph.p_vaddr + ph.p_offset;
      const entsize = file.is64 ? SYM64_SIZE : SYM32_SIZE;
      const stride = Math.max(Number(syment), entsize);
      const total = BigInt(count) * BigInt(stride);
      if (offset + total > BigInt(file.size)) {
        ctx.error("Corrupt DT_SYMTAB dynamic entry");
        return undefined;
      }
      const r = file.reader(offset, total, "dynamic symbols");
      const syms: ElfSymbol[] = new Array(count);
      for (let i = 0; i < count; i++) syms[i] = parseSymbol(r, i * stride, file.is64, i, undefined);
      return syms;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// readelf -d (process_dynamic_section's printing half)

const hex = (v: bigint): string => v.toString(16);

function signed64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function gmtimeString(seconds: bigint): string | undefined {
  const ms = signed64(seconds) * 1000n;
  if (ms > 8640000000000000n || ms < -8640000000000000n) return undefined;
  const d = new Date(Number(ms));
  const p2 = (n: number) => String(n).padStart(2, "0");
  const y = d.getUTCFullYear();
  return `${String(y).padStart(4, "0")}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

function flagList(val: bigint, names: string[]): string {
  let out = "";
  let rest = val;
  for (let i = 0; i < names.length; i++) {
    const bit = 1n << BigInt(i);
    if (rest & bit) {
      out += ` ${names[i]}`;
      rest ^= bit;
    }
  }
  if (rest !== 0n) out += ` ${hex(rest)}`;
  return out;
}

export function printDynamic(ctx: ReadelfContext): void {
  const file = ctx.file;
  const dyn = readelfDynamic(ctx);
  if (dyn.size <= 1n) {
    ctx.out.write("\nThere is no dynamic section in this file.\n");
    return;
  }
  const strings = dyn.strings;
  const name = (v: bigint): string | undefined =>
    strings && v < BigInt(strings.length) ? cString(strings, Number(v)) : undefined;
  const is64 = file.is64;
  const lines: string[] = [];
  const n = dyn.entries.length;
  if (dyn.addr !== 0n) {
    lines.push(
      `\nDynamic section at offset 0x${hex(dyn.addr)} contains ${n} ${n === 1 ? "entry" : "entries"}:\n`,
    );
  }
  lines.push("  Tag        Type                         Name/Value\n");
  const digits = is64 ? 16 : 8;
  for (const e of dyn.entries) {
    const dtype = dynamicTypeName(file, e.d_tag);
    const pad = (is64 ? 19 : 27) - dtype.length;
    let line = ` 0x${hex(e.d_tag).padStart(digits, "0")} (${dtype})${" ".repeat(Math.max(Math.abs(pad), 1))}`;
    const v = e.d_val;
    const tag = e.d_tag <= 0x7fffffffn && e.d_tag >= 0n ? Number(e.d_tag) : -1;
    switch (tag) {
      case T.FLAGS: {
        const parts: string[] = [];
        let rest = v;
        while (rest !== 0n) {
          const bit = rest & -rest;
          rest &= ~bit;
          let i = 0;
          while (1n << BigInt(i) !== bit) i++;
          parts.push(i < DF_NAMES.length ? DF_NAMES[i]! : "unknown");
        }
        line += `${parts.join(" ")}\n`;
        break;
      }
      case T.AUXILIARY:
      case T.FILTER:
      case 0x6ffffefa:
      case T.DEPAUDIT:
      case T.AUDIT: {
        const label =
          tag === T.AUXILIARY
            ? "Auxiliary library"
            : tag === T.FILTER
              ? "Filter library"
              : tag === T.CONFIG
                ? "Configuration file"
                : tag === T.DEPAUDIT
                  ? "Dependency audit library"
                  : "Audit library";
        const s = name(v);
        line += s !== undefined ? `${label}: [${s}]\n` : `${label}: 0x${hex(v)}\n`;
        break;
      }
      case T.FEATURE:
        line += v === 0n ? "Flags: None\n" : `Flags:${flagList(v, ["PARINIT", "CONFEXP"])}\n`;
        break;
      case T.POSFLAG_1:
        line += v === 0n ? "Flags: None\n" : `Flags:${flagList(v, ["LAZYLOAD", "GROUPPERM"])}\n`;
        break;
      case T.FLAGS_1:
        line += v === 0n ? "Flags: None\n" : `Flags:${flagList(v, DF_1_NAMES)}\n`;
        break;
      case T.GNU_FLAGS_1:
        line += v === 0n ? "Flags: None\n" : `Flags:${flagList(v, ["UNIQUE"])}\n`;
        break;
      case T.PLTREL:
        line += `${dynamicTypeName(file, v)}\n`;
        break;
      case T.NULL:
      case T.NEEDED:
      case T.PLTGOT:
      case T.HASH:
      case T.STRTAB:
      case T.SYMTAB:
      case T.RELA:
      case T.INIT:
      case T.FINI:
      case T.SONAME:
      case T.RPATH:
      case T.SYMBOLIC:
      case T.REL:
      case T.RELR:
      case T.DEBUG:
      case T.TEXTREL:
      case T.JMPREL:
      case T.RUNPATH: {
        const s = name(v);
        if (s !== undefined && tag === T.NEEDED) {
          line += `Shared library: [${s}]`;
          if (dyn.interpreter !== undefined && s === dyn.interpreter) line += " program interpreter";
        } else if (s !== undefined && tag === T.SONAME) line += `Library soname: [${s}]`;
        else if (s !== undefined && tag === T.RPATH) line += `Library rpath: [${s}]`;
        else if (s !== undefined && tag === T.RUNPATH) line += `Library runpath: [${s}]`;
        else line += `0x${hex(v)}`;
        line += "\n";
        break;
      }
      case T.PLTRELSZ:
      case T.RELASZ:
      case T.STRSZ:
      case T.RELSZ:
      case T.RELAENT:
      case T.RELRENT:
      case T.RELRSZ:
      case T.SYMENT:
      case T.RELENT:
      case T.PLTPADSZ:
      case T.MOVEENT:
      case T.MOVESZ:
      case T.PREINIT_ARRAYSZ:
      case T.INIT_ARRAYSZ:
      case T.FINI_ARRAYSZ:
      case T.GNU_CONFLICTSZ:
      case T.GNU_LIBLISTSZ:
        line += `${v} (bytes)\n`;
        break;
      case T.VERDEFNUM:
      case T.VERNEEDNUM:
      case T.RELACOUNT:
      case T.RELCOUNT:
        line += `${v}\n`;
        break;
      case T.SYMINSZ:
      case T.SYMINENT:
      case T.SYMINFO:
      case T.USED:
      case T.INIT_ARRAY:
      case T.FINI_ARRAY: {
        const s = tag === T.USED ? name(v) : undefined;
        line += s ? `Not needed object: [${s}]\n` : `0x${hex(v)}\n`;
        break;
      }
      case T.BIND_NOW:
        line += "\n";
        break;
      case T.GNU_PRELINKED: {
        const s = gmtimeString(v);
        line += s === undefined ? `<corrupt time val: ${hex(v)}` : `${s}\n`;
        break;
      }
      case T.GNU_HASH:
        line += `0x${hex(v)}\n`;
        break;
      default:
        line += machineValue(ctx, dyn, tag, v, name);
    }
    lines.push(line);
  }
  ctx.out.write(lines.join(""));
}

/** dynamic_section_aarch64_val / dynamic_section_mips_val / the generic hex value. */
function machineValue(
  ctx: ReadelfContext,
  _dyn: ReadelfDynamic,
  tag: number,
  v: bigint,
  name: (v: bigint) => string | undefined,
): string {
  const machine = ctx.file.header.e_machine;
  if (machine === EM_AARCH64) {
    return tag === DT_AARCH64_BTI_PLT || tag === DT_AARCH64_PAC_PLT ? "\n" : `0x${hex(v)}\n`;
  }
  if (machine === EM_MIPS || machine === EM_MIPS_RS3_LE) {
    if (tag === DT_MIPS_FLAGS) {
      if (v === 0n) return "NONE\n";
      const set = MIPS_FLAG_NAMES.filter((_, i) => (v & (1n << BigInt(i))) !== 0n);
      return `${set.join(" ")}\n`;
    }
    if (tag === DT_MIPS_IVERSION) {
      const s = name(v);
      return s !== undefined ? `Interface Version: ${s}\n` : `Interface Version: <corrupt: ${hex(v)}>\n`;
    }
    if (tag === DT_MIPS_TIME_STAMP) return `Time Stamp: ${gmtimeString(v) ?? "<corrupt>"}\n`;
    if (MIPS_DECIMAL.has(tag)) return `${signed64(v)}\n`;
    return `0x${hex(v)}\n`;
  }
  return `0x${hex(v)}\n`;
}
