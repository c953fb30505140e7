import {
  type ElfFile,
  EM_386,
  EM_X86_64,
  ET_CORE,
  PF_W,
  PF_X,
  type ProgramHeader,
  PT_LOAD,
  PT_NOTE,
} from "../elf/index.js";
import {
  BfdFormatError,
  type BfdSection,
  SEC_ALLOC,
  SEC_CODE,
  SEC_HAS_CONTENTS,
  SEC_LOAD,
  SEC_READONLY,
} from "./size.js";

/**
 * What BFD makes of an ELF core file (bfd/elfcore.h elf_core_file_p): no section headers are read; each
 * program header becomes one or two pseudo-sections (bfd/elf.c _bfd_elf_make_section_from_phdr), and
 * the notes of each PT_NOTE segment become register and data sections (elf_parse_notes,
 * elfcore_grok_note), which is all GNU size prints for a core file.
 */
export interface CoreImage {
  sections: BfdSection[];
  /** NT_PRPSINFO's pr_psargs (bfd_core_file_failing_command), or undefined without a psinfo note. */
  command: string | undefined;
}

const EM_IAMCU = 6;
const PN_XNUM = 0xffff;

/** bfd_section_from_phdr: the prefix of the pseudo-section names of each segment type. */
const PHDR_PREFIX: ReadonlyMap<number, string> = new Map([
  [0, "null"],
  [1, "load"],
  [2, "dynamic"],
  [3, "interp"],
  [4, "note"],
  [5, "shlib"],
  [6, "phdr"],
  [0x6474e550, "eh_frame_hdr"],
  [0x6474e551, "stack"],
  [0x6474e552, "relro"],
  [0x6474e554, "sframe"],
]);

// Note types elfcore_grok_note knows (include/elf/common.h).
const NT_PRSTATUS = 1;
const NT_FPREGSET = 2;
const NT_PRPSINFO = 3;
const NT_PSINFO = 13;
const NT_AUXV = 6;
const NT_FILE = 0x46494c45;
const NT_SIGINFO = 0x53494749;
const NT_GNU_BUILD_ID = 3;

/** Notes copied whole into a NAME/PID + NAME pseudo-section, valid only with owner "LINUX". */
const LINUX_NOTES: ReadonlyMap<number, string> = new Map([
  [0x46e62b7f, ".reg-xfp"],
  [0x202, ".reg-xstate"],
  [0x100, ".reg-ppc-vmx"],
  [0x102, ".reg-ppc-vsx"],
  [0x103, ".reg-ppc-tar"],
  [0x104, ".reg-ppc-ppr"],
  [0x105, ".reg-ppc-dscr"],
  [0x106, ".reg-ppc-ebb"],
  [0x107, ".reg-ppc-pmu"],
  [0x108, ".reg-ppc-tm-cgpr"],
  [0x109, ".reg-ppc-tm-cfpr"],
  [0x10a, ".reg-ppc-tm-cvmx"],
  [0x10b, ".reg-ppc-tm-cvsx"],
  [0x10c, ".reg-ppc-tm-spr"],
  [0x10d, ".reg-ppc-tm-ctar"],
  [0x10e, ".reg-ppc-tm-cppr"],
  [0x10f, ".reg-ppc-tm-cdscr"],
  [0x300, ".reg-s390-high-gprs"],
  [0x301, ".reg-s390-timer"],
  [0x302, ".reg-s390-todcmp"],
  [0x303, ".reg-s390-todpreg"],
  [0x304, ".reg-s390-ctrs"],
  [0x305, ".reg-s390-prefix"],
  [0x306, ".reg-s390-last-break"],
  [0x307, ".reg-s390-system-call"],
  [0x308, ".reg-s390-tdb"],
  [0x309, ".reg-s390-vxrs-low"],
  [0x30a, ".reg-s390-vxrs-high"],
  [0x30b, ".reg-s390-gs-cb"],
  [0x30c, ".reg-s390-gs-bc"],
  [0x600, ".reg-arc-v2"],
  [0x400, ".reg-arm-vfp"],
  [0x401, ".reg-aarch-tls"],
  [0x402, ".reg-aarch-hw-break"],
  [0x403, ".reg-aarch-hw-watch"],
  [0x405, ".reg-aarch-sve"],
  [0x406, ".reg-aarch-pauth"],
  [0x409, ".reg-aarch-mte"],
  [0xa00, ".reg-loongarch-cpucfg"],
  [0xa04, ".reg-loongarch-lbt"],
  [0xa02, ".reg-loongarch-lsx"],
  [0xa03, ".reg-loongarch-lasx"],
]);

/** The same, valid only with owner "GDB". */
const GDB_NOTES: ReadonlyMap<number, string> = new Map([
  [0xff000000, ".gdb-tdesc"],
  [0x900, ".reg-riscv-csr"],
]);

/** Which backend's grok_prstatus / grok_psinfo BFD uses: only the x86 targets are configured. */
type Backend = "x86-64" | "i386" | "generic";

const reject = (why: string): BfdFormatError => new BfdFormatError(why);

/**
 * The pseudo-sections of a core file in BFD's creation order. Throws BfdFormatError when
 * elf_core_file_p would not accept the file; pushes BFD's warnings to `warnings`.
 */
export function coreImage(elf: ElfFile, warnings: string[] = []): CoreImage {
  const h = elf.header;
  const is64 = elf.is64;
  if (h.e_type !== ET_CORE || h.e_phoff === 0n) throw reject("not a core file");
  const phdrSize = is64 ? 56 : 32;
  if (h.e_phentsize !== phdrSize) throw reject("bad e_phentsize");
  let count = h.e_phnum;
  if (h.e_shoff !== 0n && count === PN_XNUM) {
    // Extended numbering: the real count is section 0's sh_info (when not zero).
    if (h.e_shoff < BigInt(is64 ? 64 : 52)) throw reject("section headers inside the file header");
    const r = elf.reader(h.e_shoff, is64 ? 64 : 40, "section header 0");
    const info = r.u32(is64 ? 44 : 28);
    if (info !== 0) count = info;
  }
  const size = BigInt(elf.size);
  if (h.e_phoff + BigInt(count) * BigInt(phdrSize) > size) throw reject("program headers past the end");
  const phdrs = readPhdrs(elf, count);

  const backend: Backend =
    h.e_machine === EM_X86_64
      ? "x86-64"
      : (h.e_machine === EM_386 || h.e_machine === EM_IAMCU) && !is64
        ? "i386"
        : "generic";
  const state = new CoreState(elf, backend);
  for (const ph of phdrs) {
    const prefix = PHDR_PREFIX.get(ph.p_type) ?? "proc";
    state.fromPhdr(ph, prefix);
    if (ph.p_type === PT_NOTE) state.readNotes(ph);
  }
  // elf_core_file_p's truncation check: a warning, the file is still read.
  for (const ph of phdrs) {
    if (ph.p_filesz !== 0n && (ph.p_offset >= size || ph.p_filesz > size - ph.p_offset)) {
      warnings.push("has a segment extending past end of file");
      break;
    }
  }
  return { sections: state.sections, command: state.command };
}

class CoreState {
  readonly sections: BfdSection[] = [];
  private readonly names = new Set<string>();
  command: string | undefined;
  private pid = 0;
  private lwpid = 0;

  constructor(
    private readonly elf: ElfFile,
    private readonly backend: Backend,
  ) {}

  private add(name: string, size: bigint, vma: bigint, flags: number, index: number): void {
    this.sections.push({ name, size, vma, flags, shndx: index });
    this.names.add(name);
  }

  /** _bfd_elf_make_section_from_phdr: the file part "typeN[a]", the zero-filled rest "typeN[b]". */
  fromPhdr(ph: ProgramHeader, prefix: string): void {
    const split = ph.p_memsz > 0n && ph.p_filesz > 0n && ph.p_memsz > ph.p_filesz;
    const load = ph.p_type === PT_LOAD;
    const readonly = ph.p_flags & PF_W ? 0 : SEC_READONLY;
    const code = ph.p_flags & PF_X ? SEC_CODE : 0;
    const U64 = (1n << 64n) - 1n;
    if (ph.p_filesz > 0n) {
      const flags = SEC_HAS_CONTENTS | readonly | (load ? SEC_ALLOC | SEC_LOAD | code : 0);
      this.make(`${prefix}${ph.index}${split ? "a" : ""}`, ph.p_filesz, ph.p_vaddr, flags, ph.index);
    }
    if (ph.p_memsz > ph.p_filesz) {
      const flags = readonly | (load ? SEC_ALLOC | code : 0);
      const vma = (ph.p_vaddr + ph.p_filesz) & U64;
      this.make(`${prefix}${ph.index}${split ? "b" : ""}`, ph.p_memsz - ph.p_filesz, vma, flags, ph.index);
    }
  }

  /** bfd_make_section: fails on a name already taken, which makes the whole file unreadable. */
  private make(name: string, size: bigint, vma: bigint, flags: number, index: number): void {
    if (this.names.has(name)) throw reject(`duplicate section ${name}`);
    this.add(name, size, vma, flags, index);
  }

  /** elf_read_notes + elf_parse_notes for a core file: every note in order, bounds as BFD checks them. */
  readNotes(ph: ProgramHeader): void {
    const size = ph.p_filesz;
    if (size === 0n) return;
    if (ph.p_offset > BigInt(this.elf.size) || size > BigInt(this.elf.size) - ph.p_offset)
      throw reject("note segment past the end of the file");
    let align = ph.p_align;
    if (align < 4n) align = 4n;
    if (align !== 4n && align !== 8n) throw reject("bad note alignment");
    const a = Number(align);
    const bytes = this.elf.read(ph.p_offset, size, `note segment ${ph.index}`);
    const r = this.elf.readerOver(bytes, `note segment ${ph.index}`, Number(ph.p_offset));
    const end = bytes.length;
    const up = (n: number): number => Math.ceil(n / a) * a;
    let p = 0;
    while (p < end) {
      if (end - p < 12) throw reject("truncated note header");
      const namesz = r.u32(p);
      const descsz = r.u32(p + 4);
      const type = r.u32(p + 8);
      const nameAt = p + 12;
      if (namesz > end - nameAt) throw reject("note name past the end");
      const descAt = p + up(12 + namesz);
      if (descsz !== 0 && (descAt >= end || descsz > end - descAt)) throw reject("note data past the end");
      const note: Note = {
        type,
        namesz,
        name: bytes.subarray(nameAt, nameAt + namesz),
        descsz,
        descAt,
        descpos: ph.p_offset + BigInt(descAt),
        bytes,
      };
      this.grokOwner(note);
      p = descAt + up(descsz);
    }
  }

  /**
   * elf_parse_notes' grokers, tried from the last: "CORE" (Solaris checks, then elfcore_grok_note),
   * "GNU", "SPU/", "QNX", "OpenBSD", "NetBSD-CORE", "FreeBSD", and "" for everything else.
   */
  private grokOwner(note: Note): void {
    if (nameStarts(note, "CORE")) {
      // elfcore_grok_solaris_note: Solaris-sized status notes only; Linux sizes never match them.
      this.grokNote(note);
      return;
    }
    if (nameStarts(note, "GNU")) {
      // elfobj_grok_gnu_note: an empty build ID makes the note segment unreadable.
      if (note.type === NT_GNU_BUILD_ID && note.descsz === 0) throw reject("empty build ID note");
      return;
    }
    // The BSD, QNX and Cell SPU core formats are not mirrored (no Linux core has them).
    for (const other of ["SPU/", "QNX", "OpenBSD", "NetBSD-CORE", "FreeBSD"]) {
      if (nameStarts(note, other)) return;
    }
    this.grokNote(note);
  }

  /** elfcore_grok_note. */
  private grokNote(note: Note): void {
    switch (note.type) {
      case NT_PRSTATUS:
        this.grokPrstatus(note);
        return;
      case NT_FPREGSET:
        this.noteSection(".reg2", note);
        return;
      case NT_PRPSINFO:
      case NT_PSINFO:
        this.grokPsinfo(note);
        return;
      case NT_AUXV:
        this.add(".auxv", BigInt(note.descsz), 0n, SEC_HAS_CONTENTS, -1);
        return;
      case NT_FILE:
        this.noteSection(".note.linuxcore.file", note);
        return;
      case NT_SIGINFO:
        this.noteSection(".note.linuxcore.siginfo", note);
        return;
    }
    const linux = LINUX_NOTES.get(note.type);
    if (linux !== undefined) {
      if (nameIs(note, "LINUX")) this.noteSection(linux, note);
      return;
    }
    const gdb = GDB_NOTES.get(note.type);
    if (gdb !== undefined && nameIs(note, "GDB")) this.noteSection(gdb, note);
  }

  /** elf_x86_64_grok_prstatus / elf_i386_grok_prstatus, else the host's elfcore_grok_prstatus. */
  private grokPrstatus(note: Note): void {
    const d = this.desc(note);
    if (this.backend === "x86-64" && (note.descsz === 296 || note.descsz === 336)) {
      const x32 = note.descsz === 296;
      this.lwpid = d.i32(x32 ? 24 : 32, this.le);
      this.pseudo(".reg", 216n, note);
      return;
    }
    if (this.backend === "i386" && note.descsz === 144) {
      this.lwpid = d.i32(24, this.le);
      this.pseudo(".reg", 68n, note);
      return;
    }
    // The host's (x86-64 Linux) prstatus_t, or prstatus32_t (bfd/hosts/x86-64linux.h, the i386
    // layout), copied with memcpy: read little-endian whatever the file.
    const host = note.descsz === 336 ? [32, 216n] : note.descsz === 144 ? [24, 68n] : undefined;
    if (host) {
      const pid = d.i32(host[0] as number, true);
      if (this.pid === 0) this.pid = pid;
      this.lwpid = pid;
      this.pseudo(".reg", host[1] as bigint, note);
    }
  }

  /** elf_x86_64_grok_psinfo / elf_i386_grok_psinfo, else the host's elfcore_grok_psinfo. */
  private grokPsinfo(note: Note): void {
    const d = this.desc(note);
    let pidAt: number;
    let argsAt: number;
    let le = this.le;
    if (note.descsz === 124) {
      // Linux i386 / x32 elf_prpsinfo, or the host's prpsinfo32_t (same layout).
      pidAt = 12;
      argsAt = 44;
      if (this.backend === "generic") le = true;
    } else if (note.descsz === 136) {
      // x86-64's struct elf_prpsinfo and the host's prpsinfo_t have the same layout.
      pidAt = 24;
      argsAt = 56;
      if (this.backend !== "x86-64") le = true;
    } else {
      return;
    }
    this.pid = d.i32(pidAt, le);
    let command = cString(note.bytes, note.descAt + argsAt, 80);
    // "A spurious space is tacked onto the end of the args in some implementations."
    if (command.endsWith(" ")) command = command.slice(0, -1);
    this.command = command;
  }

  private get le(): boolean {
    return this.elf.littleEndian;
  }

  private desc(note: Note): { i32(at: number, le: boolean): number } {
    const view = new DataView(note.bytes.buffer, note.bytes.byteOffset + note.descAt, note.descsz);
    return { i32: (at, le) => view.getInt32(at, le) };
  }

  /** elfcore_make_note_pseudosection: the whole note data. */
  private noteSection(name: string, note: Note): void {
    this.pseudo(name, BigInt(note.descsz), note);
  }

  /** _bfd_elfcore_make_pseudosection: "NAME/PID" always, "NAME" unless a section has that name. */
  private pseudo(name: string, size: bigint, _note: Note): void {
    const pid = this.lwpid !== 0 ? this.lwpid : this.pid;
    this.add(`${name}/${pid}`, size, 0n, SEC_HAS_CONTENTS, -1);
    if (!this.names.has(name)) this.add(name, size, 0n, SEC_HAS_CONTENTS, -1);
  }
}

interface Note {
  type: number;
  namesz: number;
  name: Uint8Array;
  descsz: number;
  /** Offset of the data in `bytes` (the note segment). */
  descAt: number;
  descpos: bigint;
  bytes: Uint8Array;
}

/** strncmp(name, s, strlen(s)) == 0 with namesz >= strlen(s). */
function nameStarts(note: Note, s: string): boolean {
  if (note.namesz < s.length) return false;
  for (let i = 0; i < s.length; i++) if (note.name[i] !== s.charCodeAt(i)) return false;
  return true;
}

/** namesz == strlen(s) + 1 && strcmp(name, s) == 0. */
function nameIs(note: Note, s: string): boolean {
  return note.namesz === s.length + 1 && nameStarts(note, s) && note.name[s.length] === 0;
}

/** _bfd_elfcore_strndup: up to the first NUL within `max` bytes, as a byte string. */
function cString(bytes: Uint8Array, at: number, max: number): string {
  let s = "";
  for (let i = 0; i < max && at + i < bytes.length; i++) {
    const c = bytes[at + i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** The program header table as elf_core_file_p reads it (`count` may differ from ElfFile's view). */
function readPhdrs(elf: ElfFile, count: number): ProgramHeader[] {
  const is64 = elf.is64;
  const entsize = is64 ? 56 : 32;
  const r = elf.reader(elf.header.e_phoff, count * entsize, "program header table");
  const out: ProgramHeader[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entsize;
    out.push(
      is64
        ? {
            index: i,
            p_type: r.u32(at),
            p_flags: r.u32(at + 4),
            p_offset: r.u64(at + 8),
            p_vaddr: r.u64(at + 16),
            p_paddr: r.u64(at + 24),
            p_filesz: r.u64(at + 32),
            p_memsz: r.u64(at + 40),
            p_align: r.u64(at + 48),
          }
        : {
            index: i,
            p_type: r.u32(at),
            p_offset: BigInt(r.u32(at + 4)),
            p_vaddr: BigInt(r.u32(at + 8)),
            p_paddr: BigInt(r.u32(at + 12)),
            p_filesz: BigInt(r.u32(at + 16)),
            p_memsz: BigInt(r.u32(at + 20)),
            p_flags: r.u32(at + 24),
            p_align: BigInt(r.u32(at + 28)),
          },
    );
  }
  return out;
}
