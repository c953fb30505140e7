import {
  EM_386,
  EM_AARCH64,
  EM_X86_64,
  GNU_PROPERTY_AARCH64_FEATURE_1_AND,
  GNU_PROPERTY_X86_FEATURE_1_AND,
  NT_GNU_BUILD_ID,
  NT_GNU_PROPERTY_TYPE_0,
  PT_NOTE,
  SHT_NOTE,
} from "./constants.js";
import { DataReader } from "./data-reader.js";
import { ElfError, ElfErrorCode } from "./errors.js";
import type { ElfFile } from "./file.js";
import type { SectionHeader } from "./section.js";
import type { ProgramHeader } from "./segment.js";
import { latin1 } from "./strings.js";

/**
 * ELF notes (gABI "Note Section"): Elf_Nhdr {n_namesz, n_descsz, n_type} then the name and the
 * descriptor, each padded to the note alignment. Linux writes 4-byte aligned notes even in 64-bit
 * files; .note.gnu.property in 64-bit files is 8-byte aligned (sh_addralign / p_align say which).
 */
export interface ElfNote {
  n_namesz: number;
  n_descsz: number;
  n_type: number;
  /** The owner name as a byte string, up to its first NUL (readelf's view of namedata). */
  name: string;
  /** The raw n_namesz bytes of the name field (NULs included). */
  nameBytes: Uint8Array;
  desc: Uint8Array;
  /** Offset of the note header inside its container. */
  offset: number;
  /** Offset of the descriptor inside its container. */
  descOffset: number;
}

/** Why note iteration stopped before the end of the container (readelf's process_notes_at warnings). */
export type NoteProblem =
  | { kind: "short"; remaining: number }
  | {
      kind: "bad-sizes";
      offset: number;
      n_type: number;
      n_namesz: number;
      n_descsz: number;
      align: number;
    };

export interface NoteList {
  notes: ElfNote[];
  problem?: NoteProblem;
}

/** The 4-or-8 alignment readelf uses: below 4 means 4; anything else but 4 or 8 is undefined. */
export function noteAlignment(align: bigint): 4 | 8 | undefined {
  if (align < 4n) return 4;
  if (align === 4n) return 4;
  if (align === 8n) return 8;
  return undefined;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Splits a note container (section or segment contents) into notes. Stops, recording the problem,
 * at the first note whose sizes run past the end, as readelf.c's process_notes_at does.
 */
export function parseNotes(bytes: Uint8Array, littleEndian: boolean, align: 4 | 8, base = 0): NoteList {
  const r = new DataReader(bytes, littleEndian, base, "notes");
  const notes: ElfNote[] = [];
  const end = bytes.length;
  let at = 0;
  while (at < end) {
    const remaining = end - at;
    if (remaining < 12) return { notes, problem: { kind: "short", remaining } };
    const n_namesz = r.u32(at);
    const n_descsz = r.u32(at + 4);
    const n_type = r.u32(at + 8);
    const nameAt = at + 12;
    const descAt = alignUp(nameAt + n_namesz, align);
    const next = alignUp(descAt + n_descsz, align);
    const afterHeader = remaining - 12;
    if (descAt - nameAt > afterHeader || next - descAt > afterHeader - (descAt - nameAt)) {
      return {
        notes,
        problem: { kind: "bad-sizes", offset: at, n_type, n_namesz, n_descsz, align },
      };
    }
    let name = "";
    if (n_namesz > 0) {
      let stop = bytes.indexOf(0, nameAt);
      if (stop < 0 || stop > nameAt + n_namesz) stop = nameAt + n_namesz;
      name = latin1(bytes, nameAt, stop);
    }
    notes.push({
      n_namesz,
      n_descsz,
      n_type,
      name,
      nameBytes: bytes.subarray(nameAt, nameAt + n_namesz),
      desc: bytes.subarray(descAt, descAt + n_descsz),
      offset: at,
      descOffset: descAt,
    });
    at = next;
  }
  return { notes };
}

/** Where notes live: SHT_NOTE sections, or PT_NOTE segments when the file has no note sections. */
export interface NoteContainer {
  section?: SectionHeader;
  segment?: ProgramHeader;
  offset: bigint;
  size: bigint;
  /** sh_addralign or p_align as stored. */
  align: bigint;
}

export function noteSections(file: ElfFile): NoteContainer[] {
  return file.sectionHeaders
    .filter((sh) => sh.sh_type === SHT_NOTE)
    .map((sh) => ({ section: sh, offset: sh.sh_offset, size: sh.sh_size, align: sh.sh_addralign }));
}

export function noteSegments(file: ElfFile): NoteContainer[] {
  return file.programHeaders
    .filter((ph) => ph.p_type === PT_NOTE)
    .map((ph) => ({ segment: ph, offset: ph.p_offset, size: ph.p_filesz, align: ph.p_align }));
}

/** Notes of one container, read from the file (bounds-checked). */
export function containerNotes(file: ElfFile, c: NoteContainer): NoteList {
  const align = noteAlignment(c.align);
  const where = c.section ? file.describeSection(c.section) : `PT_NOTE segment [${c.segment?.index}]`;
  if (align === undefined) {
    throw new ElfError(ElfErrorCode.BadValue, where, c.offset, `note alignment ${c.align} is not 4 or 8`);
  }
  if (c.size === 0n) return { notes: [] };
  const bytes = file.read(c.offset, c.size, where);
  return parseNotes(bytes, file.littleEndian, align, Number(c.offset));
}

/** Every readable note of the file: from note sections, else from PT_NOTE segments. Broken containers are skipped. */
export function readNotes(file: ElfFile): ElfNote[] {
  let containers: NoteContainer[] = [];
  try {
    containers = noteSections(file);
  } catch {
    containers = [];
  }
  if (containers.length === 0) containers = noteSegments(file);
  const out: ElfNote[] = [];
  for (const c of containers) {
    try {
      out.push(...containerNotes(file, c).notes);
    } catch {
      // A broken container (bad alignment, runs past the end) contributes nothing.
    }
  }
  return out;
}

// --- typed decoders ------------------------------------------------------------------------------

const hex2 = (b: number): string => (b < 16 ? "0" : "") + b.toString(16);

export function hexBytes(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += hex2(bytes[i]!);
  return s;
}

/** NT_GNU_BUILD_ID as lowercase hex, or undefined. */
export function gnuBuildId(file: ElfFile): string | undefined {
  const note = readNotes(file).find((n) => n.name === "GNU" && n.n_type === NT_GNU_BUILD_ID);
  return note ? hexBytes(note.desc) : undefined;
}

export interface GnuAbiTag {
  os: number;
  major: number;
  minor: number;
  subminor: number;
}

/** NT_GNU_ABI_TAG descriptor: four words (OS, major, minor, subminor); undefined when too short. */
export function parseAbiTag(desc: Uint8Array, littleEndian: boolean): GnuAbiTag | undefined {
  if (desc.length < 16) return undefined;
  const r = new DataReader(desc, littleEndian, 0, "NT_GNU_ABI_TAG");
  return { os: r.u32(0), major: r.u32(4), minor: r.u32(8), subminor: r.u32(12) };
}

/** One GNU property (pr_type, pr_datasz, data) of an NT_GNU_PROPERTY_TYPE_0 note. */
export interface GnuProperty {
  pr_type: number;
  pr_datasz: number;
  data: Uint8Array;
}

export interface GnuPropertyList {
  properties: GnuProperty[];
  /** Set when the descriptor is malformed; properties hold what was read before. */
  corrupt?:
    | { kind: "size" } // descsz < 8 or not a multiple of the word size
    | { kind: "short" } // fewer than 8 bytes left for a property header
    | { kind: "datasz"; pr_type: number; pr_datasz: number };
}

/** Properties of an NT_GNU_PROPERTY_TYPE_0 descriptor; each is padded to the class word size. */
export function parseGnuProperties(desc: Uint8Array, littleEndian: boolean, is64: boolean): GnuPropertyList {
  const size = is64 ? 8 : 4;
  const properties: GnuProperty[] = [];
  if (desc.length < 8 || desc.length % size !== 0) return { properties, corrupt: { kind: "size" } };
  const r = new DataReader(desc, littleEndian, 0, "NT_GNU_PROPERTY_TYPE_0");
  let at = 0;
  while (at < desc.length) {
    if (desc.length - at < 8) return { properties, corrupt: { kind: "short" } };
    const pr_type = r.u32(at);
    const pr_datasz = r.u32(at + 4);
    at += 8;
    if (pr_datasz > desc.length - at) return { properties, corrupt: { kind: "datasz", pr_type, pr_datasz } };
    properties.push({ pr_type, pr_datasz, data: desc.subarray(at, at + pr_datasz) });
    at += alignUp(pr_datasz, size);
  }
  return { properties };
}

/** What a hardening check wants from .note.gnu.property. */
export interface GnuPropertySummary {
  /** GNU_PROPERTY_X86_FEATURE_1_AND bits, if present (x86 files only). */
  x86Feature1?: number;
  ibt: boolean;
  shstk: boolean;
  /** GNU_PROPERTY_X86_ISA_1_NEEDED bits (bit 0 baseline, 1 v2, 2 v3, 3 v4). */
  x86IsaNeeded?: number;
  /** GNU_PROPERTY_AARCH64_FEATURE_1_AND bits, if present (AArch64 files only). */
  aarch64Feature1?: number;
  bti: boolean;
  pac: boolean;
  stackSize?: bigint;
  noCopyOnProtected: boolean;
}

const GNU_PROPERTY_STACK_SIZE = 1;
const GNU_PROPERTY_NO_COPY_ON_PROTECTED = 2;
const GNU_PROPERTY_X86_ISA_1_NEEDED = 0xc0008002;

/** The GNU properties of a file, from its NT_GNU_PROPERTY_TYPE_0 notes (note header parsed first). */
export function gnuProperties(file: ElfFile): GnuPropertySummary {
  const out: GnuPropertySummary = {
    ibt: false,
    shstk: false,
    bti: false,
    pac: false,
    noCopyOnProtected: false,
  };
  const machine = file.header.e_machine;
  const x86 = machine === EM_X86_64 || machine === EM_386 || machine === 6; /* EM_IAMCU */
  for (const note of readNotes(file)) {
    if (note.name !== "GNU" || note.n_type !== NT_GNU_PROPERTY_TYPE_0) continue;
    const { properties } = parseGnuProperties(note.desc, file.littleEndian, file.is64);
    for (const p of properties) {
      const r = new DataReader(p.data, file.littleEndian, 0, "GNU property");
      const u32 = p.pr_datasz === 4 ? r.u32(0) : undefined;
      if (x86 && p.pr_type === GNU_PROPERTY_X86_FEATURE_1_AND && u32 !== undefined) {
        out.x86Feature1 = u32;
        out.ibt = (u32 & 1) !== 0;
        out.shstk = (u32 & 2) !== 0;
      } else if (x86 && p.pr_type === GNU_PROPERTY_X86_ISA_1_NEEDED && u32 !== undefined) {
        out.x86IsaNeeded = u32;
      } else if (
        machine === EM_AARCH64 &&
        p.pr_type === GNU_PROPERTY_AARCH64_FEATURE_1_AND &&
        u32 !== undefined
      ) {
        out.aarch64Feature1 = u32;
        out.bti = (u32 & 1) !== 0;
        out.pac = (u32 & 2) !== 0;
      } else if (p.pr_type === GNU_PROPERTY_STACK_SIZE && p.pr_datasz === (file.is64 ? 8 : 4)) {
        out.stackSize = r.word(0, file.is64);
      } else if (p.pr_type === GNU_PROPERTY_NO_COPY_ON_PROTECTED) {
        out.noCopyOnProtected = true;
      }
    }
  }
  return out;
}

/** A SystemTap SDT probe (NT_STAPSDT, owner "stapsdt"). */
export interface StapsdtProbe {
  pc: bigint;
  base: bigint;
  semaphore: bigint;
  provider: string;
  name: string;
  args: string;
  /** True when the three strings end exactly at the end of the descriptor. */
  exact: boolean;
}

/** Decodes an NT_STAPSDT descriptor: three addresses, then provider, name and argument strings. */
export function parseStapsdt(
  desc: Uint8Array,
  littleEndian: boolean,
  is64: boolean,
): StapsdtProbe | undefined {
  const size = is64 ? 8 : 4;
  if (desc.length < size * 3) return undefined;
  const r = new DataReader(desc, littleEndian, 0, "NT_STAPSDT");
  const pc = r.word(0, is64);
  const base = r.word(size, is64);
  const semaphore = r.word(size * 2, is64);
  let at = size * 3;
  const strs: string[] = [];
  for (let i = 0; i < 3; i++) {
    if (at >= desc.length) return undefined;
    const nul = desc.indexOf(0, at);
    if (nul < 0) return undefined;
    strs.push(latin1(desc, at, nul));
    at = nul + 1;
  }
  return {
    pc,
    base,
    semaphore,
    provider: strs[0]!,
    name: strs[1]!,
    args: strs[2]!,
    exact: at === desc.length,
  };
}

/** One mapping of a core file's NT_FILE note. */
export interface NtFileEntry {
  start: bigint;
  end: bigint;
  fileOffset: bigint;
  name: string;
}

export interface NtFile {
  pageSize: bigint;
  entries: NtFileEntry[];
}

/**
 * NT_FILE (Linux core files): count, page size, count x {start, end, page offset}, then count
 * NUL-terminated names. Words are the class size. Throws ElfError when malformed.
 */
export function parseNtFile(desc: Uint8Array, littleEndian: boolean, is64: boolean): NtFile {
  const size = is64 ? 8 : 4;
  const fail = (msg: string): never => {
    throw new ElfError(ElfErrorCode.BadValue, "NT_FILE note", undefined, msg);
  };
  if (desc.length < 2 * size) fail("too short for header");
  if (desc[desc.length - 1] !== 0) fail("does not end with \\0");
  const r = new DataReader(desc, littleEndian, 0, "NT_FILE note");
  const count = r.word(0, is64);
  const pageSize = r.word(size, is64);
  if (BigInt(desc.length) < BigInt(2 * size) + count * BigInt(3 * size))
    fail("too short for supplied file count");
  const n = Number(count);
  let names = 2 * size + n * 3 * size;
  const entries: NtFileEntry[] = [];
  for (let i = 0; i < n; i++) {
    if (names >= desc.length) fail("filenames end too early");
    const at = 2 * size + i * 3 * size;
    const nul = desc.indexOf(0, names);
    entries.push({
      start: r.word(at, is64),
      end: r.word(at + size, is64),
      fileOffset: r.word(at + 2 * size, is64),
      name: latin1(desc, names, nul),
    });
    names = nul + 1;
  }
  return { pageSize, entries };
}
