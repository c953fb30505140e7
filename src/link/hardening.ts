import {
  DF_1_NOW,
  DF_1_PIE,
  DF_BIND_NOW,
  DT_BIND_NOW,
  DT_DEBUG,
  DT_FLAGS,
  DT_FLAGS_1,
  DT_RPATH,
  DT_RUNPATH,
  EM_386,
  EM_AARCH64,
  EM_X86_64,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  PF_X,
  PT_GNU_RELRO,
  PT_GNU_STACK,
  SHF_EXECINSTR,
  SHN_UNDEF,
  SHT_DYNSYM,
  SHT_SYMTAB,
} from "../elf/constants.js";
import { dynamicStrings, dynamicTable } from "../elf/dynamic.js";
import { describeElfError, isElfError } from "../elf/errors.js";
import { ElfFile } from "../elf/file.js";
import { gnuProperties } from "../elf/note.js";
import type { SectionHeader } from "../elf/section.js";
import { latin1 } from "../elf/strings.js";
import type { LinkedObject, LinkGraph, ObjectKind } from "./graph.js";
import type { LinkFs } from "./link-fs.js";

/**
 * The hardening of an ELF file, from its headers alone: what checksec 2.6 reports (filecheck() in the
 * checksec script), computed from the structures rather than from grepping readelf's text, plus CET
 * and a process-level verdict over every object the dynamic linker would load.
 */

/** "unknown": PT_GNU_RELRO is there but the dynamic table saying whether binding is immediate is not. */
export type Relro = "full" | "partial" | "none" | "unknown";
/** pie: ET_DYN marked DF_1_PIE or carrying DT_DEBUG; dso: other ET_DYN; exec: ET_EXEC; rel: ET_REL. */
/** "unknown": an ET_DYN whose dynamic table (DF_1_PIE, DT_DEBUG) cannot be read. */
export type PieKind = "pie" | "dso" | "exec" | "rel" | "other" | "unknown";

/** FORTIFY_SOURCE as the dynamic symbol table shows it, judged against one libc's `__X_chk` list. */
export interface FortifyInfo {
  /** Imported `__X_chk` functions (libc exports them), sorted, each once. */
  fortified: string[];
  /** Imported plain `X` functions for which that libc has a `__X_chk`. */
  unfortified: string[];
  /** The libc whose exports define what is fortifiable; undefined when none was found. */
  libc: string | undefined;
}

export interface CetInfo {
  /** "x86" and "aarch64" files can carry the feature bits; others have none to carry. */
  arch: "x86" | "aarch64" | undefined;
  /** GNU_PROPERTY_X86_FEATURE_1_AND or GNU_PROPERTY_AARCH64_FEATURE_1_AND, when present. */
  feature1: number | undefined;
  ibt: boolean;
  shstk: boolean;
  bti: boolean;
  pac: boolean;
}

/** The per-file facts. */
export interface ObjectHardening {
  path: string;
  e_type: number;
  e_machine: number;
  relro: Relro;
  /** Which markers request immediate binding: DT_BIND_NOW, DF_BIND_NOW (DT_FLAGS), DF_1_NOW (DT_FLAGS_1). */
  bindNow: string[];
  /** The stack protector symbol found (dynamic or static symbol table), if any. */
  canary: string | undefined;
  /** PT_GNU_STACK p_flags; undefined without one (ET_REL: from .note.GNU-stack, see `stack`). */
  stackFlags: number | undefined;
  /**
   * "nx": the stack is not executable; "exec": PF_X set (or .note.GNU-stack has SHF_EXECINSTR);
   * "missing": no PT_GNU_STACK, which the kernel (i386) and ld.so (DEFAULT_STACK_PERMS) take as executable.
   */
  stack: "nx" | "exec" | "missing";
  nx: boolean;
  pie: PieKind;
  rpath: string | undefined;
  runpath: string | undefined;
  /** Entries in the SHT_SYMTAB section(s) (sh_size / sh_entsize), undefined when stripped. */
  symbols: number | undefined;
  stripped: boolean;
  fortify: FortifyInfo;
  cet: CetInfo;
}

export interface ProcessHardening {
  file: string;
  /** Every object ld.so would map, in link_map order (main first); vDSO and missing ones left out. */
  objects: Array<{ kind: ObjectKind; name: string; path: string; hardening: ObjectHardening }>;
  /** Libraries that would not be found (the program would not start). */
  missing: string[];
  /** The process has IBT only if every object has it (x86); undefined when not x86. */
  ibt: boolean | undefined;
  shstk: boolean | undefined;
  /** BTI for the process (AArch64): every object must be marked; undefined when not AArch64. */
  bti: boolean | undefined;
  pac: boolean | undefined;
  /** Any object asking for an executable stack makes the whole process's stack executable (glibc). */
  execStack: boolean;
  /** For each feature the process lacks, the objects lacking it. */
  lacking: { ibt: string[]; shstk: string[]; bti: string[]; pac: string[]; nx: string[] };
}

const CANARY_NAMES = [
  "__stack_chk_fail",
  "__stack_chk_fail_local",
  "__stack_chk_guard",
  "__intel_security_cookie",
];

/**
 * The libc functions that have a checked variant, by every name a program can import them under:
 * `X` for each exported `__X_chk`, and each alias of `X` (another exported symbol at the same address,
 * such as `__stpcpy` for stpcpy or `_longjmp` for longjmp: the same unchecked code). Maps name -> X.
 */
export function fortifiableFunctions(libc: ElfFile): Map<string, string> {
  const out = new Map<string, string>();
  const bases = new Set<string>();
  for (const sh of libc.sectionsOfType(SHT_DYNSYM)) {
    for (const s of libc.symbols(sh)) {
      const n = s.name;
      if (s.st_shndx === SHN_UNDEF || s.st_info >> 4 === 0 || !n || n.length <= 6) continue;
      if (n.startsWith("__") && n.endsWith("_chk")) bases.add(n.slice(2, -4));
    }
    const byAddress = new Map<bigint, string>();
    const defined = libc
      .symbols(sh)
      .filter((s) => s.st_shndx !== SHN_UNDEF && s.st_info >> 4 !== 0 && s.name);
    for (const s of defined) if (bases.has(s.name!)) byAddress.set(s.st_value, s.name!);
    for (const b of bases) out.set(b, b);
    for (const s of defined) {
      const base = byAddress.get(s.st_value);
      if (base !== undefined && !s.name!.endsWith("_chk") && !out.has(s.name!)) out.set(s.name!, base);
    }
  }
  return out;
}

function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch (e) {
    if (isElfError(e)) return fallback;
    throw e;
  }
}

// windows-1252 in fact, but one UTF-16 unit per byte: offsets found in the text are byte offsets.
const decoder = new TextDecoder("latin1");

/** Byte positions in `text` (a decoded string table) where a canary name starts and ends (NUL or '@'). */
function canaryOffsets(text: string): Set<number> {
  const out = new Set<number>();
  for (const needle of CANARY_NAMES) {
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      const next = text.charCodeAt(at + needle.length);
      if (next === 0 || next === 0x40) out.add(at);
    }
  }
  return out;
}

interface TableScan {
  canary: string | undefined;
  /** Names of undefined (imported) symbols (a .symtab may append `@VERSION`; .dynsym never does). */
  imports: string[];
}

/**
 * One symbol table read without decoding every entry (an unstripped program has hundreds of thousands):
 * st_name and st_shndx are read in place; only imported names, and a name pointing at a canary
 * string, are decoded.
 */
function scanSymbols(file: ElfFile, sh: SectionHeader, wantImports: boolean): TableScan {
  const result: TableScan = { canary: undefined, imports: [] };
  if (sh.sh_link === 0) return result;
  const strtab = file.stringTable(sh.sh_link).bytes;
  const offsets = canaryOffsets(decoder.decode(strtab));
  if (offsets.size === 0 && !wantImports) return result;
  const entsize = file.is64 ? 24 : 16;
  const stride = sh.sh_entsize >= BigInt(entsize) ? Number(sh.sh_entsize) : entsize;
  const data = file.sectionData(sh);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = file.littleEndian;
  const shndxAt = file.is64 ? 6 : 14;
  const nameAt = (at: number): string => {
    let end = strtab.indexOf(0, at);
    if (end < 0) end = strtab.length;
    return latin1(strtab, at, end);
  };
  for (let at = 0; at + entsize <= data.length; at += stride) {
    const st_name = view.getUint32(at, le);
    if (st_name === 0 || st_name >= strtab.length) continue;
    if (result.canary === undefined && offsets.has(st_name)) result.canary = nameAt(st_name).split("@")[0];
    if (wantImports && view.getUint16(at + shndxAt, le) === SHN_UNDEF) result.imports.push(nameAt(st_name));
  }
  return result;
}

/** The checks of one file; `fortifiable` is the libc `X` set (see fortifiableFunctions). */
export function analyseObject(
  file: ElfFile,
  path: string,
  fortifiable: Map<string, string> | undefined,
  libc: string | undefined,
): ObjectHardening {
  const h = file.header;
  const phdrs = safely(() => file.programHeaders, []);
  const sections = safely(() => file.sectionHeaders, []);
  const dynamic = safely(() => dynamicTable(file)?.entries ?? [], undefined);
  const entries = dynamic ?? [];

  const bindNow: string[] = [];
  let debug = false;
  let flags1 = 0n;
  let rpathOff: bigint | undefined;
  let runpathOff: bigint | undefined;
  for (const e of entries) {
    if (e.d_tag === DT_BIND_NOW) bindNow.includes("DT_BIND_NOW") || bindNow.push("DT_BIND_NOW");
    else if (e.d_tag === DT_FLAGS && (e.d_val & DF_BIND_NOW) !== 0n) bindNow.push("DF_BIND_NOW");
    else if (e.d_tag === DT_FLAGS_1) {
      flags1 = e.d_val;
      if ((e.d_val & DF_1_NOW) !== 0n) bindNow.push("DF_1_NOW");
    } else if (e.d_tag === DT_DEBUG) debug = true;
    else if (e.d_tag === DT_RPATH && rpathOff === undefined) rpathOff = e.d_val;
    else if (e.d_tag === DT_RUNPATH && runpathOff === undefined) runpathOff = e.d_val;
  }
  let rpath: string | undefined;
  let runpath: string | undefined;
  if (rpathOff !== undefined || runpathOff !== undefined) {
    const strings = safely(() => dynamicStrings(file), undefined);
    // A tag whose string cannot be read still names a search path: report it as present but empty.
    if (rpathOff !== undefined) rpath = strings?.get(Number(rpathOff)) ?? "";
    if (runpathOff !== undefined) runpath = strings?.get(Number(runpathOff)) ?? "";
  }

  const hasRelro = phdrs.some((p) => p.p_type === PT_GNU_RELRO);
  const relro: Relro = !hasRelro
    ? "none"
    : bindNow.length > 0
      ? "full"
      : dynamic === undefined
        ? "unknown"
        : "partial";

  const stackPh = phdrs.find((p) => p.p_type === PT_GNU_STACK);
  let stack: ObjectHardening["stack"];
  if (stackPh) stack = (stackPh.p_flags & PF_X) !== 0 ? "exec" : "nx";
  else if (h.e_type === ET_REL) {
    // An object file states its need in .note.GNU-stack (the linker turns it into PT_GNU_STACK).
    const note = sections.find((s) => safely(() => file.sectionName(s), undefined) === ".note.GNU-stack");
    stack = !note ? "missing" : (note.sh_flags & SHF_EXECINSTR) !== 0n ? "exec" : "nx";
  } else stack = "missing";

  let pie: PieKind;
  if (h.e_type === ET_EXEC) pie = "exec";
  else if (h.e_type === ET_DYN)
    pie = (flags1 & DF_1_PIE) !== 0n || debug ? "pie" : dynamic === undefined ? "unknown" : "dso";
  else if (h.e_type === ET_REL) pie = "rel";
  else pie = "other";

  // Dynamic symbols: the canary reference and the FORTIFY imports; the symbol table: the canary.
  let canary: string | undefined;
  const fortified = new Set<string>();
  const unfortified = new Set<string>();
  let symbols: number | undefined;
  for (const sh of sections) {
    if (sh.sh_type === SHT_DYNSYM) {
      const scan = safely(() => scanSymbols(file, sh, fortifiable !== undefined), undefined);
      canary ??= scan?.canary;
      for (const n of scan?.imports ?? []) {
        if (n.startsWith("__") && n.endsWith("_chk") && fortifiable!.get(n.slice(2, -4)) === n.slice(2, -4)) {
          fortified.add(n);
        } else if (fortifiable!.has(n)) unfortified.add(n);
      }
    } else if (sh.sh_type === SHT_SYMTAB) {
      const ent = Number(sh.sh_entsize);
      symbols = (symbols ?? 0) + (ent > 0 ? Math.floor(Number(sh.sh_size) / ent) : 0);
      canary ??= safely(() => scanSymbols(file, sh, false).canary, undefined);
    }
  }

  const props = safely(() => gnuProperties(file), undefined);
  const m = h.e_machine;
  const arch = m === EM_X86_64 || m === EM_386 || m === 6 ? "x86" : m === EM_AARCH64 ? "aarch64" : undefined;
  const cet: CetInfo = {
    arch,
    feature1: arch === "x86" ? props?.x86Feature1 : arch === "aarch64" ? props?.aarch64Feature1 : undefined,
    ibt: props?.ibt ?? false,
    shstk: props?.shstk ?? false,
    bti: props?.bti ?? false,
    pac: props?.pac ?? false,
  };

  return {
    path,
    e_type: h.e_type,
    e_machine: m,
    relro,
    bindNow,
    canary,
    stackFlags: stackPh?.p_flags,
    stack,
    nx: stack === "nx",
    pie,
    rpath,
    runpath,
    symbols,
    stripped: symbols === undefined,
    fortify: {
      fortified: [...fortified].sort(),
      unfortified: [...unfortified].sort(),
      libc: fortifiable ? libc : undefined,
    },
    cet,
  };
}

/** How to open files and remember what was read; one per run, shared by every program checked. */
export class HardeningSession {
  private readonly fortifySets = new Map<string, Map<string, string> | undefined>();
  private readonly objects = new Map<string, ObjectHardening | string>();
  private readonly realpaths = new Map<string, string>();
  constructor(readonly fs: LinkFs) {}

  /** The identity of a path (symbolic links resolved), memoised: every program names the same libraries. */
  private real(path: string): string {
    let r = this.realpaths.get(path);
    if (r === undefined) {
      r = this.fs.realpath(path) ?? path;
      this.realpaths.set(path, r);
    }
    return r;
  }

  /** Runs `f` over the ELF file at `path`, closing it after; undefined when it cannot be opened. */
  withFile<T>(path: string, f: (file: ElfFile) => T): T | undefined {
    const src = this.fs.open(path);
    if (!src) return undefined;
    try {
      return f(ElfFile.open(src));
    } finally {
      src.close?.();
    }
  }

  /** The `X` set of the libc at `path` (memoised); undefined when it cannot be read. */
  fortifiableOf(path: string): Map<string, string> | undefined {
    const key = this.real(path);
    if (this.fortifySets.has(key)) return this.fortifySets.get(key);
    const set = safely(() => this.withFile(path, fortifiableFunctions), undefined);
    this.fortifySets.set(key, set);
    return set;
  }

  /**
   * The libc a program would load: the object answering to libc.so.* in its link graph (musl: the
   * interpreter, which is its libc); for static programs and programs whose libc is not found, the
   * libc.so.6 of the system directories of its profile, or of /usr/TRIPLET/lib, so imports can still be
   * judged against the right architecture's libc.
   */
  libcOf(graph: LinkGraph): string | undefined {
    for (const o of graph.objects) {
      if (o.kind === "missing" || o.kind === "vdso") continue;
      const names = [o.soname, ...o.names, o.path.slice(o.path.lastIndexOf("/") + 1)];
      if (names.some((n) => n !== undefined && /^libc\.so(\.\d+)?$/.test(n))) return o.path;
      if (graph.flavor === "musl" && o.kind === "interpreter") return o.path;
    }
    // Debian's cross toolchains keep a foreign libc in /usr/TRIPLET/lib (what qemu-user -L loads).
    const dirs = [...graph.profile.systemDirs, `/usr/${graph.profile.triplet}/lib`];
    for (const dir of dirs) {
      if (this.fs.exists(`${dir}/libc.so.6`)) return `${dir}/libc.so.6`;
    }
    return undefined;
  }

  /** One object's checks (memoised by real path); a string is the reason it could not be read. */
  object(path: string, libc: string | undefined): ObjectHardening | string {
    const key = `${this.real(path)}\0${libc ?? ""}`;
    const hit = this.objects.get(key);
    if (hit !== undefined) return hit.constructor === String ? hit : { ...(hit as ObjectHardening), path };
    let result: ObjectHardening | string;
    try {
      const set = libc ? this.fortifiableOf(libc) : undefined;
      result = this.withFile(path, (file) => analyseObject(file, path, set, libc)) ?? "cannot be opened";
    } catch (e) {
      if (!isElfError(e)) throw e;
      result = describeElfError(e);
    }
    this.objects.set(key, result);
    return result;
  }

  /** The process-level verdict: every loaded object's checks, then CET and stack over all of them. */
  process(graph: LinkGraph, main: ObjectHardening): ProcessHardening {
    const libc = main.fortify.libc;
    const objects: ProcessHardening["objects"] = [];
    const missing: string[] = [];
    const add = (o: LinkedObject): void => {
      if (o.kind === "vdso") return;
      if (o.kind === "missing") {
        missing.push(o.name);
        return;
      }
      const h = o.kind === "main" ? main : this.object(o.path, libc);
      if (typeof h === "string") {
        missing.push(o.name);
        return;
      }
      objects.push({ kind: o.kind, name: o.name, path: o.path, hardening: h });
    };
    for (const o of graph.objects) add(o);
    // ld.so is mapped whether or not a library names it (ldd lists it only when one does), and its
    // marks count like any object's.
    const interp = graph.interpreter;
    if (graph.dynamic && interp && !graph.objects.some((o) => o.kind === "interpreter")) {
      const h = this.object(interp, libc);
      if (typeof h === "string") missing.push(interp);
      else objects.push({ kind: "interpreter", name: interp, path: interp, hardening: h });
    }
    return processVerdict(graph.file, objects, missing);
  }
}

/** Combines objects' marks as the loaders do: a feature is on for the process only if every object has it. */
export function processVerdict(
  file: string,
  objects: ProcessHardening["objects"],
  missing: string[],
): ProcessHardening {
  const arch = objects[0]?.hardening.cet.arch;
  const lacking = {
    ibt: [] as string[],
    shstk: [] as string[],
    bti: [] as string[],
    pac: [] as string[],
    nx: [] as string[],
  };
  for (const o of objects) {
    const h = o.hardening;
    const name = o.kind === "main" ? o.path : o.name;
    if (!h.cet.ibt) lacking.ibt.push(name);
    if (!h.cet.shstk) lacking.shstk.push(name);
    if (!h.cet.bti) lacking.bti.push(name);
    if (!h.cet.pac) lacking.pac.push(name);
    if (!h.nx) lacking.nx.push(name);
  }
  const x86 = arch === "x86";
  const a64 = arch === "aarch64";
  return {
    file,
    objects,
    missing,
    ibt: x86 ? lacking.ibt.length === 0 : undefined,
    shstk: x86 ? lacking.shstk.length === 0 : undefined,
    bti: a64 ? lacking.bti.length === 0 : undefined,
    pac: a64 ? lacking.pac.length === 0 : undefined,
    execStack: lacking.nx.length > 0,
    lacking: {
      ibt: x86 ? lacking.ibt : [],
      shstk: x86 ? lacking.shstk : [],
      bti: a64 ? lacking.bti : [],
      pac: a64 ? lacking.pac : [],
      nx: lacking.nx,
    },
  };
}
