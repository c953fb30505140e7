import {
  type ElfFile,
  type ElfNote,
  type ElfSymbol,
  EM_386,
  EM_AARCH64,
  EM_X86_64,
  ET_CORE,
  ET_REL,
  type NoteContainer,
  noteAlignment,
  parseNotes,
  type SectionHeader,
  SHT_NOTE,
  SHT_SYMTAB,
  symBind,
  symType,
} from "../../elf/index.js";
import type { ReadelfContext } from "./context.js";
import { printableName } from "./printable.js";

// readelf.c names for the note types it knows (get_note_type, get_gnu_elf_note_type, ...).
const CORE_NOTE_TYPES: Record<number, string> = {
  6: "NT_AUXV (auxiliary vector)",
  1: "NT_PRSTATUS (prstatus structure)",
  2: "NT_FPREGSET (floating point registers)",
  3: "NT_PRPSINFO (prpsinfo structure)",
  4: "NT_TASKSTRUCT (task structure)",
  4278190080: "NT_GDB_TDESC (GDB XML target description)",
  1189489535: "NT_PRXFPREG (user_xfpregs structure)",
  256: "NT_PPC_VMX (ppc Altivec registers)",
  258: "NT_PPC_VSX (ppc VSX registers)",
  259: "NT_PPC_TAR (ppc TAR register)",
  260: "NT_PPC_PPR (ppc PPR register)",
  261: "NT_PPC_DSCR (ppc DSCR register)",
  262: "NT_PPC_EBB (ppc EBB registers)",
  263: "NT_PPC_PMU (ppc PMU registers)",
  264: "NT_PPC_TM_CGPR (ppc checkpointed GPR registers)",
  265: "NT_PPC_TM_CFPR (ppc checkpointed floating point registers)",
  266: "NT_PPC_TM_CVMX (ppc checkpointed Altivec registers)",
  267: "NT_PPC_TM_CVSX (ppc checkpointed VSX registers)",
  268: "NT_PPC_TM_SPR (ppc TM special purpose registers)",
  269: "NT_PPC_TM_CTAR (ppc checkpointed TAR register)",
  270: "NT_PPC_TM_CPPR (ppc checkpointed PPR register)",
  271: "NT_PPC_TM_CDSCR (ppc checkpointed DSCR register)",
  512: "NT_386_TLS (x86 TLS information)",
  513: "NT_386_IOPERM (x86 I/O permissions)",
  514: "NT_X86_XSTATE (x86 XSAVE extended state)",
  515: "NT_X86_CET (x86 CET state)",
  768: "NT_S390_HIGH_GPRS (s390 upper register halves)",
  769: "NT_S390_TIMER (s390 timer register)",
  770: "NT_S390_TODCMP (s390 TOD comparator register)",
  771: "NT_S390_TODPREG (s390 TOD programmable register)",
  772: "NT_S390_CTRS (s390 control registers)",
  773: "NT_S390_PREFIX (s390 prefix register)",
  774: "NT_S390_LAST_BREAK (s390 last breaking event address)",
  775: "NT_S390_SYSTEM_CALL (s390 system call restart data)",
  776: "NT_S390_TDB (s390 transaction diagnostic block)",
  777: "NT_S390_VXRS_LOW (s390 vector registers 0-15 upper half)",
  778: "NT_S390_VXRS_HIGH (s390 vector registers 16-31)",
  779: "NT_S390_GS_CB (s390 guarded-storage registers)",
  780: "NT_S390_GS_BC (s390 guarded-storage broadcast control)",
  1024: "NT_ARM_VFP (arm VFP registers)",
  1025: "NT_ARM_TLS (AArch TLS registers)",
  1026: "NT_ARM_HW_BREAK (AArch hardware breakpoint registers)",
  1027: "NT_ARM_HW_WATCH (AArch hardware watchpoint registers)",
  1028: "NT_ARM_SYSTEM_CALL (AArch system call number)",
  1029: "NT_ARM_SVE (AArch SVE registers)",
  1030: "NT_ARM_PAC_MASK (AArch pointer authentication code masks)",
  1031: "NT_ARM_PACA_KEYS (ARM pointer authentication address keys)",
  1032: "NT_ARM_PACG_KEYS (ARM pointer authentication generic keys)",
  1033: "NT_ARM_TAGGED_ADDR_CTRL (AArch tagged address control)",
  1034: "NT_ARM_PAC_ENABLED_KEYS (AArch64 pointer authentication enabled keys)",
  1536: "NT_ARC_V2 (ARC HS accumulator/extra registers)",
  2304: "NT_RISCV_CSR (RISC-V control and status registers)",
  10: "NT_PSTATUS (pstatus structure)",
  12: "NT_FPREGS (floating point registers)",
  13: "NT_PSINFO (psinfo structure)",
  16: "NT_LWPSTATUS (lwpstatus_t structure)",
  17: "NT_LWPSINFO (lwpsinfo_t structure)",
  18: "NT_WIN32PSTATUS (win32_pstatus structure)",
  1397311305: "NT_SIGINFO (siginfo_t data)",
  1179208773: "NT_FILE (mapped files)",
};

const NT_FILE = 0x46494c45;
const NT_GNU_BUILD_ATTRIBUTE_OPEN = 0x100;
const NT_GNU_BUILD_ATTRIBUTE_FUNC = 0x101;
const FDO_PACKAGING_METADATA = 0xcafe1a7e;

const OTHER_NOTE_TYPES: Record<number, string> = {
  1: "NT_VERSION (version)",
  2: "NT_ARCH (architecture)",
  [NT_GNU_BUILD_ATTRIBUTE_OPEN]: "OPEN",
  [NT_GNU_BUILD_ATTRIBUTE_FUNC]: "func",
  4: "GO BUILDID",
  [FDO_PACKAGING_METADATA]: "FDO_PACKAGING_METADATA",
};

const GNU_NOTE_TYPES: Record<number, string> = {
  1: "NT_GNU_ABI_TAG (ABI version tag)",
  2: "NT_GNU_HWCAP (DSO-supplied software HWCAP info)",
  3: "NT_GNU_BUILD_ID (unique build ID bitstring)",
  4: "NT_GNU_GOLD_VERSION (gold version)",
  5: "NT_GNU_PROPERTY_TYPE_0",
  [NT_GNU_BUILD_ATTRIBUTE_OPEN]: "NT_GNU_BUILD_ATTRIBUTE_OPEN",
  [NT_GNU_BUILD_ATTRIBUTE_FUNC]: "NT_GNU_BUILD_ATTRIBUTE_FUNC",
};

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
const hex2 = (n: number): string => (n < 16 ? "0" : "") + n.toString(16);
/** printf("%#x"): 0 prints without the prefix. */
const altHex = (n: number | bigint): string => (n === 0 || n === 0n ? "0" : `0x${n.toString(16)}`);
const unknownType = (t: number): string => `Unknown note type: (0x${hex8(t)})`;

/** One run of readelf -n over a file: the per-run state print_gnu_build_attribute_description keeps. */
interface NoteRun {
  ctx: ReadelfContext;
  file: ElfFile;
  wide: boolean;
  out: string[];
  ok: boolean;
  globalOffset: bigint;
  globalEnd: bigint;
  funcOffset: bigint;
  funcEnd: bigint;
  symbols?: { syms: ElfSymbol[] } | null;
}

/** readelf -n: readelf.c process_notes. */
export function printNotes(ctx: ReadelfContext): void {
  const { file } = ctx;
  const run: NoteRun = {
    ctx,
    file,
    wide: ctx.opts.wide,
    out: [],
    ok: true,
    globalOffset: 0n,
    globalEnd: 0n,
    funcOffset: 0n,
    funcEnd: 0n,
  };
  try {
    if (file.header.e_type !== ET_CORE) {
      let n = 0;
      for (const sh of file.sectionHeaders) {
        if (sh.sh_type !== SHT_NOTE) continue;
        n++;
        notesAt(run, {
          section: sh,
          offset: sh.sh_offset,
          size: sh.sh_size,
          align: sh.sh_addralign,
        });
      }
      if (n === 0) noteSegmentsOf(run);
    } else if (file.header.e_phnum > 0) {
      noteSegmentsOf(run);
    } else {
      run.out.push("No notes found file.\n");
    }
  } finally {
    flush(run);
  }
}

function flush(run: NoteRun): void {
  if (run.out.length) run.ctx.out.write(run.out.join(""));
  run.out.length = 0;
}

/** Warnings go to stderr after the stdout text so far, as readelf's warn() flushes stdout first. */
function warn(run: NoteRun, msg: string): void {
  flush(run);
  run.ctx.warn(msg);
}
function error(run: NoteRun, msg: string): void {
  flush(run);
  run.ctx.error(msg);
}

function noteSegmentsOf(run: NoteRun): void {
  for (const ph of run.file.programHeaders) {
    if (ph.p_type === 4 /* PT_NOTE */)
      notesAt(run, { segment: ph, offset: ph.p_offset, size: ph.p_filesz, align: ph.p_align });
  }
}

/** readelf.c process_notes_at. */
function notesAt(run: NoteRun, c: NoteContainer): void {
  const { file, out } = run;
  if (c.size === 0n) {
    run.ok = false;
    return;
  }
  const reason = c.section ? "section contents" : "notes";
  if (c.offset > BigInt(file.size) || c.size > BigInt(file.size) - c.offset) {
    error(run, `Reading ${c.size} bytes extends past end of file for ${reason}`);
    run.ok = false;
    return;
  }
  let bytes = file.read(c.offset, c.size, reason);
  if (c.section && file.header.e_type === ET_REL) bytes = relocatedNotes(run, c.section, bytes);
  out.push("\n");
  if (c.section) out.push(`Displaying notes found in: ${printableSectionName(file, c.section)}\n`);
  else
    out.push(
      `Displaying notes found at file offset 0x${c.offset.toString(16).padStart(8, "0")} with length 0x${c.size.toString(16).padStart(8, "0")}:\n`,
    );
  const align = noteAlignment(c.align);
  if (align === undefined) {
    warn(run, `Corrupt note: alignment ${BigInt.asIntN(64, c.align)}, expecting 4 or 8`);
    run.ok = false;
    return;
  }
  out.push("  Owner                Data size \tDescription\n");
  const list = parseNotes(bytes, file.littleEndian, align, Number(c.offset));
  for (const note of list.notes) {
    if (!processNote(run, note, bytes)) run.ok = false;
  }
  const p = list.problem;
  if (p?.kind === "short") {
    warn(
      run,
      p.remaining === 1
        ? "Corrupt note: only 1 byte remains, not enough for a full note"
        : `Corrupt note: only ${p.remaining} bytes remain, not enough for a full note`,
    );
  } else if (p?.kind === "bad-sizes") {
    warn(run, `note with invalid namesz and/or descsz found at offset ${altHex(p.offset)}`);
    warn(
      run,
      ` type: ${altHex(p.n_type)}, namesize: ${altHex(p.n_namesz)}, descsize: ${altHex(p.n_descsz)}, alignment: ${p.align}`,
    );
  }
}

/**
 * readelf applies a relocatable file's relocations to note sections before decoding them
 * (process_notes_at calls apply_relocations). This covers the absolute data relocations that
 * appear in notes (stapsdt locations, build-attribute ranges); other types leave the bytes alone.
 */
function relocatedNotes(run: NoteRun, section: SectionHeader, bytes: Uint8Array): Uint8Array {
  const { file } = run;
  const headers = file.sectionHeaders;
  let copy: Uint8Array | undefined;
  for (const rel of headers) {
    if ((rel.sh_type !== 4 && rel.sh_type !== 9) || rel.sh_info !== section.index || rel.sh_size === 0n)
      continue;
    if (rel.sh_link >= headers.length) continue;
    const symsec = headers[rel.sh_link]!;
    if (symsec.sh_type !== SHT_SYMTAB && symsec.sh_type !== 11) return copy ?? bytes;
    const isRela = rel.sh_type === 4;
    const entsize = file.is64 ? (isRela ? 24 : 16) : isRela ? 12 : 8;
    let syms: ElfSymbol[];
    try {
      syms = file.symbols(symsec);
    } catch {
      return copy ?? bytes;
    }
    const r = file.reader(rel.sh_offset, rel.sh_size, file.describeSection(rel));
    const count = Math.floor(Number(rel.sh_size) / entsize);
    copy ??= bytes.slice();
    const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
    for (let i = 0; i < count; i++) {
      const at = i * entsize;
      const r_offset = r.word(at, file.is64);
      const info = r.word(at + (file.is64 ? 8 : 4), file.is64);
      const type = Number(file.is64 ? info & 0xffffffffn : info & 0xffn);
      const symIndex = Number(file.is64 ? info >> 32n : info >> 8n);
      const addend = isRela ? r.sword(at + (file.is64 ? 16 : 8), file.is64) : 0n;
      const size = absRelocSize(file.header.e_machine, type);
      if (size === 0) continue;
      if (r_offset + BigInt(size) > BigInt(copy.length)) continue;
      const sym = syms[symIndex];
      const value =
        (sym ? sym.st_value : 0n) +
        (isRela ? addend : readUnsigned(view, Number(r_offset), size, file.littleEndian));
      writeUnsigned(view, Number(r_offset), size, value, file.littleEndian);
    }
  }
  return copy ?? bytes;
}

/** Size of a plain absolute relocation (S + A), or 0 for types this does not apply. */
function absRelocSize(machine: number, type: number): number {
  switch (machine) {
    case EM_X86_64:
      return type === 1 ? 8 : type === 10 || type === 11 ? 4 : 0; // R_X86_64_64, _32, _32S
    case EM_386:
      return type === 1 ? 4 : 0; // R_386_32
    case EM_AARCH64:
      return type === 257 ? 8 : type === 258 ? 4 : 0; // R_AARCH64_ABS64, ABS32
    case 40: // EM_ARM
      return type === 2 ? 4 : 0; // R_ARM_ABS32
    case 243: // EM_RISCV
      return type === 2 ? 8 : type === 1 ? 4 : 0; // R_RISCV_64, R_RISCV_32
    case 22: // EM_S390
      return type === 22 ? 8 : type === 4 ? 4 : 0; // R_390_64, R_390_32
    case 8: // EM_MIPS
      return type === 18 ? 8 : type === 2 ? 4 : 0; // R_MIPS_64, R_MIPS_32
    default:
      return 0;
  }
}

function readUnsigned(view: DataView, at: number, size: number, le: boolean): bigint {
  return size === 8 ? view.getBigUint64(at, le) : BigInt(view.getUint32(at, le));
}
function writeUnsigned(view: DataView, at: number, size: number, value: bigint, le: boolean): void {
  if (size === 8) view.setBigUint64(at, BigInt.asUintN(64, value), le);
  else view.setUint32(at, Number(BigInt.asUintN(32, value)), le);
}

/** The C string readelf matches owner prefixes against (namedata; for namesz 0, whatever follows the header). */
function matchName(note: ElfNote, container: Uint8Array): string {
  if (note.n_namesz > 0) return note.name;
  const at = note.offset + 12;
  let end = container.indexOf(0, at);
  if (end < 0) end = container.length;
  let s = "";
  for (let i = at; i < end && i < at + 64; i++) s += String.fromCharCode(container[i]!);
  return s;
}

const isBuildAttrName = (name: string): boolean => {
  const ch = (i: number): string => (i < name.length ? name[i]! : "\0");
  return (name.startsWith("GA") && "*$!+\0".includes(ch(2))) || "*$!+\0".includes(ch(0));
};

/** readelf.c process_note. Returns false where readelf's would (the run then fails). */
function processNote(run: NoteRun, note: ElfNote, container: Uint8Array): boolean {
  const { file, out, wide } = run;
  const owner = note.n_namesz ? note.name : "(NONE)";
  const name = matchName(note, container);
  const isCore = file.header.e_type === ET_CORE;
  const generic = (t: number): string =>
    (isCore ? CORE_NOTE_TYPES[t] : OTHER_NOTE_TYPES[t]) ?? unknownType(t);
  let nt: string;
  let shownOwner = owner;
  if (note.n_namesz === 0) nt = generic(note.n_type);
  else if (name.startsWith("GNU")) nt = GNU_NOTE_TYPES[note.n_type] ?? unknownType(note.n_type);
  else if (name.startsWith("AMDGPU"))
    nt = note.n_type === 32 ? "NT_AMDGPU_METADATA (code object metadata)" : unknownType(note.n_type);
  else if (name.startsWith("SPU/")) {
    nt = name.slice(4);
    shownOwner = "SPU";
  } else if (name.startsWith("stapsdt"))
    nt = note.n_type === 3 ? "NT_STAPSDT (SystemTap probe descriptors)" : unknownType(note.n_type);
  else nt = generic(note.n_type);

  out.push("  ");
  const buildAttr =
    isBuildAttrName(name) &&
    (note.n_type === NT_GNU_BUILD_ATTRIBUTE_OPEN || note.n_type === NT_GNU_BUILD_ATTRIBUTE_FUNC);
  if (buildAttr) buildAttributeName(run, note);
  else out.push(printSymbol(shownOwner, -20, run.wide, run.ctx.opts.silentTruncation).text);
  out.push(` 0x${hex8(note.n_descsz)}\t${nt}${wide ? "\t" : "\n"}`);

  if (name.startsWith("GNU")) return gnuNote(run, note);
  if (name.startsWith("stapsdt")) return stapsdtNote(run, note);
  if (name.startsWith("CORE")) return coreNote(run, note);
  if (name.startsWith("FDO")) {
    if (note.n_descsz > 0 && note.n_type === FDO_PACKAGING_METADATA) {
      out.push(`    Packaging Metadata: ${cString(note.desc)}\n`);
      return true;
    }
    return false;
  }
  if (buildAttr) return buildAttributeDescription(run, note);
  contentsHex(run, note);
  return true;
}

function cString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = "";
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}

/** print_note_contents_hex. */
function contentsHex(run: NoteRun, note: ElfNote): void {
  const parts: string[] = [];
  if (note.n_descsz) {
    parts.push("   description data: ");
    for (let i = 0; i < note.desc.length; i++) parts.push(`${hex2(note.desc[i]!)} `);
    if (!run.wide) parts.push("\n");
  }
  if (run.wide) parts.push("\n");
  run.out.push(parts.join(""));
}

function u32(run: NoteRun, bytes: Uint8Array, at: number): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return v.getUint32(at, run.file.littleEndian);
}
function uword(run: NoteRun, bytes: Uint8Array, at: number, size: number): bigint {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return size === 8
    ? v.getBigUint64(at, run.file.littleEndian)
    : BigInt(v.getUint32(at, run.file.littleEndian));
}

const ABI_OS: Record<number, string> = {
  0: "Linux",
  1: "Hurd",
  2: "Solaris",
  3: "FreeBSD",
  4: "NetBSD",
  5: "Syllable",
  6: "NaCl",
};

/** print_gnu_note. */
function gnuNote(run: NoteRun, note: ElfNote): boolean {
  const { out } = run;
  const d = note.desc;
  switch (note.n_type) {
    case 3: {
      let s = "    Build ID: ";
      for (let i = 0; i < d.length; i++) s += hex2(d[i]!);
      out.push(`${s}\n`);
      return true;
    }
    case 1: {
      if (d.length < 16) {
        out.push("    <corrupt GNU_ABI_TAG>\n");
        return true;
      }
      const os = u32(run, d, 0);
      out.push(
        `    OS: ${ABI_OS[os] ?? "Unknown"}, ABI: ${u32(run, d, 4) | 0}.${u32(run, d, 8) | 0}.${u32(run, d, 12) | 0}\n`,
      );
      return true;
    }
    case 4:
      out.push(`    Version: ${cString(d)}\n`);
      return true;
    case 2: {
      out.push("      Hardware Capabilities: ");
      if (d.length < 8) {
        error(run, "<corrupt GNU_HWCAP>");
        return false;
      }
      out.push(`num entries: ${u32(run, d, 0) | 0}, enabled mask: ${u32(run, d, 4).toString(16)}\n`);
      return true;
    }
    case 5:
      gnuPropertyNote(run, note);
      return true;
    default: {
      const parts = ["    Description data: "];
      for (let i = 0; i < d.length; i++) parts.push(`${hex2(d[i]!)} `);
      parts.push("\n");
      out.push(parts.join(""));
      return true;
    }
  }
}

/** Bit names, lowest bit first, joined by ", " (readelf's decode_x86_isa and friends). */
function decodeBits(mask: number, names: readonly string[], noneText?: string): string {
  if (mask === 0 && noneText !== undefined) return noneText;
  const parts: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    const v = (mask >>> bit) & 1;
    if (!v) continue;
    parts.push(names[bit] ?? `<unknown: ${(2 ** bit).toString(16)}>`);
  }
  return parts.join(", ");
}

const X86_ISA = ["x86-64-baseline", "x86-64-v2", "x86-64-v3", "x86-64-v4"];
const X86_FEATURE_1 = ["IBT", "SHSTK", "LAM_U48", "LAM_U57"];
const X86_FEATURE_2 = [
  "x86",
  "x87",
  "MMX",
  "XMM",
  "YMM",
  "ZMM",
  "FXSR",
  "XSAVE",
  "XSAVEOPT",
  "XSAVEC",
  "TMM",
  "MASK",
];
const X86_COMPAT_ISA = [
  "i486",
  "586",
  "686",
  "SSE",
  "SSE2",
  "SSE3",
  "SSSE3",
  "SSE4_1",
  "SSE4_2",
  "AVX",
  "AVX2",
  "AVX512F",
  "AVX512CD",
  "AVX512ER",
  "AVX512PF",
  "AVX512VL",
  "AVX512DQ",
  "AVX512BW",
];
const X86_COMPAT_2_ISA = [
  "CMOV",
  "SSE",
  "SSE2",
  "SSE3",
  "SSSE3",
  "SSE4_1",
  "SSE4_2",
  "AVX",
  "AVX2",
  "FMA",
  "AVX512F",
  "AVX512CD",
  "AVX512ER",
  "AVX512PF",
  "AVX512VL",
  "AVX512DQ",
  "AVX512BW",
  "AVX512_4FMAPS",
  "AVX512_4VNNIW",
  "AVX512_BITALG",
  "AVX512_IFMA",
  "AVX512_VBMI",
  "AVX512_VBMI2",
  "AVX512_VNNI",
  "AVX512_BF16",
];

/** x86 properties: [label, bit names, text for an empty mask]. */
const X86_PROPERTIES: Record<number, [string, readonly string[], string | undefined]> = {
  3221291010: ["x86 ISA used", X86_ISA, undefined],
  3221258242: ["x86 ISA needed", X86_ISA, undefined],
  3221225474: ["x86 feature", X86_FEATURE_1, "<None>"],
  3221291009: ["x86 feature used", X86_FEATURE_2, "<None>"],
  3221258241: ["x86 feature needed", X86_FEATURE_2, "<None>"],
  3221225472: ["x86 ISA used", X86_COMPAT_ISA, undefined],
  3221225473: ["x86 ISA needed", X86_COMPAT_ISA, undefined],
  3221291008: ["x86 ISA used", X86_COMPAT_2_ISA, "<None>"],
  3221258240: ["x86 ISA needed", X86_COMPAT_2_ISA, "<None>"],
};

/** print_gnu_property_note. */
function gnuPropertyNote(run: NoteRun, note: ElfNote): void {
  const { file } = run;
  const d = note.desc;
  const size = file.is64 ? 8 : 4;
  let s = "      Properties: ";
  if (d.length < 8 || d.length % size !== 0) {
    run.out.push(`${s}<corrupt GNU_PROPERTY_TYPE, size = ${altHex(d.length)}>\n`);
    return;
  }
  const machine = file.header.e_machine;
  const x86 = machine === EM_X86_64 || machine === EM_386 || machine === 6;
  let at = 0;
  while (at < d.length) {
    if (d.length - at < 8) {
      s += `<corrupt descsz: ${altHex(d.length)}>\n`;
      break;
    }
    const type = u32(run, d, at);
    const datasz = u32(run, d, at + 4);
    at += 8;
    if (datasz > d.length - at) {
      s += `<corrupt type (${altHex(type)}) datasz: ${altHex(datasz)}>\n`;
      break;
    }
    const bad = `<corrupt length: ${altHex(datasz)}> `;
    let done = false;
    if (type >= 0xc0000000 && type <= 0xdfffffff) {
      if (x86) {
        const known = X86_PROPERTIES[type];
        if (known) {
          s +=
            datasz !== 4
              ? `${known[0]}: ${bad}`
              : `${known[0]}: ${decodeBits(u32(run, d, at), known[1], known[2])}`;
          done = true;
        }
      } else if (machine === EM_AARCH64 && type === 0xc0000000) {
        s += `AArch64 feature: ${datasz !== 4 ? bad : decodeBits(u32(run, d, at), ["BTI", "PAC"])}`;
        done = true;
      }
    } else if (type === 1) {
      s += `stack size: ${datasz !== size ? bad : altHex(uword(run, d, at, size))}`;
      done = true;
    } else if (type === 2) {
      s += `no copy on protected ${datasz ? bad : ""}`;
      done = true;
    } else if (type >= 0xb0000000 && type <= 0xb000ffff) {
      if (type === 0xb0008000) {
        s +=
          datasz !== 4
            ? `1_needed: ${bad}`
            : `1_needed: ${decodeBits(u32(run, d, at), ["indirect external access"])}`;
      } else {
        s += type <= 0xb0007fff ? `UINT32_AND (${altHex(type)}): ` : `UINT32_OR (${altHex(type)}): `;
        s += datasz !== 4 ? bad : altHex(u32(run, d, at));
      }
      done = true;
    }
    if (!done) {
      if (type < 0xc0000000) s += `<unknown type ${altHex(type)} data: `;
      else if (type < 0xe0000000) s += `<processor-specific type ${altHex(type)} data: `;
      else s += `<application-specific type ${altHex(type)} data: `;
      for (let j = 0; j < datasz; j++) s += `${hex2(d[at + j]!)} `;
      s += ">";
    }
    at += Math.ceil(datasz / size) * size;
    if (at === d.length) break;
    s += run.wide ? ", " : "\n\t";
  }
  run.out.push(`${s}\n`);
}

/** print_vma(..., FULL_HEX): 0x and 8 or 16 digits by class. */
function fullHex(run: NoteRun, v: bigint): string {
  return `0x${v.toString(16).padStart(run.file.is64 ? 16 : 8, "0")}`;
}

/** print_stapsdt_note. */
function stapsdtNote(run: NoteRun, note: ElfNote): boolean {
  const d = note.desc;
  const size = run.file.is64 ? 8 : 4;
  const tooSmall = (): boolean => {
    run.out.push("  <corrupt - note is too small>\n");
    error(run, "corrupt stapdt note - the data size is too small");
    return false;
  };
  if (d.length < size * 3) return tooSmall();
  const pc = uword(run, d, 0, size);
  const base = uword(run, d, size, size);
  const sem = uword(run, d, 2 * size, size);
  let at = 3 * size;
  const strs: string[] = [];
  for (let i = 0; i < 3; i++) {
    if (at >= d.length) return tooSmall();
    const nul = d.indexOf(0, at);
    if (nul < 0) return tooSmall();
    strs.push(cString(d, at, nul));
    at = nul + 1;
  }
  run.out.push(
    `    Provider: ${strs[0]}\n    Name: ${strs[1]}\n    Location: ${fullHex(run, pc)}, Base: ${fullHex(run, base)}, Semaphore: ${fullHex(run, sem)}\n    Arguments: ${strs[2]}\n`,
  );
  return at === d.length;
}

/** print_core_note. readelf 2.40 decodes NT_FILE only in 32-bit files (its 64-bit branch is a leftover). */
function coreNote(run: NoteRun, note: ElfNote): boolean {
  const { out, file } = run;
  if (note.n_type !== NT_FILE) {
    if (run.wide) out.push("\n");
    return true;
  }
  if (file.is64) {
    out.push("    Cannot decode 64-bit note in 32-bit build\n");
    return true;
  }
  const d = note.desc;
  const size = 4;
  if (d.length < 2 * size) {
    error(run, "    Malformed note - too short for header");
    return false;
  }
  if (d[d.length - 1] !== 0) {
    error(run, "    Malformed note - does not end with \\0");
    return false;
  }
  const count = u32(run, d, 0);
  const pageSize = u32(run, d, 4);
  if (d.length < 2 * size + count * 3 * size) {
    error(run, "    Malformed note - too short for supplied file count");
    return false;
  }
  out.push(`    Page size: ${pageSize}\n`);
  out.push(`    ${"Start".padStart(10)}${"End".padStart(12)}${"Page Offset".padStart(12)}\n`);
  let names = 2 * size + count * 3 * size;
  for (let i = 0; i < count; i++) {
    if (names === d.length) {
      error(run, "    Malformed note - filenames end too early");
      return false;
    }
    const at = 2 * size + i * 3 * size;
    const nul = d.indexOf(0, names);
    out.push(
      `    ${fullHex(run, BigInt(u32(run, d, at)))}  ${fullHex(run, BigInt(u32(run, d, at + 4)))}  ${fullHex(run, BigInt(u32(run, d, at + 8)))}\n        ${cString(d, names, nul)}\n`,
    );
    names = nul + 1;
  }
  return true;
}

// --- GNU build attribute notes (annobin): print_gnu_build_attribute_name / _description ---------

const BUILD_ATTRS: Record<number, [string, string]> = {
  1: ["<version>", "$"],
  2: ["<stack prot>", "!+*"],
  3: ["<relro>", "+!"],
  4: ["<stack size>", "*"],
  5: ["<tool>", "$"],
  6: ["<ABI>", "$*"],
  7: ["<PIC>", "*"],
  8: ["<short enum>", "+!"],
};

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;

function buildAttributeName(run: NoteRun, note: ElfNote): boolean {
  const { out, wide } = run;
  const trunc = run.ctx.opts.silentTruncation;
  // The name field as readelf sees it: namesz bytes, then a terminating NUL.
  const raw = note.nameBytes;
  const namesz = note.n_namesz;
  const at = (i: number): number => (i < raw.length ? raw[i]! : 0);
  const corrupt = (): boolean => {
    error(run, `corrupt name field in GNU build attribute note: size = ${namesz}`);
    out.push(printSymbol("  <corrupt name>", -20, wide, trunc).text);
    return false;
  };
  if (namesz < 2) return corrupt();
  let left = wide ? 28 : 20;
  let p = 0;
  if (at(0) === 0x47 && at(1) === 0x41) {
    if (namesz < 4) return corrupt();
    out.push("GA");
    p += 2;
    left -= 2;
  }
  const nameType = at(p);
  if (nameType !== 0x2a && nameType !== 0x24 && nameType !== 0x2b && nameType !== 0x21) {
    error(run, `unrecognised attribute type in name field: ${(nameType << 24) >> 24}`);
    out.push(printSymbol("<unknown name type>", -20, wide, trunc).text);
    return false;
  }
  out.push(String.fromCharCode(nameType));
  left--;
  p++;
  const attr = at(p);
  let text: string | undefined;
  let expected: string;
  const known = BUILD_ATTRS[attr];
  if (known) {
    text = known[0];
    expected = known[1];
    p++;
  } else {
    if (isPrint(attr)) {
      const avail = namesz - p;
      let slen = 0;
      while (slen < avail && at(p + slen) !== 0) slen++;
      let len = slen + 1;
      if (len > left && !wide) len = left;
      let s = "";
      for (let i = 0; i < len && at(p + i) !== 0; i++) s += String.fromCharCode(at(p + i));
      out.push(`${s}:`);
      left -= len;
      p += len;
    } else {
      const signed = (attr << 24) >> 24;
      error(run, `unrecognised byte in name field: ${signed}`);
      text = `<unknown:_${signed}>`;
      p++;
    }
    expected = "*$!+";
  }
  if (text) {
    out.push(text);
    left -= text.length;
  }
  if (!expected.includes(String.fromCharCode(nameType)))
    warn(run, `attribute does not have an expected type (${String.fromCharCode(nameType)})`);
  if (p > namesz) {
    error(run, `corrupt name field: namesz: ${namesz} but parsing gets to ${p}`);
    return false;
  }
  if (left < 1 && !wide) return true;
  const sym = (s: string): void => {
    const r = printSymbol(s, -left, wide, trunc);
    out.push(r.text);
    left -= r.printed;
  };
  switch (nameType) {
    case 0x2a: {
      let nbytes = namesz - p;
      if (nbytes > 0) nbytes--;
      if (nbytes > 8) {
        error(run, `corrupt numeric name field: too many bytes in the value: ${nbytes.toString(16)}`);
        nbytes = 8;
      }
      let val = 0n;
      for (let i = 0; i < nbytes; i++) val |= BigInt(at(p + i)) << BigInt(8 * i);
      let decoded: string | undefined;
      if (attr === 7) decoded = ["static", "pic", "PIC", "pie", "PIE"][Number(val)] ?? undefined;
      else if (attr === 2) decoded = ["off", "on", "all", "strong", "explicit"][Number(val)] ?? undefined;
      if (val > 4n) decoded = undefined;
      if (decoded !== undefined) {
        out.push(printSymbol(decoded, -left, wide, trunc).text);
        left = 0;
      } else if (val === 0n) {
        out.push("0x0");
        left -= 3;
      } else if (wide) {
        const t = `0x${val.toString(16)}`;
        out.push(t);
        left -= t.length;
      } else {
        const t = `0x${val.toString(16).padStart(left, "0")}`;
        out.push(t);
        left -= t.length;
      }
      break;
    }
    case 0x24:
      sym(cStringFrom(raw, p));
      break;
    case 0x2b:
      sym("true");
      break;
    case 0x21:
      sym("false");
      break;
  }
  if (wide && left > 0) out.push(" ".padEnd(left));
  return true;
}

function cStringFrom(bytes: Uint8Array, p: number): string {
  let s = "";
  for (let i = p; i < bytes.length && bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function buildAttrSymbols(run: NoteRun): ElfSymbol[] | undefined {
  if (run.symbols === undefined) {
    run.symbols = null;
    for (const sh of run.file.sectionHeaders) {
      if (sh.sh_type !== SHT_SYMTAB) continue;
      try {
        run.symbols = { syms: run.file.symbols(sh) };
        break;
      } catch {
        // get_symtab failed: try the next symbol table
      }
    }
  }
  return run.symbols?.syms;
}

/** get_symbol_for_build_attribute. */
function symbolForBuildAttribute(run: NoteRun, offset: bigint, isOpen: boolean): ElfSymbol | undefined {
  const syms = buildAttrSymbols(run);
  if (!syms) return undefined;
  let saved: ElfSymbol | undefined;
  for (let i = 0; i < syms.length; i++) {
    const sym = syms[i]!;
    if (sym.st_value !== offset) continue;
    const name = sym.name;
    if (name === undefined || name.length === 0) continue;
    if (name[0] === "$" && name.length === 2) continue; // mapping symbols ($d, $x, $t)
    if (isOpen) {
      const type = symType(sym);
      if (type === 1 || type === 4) {
        saved = sym;
        if (sym.st_size) break;
        continue;
      }
      if (type === 2) continue;
      const bind = symBind(sym);
      if (bind === 1) {
        if (saved === undefined || symType(saved) !== 1) saved = sym;
      } else if (bind === 0) {
        if (saved === undefined) saved = sym;
      }
    } else {
      if (symType(sym) !== 2) continue;
      saved = sym;
      break;
    }
  }
  return saved;
}

function sectionByAddress(file: ElfFile, addr: bigint): SectionHeader | undefined {
  for (const sh of file.sectionHeaders) {
    if (addr >= sh.sh_addr && addr < sh.sh_addr + sh.sh_size) return sh;
  }
  return undefined;
}

function buildAttributeDescription(run: NoteRun, note: ElfNote): boolean {
  const { out } = run;
  const isOpen = note.n_type === NT_GNU_BUILD_ATTRIBUTE_OPEN;
  const d = note.desc;
  let start: bigint;
  let end: bigint;
  switch (d.length) {
    case 0: {
      const [off, e] = isOpen ? [run.globalOffset, run.globalEnd] : [run.funcOffset, run.funcEnd];
      out.push(
        e > off
          ? `    Applies to region from ${altHex(off)} to ${altHex(e)}\n`
          : `    Applies to region from ${altHex(off)}\n`,
      );
      return true;
    }
    case 4:
      start = uword(run, d, 0, 4);
      end = 0n;
      break;
    case 8:
      start = uword(run, d, 0, 4);
      end = uword(run, d, 4, 4);
      break;
    case 16:
      start = uword(run, d, 0, 8);
      end = uword(run, d, 8, 8);
      break;
    default:
      error(run, `    <invalid description size: ${d.length.toString(16)}>`);
      out.push("    <invalid descsz>");
      return false;
  }
  let sym = symbolForBuildAttribute(run, start, isOpen);
  if (sym === undefined && isOpen) sym = symbolForBuildAttribute(run, start + 2n, isOpen);
  if (end === 0n && sym !== undefined && sym.st_size > 0n) end = start + sym.st_size;
  if (isOpen) {
    if (
      run.globalEnd > 0n &&
      start > ((run.globalEnd + 15n) & ~15n) &&
      sameSection(run.file, start, run.globalEnd)
    ) {
      warn(run, `Gap in build notes detected from ${altHex(run.globalEnd + 1n)} to ${altHex(start - 1n)}`);
    }
    out.push(`    Applies to region from ${altHex(start)}`);
    run.globalOffset = start;
    if (end) {
      out.push(` to ${altHex(end)}`);
      run.globalEnd = end;
    }
  } else {
    out.push(`    Applies to region from ${altHex(start)}`);
    run.funcOffset = start;
    if (end) {
      out.push(` to ${altHex(end)}`);
      run.funcEnd = end;
    }
  }
  if (sym?.name) out.push(` (${sym.name})`);
  out.push("\n");
  return true;
}

function sameSection(file: ElfFile, a: bigint, b: bigint): boolean {
  const s1 = sectionByAddress(file, a);
  return s1 !== undefined && s1 === sectionByAddress(file, b);
}

// --- text helpers shared with the other readelf views of this area --------------------------------

/** readelf.c printable_section_name: control bytes as ^X, bytes above 0x7e as <HH>, at most 256 chars. */
export function printableSectionName(file: ElfFile, sh: SectionHeader): string {
  let names: ReturnType<() => ElfFile["sectionNameTable"]>;
  try {
    names = file.sectionNameTable;
  } catch {
    names = undefined;
  }
  if (!names) return "<no-strings>";
  if (sh.sh_name >= names.bytes.length) return "<corrupt>";
  return printableName(names.get(sh.sh_name) ?? "");
}

/**
 * readelf.c print_symbol for byte strings in the C locale: a negative width pads to -width; without -W
 * a longer string is cut and marked "[...]" (unless -T). Returns the text and the columns it takes.
 */
export function printSymbol(
  symbol: string,
  width: number,
  wide: boolean,
  silentTruncation: boolean,
): { text: string; printed: number } {
  let pad = false;
  if (width < 0) {
    width = -width;
    pad = true;
  } else if (width === 0) return { text: "", printed: 0 };
  let remaining = wide ? Number.POSITIVE_INFINITY : width;
  let dots = false;
  if (!wide && !silentTruncation && symbol.length > width) {
    remaining = Math.max(0, width - 5);
    dots = true;
  }
  let text = "";
  let printed = 0;
  for (let i = 0; i < symbol.length && remaining > 0; i++) {
    const c = symbol.charCodeAt(i);
    if (c === 0) break;
    if (c < 0x20 || c === 0x7f) {
      if (remaining < 2) break;
      text += `^${String.fromCharCode((c + 0x40) & 0xff)}`;
      remaining -= 2;
      printed += 2;
    } else {
      text += symbol[i];
      remaining--;
      printed++;
    }
  }
  if (dots) {
    text += "[...]";
    printed += 5;
  }
  if (pad && printed < width) {
    text += " ".repeat(width - printed);
    printed = width;
  }
  return { text, printed };
}
