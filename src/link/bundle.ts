import { SHN_UNDEF, SHT_DYNSYM } from "../elf/constants.js";
import { isElfError } from "../elf/errors.js";
import { ElfFile } from "../elf/file.js";
import { readNotes } from "../elf/note.js";
import { latin1 } from "../elf/strings.js";
import { LinkError, type LinkedObject, type LinkGraph, LinkSession } from "./graph.js";
import type { LinkFs } from "./link-fs.js";

/**
 * The plan of `anatomy bundle`: every file a program needs to run in an empty root, found statically.
 *
 * Layout decisions (see the report in the command's help):
 * - Everything keeps its absolute path from the source root: the program, PT_INTERP, each library
 *   where the search found it. RPATH/RUNPATH ($ORIGIN included) and the default directories then work
 *   unchanged, so no ld.so.cache is needed, except when a library was found through the cache in a
 *   directory outside the default ones: then the source's /etc/ld.so.cache is copied as is.
 * - Symbolic links met on the way (/lib -> usr/lib, /lib64/ld-linux-x86-64.so.2 -> /lib/..., libz.so.1
 *   -> libz.so.1.2.13) are recreated as links, with their targets.
 * - glibc's run-time dlopen()s: NSS modules named by the source's /etc/nsswitch.conf (only when a
 *   loaded object imports an NSS function), gconv modules (only when one imports iconv_open), and the
 *   sonames of FDO `.note.dlopen` notes, each with its own dependencies.
 */

export type BundleKind =
  | "program"
  | "interpreter"
  | "library"
  | "soname-link"
  | "nss"
  | "gconv"
  | "dlopen"
  | "config"
  | "data";

export interface BundleEntry {
  kind: BundleKind;
  type: "file" | "symlink" | "directory";
  /** The path inside the bundle (as the program will see it under chroot). */
  path: string;
  /** Where the bytes come from, as the source root sees it; undefined for generated files. */
  source: string | undefined;
  /** A generated file's text. */
  content?: string;
  /** A symbolic link's target, as stored. */
  target?: string;
  /** Permission bits (st_mode & 07777). */
  mode: number;
  /** Bytes of a file; 0 otherwise. */
  size: number;
  reason: string;
}

export interface BundlePlan {
  program: string;
  interpreter: string | undefined;
  entries: BundleEntry[];
  /** Libraries (and dlopen sonames marked required) that could not be found. */
  missing: string[];
  warnings: string[];
}

export interface FileStat {
  type: "file" | "directory" | "symlink" | "other";
  mode: number;
  size: number;
}

/** LinkFs plus what copying needs: lstat(2) and readlink(2), inside the source root. */
export interface BundleFs extends LinkFs {
  lstat(path: string): FileStat | undefined;
  readlink(path: string): string | undefined;
}

export interface BundleOptions {
  fs: BundleFs;
  env?: Record<string, string | undefined>;
  x86Level?: number;
  /** Extra paths (files or trees) to copy, their ELF shared objects with their dependencies. */
  with?: string[];
  /** Add known interpreters' data directories (python3.X -> /usr/lib/python3.X). Default true. */
  dataDirs?: boolean;
  /** Write minimal /etc/passwd and /etc/group (root, nobody) when NSS is used. Default true. */
  accounts?: boolean;
}

/** Note type of FDO dlopen metadata (https://systemd.io/ELF_DLOPEN_METADATA/), owner "FDO". */
export const NT_FDO_DLOPEN_METADATA = 0x407c0c0a;

export interface DlopenFeature {
  feature: string | undefined;
  description: string | undefined;
  priority: string;
  soname: string[];
}

/** The JSON arrays of every FDO dlopen note of `file`; malformed descriptors are skipped. */
export function dlopenNotes(file: ElfFile): DlopenFeature[] {
  const out: DlopenFeature[] = [];
  for (const n of readNotes(file)) {
    if (n.name !== "FDO" || n.n_type !== NT_FDO_DLOPEN_METADATA) continue;
    const nul = n.desc.indexOf(0);
    const text = new TextDecoder("utf-8", { fatal: false }).decode(
      nul >= 0 ? n.desc.subarray(0, nul) : n.desc,
    );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      continue;
    }
    if (!Array.isArray(json)) continue;
    for (const item of json) {
      if (typeof item !== "object" || item === null) continue;
      const o = item as Record<string, unknown>;
      const sonames = Array.isArray(o.soname)
        ? o.soname.filter((s): s is string => typeof s === "string")
        : [];
      if (sonames.length === 0) continue;
      out.push({
        feature: typeof o.feature === "string" ? o.feature : undefined,
        description: typeof o.description === "string" ? o.description : undefined,
        // The spec's default priority is "recommended".
        priority: typeof o.priority === "string" ? o.priority : "recommended",
        soname: sonames,
      });
    }
  }
  return out;
}

/** Undefined dynamic symbols (imports) of `file`, from its SHT_DYNSYM sections. */
export function importedSymbols(file: ElfFile): Set<string> {
  const out = new Set<string>();
  try {
    for (const sh of file.sectionsOfType(SHT_DYNSYM)) {
      for (const s of file.symbols(sh)) if (s.st_shndx === SHN_UNDEF && s.name) out.add(s.name);
    }
  } catch (e) {
    if (!isElfError(e)) throw e;
  }
  return out;
}

/** Functions whose glibc implementation goes through NSS (nss/ databases), by prefix. */
const NSS_FUNCTION =
  /^(getpw|setpwent|endpwent|fgetpwent|getgr|setgrent|endgrent|initgroups|getsp|gethost|getaddrinfo|getnameinfo|getserv|getproto|getnet|getrpc|ether_|innetgr|setnetgrent|getnetgrent|getlogin|getusershell|getspnam)/;

/** NSS services that glibc >= 2.34 builds into libc (nss/nss_module.c): no dlopen for them. */
const BUILTIN_NSS = new Set(["files", "dns"]);

/** Services of each database line of nsswitch.conf (nss/nsswitch.c syntax: `db: svc [ACTION] svc`). */
export function nsswitchServices(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "");
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const rest = line.slice(colon + 1).replace(/\[[^\]]*\]/g, " ");
    for (const w of rest.split(/\s+/)) if (/^[A-Za-z0-9_-]+$/.test(w)) out.add(w);
  }
  return out;
}

/**
 * Interpreters whose standard library lives in a data directory: a program's or a loaded library's
 * file name -> directories (an embedded Python, as in gdb, needs the same tree).
 */
const KNOWN_DATA_DIRS: Array<[RegExp, (m: RegExpMatchArray) => string[]]> = [
  [/^python(\d+\.\d+)$/, (m) => [`/usr/lib/python${m[1]}`]],
  [/^libpython(\d+\.\d+)\.so/, (m) => [`/usr/lib/python${m[1]}`]],
  [/^gdb$/, () => ["/usr/share/gdb"]],
  [/^perl$/, () => ["/usr/lib/x86_64-linux-gnu/perl-base", "/usr/share/perl5"]],
];

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const SO_NAME = /\.so(\.[0-9.]+)?$/;
/** Bounds the walk of --with trees (directory depth and links followed out of them). */
const MAX_DEPTH = 64;

const dirname = (p: string): string => {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
};
const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

class Planner {
  readonly entries: BundleEntry[] = [];
  private readonly byPath = new Map<string, BundleEntry>();
  readonly missing: string[] = [];
  readonly warnings: string[] = [];
  /** Real paths of the ELF objects placed, to scan for imports and notes. */
  readonly objects = new Map<string, { path: string; kind: BundleKind }>();
  private readonly walked = new Set<string>();

  constructor(readonly fs: BundleFs) {}

  private add(e: BundleEntry): void {
    if (this.byPath.has(e.path)) return;
    this.byPath.set(e.path, e);
    this.entries.push(e);
  }

  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /** A generated file (minimal /etc/passwd). */
  generate(path: string, content: string, kind: BundleKind, reason: string): void {
    this.ensureDirs(path, kind);
    this.add({
      kind,
      type: "file",
      path,
      source: undefined,
      content,
      mode: 0o644,
      size: content.length,
      reason,
    });
  }

  /** An empty directory made in the bundle (a mount point). */
  mountPoint(path: string, reason: string): void {
    this.add({ kind: "config", type: "directory", path, source: undefined, mode: 0o555, size: 0, reason });
  }

  private ensureDirs(path: string, kind: BundleKind): void {
    const parts = path.split("/").filter((c) => c !== "");
    let at = "";
    for (let i = 0; i < parts.length - 1; i++) {
      at += `/${parts[i]}`;
      if (this.byPath.has(at)) continue;
      const st = this.fs.lstat(at);
      this.add({
        kind,
        type: "directory",
        path: at,
        source: at,
        mode: st?.type === "directory" ? st.mode : 0o755,
        size: 0,
        reason: "parent directory",
      });
    }
  }

  /**
   * Places `path` as the source root has it: every symbolic link on the way is recreated (its target
   * placed too), then the file or directory itself. Returns the resolved path, or undefined.
   */
  place(path: string, kind: BundleKind, reason: string): { real: string; stat: FileStat } | undefined {
    const todo = path.split("/").filter((c) => c !== "");
    const done: string[] = [];
    let links = 0;
    while (todo.length > 0) {
      const c = todo.shift()!;
      if (c === ".") continue;
      if (c === "..") {
        done.pop();
        continue;
      }
      const here = `/${[...done, c].join("/")}`;
      const st = this.fs.lstat(here);
      if (!st) return undefined;
      if (st.type === "symlink") {
        if (++links > 40) return undefined;
        const target = this.fs.readlink(here);
        if (target === undefined) return undefined;
        const last = todo.length === 0;
        this.ensureDirs(here, kind);
        this.add({
          kind: last && (kind === "library" || kind === "dlopen") ? "soname-link" : kind,
          type: "symlink",
          path: here,
          source: here,
          target,
          mode: 0o777,
          size: 0,
          reason: last ? `link to ${target} (${reason})` : `directory link on the way to ${path}`,
        });
        if (target.startsWith("/")) done.length = 0;
        todo.unshift(...target.split("/").filter((x) => x !== ""));
        continue;
      }
      done.push(c);
      if (todo.length > 0 && st.type !== "directory") return undefined;
    }
    const real = `/${done.join("/")}`;
    const st = this.fs.lstat(real);
    if (!st) return undefined;
    if (real === "/") return { real, stat: st };
    this.ensureDirs(real, kind);
    if (st.type === "file") {
      this.add({ kind, type: "file", path: real, source: real, mode: st.mode, size: st.size, reason });
    } else if (st.type === "directory") {
      this.add({ kind, type: "directory", path: real, source: real, mode: st.mode, size: 0, reason });
    } else return undefined;
    return { real, stat: st };
  }

  /** A library the search found: placed where it was found, plus its SONAME link beside it. */
  placeLibrary(obj: LinkedObject, kind: BundleKind, reason: string): void {
    const r = this.place(obj.path, kind, reason);
    if (!r) {
      this.missing.push(obj.path);
      return;
    }
    this.objects.set(r.real, { path: obj.path, kind });
    if (obj.soname && obj.soname !== basename(obj.path) && !obj.soname.includes("/")) {
      const link = `${dirname(obj.path)}/${obj.soname}`;
      if (this.fs.lstat(link)) this.place(link, "soname-link", `SONAME of ${obj.path}`);
    }
  }

  /** Copies a tree (--with, interpreter data); returns the ELF shared objects found in it. */
  placeTree(path: string, kind: BundleKind, reason: string, top?: string, depth = 0): string[] {
    const r = this.place(path, kind, reason);
    if (!r) return [];
    if (r.stat.type !== "directory") return isElf(this.fs, r.real) ? [r.real] : [];
    // A link out of the tree to a directory (say, to "/") brings the link and an empty directory,
    // never that directory's contents.
    const root = top ?? r.real;
    if (r.real !== root && !r.real.startsWith(`${root}/`)) {
      this.warnings.push(
        `${path} leads out of ${root} to the directory ${r.real}: its contents are not copied`,
      );
      return [];
    }
    if (this.walked.has(r.real) || depth > MAX_DEPTH) return [];
    this.walked.add(r.real);
    const found: string[] = [];
    for (const name of (this.fs.readdir(r.real) ?? []).sort()) {
      const child = `${r.real === "/" ? "" : r.real}/${name}`;
      const st = this.fs.lstat(child);
      if (!st) continue;
      if (st.type === "directory" || st.type === "symlink") {
        found.push(...this.placeTree(child, kind, reason, root, depth + 1));
      } else if (st.type === "file") {
        this.add({ kind, type: "file", path: child, source: child, mode: st.mode, size: st.size, reason });
        if (SO_NAME.test(name) && isElf(this.fs, child)) found.push(child);
      }
    }
    return found;
  }
}

function isElf(fs: LinkFs, path: string): boolean {
  const src = fs.open(path);
  if (!src) return false;
  try {
    const b = src.size >= 4 ? src.read(0, 4) : new Uint8Array();
    return b.length === 4 && ELF_MAGIC.every((m, i) => b[i] === m);
  } finally {
    src.close?.();
  }
}

function withElf<T>(fs: LinkFs, path: string, fallback: T, f: (file: ElfFile) => T): T {
  const src = fs.open(path);
  if (!src) return fallback;
  try {
    return f(ElfFile.open(src));
  } catch (e) {
    if (isElfError(e)) return fallback;
    throw e;
  } finally {
    src.close?.();
  }
}

/** The library directory of the target (where gconv and NSS modules live), from the interpreter's profile. */
function gconvDirs(graph: LinkGraph): string[] {
  return [`/usr/lib/${graph.profile.triplet}/gconv`, "/usr/lib64/gconv", "/usr/lib/gconv"];
}

/** Builds the plan for `program` (a path as the source root sees it). Throws LinkError for non-ELF input. */
export function planBundle(program: string, options: BundleOptions): BundlePlan {
  const fs = options.fs;
  const env = options.env ?? {};
  const session = new LinkSession({ fs, env, mode: "exec", x86Level: options.x86Level });
  const abs = program.startsWith("/") ? program : `${fs.cwd().replace(/\/$/, "")}/${program}`;
  const graph = session.link(abs);
  const p = new Planner(fs);

  const main = p.place(abs, "program", "the program, at its own absolute path");
  if (!main) p.missing.push(abs);
  else p.objects.set(main.real, { path: abs, kind: "program" });
  if (graph.interpreter) {
    const r = p.place(graph.interpreter, "interpreter", "PT_INTERP");
    if (!r) p.missing.push(graph.interpreter);
    else p.objects.set(r.real, { path: graph.interpreter, kind: "interpreter" });
  }

  // glibc takes the executable's $ORIGIN from readlink("/proc/self/exe") (_dl_get_origin), falling
  // back to LD_ORIGIN_PATH: a root without /proc drops those RPATH/RUNPATH entries.
  const mainPaths = `${graph.main.rpath ?? ""}:${graph.main.runpath ?? ""}`;
  if (/\$(ORIGIN|\{ORIGIN\})/.test(mainPaths)) {
    p.mountPoint("/proc", "mount point: the program's $ORIGIN is read from /proc/self/exe");
    p.warnings.push(
      `the program's ${graph.main.runpath ? "RUNPATH" : "RPATH"} uses $ORIGIN: mount proc on DIR/proc, or set LD_ORIGIN_PATH=${dirname(abs)}`,
    );
  }

  let needCache = false;
  const addGraph = (g: LinkGraph, kind: BundleKind, why: string): void => {
    for (const o of g.objects) {
      if (o.kind === "missing") {
        p.missing.push(`${o.name} (needed by ${o.loader?.path ?? g.file})`);
        continue;
      }
      if (o.kind !== "library" && o.kind !== "preload") continue;
      if (o.via === "ld.so.cache" && !g.profile.systemDirs.includes(dirname(o.path))) needCache = true;
      if (o.via === "LD_LIBRARY_PATH") {
        p.warnings.push(`${o.path} was found through LD_LIBRARY_PATH: set it inside the root too`);
      }
      p.placeLibrary(o, kind, `${why}: ${o.name} needed by ${o.loader?.path ?? g.file} [${o.via}]`);
    }
    if (g.fatal) p.warnings.push(`ld.so would stop: ${g.fatal}`);
  };
  addGraph(graph, "library", "DT_NEEDED");

  // Data directories of known interpreters, and --with paths: their shared objects are dlopen()ed.
  const trees: Array<[string, string]> = [];
  if (options.dataDirs !== false && main) {
    const names = [basename(main.real), ...graph.objects.map((o) => basename(o.path))];
    for (const [re, dirs] of KNOWN_DATA_DIRS) {
      for (const name of names) {
        const m = name.match(re);
        if (!m) continue;
        for (const d of dirs(m)) {
          if (fs.lstat(d) && !trees.some(([t]) => t === d)) trees.push([d, `data directory of ${name}`]);
        }
      }
    }
  }
  for (const w of options.with ?? []) {
    if (!fs.lstat(w)) p.warnings.push(`--with ${w}: no such file or directory`);
    else trees.push([w, "--with"]);
  }
  for (const [tree, why] of trees) {
    for (const so of p.placeTree(tree, "data", why)) {
      try {
        addGraph(session.link(so), "dlopen", `loaded with ${so}`);
      } catch (e) {
        if (!(e instanceof LinkError)) throw e;
      }
    }
  }

  // dlopen metadata: each soname tried in order from the object carrying the note (linked as if it
  // were preloading the name, so its RPATH/RUNPATH and $ORIGIN apply), first found wins.
  const scanned = new Set<string>();
  const scanNotes = (): void => {
    for (const [real, { path }] of [...p.objects]) {
      if (scanned.has(real)) continue;
      scanned.add(real);
      for (const f of withElf(fs, real, [] as DlopenFeature[], dlopenNotes)) {
        let done = false;
        for (const soname of f.soname) {
          let pre: LinkGraph;
          try {
            pre = new LinkSession({
              fs,
              env: { ...env, LD_PRELOAD: soname },
              mode: "exec",
              x86Level: options.x86Level,
            }).link(path);
          } catch (e) {
            if (!(e instanceof LinkError)) throw e;
            break;
          }
          const hit = pre.objects.find(
            (o) => o.kind !== "missing" && o.kind !== "main" && (o.names.has(soname) || o.soname === soname),
          );
          if (!hit) continue;
          addGraph(pre, "dlopen", `.note.dlopen of ${path}, feature ${f.feature ?? soname} (${f.priority})`);
          done = true;
          break;
        }
        if (!done) {
          const msg = `${f.soname.join(" or ")} (dlopen feature ${f.feature ?? "?"} of ${path}, ${f.priority})`;
          if (f.priority === "required") p.missing.push(msg);
          else p.warnings.push(`not found: ${msg}`);
        }
      }
    }
  };
  scanNotes();

  // What the loaded objects import decides NSS and gconv.
  const imports = new Set<string>();
  for (const real of p.objects.keys())
    for (const s of withElf(fs, real, new Set<string>(), importedSymbols)) imports.add(s);
  const usesNss = [...imports].some((s) => NSS_FUNCTION.test(s));
  if (usesNss && graph.flavor === "glibc") {
    const conf = fs.readFile("/etc/nsswitch.conf");
    const services = conf ? nsswitchServices(latin1(conf)) : new Set(["files", "dns"]);
    if (conf) p.place("/etc/nsswitch.conf", "config", "NSS configuration");
    else p.warnings.push("no /etc/nsswitch.conf in the source: glibc's built-in defaults apply");
    for (const svc of services) {
      const name = `libnss_${svc}.so.2`;
      const dir = graph.profile.systemDirs.find((d) => fs.exists(`${d}/${name}`));
      if (!dir) {
        if (!BUILTIN_NSS.has(svc)) p.warnings.push(`NSS service ${svc}: ${name} not found (glibc skips it)`);
        continue;
      }
      const why = BUILTIN_NSS.has(svc) ? "built into libc since 2.34, kept for older glibc" : "nsswitch.conf";
      const r = p.place(`${dir}/${name}`, "nss", `NSS service ${svc} (${why})`);
      if (!r) continue;
      p.objects.set(r.real, { path: `${dir}/${name}`, kind: "nss" });
      try {
        addGraph(session.link(`${dir}/${name}`), "nss", `dependency of ${name}`);
      } catch (e) {
        if (!(e instanceof LinkError)) throw e;
      }
    }
    if (options.accounts !== false) {
      const why = "minimal account database (the host's accounts are not copied)";
      if (!p.has("/etc/passwd")) {
        p.generate(
          "/etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
          "config",
          why,
        );
      }
      if (!p.has("/etc/group")) p.generate("/etc/group", "root:x:0:\nnogroup:x:65534:\n", "config", why);
    }
    scanNotes();
  }
  if ((imports.has("setlocale") || imports.has("newlocale")) && graph.flavor === "glibc") {
    // Only C.UTF-8 (what containers usually set LANG to); other locales stay on the source.
    const dir = ["/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8"].find((d) => fs.lstat(d));
    if (dir) p.placeTree(dir, "data", "setlocale is imported: the C.UTF-8 locale");
  }
  if (imports.has("iconv_open") && graph.flavor === "glibc") {
    const dir = gconvDirs(graph).find((d) => fs.lstat(d)?.type === "directory");
    if (dir) p.placeTree(dir, "gconv", "iconv_open is imported: gconv modules are dlopen()ed");
    else p.warnings.push("iconv_open is imported but no gconv directory was found");
  }
  if (needCache) {
    if (
      p.place(
        "/etc/ld.so.cache",
        "config",
        "a library was found through ld.so.cache outside the default directories",
      )
    ) {
      // copied as is: its entries name the same absolute paths the bundle keeps.
    } else p.warnings.push("no /etc/ld.so.cache to copy");
  }
  for (const w of graph.warnings) p.warnings.push(w);

  return {
    program: abs,
    interpreter: graph.interpreter,
    entries: p.entries,
    missing: [...new Set(p.missing)],
    warnings: [...new Set(p.warnings)],
  };
}
