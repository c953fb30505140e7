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
import { parseMaps } from "../process/proc-maps.js";
import { DETACHED, kernelRules, mapsText } from "../trace/address-space.js";
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
  attachProblem,
  attachTrace,
  type KeptRun,
  kernelOfThisMachine,
  loaderFiles,
  loadRun,
  MALLOC_FILE,
  mallocFiles,
  type RunMeta,
  runTrace,
  saveRun,
  statIdentity,
} from "../trace/run-strace.js";
import { CLONE_THREAD, CLONE_VM, parseStrace, type TraceEvent } from "../trace/strace-parse.js";
import { type CommandIO, openFile } from "./io.js";
import { problemLine } from "./problem.js";

const USAGE = `Usage: anatomy trace [OPTIONS] -- PROG [ARGS...]
  Runs PROG under strace and shows its address space from execve to exit: every mmap, munmap,
  mprotect, mremap, brk and madvise, in order, with its time and who asked for it (the kernel's exec,
  ld.so mapping each library, malloc's heap, large blocks and thread arenas, each thread's stack,
  dlopen, the program's own mappings, executable anonymous memory), children and threads, signals
  and a crash's address; the peak size of each owner; and the replayed maps checked against
  /proc/PID/maps read at each exit. PROG's own output is untouched; the report follows it.
  --pid PID       attach to a running process (every thread) instead: from its maps as found, until
                  it ends, Ctrl-C, or --for SECONDS; then its maps are read again for the check
  --json          the report as JSON
  --maps-at N     the replayed /proc/PID/maps right after change #N (the numbers in the timeline)
  -o FILE         write the report to FILE
  --full          every change on its own line (default: a run of one owner's changes on one line)
  --keep DIR      keep strace's text and the maps snapshots in DIR
  --replay DIR    report on a run kept with --keep, without running anything
  --stacks        each call's stack too (strace -k): tells malloc's, pthread's and dlopen's calls of
                  libc's mmap from the program's own; each mapping change then costs strace a few ms
  --no-stacks     the default: owners from the instruction pointer's object and the call itself
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
  pid: number | undefined;
  seconds: number | undefined;
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
    stacks: false,
    seccomp: true,
    snapshots: true,
    loader: true,
    malloc: false,
    pid: undefined,
    seconds: undefined,
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
    else if (a === "--stacks") o.stacks = true;
    else if (a === "--no-seccomp") o.seccomp = false;
    else if (a === "--no-snapshots") o.snapshots = false;
    else if (a === "--no-loader") o.loader = false;
    else if (a === "--malloc") o.malloc = true;
    else if (a === "--pid" || a === "-p" || a === "--for") {
      const v = value();
      if (v === undefined) return 1;
      const n = Number(v);
      if (a === "--for" ? !(n > 0) : !Number.isInteger(n) || n <= 0) {
        io.stderr.write(
          `anatomy trace: ${a} needs a ${a === "--for" ? "number of seconds" : "process ID"}, not ${v}\n`,
        );
        return 1;
      }
      if (a === "--for") o.seconds = n;
      else o.pid = n;
    } else if (["--maps-at", "-o", "--keep", "--replay", "--hold", "--strace"].includes(a)) {
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
  if (o.pid !== undefined && o.command.length) {
    io.stderr.write("anatomy trace: --pid attaches to a running process; give it or a command, not both\n");
    return 1;
  }
  if (o.pid !== undefined && o.malloc) {
    io.stderr.write(
      "anatomy trace: --malloc preloads its counter at exec: it cannot join a running process (--pid)\n",
    );
    return 1;
  }
  if (o.command.length === 0 && o.replay === undefined && o.pid === undefined) {
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
  if (!st.isFile()) return { problem: "not a regular file (a FIFO, a socket or a device), not a program" };
  if (!isExecutableFile(found)) return { problem: "not executable (no execute permission)" };
  let head = "";
  try {
    head = readFileSync(found).subarray(0, 4).toString("latin1");
  } catch {
    return { problem: "cannot be read" };
  }
  if (head !== "\x7fELF" && !head.startsWith("#!"))
    return { problem: "not a program (neither ELF nor a #! script)" };
  if (head === "\x7fELF") {
    const cut = loadableProblem(found);
    if (cut) return { problem: cut };
  }
  return { path: found };
}

/**
 * What would make the kernel's execve fail on an ELF file, read before running it: a header that does
 * not parse, or a PT_LOAD whose bytes run past the end of the file (the kernel gives up after the old
 * image is gone, and the process dies of SIGSEGV with nothing said).
 */
function loadableProblem(path: string): string | undefined {
  let elf: ElfFile;
  try {
    elf = ElfFile.open(openFile(path));
  } catch (e) {
    return `not a program the kernel can load (${(e as Error).message})`;
  }
  try {
    for (const ph of elf.programHeaders) {
      if (ph.p_type !== 1) continue;
      if (ph.p_offset + ph.p_filesz > BigInt(elf.size))
        return `program header ${ph.index} (PT_LOAD) wants file bytes 0x${ph.p_offset.toString(16)}-0x${(ph.p_offset + ph.p_filesz).toString(16)}, past the end of the file (${elf.size} bytes): the kernel cannot load it`;
    }
  } catch (e) {
    return `not a program the kernel can load (${(e as Error).message})`;
  }
  return undefined;
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
  } else if (o.pid !== undefined) {
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
    const problem = o.pid === process.pid ? "is anatomy itself" : attachProblem(o.pid);
    if (problem) {
      io.stderr.write(problemLine(String(o.pid), problem));
      return 1;
    }
    const r = await attachTrace({
      pid: o.pid,
      strace,
      stacks: o.stacks,
      snapshots: o.snapshots,
      holdMicros: o.holdMs * 1000,
      seconds: o.seconds,
      ...(o.keep !== undefined ? { dir: o.keep } : {}),
    });
    if (r.notRun) {
      io.stderr.write(problemLine(String(o.pid), r.notRun));
      return 1;
    }
    kept = {
      text: readFileSync(r.traceFile, "latin1"),
      snapshots: r.snapshots,
      meta: {
        argv: r.argv,
        status: 0,
        trampolineExecs: 0,
        ...kernelOfThisMachine(),
        wallMicros: r.wallMicros,
        missedSnapshots: r.missedSnapshots,
        files: {},
        attached: {
          pid: o.pid,
          at: r.attachedAt,
          program: r.program,
          threads: r.threads,
          detached: r.detached,
          sender: process.pid,
        },
      },
      loaderFiles: [],
      mallocFiles: [],
    };
    live = true;
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
  // A kept snapshot that is not /proc/PID/maps text is left out (said once); the rest still reports.
  kept.snapshots = kept.snapshots.filter((snap) => {
    try {
      parseMaps(snap.maps);
      return true;
    } catch (e) {
      const name = snap.at === "exec" ? `maps.${snap.pid}.exec.${snap.execIndex}` : `maps.${snap.pid}.exit`;
      const line = (e as { lineNumber?: number }).lineNumber;
      io.stderr.write(
        problemLine(
          o.replay !== undefined ? join(o.replay, name) : name,
          `${line !== undefined ? `line ${line}: ` : ""}${(e as Error).message}; this snapshot is left out`,
        ),
      );
      return false;
    }
  });
  const files = kept.meta.files;
  const fileIdentity = (path: string) => {
    if (!live) return files[path];
    const id = statIdentity(path);
    if (id) files[path] = id;
    return id;
  };
  const openElf = (path: string) => {
    try {
      return ElfFile.open(io.openFile(path));
    } catch {
      return undefined;
    }
  };
  // Frames named from the objects' own symbols: only on a live run, whose files are the ones traced.
  const namer = live ? elfFrameNamer(openElf) : undefined;
  const events = withAttach(parseStrace(kept.text), kept.meta.attached);
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
      if (e.type === "signal") {
        const placed = placeSignal(t, e);
        // No stack: the ip's function from the symbols of the object mapped there.
        const mm = t.replay.processes.get(e.pid)?.mm;
        if (live && e.frames.length === 0 && e.ip !== undefined && mm) {
          const named = mapsSymbolizer(mapsText(mm), openElf)(e.ip);
          const symbol = named?.slice(named.indexOf(" ") + 1);
          if (symbol && !symbol.startsWith("0x")) placed.ipName = symbol;
        }
        signals.push(placed);
      }
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
    const attached = kept.meta.attached;
    const command = attached
      ? [attached.program, `(pid ${attached.pid}, attached${attached.detached ? ", then let go" : ""})`]
      : commandOf(kept.meta.argv, kept.meta.trampolineExecs);
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
      (pid) => kept.snapshots.find((snap) => snap.pid === pid && snap.at === "exit")?.smaps,
    );
    if (kept.mallocFiles.length || kept.meta.argv.some((a) => a.includes("ANATOMY_MALLOC_OUT="))) {
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

/**
 * `trace --pid`'s run as events: what was found at attach first (the address space as an execve,
 * each other thread as a clone of the process), then strace's, then the detach.
 */
function withAttach(events: TraceEvent[], attached: RunMeta["attached"]): TraceEvent[] {
  if (!attached) return events;
  const base = {
    type: "syscall" as const,
    line: 0,
    pid: attached.pid,
    time: attached.at,
    endTime: attached.at,
    ip: undefined,
    args: [],
    result: { kind: "value" as const, value: 0n },
    tampered: undefined,
    frames: [],
    attached: true,
  };
  const found: TraceEvent[] = [
    { ...base, name: "execve", call: { call: "execve", path: attached.program, argv: [], dirfd: undefined } },
    ...attached.threads.map(
      (tid): TraceEvent => ({
        ...base,
        name: "clone",
        result: { kind: "value", value: BigInt(tid) },
        call: {
          call: "clone",
          flags: CLONE_VM | CLONE_THREAD,
          flagNames: [],
          stack: undefined,
          tls: undefined,
        },
      }),
    ),
  ];
  const last = events.at(-1)?.time ?? attached.at;
  const after: TraceEvent[] = attached.detached
    ? [{ type: "note", line: 0, pid: attached.pid, time: last, text: DETACHED }]
    : [];
  // The SIGCONT that let it go on after attach, and the SIGSTOP before the detach, were this command's.
  const ours = (e: TraceEvent) =>
    e.type === "signal" && /^SIG(CONT|STOP)$/.test(e.signal) && e.info.si_pid === String(attached.sender);
  return [...found, ...events.filter((e) => !ours(e)), ...after];
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
