// strace's text (`strace -f -ttt -i -y -k`, 6.1) as events. Pure: the text in, objects out.
//
//   24657 1796661860.272836 [00007f74e2270ca3] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f74e2246000
//    > /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2(_dl_catch_error+0x8823) [0x20ca3]
//   24659 1796661860.354203 [00007f74e215c9b3] mmap(NULL, 134217728, PROT_NONE, ... <unfinished ...>
//   24659 1796661860.358845 [00007f74e215c9b3] <... mmap resumed>) = 0x7f74d1000000
//   24660 1796661860.400000 [0000556e1d8a1149] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---
//   24660 1796661860.400100 [????????????????] +++ killed by SIGSEGV (core dumped) +++
//
// A call split by another thread's line (`<unfinished ...>`, then `<... NAME resumed>`) is one event,
// placed where it finished (the kernel applied it before it returned) and timed when it began. Its
// stack (-k) follows the line that finishes it. Text is a byte string (Latin-1): paths are bytes.

/** One frame of a -k stack: ` > OBJECT(SYMBOL+0xOFF) [0xFILEOFFSET]`. */
export interface StackFrame {
  /** The object's path as strace found it in the maps. */
  object: string;
  /** The nearest symbol strace's unwinder named (the dynamic symbol table's, often not the function). */
  symbol: string | undefined;
  symbolOffset: bigint | undefined;
  /** The offset in the object's file of the return address (of the call's instruction, for frame 0). */
  fileOffset: bigint;
}

export type SyscallResult =
  | { kind: "value"; value: bigint }
  | { kind: "error"; errno: string }
  /** `= ?`: the call did not return (exit, a successful execve in another thread, a kill). */
  | { kind: "none" };

export interface SyscallEvent {
  type: "syscall";
  /** Line number (1-based) of the line that finished the call. */
  line: number;
  pid: number;
  /** -ttt time when the call began, in microseconds since the epoch (exact in a double). */
  time: number;
  /** When it finished (the resumed line's time), for a call split by another thread. */
  endTime: number;
  /** -i: the instruction pointer at the call (after the `syscall` instruction). */
  ip: bigint | undefined;
  name: string;
  /** The arguments as strace printed them, split at top-level commas. */
  args: string[];
  result: SyscallResult;
  /** strace's inject= held the call (` (DELAYED)`) or replaced it (` (INJECTED)`). */
  tampered: "delayed" | "injected" | undefined;
  frames: StackFrame[];
  /** The decoded arguments of the calls that change an address space or make a process. */
  call: DecodedCall | undefined;
  /**
   * Not from strace: made by `trace --pid` for what it found at attach (the process's address space
   * as an execve, each of its other threads as a clone).
   */
  attached?: boolean;
}

export interface SignalEvent {
  type: "signal";
  line: number;
  pid: number;
  time: number;
  ip: bigint | undefined;
  signal: string;
  /** The siginfo fields as printed: si_code, si_addr, si_pid ... */
  info: Record<string, string>;
  /** si_addr, for a fault. */
  address: bigint | undefined;
  /** -k: where the process was when the signal came (a fault's instruction first). */
  frames: StackFrame[];
}

export interface ExitEvent {
  type: "exit";
  line: number;
  pid: number;
  time: number;
  /** `+++ exited with N +++`, or killed by a signal, or its thread execve'd (`superseded`). */
  how: "exited" | "killed" | "superseded";
  status: number | undefined;
  signal: string | undefined;
  coreDumped: boolean;
}

/** `--- stopped by SIGSTOP ---` and other lines strace prints about a process. */
export interface NoteEvent {
  type: "note";
  line: number;
  pid: number;
  time: number;
  text: string;
}

export type TraceEvent = SyscallEvent | SignalEvent | ExitEvent | NoteEvent;

/** A prot argument: `PROT_READ|PROT_WRITE`, `PROT_NONE`. */
export const PROT = { PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4, PROT_SEM: 8 } as const;
export const PROT_GROWSDOWN = 0x01000000;
export const PROT_GROWSUP = 0x02000000;

/** mmap flags (include/uapi/asm-generic/mman*.h, x86-64). */
export const MAP = {
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_SHARED_VALIDATE: 0x03,
  MAP_DROPPABLE: 0x08,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
  MAP_32BIT: 0x40,
  MAP_GROWSDOWN: 0x100,
  MAP_DENYWRITE: 0x800,
  MAP_EXECUTABLE: 0x1000,
  MAP_LOCKED: 0x2000,
  MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000,
  MAP_NONBLOCK: 0x10000,
  MAP_STACK: 0x20000,
  MAP_HUGETLB: 0x40000,
  MAP_SYNC: 0x80000,
  MAP_FIXED_NOREPLACE: 0x100000,
  MAP_UNINITIALIZED: 0x4000000,
} as const;
export const MAP_TYPE = 0x0f;
const MAP_HUGE_SHIFT = 26;

export const MREMAP = { MREMAP_MAYMOVE: 1, MREMAP_FIXED: 2, MREMAP_DONTUNMAP: 4 } as const;

/** madvise advice (include/uapi/asm-generic/mman-common.h). */
export const MADV: Record<string, number> = {
  MADV_NORMAL: 0,
  MADV_RANDOM: 1,
  MADV_SEQUENTIAL: 2,
  MADV_WILLNEED: 3,
  MADV_DONTNEED: 4,
  MADV_FREE: 8,
  MADV_REMOVE: 9,
  MADV_DONTFORK: 10,
  MADV_DOFORK: 11,
  MADV_MERGEABLE: 12,
  MADV_UNMERGEABLE: 13,
  MADV_HUGEPAGE: 14,
  MADV_NOHUGEPAGE: 15,
  MADV_DONTDUMP: 16,
  MADV_DODUMP: 17,
  MADV_WIPEONFORK: 18,
  MADV_KEEPONFORK: 19,
  MADV_COLD: 20,
  MADV_PAGEOUT: 21,
  MADV_POPULATE_READ: 22,
  MADV_POPULATE_WRITE: 23,
  MADV_DONTNEED_LOCKED: 24,
  MADV_COLLAPSE: 25,
  MADV_HWPOISON: 100,
  MADV_SOFT_OFFLINE: 101,
  MADV_GUARD_INSTALL: 102,
  MADV_GUARD_REMOVE: 103,
};

/** The clone flags the model needs (include/uapi/linux/sched.h). */
export const CLONE_VM = 0x100;
export const CLONE_VFORK = 0x4000;
export const CLONE_THREAD = 0x10000;
const CLONE: Record<string, number> = {
  CLONE_VM,
  CLONE_FS: 0x200,
  CLONE_FILES: 0x400,
  CLONE_SIGHAND: 0x800,
  CLONE_PIDFD: 0x1000,
  CLONE_PTRACE: 0x2000,
  CLONE_VFORK,
  CLONE_PARENT: 0x8000,
  CLONE_THREAD,
  CLONE_NEWNS: 0x20000,
  CLONE_SYSVSEM: 0x40000,
  CLONE_SETTLS: 0x80000,
  CLONE_PARENT_SETTID: 0x100000,
  CLONE_CHILD_CLEARTID: 0x200000,
  CLONE_DETACHED: 0x400000,
  CLONE_UNTRACED: 0x800000,
  CLONE_CHILD_SETTID: 0x1000000,
  CLONE_NEWCGROUP: 0x2000000,
  CLONE_NEWUTS: 0x4000000,
  CLONE_NEWIPC: 0x8000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
  CLONE_IO: 0x80000000,
  CLONE_CLEAR_SIGHAND: 0x100000000,
  CLONE_INTO_CGROUP: 0x200000000,
};

/** A descriptor argument: its number, and with -y the path of what it refers to (`3</usr/lib/libc.so.6>`). */
export interface FdArg {
  fd: number;
  path: string | undefined;
}

export type DecodedCall =
  | {
      call: "mmap";
      addr: bigint;
      length: bigint;
      prot: number;
      flags: number;
      fd: FdArg;
      offset: bigint;
    }
  | { call: "munmap"; addr: bigint; length: bigint }
  | { call: "mprotect"; addr: bigint; length: bigint; prot: number }
  | {
      call: "mremap";
      oldAddr: bigint;
      oldLength: bigint;
      newLength: bigint;
      flags: number;
      newAddr: bigint | undefined;
    }
  | { call: "brk"; addr: bigint }
  | { call: "madvise"; addr: bigint; length: bigint; advice: number; adviceName: string }
  | { call: "mlock"; addr: bigint; length: bigint; lock: boolean; onFault: boolean }
  | { call: "mlockall"; flags: string[] }
  | { call: "munlockall" }
  | { call: "shmat"; shmid: number; addr: bigint; flags: string[] }
  | { call: "shmdt"; addr: bigint }
  | { call: "clone"; flags: number; flagNames: string[]; stack: bigint | undefined; tls: bigint | undefined }
  | { call: "execve"; path: string; argv: string[]; dirfd: FdArg | undefined }
  | { call: "exit"; status: number; group: boolean }
  | { call: "arch_prctl"; code: string; addr: bigint | undefined };

const HEAD = /^(\d+) +(\d+)\.(\d{6}) +(?:\[([0-9a-f]+|\?+)\] +)?/;
const FRAME = /^ > (.*?)(?:\((.*?)(?:\+(0x[0-9a-f]+))?\))? \[(0x[0-9a-f]+)\]$/;

interface Pending {
  pid: number;
  time: number;
  ip: bigint | undefined;
  name: string;
  /** The arguments printed before `<unfinished ...>`. */
  start: string;
}

/** strace's text (Latin-1) as events, in the order their calls finished. */
export function parseStrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const pending = new Map<number, Pending>();
  const lines = text.split("\n");
  let last: { frames: StackFrame[] } | undefined;
  // A thread's exit prints its stack after `+++ exited with 0 +++`: it goes to the exit call.
  const lastCall = new Map<number, SyscallEvent>();
  for (let i = 0; i < lines.length; i++) {
    const lineText = lines[i] as string;
    const line = i + 1;
    if (lineText.startsWith(" > ")) {
      const frame = parseFrame(lineText);
      if (frame && last) last.frames.push(frame);
      continue;
    }
    last = undefined;
    const head = HEAD.exec(lineText);
    if (!head) continue;
    const pid = Number(head[1]);
    const time = Number(head[2]) * 1e6 + Number(head[3]);
    const ip = head[4] === undefined || head[4].startsWith("?") ? undefined : BigInt(`0x${head[4]}`);
    const rest = lineText.slice(head[0].length);
    if (rest.startsWith("+++ ")) {
      events.push(exitEvent(rest, line, pid, time));
      const call = lastCall.get(pid);
      if (call?.call?.call === "exit" && call.frames.length === 0) last = call;
      continue;
    }
    if (rest.startsWith("--- ")) {
      const sig = /^--- (SIG[A-Z0-9+]+|SIGRT_\d+) \{(.*)\} ---$/.exec(rest);
      if (sig) {
        const info = fields(sig[2] as string);
        const addr = info.si_addr;
        const signal: SignalEvent = {
          type: "signal",
          line,
          pid,
          time,
          ip,
          signal: sig[1] as string,
          info,
          address: addr !== undefined && /^(0x[0-9a-f]+|NULL)$/.test(addr) ? number(addr) : undefined,
          frames: [],
        };
        events.push(signal);
        last = signal;
      } else events.push({ type: "note", line, pid, time, text: rest.replace(/^--- | ---$/g, "") });
      continue;
    }
    const resumed = /^<\.\.\. ([a-z0-9_]+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const p = pending.get(pid);
      pending.delete(pid);
      const name = resumed[1] as string;
      const start = p && p.name === name ? p : { pid, time, ip, name, start: "" };
      const event = syscallEvent(start, start.start + (resumed[2] as string), line, time);
      last = event;
      if (event) {
        events.push(event);
        lastCall.set(pid, event);
      }
      continue;
    }
    const call = /^([a-z0-9_]+)\((.*)$/.exec(rest);
    if (!call) {
      events.push({ type: "note", line, pid, time, text: rest });
      continue;
    }
    const unfinished = / <unfinished \.\.\.>$/.exec(call[2] as string);
    if (unfinished) {
      const start = (call[2] as string).slice(0, unfinished.index);
      pending.set(pid, { pid, time, ip, name: call[1] as string, start });
      continue;
    }
    const event = syscallEvent(
      { pid, time, ip, name: call[1] as string, start: "" },
      call[2] as string,
      line,
      time,
    );
    last = event;
    if (event) {
      events.push(event);
      lastCall.set(pid, event);
    }
  }
  // Calls that never finished (the process was killed in them): kept, with no result.
  for (const p of pending.values()) {
    const e = syscallEvent(p, `${p.start}) = ?`, lines.length, p.time);
    if (e) events.push(e);
  }
  return events;
}

function parseFrame(text: string): StackFrame | undefined {
  const m = FRAME.exec(text);
  if (!m) return undefined;
  const symbol = m[2] || undefined;
  return {
    object: unescapeC(m[1] as string),
    symbol,
    symbolOffset: symbol === undefined ? undefined : BigInt(m[3] ?? "0"),
    fileOffset: BigInt(m[4] as string),
  };
}

function exitEvent(rest: string, line: number, pid: number, time: number): ExitEvent {
  const exited = /^\+\+\+ exited with (\d+) \+\+\+/.exec(rest);
  if (exited)
    return {
      type: "exit",
      line,
      pid,
      time,
      how: "exited",
      status: Number(exited[1]),
      signal: undefined,
      coreDumped: false,
    };
  const killed = /^\+\+\+ killed by (SIG[A-Z0-9]+)( \(core dumped\))? \+\+\+/.exec(rest);
  return {
    type: "exit",
    line,
    pid,
    time,
    how: killed ? "killed" : "superseded",
    status: undefined,
    signal: killed?.[1],
    coreDumped: Boolean(killed?.[2]),
  };
}

/** `ARGS) = RESULT[ (DELAYED)]` after `NAME(`. */
function syscallEvent(start: Pending, tail: string, line: number, endTime: number): SyscallEvent | undefined {
  const close = resultStart(tail);
  if (close < 0) return undefined;
  const argsText = tail.slice(0, close);
  let resultText = tail.slice(close + 1).replace(/^ += /, "");
  let tampered: SyscallEvent["tampered"];
  const tamper = / \((DELAYED|INJECTED)\)$/.exec(resultText);
  if (tamper) {
    tampered = tamper[1] === "DELAYED" ? "delayed" : "injected";
    resultText = resultText.slice(0, tamper.index);
  }
  const event: SyscallEvent = {
    type: "syscall",
    line,
    pid: start.pid,
    time: start.time,
    endTime,
    ip: start.ip,
    name: start.name,
    args: splitArgs(argsText),
    result: parseResult(resultText),
    tampered,
    frames: [],
    call: undefined,
  };
  event.call = decodeCall(event);
  return event;
}

/** Where the argument list's closing parenthesis is: the last `)` followed by ` = `. */
function resultStart(tail: string): number {
  const m = /\) += (?:0x[0-9a-f]+|-?\d+|\?)(?: [A-Z]+ \(.*\)| [A-Z]+)?(?: \((?:DELAYED|INJECTED)\))?$/.exec(
    tail,
  );
  return m ? m.index : -1;
}

function parseResult(text: string): SyscallResult {
  if (text.startsWith("?")) return { kind: "none" };
  const error = /^-1 ([A-Z0-9]+)/.exec(text);
  if (error) return { kind: "error", errno: error[1] as string };
  const value = /^(0x[0-9a-f]+|-?\d+)/.exec(text);
  return value ? { kind: "value", value: BigInt(value[1] as string) } : { kind: "none" };
}

/** Splits an argument list at commas outside brackets, braces, parentheses, strings and comments. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === "<" && depth === 0 && /\d$/.test(text.slice(from, i))) {
      // A -y path after a descriptor: `3</path, with, commas>`; strace escapes `<` and `>` in it.
      const end = text.indexOf(">", i);
      if (end > 0) i = end;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      out.push(text.slice(from, i).trim());
      from = i + 1;
    }
  }
  const tail = text.slice(from).trim();
  if (tail || out.length) out.push(tail);
  return out;
}

/** `key=value, key=value` inside braces (a siginfo, clone3's struct). */
function fields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of splitArgs(text)) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** A C string as strace prints it (`"a\nb\303\251"`, or a -y path's inside) as a byte string. */
export function unescapeC(text: string): string {
  if (!text.includes("\\")) return text;
  return text.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === "x") return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8) & 0xff);
    return { n: "\n", t: "\t", r: "\r", v: "\v", f: "\f", a: "\x07", b: "\b" }[e] ?? e;
  });
}

/** `NULL`, `0x7f...`, `123`: a number, or undefined for anything else. */
function number(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  if (text === "NULL") return 0n;
  const m = /^(0x[0-9a-f]+|-?\d+)$/.exec(text.trim());
  return m ? BigInt(m[1] as string) : undefined;
}

/** A flag set as strace prints it: `A|B|0x40`, `21<<MAP_HUGE_SHIFT`, names looked up in `table`. */
function flagBits(text: string, table: Record<string, number>): { value: number; names: string[] } {
  let value = 0;
  const names: string[] = [];
  for (const part of text.split("|")) {
    const p = part.trim();
    const huge = /^(?:MAP_HUGE_(\d+)([KMG])B|(\d+)<<MAP_HUGE_SHIFT)$/.exec(p);
    if (huge) {
      const log =
        huge[3] !== undefined
          ? Number(huge[3])
          : Math.log2(Number(huge[1])) + { K: 10, M: 20, G: 30 }[huge[2] as "K" | "M" | "G"];
      value += log * 2 ** MAP_HUGE_SHIFT;
    } else if (Object.hasOwn(table, p)) value += table[p] as number;
    else if (/^(0x[0-9a-f]+|\d+)$/.test(p)) value += Number(p);
    names.push(p);
  }
  return { value, names };
}

function fdArg(text: string | undefined): FdArg {
  const m = /^(-?\d+|AT_FDCWD)(?:<(.*)>)?$/.exec(text ?? "");
  if (!m) return { fd: -1, path: undefined };
  return {
    fd: m[1] === "AT_FDCWD" ? -100 : Number(m[1]),
    path: m[2] !== undefined ? unescapeC(m[2]) : undefined,
  };
}

function stringArg(text: string | undefined): string {
  const m = /^"((?:[^"\\]|\\.)*)"(\.\.\.)?$/.exec(text ?? "");
  return m ? unescapeC(m[1] as string) : (text ?? "");
}

/** The arguments of the calls the address-space model and attribution need, decoded. */
export function decodeCall(e: SyscallEvent): DecodedCall | undefined {
  const a = e.args;
  const n = (i: number) => number(a[i]) ?? 0n;
  switch (e.name) {
    case "mmap":
    case "mmap2":
      return {
        call: "mmap",
        addr: n(0),
        length: n(1),
        prot: flagBits(a[2] ?? "", PROT).value,
        flags: flagBits(a[3] ?? "", MAP).value,
        fd: fdArg(a[4]),
        offset: n(5),
      };
    case "munmap":
      return { call: "munmap", addr: n(0), length: n(1) };
    case "mprotect":
    case "pkey_mprotect":
      return { call: "mprotect", addr: n(0), length: n(1), prot: flagBits(a[2] ?? "", PROT).value };
    case "mremap":
      return {
        call: "mremap",
        oldAddr: n(0),
        oldLength: n(1),
        newLength: n(2),
        flags: flagBits(a[3] ?? "", MREMAP).value,
        newAddr: a.length > 4 ? n(4) : undefined,
      };
    case "brk":
      return { call: "brk", addr: n(0) };
    case "madvise": {
      const name = a[2] ?? "";
      return {
        call: "madvise",
        addr: n(0),
        length: n(1),
        advice: MADV[name] ?? Number(name),
        adviceName: name,
      };
    }
    case "mlock":
    case "mlock2":
    case "munlock":
      return {
        call: "mlock",
        addr: n(0),
        length: n(1),
        lock: e.name !== "munlock",
        onFault: (a[2] ?? "").includes("MLOCK_ONFAULT"),
      };
    case "mlockall":
      return { call: "mlockall", flags: (a[0] ?? "").split("|") };
    case "munlockall":
      return { call: "munlockall" };
    case "shmat":
      return { call: "shmat", shmid: Number(a[0]), addr: n(1), flags: (a[2] ?? "").split("|") };
    case "shmdt":
      return { call: "shmdt", addr: n(0) };
    case "clone": {
      const f = fields(a.join(", "));
      const flags = flagBits(f.flags ?? "", CLONE);
      return {
        call: "clone",
        flags: flags.value,
        flagNames: flags.names,
        stack: number(f.child_stack),
        tls: number(f.tls),
      };
    }
    case "clone3": {
      const struct = /^\{(.*?)\}(?: => \{.*\})?$/.exec(a[0] ?? "");
      const f = fields(struct?.[1] ?? "");
      const flags = flagBits(f.flags ?? "", CLONE);
      const stack = number(f.stack);
      const size = number(f.stack_size);
      return {
        call: "clone",
        flags: flags.value,
        flagNames: flags.names,
        // clone3 gives the lowest address and the size; the stack pointer starts at the top.
        stack: stack !== undefined && size !== undefined ? stack + size : stack,
        tls: number(f.tls),
      };
    }
    case "fork":
      return { call: "clone", flags: 0, flagNames: [], stack: undefined, tls: undefined };
    case "vfork":
      return {
        call: "clone",
        flags: CLONE_VM | CLONE_VFORK,
        flagNames: ["CLONE_VM", "CLONE_VFORK"],
        stack: undefined,
        tls: undefined,
      };
    case "execve":
      return { call: "execve", path: stringArg(a[0]), argv: arrayArg(a[1]), dirfd: undefined };
    case "execveat":
      return { call: "execve", path: stringArg(a[1]), argv: arrayArg(a[2]), dirfd: fdArg(a[0]) };
    case "exit":
    case "exit_group":
      return { call: "exit", status: Number(a[0] ?? 0), group: e.name === "exit_group" };
    case "arch_prctl":
      return { call: "arch_prctl", code: a[0] ?? "", addr: number(a[1]) };
    default:
      return undefined;
  }
}

/** `["a", "b"...]` as its strings. */
function arrayArg(text: string | undefined): string[] {
  const m = /^\[(.*)\](?:\.\.\.)?$/.exec(text ?? "");
  if (!m) return [];
  return splitArgs(m[1] as string).map(stringArg);
}
