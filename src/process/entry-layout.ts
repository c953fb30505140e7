import {
  ElfError,
  ElfErrorCode,
  type ElfFile,
  PT_GNU_RELRO,
  PT_TLS,
  SHT_DYNSYM,
  SHT_GNU_verdef,
  SHT_GNU_verneed,
  STB_GNU_UNIQUE,
} from "../elf/index.js";
import { sectionRelocationKind, sectionRelocations } from "../elf/relocation.js";
import { parseVerdefs, parseVerneeds } from "../elf/version.js";
import { AddressSpace } from "./address-space.js";
import {
  type ExecLayout,
  loadSegments,
  type MappedFile,
  type Mapping,
  type MappingKind,
  sectionsIn,
} from "./exec-layout.js";
import type { KernelProfile } from "./kernel-profile.js";

/**
 * The address space when ld.so jumps to the program's entry point (ASLR off), built on the kernel's
 * exec layout by replaying what glibc 2.36's ld.so does before that: its minimal malloc
 * (elf/dl-minimal-malloc.c), the /etc/ld.so.cache mapping (elf/dl-cache.c), each library's
 * _dl_map_segments (elf/dl-map-segments.h) in breadth-first order, the static TLS block
 * (elf/dl-tls.c) and the RELRO mprotects (_dl_protect_relro).
 */

/** One library ld.so maps, in the order it maps them. */
export interface EntryLibrary {
  /** The DT_NEEDED name it was asked for (l_libname). */
  name: string;
  file: MappedFile;
  /** The path ld.so opened (l_name): for a cache hit the cache's string, duplicated with strdup. */
  openedPath: string;
  /** Whether the path came from /etc/ld.so.cache (the first such search maps the cache). */
  viaCache: boolean;
}

/** One breadth-first step of _dl_map_object_deps: an object's DT_NEEDED list and the loads it caused. */
export interface EntryStep {
  /** Is it the program itself (no l_initfini of its own there)? */
  main: boolean;
  /** Its DT_NEEDED count. */
  needed: number;
  /** Libraries first loaded while processing its DT_NEEDED entries, in order. */
  loads: EntryLibrary[];
  /** DT_RUNPATH / DT_RPATH lists the step's first search decomposes (cache_rpath), in that order. */
  runPaths?: EntryRunPath[];
}

/** A DT_RUNPATH or DT_RPATH list that decompose_rpath (elf/dl-load.c) turns into search-path elements. */
export interface EntryRunPath {
  /** The list as written in the dynamic section. */
  list: string;
  /** l_origin, for $ORIGIN. */
  origin: string;
  /** l_name: "" for the program ld.so was started for. */
  where: string;
  /** The program's l_origin is computed on first use (_dl_get_origin); a library's at its load. */
  main: boolean;
}

export interface EntryLayoutOptions {
  profile: KernelProfile;
  legacy: boolean;
  /**
   * "exec": the program was executed and the kernel mapped it; "ldd": ld.so was executed with the
   * program as its argument (what `ldd` does), so ld.so maps the program itself first.
   */
  mode: "exec" | "ldd";
  /** The program, for "ldd" mode (ld.so maps it), and the name ld.so was given. */
  program?: MappedFile;
  programName?: string;
  /** The size of /etc/ld.so.cache, or undefined when there is none. */
  cacheSize: bigint | undefined;
  /** The breadth-first steps, the program first. */
  steps: EntryStep[];
  /** The program's DT_RUNPATH or DT_RPATH, decomposed by _dl_init_paths. */
  mainRunPath?: EntryRunPath;
  /** The length of the main program's search list (l_searchlist.r_nlist). */
  searchListLength: number;
  /** Objects with a PT_TLS, in module-id order (program first, then libraries in load order). */
  tlsObjects?: ElfFile[];
  /** _dl_check_map_versions: the highest version index of each object in link-map chain order. */
  versionChain?: number[];
  /** Whether a constructor allocates a [heap] before the entry point (default: HEAP_CONSTRUCTOR_LIBRARIES). */
  constructorHeap?: boolean;
  /** Distinct STB_GNU_UNIQUE symbols bound during relocation. */
  uniqueSymbols?: number;
  /** The allocator model's constants (measured on this machine; see DEFAULT_RTLD_PROFILE). */
  rtld?: RtldProfile;
}

/** What this ld.so build allocates: sizes that are compiled in, measured against gdb runs. */
export interface RtldProfile {
  /** sizeof (struct link_map). */
  linkMapSize: number;
  /**
   * Requests before the first library, after the main and vDSO link_maps: glibc-hwcaps priorities and
   * strings (_dl_important_hwcaps, which depend on the CPU), then _dl_init_paths' arrays.
   */
  early: number[];
  /** sizeof (struct r_found_version) and of a unique-symbol table entry (struct unique_sym). */
  versionSize: number;
  uniqueSymSize: number;
  /** sizeof (struct dl_find_object_internal). */
  findObjectSize: number;
  /** sizeof (struct r_search_path_elem) plus its status array (one enum per hwcaps string). */
  searchPathElemSize: number;
  /** The system directories compiled into ld.so (rtld_search_dirs, in GL(dl_all_dirs) from the start). */
  systemDirs: string[];
  /** $PLATFORM and $LIB (DL_DST_LIB) of this ld.so: DL_DST_REQUIRED reserves room for the longest. */
  platform: string;
  dstLib: string;
  /** TLS_TCB_SIZE (sizeof (struct pthread)) and TCB_ALIGNMENT. */
  tcbSize: number;
  tcbAlign: number;
  /** GLRO(dl_tls_static_surplus) with the default tunables. */
  staticSurplus: number;
  /**
   * The [heap] after a constructor's first small malloc (libc's sysmalloc): the first sbrk, the request
   * plus 128 KiB of top pad page aligned, and on i386 one more page, as MALLOC_ALIGNMENT (16) exceeds
   * 2 * SIZE_SZ: the misaligned first chunk makes sysmalloc sbrk again for the correction.
   */
  firstHeap: number;
  /** MALLOC_ALIGNMENT of the minimal malloc. */
  mallocAlign: number;
  ptrSize: number;
}

export const RTLD_PROFILE_X86_64: RtldProfile = {
  linkMapSize: 1200,
  early: [48, 274, 40, 480],
  versionSize: 24,
  uniqueSymSize: 32,
  findObjectSize: 32,
  searchPathElemSize: 40 + 4 * 11,
  systemDirs: ["/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib/", "/usr/lib/"],
  platform: "x86_64",
  dstLib: "lib/x86_64-linux-gnu",
  tcbSize: 2368,
  tcbAlign: 64,
  staticSurplus: 1664,
  firstHeap: 0x21000,
  mallocAlign: 16,
  ptrSize: 8,
};

/**
 * /lib/ld-linux.so.2 of libc6-i386 2.36, measured with gdb breakpoints on its (stripped) __minimal_malloc
 * (the target of __rtld_malloc_init_stubs' __rtld_malloc, argument on the stack): link_maps of 785 bytes
 * for the program and the vDSO; no glibc-hwcaps subdirectories on i386, so _dl_important_hwcaps asks for
 * 0 bytes of priorities, then 87 of legacy hwcaps strings (platform i686 and this CPU's important
 * hwcaps); dl_find_object_internal has eh_dbase on i386 (5 words); a search-path element is 20 bytes
 * and 8 status words (79 bytes for $ORIGIN = /tmp/anatomy-i386/demo.d of the program).
 */
export const RTLD_PROFILE_I386: RtldProfile = {
  linkMapSize: 644,
  early: [0, 87, 20, 240],
  versionSize: 16,
  uniqueSymSize: 16,
  findObjectSize: 20,
  searchPathElemSize: 20 + 4 * 8,
  systemDirs: ["/lib32/", "/usr/lib32/", "/lib/", "/usr/lib/"],
  platform: "i686",
  dstLib: "lib32",
  tcbSize: 1216,
  tcbAlign: 64,
  staticSurplus: 1664,
  firstHeap: 0x22000,
  mallocAlign: 16,
  ptrSize: 4,
};

export interface EntryObject {
  name: string;
  path: string;
  /** l_addr: what ldd prints in parentheses. */
  bias: bigint;
}

export interface EntryLayout extends ExecLayout {
  /** Load biases of what ld.so mapped, in order. */
  objects: EntryObject[];
  /** The static TLS block's address (the thread pointer), when modelled. */
  threadPointer: bigint | undefined;
}

/**
 * Libraries whose constructors call malloc before the program's entry point, so a [heap] exists there
 * (observed on Debian 12 with gdb: every program loading one of them had a [heap] at AT_ENTRY).
 * Constructors are code: any other object may do the same, which a static prediction cannot know.
 */
export const HEAP_CONSTRUCTOR_LIBRARIES = [
  "libstdc++.so.6",
  "libgcrypt.so.20",
  "libgpg-error.so.0",
  "libselinux.so.1",
  "libcap.so.2",
  "libffi.so.8",
  "libsystemd.so.0",
  "libglib-2.0.so.0",
  "libxml2.so.2",
  "libicuuc.so.72",
];

const PAGE = 4096n;
const PMD = 2n << 20n;
const pageDown = (v: bigint): bigint => v & ~(PAGE - 1n);
const pageUp = (v: bigint): bigint => (v + PAGE - 1n) & ~(PAGE - 1n);
const alignUp = (v: bigint, a: bigint): bigint => (a > 1n ? ((v + a - 1n) / a) * a : v);
const byOrder = (a: Mapping, b: Mapping): number => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);

function protName(r: boolean, w: boolean, x: boolean): string {
  return `${r ? "r" : "-"}${w ? "w" : "-"}${x ? "x" : "-"}p`;
}

/** The process's VMAs under mmap/mprotect/munmap, with the kernel's placement (get_unmapped_area). */
class Vm {
  readonly maps: Mapping[];
  readonly space: AddressSpace;
  constructor(
    exec: ExecLayout,
    readonly profile: KernelProfile,
    readonly legacy: boolean,
  ) {
    this.maps = exec.mappings.map((m) => ({ ...m, sections: [...m.sections] }));
    this.space = new AddressSpace(0x10000n, exec.taskSize, profile.stackGuardGap);
    for (const m of this.maps) {
      if (m.end > exec.taskSize) continue;
      this.space.insert({ start: m.start, end: m.end, growsDown: m.kind === "stack" });
    }
    this.mmapBase = exec.mmapBase;
    this.is64 = exec.is64;
  }
  readonly mmapBase: bigint;
  readonly is64: boolean;

  private place(length: bigint): bigint {
    const addr = this.legacy
      ? this.space.bottomUp(length, this.mmapBase)
      : this.space.topDown(length, this.mmapBase);
    if (addr === undefined)
      throw new ElfError(ElfErrorCode.BadSize, "address space", undefined, `no room for ${length} bytes`);
    return addr;
  }

  /**
   * get_unmapped_area for a mapping without a hint: the layout's choice, THP-aligned for file mappings
   * (and anonymous ones of a 2 MiB multiple) that can hold a 2 MiB page (__thp_get_unmapped_area).
   */
  unmapped(length: bigint, offset: bigint, file: boolean): bigint {
    const len = pageUp(length);
    const thp = this.is64 && this.profile.thpAlignedFiles && (file ? true : len % PMD === 0n) && len >= PMD;
    if (thp) {
      const offAlign = alignUp(offset, PMD);
      const offEnd = offset + len;
      if (offEnd > offAlign && offEnd - offAlign >= PMD) {
        const ret = this.legacy
          ? this.space.bottomUp(len + PMD, this.mmapBase)
          : this.space.topDown(len + PMD, this.mmapBase);
        if (ret !== undefined) {
          const sub = (offset - ret) & (PMD - 1n);
          // An area that is aligned already is moved up by a page size, keeping the top-down order.
          if (!this.legacy && sub === 0n) return ret + PMD;
          return ret + sub;
        }
      }
    }
    return this.place(len);
  }

  /** mmap MAP_FIXED (or at `start` chosen by unmapped()). */
  map(m: Omit<Mapping, "sections"> & { sections?: string[] }): void {
    const start = m.start;
    const end = pageUp(m.end);
    this.unmap(start, end);
    this.maps.push({ ...m, end, sections: m.sections ?? [] });
    this.maps.sort(byOrder);
    this.space.insert({ start, end });
  }

  unmap(start: bigint, end: bigint): void {
    this.split(start);
    this.split(end);
    for (let i = this.maps.length - 1; i >= 0; i--) {
      const v = this.maps[i]!;
      if (v.start >= start && v.end <= end) this.maps.splice(i, 1);
    }
    this.space.remove(start, end);
  }

  protect(start: bigint, end: bigint, perms: string): void {
    if (end <= start) return;
    this.split(start);
    this.split(end);
    for (const v of this.maps) if (v.start >= start && v.end <= end) v.perms = perms;
  }

  private split(at: bigint): void {
    const i = this.maps.findIndex((v) => v.start < at && v.end > at);
    if (i < 0) return;
    const v = this.maps[i]!;
    const upper: Mapping = {
      ...v,
      start: at,
      offset: v.inode !== 0n ? v.offset + (at - v.start) : 0n,
      sections: [...v.sections],
    };
    v.end = at;
    this.maps.splice(i + 1, 0, upper);
  }

  /** vma_merge: neighbours with the same flags and file (at contiguous offsets), or both anonymous. */
  merged(): Mapping[] {
    const out: Mapping[] = [];
    for (const v of this.maps) {
      const p = out.at(-1);
      if (
        p &&
        p.end === v.start &&
        p.perms === v.perms &&
        p.path === v.path &&
        p.inode === v.inode &&
        p.devMajor === v.devMajor &&
        p.devMinor === v.devMinor &&
        // File mappings stay apart: the RELRO pages were mapped writable (VM_ACCOUNT), the rest not.
        p.inode === 0n &&
        p.path === ""
      ) {
        p.end = v.end;
        if (p.kind !== v.kind && p.inode === 0n) p.kind = "mmap";
        for (const s of v.sections) if (!p.sections.includes(s)) p.sections.push(s);
        continue;
      }
      out.push({ ...v, sections: [...v.sections] });
    }
    return out;
  }
}

/** ld.so's minimal malloc: the rest of its own data page, then mmap'ed blocks (dl-minimal-malloc.c). */
class MinimalMalloc {
  private ptr: bigint;
  private end: bigint;
  private last = -1n;
  constructor(
    rtldEnd: bigint,
    private readonly vm: Vm,
    private readonly align: bigint,
  ) {
    this.ptr = rtldEnd;
    this.end = pageUp(rtldEnd);
  }

  alloc(n: number | bigint): bigint {
    const size = BigInt(n);
    this.ptr = alignUp(this.ptr, this.align);
    if (this.ptr + size >= this.end) {
      // "allocate another page plus one extra page to reduce number of mmap calls"
      const nup = pageUp(size) + PAGE;
      const page = this.vm.unmapped(nup, 0n, false);
      this.vm.map(anonymous(page, page + nup, "rw-p", "mmap"));
      if (page !== this.end) this.ptr = page;
      this.end = page + nup;
    }
    const at = this.ptr;
    this.last = at;
    this.ptr += size;
    return at;
  }

  /** __minimal_free: only the last block comes back. */
  free(at: bigint): void {
    if (at === this.last) this.ptr = at;
  }
}

/** is_dst: $NAME not followed by an identifier character, or ${NAME}. */
const DST = /\$(?:\{(?:ORIGIN|PLATFORM|LIB)\}|(?:ORIGIN|PLATFORM|LIB)(?![A-Za-z0-9_]))/g;

/**
 * decompose_rpath and fillin_rpath (elf/dl-load.c): a copy of the list, the result array, then per
 * element its expansion (the program's l_origin first, by _dl_get_origin) and a new r_search_path_elem
 * unless GL(dl_all_dirs) has the directory already, in which case the freed expansion is reused.
 */
function decomposeRunPath(
  rp: EntryRunPath,
  malloc: MinimalMalloc,
  prof: RtldProfile,
  known: Set<string>,
): void {
  const ptr = prof.ptrSize;
  malloc.alloc(rp.list.length + 1);
  malloc.alloc(((rp.list.match(/:/g)?.length ?? 0) + 2) * ptr);
  const value: Record<string, string> = { ORIGIN: rp.origin, PLATFORM: prof.platform, LIB: prof.dstLib };
  let originKnown = !rp.main;
  for (const element of rp.list.split(":")) {
    // strsep's empty element stays the empty directory name (the working directory).
    let dir = "";
    let expansion: bigint | undefined;
    if (element !== "") {
      const count = element.match(DST)?.length ?? 0;
      if (count > 0 && !originKnown) {
        // DL_DST_REQUIRED: _dl_get_origin mallocs the directory with its '/' (readlink of /proc/self/exe).
        malloc.alloc(rp.origin.length + (rp.origin === "/" ? 1 : 2));
        originKnown = true;
      }
      const longest = Math.max(rp.origin.length, prof.platform.length, prof.dstLib.length);
      // expand_dynamic_string_token: strdup, or room for each token's longest expansion.
      expansion = malloc.alloc(element.length + (count > 0 && longest > 4 ? count * (longest - 4) : 0) + 1);
      const expanded = element.replace(DST, (t) => value[t.replace(/[${}]/g, "")]!);
      if (expanded === "") {
        malloc.free(expansion);
        continue;
      }
      dir = expanded.replace(/(.)\/+$/, "$1");
      if (!dir.endsWith("/")) dir += "/";
    }
    if (known.has(dir)) {
      if (expansion !== undefined) malloc.free(expansion);
      continue;
    }
    known.add(dir);
    malloc.alloc(prof.searchPathElemSize + rp.where.length + 1 + dir.length + 1);
  }
}

function anonymous(start: bigint, end: bigint, perms: string, kind: MappingKind): Mapping {
  return { start, end, perms, offset: 0n, devMajor: 0, devMinor: 0, inode: 0n, path: "", kind, sections: [] };
}

/** _dl_map_segments (elf/dl-map-segments.h) for an ET_DYN object; returns l_addr. */
function mapObject(vm: Vm, obj: MappedFile, fixedBias?: bigint): bigint {
  const loads = loadSegments(obj.file);
  if (loads.length === 0) {
    throw new ElfError(ElfErrorCode.BadValue, "program header table", undefined, "no PT_LOAD segment to map");
  }
  const cmds = loads.map((ph) => ({
    ph,
    mapstart: pageDown(ph.p_vaddr),
    mapend: pageUp(ph.p_vaddr + ph.p_filesz),
    dataend: ph.p_vaddr + ph.p_filesz,
    allocend: ph.p_vaddr + ph.p_memsz,
    mapoff: pageDown(ph.p_offset),
    perms: protName((ph.p_flags & 4) !== 0, (ph.p_flags & 2) !== 0, (ph.p_flags & 1) !== 0),
  }));
  const first = cmds[0]!;
  const last = cmds[cmds.length - 1]!;
  const maplength = last.allocend - first.mapstart;
  let maxAlign = 0n;
  for (const c of cmds) if (c.ph.p_align > maxAlign) maxAlign = c.ph.p_align;
  const fileMap = (start: bigint, end: bigint, perms: string, offset: bigint, c: (typeof cmds)[number]) =>
    vm.map({
      start,
      end,
      perms,
      offset,
      devMajor: obj.devMajor,
      devMinor: obj.devMinor,
      inode: obj.inode,
      path: obj.path,
      kind: perms.includes("x") ? "text" : perms.includes("w") ? "data" : "rodata",
      object: obj.path,
      segment: c.ph.index,
    });
  let mapStart: bigint;
  if (fixedBias !== undefined) {
    mapStart = fixedBias + first.mapstart;
  } else if (maxAlign <= PAGE) {
    mapStart = vm.unmapped(maplength, first.mapoff, true);
  } else {
    // _dl_map_segment: reserve enough to align, map the file at the aligned start, unmap the rest.
    const maplen = maplength >= maxAlign ? maplength + maxAlign : 2n * maxAlign;
    const reserve = vm.unmapped(maplen, 0n, false);
    mapStart = alignUp(reserve, maxAlign);
  }
  const bias = mapStart - first.mapstart;
  // The first segment's mapping covers the whole span; holes become PROT_NONE.
  fileMap(mapStart, mapStart + pageUp(maplength), first.perms, first.mapoff, first);
  let hasHoles = false;
  for (let i = 1; i < cmds.length; i++) if (cmds[i]!.mapstart !== cmds[i - 1]!.mapend) hasHoles = true;
  if (hasHoles && cmds.length > 1) {
    vm.protect(bias + first.mapend, bias + last.mapstart, "---p");
  }
  cmds.forEach((c, i) => {
    if (i > 0 && c.mapend > c.mapstart) {
      fileMap(bias + c.mapstart, bias + c.mapend, c.perms, c.mapoff, c);
    }
    if (c.allocend > c.dataend) {
      const zero = bias + c.dataend;
      const zeroend = bias + c.allocend;
      let zeropage = pageUp(zero);
      if (zeroend < zeropage) zeropage = zeroend;
      if (zeroend > zeropage) {
        vm.map({
          ...anonymous(zeropage, zeroend, c.perms, "bss"),
          object: obj.path,
          segment: c.ph.index,
        });
      }
    }
  });
  return bias;
}

/** _dl_protect_relro: the pages wholly inside PT_GNU_RELRO become read-only. */
function protectRelro(vm: Vm, file: ElfFile, bias: bigint): void {
  for (const ph of file.programHeaders) {
    if (ph.p_type !== PT_GNU_RELRO) continue;
    const start = pageDown(bias + ph.p_vaddr);
    const end = pageDown(bias + ph.p_vaddr + ph.p_memsz);
    if (end > start) vm.protect(start, end, "r--p");
  }
}

/** _dl_determine_tlsoffset for TLS_TCB_AT_TP (x86): the static TLS bytes used and the largest alignment. */
export function staticTlsUse(files: ElfFile[], tcbAlign: bigint): { used: bigint; align: bigint } {
  let offset = 0n;
  let freetop = 0n;
  let freebottom = 0n;
  let maxAlign = tcbAlign;
  for (const f of files) {
    const ph = f.programHeaders.find((p) => p.p_type === PT_TLS);
    if (!ph) continue;
    const align = ph.p_align > 0n ? ph.p_align : 1n;
    const size = ph.p_memsz;
    const firstbyte = (-(ph.p_vaddr & (align - 1n)) & (align - 1n)) % align;
    if (align > maxAlign) maxAlign = align;
    if (freebottom - freetop >= size) {
      const off = alignUp(freetop + size - firstbyte, align) + firstbyte;
      if (off <= freebottom) {
        freetop = off;
        continue;
      }
    }
    const off = alignUp(offset + size - firstbyte, align) + firstbyte;
    if (off > offset + size + (freebottom - freetop)) {
      freetop = offset;
      freebottom = off - size;
    }
    offset = off;
  }
  return { used: offset, align: maxAlign };
}

/**
 * do_lookup_unique's table gets one entry per STB_GNU_UNIQUE symbol bound; approximated by the distinct
 * defined unique symbols of the loaded objects (C++ libraries' template statics and guard variables).
 */
export function uniqueSymbols(files: ElfFile[]): number {
  // The unique symbols defined by the loaded objects...
  const defined = new Set<string>();
  for (const f of files) {
    try {
      for (const sh of f.sectionHeaders) {
        if (sh.sh_type !== SHT_DYNSYM) continue;
        for (const sym of f.symbols(sh)) {
          if (sym.st_info >> 4 === STB_GNU_UNIQUE && sym.st_shndx !== 0 && sym.name) defined.add(sym.name);
        }
      }
    } catch {
      // unreadable symbols: nothing counted
    }
  }
  // ...that some non-PLT dynamic relocation refers to (PLT slots are bound lazily, after the entry point).
  const bound = new Set<string>();
  for (const f of files) {
    try {
      for (const sh of f.sectionHeaders) {
        const name = f.sectionName(sh) ?? "";
        if (name.endsWith(".plt") || sectionRelocationKind(sh) === undefined) continue;
        const link = f.sectionHeaders[sh.sh_link];
        if (!link || link.sh_type !== SHT_DYNSYM) continue;
        const syms = f.symbols(link);
        for (const r of sectionRelocations(f, sh)) {
          const n = syms[r.r_sym]?.name;
          if (n && defined.has(n)) bound.add(n);
        }
      }
    } catch {
      // unreadable relocations: nothing counted
    }
  }
  return bound.size;
}

/** _dl_check_map_versions: the highest version index an object defines or needs (0: no l_versions). */
export function versionIndexHigh(file: ElfFile): number {
  let high = 0;
  try {
    for (const sh of file.sectionHeaders) {
      if (sh.sh_type === SHT_GNU_verdef) {
        for (const d of parseVerdefs(file, sh)) high = Math.max(high, d.vd_ndx & 0x7fff);
      } else if (sh.sh_type === SHT_GNU_verneed) {
        for (const n of parseVerneeds(file, sh))
          for (const a of n.aux) high = Math.max(high, a.vna_other & 0x7fff);
      }
    }
  } catch {
    return high;
  }
  return high;
}

const PRIMES = [31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521];
function nextPrime(size: number): number {
  for (const p of PRIMES) if (p > size) return p;
  return size * 2 + 1;
}

function objectCount(opts: EntryLayoutOptions, libs: number): number {
  // The program, the libraries and ld.so (when it is in the search list or not: it is always mapped).
  void opts;
  return libs + 2;
}

/** Are the program's segments back to back (rtld.c's l_contiguous for the main map)? */
function contiguous(file: ElfFile): boolean {
  const loads = loadSegments(file);
  for (let i = 1; i < loads.length; i++) {
    const prev = loads[i - 1]!;
    if (pageDown(loads[i]!.p_vaddr) !== pageUp(prev.p_vaddr + prev.p_memsz)) return false;
  }
  return true;
}

function endOf(file: ElfFile): bigint {
  let end = 0n;
  for (const ph of loadSegments(file)) if (ph.p_vaddr + ph.p_memsz > end) end = ph.p_vaddr + ph.p_memsz;
  return end;
}

/**
 * Replays ld.so's start-up on `exec` (the kernel's layout of what was executed: the program with its
 * interpreter, or ld.so itself in "ldd" mode).
 */
export function predictEntryLayout(
  exec: ExecLayout,
  exe: MappedFile,
  rtld: MappedFile,
  opts: EntryLayoutOptions,
): EntryLayout {
  const rp = opts.rtld ?? (exec.is64 ? RTLD_PROFILE_X86_64 : RTLD_PROFILE_I386);
  const vm = new Vm(exec, opts.profile, opts.legacy);
  const rtldBias = opts.mode === "ldd" ? exec.loadBias : exec.interpBias;
  if (rtldBias === undefined) {
    throw new ElfError(ElfErrorCode.Unsupported, "program headers", undefined, "no interpreter to model");
  }
  const malloc = new MinimalMalloc(rtldBias + endOf(rtld.file), vm, BigInt(rp.mallocAlign));
  const ptr = rp.ptrSize;
  const objects: EntryObject[] = [];
  const relro: Array<[ElfFile, bigint]> = [];

  let mainFile = exe;
  let mainBias = exec.loadBias;
  if (opts.mode === "ldd") {
    if (!opts.program) throw new Error("ldd mode needs the program");
    mainFile = opts.program;
    const h = mainFile.file.header;
    // _dl_map_object for the program named on ld.so's command line: its name, link_map, l_origin.
    const named = opts.programName ?? mainFile.path;
    malloc.alloc(named.length + 1);
    malloc.alloc(rp.linkMapSize + 16 * 2 * ptr + 3 * ptr + 1);
    malloc.alloc(named.length + 1);
    mainBias = mapObject(vm, mainFile, h.e_type === 2 ? 0n : undefined);
  } else {
    // _dl_new_object for the program: room for DL_NNS audit states, an empty name.
    malloc.alloc(rp.linkMapSize + 16 * 2 * ptr + 3 * ptr + 1);
  }
  // setup_vdso's link_map is sized the same way (measured: 1481 bytes on x86-64 like the program's).
  malloc.alloc(rp.linkMapSize + 16 * 2 * ptr + 3 * ptr + 1);
  for (const n of rp.early) malloc.alloc(n);
  const knownDirs = new Set(rp.systemDirs);
  if (opts.mainRunPath) decomposeRunPath(opts.mainRunPath, malloc, rp, knownDirs);

  // _dl_load_cache_lookup maps the whole cache read-only at the first search that reaches it (after
  // any found through a run path); dl_main unmaps it once loading is done.
  let cache: [bigint, bigint] | undefined;
  const mapCache = (): void => {
    if (cache || opts.cacheSize === undefined || opts.cacheSize <= 0n) return;
    const len = pageUp(opts.cacheSize);
    const at = vm.unmapped(len, 0n, true);
    vm.map(anonymous(at, at + len, "r--p", "mmap"));
    cache = [at, at + len];
  };

  const loaded: Array<{ lib: EntryLibrary; bias: bigint }> = [];
  for (const step of opts.steps) {
    if (step.loads.length > 0)
      for (const r of step.runPaths ?? []) decomposeRunPath(r, malloc, rp, knownDirs);
    for (const lib of step.loads) {
      if (lib.viaCache) mapCache();
      // The path found: the cache's string (strdup) or open_path's realname (malloc), both its length + 1.
      malloc.alloc(lib.openedPath.length + 1);
      malloc.alloc(rp.linkMapSize + ptr + 2 * ptr + lib.name.length + 1);
      malloc.alloc(lib.openedPath.length + 1); // l_origin
      const bias = mapObject(vm, lib.file);
      loaded.push({ lib, bias });
      objects.push({ name: lib.name, path: lib.openedPath, bias });
    }
    if (!step.main && step.needed > 0) malloc.alloc((2 * (step.needed + 1) + 1) * ptr);
  }
  // The main map's l_initfini, whose second half is its search list.
  malloc.alloc((2 * opts.searchListLength + 1) * ptr);

  // _dl_check_all_versions: each object's l_versions array (struct r_found_version), in chain order.
  for (const high of opts.versionChain ?? []) if (high > 0) malloc.alloc((high + 1) * rp.versionSize);
  // init_tls: the slotinfo list, then _dl_allocate_tls_storage's block and its dtv.
  const tlsFiles = opts.tlsObjects ?? [mainFile.file, ...loaded.map((l) => l.lib.file.file)];
  const modules = tlsFiles.filter((f) => f.programHeaders.some((p) => p.p_type === PT_TLS)).length;
  malloc.alloc(2 * ptr + (modules + 1 + 62) * 2 * ptr);
  const tls = staticTlsUse(tlsFiles, BigInt(rp.tcbAlign));
  const staticSize = alignUp(tls.used + BigInt(rp.staticSurplus), tls.align) + BigInt(rp.tcbSize);
  const allocated = malloc.alloc(staticSize + tls.align + BigInt(ptr));
  const threadPointer = alignUp(allocated, tls.align) + staticSize - BigInt(rp.tcbSize);
  malloc.alloc((modules + 14 + 2) * 2 * ptr);
  // Relocation: do_lookup_unique's table for STB_GNU_UNIQUE symbols, grown through the primes.
  let size = 0;
  for (let n = 0; n < (opts.uniqueSymbols ?? 0); n++) {
    if (size * 3 <= n * 4) {
      size = nextPrime(size);
      malloc.alloc(size * rp.uniqueSymSize);
    }
  }
  // _dl_find_object_init: the initial objects (a program with gaps gets one entry per segment).
  malloc.alloc(
    (objectCount(opts, loaded.length) +
      (contiguous(mainFile.file) ? 0 : loadSegments(mainFile.file).length)) *
      rp.findObjectSize,
  );

  // Relocation ends with RELRO: libraries in reverse load order, then the program, then ld.so.
  for (const l of loaded) relro.push([l.lib.file.file, l.bias]);
  relro.reverse();
  relro.push([mainFile.file, mainBias]);
  relro.push([rtld.file, rtldBias]);
  for (const [file, bias] of relro) protectRelro(vm, file, bias);
  if (cache) vm.unmap(cache[0], cache[1]);

  // A constructor that mallocs (run before the entry point) makes glibc's malloc grow the heap with brk:
  // the first sbrk asks for the request plus M_TOP_PAD (128 KiB), page aligned.
  if (opts.constructorHeap ?? loaded.some((l) => HEAP_CONSTRUCTOR_LIBRARIES.includes(l.lib.name))) {
    vm.map({ ...anonymous(exec.brk, exec.brk + BigInt(rp.firstHeap), "rw-p", "heap"), path: "[heap]" });
  }
  const mappings = vm.merged();
  annotate(mappings, [
    [mainFile, mainBias],
    [rtld, rtldBias],
    ...loaded.map((l): [MappedFile, bigint] => [l.lib.file, l.bias]),
  ]);
  for (const m of mappings) if (m.kind === "data" && m.perms === "r--p") m.kind = "relro";
  return { ...exec, mappings, objects, threadPointer };
}

function annotate(mappings: Mapping[], objs: Array<[MappedFile, bigint]>): void {
  for (const m of mappings) {
    const hit = objs.find(([o]) => (m.inode !== 0n ? o.path === m.path : m.object === o.path));
    if (!hit) continue;
    const [o, bias] = hit;
    m.sections = sectionsIn(o.file, bias, m.start, m.end, m.kind === "bss" ? true : undefined);
  }
}
