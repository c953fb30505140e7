import {
  ElfError,
  ElfErrorCode,
  type ElfFile,
  EM_386,
  EM_X86_64,
  ET_DYN,
  ET_EXEC,
  PF_R,
  PF_W,
  PF_X,
  type ProgramHeader,
  PT_INTERP,
  PT_LOAD,
  SHF_ALLOC,
  SHT_NOBITS,
} from "../elf/index.js";
import { AddressSpace } from "./address-space.js";
import { elfEtDynBase } from "./aslr.js";
import type { KernelProfile } from "./kernel-profile.js";

/** A file as the process's maps name it: the path of its dentry, and its device and inode. */
export interface MappedFile {
  file: ElfFile;
  /** The real path (symlinks resolved), as /proc/PID/maps prints it. */
  path: string;
  devMajor: number;
  devMinor: number;
  inode: bigint;
}

export type MappingKind =
  | "text"
  | "rodata"
  | "data"
  | "relro"
  | "bss"
  | "heap"
  | "stack"
  | "mmap"
  | "tls"
  | "hole"
  | "vvar"
  | "vdso"
  | "vsyscall";

/** One line of the predicted /proc/PID/maps, with what fills it. */
export interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  devMajor: number;
  devMinor: number;
  inode: bigint;
  /** The maps path column: a file path, `[stack]`, `[vdso]`, or "" for anonymous memory. */
  path: string;
  kind: MappingKind;
  /** The object whose segment this comes from (its maps path), if any. */
  object?: string;
  /** Index of the program header that produced it. */
  segment?: number;
  /** Sections (SHF_ALLOC) whose addresses fall in this mapping. */
  sections: string[];
}

export interface ExecLayoutOptions {
  profile: KernelProfile;
  /** RLIMIT_STACK soft limit in bytes; undefined = unlimited. */
  stackLimit: bigint | undefined;
  /** setarch -L (ADDR_COMPAT_LAYOUT): legacy bottom-up mmap layout. */
  legacy: boolean;
  /** setarch -3 (ADDR_LIMIT_3GB) for i386 tasks. */
  addrLimit3GB: boolean;
  /** What execve copies onto the stack: the filename, argv and envp strings. */
  execfn: string;
  argv: string[];
  envp: string[];
}

export interface ExecLayout {
  is64: boolean;
  taskSize: bigint;
  mmapBase: bigint;
  stackTop: bigint;
  /** Where the executable's p_vaddr 0 lands (0 for ET_EXEC). */
  loadBias: bigint;
  /** Load bias of the interpreter, when there is one. */
  interpBias: bigint | undefined;
  /** AT_ENTRY: the program's entry point. */
  entry: bigint;
  /** Where the interpreter starts running (AT_BASE + its e_entry), or AT_ENTRY without one. */
  startPc: bigint;
  /** mm->start_brk: the heap starts here at its first brk(). */
  brk: bigint;
  mappings: Mapping[];
}

const PAGE = 4096n;
const pageDown = (v: bigint): bigint => v & ~(PAGE - 1n);
const pageUp = (v: bigint): bigint => (v + PAGE - 1n) & ~(PAGE - 1n);
const SIZE_128M = 128n << 20n;
const STACK_EXPAND = 128n << 10n; // setup_arg_pages: stack_expand

export function loadSegments(file: ElfFile): ProgramHeader[] {
  return file.programHeaders.filter((ph) => ph.p_type === PT_LOAD);
}

/** maximum_alignment() in fs/binfmt_elf.c: the largest power-of-two p_align of the PT_LOADs, page aligned. */
function maximumAlignment(loads: ProgramHeader[]): bigint {
  let max = 0n;
  for (const ph of loads) {
    const a = ph.p_align;
    if (a > 0n && (a & (a - 1n)) === 0n && a > max) max = a;
  }
  return pageUp(max);
}

function permsOf(flags: number): string {
  return `${flags & PF_R ? "r" : "-"}${flags & PF_W ? "w" : "-"}${flags & PF_X ? "x" : "-"}p`;
}

function kindOf(flags: number): MappingKind {
  if (flags & PF_X) return "text";
  if (flags & PF_W) return "data";
  return "rodata";
}

/** Names of SHF_ALLOC sections overlapping [start, end) once loaded at `bias`. */
export function sectionsIn(
  file: ElfFile,
  bias: bigint,
  start: bigint,
  end: bigint,
  nobits: boolean | undefined,
): string[] {
  let headers: ReturnType<ElfFile["sectionHeaders"]["slice"]>;
  try {
    headers = file.sectionHeaders;
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const sh of headers) {
    if ((sh.sh_flags & SHF_ALLOC) === 0n || sh.sh_size === 0n) continue;
    if (nobits !== undefined && (sh.sh_type === SHT_NOBITS) !== nobits) continue;
    const lo = sh.sh_addr + bias;
    const hi = lo + sh.sh_size;
    if (lo < end && hi > start) {
      let name: string | undefined;
      try {
        name = file.sectionName(sh);
      } catch {
        name = undefined;
      }
      out.push(name ?? `[${sh.index}]`);
    }
  }
  return out;
}

/**
 * Maps one ELF object's PT_LOADs as load_elf_binary / load_elf_interp do (elf_map + elf_load):
 * `bias` undefined means "let the mmap layout choose", reserving the whole span at once.
 */
function mapObject(
  obj: MappedFile,
  bias: bigint | undefined,
  space: AddressSpace,
  place: (length: bigint, align: bigint) => bigint,
  out: Mapping[],
): { bias: bigint; end: bigint } {
  const loads = loadSegments(obj.file);
  if (loads.length === 0) {
    throw new ElfError(ElfErrorCode.BadValue, "program header table", undefined, "no PT_LOAD segment to map");
  }
  const first = loads[0]!;
  const last = loads[loads.length - 1]!;
  if (bias === undefined) {
    // total_mapping_size(): the span from the first segment's page to the end of the last.
    const total = pageUp(last.p_vaddr + last.p_memsz - pageDown(first.p_vaddr));
    const align = maximumAlignment(loads);
    const addr = place(total, align > PAGE ? align : 0n);
    bias = addr - pageDown(first.p_vaddr);
  }
  let brk = 0n;
  for (const ph of loads) {
    const vaddr = bias + ph.p_vaddr;
    const perms = permsOf(ph.p_flags);
    let zeroStart: bigint;
    if (ph.p_filesz > 0n) {
      const start = pageDown(vaddr);
      const end = pageUp(vaddr + ph.p_filesz);
      space.insert({ start, end });
      out.push({
        start,
        end,
        perms,
        offset: pageDown(ph.p_offset),
        devMajor: obj.devMajor,
        devMinor: obj.devMinor,
        inode: obj.inode,
        path: obj.path,
        kind: kindOf(ph.p_flags),
        object: obj.path,
        segment: ph.index,
        sections: sectionsIn(obj.file, bias, start, end, undefined),
      });
      zeroStart = vaddr + ph.p_filesz;
    } else {
      zeroStart = pageDown(vaddr);
    }
    const zeroEnd = vaddr + ph.p_memsz;
    if (ph.p_memsz > ph.p_filesz) {
      // The bss past the last file page: vm_brk_flags, an anonymous read-write mapping.
      const start = pageUp(zeroStart);
      const end = pageUp(zeroEnd);
      if (end > start) {
        space.insert({ start, end });
        out.push({
          start,
          end,
          perms: ph.p_flags & PF_X ? "rwxp" : "rw-p",
          offset: 0n,
          devMajor: 0,
          devMinor: 0,
          inode: 0n,
          path: "",
          kind: "bss",
          object: obj.path,
          segment: ph.index,
          sections: sectionsIn(obj.file, bias, start, end, true),
        });
      }
    }
    if (vaddr + ph.p_memsz > brk) brk = vaddr + ph.p_memsz;
  }
  return { bias, end: brk };
}

/** The program's PT_INTERP string, if any. */
export function interpreterPath(file: ElfFile): string | undefined {
  const ph = file.programHeaders.find((p) => p.p_type === PT_INTERP);
  if (!ph) return undefined;
  const bytes = file.read(ph.p_offset, ph.p_filesz, "PT_INTERP");
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  let s = "";
  for (let i = 0; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Bytes execve copies to the top of the new stack: a NULL pointer slot, execfn, envp and argv strings. */
export function argumentBytes(opts: Pick<ExecLayoutOptions, "execfn" | "argv" | "envp">): bigint {
  const len = (s: string) => BigInt(s.length + 1);
  let n = 8n + len(opts.execfn);
  for (const s of opts.envp) n += len(s);
  for (const s of opts.argv) n += len(s);
  return n;
}

/** The address space as the kernel leaves it when execve returns to user space (ASLR off). */
export function predictExecLayout(
  exe: MappedFile,
  interp: MappedFile | undefined,
  opts: ExecLayoutOptions,
): ExecLayout {
  const h = exe.file.header;
  if (h.e_machine !== EM_X86_64 && h.e_machine !== EM_386) {
    throw new ElfError(
      ElfErrorCode.Unsupported,
      "ELF header",
      18,
      "process layouts are modelled for x86-64 and i386 programs",
    );
  }
  if (h.e_type !== ET_EXEC && h.e_type !== ET_DYN) {
    throw new ElfError(
      ElfErrorCode.Unsupported,
      "ELF header",
      16,
      "only executables and shared objects can be executed",
    );
  }
  const is64 = exe.file.is64;
  const { profile } = opts;
  const taskSize = is64 ? 0x7ffffffff000n : opts.addrLimit3GB ? 0xc0000000n : 0xffffe000n;

  // arch_pick_mmap_layout: top-down below the stack gap, or bottom-up from TASK_SIZE/3 (legacy).
  let mmapBase: bigint;
  if (opts.legacy) {
    mmapBase = pageUp(taskSize / 3n);
  } else {
    let gap = opts.stackLimit === undefined ? taskSize : opts.stackLimit + profile.stackGuardGap;
    const gapMax = (taskSize / 6n) * 5n;
    if (gap < SIZE_128M) gap = SIZE_128M;
    else if (gap > gapMax) gap = gapMax;
    mmapBase = pageUp(taskSize - gap);
  }
  const space = new AddressSpace(0x10000n, taskSize, profile.stackGuardGap);
  const place = (length: bigint, align: bigint): bigint => {
    const addr = opts.legacy
      ? space.bottomUp(length, mmapBase, align)
      : space.topDown(length, mmapBase, align);
    if (addr === undefined)
      throw new ElfError(ElfErrorCode.BadSize, "address space", undefined, `no room for ${length} bytes`);
    return addr;
  };
  const mappings: Mapping[] = [];

  // setup_arg_pages: the argument pages at the top, plus 128 KiB, capped by the stack limit.
  const stackTop = taskSize;
  const used = pageUp(argumentBytes(opts));
  let stackBase = stackTop - used - STACK_EXPAND;
  if (opts.stackLimit !== undefined) {
    const rlim = pageDown(opts.stackLimit);
    if (used + STACK_EXPAND > rlim) stackBase = stackTop - rlim;
  }
  space.insert({ start: stackBase, end: stackTop, growsDown: true });
  mappings.push(anon(stackBase, stackTop, "rw-p", "[stack]", "stack"));

  // The executable: ET_EXEC at its addresses, a PIE at ELF_ET_DYN_BASE, a static PIE in the mmap area.
  let bias: bigint | undefined;
  const loads = loadSegments(exe.file);
  if (h.e_type === ET_EXEC) bias = 0n;
  else if (interp) {
    // ELF_ET_DYN_BASE with ASLR off: x86-64 DEFAULT_MAP_WINDOW / 3 * 2; an i386 task's TASK_SIZE / 3
    // plus 16 MiB (0x56555000, or 0x41000000 under setarch -3).
    let base = elfEtDynBase(is64, taskSize);
    const align = maximumAlignment(loads);
    if (align > 0n) base &= ~(align - 1n);
    bias = pageDown(base - (loads[0]?.p_vaddr ?? 0n));
  }
  const exeMap = mapObject(exe, bias, space, place, mappings);
  const brk = pageUp(exeMap.end);

  let interpBias: bigint | undefined;
  if (interp) interpBias = mapObject(interp, undefined, space, place, mappings).bias;

  // arch_setup_additional_pages: [vvar] [vvar_vclock] [vdso] in one area from the mmap layout.
  const vdsoSize = is64 ? profile.vdsoSize : profile.vdso32Size;
  const special = BigInt(profile.vvarSize + profile.vvarVclockSize + vdsoSize);
  const at = place(special, 0n);
  space.insert({ start: at, end: at + special });
  let cursor = at;
  mappings.push(anon(cursor, (cursor += BigInt(profile.vvarSize)), "r--p", "[vvar]", "vvar"));
  if (profile.vvarVclockSize > 0) {
    mappings.push(anon(cursor, (cursor += BigInt(profile.vvarVclockSize)), "r--p", "[vvar_vclock]", "vvar"));
  }
  mappings.push(anon(cursor, cursor + BigInt(vdsoSize), "r-xp", "[vdso]", "vdso"));

  if (is64 && profile.vsyscall) {
    mappings.push(anon(0xffffffffff600000n, 0xffffffffff601000n, "--xp", "[vsyscall]", "vsyscall"));
  }
  mappings.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const entry = h.e_entry + exeMap.bias;
  const startPc = interp && interpBias !== undefined ? interp.file.header.e_entry + interpBias : entry;
  return {
    is64,
    taskSize,
    mmapBase,
    stackTop,
    loadBias: exeMap.bias,
    interpBias,
    entry,
    startPc,
    brk,
    mappings,
  };
}

function anon(start: bigint, end: bigint, perms: string, path: string, kind: MappingKind): Mapping {
  return { start, end, perms, offset: 0n, devMajor: 0, devMinor: 0, inode: 0n, path, kind, sections: [] };
}

/** A line as /proc/PID/maps prints it (show_map_vma: the prefix padded to 72 columns, then the name). */
export function mapsLine(m: Mapping): string {
  const hex = (v: bigint, w: number) => v.toString(16).padStart(w, "0");
  const prefix = `${hex(m.start, 8)}-${hex(m.end, 8)} ${m.perms} ${hex(m.offset, 8)} ${m.devMajor.toString(16).padStart(2, "0")}:${m.devMinor.toString(16).padStart(2, "0")} ${m.inode} `;
  if (m.path === "") return prefix;
  return `${prefix.padEnd(72)} ${m.path}`;
}
