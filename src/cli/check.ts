import { type Dirent, lstatSync, opendirSync, realpathSync } from "node:fs";
import { isElfError } from "../elf/errors.js";
import { HardeningSession, type ObjectHardening } from "../link/hardening.js";
import { LinkError, type LinkGraph, LinkSession } from "../link/index.js";
import {
  type CheckResult,
  checkModel,
  checksecDirJson,
  checksecFileJson,
  renderCheckTable,
} from "../render/check.js";
import type { CommandIO } from "./io.js";
import { nodeLinkFs } from "./link-fs.js";
import { problemLine, reportProblem } from "./problem.js";

const USAGE = `Usage: anatomy check [OPTIONS] FILE...
       anatomy check [OPTIONS] --dir DIR
  Hardening of ELF files (RELRO, stack canary, NX, PIE, RPATH/RUNPATH, symbols, FORTIFY, CET), read
  from the files alone, and of the process each would start (every library it would load).
  --dir DIR           every ELF file under DIR, recursively, in find's order (as checksec --dir)
  --json              the model as JSON
  --format checksec   checksec 2.6's --output=json shape (one line per FILE when several)
  --format table      our table (the default)
  --root DIR          analyse a foreign tree (its /etc/ld.so.cache, its libraries, its libc)
  --env NAME=VALUE    set LD_LIBRARY_PATH or LD_PRELOAD (default: this process's)
  --x86-level N       x86-64 level 1-4 for glibc-hwcaps (default: this CPU's)
`;

interface CheckArgs {
  files: string[];
  dir: string | undefined;
  json: boolean;
  format: "table" | "checksec";
  root: string | undefined;
  env: Record<string, string | undefined>;
  x86Level: number | undefined;
}

function parseArgs(args: string[], io: CommandIO): CheckArgs | number {
  const a: CheckArgs = {
    files: [],
    dir: undefined,
    json: false,
    format: "table",
    root: undefined,
    env: { LD_LIBRARY_PATH: io.env.LD_LIBRARY_PATH, LD_PRELOAD: io.env.LD_PRELOAD },
    x86Level: undefined,
  };
  const fail = (msg: string): number => {
    io.stderr.write(`anatomy check: ${msg}\n${USAGE}`);
    return 1;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (name === "--json") a.json = true;
    else if (name === "--dir") a.dir = value();
    else if (name === "--root") a.root = value();
    else if (name === "--x86-level") a.x86Level = Number(value());
    else if (name === "--format" || name === "--output") {
      const v = value();
      if (v !== "checksec" && v !== "table")
        return fail(`--format wants checksec or table, not '${v ?? ""}'`);
      a.format = v;
    } else if (name === "--env") {
      const v = value() ?? "";
      const at = v.indexOf("=");
      if (at <= 0) return fail(`--env wants NAME=VALUE, not '${v}'`);
      a.env[v.slice(0, at)] = v.slice(at + 1);
    } else if (arg === "--help" || arg === "-h") {
      io.stdout.write(USAGE);
      return 0;
    } else if (arg === "--") {
      a.files.push(...args.slice(i + 1));
      break;
    } else if (arg.startsWith("-") && arg !== "-") return fail(`unknown option '${arg}'`);
    else a.files.push(arg);
  }
  if (a.dir === "" || (a.dir !== undefined && a.files.length > 0)) return fail("give FILE... or --dir DIR");
  if (a.dir === undefined && a.files.length === 0) {
    io.stderr.write(USAGE);
    return 1;
  }
  if (a.x86Level !== undefined && !(a.x86Level >= 1 && a.x86Level <= 4)) {
    return fail("--x86-level must be 1, 2, 3 or 4");
  }
  return a;
}

/**
 * The regular files under `dir` as GNU find lists them (`find DIR -type f`): directory entries in
 * readdir order, each subdirectory walked where it is met, symbolic links never followed.
 */
function walk(hostDir: string, shownDir: string, out: string[]): void {
  let d: ReturnType<typeof opendirSync>;
  try {
    d = opendirSync(hostDir);
  } catch {
    return;
  }
  try {
    let e: Dirent | null = d.readSync();
    while (e !== null) {
      const shown = `${shownDir}/${e.name}`;
      if (e.isDirectory()) walk(`${hostDir}/${e.name}`, shown, out);
      else if (e.isFile()) out.push(shown);
      e = d.readSync();
    }
  } finally {
    d.closeSync();
  }
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const a = parseArgs(args, io);
  if (typeof a === "number") return a;
  const fs = nodeLinkFs(a.root);
  const links = new LinkSession({ fs, env: a.env, mode: "exec", x86Level: a.x86Level });
  const hardening = new HardeningSession(fs);
  const base = a.root ? a.root.replace(/\/+$/, "") : "";
  let status = 0;

  /** The checks of one file and its process, or undefined (reported) when it is not a readable ELF file. */
  const check = (file: string, quiet: boolean): CheckResult | undefined => {
    const src = fs.open(file);
    if (!src) {
      if (!quiet) io.stderr.write(problemLine(file, fs.openProblem?.(file) ?? "cannot be opened"));
      return undefined;
    }
    const magic = src.read(0, 4);
    src.close?.();
    if (
      magic.length < 4 ||
      magic[0] !== 0x7f ||
      magic[1] !== 0x45 ||
      magic[2] !== 0x4c ||
      magic[3] !== 0x46
    ) {
      if (!quiet) io.stderr.write(problemLine(file, "not an ELF file (no \\x7fELF magic at offset 0)"));
      return undefined;
    }
    let graph: LinkGraph | undefined;
    try {
      graph = links.link(file);
    } catch (e) {
      if (!(e instanceof LinkError) && !isElfError(e)) throw e;
      // The row still prints from what could be read; the status says part of the file is broken.
      if (e instanceof LinkError && e.reason === "unsupported") {
        // A machine ld.so's model does not cover: the file's own checks still stand.
      } else {
        reportProblem(io, file, e);
        status = 1;
      }
    }
    const libc = graph ? hardening.libcOf(graph) : undefined;
    const object = hardening.object(file, libc);
    if (typeof object === "string") {
      io.stderr.write(problemLine(file, object));
      status = 1;
      return undefined;
    }
    // checksec's shape has no process-level fields: no need to read every library.
    const process = graph && a.format !== "checksec" ? hardening.process(graph, object) : undefined;
    return { file, object, process };
  };

  let files = a.files;
  let dirName: string | undefined;
  if (a.dir !== undefined) {
    // checksec --dir: a symbolic link is resolved first, trailing slashes dropped.
    let dir = a.dir;
    if (!base) {
      try {
        if (lstatSync(dir).isSymbolicLink()) dir = realpathSync(dir);
      } catch {
        // reported below as not a directory
      }
    }
    dir = dir.replace(/\/*$/, "");
    dirName = dir;
    const listed: string[] = [];
    walk(base + (dir === "" ? "/" : dir), dir, listed);
    if (listed.length === 0 && !fs.readdir(dir === "" ? "/" : dir)) {
      io.stderr.write(problemLine(a.dir, "not a directory"));
      return 1;
    }
    files = listed;
  } else if (!a.files.every((f) => fs.exists(f))) status = 1;

  const results: CheckResult[] = [];
  const progress = a.dir !== undefined && io.isTTY;
  let shown = -1;
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    if (progress) {
      const pct = Math.floor((i * 100) / files.length);
      if (pct !== shown) {
        shown = pct;
        const bar = "#".repeat(Math.floor(pct / 4)).padEnd(25, ".");
        io.stderr.write(`\r[${bar}] ${i}/${files.length}`);
      }
    }
    const r = check(file, a.dir !== undefined);
    if (r) results.push(r);
    else if (a.dir === undefined) status = 1;
  }
  if (progress) io.stderr.write("\r\x1b[K");

  if (a.format === "checksec") {
    const objects: ObjectHardening[] = results.map((r) => r.object);
    if (dirName !== undefined) io.stdout.write(checksecDirJson(dirName, objects));
    else if (objects.length === 1) io.stdout.write(checksecFileJson(objects[0]!));
    else for (const o of objects) io.stdout.write(`${checksecFileJson(o)}\n`);
  } else if (a.json) {
    const models = results.map(checkModel);
    const text = JSON.stringify(a.dir === undefined && models.length === 1 ? models[0] : models, null, 2);
    io.stdout.write(`${Buffer.from(text, "utf8").toString("latin1")}\n`);
  } else if (results.length > 0) {
    renderCheckTable(results, io.stdout, a.dir === undefined);
  }
  return status;
}
