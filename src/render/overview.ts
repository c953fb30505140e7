import {
  DF_1_NOW,
  DF_1_PIE,
  DF_BIND_NOW,
  DF_TEXTREL,
  DT_BIND_NOW,
  DT_DEBUG,
  DT_TEXTREL,
  type DynamicInfo,
  dynamicInfo,
  type ElfFile,
  ET_CORE,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  isElfError,
  PF_R,
  PF_W,
  PF_X,
  type ProgramHeader,
  PT_GNU_RELRO,
  PT_GNU_STACK,
  PT_INTERP,
  PT_LOAD,
  PT_TLS,
  type SectionHeader,
  SHF_ALLOC,
  SHF_COMPRESSED,
  SHF_TLS,
  SHN_UNDEF,
  SHT_DYNSYM,
  SHT_NOBITS,
  SHT_SYMTAB,
  STB_LOCAL,
  STT_FILE,
  STT_FUNC,
  STT_GNU_IFUNC,
  STT_SECTION,
} from "../elf/index.js";
import { gnuBuildId, gnuProperties } from "../elf/note.js";
import type { FileKind } from "./file-kind.js";
import type { Output } from "./output.js";
import { dataEncodingName, elfClassName, machineName, osabiName } from "./readelf/names.js";
import { bfdSections, SEC_ALLOC, SEC_CODE, SEC_HAS_CONTENTS, SEC_READONLY } from "./size.js";

/**
 * `anatomy FILE`: the first look at an ELF file. buildOverview() gathers a plain model (each part read
 * on its own, so a broken table loses only its part and is listed in `problems`), renderOverview()
 * prints it on about one screen, and the CLI prints the model itself for --json.
 */

/** A 64-bit address or offset as "0x..." (JSON numbers would round above 2^53). */
export type HexString = `0x${string}`;
/** A byte count: a JSON number when below 2^53, else a hex string. */
export type ByteCount = number | HexString;

/** The JSON model printed by `anatomy FILE --json` (documented in the README, "Overview JSON"). */
export interface OverviewModel {
  /** The path as given. */
  file: string;
  /** File size in bytes. */
  fileSize: number;
  /** "elf" when the ELF header could be read, else "archive" or "unknown". */
  format: "elf" | "archive" | "unknown";
  identity?: OverviewIdentity;
  /** Dynamic linking; absent for a file without a dynamic section. */
  dynamic?: OverviewDynamic;
  /** NT_GNU_BUILD_ID as lowercase hex. */
  buildId?: string;
  /** PT_LOAD segments in file order, with the sections each holds. */
  segments: OverviewSegment[];
  /** Sections that no PT_LOAD maps (for a relocatable object: every section). */
  notLoaded: OverviewSection[];
  /** Text/data/bss as GNU size counts them (Berkeley format). */
  sizes?: { text: ByteCount; data: ByteCount; bss: ByteCount };
  symbols?: OverviewSymbols;
  facts: OverviewFacts;
  /** Archive members, for an `ar` archive; `kinds` counts the other members by what they are. */
  archive?: { members: number; elfMembers: number; kinds?: Record<string, number> };
  /** For a file that is not ELF (format "unknown"): what it is, told by its magic. */
  kind?: FileKind;
  /** Everything that could not be read: one entry per broken structure. */
  problems: OverviewProblem[];
}

export interface OverviewIdentity {
  class: "ELF32" | "ELF64" | string;
  endianness: "little" | "big" | string;
  /** e_machine as readelf names it ("Advanced Micro Devices X86-64"). */
  machine: string;
  e_machine: number;
  /** What the file is, decided from e_type, PT_INTERP and DF_1_PIE. */
  kind:
    | "relocatable"
    | "executable"
    | "static-executable"
    | "pie-executable"
    | "static-pie-executable"
    | "shared-object"
    | "core"
    | "unknown";
  /** One-line description of `kind` ("PIE executable, dynamically linked"). */
  description: string;
  e_type: number;
  osabi: string;
  abiVersion: number;
  entry: HexString;
  interpreter?: string;
}

export interface OverviewDynamic {
  soname?: string;
  needed: string[];
  rpath?: string;
  runpath?: string;
}

export interface OverviewSegment {
  /** Index in the program header table. */
  index: number;
  /** "r-x" style permissions from p_flags. */
  perms: string;
  vaddr: HexString;
  /** First address after the segment in memory (p_vaddr + p_memsz). */
  vaddrEnd: HexString;
  offset: HexString;
  fileSize: ByteCount;
  memSize: ByteCount;
  /** Section names in address order. */
  sections: string[];
  /** Bytes of zero-filled memory that take no file space (p_memsz - p_filesz), and the NOBITS sections there. */
  zeroFill: ByteCount;
  nobits: string[];
}

export interface OverviewSection {
  name: string;
  /** readelf's type name would need the machine; the raw sh_type is given. */
  sh_type: number;
  size: ByteCount;
  /** Why it is not loaded: "debug", "symbols", "strings", "relocations", "notes", "other". */
  role: string;
}

export interface OverviewSymbols {
  /** Entries in .symtab (without the null entry), or null when there is none (stripped). */
  symtab: number | null;
  /** Entries in .dynsym (without the null entry), or null when there is none. */
  dynsym: number | null;
  /** Defined functions (STT_FUNC / STT_GNU_IFUNC) in the table used (symtab, else dynsym). */
  definedFunctions: number;
  /** Undefined non-local symbols in the table used. */
  undefined: number;
  /** Undefined functions in .dynsym: what the program imports from its libraries. */
  importedFunctions: number;
  /** Defined global/weak symbols in .dynsym: what the object exports. */
  exported: number;
}

export interface OverviewFacts {
  stripped: boolean;
  /** No PT_INTERP and no dynamic section: the kernel runs it alone. */
  static: boolean;
  debugInfo: boolean;
  /** Names of SHF_COMPRESSED or .zdebug sections. */
  compressedDebug: string[];
  /** PT_GNU_STACK with PF_X, or no PT_GNU_STACK in an executable; null when not applicable. */
  executableStack: boolean | null;
  textrel: boolean;
  relro: "none" | "partial" | "full";
  bindNow: boolean;
  /** CET / BTI / PAC from .note.gnu.property. */
  ibt: boolean;
  shstk: boolean;
  bti: boolean;
  pac: boolean;
  /** A reference to __stack_chk_fail (stack protector). */
  stackProtector: boolean;
  /** Thread-local storage (PT_TLS). */
  tls: boolean;
}

export interface OverviewProblem {
  /** The structure that could not be read, in the spec's words. */
  structure: string;
  offset: HexString | null;
  message: string;
}

// ------------------------------------------------------------------------------------------------

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const hex = (n: bigint): HexString => `0x${n.toString(16)}`;
const count = (n: bigint): ByteCount => (n <= SAFE && n >= 0n ? Number(n) : hex(n));

export function emptyFacts(): OverviewFacts {
  return {
    stripped: false,
    static: false,
    debugInfo: false,
    compressedDebug: [],
    executableStack: null,
    textrel: false,
    relro: "none",
    bindNow: false,
    ibt: false,
    shstk: false,
    bti: false,
    pac: false,
    stackProtector: false,
    tls: false,
  };
}

/** Runs one part of the overview; an ElfError becomes a problem and the part is skipped. */
function attempt<T>(problems: OverviewProblem[], fn: () => T): T | undefined {
  const add = (p: OverviewProblem): void => {
    // The same broken table is met by several parts: report it once.
    if (
      !problems.some((q) => q.structure === p.structure && q.offset === p.offset && q.message === p.message)
    )
      problems.push(p);
  };
  try {
    return fn();
  } catch (e) {
    if (!isElfError(e)) {
      // GNU size would refuse the file: the sizes are left out; the broken table is reported where read.
      if (e instanceof Error && e.name === "BfdFormatError") return undefined;
      throw e;
    }
    add({
      structure: e.structure,
      offset: e.offset === undefined ? null : hex(BigInt(e.offset)),
      message: e.message,
    });
    return undefined;
  }
}

/** The model of one ELF file. Never throws ElfError: what cannot be read is listed in `problems`. */
export function buildOverview(elf: ElfFile, file: string): OverviewModel {
  const problems: OverviewProblem[] = [];
  const h = elf.header;
  const model: OverviewModel = {
    file,
    fileSize: elf.size,
    format: "elf",
    segments: [],
    notLoaded: [],
    facts: emptyFacts(),
    problems,
  };
  const phdrs = attempt(problems, () => elf.programHeaders) ?? [];
  const shdrs = attempt(problems, () => elf.sectionHeaders) ?? [];
  const name = (sh: SectionHeader): string => {
    try {
      return elf.sectionName(sh) ?? `[${sh.index}]`;
    } catch {
      return `[${sh.index}]`;
    }
  };
  const interpPh = phdrs.find((p) => p.p_type === PT_INTERP);
  const interpreter = interpPh
    ? attempt(problems, () => {
        const bytes = elf.read(interpPh.p_offset, interpPh.p_filesz, "PT_INTERP");
        let end = bytes.indexOf(0);
        if (end < 0) end = bytes.length;
        return String.fromCharCode(...bytes.subarray(0, Math.min(end, 4096)));
      })
    : undefined;
  const dyn: DynamicInfo | undefined = attempt(problems, () => dynamicInfo(elf));
  const flags1 = dyn?.flags1 ?? 0n;
  const flags = dyn?.flags ?? 0n;
  const hasDebugTag = dyn?.entries.some((e) => e.d_tag === DT_DEBUG) ?? false;

  // What the file is (readelf's is_pie looks only at DF_1_PIE; older linkers left DT_DEBUG as the hint).
  let kind: OverviewIdentity["kind"] = "unknown";
  let description = `e_type 0x${h.e_type.toString(16)}`;
  const linked = dyn ? "dynamically linked" : "statically linked";
  if (h.e_type === ET_REL) {
    kind = "relocatable";
    description = "relocatable object (input to the linker)";
  } else if (h.e_type === ET_EXEC) {
    kind = interpPh || dyn ? "executable" : "static-executable";
    description = `executable at a fixed address, ${linked}`;
  } else if (h.e_type === ET_DYN) {
    const pie = (flags1 & DF_1_PIE) !== 0n || (hasDebugTag && !!interpPh);
    if (pie && !interpPh) {
      kind = "static-pie-executable";
      description = "static-PIE executable (relocates itself, no interpreter)";
    } else if (pie) {
      kind = "pie-executable";
      description = "PIE executable (position-independent), dynamically linked";
    } else {
      kind = "shared-object";
      description = interpPh
        ? "shared object, also runnable (has an interpreter)"
        : "shared object (library)";
    }
  } else if (h.e_type === ET_CORE) {
    kind = "core";
    description = "core dump";
  }
  model.identity = {
    class: elfClassName(h.ei_class),
    endianness: h.ei_data === 1 ? "little" : h.ei_data === 2 ? "big" : dataEncodingName(h.ei_data),
    machine: machineName(h.e_machine),
    e_machine: h.e_machine,
    kind,
    description,
    e_type: h.e_type,
    osabi: osabiName(h.ei_osabi, h.e_machine),
    abiVersion: h.ei_abiversion,
    entry: hex(h.e_entry),
    ...(interpreter !== undefined ? { interpreter } : {}),
  };
  if (dyn) {
    model.dynamic = {
      ...(dyn.soname !== undefined ? { soname: dyn.soname } : {}),
      needed: dyn.needed,
      ...(dyn.rpath !== undefined ? { rpath: dyn.rpath } : {}),
      ...(dyn.runpath !== undefined ? { runpath: dyn.runpath } : {}),
    };
  }
  const buildId = attempt(problems, () => gnuBuildId(elf));
  if (buildId) model.buildId = buildId;

  // Sections into segments: a section belongs to a PT_LOAD when its bytes (or, for NOBITS, its
  // addresses) lie inside it; .tbss lives only in PT_TLS (readelf's ELF_SECTION_IN_SEGMENT).
  const loaded = new Set<number>();
  const loads = phdrs.filter((p) => p.p_type === PT_LOAD);
  for (const ph of loads) {
    const seg: OverviewSegment = {
      index: ph.index,
      perms: perms(ph),
      vaddr: hex(ph.p_vaddr),
      vaddrEnd: hex(ph.p_vaddr + ph.p_memsz),
      offset: hex(ph.p_offset),
      fileSize: count(ph.p_filesz),
      memSize: count(ph.p_memsz),
      sections: [],
      zeroFill: count(ph.p_memsz > ph.p_filesz ? ph.p_memsz - ph.p_filesz : 0n),
      nobits: [],
    };
    const inside = shdrs
      .filter((sh) => sh.index !== 0 && sectionInLoad(sh, ph))
      .sort((a, b) => (a.sh_addr < b.sh_addr ? -1 : a.sh_addr > b.sh_addr ? 1 : a.index - b.index));
    for (const sh of inside) {
      loaded.add(sh.index);
      seg.sections.push(name(sh));
      if (sh.sh_type === SHT_NOBITS) seg.nobits.push(name(sh));
    }
    model.segments.push(seg);
  }
  for (const sh of shdrs) {
    if (sh.index === 0 || loaded.has(sh.index)) continue;
    // In an executable, an alloc section outside every PT_LOAD is only .tbss (it lives in PT_TLS).
    if (loads.length > 0 && sh.sh_flags & SHF_ALLOC) continue;
    model.notLoaded.push({
      name: name(sh),
      sh_type: sh.sh_type,
      size: count(sh.sh_size),
      role: role(sh, name(sh)),
    });
  }

  const bfd = attempt(problems, () => bfdSections(elf));
  if (bfd) {
    let text = 0n;
    let data = 0n;
    let bss = 0n;
    for (const s of bfd) {
      if ((s.flags & SEC_ALLOC) === 0) continue;
      if (s.flags & (SEC_CODE | SEC_READONLY)) text += s.size;
      else if (s.flags & SEC_HAS_CONTENTS) data += s.size;
      else bss += s.size;
    }
    model.sizes = { text: count(text), data: count(data), bss: count(bss) };
  }

  model.symbols = attempt(problems, () => symbolCounts(elf, shdrs, model.facts));

  const f = model.facts;
  f.stripped = !shdrs.some((sh) => sh.sh_type === SHT_SYMTAB);
  // No interpreter: nothing but the kernel loads it (a static-PIE has a dynamic section, yet is static).
  f.static = h.e_type !== ET_REL && h.e_type !== ET_CORE && !interpPh;
  for (const sh of shdrs) {
    const n = name(sh);
    if (n.startsWith(".debug_info") || n.startsWith(".zdebug_info")) f.debugInfo = true;
    if (
      (n.startsWith(".debug") || n.startsWith(".zdebug")) &&
      (sh.sh_flags & SHF_COMPRESSED || n.startsWith(".zdebug"))
    )
      f.compressedDebug.push(n);
  }
  const stack = phdrs.find((p) => p.p_type === PT_GNU_STACK);
  if (stack) f.executableStack = (stack.p_flags & PF_X) !== 0;
  else if (h.e_type === ET_EXEC || h.e_type === ET_DYN) f.executableStack = true; // the kernel's default
  f.textrel = (dyn?.entries.some((e) => e.d_tag === DT_TEXTREL) ?? false) || (flags & DF_TEXTREL) !== 0n;
  f.bindNow =
    (dyn?.entries.some((e) => e.d_tag === DT_BIND_NOW) ?? false) ||
    (flags & DF_BIND_NOW) !== 0n ||
    (flags1 & DF_1_NOW) !== 0n;
  if (phdrs.some((p) => p.p_type === PT_GNU_RELRO)) f.relro = f.bindNow ? "full" : "partial";
  f.tls = phdrs.some((p) => p.p_type === PT_TLS);
  const props = attempt(problems, () => gnuProperties(elf));
  if (props) {
    f.ibt = props.ibt;
    f.shstk = props.shstk;
    f.bti = props.bti;
    f.pac = props.pac;
  }
  // Keys in the order of the OverviewModel interface, so --json reads top-down like the text.
  const { identity, dynamic, sizes, symbols } = model;
  return {
    file,
    fileSize: model.fileSize,
    format: "elf",
    ...(identity ? { identity } : {}),
    ...(dynamic ? { dynamic } : {}),
    ...(model.buildId ? { buildId: model.buildId } : {}),
    segments: model.segments,
    notLoaded: model.notLoaded,
    ...(sizes ? { sizes } : {}),
    ...(symbols ? { symbols } : {}),
    facts: model.facts,
    problems,
  };
}

function perms(ph: ProgramHeader): string {
  return (ph.p_flags & PF_R ? "r" : "-") + (ph.p_flags & PF_W ? "w" : "-") + (ph.p_flags & PF_X ? "x" : "-");
}

function sectionInLoad(sh: SectionHeader, ph: ProgramHeader): boolean {
  if ((sh.sh_flags & SHF_ALLOC) === 0n) return false;
  const nobits = sh.sh_type === SHT_NOBITS;
  if (nobits && sh.sh_flags & SHF_TLS) return false;
  if (sh.sh_addr < ph.p_vaddr || sh.sh_addr - ph.p_vaddr + (sh.sh_size > 0n ? sh.sh_size : 0n) > ph.p_memsz)
    return false;
  if (sh.sh_size === 0n && sh.sh_addr === ph.p_vaddr + ph.p_memsz && ph.p_memsz > 0n) return false;
  if (nobits) return true;
  return sh.sh_offset >= ph.p_offset && sh.sh_offset - ph.p_offset + sh.sh_size <= ph.p_filesz;
}

function role(sh: SectionHeader, name: string): string {
  if (
    name.startsWith(".debug") ||
    name.startsWith(".zdebug") ||
    name === ".gnu_debuglink" ||
    name === ".gnu_debugaltlink"
  )
    return "debug";
  if (sh.sh_type === SHT_SYMTAB || sh.sh_type === 18) return "symbols";
  if (sh.sh_type === 3) return "strings";
  if (sh.sh_type === 4 || sh.sh_type === 9 || sh.sh_type === 19) return "relocations";
  if (sh.sh_type === 7) return "notes";
  if (name === ".comment") return "comment";
  return "other";
}

function symbolCounts(elf: ElfFile, shdrs: SectionHeader[], facts: OverviewFacts): OverviewSymbols {
  const symtabSh = shdrs.find((sh) => sh.sh_type === SHT_SYMTAB);
  const dynsymSh = shdrs.find((sh) => sh.sh_type === SHT_DYNSYM);
  const symtab = symtabSh ? elf.symbols(symtabSh) : undefined;
  const dynsym = dynsymSh ? elf.symbols(dynsymSh) : undefined;
  const out: OverviewSymbols = {
    symtab: symtab ? Math.max(0, symtab.length - 1) : null,
    dynsym: dynsym ? Math.max(0, dynsym.length - 1) : null,
    definedFunctions: 0,
    undefined: 0,
    importedFunctions: 0,
    exported: 0,
  };
  const main = symtab ?? dynsym ?? [];
  for (let i = 1; i < main.length; i++) {
    const s = main[i]!;
    const type = s.st_info & 0xf;
    if (type === STT_SECTION || type === STT_FILE) continue;
    if (s.shndx === SHN_UNDEF) {
      if (s.st_info >> 4 !== STB_LOCAL) out.undefined++;
      if (s.name === "__stack_chk_fail") facts.stackProtector = true;
    } else if (type === STT_FUNC || type === STT_GNU_IFUNC) out.definedFunctions++;
  }
  if (dynsym) {
    for (let i = 1; i < dynsym.length; i++) {
      const s = dynsym[i]!;
      if (s.shndx === SHN_UNDEF) {
        if ((s.st_info & 0xf) === STT_FUNC) out.importedFunctions++;
        if (s.name === "__stack_chk_fail") facts.stackProtector = true;
      } else if (s.st_info >> 4 !== STB_LOCAL) out.exported++;
    }
  }
  return out;
}

/** The model of a file that is not ELF (or whose ELF header is unreadable). */
/** The overview of a file that is not ELF: only what its magic says. */
export function otherFileOverview(file: string, fileSize: number, kind: FileKind): OverviewModel {
  return {
    file,
    fileSize,
    format: "unknown",
    kind,
    segments: [],
    notLoaded: [],
    facts: emptyFacts(),
    problems: [],
  };
}

export function unreadableOverview(file: string, fileSize: number, error: unknown): OverviewModel {
  const problems: OverviewProblem[] = [];
  if (isElfError(error)) {
    problems.push({
      structure: error.structure,
      offset: error.offset === undefined ? null : hex(BigInt(error.offset)),
      message: error.message,
    });
  } else {
    problems.push({ structure: "file", offset: null, message: String(error) });
  }
  return { file, fileSize, format: "unknown", segments: [], notLoaded: [], facts: emptyFacts(), problems };
}

// --- text ----------------------------------------------------------------------------------------

const WIDTH = 100;

/** Words joined by spaces, wrapped to `width` columns, each continuation line indented by `indent`. */
function wrap(words: string[], first: number, indent: number, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = "";
  let col = first;
  for (const w of words) {
    if (line && col + 1 + w.length > width) {
      lines.push(line);
      line = "";
      col = indent;
    }
    line += line ? ` ${w}` : w;
    col += (line === w ? 0 : 1) + w.length;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * Keeps a long list of section names short: three or more names sharing a family prefix
 * (".debug_", ".gnu.warning.") become one "prefix* (N)" entry at the place of the first.
 */
function collapseNames(names: string[]): string[] {
  const family = (n: string): string | undefined => {
    const m = /^(\.debug_|\.zdebug_|\.rela?\.debug_|\.gnu\.warning\.|\.note\.|\.rela?\.)/.exec(n);
    return m?.[1];
  };
  const counts = new Map<string, number>();
  for (const n of names) {
    const f = family(n);
    if (f) counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  const out: string[] = [];
  const done = new Set<string>();
  for (const n of names) {
    const f = family(n);
    if (f && counts.get(f)! >= 3) {
      if (!done.has(f)) out.push(`${f}* (${counts.get(f)})`);
      done.add(f);
    } else out.push(n);
  }
  return out;
}

const num = (n: ByteCount): string => (typeof n === "number" ? String(n) : n);

/** Prints the model in plain aligned text (no colours), about one screen for a typical program. */
export function renderOverview(m: OverviewModel, out: Output): void {
  const lines: string[] = [];
  const field = (label: string, value: string): void => {
    lines.push(`${label.padEnd(13)}${value}`);
  };
  const words = (label: string, items: string[]): void => {
    const wrapped = wrap(items, 13, 13);
    lines.push(`${label.padEnd(13)}${wrapped[0]}`);
    for (const l of wrapped.slice(1)) lines.push(`${" ".repeat(13)}${l}`);
  };
  field("File", `${m.file} (${m.fileSize} bytes)`);
  if (m.format === "unknown") {
    field("Format", m.kind ? `not ELF: ${m.kind.description}` : "not an ELF file (nothing more to show)");
    if (m.kind?.next) field("Read it", m.kind.next);
  }
  if (m.archive) {
    const others = Object.entries(m.archive.kinds ?? {}).map(([k, n]) => `${n} ${k}`);
    field(
      "Format",
      `ar archive, ${m.archive.members} members (${m.archive.elfMembers} ELF${others.length ? `, ${others.join(", ")}` : ""})`,
    );
  }
  const id = m.identity;
  if (id) {
    field("Format", `${id.class}, ${id.endianness} endian, ${id.machine}, ${id.osabi}`);
    field("Type", id.description);
    if (id.interpreter !== undefined) field("Interpreter", id.interpreter);
    if (m.dynamic?.soname !== undefined) field("SONAME", m.dynamic.soname);
    if (m.dynamic && m.dynamic.needed.length > 0) words("Needs", m.dynamic.needed);
    if (m.dynamic?.rpath !== undefined) field("RPATH", m.dynamic.rpath);
    if (m.dynamic?.runpath !== undefined) field("RUNPATH", m.dynamic.runpath);
    if (id.kind !== "relocatable") field("Entry point", id.entry);
    if (m.buildId) field("Build ID", m.buildId);
  }
  if (m.sizes) {
    field(
      "Sizes",
      `text ${num(m.sizes.text)}, data ${num(m.sizes.data)}, bss ${num(m.sizes.bss)} (as size counts them)`,
    );
  }

  if (m.segments.length > 0) {
    lines.push("");
    lines.push("Loaded segments (PT_LOAD): how sections fall into memory");
    const ranges = m.segments.map((s) => `${s.vaddr}-${s.vaddrEnd}`);
    const rw = Math.max(13, ...ranges.map((r) => r.length));
    const fw = Math.max(9, ...m.segments.map((s) => num(s.fileSize).length));
    const mw = Math.max(8, ...m.segments.map((s) => num(s.memSize).length));
    const head = `  perm  ${"address range".padEnd(rw)}  ${"file size".padStart(fw)}  ${"mem size".padStart(mw)}  `;
    lines.push(`${head}sections`);
    for (let i = 0; i < m.segments.length; i++) {
      const s = m.segments[i]!;
      const prefix = `  ${s.perms}   ${ranges[i]!.padEnd(rw)}  ${num(s.fileSize).padStart(fw)}  ${num(s.memSize).padStart(mw)}  `;
      const secs = s.sections.map((n) => (s.nobits.includes(n) ? `${n}*` : n));
      const wrapped = wrap(secs.length ? secs : ["(no sections)"], prefix.length, prefix.length);
      lines.push(prefix + wrapped[0]);
      for (const l of wrapped.slice(1)) lines.push(" ".repeat(prefix.length) + l);
    }
    const zero = m.segments.filter((s) => s.zeroFill !== 0);
    if (zero.some((s) => s.nobits.length > 0)) {
      const parts = zero
        .map((s) => `${num(s.zeroFill)} bytes from ${hex(BigInt(s.vaddr) + BigInt(s.fileSize))}`)
        .join(", ");
      lines.push(`  * no file space: zero-filled memory (.bss) after the file bytes (${parts})`);
    }
  }
  if (m.notLoaded.length > 0) {
    lines.push("");
    let total = 0n;
    for (const s of m.notLoaded) total += BigInt(s.size);
    const label = m.segments.length > 0 ? "Not loaded" : "Sections";
    words(label, [
      ...collapseNames(m.notLoaded.map((s) => s.name)),
      `(${m.notLoaded.length} sections, ${total} bytes)`,
    ]);
  }

  lines.push("");
  const sym = m.symbols;
  if (sym) {
    const parts: string[] = [];
    parts.push(sym.symtab === null ? "no .symtab (stripped)" : `.symtab ${sym.symtab}`);
    if (sym.dynsym !== null) parts.push(`.dynsym ${sym.dynsym}`);
    parts.push(`${sym.definedFunctions} functions defined`);
    parts.push(`${sym.undefined} undefined`);
    if (sym.dynsym !== null)
      parts.push(`${sym.importedFunctions} functions imported, ${sym.exported} exported`);
    words(
      "Symbols",
      parts.map((p, i) => (i < parts.length - 1 ? `${p},` : p)),
    );
  }
  const f = m.facts;
  if (id) {
    const facts: string[] = [];
    facts.push(f.stripped ? "stripped" : "not stripped");
    if (f.static && id.kind !== "core") facts.push("static");
    facts.push(f.debugInfo ? "debug info" : "no debug info");
    if (f.compressedDebug.length > 0) facts.push(`compressed debug sections (${f.compressedDebug.length})`);
    if (f.tls) facts.push("thread-local storage");
    if (f.textrel) facts.push("TEXTREL (writes to code at load)");
    words(
      "Facts",
      facts.map((s, i) => (i < facts.length - 1 ? `${s},` : s)),
    );
    if (id.kind !== "relocatable" && id.kind !== "core") {
      const sec: string[] = [];
      sec.push(f.relro === "full" ? "full RELRO" : f.relro === "partial" ? "partial RELRO" : "no RELRO");
      sec.push(f.bindNow ? "BIND_NOW" : "lazy binding");
      if (f.executableStack !== null) sec.push(f.executableStack ? "EXECUTABLE STACK" : "NX stack");
      if (id.kind === "pie-executable" || id.kind === "static-pie-executable") sec.push("PIE");
      else if (id.kind === "executable" || id.kind === "static-executable") sec.push("no PIE");
      if (f.stackProtector) sec.push("stack protector");
      if (f.ibt || f.shstk) sec.push([f.ibt ? "IBT" : "", f.shstk ? "SHSTK" : ""].filter(Boolean).join("+"));
      if (f.bti || f.pac) sec.push([f.bti ? "BTI" : "", f.pac ? "PAC" : ""].filter(Boolean).join("+"));
      words(
        "Hardening",
        sec.map((s, i) => (i < sec.length - 1 ? `${s},` : s)),
      );
    }
  }
  out.write(`${lines.join("\n")}\n`);
}

/** One line per problem, naming the file, the structure and the offset. */
export function problemLines(m: OverviewModel): string[] {
  return m.problems.map(
    (p) => `${m.file}: ${p.structure}${p.offset ? ` at offset ${p.offset}` : ""}: ${p.message}`,
  );
}
