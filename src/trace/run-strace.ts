// Running a program under strace: this command exists to run it. The only file of src/trace that
// touches processes and files; what it collects (strace's text, /proc/PID/maps snapshots) is read by
// the pure parser and model beside it.
//
// strace writes to its own file (-o), so the program's stdin, stdout and stderr are its own. Two
// snapshots of /proc/PID/maps are taken from outside, at moments strace holds the process still:
// - at each execve's return: `-e inject=execve:delay_exit=US` holds the new image before its first
//   instruction. strace does not tamper with the first execve, the one it starts, so the program is
//   started through /usr/bin/env, whose execve of the program is the second one, the one held. (A
//   signal injected at execve would stop the new image with no timing, but with --seccomp-bpf the
//   kernel drops a signal given at the seccomp stop.)
// - at exit_group's entry: `-e inject=exit_group:delay_enter=US` holds each process with its address
//   space whole.
// A snapshot is kept only if /proc/PID/syscall still shows the process held in that call after the
// read (in time, not after it went on). strace writes each part of a line as it goes (`exit_group(0`
// appears before the process is held), so watching the file's growth tells when to read.
import { spawn } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  statSync,
  watch,
  writeFileSync,
} from "node:fs";
import { constants, release, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Snapshot } from "./address-space.js";

/** The system calls traced: every one that changes an address space, and each process's birth and end. */
export const TRACED_SYSCALLS = [
  "execve",
  "execveat",
  "fork",
  "vfork",
  "clone",
  "clone3",
  "exit",
  "exit_group",
  "mmap",
  "munmap",
  "mprotect",
  "pkey_mprotect",
  "mremap",
  "brk",
  "madvise",
  "mlock",
  "mlock2",
  "munlock",
  "mlockall",
  "munlockall",
  "shmat",
  "shmdt",
  // Where each thread's TLS block is (ARCH_SET_FS): names the anonymous mapping that holds it.
  "arch_prctl",
] as const;

export interface TraceRequest {
  /** The program as the user named it (argv[0]) and its path found as execvp would. */
  program: string;
  path: string;
  args: string[];
  strace: string;
  /** -k: each call's stack (libunwind), for attribution. */
  stacks: boolean;
  /** --seccomp-bpf: only the traced calls stop the program. */
  seccomp: boolean;
  /** Read /proc/PID/maps after each execve and at each exit_group. */
  snapshots: boolean;
  /** How long strace holds a process at an execve's return and exit_group's entry, in microseconds. */
  holdMicros: number;
  /**
   * ld.so's own account: LD_DEBUG=libs,files,reloc,statistics into LD_DEBUG_OUTPUT (DIR/ld-debug.PID,
   * the program's stderr untouched), with writev traced to date its lines.
   */
  loaderDebug: boolean;
  /** More variables for the program (not the trampoline), `NAME=VALUE`: --malloc's LD_PRELOAD. */
  env?: string[];
  /** Where strace's text and the snapshots go; else a new temporary directory. */
  dir?: string;
}

export interface TraceRun {
  dir: string;
  traceFile: string;
  /** strace's command line as run. */
  argv: string[];
  /** strace's exit status: the program's (128 + signal when a signal killed it). */
  status: number;
  snapshots: Snapshot[];
  /** Snapshots read too late (the process had gone on): not kept. */
  missedSnapshots: number;
  /** The trampoline's execves at the start of the trace that are not the program's (env's own). */
  trampolineExecs: number;
  wallMicros: number;
  /** strace could not be started. */
  notRun: string | undefined;
}

const ENV = "/usr/bin/env";

/** The debug output's name in a run's directory: ld.so appends `.PID`. */
export const LOADER_DEBUG_FILE = "ld-debug";
export const LOADER_DEBUG = "libs,files,reloc,statistics";

export function straceArgs(
  request: TraceRequest,
  traceFile: string,
): { argv: string[]; trampoline: boolean } {
  const argv = [request.strace, "-f", "-q", "-ttt", "-i", "-y"];
  if (request.stacks) argv.push("-k");
  if (request.seccomp) argv.push("--seccomp-bpf");
  const calls = request.loaderDebug ? [...TRACED_SYSCALLS, "writev"] : TRACED_SYSCALLS;
  argv.push("-e", `trace=${calls.join(",")}`, "-o", traceFile);
  // env would take a program named NAME=VALUE for a variable; such a program is run directly (no
  // snapshot of its first image).
  const trampoline = request.snapshots && !request.program.includes("=");
  // The variables are the program's, not the trampoline's: env sets them for what it runs.
  const debugEnv = [
    ...(request.loaderDebug
      ? [`LD_DEBUG=${LOADER_DEBUG}`, `LD_DEBUG_OUTPUT=${join(dirname(traceFile), LOADER_DEBUG_FILE)}`]
      : []),
    ...(request.env ?? []),
  ];
  if (!trampoline) for (const v of debugEnv) argv.push("-E", v);
  if (request.snapshots) {
    argv.push("-e", `inject=execve,execveat:delay_exit=${request.holdMicros}`);
    argv.push("-e", `inject=exit_group:delay_enter=${request.holdMicros}`);
  }
  argv.push("--");
  if (trampoline) argv.push(ENV, "--", ...debugEnv);
  // argv[0] as the user gave it; env and strace search PATH as execvp does, which found `path`.
  argv.push(trampoline ? request.program : request.path, ...request.args);
  return { argv, trampoline };
}

/** Watches strace's file as it grows, taking the snapshots at the moments it says the process is held. */
class SnapshotTaker {
  readonly snapshots: Snapshot[] = [];
  missed = 0;
  private offset = 0;
  private tail = "";
  private readonly execs = new Map<number, number>();
  private readonly exitTaken = new Set<number>();
  private fd: number | undefined;
  constructor(private readonly file: string) {}

  poll(): void {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.file, "r");
      } catch {
        return;
      }
    }
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const n = readSync(this.fd, buf, 0, buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      this.tail += buf.toString("latin1", 0, n);
    }
    let nl = this.tail.indexOf("\n");
    while (nl >= 0) {
      this.line(this.tail.slice(0, nl), true);
      this.tail = this.tail.slice(nl + 1);
      nl = this.tail.indexOf("\n");
    }
    // `PID TIME [IP] exit_group(0` without its end: the process is held at the call's entry.
    if (this.tail) this.line(this.tail, false);
  }

  private line(text: string, whole: boolean): void {
    const m = /^(\d+) +\S+ +(?:\[[0-9a-f?]+\] +)?(.*)$/.exec(text);
    if (!m) return;
    const pid = Number(m[1]);
    const rest = m[2] as string;
    // A successful execve, held at its return (59 execve, 322 execveat on x86-64). Only successful
    // ones are counted: a shell's PATH search tries several.
    if (
      whole &&
      /^(?:<\.\.\. execve(?:at)? resumed>.*|execve(?:at)?\(.*)\) += 0(?: \(DELAYED\))?$/.test(rest)
    ) {
      const execIndex = this.execs.get(pid) ?? 0;
      this.execs.set(pid, execIndex + 1);
      if (rest.endsWith(" (DELAYED)")) this.take(pid, "exec", execIndex, ["59 ", "322 "]);
      return;
    }
    // `exit_group(0` without its end: the process is held at the call's entry (231 on x86-64).
    if (rest.startsWith("exit_group(") && !/\) += /.test(rest) && !this.exitTaken.has(pid)) {
      this.exitTaken.add(pid);
      this.take(pid, "exit", 0, ["231 "]);
    }
  }

  private take(pid: number, at: Snapshot["at"], execIndex: number, calls: string[]): void {
    const maps = readText(`/proc/${pid}/maps`);
    // start_brk and start_stack: where the kernel's [heap] and [stack] names are decided.
    const stat = readText(`/proc/${pid}/stat`);
    // At exit, each mapping's resident size too (the RSS by owner).
    const smaps = at === "exit" ? readText(`/proc/${pid}/smaps`) : undefined;
    const syscall = readText(`/proc/${pid}/syscall`) ?? "";
    if (maps !== undefined && calls.some((c) => syscall.startsWith(c)) && tracingStop(pid))
      this.snapshots.push({ pid, at, execIndex, maps, stat, ...optional("smaps", smaps) });
    else this.missed++;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}

/** Whether /proc/PID/stat shows the process held by its tracer (state `t`). */
function tracingStop(pid: number): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  const close = stat.lastIndexOf(")");
  return stat.slice(close + 2, close + 3) === "t";
}

export function runTrace(request: TraceRequest): Promise<TraceRun> {
  const dir = request.dir ?? mkdtempSync(join(tmpdir(), "anatomy-trace-"));
  mkdirSync(dir, { recursive: true });
  const traceFile = join(dir, "strace.txt");
  writeFileSync(traceFile, "");
  const { argv, trampoline } = straceArgs(request, traceFile);
  const taker = new SnapshotTaker(traceFile);
  const started = process.hrtime.bigint();
  return new Promise((done) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: "inherit" });
    const watcher = request.snapshots ? watch(traceFile, () => taker.poll()) : undefined;
    const timer = request.snapshots ? setInterval(() => taker.poll(), 5) : undefined;
    let finished = false;
    const finish = (status: number, notRun: string | undefined) => {
      if (finished) return;
      finished = true;
      watcher?.close();
      if (timer) clearInterval(timer);
      taker.close();
      done({
        dir,
        traceFile,
        argv,
        status,
        snapshots: taker.snapshots,
        missedSnapshots: taker.missed,
        trampolineExecs: trampoline ? 1 : 0,
        wallMicros: Number((process.hrtime.bigint() - started) / 1000n),
        notRun,
      });
    };
    child.on("error", (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      finish(127, code === "ENOENT" ? `${request.strace}: not found` : `${request.strace}: ${e.message}`);
    });
    child.on("close", (code, signal) => {
      taker.poll();
      finish(code ?? 128 + signalNumber(signal), undefined);
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}

/** A file's device and inode as /proc/PID/maps prints them (`fe:00 339380`), from stat. */
export function statIdentity(path: string): { dev: string; inode: string } | undefined {
  try {
    const st = statSync(path.replace(/ \(deleted\)$/, ""), { bigint: true });
    // new_encode_dev's inverse: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
    const dev = st.dev;
    const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
    const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
    const h = (n: number) => n.toString(16).padStart(2, "0");
    return { dev: `${h(major)}:${h(minor)}`, inode: st.ino.toString() };
  } catch {
    return undefined;
  }
}

/**
 * A run as kept on disk (`anatomy trace --keep DIR`), to be read again without running anything:
 * strace.txt, maps.PID.exec.N and maps.PID.exit with their stat.* beside them, and run.json (the
 * command, its status, the kernel, the files' devices and inodes as they were).
 */
export interface KeptRun {
  text: string;
  snapshots: Snapshot[];
  meta: RunMeta;
  /** ld.so's debug output of each process that wrote one (`ld-debug.PID`), and the path it had. */
  loaderFiles: LoaderFile[];
  /** --malloc's counts of each process (`malloc.PID`), with the maps its counter copied at exit. */
  mallocFiles: MallocFile[];
}

export const MALLOC_FILE = "malloc";
/** 64 MiB: the counts of about 4,000 threads; a file beyond it is read that far (its later blocks go uncounted). */
const MALLOC_FILE_LIMIT = 64 << 20;

function readUpTo(path: string, limit: number): Uint8Array | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = Math.min(statSync(path).size, limit);
    const bytes = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, bytes, got, size - got, got);
      if (n <= 0) break;
      got += n;
    }
    return bytes.subarray(0, got);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface MallocFile {
  pid: number;
  bytes: Uint8Array;
  maps: string | undefined;
}

/** The counts --malloc's counter wrote in a run's directory. */
export function mallocFiles(dir: string): MallocFile[] {
  const out: MallocFile[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const f of names) {
    const m = new RegExp(`^${MALLOC_FILE}\\.(\\d+)$`).exec(f);
    if (!m) continue;
    const bytes = readUpTo(join(dir, f), MALLOC_FILE_LIMIT);
    if (bytes) out.push({ pid: Number(m[1]), bytes, maps: readText(join(dir, `${f}.maps`)) });
  }
  return out;
}

export interface LoaderFile {
  pid: number;
  path: string;
  text: string;
}

/** The debug files ld.so wrote in a run's directory. */
export function loaderFiles(dir: string): LoaderFile[] {
  const out: LoaderFile[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const f of names) {
    const m = new RegExp(`^${LOADER_DEBUG_FILE}\\.(\\d+)$`).exec(f);
    const text = m ? readText(join(dir, f)) : undefined;
    if (m && text !== undefined) out.push({ pid: Number(m[1]), path: join(dir, f), text });
  }
  return out;
}

export interface RunMeta {
  /** `trace --pid`: what was found at attach, and whether strace let the process go on. */
  attached?: {
    pid: number;
    at: number;
    program: string;
    threads: number[];
    detached: boolean;
    /** Who sent the SIGCONT that let it go on after attach (this command): not the program's signal. */
    sender: number;
  };
  argv: string[];
  status: number;
  trampolineExecs: number;
  kernel: string;
  overcommitNever: boolean;
  wallMicros: number;
  missedSnapshots: number;
  files: Record<string, { dev: string; inode: string }>;
}

export function saveRun(dir: string, text: string, snapshots: Snapshot[], meta: RunMeta): void {
  mkdirSync(dir, { recursive: true });
  if (join(dir, "strace.txt") !== meta.argv[meta.argv.indexOf("-o") + 1])
    writeFileSync(join(dir, "strace.txt"), text, "latin1");
  for (const s of snapshots) {
    const name = s.at === "exec" ? `${s.pid}.exec.${s.execIndex}` : `${s.pid}.exit`;
    writeFileSync(join(dir, `maps.${name}`), s.maps, "latin1");
    if (s.stat !== undefined) writeFileSync(join(dir, `stat.${name}`), s.stat, "latin1");
    if (s.smaps !== undefined) writeFileSync(join(dir, `smaps.${name}`), s.smaps, "latin1");
  }
  writeFileSync(join(dir, "run.json"), `${JSON.stringify(meta, null, 2)}\n`);
}

/** A kept run, or why it cannot be read. */
export function loadRun(dir: string): KeptRun | string {
  let text: string;
  let meta: RunMeta;
  try {
    if (!statSync(dir).isDirectory())
      return "not a directory (--replay reads a directory kept by anatomy trace --keep)";
  } catch {
    return "no such file or directory";
  }
  try {
    text = readFileSync(join(dir, "strace.txt"), "latin1");
  } catch {
    return "no strace.txt in it (not a directory kept by anatomy trace --keep)";
  }
  try {
    meta = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as RunMeta;
  } catch {
    return "its run.json is missing or not JSON";
  }
  const wrong = metaProblem(meta);
  if (wrong) return `its run.json ${wrong}`;
  const snapshots: Snapshot[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = /^maps\.(\d+)\.(exec\.(\d+)|exit)$/.exec(f);
    if (!m) continue;
    snapshots.push({
      pid: Number(m[1]),
      at: m[3] !== undefined ? "exec" : "exit",
      execIndex: m[3] !== undefined ? Number(m[3]) : 0,
      maps: readFileSync(join(dir, f), "latin1"),
      stat: readText(join(dir, f.replace(/^maps/, "stat"))),
      ...optional("smaps", readText(join(dir, f.replace(/^maps/, "smaps")))),
    });
  }
  return { text, snapshots, meta, loaderFiles: loaderFiles(dir), mallocFiles: mallocFiles(dir) };
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };

/** What is wrong with a run.json's fields, or undefined. */
function metaProblem(meta: unknown): string | undefined {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return "is not an object";
  const m = meta as Record<string, unknown>;
  const whole = (v: unknown, max: number) =>
    Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;
  if (!Array.isArray(m.argv) || !m.argv.every((a) => typeof a === "string"))
    return "has no argv (a list of strings)";
  if (!whole(m.status, 255)) return `has status ${JSON.stringify(m.status)}, not an exit status (0-255)`;
  if (!whole(m.trampolineExecs, 16))
    return `has trampolineExecs ${JSON.stringify(m.trampolineExecs)}, not 0-16`;
  if (typeof m.kernel !== "string") return "has no kernel release (a string)";
  if (typeof m.wallMicros !== "number" || !Number.isFinite(m.wallMicros))
    return "has no wallMicros (a number)";
  if (!whole(m.missedSnapshots, 1e9)) return "has no missedSnapshots (a count)";
  if (typeof m.files !== "object" || m.files === null) return "has no files (an object)";
  const a = m.attached as Record<string, unknown> | undefined;
  if (a !== undefined) {
    if (typeof a !== "object" || a === null) return "has an attached that is not an object";
    if (!whole(a.pid, 2 ** 22) || typeof a.at !== "number" || typeof a.program !== "string")
      return "has an attached without its pid, time and program";
    if (!Array.isArray(a.threads) || !a.threads.every((t) => whole(t, 2 ** 22)))
      return "has an attached whose threads are not process IDs";
  }
  return undefined;
}

/** The kernel's release and whether vm.overcommit_memory is 2 (MAP_NORESERVE then ignored). */
export function kernelOfThisMachine(): { kernel: string; overcommitNever: boolean } {
  return {
    kernel: release(),
    overcommitNever: readText("/proc/sys/vm/overcommit_memory")?.trim() === "2",
  };
}

export interface AttachRequest {
  pid: number;
  strace: string;
  stacks: boolean;
  /** Hold each exit_group for the maps, and read the maps again at detach. */
  snapshots: boolean;
  holdMicros: number;
  /** Detach after this many seconds; else when the process ends or on Ctrl-C. */
  seconds: number | undefined;
  dir?: string;
}

/** What `trace --pid` found at attach, and how the attach went. */
export interface AttachRun extends TraceRun {
  /** When the maps were read (microseconds since the epoch), the program, the threads then. */
  attachedAt: number;
  program: string;
  threads: number[];
  /** The process was still running when strace let it go (its maps then are snapshot `exit`). */
  detached: boolean;
}

/** Why a process cannot be attached to, or undefined. */
export function attachProblem(pid: number): string | undefined {
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(`/proc/${pid}`);
  } catch {
    return "no such process";
  }
  if (!stat.isDirectory()) return "no such process";
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, "latin1");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return "no such process (it has gone)";
    return "not ours to trace (its /proc/PID/maps cannot be read: another user's process, or ptrace is not permitted)";
  }
  if (maps === "") return "has no address space of its own (a kernel thread, or a zombie)";
  return undefined;
}

/** Attaches strace to a running process (every thread), until it ends, the time is up or Ctrl-C. */
export function attachTrace(request: AttachRequest): Promise<AttachRun> {
  const dir = request.dir ?? mkdtempSync(join(tmpdir(), "anatomy-trace-"));
  mkdirSync(dir, { recursive: true });
  const traceFile = join(dir, "strace.txt");
  writeFileSync(traceFile, "");
  const argv = [request.strace, "-f", "-q", "-ttt", "-i", "-y"];
  if (request.stacks) argv.push("-k");
  argv.push("-e", `trace=${TRACED_SYSCALLS.join(",")}`, "-o", traceFile);
  if (request.snapshots) argv.push("-e", `inject=exit_group:delay_enter=${request.holdMicros}`);
  argv.push("-p", String(request.pid));
  const pid = request.pid;
  const program = readLink(`/proc/${pid}/exe`) ?? readText(`/proc/${pid}/comm`)?.trim() ?? String(pid);
  // The maps are read with the process stopped (SIGSTOP), and it goes on (SIGCONT) only once strace
  // holds every thread: nothing it does falls between the maps as found and the trace.
  let stopped = false;
  try {
    process.kill(pid, "SIGSTOP");
    stopped = waitFor(() => /^[Tt]$/.test(threadState(pid) ?? ""), 2000);
  } catch {
    // not ours to stop: strace will say why it cannot attach either
  }
  let threads: number[] = [];
  try {
    threads = readdirSync(`/proc/${pid}/task`)
      .map(Number)
      .filter((t) => t !== pid);
  } catch {
    // gone: strace will say so
  }
  const attachedAt = Date.now() * 1000;
  const maps = readText(`/proc/${pid}/maps`) ?? "";
  const taker = new SnapshotTaker(traceFile);
  taker.snapshots.push({ pid, at: "exec", execIndex: 0, maps, stat: readText(`/proc/${pid}/stat`) });
  const started = process.hrtime.bigint();
  return new Promise((done) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
    if (stopped) {
      const tracer = String(child.pid);
      const tracerOf = (t: number) =>
        readText(`/proc/${pid}/task/${t}/status`)?.match(/^TracerPid:\t(\d+)$/m)?.[1];
      const resume = (tries: number) => {
        if ([pid, ...threads].every((t) => tracerOf(t) === tracer) || tries <= 0 || child.exitCode !== null) {
          try {
            process.kill(pid, "SIGCONT");
          } catch {
            // gone
          }
        } else setTimeout(() => resume(tries - 1), 2);
      };
      resume(2500);
    }
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString("latin1");
    });
    // Ctrl-C reaches strace too (the terminal's process group): it detaches; this process waits for it.
    const onInterrupt = () => undefined;
    process.on("SIGINT", onInterrupt);
    // At the time: stopped (SIGSTOP) and, once every thread is held with the signal taken (any call
    // in flight has returned and been printed), its maps read while strace still holds it; then
    // strace lets it go (and may swallow the SIGSTOP: SIGCONT after, either way).
    let stoppedAtEnd = false;
    let heldMaps: { maps: string; smaps: string | undefined } | undefined;
    const held = () => {
      if (stopPending(pid)) return false;
      try {
        return readdirSync(`/proc/${pid}/task`).every((t) => /^[Tt]$/.test(threadState(Number(t)) ?? ""));
      } catch {
        return false;
      }
    };
    const timer =
      request.seconds !== undefined
        ? setTimeout(() => {
            try {
              process.kill(pid, "SIGSTOP");
              stoppedAtEnd = true;
              if (waitFor(held, 1000)) {
                const maps = readText(`/proc/${pid}/maps`);
                if (maps) heldMaps = { maps, smaps: readText(`/proc/${pid}/smaps`) };
              }
            } catch {
              // gone
            }
            child.kill("SIGINT");
          }, request.seconds * 1000)
        : undefined;
    const watcher = request.snapshots ? watch(traceFile, () => taker.poll()) : undefined;
    const poller = request.snapshots ? setInterval(() => taker.poll(), 5) : undefined;
    let finished = false;
    const finish = (status: number, notRun: string | undefined) => {
      if (finished) return;
      finished = true;
      process.off("SIGINT", onInterrupt);
      if (timer) clearTimeout(timer);
      watcher?.close();
      if (poller) clearInterval(poller);
      taker.poll();
      taker.close();
      // Still running: its maps then (read while held, else now) are where the replay ends.
      const now = heldMaps?.maps ?? readText(`/proc/${pid}/maps`);
      const smapsNow = heldMaps ? heldMaps.smaps : now ? readText(`/proc/${pid}/smaps`) : undefined;
      if (stoppedAtEnd)
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // gone
        }
      const detached =
        now !== undefined && now !== "" && !taker.snapshots.some((s) => s.pid === pid && s.at === "exit");
      if (detached && request.snapshots)
        taker.snapshots.push({
          pid,
          at: "exit",
          execIndex: 0,
          maps: now,
          stat: readText(`/proc/${pid}/stat`),
          ...optional("smaps", smapsNow),
        });
      done({
        dir,
        traceFile,
        argv,
        status,
        snapshots: taker.snapshots,
        missedSnapshots: taker.missed,
        trampolineExecs: 0,
        wallMicros: Number((process.hrtime.bigint() - started) / 1000n),
        notRun,
        attachedAt,
        program,
        threads,
        detached,
      });
    };
    child.on("error", (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      finish(127, code === "ENOENT" ? `${request.strace}: not found` : `${request.strace}: ${e.message}`);
    });
    child.on("close", (code) => {
      const refused = /attach: ptrace\(PTRACE_SEIZE, \d+\): (.*)/.exec(stderr)?.[1];
      const failed =
        refused ?? (code !== 0 && !readText(traceFile) ? stderr.trim().split("\n")[0] : undefined);
      finish(code ?? 0, failed ? `strace could not attach: ${failed}` : undefined);
    });
  });
}

/** Whether a SIGSTOP (19) is still pending for the process or its main thread. */
function stopPending(pid: number): boolean {
  const status = readText(`/proc/${pid}/status`) ?? "";
  return ["SigPnd", "ShdPnd"].some((k) => {
    const m = new RegExp(`^${k}:\\t([0-9a-f]+)$`, "m").exec(status);
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << 18n)) !== 0n;
  });
}

/** The state letter of /proc/PID/stat (R, S, T stopped, t traced ...). */
function threadState(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  const close = stat?.lastIndexOf(")") ?? -1;
  return stat === undefined ? undefined : stat.slice(close + 2, close + 3);
}

/** Polls (briefly, sleeping a millisecond between) until the condition holds or the time is up. */
function waitFor(condition: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < end) {
    if (condition()) return true;
    Atomics.wait(nap, 0, 0, 1);
  }
  return condition();
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
