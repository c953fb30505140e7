// `anatomy trace [OPTIONS] -- PROG ARGS`: runs the program under strace (this command exists to run
// it) and shows its address space from execve to exit: every change, in order, with its time and who
// asked (src/trace). The program's stdin, stdout and stderr are its own; the report goes to stdout
// after it ends, or to -o FILE.
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ElfFile } from "../elf/index.js";
import { kernelRules } from "../trace/address-space.js";
import { type AttributedTrace, attributeTrace, elfFrameNamer } from "../trace/attribute.js";
import { datedAccounts, type SeenWrite } from "../trace/loader.js";
import { mapsSymbolizer, readMallocCounts } from "../trace/malloc.js";
import {
  mallocReport,
  mapsAfter,
  type PlacedSignal,
  placeSignal,
  type ReportMalloc,
  renderTrace,
  traceReport,
} from "../trace/report.js";
import {
  type KeptRun,
  kernelOfThisMachine,
  loaderFiles,
  loadRun,
  MALLOC_FILE,
  mallocFiles,
  runTrace,
  saveRun,
  statIdentity,
} from "../trace/run-strace.js";
import { parseStrace } from "../trace/strace-parse.js";
import type { CommandIO } from "./io.js";
import { problemLine } from "./problem.js";

const USAGE = `Usage: anatomy trace [OPTIONS] -- PROG [ARGS...]
  Runs PROG under strace and shows its address space from execve to exit: every mmap, munmap,
  mprotect, mremap, brk and madvise, in order, with its time and who asked for it (the kernel's exec,
  ld.so mapping each library, malloc's heap, large blocks and thread arenas, each thread's stack,
  dlopen, the program's own mappings, executable anonymous memory), children and threads, signals
  and a crash's address; the peak size of each owner; and the replayed maps checked against
  /proc/PID/maps read at each exit. PROG's own output is untouched; the report follows it.
  --json          the report as JSON
  --maps-at N     the replayed /proc/PID/maps right after change #N (the numbers in the timeline)
  -o FILE         write the report to FILE
  --full          every change on its own line (default: a run of one owner's changes on one line)
  --keep DIR      keep strace's text and the maps snapshots in DIR
  --replay DIR    report on a run kept with --keep, without running anything
  --no-stacks     without strace -k: faster, owners from the instruction pointer's object alone
  --no-seccomp    without --seccomp-bpf (every system call stops the program, not only these)
  --malloc        count the malloc family's calls (a counter preloaded into the program, LD_PRELOAD):
                  allocations by size and where glibc put them, frees, what is left, the call sites
  --no-loader     without ld.so's own account (LD_DEBUG into files of the run, writev traced to date it)
  --no-snapshots  no /proc/PID/maps read at execve and exit_group (nothing held; no check)
  --hold MS       how long strace holds a process at execve and exit_group for its maps (default 20)
  --strace PATH   the strace to run (default /usr/bin/strace, else strace on PATH)
`;

interface Options {
  json: boolean;
  mapsAt: number | undefined;
  output: string | undefined;
  full: boolean;
  keep: string | undefined;
  replay: string | undefined;
  stacks: boolean;
  seccomp: boolean;
  snapshots: boolean;
  loader: boolean;
  malloc: boolean;
  holdMs: number;
  strace: string | undefined;
  command: string[];
}

function parseArgs(args: string[], io: CommandIO): Options | number {
  const o: Options = {
    json: false,
    mapsAt: undefined,
    output: undefined,
    full: false,
    keep: undefined,
    replay: undefined,
    stacks: true,
    seccomp: true,
    snapshots: true,
    loader: true,
    malloc: false,
    holdMs: 20,
    strace: undefined,
    command: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const value = (): string | undefined => {
      const v = args[++i];
      if (v === undefined) io.stderr.write(`anatomy trace: ${a} needs a value\n`);
      return v;
    };
    if (a === "--") {
      o.command = args.slice(i + 1);
      break;
    }
    if (a === "--help" || a === "-h") {
      io.stdout.write(USAGE);
      return 0;
    }
    if (a === "--json") o.json = true;
    else if (a === "--full") o.full = true;
    else if (a === "--no-stacks") o.stacks = false;
    else if (a === "--no-seccomp") o.seccomp = false;
    else if (a === "--no-snapshots") o.snapshots = false;
    else if (a === "--no-loader") o.loader = false;
    else if (a === "--malloc") o.malloc = true;
    else if (["--maps-at", "-o", "--keep", "--replay", "--hold", "--strace"].includes(a)) {
      const v = value();
      if (v === undefined) return 1;
      if (a === "--maps-at" || a === "--hold") {
        const n = Number(v.replace(/^#/, ""));
        if (!Number.isInteger(n) || n < 0) {
          io.stderr.write(`anatomy trace: ${a} needs a whole number, not ${v}\n`);
          return 1;
        }
        if (a === "--maps-at") o.mapsAt = n;
        else o.holdMs = n;
      } else if (a === "-o") o.output = v;
      else if (a === "--keep") o.keep = v;
      else if (a === "--replay") o.replay = v;
      else o.strace = v;
    } else if (a.startsWith("-")) {
      io.stderr.write(`anatomy trace: unknown option ${a} (the program's own options go after --)\n`);
      return 1;
    } else {
      o.command = args.slice(i);
      break;
    }
  }
  if (o.command.length === 0 && o.replay === undefined) {
    io.stderr.write(USAGE);
    return 1;
  }
  return o;
}

/** The program's path as execvp would find it, or what is wrong with it. */
function findProgram(name: string, path: string | undefined): { path: string } | { problem: string } {
  const candidates = name.includes("/")
    ? [name]
    : (path ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter).map((d) => join(d || ".", name));
  let found: string | undefined;
  for (const c of candidates) {
    if (existsSync(c)) {
      found = c;
      if (isExecutableFile(c)) break;
    }
  }
  if (found === undefined)
    return { problem: name.includes("/") ? "no such file or directory" : "not found on PATH" };
  const st = statSync(found);
  if (st.isDirectory()) return { problem: "is a directory, not a program" };
  if (!isExecutableFile(found)) return { problem: "not executable (no execute permission)" };
  let head = "";
  try {
    head = readFileSync(found).subarray(0, 4).toString("latin1");
  } catch {
    return { problem: "cannot be read" };
  }
  if (head !== "\x7fELF" && !head.startsWith("#!"))
    return { problem: "not a program (neither ELF nor a #! script)" };
  return { path: found };
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findStrace(given: string | undefined, path: string | undefined): string | undefined {
  if (given !== undefined) return isExecutableFile(given) ? given : undefined;
  if (isExecutableFile("/usr/bin/strace")) return "/usr/bin/strace";
  for (const d of (path ?? "").split(delimiter))
    if (d && isExecutableFile(join(d, "strace"))) return join(d, "strace");
  return undefined;
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const o = parseArgs(args, io);
  if (typeof o === "number") return o;
  let kept: KeptRun;
  let live = false;
  let runDir = o.keep;
  if (o.replay !== undefined) {
    const loaded = loadRun(o.replay);
    if (typeof loaded === "string") {
      io.stderr.write(problemLine(o.replay, loaded));
      return 1;
    }
    kept = loaded;
  } else {
    const name = o.command[0] as string;
    const strace = findStrace(o.strace, io.env.PATH);
    if (!strace) {
      io.stderr.write(
        problemLine(
          o.strace ?? "strace",
          "not found (anatomy trace runs the program under strace; install it)",
        ),
      );
      return 127;
    }
    const program = findProgram(name, io.env.PATH);
    if ("problem" in program) {
      io.stderr.write(problemLine(name, program.problem));
      return 127;
    }
    let env: string[] = [];
    if (o.malloc) {
      const shim = mallocCounter();
      if (!shim) {
        io.stderr.write(
          problemLine(
            "--malloc",
            "the malloc counter (dist/native/anatomy-malloc.so) was not built: npm run build needs a C compiler (cc, gcc or clang)",
          ),
        );
        return 1;
      }
      const dir = o.keep ?? mkdtempSync(join(tmpdir(), "anatomy-trace-"));
      runDir = dir;
      const preload = io.env.LD_PRELOAD ? `${shim}:${io.env.LD_PRELOAD}` : shim;
      env = [`LD_PRELOAD=${preload}`, `ANATOMY_MALLOC_OUT=${resolve(dir, MALLOC_FILE)}`];
    }
    const r = await runTrace({
      program: name,
      path: program.path,
      args: o.command.slice(1),
      strace,
      stacks: o.stacks,
      seccomp: o.seccomp,
      snapshots: o.snapshots,
      loaderDebug: o.loader,
      env,
      holdMicros: o.holdMs * 1000,
      ...(runDir !== undefined ? { dir: runDir } : {}),
    });
    if (r.notRun) {
      io.stderr.write(problemLine(strace, r.notRun));
      return 127;
    }
    const text = readFileSync(r.traceFile, "latin1");
    if (!/^\d+ /.test(text)) {
      io.stderr.write(
        problemLine(name, "strace could not trace it (is ptrace permitted here? strace said why above)"),
      );
      return r.status || 1;
    }
    const k = kernelOfThisMachine();
    kept = {
      text,
      snapshots: r.snapshots,
      meta: {
        argv: r.argv,
        status: r.status,
        trampolineExecs: r.trampolineExecs,
        ...k,
        wallMicros: r.wallMicros,
        missedSnapshots: r.missedSnapshots,
        files: {},
      },
      loaderFiles: loaderFiles(r.dir),
      mallocFiles: o.malloc ? mallocFiles(r.dir) : [],
    };
    live = true;
  }
  const files = kept.meta.files;
  const fileIdentity = (path: string) => {
    if (!live) return files[path];
    const id = statIdentity(path);
    if (id) files[path] = id;
    return id;
  };
  // Frames named from the objects' own symbols: only on a live run, whose files are the ones traced.
  const namer = live
    ? elfFrameNamer((path) => {
        try {
          return ElfFile.open(io.openFile(path));
        } catch {
          return undefined;
        }
      })
    : undefined;
  const events = parseStrace(kept.text);
  const signals: PlacedSignal[] = [];
  const traced: AttributedTrace = attributeTrace(
    events,
    {
      rules: kernelRules(kept.meta.kernel, kept.meta.overcommitNever),
      snapshots: kept.snapshots,
      fileIdentity,
      skipExecs: kept.meta.trampolineExecs,
    },
    namer,
    (e, t) => {
      if (e.type === "signal") signals.push(placeSignal(t, e));
      return o.mapsAt === undefined || t.replay.changes.length <= o.mapsAt;
    },
  );
  if (o.keep !== undefined && live) saveRun(o.keep, kept.text, kept.snapshots, kept.meta);
  const status = kept.meta.status;
  let out = "";
  const write = (s: string) => void (out += s);
  if (o.mapsAt !== undefined) {
    const maps = mapsAfter(traced, o.mapsAt);
    if (!maps) {
      io.stderr.write(
        `anatomy trace: there is no change #${o.mapsAt} (the run made ${traced.replay.changes.length})\n`,
      );
      return 1;
    }
    write(maps.text);
  } else {
    const command = commandOf(kept.meta.argv, kept.meta.trampolineExecs);
    const report = traceReport(
      traced,
      signals,
      {
        command,
        status,
        wallMicros: kept.meta.wallMicros,
        missedSnapshots: kept.meta.missedSnapshots,
        stacks: kept.meta.argv.includes("-k"),
        seccomp: kept.meta.argv.includes("--seccomp-bpf"),
      },
      datedAccounts(kept.loaderFiles, loaderWrites(events)),
    );
    if (kept.mallocFiles.length || kept.meta.argv.some((a) => a.includes("ANATOMY_MALLOC_OUT="))) {
      const openElf = (path: string) => {
        try {
          return ElfFile.open(io.openFile(path));
        } catch {
          return undefined;
        }
      };
      const counts: ReportMalloc[] = [];
      for (const f of kept.mallocFiles) {
        // Call sites named from the maps the counter copied at exit, else those read at exit_group.
        const maps =
          f.maps ?? kept.snapshots.find((s) => s.pid === f.pid && s.at === "exit")?.maps ?? undefined;
        const m = readMallocCounts(
          f.bytes,
          maps !== undefined && live ? mapsSymbolizer(maps, openElf) : undefined,
        );
        if (typeof m === "string") io.stderr.write(problemLine(`${MALLOC_FILE}.${f.pid}`, m));
        else counts.push(mallocReport(m));
      }
      report.malloc = counts;
    }
    if (o.json) write(`${JSON.stringify(report, null, 2)}\n`);
    else renderTrace(report, write, { full: o.full });
  }
  if (o.output !== undefined) {
    try {
      writeFileSync(o.output, out, "latin1");
    } catch (e) {
      io.stderr.write(
        problemLine(o.output, `cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"})`),
      );
      return 1;
    }
  } else io.stdout.write(out);
  return status;
}

/** The counter --malloc preloads, built beside the command's bundle (dist/native), or undefined. */
function mallocCounter(): string | undefined {
  for (const rel of ["../native/anatomy-malloc.so", "../../dist/native/anatomy-malloc.so"]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** The writes ld.so's debug lines came in (writev with -y: `writev(3</dir/ld-debug.PID>, ...) = 70`). */
function loaderWrites(events: ReturnType<typeof parseStrace>): SeenWrite[] {
  const out: SeenWrite[] = [];
  for (const e of events) {
    if (e.type !== "syscall" || e.name !== "writev" || e.result.kind !== "value") continue;
    const path = /^\d+<(.*)>$/.exec(e.args[0] ?? "")?.[1];
    if (path?.includes("/ld-debug.")) out.push({ time: e.time, path, bytes: Number(e.result.value) });
  }
  return out;
}

/** The program's command line from strace's: what follows `--` (and env's own `--`). */
function commandOf(argv: string[], trampoline: number): string[] {
  const rest = argv.slice(argv.indexOf("--") + 1);
  if (!(trampoline > 0 && rest[0]?.endsWith("/env"))) return rest;
  let i = rest[1] === "--" ? 2 : 1;
  // The loader's variables, given to env for the program.
  while (/^(LD_DEBUG|LD_DEBUG_OUTPUT|LD_PRELOAD|ANATOMY_MALLOC_OUT)=/.test(rest[i] ?? "")) i++;
  return rest.slice(i);
}
