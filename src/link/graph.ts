import {
  DT_FLAGS_1,
  DT_NEEDED,
  DT_RPATH,
  DT_RUNPATH,
  DT_SONAME,
  DT_STRSZ,
  DT_STRTAB,
  ELFOSABI_GNU,
  ELFOSABI_NONE,
  ET_DYN,
  ET_EXEC,
  PT_DYNAMIC,
  PT_INTERP,
} from "../elf/constants.js";
import { dynamicTable, dynamicValue } from "../elf/dynamic.js";
import { describeElfError, ElfError, ElfErrorCode, isElfError } from "../elf/errors.js";
import { ElfFile } from "../elf/file.js";
import { latin1 } from "../elf/strings.js";
import { CacheIndex, type CacheLookupOptions } from "./ld-cache.js";
import type { LinkFs } from "./link-fs.js";
import { detectX86Level, type LinkProfile, profileFor, x86HwcapsFor } from "./profile.js";
import {
  type Attempt,
  type FoundVia,
  muslSystemPath,
  originOf,
  type SearchContext,
  type SearchObject,
  searchLibrary,
  type VerifyResult,
} from "./search.js";

/** The facts about a candidate file that loading needs (from its header and dynamic section). */
export interface ObjectInfo {
  soname: string | undefined;
  needed: string[];
  rpath: string | undefined;
  runpath: string | undefined;
  flags1: bigint;
  /** File identity (_dl_file_id_match_p compares st_dev/st_ino; the real path stands in for them). */
  id: string;
}

export type ObjectKind = "main" | "library" | "preload" | "interpreter" | "vdso" | "missing";

/** One link_map: an object of the process, or a library that was not found (l_faked). */
export interface LinkedObject extends SearchObject {
  kind: ObjectKind;
  /** l_libname: the first name it was asked for (what ldd prints left of `=>`). */
  name: string;
  /** Every name it answers to (l_libname list; the SONAME is matched separately). */
  names: Set<string>;
  /** How it was found; undefined for the main program, the interpreter, the vDSO and missing ones. */
  via: FoundVia | undefined;
  soname: string | undefined;
  needed: string[];
  id: string | undefined;
  loader: LinkedObject | undefined;
  /** DT_NEEDED edges in order: `loaded` marks the edge that caused the load. */
  deps: Array<{ name: string; object: LinkedObject; loaded: boolean }>;
  /** For a missing library (and any found one), the paths tried before. */
  tried: Attempt[];
}

export interface LinkGraph {
  file: string;
  flavor: "glibc" | "musl";
  profile: LinkProfile;
  interpreter: string | undefined;
  /** No PT_DYNAMIC: nothing to load. */
  dynamic: boolean;
  main: LinkedObject;
  /** The link_map chain in ldd's order: main, vDSO, preloads, libraries (interpreter where it is needed). */
  objects: LinkedObject[];
  /** The breadth-first search list (symbol lookup scope): main, preloads, dependencies. */
  searchList: LinkedObject[];
  /** ld.so's error that ended the load ("/x/libz.so: invalid ELF header"), if any. */
  fatal: string | undefined;
  /** Non-fatal complaints (an LD_PRELOAD that cannot be loaded). */
  warnings: string[];
}

export interface LinkOptions {
  fs: LinkFs;
  /** LD_LIBRARY_PATH and LD_PRELOAD as the program would see them. */
  env?: Record<string, string | undefined>;
  /**
   * "exec": as when the program is run ($ORIGIN of the executable is its real directory, the interpreter
   * named by PT_INTERP). "ldd": as `ldd` sees it (ld.so run directly: $ORIGIN from the path as given,
   * the interpreter is ldd's ld.so).
   */
  mode?: "exec" | "ldd";
  /** x86-64 level 1..4 instead of the CPU's (picks the glibc-hwcaps subdirectories). */
  x86Level?: number;
}

export class LinkError extends Error {
  override readonly name = "LinkError";
  constructor(
    readonly reason: "not-elf" | "unsupported",
    message: string,
    /** The file the message is about; the message then starts with `${path}: `. */
    readonly path?: string,
  ) {
    super(message);
  }
}

type DynamicFacts = Omit<ObjectInfo, "id">;

/**
 * The dynamic section's names as ld.so reads them: DT_STRTAB is an address mapped through PT_LOAD, so
 * section headers (possibly stripped or lying) play no part.
 */
function readDynamic(file: ElfFile): DynamicFacts | undefined {
  const table = dynamicTable(file);
  if (!table) return undefined;
  const entries = table.entries;
  const facts: DynamicFacts = {
    soname: undefined,
    needed: [],
    rpath: undefined,
    runpath: undefined,
    flags1: 0n,
  };
  const strtab = dynamicValue(entries, DT_STRTAB);
  const strsz = dynamicValue(entries, DT_STRSZ);
  let strings: Uint8Array | undefined;
  if (strtab !== undefined && strsz !== undefined) {
    const offset = file.vaddrToOffset(strtab);
    if (offset !== undefined) {
      const max = BigInt(file.size) - offset;
      strings = file.read(offset, strsz < max ? strsz : max, "DT_STRTAB");
    }
  }
  const str = (v: bigint): string => {
    const at = Number(v);
    const end = strings ? strings.indexOf(0, at) : -1;
    if (!strings || at >= strings.length || end < 0) {
      throw new ElfError(
        ElfErrorCode.BadIndex,
        "DT_STRTAB",
        undefined,
        `string offset 0x${v.toString(16)} is out of range`,
      );
    }
    return latin1(strings.subarray(at, end));
  };
  for (const e of entries) {
    if (e.d_tag === DT_NEEDED) facts.needed.push(str(e.d_val));
    else if (e.d_tag === DT_SONAME) facts.soname = str(e.d_val);
    else if (e.d_tag === DT_RPATH) facts.rpath = str(e.d_val);
    else if (e.d_tag === DT_RUNPATH) facts.runpath = str(e.d_val);
    else if (e.d_tag === DT_FLAGS_1) facts.flags1 = e.d_val;
  }
  return facts;
}

const MUSL_INTERP = /\/ld-musl-([^/]+)\.so\.1$/;

/**
 * Loads programs' dependency graphs as ld.so would, never running anything. One session shares parsed
 * libraries and the cache between programs (`anatomy deps /usr/bin/*` reads libc once).
 */
export class LinkSession {
  private readonly verified = new Map<string, VerifyResult<ObjectInfo>>();
  private readonly caches = new Map<string, CacheIndex | undefined>();
  private x86Level: number | undefined;
  constructor(readonly options: LinkOptions) {}

  private get fs(): LinkFs {
    return this.options.fs;
  }

  private cacheFor(profile: LinkProfile): CacheIndex | undefined {
    const key = profile.littleEndian ? "le" : "be";
    if (this.caches.has(key)) return this.caches.get(key);
    let index: CacheIndex | undefined;
    const bytes = this.fs.readFile("/etc/ld.so.cache");
    if (bytes) {
      try {
        index = CacheIndex.over(bytes, profile.littleEndian);
      } catch (e) {
        if (!isElfError(e)) throw e;
      }
    }
    this.caches.set(key, index);
    return index;
  }

  /** open_verify, memoised per path for this profile. */
  private verify(path: string, profile: LinkProfile): VerifyResult<ObjectInfo> {
    const key = `${profile.triplet}\0${path}`;
    let v = this.verified.get(key);
    if (!v) {
      v = this.verifyUncached(path, profile);
      this.verified.set(key, v);
    }
    return v;
  }

  private verifyUncached(path: string, profile: LinkProfile): VerifyResult<ObjectInfo> {
    const src = this.fs.open(path);
    if (!src) return { status: "missing" };
    try {
      if (src.size < 4) return { status: "fatal", message: "file too short" };
      const file = ElfFile.open(src);
      const h = file.header;
      if (h.ei_class !== (profile.is64 ? 2 : 1)) {
        return { status: "skipped", reason: `wrong ELF class: ELFCLASS${h.ei_class === 2 ? 64 : 32}` };
      }
      if (h.ei_data !== (profile.littleEndian ? 1 : 2)) {
        return {
          status: "fatal",
          message: `ELF file data encoding not ${profile.littleEndian ? "little" : "big"}-endian`,
        };
      }
      if (h.ei_osabi !== ELFOSABI_NONE && h.ei_osabi !== ELFOSABI_GNU) {
        return { status: "fatal", message: "ELF file OS ABI invalid" };
      }
      if (h.e_machine !== profile.machine)
        return { status: "skipped", reason: `wrong machine ${h.e_machine}` };
      if (h.e_type !== ET_DYN && h.e_type !== ET_EXEC) {
        return { status: "fatal", message: "only ET_DYN and ET_EXEC can be loaded" };
      }
      const info = readDynamic(file);
      return {
        status: "ok",
        info: {
          soname: info?.soname,
          needed: info?.needed ?? [],
          rpath: info?.rpath,
          runpath: info?.runpath,
          flags1: info?.flags1 ?? 0n,
          id: this.fs.realpath(path) ?? path,
        },
      };
    } catch (e) {
      if (!isElfError(e)) throw e;
      if (e.code === "not-elf") return { status: "fatal", message: "invalid ELF header" };
      return { status: "fatal", message: describeElfError(e) };
    } finally {
      src.close?.();
    }
  }

  private hwcapsSubdirs(profile: LinkProfile): string[] {
    if (profile.hwcaps.length === 0) return [];
    if (profile.triplet === "x86_64-linux-gnu") {
      this.x86Level ??= this.options.x86Level ?? detectX86Level(this.fs);
      return x86HwcapsFor(this.x86Level);
    }
    return profile.hwcaps;
  }

  /** The dependency graph of `path`. Throws LinkError when it is not an ELF file ld.so could load. */
  link(path: string): LinkGraph {
    const fs = this.fs;
    const mode = this.options.mode ?? "exec";
    const env = this.options.env ?? {};
    const src = fs.open(path);
    if (!src) throw new LinkError("not-elf", `${path}: ${fs.openProblem?.(path) ?? "cannot open"}`, path);
    let file: ElfFile;
    let interp: string | undefined;
    let dynamic: boolean;
    try {
      file = ElfFile.open(src);
      const ip = file.segmentsOfType(PT_INTERP)[0];
      if (ip) {
        const bytes = file.read(ip.p_offset, ip.p_filesz, "PT_INTERP");
        const nul = bytes.indexOf(0);
        interp = latin1(nul >= 0 ? bytes.subarray(0, nul) : bytes);
      }
      dynamic = file.segmentsOfType(PT_DYNAMIC).length > 0;
    } catch (e) {
      src.close?.();
      if (isElfError(e)) throw new LinkError("not-elf", `${path}: ${describeElfError(e)}`, path);
      throw e;
    }
    const profile = profileFor(file.header);
    if (!profile) {
      src.close?.();
      throw new LinkError("unsupported", `${path}: machine ${file.header.e_machine} is not modelled`, path);
    }
    let mainInfo: ObjectInfo;
    try {
      const info = dynamic ? readDynamic(file) : undefined;
      mainInfo = {
        soname: info?.soname,
        needed: info?.needed ?? [],
        rpath: info?.rpath,
        runpath: info?.runpath,
        flags1: info?.flags1 ?? 0n,
        id: fs.realpath(path) ?? path,
      };
    } catch (e) {
      if (isElfError(e)) throw new LinkError("not-elf", `${path}: ${describeElfError(e)}`, path);
      throw e;
    } finally {
      src.close?.();
    }
    const musl = interp !== undefined && MUSL_INTERP.test(interp);
    const flavor = musl ? "musl" : "glibc";
    const cwd = fs.cwd();
    const real = fs.realpath(path);
    const main: LinkedObject = {
      kind: "main",
      name: path,
      names: new Set(mode === "ldd" ? [path] : []),
      path,
      origin: mode === "ldd" || !real ? originOf(path, cwd) : originOf(real, cwd),
      via: undefined,
      soname: mainInfo.soname,
      needed: mainInfo.needed,
      rpath: mainInfo.rpath,
      runpath: mainInfo.runpath,
      flags1: mainInfo.flags1,
      id: mainInfo.id,
      loader: undefined,
      deps: [],
      tried: [],
    };
    const graph: LinkGraph = {
      file: path,
      flavor,
      profile,
      interpreter: interp,
      dynamic,
      main,
      objects: [main],
      searchList: [main],
      fatal: undefined,
      warnings: [],
    };
    if (!dynamic) return graph;

    const hwcaps = this.hwcapsSubdirs(profile);
    const priorities = new Map(hwcaps.map((n, i) => [n, i + 1]));
    const cacheOptions: CacheLookupOptions = {
      acceptFlags: profile.cacheFlags,
      defaultId: profile.cacheDefaultId,
      hwcapsPriority: (n) => priorities.get(n) ?? 0,
    };
    const ctx: SearchContext<ObjectInfo> = {
      fs,
      profile,
      flavor,
      cache: musl ? undefined : this.cacheFor(profile),
      cacheOptions,
      libraryPath: env.LD_LIBRARY_PATH || undefined,
      main,
      subdirs: musl
        ? [""]
        : [...hwcaps.map((h) => `glibc-hwcaps/${h}/`), ...profile.legacySubdirs.map((s) => `${s}/`), ""],
      muslPath: musl ? muslSystemPath(fs, profile.muslArch) : [],
      verify: (p) => this.verify(p, profile),
    };

    // Objects present before any DT_NEEDED is processed: ld.so itself and the vDSO.
    const loaded: LinkedObject[] = [main];
    const created: LinkedObject[] = [];
    const special = (kind: ObjectKind, name: string, objPath: string): LinkedObject => ({
      kind,
      name,
      names: new Set([name]),
      path: objPath,
      origin: originOf(objPath, cwd),
      via: undefined,
      soname: undefined,
      needed: [],
      rpath: undefined,
      runpath: undefined,
      flags1: 0n,
      id: undefined,
      loader: undefined,
      deps: [],
      tried: [],
    });
    let rtld: LinkedObject | undefined;
    if (!musl) {
      const rtldPath = mode === "ldd" ? profile.rtld : (interp ?? profile.rtld);
      rtld = special("interpreter", interp ?? rtldPath, rtldPath);
      const v = this.verify(rtldPath, profile);
      rtld.soname = v.status === "ok" ? v.info.soname : rtldPath.slice(rtldPath.lastIndexOf("/") + 1);
      loaded.push(rtld);
    } else if (interp) {
      // musl's ld.so is its libc: it answers to "libc.so" and its own path.
      rtld = special("interpreter", interp, interp);
      rtld.names.add("libc.so");
      loaded.push(rtld);
    }
    let vdso: LinkedObject | undefined;
    if (profile.vdso && !musl) {
      vdso = special("vdso", profile.vdso, profile.vdso);
      vdso.soname = profile.vdso;
      loaded.push(vdso);
    }

    const inSearchList = new Set<LinkedObject>([main]);
    const map = (
      name: string,
      loader: LinkedObject,
      kind: "library" | "preload",
    ): LinkedObject | undefined => {
      for (const l of loaded) {
        if (l.path === name || l.names.has(name) || l.soname === name) return l;
      }
      const r = searchLibrary(name, loader, ctx);
      if (r.fatal) {
        graph.fatal ??= `${r.fatal.path}: ${r.fatal.message}`;
        return undefined;
      }
      if (r.found) {
        const { info } = r.found;
        for (const l of loaded) {
          if (l.id !== undefined && l.id === info.id) {
            l.names.add(name);
            return l;
          }
        }
        const obj: LinkedObject = {
          kind,
          name,
          names: new Set([name]),
          path: r.found.path,
          origin: originOf(r.found.path, cwd),
          via: r.found.via,
          soname: info.soname,
          needed: info.needed,
          rpath: info.rpath,
          runpath: info.runpath,
          flags1: info.flags1,
          id: info.id,
          loader,
          deps: [],
          tried: r.tried,
        };
        loaded.push(obj);
        created.push(obj);
        return obj;
      }
      if (kind === "preload") {
        graph.warnings.push(
          `ERROR: ld.so: object '${name}' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored.`,
        );
        return undefined;
      }
      // l_faked: not matched by later requests, so each one is reported.
      const missing: LinkedObject = { ...special("missing", name, name), loader, tried: r.tried };
      created.push(missing);
      return missing;
    };

    const queue: LinkedObject[] = [main];
    for (const p of (env.LD_PRELOAD ?? "").split(/[ :]/)) {
      if (p === "" || graph.fatal) continue;
      const obj = map(p, main, "preload");
      if (obj && !inSearchList.has(obj)) {
        inSearchList.add(obj);
        queue.push(obj);
      }
    }
    for (let i = 0; i < queue.length && !graph.fatal; i++) {
      const obj = queue[i]!;
      for (const name of obj.needed) {
        const before = created.length;
        const target = map(name, obj, "library");
        if (!target) break;
        obj.deps.push({ name, object: target, loaded: created.length > before && created.at(-1) === target });
        if (!inSearchList.has(target)) {
          inSearchList.add(target);
          queue.push(target);
        }
      }
    }
    graph.searchList = queue;

    // The chain: main, vDSO, then objects in mapping order; ld.so moves behind its predecessor in the
    // search list when something needs it (dl_main), else it is not shown.
    const chain: LinkedObject[] = [main];
    if (vdso) chain.push(vdso);
    chain.push(...created);
    if (rtld) {
      const at = queue.indexOf(rtld);
      if (at > 0) {
        const prev = queue[at - 1]!;
        chain.splice(chain.indexOf(prev) + 1, 0, rtld);
      }
    }
    graph.objects = chain;
    return graph;
  }
}
