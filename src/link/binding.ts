import {
  DT_JMPREL,
  DT_PLTREL,
  DT_PLTRELSZ,
  DT_REL,
  DT_RELA,
  DT_RELASZ,
  DT_RELSZ,
  DT_VERDEF,
  DT_VERNEED,
  DT_VERSYM,
  EM_386,
  EM_AARCH64,
  EM_X86_64,
  SHN_ABS,
  SHN_UNDEF,
  SHT_DYNSYM,
  STB_GLOBAL,
  STB_GNU_UNIQUE,
  STB_LOCAL,
  STB_WEAK,
  STT_GNU_IFUNC,
  STT_TLS,
  STV_HIDDEN,
  STV_INTERNAL,
  STV_PROTECTED,
  VER_FLG_BASE,
  VER_FLG_WEAK,
} from "../elf/constants.js";
import type { DataReader } from "../elf/data-reader.js";
import { dynamicTable, dynamicValue } from "../elf/dynamic.js";
import { isElfError } from "../elf/errors.js";
import { ElfFile } from "../elf/file.js";
import { type DynamicSymbolIndex, dynamicSymbolIndex, elfHash, gnuHash } from "../elf/hash.js";
import { parseRelocations, type Relocation } from "../elf/relocation.js";
import { type ElfSymbol, parseSymbol, SYM32_SIZE, SYM64_SIZE } from "../elf/symbol.js";
import { readVerdaux, readVerdef, readVernaux, readVerneed } from "../elf/version.js";
import type { LinkedObject, LinkGraph } from "./graph.js";
import type { LinkFs } from "./link-fs.js";

/** ELF_RTYPE_CLASS_* (glibc ldsodefs.h): which lookups skip PLT-only definitions or the executable. */
const CLASS_PLT = 1;
const CLASS_COPY = 2;

/** Per machine: the relocation types that never look a symbol up, and elf_machine_type_class. */
interface MachineRelocs {
  noLookup: Set<number>;
  plt: Set<number>;
  copy: number;
}

// sysdeps/<arch>/dl-machine.h: elf_machine_type_class and the types elf_machine_rel(a) handles before
// RESOLVE_MAP (NONE, RELATIVE).
const MACHINES = new Map<number, MachineRelocs>([
  // R_X86_64_NONE, RELATIVE; JUMP_SLOT, DTPMOD64, DTPOFF64, TPOFF64, TLSDESC; COPY.
  [EM_X86_64, { noLookup: new Set([0, 8]), plt: new Set([7, 16, 17, 18, 36]), copy: 5 }],
  // R_386_NONE, RELATIVE; JMP_SLOT, TLS_DTPMOD32, TLS_DTPOFF32, TLS_TPOFF, TLS_TPOFF32, TLS_DESC; COPY.
  [EM_386, { noLookup: new Set([0, 8]), plt: new Set([7, 35, 36, 14, 37, 41]), copy: 5 }],
  // R_AARCH64_NONE, RELATIVE; JUMP_SLOT, TLS_DTPMOD, TLS_DTPREL, TLS_TPREL, TLSDESC; COPY.
  [EM_AARCH64, { noLookup: new Set([0, 1027]), plt: new Set([1026, 1028, 1029, 1030, 1031]), copy: 1024 }],
]);

/**
 * elf_machine_type_class of relocation `type`: 1 for a PLT-class lookup (it skips a definition that is
 * only the program's canonical PLT address, an undefined symbol with a value), 2 for COPY (it skips the
 * program), 0 for the rest. One symbol can bind differently in each class.
 */
export function relocationClass(machine: number, type: number): number {
  const m = MACHINES.get(machine);
  if (!m) return 0;
  return (m.plt.has(type) ? CLASS_PLT : 0) | (type === m.copy ? CLASS_COPY : 0);
}

/** One entry of l_versions (struct r_found_version). */
interface FoundVersion {
  name: string;
  hash: number;
  hidden: boolean;
  filename: string | undefined;
}

/** What the lookup needs of one loaded object (the link_map fields dl-lookup.c reads). */
interface MapData {
  object: LinkedObject;
  /** l_name as DSO_FILENAME prints it. */
  name: string;
  exec: boolean;
  file: ElfFile | undefined;
  index: DynamicSymbolIndex | undefined;
  syms: DataReader | undefined;
  symCount: number;
  symCache: (ElfSymbol | undefined)[];
  /** DT_VERSYM entries (the relocation side reads them whenever DT_VERSYM exists). */
  versym: Uint16Array | undefined;
  /** l_versions, undefined when the object has neither DT_VERNEED nor DT_VERDEF (then l_versyms is NULL). */
  versions: (FoundVersion | undefined)[] | undefined;
}

/** One symbol lookup, as LD_DEBUG=bindings prints it. */
export interface Binding {
  /** The object whose relocation asked. */
  from: string;
  /** The object the symbol was found in. */
  to: string;
  symbol: string;
  version: string | undefined;
  /** `protected` in LD_DEBUG's words: the referencing symbol is STV_PROTECTED. */
  protected: boolean;
  /** Relocation type of the first relocation that asked, and how many consecutive ones shared the answer. */
  relocType: number;
  relocations: number;
  /** A fixed lookup ld.so does itself (the vDSO's entry points), not a relocation. */
  internal: boolean;
  /** The definition's st_value in `to` (add its load bias for the runtime address). */
  value?: bigint;
}

export interface BindProblem {
  kind: "missing-library" | "version" | "undefined";
  /** ld.so's words, as its trace mode prints them (without the trailing newline). */
  message: string;
  /**
   * For LD_DEBUG's `OBJECT: error: CATEGORY: TEXT (continued)` line (_dl_signal_cexception): the object
   * named, the category and text; `at` is the number of bindings printed before it. Missing libraries
   * have none (trace mode fakes them silently).
   */
  debug?: { object: string; category: string; text: string; at: number };
}

export interface BindResult {
  file: string;
  /** The relocation order (ld.so relocates l_initfini backwards; itself excepted). */
  order: string[];
  bindings: Binding[];
  problems: BindProblem[];
  /** Unresolved weak references, which ld.so leaves at 0 silently. */
  weakUnresolved: { from: string; symbol: string; version: string | undefined }[];
}

/** setup_vdso_pointers (sysdeps/unix/sysv/linux/dl-vdso-setup.h) on x86-64, in call order. */
const X86_64_VDSO = [
  "__vdso_clock_gettime",
  "__vdso_gettimeofday",
  "__vdso_time",
  "__vdso_getcpu",
  "__vdso_clock_getres",
];

function symbolCount(file: ElfFile, index: DynamicSymbolIndex): number {
  const size = file.is64 ? SYM64_SIZE : SYM32_SIZE;
  let count = 0;
  try {
    const sh = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM);
    if (sh) count = Number(sh.sh_size) / size;
  } catch {
    // no usable section headers: fall back to the hash tables
  }
  if (!count && index.sysv) count = index.sysv.nchain;
  if (!count && index.gnu) count = index.gnu.symoffset + index.gnu.chain.length;
  const max = Math.floor((file.size - Number(index.symtabOffset)) / size);
  return Math.max(0, Math.min(Math.floor(count), max));
}

/** A DT_* pointer mapped to a file offset, or undefined. */
function dynOffset(file: ElfFile, tag: bigint): number | undefined {
  const table = dynamicTable(file);
  const v = table && dynamicValue(table.entries, tag);
  if (v === undefined) return undefined;
  const off = file.vaddrToOffset(v);
  return off === undefined ? undefined : Number(off);
}

/** Walks a verneed chain (vn_next until 0), bounded by the file size. */
function* verneeds(file: ElfFile, strings: (o: number) => string | undefined) {
  const start = dynOffset(file, DT_VERNEED);
  if (start === undefined) return;
  const r = file.reader(0, file.size, "version needs");
  let at = start;
  for (let n = 0; n < file.size / 16 && at + 16 <= file.size; n++) {
    const vn = readVerneed(r, at);
    const aux: { hash: number; flags: number; other: number; name: string }[] = [];
    let a = at + vn.vn_aux;
    for (let j = 0; j < file.size / 16 && a + 16 <= file.size; j++) {
      const vna = readVernaux(r, a);
      aux.push({
        hash: vna.vna_hash,
        flags: vna.vna_flags,
        other: vna.vna_other,
        name: strings(vna.vna_name) ?? "",
      });
      if (vna.vna_next === 0) break;
      a += vna.vna_next;
    }
    yield { file: strings(vn.vn_file) ?? "", aux };
    if (vn.vn_next === 0) break;
    at += vn.vn_next;
  }
}

function* verdefs(file: ElfFile, strings: (o: number) => string | undefined) {
  const start = dynOffset(file, DT_VERDEF);
  if (start === undefined) return;
  const r = file.reader(0, file.size, "version definitions");
  let at = start;
  for (let n = 0; n < file.size / 20 && at + 20 <= file.size; n++) {
    const vd = readVerdef(r, at);
    const a = at + vd.vd_aux;
    const name = a + 8 <= file.size ? (strings(readVerdaux(r, a).vda_name) ?? "") : "";
    yield { flags: vd.vd_flags, ndx: vd.vd_ndx, hash: vd.vd_hash, name };
    if (vd.vd_next === 0) break;
    at += vd.vd_next;
  }
}

function loadMap(object: LinkedObject, name: string, file: ElfFile | undefined): MapData {
  const m: MapData = {
    object,
    name,
    exec: object.kind === "main",
    file,
    index: undefined,
    syms: undefined,
    symCount: 0,
    symCache: [],
    versym: undefined,
    versions: undefined,
  };
  if (!file) return m;
  const index = dynamicSymbolIndex(file);
  if (!index) return m;
  m.index = index;
  m.symCount = symbolCount(file, index);
  const size = file.is64 ? SYM64_SIZE : SYM32_SIZE;
  m.syms = file.reader(index.symtabOffset, m.symCount * size, "dynamic symbol table");
  const versymAt = dynOffset(file, DT_VERSYM);
  if (versymAt !== undefined) {
    const n = Math.min(m.symCount, Math.floor((file.size - versymAt) / 2));
    const r = file.reader(versymAt, n * 2, "DT_VERSYM");
    m.versym = new Uint16Array(n);
    for (let i = 0; i < n; i++) m.versym[i] = r.u16(i * 2);
  }
  const str = (o: number) => index.strings.get(o);
  // _dl_check_map_versions: needs first, then definitions (the base definition excepted).
  const versions: (FoundVersion | undefined)[] = [];
  let any = false;
  for (const vn of verneeds(file, str)) {
    any = true;
    for (const a of vn.aux) {
      versions[a.other & 0x7fff] = {
        name: a.name,
        hash: a.hash,
        hidden: (a.other & 0x8000) !== 0,
        filename: vn.file,
      };
    }
  }
  for (const vd of verdefs(file, str)) {
    any = true;
    if ((vd.flags & VER_FLG_BASE) === 0)
      versions[vd.ndx & 0x7fff] = { name: vd.name, hash: vd.hash, hidden: false, filename: undefined };
  }
  if (any) m.versions = versions;
  return m;
}

function symbolAt(m: MapData, i: number): ElfSymbol | undefined {
  if (i >= m.symCount || !m.syms || !m.file) return undefined;
  let s = m.symCache[i];
  if (!s) {
    s = parseSymbol(m.syms, i * (m.file.is64 ? SYM64_SIZE : SYM32_SIZE), m.file.is64, i, m.index!.strings);
    m.symCache[i] = s;
  }
  return s;
}

const ALLOWED_STT = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 5) | (1 << 6) | (1 << 10);
const bindsLocal = (s: ElfSymbol) => {
  const v = s.st_other & 3;
  return v === STV_HIDDEN || v === STV_INTERNAL;
};

interface Found {
  map: MapData;
  sym: ElfSymbol;
}

/** The symbol tables and the state one program's lookups share (_ns_unique_sym_table). */
class Binder {
  readonly unique = new Map<string, Found>();
  constructor(readonly scope: MapData[]) {}

  /** check_match (elf/dl-lookup.c). */
  private check(
    m: MapData,
    si: number,
    name: string,
    ref: { map: MapData; sym: ElfSymbol } | undefined,
    version: FoundVersion | undefined,
    typeClass: number,
    st: { versioned: ElfSymbol | undefined; num: number },
  ): ElfSymbol | undefined {
    const sym = symbolAt(m, si);
    if (!sym) return undefined;
    const stt = sym.st_info & 0xf;
    if (sym.st_value === 0n && sym.st_shndx !== SHN_ABS && stt !== STT_TLS) return undefined;
    if (typeClass & CLASS_PLT && sym.st_shndx === SHN_UNDEF) return undefined;
    if (((1 << stt) & ALLOWED_STT) === 0) return undefined;
    const same = ref !== undefined && ref.map === m && ref.sym.index === si;
    if (!same && sym.name !== name) return undefined;
    const verstab = m.versions ? m.versym : undefined;
    if (version) {
      if (verstab && si < verstab.length) {
        const raw = verstab[si]!;
        const def = m.versions![raw & 0x7fff];
        const hash = def?.hash ?? 0;
        if ((hash !== version.hash || def?.name !== version.name) && (version.hidden || hash || raw & 0x8000))
          return undefined;
      }
    } else if (verstab && si < verstab.length) {
      const raw = verstab[si]!;
      if ((raw & 0x7fff) >= 3) {
        if ((raw & 0x8000) === 0 && st.num++ === 0) st.versioned = sym;
        return undefined;
      }
    }
    return sym;
  }

  /** do_lookup_x over the scope: 1 and the answer, or undefined. */
  private doLookup(
    name: string,
    ref: { map: MapData; sym: ElfSymbol } | undefined,
    version: FoundVersion | undefined,
    typeClass: number,
    undefMap: MapData | undefined,
  ): Found | undefined {
    let gh: number | undefined;
    let sh: number | undefined;
    for (const m of this.scope) {
      if (typeClass & CLASS_COPY && m.exec) continue;
      const index = m.index;
      if (!index || !m.file) continue;
      const st = { versioned: undefined as ElfSymbol | undefined, num: 0 };
      let sym: ElfSymbol | undefined;
      const gnu = index.gnu;
      if (gnu) {
        if (gnu.nbuckets === 0) continue;
        gh ??= gnuHash(name);
        const bits = m.file.is64 ? 64 : 32;
        const word = gnu.bloom_size > 0 ? gnu.bloom[Math.floor(gh / bits) % gnu.bloom_size]! : 0n;
        const b1 = BigInt(gh % bits);
        const b2 = BigInt((gh >>> gnu.bloom_shift) % bits);
        if (((word >> b1) & (word >> b2) & 1n) !== 0n) {
          let si = gnu.buckets[gh % gnu.nbuckets]!;
          if (si !== 0 && si >= gnu.symoffset) {
            for (let off = si - gnu.symoffset; off < gnu.chain.length; off++, si++) {
              const ch = gnu.chain[off]!;
              if ((ch ^ gh) >>> 1 === 0) {
                sym = this.check(m, si, name, ref, version, typeClass, st);
                if (sym) break;
              }
              if (ch & 1) break;
            }
          }
        }
      } else if (index.sysv) {
        const sysv = index.sysv;
        if (sysv.nbucket === 0) continue;
        sh ??= elfHash(name);
        let steps = 0;
        for (
          let si = sysv.buckets[sh % sysv.nbucket]!;
          si !== 0 && si < sysv.nchain && steps <= sysv.nchain;
          si = sysv.chains[si]!, steps++
        ) {
          sym = this.check(m, si, name, ref, version, typeClass, st);
          if (sym) break;
        }
      } else continue;
      if (!sym && st.num === 1) sym = st.versioned;
      if (!sym || bindsLocal(sym)) continue;
      const bind = sym.st_info >> 4;
      if (bind === STB_GLOBAL || bind === STB_WEAK) return { map: m, sym };
      if (bind === STB_GNU_UNIQUE) {
        // do_lookup_unique: the first definition found wins for everyone (a copy reloc seeds it).
        const known = this.unique.get(name);
        if (known) return typeClass & CLASS_COPY ? { map: m, sym } : known;
        if (typeClass & CLASS_COPY && ref && undefMap) this.unique.set(name, { map: undefMap, sym: ref.sym });
        else this.unique.set(name, { map: m, sym });
        return { map: m, sym };
      }
    }
    return undefined;
  }

  /** _dl_lookup_symbol_x with no referencing symbol (ref NULL), as ld.so asks for names itself. */
  lookupName(name: string, version: FoundVersion): Found | undefined {
    return this.doLookup(name, undefined, version, 0, undefined);
  }

  /** _dl_lookup_symbol_x: the answer and whether the `protected` rule applied. */
  lookup(
    name: string,
    undef: MapData,
    ref: ElfSymbol,
    version: FoundVersion | undefined,
    typeClass: number,
  ): { found: Found | undefined; protected: boolean } {
    const r = { map: undef, sym: ref };
    let found = this.doLookup(name, r, version, typeClass, undef);
    if (!found) return { found, protected: false };
    const prot = (ref.st_other & 3) === STV_PROTECTED;
    if (prot) {
      if (typeClass === CLASS_PLT) {
        if (found.map !== undef) found = { map: undef, sym: ref };
      } else {
        const pv = this.doLookup(name, r, version, CLASS_PLT, undefined);
        if (pv && pv.map !== undef) found = { map: undef, sym: ref };
      }
    }
    return { found, protected: prot };
  }
}

/** The relocation ranges elf_dynamic_do_Rel walks, in ELF_DYNAMIC_RELOCATE's order (dynamic-link.h). */
function relocationRanges(file: ElfFile): Relocation[][] {
  const table = dynamicTable(file);
  if (!table) return [];
  const e = table.entries;
  const out: Relocation[][] = [];
  const read = (addr: bigint, size: bigint, kind: "rel" | "rela"): Relocation[] => {
    if (size <= 0n) return [];
    const off = file.vaddrToOffset(addr);
    if (off === undefined) return [];
    const max = BigInt(file.size) - off;
    return parseRelocations(
      file,
      file.reader(off, size < max ? size : max, `DT_${kind.toUpperCase()}`),
      kind,
    );
  };
  const pltrel = dynamicValue(e, DT_PLTREL);
  const jmprel = dynamicValue(e, DT_JMPREL);
  const pltsz = dynamicValue(e, DT_PLTRELSZ) ?? 0n;
  for (const [tag, szTag, kind] of [
    [DT_REL, DT_RELSZ, "rel"],
    [DT_RELA, DT_RELASZ, "rela"],
  ] as const) {
    const pltHere = jmprel !== undefined && pltrel === tag;
    const start = dynamicValue(e, tag);
    let size = start !== undefined ? (dynamicValue(e, szTag) ?? 0n) : 0n;
    const s = start ?? 0n;
    if (pltHere && s + size === jmprel + pltsz) size -= pltsz;
    if (start !== undefined) out.push(read(s, size, kind));
    if (pltHere) out.push(read(jmprel, pltsz, kind));
  }
  return out;
}

/** _dl_sort_maps_dfs over the search list: l_initfini of the main program (faked objects left out). */
function initfiniOrder(graph: LinkGraph): LinkedObject[] {
  const maps = graph.searchList.filter((o) => o.kind !== "missing");
  const visited = new Set<LinkedObject>();
  const rpo: LinkedObject[] = [];
  const dfs = (m: LinkedObject): void => {
    if (visited.has(m) || m.kind === "missing") return;
    visited.add(m);
    for (const d of m.deps) if (!visited.has(d.object) && d.object.kind !== "main") dfs(d.object);
    rpo.push(m);
  };
  for (let i = maps.length - 1; i >= 0; i--) dfs(maps[i]!);
  rpo.reverse();
  const main = rpo.indexOf(graph.main);
  if (main > 0) {
    rpo.splice(main, 1);
    rpo.unshift(graph.main);
  }
  return rpo;
}

/** libc's first symbol version per machine (symbol_version_string (libc, GLIBC_2_0) in dl-minimal.c). */
const LIBC_FIRST_VERSION = new Map<number, string>([
  [EM_X86_64, "GLIBC_2.2.5"],
  [EM_386, "GLIBC_2.0"],
  [EM_AARCH64, "GLIBC_2.17"],
]);

/** What ld.so does for real in dl_main, beyond the lookups a trace (ldd) shows. */
export interface BindOptions {
  /**
   * A real run, not LD_TRACE_LOADED_OBJECTS: when ld.so is also a dependency (rtld_multiple_ref, as
   * through libc), after relocating the others dl_main resolves the malloc family for itself from the
   * program's scope (__rtld_malloc_init_real: calloc, free, malloc, realloc, no referencing symbol) and
   * relocates ld.so again against that scope (its PLT slots for _dl_catch_exception and friends then
   * bind to libc's). Only without an error before: a real run ends at its first one.
   */
  run?: boolean;
  /**
   * Only the program's own relocations (its imports), not the libraries' among themselves: what a
   * view of the program's bindings needs. The lookups are the same; the libraries' are skipped.
   */
  programOnly?: boolean;
}

/**
 * Every symbol lookup ld.so (glibc 2.36) does for `graph` when tracing with LD_WARN and LD_BIND_NOW:
 * the version checks of dl-version.c over the chain, then each object's relocations (l_initfini
 * backwards, ld.so itself excepted), one lookup per relocation unless the previous relocation of that
 * object asked for the same symbol with the same type class (l_lookup_cache). With `run`, also the
 * lookups of a real start-up after those (see BindOptions).
 */
export function bindGraph(graph: LinkGraph, fs: LinkFs, options: BindOptions = {}): BindResult {
  const result: BindResult = { file: graph.file, order: [], bindings: [], problems: [], weakUnresolved: [] };
  const opened: { close?(): void }[] = [];
  const files = new Map<LinkedObject, ElfFile | undefined>();
  const fileOf = (o: LinkedObject): ElfFile | undefined => {
    if (files.has(o)) return files.get(o);
    let f: ElfFile | undefined;
    if (o.kind !== "missing" && o.kind !== "vdso") {
      const src = fs.open(o.path);
      if (src) {
        opened.push(src);
        try {
          f = ElfFile.open(src);
        } catch (e) {
          if (!isElfError(e)) throw e;
        }
      }
    }
    files.set(o, f);
    return f;
  };
  const maps = new Map<LinkedObject, MapData>();
  const mapOf = (o: LinkedObject): MapData => {
    let m = maps.get(o);
    if (!m) {
      let f = fileOf(o);
      try {
        m = loadMap(o, o.kind === "main" ? graph.file : o.path, f);
      } catch (e) {
        if (!isElfError(e)) throw e;
        f = undefined;
        m = loadMap(o, o.kind === "main" ? graph.file : o.path, undefined);
      }
      maps.set(o, m);
    }
    return m;
  };
  try {
    if (!graph.dynamic) return result;
    const machine = fileOf(graph.main)?.header.e_machine;
    // setup_vdso_pointers runs first (dl_main, before the trace listing).
    const vdso = graph.objects.find((o) => o.kind === "vdso");
    if (vdso && machine === EM_X86_64 && graph.flavor === "glibc") {
      for (const s of X86_64_VDSO) {
        result.bindings.push({
          from: vdso.path,
          to: vdso.path,
          symbol: s,
          version: "LINUX_2.6",
          protected: false,
          relocType: 0,
          relocations: 0,
          internal: true,
        });
      }
    }
    for (const o of graph.objects) {
      if (o.kind === "missing")
        result.problems.push({ kind: "missing-library", message: `${o.name} => not found` });
    }
    checkVersions(graph, mapOf, result);
    const relocs = machine !== undefined ? MACHINES.get(machine) : undefined;
    const scope = graph.searchList.filter((o) => o.kind !== "missing").map(mapOf);
    const binder = new Binder(scope);
    const order = initfiniOrder(graph);
    const ifuncLookup: IfuncLookup | undefined =
      options.run && vdso && machine === EM_X86_64
        ? (found, name) => {
            const target = VDSO_IFUNCS.get(name);
            if (
              !target ||
              (found.sym.st_info & 0xf) !== STT_GNU_IFUNC ||
              !found.map.name.endsWith("/libc.so.6")
            )
              return undefined;
            return {
              from: vdso.path,
              to: vdso.path,
              symbol: target,
              version: "LINUX_2.6",
              protected: false,
              relocType: 0,
              relocations: 0,
              internal: true,
            };
          }
        : undefined;
    for (let i = order.length - 1; i >= 0; i--) {
      const o = order[i]!;
      if (o.kind === "interpreter" || (options.programOnly && o !== graph.main)) continue;
      const m = mapOf(o);
      result.order.push(m.name);
      if (!relocs || !m.file) continue;
      relocateMap(m, binder, relocs, result, ifuncLookup);
    }
    const rtld = graph.objects.find((o) => o.kind === "interpreter");
    const rtldNeeded = rtld !== undefined && graph.objects.some((o) => o.deps.some((d) => d.object === rtld));
    const libcVersion = machine !== undefined ? LIBC_FIRST_VERSION.get(machine) : undefined;
    if (
      options.run &&
      !options.programOnly &&
      rtldNeeded &&
      relocs &&
      libcVersion &&
      result.problems.length === 0
    ) {
      const main = mapOf(graph.main);
      const version = { name: libcVersion, hash: elfHash(libcVersion), hidden: false, filename: undefined };
      for (const symbol of ["calloc", "free", "malloc", "realloc"]) {
        const found = binder.lookupName(symbol, version);
        if (!found) continue; // ld.so asserts here; a program without libc's malloc never gets this far
        result.bindings.push({
          from: main.name,
          to: found.map.name,
          symbol,
          version: libcVersion,
          protected: false,
          relocType: 0,
          relocations: 0,
          internal: true,
        });
      }
      const self = mapOf(rtld);
      if (self.file) relocateMap(self, binder, relocs, result, ifuncLookup);
    }
    return result;
  } finally {
    for (const s of opened) s.close?.();
  }
}

/**
 * libc's IFUNC resolvers that look a vDSO symbol up (dl_vdso_vsym) on x86: each relocation bound to
 * one of these runs its resolver in a real start-up, and the resolver's lookup prints a binding line.
 * (A trace skips IFUNC resolvers.)
 */
const VDSO_IFUNCS = new Map([
  ["time", "__vdso_time"],
  ["gettimeofday", "__vdso_gettimeofday"],
]);

/** The resolver's own lookup for a binding to `found`, when that runs one (see VDSO_IFUNCS). */
type IfuncLookup = (found: Found, name: string) => Binding | undefined;

function relocateMap(
  m: MapData,
  binder: Binder,
  relocs: MachineRelocs,
  result: BindResult,
  ifuncLookup?: IfuncLookup,
): void {
  let ranges: Relocation[][];
  try {
    ranges = relocationRanges(m.file!);
  } catch (e) {
    if (!isElfError(e)) throw e;
    return;
  }
  let cacheSym = -1;
  let cacheClass = -1;
  let last: Binding | undefined;
  let lastResolver: Binding | undefined;
  for (const range of ranges) {
    for (const r of range) {
      if (relocs.noLookup.has(r.r_type)) continue;
      const ref = symbolAt(m, r.r_sym);
      if (!ref || ref.st_info >> 4 === STB_LOCAL || bindsLocal(ref)) continue;
      const tc = (relocs.plt.has(r.r_type) ? CLASS_PLT : 0) | (r.r_type === relocs.copy ? CLASS_COPY : 0);
      if (r.r_sym === cacheSym && tc === cacheClass) {
        if (last) last.relocations++;
        // The lookup is cached (l_lookup_cache), but each relocation calls the IFUNC resolver again.
        if (lastResolver) result.bindings.push({ ...lastResolver });
        continue;
      }
      cacheSym = r.r_sym;
      cacheClass = tc;
      last = undefined;
      lastResolver = undefined;
      let version: FoundVersion | undefined;
      if (m.versym && m.versions) {
        const v = m.versions[(m.versym[r.r_sym] ?? 0) & 0x7fff];
        if (v && v.hash !== 0) version = v;
      }
      const name = ref.name ?? "";
      const { found, protected: prot } = binder.lookup(name, m, ref, version, tc);
      if (!found) {
        if (ref.st_info >> 4 === STB_WEAK) {
          result.weakUnresolved.push({ from: m.name, symbol: name, version: version?.name });
        } else {
          const v = version ? `, version ${version.name}` : "";
          const text = `undefined symbol: ${name}${v}`;
          result.problems.push({
            kind: "undefined",
            message: `${text}\t(${m.name})`,
            debug: { object: m.name, category: "symbol lookup error", text, at: result.bindings.length },
          });
        }
        continue;
      }
      last = {
        from: m.name,
        to: found.map.name,
        symbol: name,
        version: version?.name,
        protected: prot,
        relocType: r.r_type,
        relocations: 1,
        internal: false,
        value: found.sym.st_value,
      };
      result.bindings.push(last);
      lastResolver = ifuncLookup?.(found, name);
      if (lastResolver) result.bindings.push({ ...lastResolver });
    }
  }
}

/** _dl_check_all_versions in trace mode, verbose (elf/dl-version.c), over the chain in order. */
function checkVersions(graph: LinkGraph, mapOf: (o: LinkedObject) => MapData, result: BindResult): void {
  const prog = graph.file;
  const findNeeded = (name: string): LinkedObject | undefined =>
    graph.objects.find((o) => o.path === name || o.names.has(name) || o.soname === name) ??
    graph.searchList.find((o) => o.path === name || o.names.has(name) || o.soname === name);
  for (const o of graph.objects) {
    if (o.kind === "missing" || o.kind === "vdso") continue;
    const m = mapOf(o);
    if (!m.file || !m.index) continue;
    const str = (x: number) => m.index!.strings.get(x);
    let needs: ReturnType<typeof verneeds> extends Generator<infer T> ? T[] : never;
    try {
      needs = [...verneeds(m.file, str)];
    } catch (e) {
      if (!isElfError(e)) throw e;
      continue;
    }
    for (const vn of needs) {
      const needed = findNeeded(vn.file);
      if (!needed || needed.kind === "missing" || needed.kind === "vdso") continue;
      const nm = mapOf(needed);
      if (!nm.file || !nm.index) continue;
      const defs = [...verdefs(nm.file, (x) => nm.index!.strings.get(x))];
      for (const a of vn.aux) {
        let msg: string | undefined;
        if (dynOffset(nm.file, DT_VERDEF) === undefined) {
          msg = `no version information available (required by ${m.name})`;
        } else if (!defs.some((d) => d.hash === a.hash && d.name === a.name)) {
          msg =
            a.flags & VER_FLG_WEAK
              ? `weak version \`${a.name}' not found (required by ${m.name})`
              : `version \`${a.name}' not found (required by ${m.name})`;
        }
        if (msg) {
          result.problems.push({
            kind: "version",
            message: `${prog}: ${nm.name}: ${msg}`,
            debug: {
              object: nm.name,
              category: "version lookup error",
              text: msg,
              at: result.bindings.length,
            },
          });
        }
      }
    }
  }
}
