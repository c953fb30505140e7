import {
  chmodSync,
  closeSync,
  copyFileSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import {
  type BundleEntry,
  type BundleFs,
  type BundlePlan,
  type FileStat,
  planBundle,
} from "../link/bundle.js";
import { LinkError } from "../link/index.js";
import { bundleEntryLine, bundleModel, renderBundleSummary } from "../render/bundle.js";
import { tarEnd, tarHeader, tarPadding } from "../render/tar.js";
import type { CommandIO } from "./io.js";
import { errnoReason } from "./io.js";
import { nodeLinkFs } from "./link-fs.js";
import { problemLine } from "./problem.js";

const USAGE = `Usage: anatomy bundle FILE (--out DIR | --tar FILE | --dry-run) [OPTIONS]
  Copies everything FILE needs to run in an empty root (chroot DIR /its/path), found without running it:
  the program at its own absolute path, PT_INTERP, every library where ld.so would find it (symbolic
  links recreated: /lib -> usr/lib, SONAME links), NSS modules named by /etc/nsswitch.conf with
  minimal /etc/passwd and /etc/group (when an NSS function is imported), gconv modules (when iconv_open
  is imported), the sonames of FDO .note.dlopen notes, and data directories of known interpreters
  (python3.X: /usr/lib/python3.X), each shared object with its own dependencies. Paths stay as on the
  source, so RPATH/RUNPATH and the default directories work; /etc/ld.so.cache is copied only when a
  library was found through it outside the default directories.
  --out DIR         write the tree here (files hard-linked when possible, else copied)
  --tar FILE        write a POSIX ustar archive (symbolic links as links; mtime 0, owner root)
  --dry-run         only print the plan
  --json            the plan as JSON
  --verbose         list every data and gconv file, not only their totals
  --copy            never hard-link (the tree shares no inode with the source)
  --with PATH       also copy PATH (file or tree); repeatable
  --no-data         do not add known interpreters' data directories
  --no-accounts     do not write minimal /etc/passwd and /etc/group
  --root DIR        take everything from a foreign tree (its nsswitch.conf, its ld.so.cache)
  --env NAME=VALUE  set LD_LIBRARY_PATH or LD_PRELOAD (default: this process's)
  --x86-level N     x86-64 level 1-4 for glibc-hwcaps (default: this CPU's)
`;

interface BundleArgs {
  file: string | undefined;
  out: string | undefined;
  tar: string | undefined;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
  copy: boolean;
  with: string[];
  dataDirs: boolean;
  accounts: boolean;
  root: string | undefined;
  env: Record<string, string | undefined>;
  x86Level: number | undefined;
}

function parseArgs(args: string[], io: CommandIO): BundleArgs | number {
  const a: BundleArgs = {
    file: undefined,
    out: undefined,
    tar: undefined,
    dryRun: false,
    json: false,
    verbose: false,
    copy: false,
    with: [],
    dataDirs: true,
    accounts: true,
    root: undefined,
    env: { LD_LIBRARY_PATH: io.env.LD_LIBRARY_PATH, LD_PRELOAD: io.env.LD_PRELOAD },
    x86Level: undefined,
  };
  const fail = (msg: string): number => {
    io.stderr.write(`anatomy bundle: ${msg}\n${USAGE}`);
    return 1;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (name === "--out") a.out = value();
    else if (name === "--tar") a.tar = value();
    else if (name === "--dry-run") a.dryRun = true;
    else if (name === "--json") a.json = true;
    else if (name === "--verbose" || name === "-v") a.verbose = true;
    else if (name === "--copy") a.copy = true;
    else if (name === "--no-data") a.dataDirs = false;
    else if (name === "--no-accounts") a.accounts = false;
    else if (name === "--with") {
      const v = value();
      if (!v) return fail("--with wants a path");
      a.with.push(v);
    } else if (name === "--root") a.root = value();
    else if (name === "--x86-level") a.x86Level = Number(value());
    else if (name === "--env") {
      const v = value() ?? "";
      const at = v.indexOf("=");
      if (at <= 0) return fail(`--env wants NAME=VALUE, not '${v}'`);
      a.env[v.slice(0, at)] = v.slice(at + 1);
    } else if (arg === "--help" || arg === "-h") {
      io.stdout.write(USAGE);
      return 0;
    } else if (arg.startsWith("-")) return fail(`unknown option '${arg}'`);
    else if (a.file === undefined) a.file = arg;
    else return fail(`one program at a time ('${arg}')`);
  }
  if (a.file === undefined) return fail("no program named");
  if (!a.out && !a.tar && !a.dryRun) return fail("say where: --out DIR, --tar FILE or --dry-run");
  if (a.x86Level !== undefined && !(a.x86Level >= 1 && a.x86Level <= 4)) {
    return fail("--x86-level must be 1, 2, 3 or 4");
  }
  return a;
}

/** nodeLinkFs plus lstat/readlink, every absolute path taken inside `root`. */
export function nodeBundleFs(root?: string): BundleFs {
  const base = root ? root.replace(/\/+$/, "") : "";
  const host = (p: string): string => (base && p.startsWith("/") ? base + p : p);
  return {
    ...nodeLinkFs(root),
    lstat(p): FileStat | undefined {
      try {
        const st = lstatSync(host(p));
        const type = st.isSymbolicLink()
          ? "symlink"
          : st.isDirectory()
            ? "directory"
            : st.isFile()
              ? "file"
              : "other";
        return { type, mode: st.mode & 0o7777, size: type === "file" ? st.size : 0 };
      } catch {
        return undefined;
      }
    },
    readlink(p) {
      try {
        return readlinkSync(host(p), "latin1");
      } catch {
        return undefined;
      }
    },
  };
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** Writes one entry under `out`. Files are hard-linked when allowed and possible (same file system). */
function materialize(e: BundleEntry, source: string | undefined, out: string, copy: boolean): void {
  const dst = out + e.path;
  if (e.type === "directory") {
    mkdirSync(dst, { recursive: true });
    return;
  }
  mkdirSync(dirname(dst), { recursive: true });
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(dst);
  } catch {
    existing = undefined;
  }
  if (e.type === "symlink") {
    if (existing?.isSymbolicLink() && readlinkSync(dst, "latin1") === e.target) return;
    if (existing) unlinkSync(dst);
    symlinkSync(Buffer.from(e.target!, "latin1"), dst);
    return;
  }
  if (existing) unlinkSync(dst);
  if (source === undefined) {
    writeFileSync(dst, e.content ?? "", { mode: e.mode });
    chmodSync(dst, e.mode);
    return;
  }
  if (!copy) {
    try {
      linkSync(source, dst);
      return;
    } catch (err) {
      // EXDEV (another file system), EPERM (fs.protected_hardlinks): copy instead.
      if (!["EXDEV", "EPERM", "EMLINK", "EACCES"].includes(errno(err) ?? "")) throw err;
    }
  }
  copyFileSync(source, dst);
  chmodSync(dst, e.mode);
}

/** Streams the plan as a ustar archive to `fd`, reading each source file in 1 MiB pieces. */
function writeTar(plan: BundlePlan, sourceOf: (e: BundleEntry) => string | undefined, fd: number): void {
  const put = (b: Uint8Array): void => {
    let at = 0;
    while (at < b.length) at += writeSync(fd, b, at, b.length - at);
  };
  const chunk = new Uint8Array(1 << 20);
  for (const e of plan.entries) {
    const name = e.path.replace(/^\/+/, "");
    if (name === "") continue;
    if (e.type !== "file") {
      put(tarHeader({ name, type: e.type, mode: e.mode, size: 0, linkname: e.target }));
      continue;
    }
    const src = sourceOf(e);
    if (src === undefined) {
      const data = Buffer.from(e.content ?? "", "latin1");
      put(tarHeader({ name, type: "file", mode: e.mode, size: data.length }));
      put(data);
      put(tarPadding(data.length));
      continue;
    }
    const inFd = openSync(src, "r");
    try {
      const size = fstatSync(inFd).size;
      put(tarHeader({ name, type: "file", mode: e.mode, size }));
      let done = 0;
      while (done < size) {
        const n = readSync(inFd, chunk, 0, Math.min(chunk.length, size - done), done);
        if (n === 0) break;
        put(chunk.subarray(0, n));
        done += n;
      }
      // A file that shrank since its header was written: keep the archive well-formed.
      if (done < size) put(new Uint8Array(size - done));
      put(tarPadding(size));
    } finally {
      closeSync(inFd);
    }
  }
  put(tarEnd());
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const a = parseArgs(args, io);
  if (typeof a === "number") return a;
  const fs = nodeBundleFs(a.root);
  let plan: BundlePlan;
  try {
    plan = planBundle(a.file!, {
      fs,
      env: a.env,
      x86Level: a.x86Level,
      with: a.with,
      dataDirs: a.dataDirs,
      accounts: a.accounts,
    });
  } catch (e) {
    if (!(e instanceof LinkError)) throw e;
    io.stderr.write(`anatomy: ${e.message}\n`);
    return 1;
  }
  const base = a.root ? a.root.replace(/\/+$/, "") : "";
  const sourceOf = (e: BundleEntry): string | undefined =>
    e.source === undefined ? undefined : base + e.source;
  let status = plan.missing.length > 0 ? 1 : 0;

  try {
    if (a.out && !a.dryRun) {
      const out = a.out.replace(/\/+$/, "");
      mkdirSync(out || "/", { recursive: true });
      for (const e of plan.entries) {
        materialize(e, sourceOf(e), out, a.copy);
        if (!a.json) {
          const line = bundleEntryLine(e, a.verbose);
          if (line) io.stdout.write(line);
        }
      }
      // Directory modes last, so a read-only directory does not stop its own filling.
      for (const e of plan.entries) if (e.type === "directory") chmodSync(out + e.path, e.mode);
    } else if (!a.json) {
      for (const e of plan.entries) {
        const line = bundleEntryLine(e, a.verbose);
        if (line) io.stdout.write(line);
      }
    }
    if (a.tar && !a.dryRun) {
      const fd = openSync(a.tar, "w", 0o644);
      try {
        writeTar(plan, sourceOf, fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    const code = errno(e);
    if (!code) throw e;
    io.stderr.write(
      problemLine((e as NodeJS.ErrnoException).path ?? a.out ?? a.tar ?? "", errnoReason(code)),
    );
    status = 1;
  }
  if (a.json) io.stdout.write(`${JSON.stringify(bundleModel(plan), null, 2)}\n`);
  else renderBundleSummary(plan, io.stdout);
  return status;
}
