import { DF_1_NODEFLIB } from "../elf/constants.js";
import type { CacheIndex, CacheLookupOptions } from "./ld-cache.js";
import type { LinkFs } from "./link-fs.js";
import type { LinkProfile } from "./profile.js";

/** Where a library was found, in the words `anatomy deps` prints. */
export type FoundVia =
  | "path" // the name holds a `/`
  | "rpath"
  | "LD_LIBRARY_PATH"
  | "runpath"
  | "ld.so.cache"
  | "default"
  | "musl-path"; // musl: /etc/ld-musl-ARCH.path or its built-in default

/** The parts of a link_map the search reads. */
export interface SearchObject {
  /** l_name: the path it was opened under ("" never: the main program gets its path). */
  path: string;
  /** l_origin: the $ORIGIN expansion, undefined when unknown. */
  origin: string | undefined;
  rpath: string | undefined;
  runpath: string | undefined;
  flags1: bigint;
  /** l_loader: the object whose dependency caused this one to load. */
  loader: SearchObject | undefined;
}

/** What open_verify (elf/dl-load.c) concluded about one candidate file. */
export type VerifyResult<T> =
  | { status: "ok"; info: T }
  | { status: "missing" }
  /** Wrong class or machine: "not a fatal error", the search goes on. */
  | { status: "skipped"; reason: string }
  /** Any other problem ends the load with an error. */
  | { status: "fatal"; message: string };

export interface Attempt {
  path: string;
  via: FoundVia;
  /** "missing", or why an existing file was passed over. */
  result: string;
}

export interface SearchResult<T> {
  found: { path: string; via: FoundVia; info: T } | undefined;
  tried: Attempt[];
  fatal: { path: string; message: string } | undefined;
}

export interface SearchContext<T> {
  fs: LinkFs;
  profile: LinkProfile;
  flavor: "glibc" | "musl";
  /** The cache (glibc only), or undefined when /etc/ld.so.cache is missing or unreadable. */
  cache: CacheIndex | undefined;
  cacheOptions: CacheLookupOptions;
  /** LD_LIBRARY_PATH as set, or undefined. */
  libraryPath: string | undefined;
  /** The executable: its DT_RPATH is the last of the inherited chain. */
  main: SearchObject;
  /** Subdirectories tried in each directory, each ending in "/", the directory itself ("") last. */
  subdirs: string[];
  /** musl's system path (from /etc/ld-musl-ARCH.path or the default). */
  muslPath: string[];
  verify(path: string): VerifyResult<T>;
}

/** _dl_new_object's l_origin: the directory of `path` made absolute with `cwd`, symbolic links kept. */
export function originOf(path: string, cwd: string): string {
  let full = path.startsWith("/") ? path : `${cwd}${cwd.endsWith("/") ? "" : "/"}${path}`;
  const slash = full.lastIndexOf("/");
  full = slash <= 0 ? "/" : full.slice(0, slash);
  return full;
}

/** is_dst: `$NAME` not followed by an identifier character, or `${NAME}`; returns the length after `$`. */
function isDst(s: string, at: number, ref: string): number {
  let i = at;
  const curly = s[i] === "{";
  if (curly) i++;
  if (!s.startsWith(ref, i)) return 0;
  const next = s[i + ref.length];
  if (curly) return next === "}" ? ref.length + 2 : 0;
  if (next !== undefined && /[A-Za-z0-9_]/.test(next)) return 0;
  return ref.length;
}

/**
 * _dl_dst_substitute: $ORIGIN, $PLATFORM and $LIB (also as ${NAME}). A recognised token without a value
 * (an unknown origin, an empty platform) discards the whole element: undefined. Unknown `$X` stays.
 */
export function expandDst(
  input: string,
  obj: SearchObject | undefined,
  profile: LinkProfile,
): string | undefined {
  if (!input.includes("$")) return input;
  let out = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== "$") {
      out += c;
      continue;
    }
    let len: number;
    let repl: string | undefined;
    if ((len = isDst(input, i + 1, "ORIGIN")) !== 0) repl = obj?.origin;
    else if ((len = isDst(input, i + 1, "PLATFORM")) !== 0) repl = profile.platform || undefined;
    else if ((len = isDst(input, i + 1, "LIB")) !== 0) repl = profile.lib;
    if (len === 0) {
      out += "$";
      continue;
    }
    if (repl === undefined) return undefined;
    out += repl;
    i += len;
  }
  return out;
}

/**
 * fillin_rpath: split a path list, expand tokens, drop elements that expand to nothing, strip trailing
 * slashes and add one ("" stays "": the working directory), and drop repeats within the list.
 */
export function decomposePath(
  list: string,
  separators: string,
  obj: SearchObject | undefined,
  profile: LinkProfile,
): string[] {
  const dirs: string[] = [];
  const re = separators === ":" ? /:/ : /[:;]/;
  for (const element of list.split(re)) {
    let dir = "";
    if (element !== "") {
      const expanded = expandDst(element, obj, profile);
      if (expanded === undefined || expanded === "") continue;
      let len = expanded.length;
      while (len > 1 && expanded[len - 1] === "/") len--;
      dir = expanded.slice(0, len);
      if (!dir.endsWith("/")) dir += "/";
    }
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/** open_path: each directory with its hwcaps subdirectories, first verified file wins. */
function openPath<T>(
  name: string,
  dirs: string[],
  via: FoundVia,
  ctx: SearchContext<T>,
  result: SearchResult<T>,
  subdirs: string[],
): boolean {
  for (const dir of dirs) {
    for (const sub of subdirs) {
      const path = dir + sub + name;
      const v = ctx.verify(path);
      if (v.status === "ok") {
        result.found = { path, via, info: v.info };
        return true;
      }
      if (v.status === "fatal") {
        result.fatal = { path, message: v.message };
        return true;
      }
      result.tried.push({ path, via, result: v.status === "missing" ? "missing" : v.reason });
    }
  }
  return false;
}

/** The directory part of a cache value, with its slash, for the DF_1_NODEFLIB test. */
function isSystemDir(path: string, profile: LinkProfile): boolean {
  const dir = path.slice(0, path.lastIndexOf("/"));
  return profile.systemDirs.includes(dir);
}

/**
 * _dl_map_object's search for a DT_NEEDED (or LD_PRELOAD) `name` requested by `requester`, glibc 2.36
 * order: DT_RPATH of the requester and its loaders up to the executable (only when the requester has
 * no DT_RUNPATH), LD_LIBRARY_PATH, the requester's own DT_RUNPATH, /etc/ld.so.cache, the system
 * directories (these two unless the requester has DF_1_NODEFLIB; a cache hit outside them still counts).
 */
export function searchLibrary<T>(
  name: string,
  requester: SearchObject,
  ctx: SearchContext<T>,
): SearchResult<T> {
  const result: SearchResult<T> = { found: undefined, tried: [], fatal: undefined };
  const { profile } = ctx;
  if (name.includes("/")) {
    const path = expandDst(name, requester, profile);
    if (path === undefined || path === "") {
      result.tried.push({ path: name, via: "path", result: "unknown $ORIGIN" });
      return result;
    }
    openPath(path, [""], "path", ctx, result, [""]);
    return result;
  }
  if (ctx.flavor === "musl") return searchMusl(name, requester, ctx, result);

  const subdirs = ctx.subdirs;
  if (requester.runpath === undefined) {
    let didMain = false;
    for (let l: SearchObject | undefined = requester; l; l = l.loader) {
      if (l.rpath === undefined || l.rpath === "") continue;
      const dirs = decomposePath(l.rpath, ":", l, profile);
      if (openPath(name, dirs, "rpath", ctx, result, subdirs)) return result;
      if (l === ctx.main) didMain = true;
    }
    const main = ctx.main;
    if (!didMain && main.rpath) {
      if (openPath(name, decomposePath(main.rpath, ":", main, profile), "rpath", ctx, result, subdirs))
        return result;
    }
  }
  if (ctx.libraryPath) {
    const dirs = decomposePath(ctx.libraryPath, ":;", ctx.main, profile);
    if (openPath(name, dirs, "LD_LIBRARY_PATH", ctx, result, subdirs)) return result;
  }
  if (requester.runpath) {
    const dirs = decomposePath(requester.runpath, ":", requester, profile);
    if (openPath(name, dirs, "runpath", ctx, result, subdirs)) return result;
  }
  const nodeflib = (requester.flags1 & DF_1_NODEFLIB) !== 0n;
  const hit = ctx.cache?.lookup(name, ctx.cacheOptions);
  if (hit && !(nodeflib && isSystemDir(hit.value, profile))) {
    const v = ctx.verify(hit.value);
    if (v.status === "ok") {
      result.found = { path: hit.value, via: "ld.so.cache", info: v.info };
      return result;
    }
    if (v.status === "fatal") {
      result.fatal = { path: hit.value, message: v.message };
      return result;
    }
    result.tried.push({
      path: hit.value,
      via: "ld.so.cache",
      result: v.status === "missing" ? "missing" : v.reason,
    });
  }
  if (!nodeflib) {
    const dirs = profile.systemDirs.map((d) => (d.endsWith("/") ? d : `${d}/`));
    openPath(name, dirs, "default", ctx, result, subdirs);
  }
  return result;
}

/**
 * musl's ldso/dynlink.c load_library: LD_LIBRARY_PATH first, then DT_RUNPATH (or DT_RPATH when there is
 * none) of the requester and each of its loaders in turn, then the system path; no cache, no hwcaps.
 */
function searchMusl<T>(
  name: string,
  requester: SearchObject,
  ctx: SearchContext<T>,
  result: SearchResult<T>,
): SearchResult<T> {
  const { profile } = ctx;
  if (ctx.libraryPath) {
    const dirs = decomposePath(ctx.libraryPath, ":", ctx.main, profile).filter((d) => d !== "");
    if (openPath(name, dirs, "LD_LIBRARY_PATH", ctx, result, [""])) return result;
  }
  for (let l: SearchObject | undefined = requester; l; l = l.loader) {
    const list = l.runpath ?? l.rpath;
    if (!list) continue;
    const via: FoundVia = l.runpath !== undefined ? "runpath" : "rpath";
    // musl expands $ORIGIN only.
    const dirs = decomposePath(list, ":", l, { ...profile, lib: "$LIB", platform: "" });
    if (openPath(name, dirs, via, ctx, result, [""])) return result;
  }
  const dirs = ctx.muslPath.map((d) => (d.endsWith("/") ? d : `${d}/`));
  openPath(name, dirs, "musl-path", ctx, result, [""]);
  return result;
}

/** The directories musl searches last: /etc/ld-musl-ARCH.path (newline or colon separated) or its default. */
export function muslSystemPath(fs: LinkFs, arch: string): string[] {
  const bytes = fs.readFile(`/etc/ld-musl-${arch}.path`);
  if (!bytes) return ["/lib", "/usr/local/lib", "/usr/lib"];
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return text.split(/[\n:]/).filter((d) => d !== "");
}
