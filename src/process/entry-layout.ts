import {
  dynamicInfo,
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
import { sectionRelocationKind, sectionRelocationSymbols } from "../elf/relocation.js";
import { SymbolTableView } from "../elf/symbol-table.js";
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
  /** Whether the path came from /etc/ld.so.cache (one more strdup). */
  viaCache: boolean;
}

/**
 * A library not found, in trace mode (ldd): _dl_map_object fakes a link_map for it (l_faked) after the
 * whole search, and goes on; nothing is mapped.
 */
export interface FakedLibrary {
  name: string;
  faked: true;
}

/** One breadth-first step of _dl_map_object_deps: an object's DT_NEEDED list and the loads it caused. */
export interface EntryStep {
  /** Is it the program itself (no l_initfini of its own there)? */
  main: boolean;
  /** Its DT_NEEDED count. */
  needed: number;
  /** Libraries first loaded (or faked) while processing its DT_NEEDED entries, in order. */
  loads: Array<EntryLibrary | FakedLibrary>;
}

const isFaked = (lib: EntryLibrary | FakedLibrary): lib is FakedLibrary => "faked" in lib;

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
  /**
   * LD_PRELOAD's objects that were found, in order: dl_main maps them (do_preload, with the program as
   * loader) before _dl_map_object_deps starts on the program's DT_NEEDED; their own steps follow the
   * program's in `steps`.
   */
  preloads?: EntryLibrary[];
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
  /**
   * The working directory (getcwd): _dl_new_object builds l_origin from it for a relative name (ldd's
   * program named relatively, a faked link_map). Default "/".
   */
  cwd?: string;
  /** LD_LIBRARY_PATH as ld.so sees it: _dl_init_paths decomposes it after the program's run path. */
  libraryPath?: string;
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
  /** TLS_TCB_SIZE (sizeof (struct pthread)) and TCB_ALIGNMENT. */
  tcbSize: number;
  tcbAlign: number;
  /** GLRO(dl_tls_static_surplus) with the default tunables. */
  staticSurplus: number;
  /** MALLOC_ALIGNMENT of the minimal malloc. */
  mallocAlign: number;
  ptrSize: number;
  /**
   * ncapstr: the hwcaps subdirectories tried in each search directory (each r_search_path_elem holds one
   * status per subdirectory).
   */
  capstrCount: number;
  /** The default directories (_dl_init_paths' system_dirs, with their trailing `/`): already known dirs. */
  systemDirs: string[];
  /** What `$PLATFORM` and `$LIB` expand to (AT_PLATFORM, DL_DST_LIB): DL_DST_REQUIRED sizes by them. */
  platform: string;
  dstLib: string;
  /**
   * The [heap] after a constructor's first small malloc (libc's sysmalloc): the first sbrk, the request
   * plus 128 KiB of top pad page aligned, and on i386 one more page, as MALLOC_ALIGNMENT (16) exceeds
   * 2 * SIZE_SZ: the misaligned first chunk makes sysmalloc sbrk again for the correction.
   */
  firstHeap: bigint;
}

export const RTLD_PROFILE_X86_64: RtldProfile = {
  linkMapSize: 1200,
  early: [48, 274, 40, 480],
  versionSize: 24,
  uniqueSymSize: 32,
  findObjectSize: 32,
  tcbSize: 2368,
  tcbAlign: 64,
  staticSurplus: 1664,
  mallocAlign: 16,
  ptrSize: 8,
  // Measured with gdb: decompose_rpath's 102-byte element for "/usr/lib/man-db" (40 + 11 * 4 + 1 + 16 + 1).
  capstrCount: 11,
  systemDirs: ["/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib/", "/usr/lib/"],
  platform: "x86_64",
  dstLib: "lib/x86_64-linux-gnu",
  firstHeap: 0x21000n,
};

/**
 * Debian's libc6-i386 2.36 /lib/ld-linux.so.2, measured with gdb breakpoints on its (stripped)
 * __minimal_malloc (the target of __rtld_malloc_init_stubs' __rtld_malloc, argument on the stack):
 * link_maps of 785 bytes for the program and the vDSO; no glibc-hwcaps subdirectories on i386, so
 * _dl_important_hwcaps asks for 0 bytes of priorities, then 87 of legacy hwcaps strings (platform
 * i686 and this CPU's important hwcaps); dl_find_object_internal has eh_dbase on i386 (5 words); a
 * search-path element is 20 bytes and 8 status words.
 */
export const RTLD_PROFILE_I386: RtldProfile = {
  linkMapSize: 644,
  early: [0, 87, 20, 240],
  versionSize: 16,
  uniqueSymSize: 16,
  findObjectSize: 20,
  tcbSize: 1216,
  tcbAlign: 64,
  staticSurplus: 1664,
  mallocAlign: 16,
  ptrSize: 4,
  capstrCount: 8,
  systemDirs: ["/lib32/", "/usr/lib32/", "/lib/", "/usr/lib/"],
  platform: "i686",
  dstLib: "lib32",
  firstHeap: 0x22000n,
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
 * Libraries whose constructors call malloc before the program's entry point, so a [heap] exists there.
 * Observed on Debian 12 with gdb over /usr/bin: a breakpoint on libc's malloc, calloc, realloc and
 * memalign, attributed to the constructor that _dl_init's call_init was running (libcap, libffi,
 * libsystemd, libxml2 and libicuuc, once suspected from programs that also load one of these, never
 * allocate themselves). Constructors are code: any other object may do the same, which a static
 * prediction cannot know.
 */
export const HEAP_CONSTRUCTOR_LIBRARIES = [
  "libstdc++.so.6",
  "libgpg-error.so.0",
  "libselinux.so.1",
  "libglib-2.0.so.0",
  "libgobject-2.0.so.0",
  "libp11-kit.so.0",
  "libgnutls.so.30",
  "libX11.so.6",
  "libz3.so.4",
  "libLLVM-14.so.1",
  "libapt-pkg.so.6.0",
  "libapt-private.so.0.0",
  "libboost_filesystem.so.1.74.0",
  "libsource-highlight.so.4",
  "libbabeltrace.so.1",
  "libbabeltrace-ctf.so.1",
  "libjq.so.1",
  "libnuma.so.1",
  "libopencsd.so.1",
  "libheif.so.1",
  "libgomp.so.1",
  "libpixman-1.so.0",
  "libGL.so.1",
  "libGLX.so.0",
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

  protect(start: bigint, end: bigint, perms: string, kind?: MappingKind): void {
    if (end <= start) return;
    this.split(start);
    this.split(end);
    for (const v of this.maps)
      if (v.start >= start && v.end <= end) {
        v.perms = perms;
        if (kind) v.kind = kind;
      }
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
  private lastBlock: bigint | undefined;
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
    this.lastBlock = at;
    this.ptr += size;
    return at;
  }

  /** __minimal_free: only the last block allocated can be given back. */
  free(at: bigint): void {
    if (at === this.lastBlock) this.ptr = at;
  }
}

/** What _dl_map_object's search needs of one link_map: its names, origin and run paths. */
interface PathOwner {
  /** l_name: "" for the program the kernel ran, else the path it was opened under. */
  name: string;
  /** l_origin; undefined for the program until a DST asks for it (_dl_get_origin). */
  origin: string | undefined;
  /** The executable's real path (/proc/self/exe), for _dl_get_origin. */
  exePath?: string;
  needed: string[];
  rpath: string | undefined;
  runpath: string | undefined;
  /** l_rpath_dirs / l_runpath_dirs: undefined until cache_rpath, null for none ((void *) -1). */
  rpathDirs?: string[] | null;
  runpathDirs?: string[] | null;
  /** l_loader: the object whose DT_NEEDED loaded it. */
  loader: PathOwner | undefined;
}

function pathOwner(file: ElfFile, name: string, origin: string | undefined, loader?: PathOwner): PathOwner {
  let info: ReturnType<typeof dynamicInfo>;
  try {
    info = dynamicInfo(file);
  } catch {
    info = undefined;
  }
  return {
    name,
    origin,
    needed: info?.needed ?? [],
    rpath: info?.rpath,
    runpath: info?.runpath,
    loader,
  };
}

const dirName = (path: string): string => {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
};

/** _dl_dst_count's is_dst: `$NAME` or `${NAME}`, NAME not followed by an identifier character. */
const DST = /\$(?:\{(ORIGIN|PLATFORM|LIB)\}|(ORIGIN|PLATFORM|LIB)(?![A-Za-z0-9_]))/g;

/**
 * The run-path side of ld.so's library search (elf/dl-load.c): cache_rpath / decompose_rpath /
 * fillin_rpath allocate, per object and on first use, a copy of the string, the result array and one
 * r_search_path_elem per directory not seen before (GL(dl_all_dirs)); expand_dynamic_string_token
 * allocates each element's expansion.
 */
class SearchPaths {
  private readonly known: Set<string>;
  private readonly elemBase: number;
  private readonly platform: string;
  private readonly dstLib: string;
  constructor(
    private readonly malloc: MinimalMalloc,
    private readonly rp: RtldProfile,
  ) {
    this.known = new Set(rp.systemDirs);
    // sizeof (struct r_search_path_elem): next, what, where, dirname, dirnamelen; then one status per capstr.
    this.elemBase = 5 * rp.ptrSize + 4 * rp.capstrCount;
    this.platform = rp.platform;
    this.dstLib = rp.dstLib;
  }

  /** cache_rpath: the object's decomposed DT_RPATH or DT_RUNPATH, or null when it has none. */
  dirs(owner: PathOwner, tag: "rpath" | "runpath"): string[] | null {
    const key = tag === "rpath" ? "rpathDirs" : "runpathDirs";
    const cached = owner[key];
    if (cached !== undefined) return cached;
    const dirs = this.decompose(owner, owner[tag]);
    owner[key] = dirs;
    return dirs;
  }

  /** decompose_rpath + fillin_rpath. */
  private decompose(owner: PathOwner, rpath: string | undefined): string[] | null {
    if (rpath === undefined || rpath === "") return null;
    const copy = this.malloc.alloc(rpath.length + 1);
    const nelems = rpath.split(":").length - 1;
    const result = this.malloc.alloc((nelems + 2) * this.rp.ptrSize);
    // `where` is the object's l_name, with its NUL.
    const dirs = this.fillin(owner, rpath.split(":"), owner.name.length + 1);
    this.malloc.free(copy);
    if (dirs === null) this.malloc.free(result);
    return dirs;
  }

  /** fillin_rpath: each element expanded, and a new r_search_path_elem for a directory not known yet. */
  private fillin(owner: PathOwner, elements: string[], whereLength: number): string[] | null {
    const dirs: string[] = [];
    for (const element of elements) {
      let dir = "";
      let toFree: bigint | undefined;
      if (element !== "") {
        const expanded = this.expand(owner, element);
        toFree = expanded.at;
        dir = expanded.text;
        if (dir === "") {
          this.malloc.free(toFree);
          continue;
        }
        dir = dir.length > 1 ? dir.replace(/(.)\/+$/, "$1") : dir;
        if (!dir.endsWith("/")) dir += "/";
      }
      if (!this.known.has(dir)) {
        // A new directory: the element, its hwcaps statuses, `where` and the name.
        this.malloc.alloc(this.elemBase + whereLength + dir.length + 1);
        this.known.add(dir);
      }
      if (!dirs.includes(dir)) dirs.push(dir);
      if (toFree !== undefined) this.malloc.free(toFree);
    }
    return dirs.length === 0 ? null : dirs;
  }

  /**
   * _dl_init_paths' LD_LIBRARY_PATH (elf/dl-load.c): a copy on the stack (strdupa), the result array of
   * one pointer per element plus one, then fillin_rpath with ":;" as separators and no `where`, DSTs
   * expanded for the program.
   */
  envPath(main: PathOwner, llp: string): string[] | null {
    const elements = llp.split(/[:;]/);
    this.malloc.alloc((elements.length + 1) * this.rp.ptrSize);
    return this.fillin(main, elements, 0);
  }

  /** expand_dynamic_string_token: a strdup, or DL_DST_REQUIRED bytes for the substituted string. */
  expand(owner: PathOwner, input: string): { text: string; at: bigint } {
    const count = input.match(DST)?.length ?? 0;
    if (count === 0) return { text: input, at: this.malloc.alloc(input.length + 1) };
    if (owner.origin === undefined) {
      // _dl_get_origin for the program: the directory of /proc/self/exe, malloc'ed with its slash.
      const exe = owner.exePath ?? "/";
      const slash = exe.lastIndexOf("/");
      this.malloc.alloc(slash + 2);
      owner.origin = dirName(exe);
    }
    const dstLen = Math.max(owner.origin.length, this.platform.length, this.dstLib.length);
    const total = input.length + (dstLen > 4 ? count * (dstLen - 4) : 0);
    const at = this.malloc.alloc(total + 1);
    const origin = owner.origin;
    const text = input.replace(DST, (_m, a: string | undefined, b: string | undefined) => {
      const name = a ?? b;
      return name === "ORIGIN" ? origin : name === "PLATFORM" ? this.platform : this.dstLib;
    });
    return { text, at };
  }
}

/** The search directory a library was found in (a glibc-hwcaps subdirectory counts as its parent). */
function foundIn(path: string): string {
  return `${dirName(path).replace(/\/glibc-hwcaps\/[^/]+$/, "")}/`.replace(/^\/\/$/, "/");
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
    // A hole, as `maps` calls the no-access gap inside a file's span.
    vm.protect(bias + first.mapend, bias + last.mapstart, "---p", "hole");
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
  // The unique symbols defined by the loaded objects (read field by field: a C program has none, and
  // decoding every dynamic symbol of libc and the program cost more than the rest of the replay)...
  const defined = new Set<string>();
  for (const f of files) {
    try {
      for (const sh of f.sectionHeaders) {
        if (sh.sh_type !== SHT_DYNSYM) continue;
        const syms = new SymbolTableView(f, sh);
        for (const i of syms.withBinding(STB_GNU_UNIQUE)) {
          const name = syms.shndx(i) !== 0 ? syms.name(i) : undefined;
          if (name) defined.add(name);
        }
      }
    } catch {
      // unreadable symbols: nothing counted
    }
  }
  if (defined.size === 0) return 0;
  // ...that some non-PLT dynamic relocation refers to (PLT slots are bound lazily, after the entry point).
  const bound = new Set<string>();
  for (const f of files) {
    try {
      for (const sh of f.sectionHeaders) {
        if (sectionRelocationKind(sh) === undefined || (f.sectionName(sh) ?? "").endsWith(".plt")) continue;
        const link = f.sectionHeaders[sh.sh_link];
        if (!link || link.sh_type !== SHT_DYNSYM) continue;
        const syms = new SymbolTableView(f, link);
        const seen = new Uint8Array(syms.count);
        for (const sym of sectionRelocationSymbols(f, sh)) {
          if (sym >= syms.count || seen[sym]) continue;
          seen[sym] = 1;
          const name = syms.name(sym);
          if (name && defined.has(name)) bound.add(name);
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

/**
 * Which object's DT_NEEDED caused each load, with its run-path facts: replays _dl_map_object_deps's
 * breadth-first queue (the program, then each library as it is loaded, and ld.so where a DT_NEEDED
 * first names it). A step that does not pair up with its object's DT_NEEDED list leaves its loads
 * without a loader (their search is then not modelled).
 */
function replayQueue(
  steps: EntryStep[],
  main: PathOwner,
  rtld: MappedFile,
  preloads: PathOwner[] = [],
): Map<EntryLibrary | FakedLibrary, PathOwner> {
  const loaderOf = new Map<EntryLibrary | FakedLibrary, PathOwner>();
  const rtldOwner = pathOwner(rtld.file, rtld.path, dirName(rtld.path));
  let rtldSoname: string | undefined;
  try {
    rtldSoname = dynamicInfo(rtld.file)?.soname;
  } catch {
    rtldSoname = undefined;
  }
  const isRtld = (name: string): boolean =>
    name === rtld.path ||
    (rtldSoname !== undefined && (name === rtldSoname || name.endsWith(`/${rtldSoname}`)));
  // _dl_map_object_deps starts from the program and the preloaded objects.
  const queue: Array<PathOwner | undefined> = [main, ...preloads];
  let rtldQueued = false;
  steps.forEach((step, i) => {
    const owner = queue[i];
    const queued = queue.length;
    const rtldWasQueued = rtldQueued;
    let j = 0;
    for (const name of owner?.needed ?? []) {
      const lib = step.loads[j];
      if (owner && lib && lib.name === name) {
        // A faked link_map has no dynamic section: nothing to search for it.
        const self = isFaked(lib)
          ? { name, origin: undefined, needed: [], rpath: undefined, runpath: undefined, loader: owner }
          : pathOwner(lib.file.file, lib.openedPath, dirName(lib.openedPath), owner);
        loaderOf.set(lib, owner);
        queue.push(self);
        j++;
      } else if (!rtldQueued && isRtld(name)) {
        rtldQueued = true;
        queue.push(rtldOwner);
      }
    }
    if (j !== step.loads.length) {
      // Out of step with the link graph: forget this step's pairing and keep the queue's length right.
      for (const lib of step.loads) loaderOf.delete(lib);
      queue.length = queued;
      rtldQueued = rtldWasQueued;
      for (let k = 0; k < step.loads.length; k++) queue.push(undefined);
    }
  });
  return loaderOf;
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

  /**
   * _dl_new_object's l_origin: a copy of an absolute name; else getcwd's buffer (realloc'ed 128 bytes
   * larger while getcwd says ERANGE) holding cwd + "/" + name, cut at its last slash.
   */
  const newObjectOrigin = (realname: string): string => {
    if (realname.startsWith("/")) {
      malloc.alloc(realname.length + 1);
      return dirName(realname);
    }
    const cwd = opts.cwd ?? "/";
    for (let len = realname.length + 1 + 128; ; len += 128) {
      // __minimal_realloc of the last block: given back, then allocated again at its new size.
      const at = malloc.alloc(len);
      if (cwd.length + 1 <= len - (realname.length + 1)) break;
      malloc.free(at);
    }
    return dirName(`${cwd.endsWith("/") ? cwd : `${cwd}/`}${realname}`);
  };

  let mainFile = exe;
  let mainBias = exec.loadBias;
  let mainOrigin: string | undefined;
  if (opts.mode === "ldd") {
    if (!opts.program) throw new Error("ldd mode needs the program");
    mainFile = opts.program;
    const h = mainFile.file.header;
    // _dl_map_object for the program named on ld.so's command line: its name, link_map, l_origin.
    const named = opts.programName ?? mainFile.path;
    malloc.alloc(named.length + 1);
    malloc.alloc(rp.linkMapSize + 16 * 2 * ptr + 3 * ptr + 1);
    mainOrigin = newObjectOrigin(named);
    mainBias = mapObject(vm, mainFile, h.e_type === 2 ? 0n : undefined);
  } else {
    // _dl_new_object for the program: room for DL_NNS audit states, an empty name.
    malloc.alloc(rp.linkMapSize + 16 * 2 * ptr + 3 * ptr + 1);
  }
  // setup_vdso's link_map is sized the same way (measured: 1481 bytes on x86-64 like the program's).
  malloc.alloc(rp.linkMapSize + 16 * 2 * ptr + 3 * ptr + 1);
  for (const n of rp.early) malloc.alloc(n);

  // _dl_init_paths decomposes the main map's DT_RUNPATH, else its DT_RPATH, right away.
  // l_name is "" (in ldd mode dl_main empties it once the program is mapped): the run paths' `where`.
  const mainOwner = pathOwner(mainFile.file, "", mainOrigin);
  mainOwner.exePath = mainFile.path;
  const paths = new SearchPaths(malloc, rp);
  if (mainOwner.runpath !== undefined) {
    paths.dirs(mainOwner, "runpath");
    mainOwner.rpathDirs = null;
  } else {
    mainOwner.runpathDirs = null;
    paths.dirs(mainOwner, "rpath");
  }
  const envDirs = opts.libraryPath ? paths.envPath(mainOwner, opts.libraryPath) : null;
  const preloadOwners = (opts.preloads ?? []).map((lib) =>
    pathOwner(lib.file.file, lib.openedPath, dirName(lib.openedPath), mainOwner),
  );
  const loaderOf = replayQueue(opts.steps, mainOwner, rtld, preloadOwners);

  // _dl_load_cache_lookup maps the whole cache read-only at the first search that gets that far (after
  // the run paths); dl_main unmaps it once loading is done.
  let cache: [bigint, bigint] | undefined;
  let cacheLooked = false;
  const lookInCache = (): void => {
    if (cacheLooked) return;
    cacheLooked = true;
    if (opts.cacheSize === undefined || opts.cacheSize <= 0n) return;
    const len = pageUp(opts.cacheSize);
    const at = vm.unmapped(len, 0n, true);
    vm.map(anonymous(at, at + len, "r--p", "mmap"));
    cache = [at, at + len];
  };
  /**
   * _dl_map_object's search before the cache: the loaders' DT_RPATH chain, the program's, LD_LIBRARY_PATH,
   * DT_RUNPATH.
   */
  const inRunPaths = (loader: PathOwner, dir: string): boolean => {
    if (loader.runpath === undefined) {
      let didMain = false;
      for (let l: PathOwner | undefined = loader; l; l = l.loader) {
        const dirs = paths.dirs(l, "rpath");
        if (!dirs) continue;
        if (dirs.includes(dir)) return true;
        if (l === mainOwner) didMain = true;
      }
      if (!didMain && paths.dirs(mainOwner, "rpath")?.includes(dir)) return true;
    }
    if (envDirs?.includes(dir)) return true;
    return paths.dirs(loader, "runpath")?.includes(dir) ?? false;
  };

  /**
   * _dl_map_object in trace mode when nothing was found: the whole search (every run path of the chain,
   * the cache), then a strdup of the name and _dl_new_object's link_map and l_origin.
   */
  const fakeObject = (name: string, loader: PathOwner | undefined): void => {
    if (name.includes("/")) {
      // expand_dynamic_string_token (or strdup), freed when open_verify fails.
      malloc.free(loader ? paths.expand(loader, name).at : malloc.alloc(name.length + 1));
    } else {
      if (loader) inRunPaths(loader, "\0nowhere");
      lookInCache();
    }
    malloc.alloc(name.length + 1);
    malloc.alloc(rp.linkMapSize + ptr + 2 * ptr + name.length + 1);
    newObjectOrigin(name);
  };

  const loaded: Array<{ lib: EntryLibrary; bias: bigint }> = [];
  for (const lib of opts.preloads ?? []) loaderOf.set(lib, mainOwner);
  const preloadStep: EntryStep = { main: true, needed: 0, loads: opts.preloads ?? [] };
  for (const step of [preloadStep, ...opts.steps]) {
    for (const lib of step.loads) {
      const loader = loaderOf.get(lib);
      if (isFaked(lib)) {
        fakeObject(lib.name, loader);
        continue;
      }
      if (lib.name.includes("/")) {
        // A name with a slash is opened as is, after DST expansion (expand_dynamic_string_token).
        if (loader) paths.expand(loader, lib.name);
        else malloc.alloc(lib.name.length + 1);
      } else {
        if (!loader || !inRunPaths(loader, foundIn(lib.openedPath))) lookInCache();
        // The cache's strdup of its path, or open_path's malloc of the directory plus the name.
        malloc.alloc(lib.openedPath.length + 1);
      }
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
    vm.map({ ...anonymous(exec.brk, exec.brk + rp.firstHeap, "rw-p", "heap"), path: "[heap]" });
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
