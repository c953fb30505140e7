import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { ElfFile } from "../elf/index.js";
import { type LinkGraph, LinkSession } from "../link/index.js";
import { predictAslr } from "../process/aslr.js";
import {
  type EntryLayout,
  type EntryLibrary,
  type EntryStep,
  type FakedLibrary,
  predictEntryLayout,
  uniqueSymbols,
  versionIndexHigh,
} from "../process/entry-layout.js";
import {
  type ExecLayout,
  type ExecLayoutOptions,
  interpreterPath,
  type MappedFile,
  predictExecLayout,
} from "../process/exec-layout.js";
import { kernelProfile, measureSpecials } from "../process/kernel-profile.js";
import { renderAslr } from "../render/aslr.js";
import { layoutRows, renderLayout } from "../render/layout.js";
import type { CommandIO } from "./io.js";
import { aslrSettings, writeSvg } from "./layout-extras.js";
import { nodeLinkFs } from "./link-fs.js";
import { problemLine, reportProblem } from "./problem.js";

const USAGE = `Usage: anatomy layout [options] FILE [-- ARG...]
  The /proc/PID/maps FILE would have, predicted without running it (ASLR off): by default when ld.so
  jumps to the program's entry point; with --stage exec, right after execve.
  --stage entry         when ld.so jumps to the entry point (default): libraries, TLS, RELRO
  --stage exec          as the kernel leaves it at execve (program, interpreter, vdso, stack)
  --env-clear           start from an empty environment (like env -i)
  --env NAME=VALUE      add an environment variable (repeatable)
  --stack-limit N       RLIMIT_STACK in bytes, or 'unlimited' (default: this process's limit)
  --legacy              the legacy bottom-up layout (setarch -L)
  --3gb                 i386 only: a 3 GiB address space (setarch -3)
  --root DIR            resolve the interpreter inside DIR
  --format maps         exactly /proc/PID/maps lines (default: annotated)
  --diagram             draw the address space
  --json                the model as JSON
  --aslr[=0|1|2]        the ranges each region can take with ASLR at the chosen stage
                        (level: kernel.randomize_va_space's meaning; default: this machine's setting)
  --svg FILE            also write the diagram as an SVG picture to FILE ('-': only the SVG, to stdout)
`;

/** Device numbers as the kernel's maps prints them (new_encode_dev split into major:minor). */
function deviceOf(dev: number): [number, number] {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return [major, minor];
}

/**
 * realpath(3) itself, one call, where Node's own realpathSync lstats every component (a few tenths of
 * a millisecond per library at start-up); on failure Node's, for its error message.
 */
function realPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return realpathSync(path);
  }
}

function mappedFile(path: string, io: CommandIO): MappedFile {
  const real = realPath(path);
  const st = statSync(real, { bigint: true });
  const [devMajor, devMinor] = deviceOf(Number(st.dev));
  const source = io.openFile(real);
  return { file: ElfFile.open(source), path: real, devMajor, devMinor, inode: st.ino };
}

function currentStackLimit(): bigint | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "latin1");
    const m = /^Max stack size\s+(\S+)/m.exec(limits);
    if (!m || m[1] === "unlimited") return undefined;
    return BigInt(m[1]!);
  } catch {
    return 8n << 20n;
  }
}

function kernelRelease(): string {
  try {
    return readFileSync("/proc/sys/kernel/osrelease", "latin1").trim();
  } catch {
    return "0.0";
  }
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  let file: string | undefined;
  let argv: string[] | undefined;
  let envClear = false;
  const extraEnv: string[] = [];
  let stackLimit: bigint | undefined | null = null;
  let legacy = false;
  let addrLimit3GB = false;
  let root = "";
  let format: "annotated" | "maps" = "annotated";
  let json = false;
  let diagram = false;
  let stage: "exec" | "entry" = "entry";
  let aslr: string | undefined | null = null; // --aslr [LEVEL]
  let svgFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "--") {
        argv = args.slice(i + 1);
        break;
      } else if (a === "--stage") {
        const v = value();
        if (v !== "exec" && v !== "entry") throw new UsageError(`--stage ${v}: use exec or entry`);
        stage = v;
      } else if (a === "--env-clear") envClear = true;
      else if (a === "--env") extraEnv.push(value());
      else if (a === "--stack-limit") {
        const v = value();
        if (v === "unlimited") stackLimit = undefined;
        else if (/^\d+$/.test(v)) stackLimit = BigInt(v);
        else throw new UsageError(`--stack-limit: '${v}' is not a number of bytes`);
      } else if (a === "--legacy") legacy = true;
      else if (a === "--3gb") addrLimit3GB = true;
      else if (a === "--root") root = value();
      else if (a === "--format") {
        const v = value();
        if (v !== "maps" && v !== "annotated") throw new UsageError(`--format ${v}: use maps or annotated`);
        format = v;
      } else if (a === "--json") json = true;
      else if (a === "--diagram") diagram = true;
      else if (a === "--aslr" || a.startsWith("--aslr=")) {
        // The level is optional: `--aslr`, `--aslr 2`, `--aslr=2`. A number after it is the level.
        const v = a === "--aslr" ? (/^\d+$/.test(args[i + 1] ?? "") ? args[++i] : undefined) : a.slice(7);
        if (v !== undefined && !/^[012]$/.test(v))
          throw new UsageError(`--aslr ${v}: the level is 0, 1 or 2 (kernel.randomize_va_space)`);
        aslr = v;
      } else if (a === "--svg") svgFile = value();
      else if (a === "--help" || a === "-h") {
        io.stdout.write(USAGE);
        return 0;
      } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
      else if (file === undefined) file = a;
      else throw new UsageError(`unexpected argument ${a} (program arguments go after --)`);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`anatomy layout: ${e.message}\nTry 'anatomy layout --help' for the options.\n`);
      return 1;
    }
  }
  if (file === undefined) {
    io.stderr.write(USAGE);
    return 1;
  }
  const start = execStart(file, io, { root, envClear, extraEnv, stackLimit, legacy, addrLimit3GB, argv });
  if (typeof start === "number") return start;
  const { exe, interp, opts, envp, layout } = start;
  let status = 0;
  try {
    let shown: ExecLayout | EntryLayout = layout;
    if (stage === "entry" && interp) {
      const env = envMap(envp);
      try {
        shown = entryLayout(layout, exe, interp, file, {
          root,
          env,
          mode: "exec",
          profile: opts.profile,
          legacy,
          io,
        });
      } catch (e) {
        // ld.so cannot get to the entry point (a library missing, a table it needs unreadable): what
        // the kernel built at execve still stands, so show that, after saying why.
        if (e instanceof EntryError) io.stderr.write(problemLine(file, e.message));
        else reportProblem(io, file, e);
        io.stderr.write(problemLine(file, "showing the process at execve (--stage exec) instead"));
        stage = "exec";
        status = 1;
      }
    }
    if (aslr !== null) {
      renderAslr(predictAslr(shown, exe, interp, opts, aslrSettings(aslr)), json, io.stdout);
      return status;
    }
    if (svgFile !== undefined) {
      const title = `${file}: process image at ${shown === layout ? "execve" : "the entry point"}`;
      writeSvg(layoutRows(shown), shown.is64, svgFile, title, io.stdout);
      if (svgFile === "-") return status;
    }
    renderLayout(shown, { format, json, diagram, stage }, io.stdout);
    return status;
  } catch (e) {
    reportProblem(io, file, e);
    return 1;
  }
}

/** What `layout` is asked to model the execve with (its options). */
export interface ExecRequest {
  root: string;
  envClear: boolean;
  extraEnv: string[];
  /** null: this process's limit; undefined: unlimited. */
  stackLimit: bigint | undefined | null;
  legacy: boolean;
  addrLimit3GB: boolean;
  argv: string[] | undefined;
}

export const DEFAULT_EXEC: ExecRequest = {
  root: "",
  envClear: false,
  extraEnv: [],
  stackLimit: null,
  legacy: false,
  addrLimit3GB: false,
  argv: undefined,
};

/** The environment strings of `envp` as a map, for ld.so's LD_* variables. */
export function envMap(envp: string[]): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const e of envp) {
    const eq = e.indexOf("=");
    if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return env;
}

/**
 * The kernel's part: FILE and its interpreter opened, and the exec-stage layout predicted. A problem
 * is reported (anatomy: FILE: ...) and its exit status returned instead.
 */
export function execStart(
  file: string,
  io: CommandIO,
  req: ExecRequest,
):
  | number
  | {
      exe: MappedFile;
      interp: MappedFile | undefined;
      opts: ExecLayoutOptions;
      envp: string[];
      layout: ExecLayout;
    } {
  let exe: MappedFile;
  try {
    exe = mappedFile(file, io);
  } catch (e) {
    reportProblem(io, file, e);
    return 1;
  }
  try {
    const interpName = interpreterPath(exe.file);
    let interp: MappedFile | undefined;
    if (interpName !== undefined) {
      const where = req.root
        ? resolve(req.root, `.${interpName}`)
        : isAbsolute(interpName)
          ? interpName
          : resolve(dirname(file), interpName);
      try {
        interp = mappedFile(where, io);
      } catch (e) {
        // The kernel's execve fails here (ENOENT for a missing PT_INTERP): there is no process to show.
        reportProblem(io, where, e);
        io.stderr.write(problemLine(file, `its interpreter ${interpName} cannot be loaded, so execve fails`));
        return 1;
      }
    }
    const envp = req.envClear
      ? []
      : Object.entries(io.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    envp.push(...req.extraEnv);
    let maps = "";
    try {
      maps = readFileSync("/proc/self/maps", "latin1");
    } catch {
      // no /proc: the profile's defaults stand
    }
    const opts: ExecLayoutOptions = {
      profile: kernelProfile(kernelRelease(), measureSpecials(maps)),
      stackLimit: req.stackLimit === null ? currentStackLimit() : req.stackLimit,
      legacy: req.legacy,
      addrLimit3GB: req.addrLimit3GB,
      execfn: file,
      argv: [file, ...(req.argv ?? [])],
      envp,
    };
    return { exe, interp, opts, envp, layout: predictExecLayout(exe, interp, opts) };
  } catch (e) {
    reportProblem(io, file, e);
    return 1;
  }
}

class UsageError extends Error {}

export interface EntryContext {
  root: string;
  env: Record<string, string | undefined>;
  mode: "exec" | "ldd";
  profile: ExecLayoutOptions["profile"];
  legacy: boolean;
  io: CommandIO;
}

/**
 * The breadth-first steps of _dl_map_object_deps, from the link graph ld.so would build. A library not
 * found becomes a faked link_map, as ld.so makes one in trace mode (ldd); a real run stops there.
 */
export function entrySteps(g: LinkGraph, open: (path: string) => MappedFile): EntryStep[] {
  const libs = new Map<object, EntryLibrary>();
  return g.searchList.map((o) => ({
    main: o.kind === "main",
    needed: o.needed.length,
    loads: o.deps
      .filter((d) => d.loaded)
      .map((d): EntryLibrary | FakedLibrary => {
        if (d.object.kind === "missing") return { name: d.name, faked: true };
        let lib = libs.get(d.object);
        if (!lib) {
          lib = {
            name: d.name,
            file: open(d.object.path),
            openedPath: d.object.path,
            viaCache: d.object.via === "ld.so.cache",
          };
          libs.set(d.object, lib);
        }
        return lib;
      }),
  }));
}

/** The entry stage: ld.so's work replayed on the exec layout (what was executed: `exe`, ld.so `rtld`). */
export function entryLayout(
  exec: ExecLayout,
  exe: MappedFile,
  rtld: MappedFile,
  program: string,
  ctx: EntryContext,
  programFile?: MappedFile,
): EntryLayout {
  const fs = nodeLinkFs(ctx.root || undefined);
  const session = new LinkSession({ fs, env: ctx.env, mode: ctx.mode });
  const g = session.link(program);
  if (g.fatal) throw new EntryError(g.fatal);
  // Only ldd's trace mode goes on past a library not found; a run ends in _dl_signal_error (status 127).
  const missing = g.objects.find((o) => o.kind === "missing");
  if (missing && ctx.mode === "exec") {
    throw new EntryError(
      `ld.so stops before the entry point: error while loading shared libraries: ${missing.name}: cannot open shared object file: No such file or directory`,
    );
  }
  const host = (p: string): string => (ctx.root ? resolve(ctx.root, `.${p}`) : p);
  const files = new Map<string, MappedFile>();
  const opened = (p: string): MappedFile => {
    let m = files.get(p);
    if (!m) {
      m = mappedFile(host(p), ctx.io);
      if (ctx.root && m.path.startsWith(resolve(ctx.root))) m.path = m.path.slice(resolve(ctx.root).length);
      files.set(p, m);
    }
    return m;
  };
  const steps = entrySteps(g, opened);
  const preloads: EntryLibrary[] = g.objects
    .filter((o) => o.kind === "preload")
    .map((o) => ({
      name: o.name,
      file: opened(o.path),
      openedPath: o.path,
      viaCache: o.via === "ld.so.cache",
    }));
  let cacheSize: bigint | undefined;
  try {
    cacheSize = statSync(host("/etc/ld.so.cache"), { bigint: true }).size;
  } catch {
    cacheSize = undefined;
  }
  return predictEntryLayout(exec, exe, rtld, {
    profile: ctx.profile,
    legacy: ctx.legacy,
    mode: ctx.mode,
    ...(programFile ? { program: programFile, programName: program, constructorHeap: false } : {}),
    cacheSize,
    cwd: process.cwd(),
    ...(ctx.env.LD_LIBRARY_PATH ? { libraryPath: ctx.env.LD_LIBRARY_PATH } : {}),
    steps,
    ...(preloads.length > 0 ? { preloads } : {}),
    searchListLength: g.searchList.length,
    versionChain: g.objects.map((o) =>
      o.kind === "vdso"
        ? exec.is64
          ? 2 // LINUX_2.6
          : 3 // i386's vDSO: LINUX_2.6 and LINUX_2.5
        : o.kind === "missing"
          ? 0
          : versionIndexHigh(
              o.kind === "interpreter"
                ? rtld.file
                : o.kind === "main"
                  ? (programFile ?? exe).file
                  : opened(o.path).file,
            ),
    ),
    uniqueSymbols: uniqueSymbols([
      ...new Set([
        (programFile ?? exe).file,
        ...preloads.map((l) => l.file.file),
        ...steps.flatMap((s) => s.loads.flatMap((l) => ("faked" in l ? [] : [l.file.file]))),
      ]),
    ]),
  });
}

export class EntryError extends Error {
  readonly code = "entry";
}

export { mappedFile };
