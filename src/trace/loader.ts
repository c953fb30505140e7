// The loader's own account of a start-up, read from what glibc's ld.so writes with
// LD_DEBUG=libs,files,reloc,statistics into LD_DEBUG_OUTPUT (a file per process, `OUTPUT.PID`), so the
// program's stderr is untouched. Each line is `     PID:\tTEXT`. The phases come out in ld.so's
// order: each library looked for (how: the cache, a path, RUNPATH ...) and mapped (its base, size,
// entry), each object relocated, the statistics, each constructor, the transfer to the program, the
// destructors at exit. ld.so writes each line with one writev: traced, their times date each phase.
//
//   12345:	find library=libc.so.6 [0]; searching
//   12345:	 search cache=/etc/ld.so.cache
//   12345:	  trying file=/lib/x86_64-linux-gnu/libc.so.6
//   12345:	file=libc.so.6 [0];  generating link map
//   12345:	  dynamic: 0x00007f...  base: 0x00007f...   size: 0x00000000001e1f50
//   12345:	relocation processing: /lib/x86_64-linux-gnu/libc.so.6 (lazy)
//   12345:	calling init: /lib/x86_64-linux-gnu/libc.so.6
//   12345:	transferring control: ./prog

/** One line of the debug output, with where it starts in the file (to date it by the writes). */
export interface DebugLine {
  pid: number;
  /** Byte offset of the line in its file. */
  offset: number;
  text: string;
}

/** The lines of an LD_DEBUG_OUTPUT file (latin1 text); lines without the `PID:\t` prefix are kept with pid 0. */
export function parseDebugOutput(text: string): DebugLine[] {
  const out: DebugLine[] = [];
  let offset = 0;
  for (const line of text.split("\n")) {
    const m = /^ *(\d+):\t(.*)$/.exec(line);
    if (line.length > 0 || offset < text.length)
      out.push({ pid: m ? Number(m[1]) : 0, offset, text: m ? (m[2] as string) : line });
    offset += line.length + 1;
  }
  // The text ends with "\n": the split's last, empty piece is not a line.
  if (out.length && out[out.length - 1]?.offset === text.length) out.pop();
  return out;
}

/** How a library was found: the search list ld.so walked and the file it opened. */
export interface LibrarySearch {
  name: string;
  /** The object whose DT_NEEDED asked for it (`needed by ... [0]`), or dlopen. */
  neededBy: string | undefined;
  /** Each place searched, in order: `cache /etc/ld.so.cache`, `path=/opt/lib:... (RUNPATH from file X)`. */
  searched: string[];
  /** Each file tried, in order; the last is the one opened, unless none was found. */
  tried: string[];
  /** The file mapped for it. */
  path: string | undefined;
  /** From `generating link map`: where it was put. */
  base: bigint | undefined;
  size: bigint | undefined;
  dynamic: bigint | undefined;
  entry: bigint | undefined;
  /** The first line about it (the `file=` or `find library=` line): dates it. */
  at: number;
}

/** ld.so's own statistics (`runtime linker statistics:`), in its units: CPU cycles and counts. */
export interface LoaderStatistics {
  startupCycles: number | undefined;
  relocationCycles: number | undefined;
  loadCycles: number | undefined;
  relocations: number | undefined;
  relocationsFromCache: number | undefined;
  relativeRelocations: number | undefined;
  /** At exit: every relocation done, lazy ones included. */
  finalRelocations: number | undefined;
  finalRelocationsFromCache: number | undefined;
}

/** One step of the start-up or exit, in order, with the offset of its line (to date it). */
export interface LoaderStep {
  kind: "search" | "map" | "relocate" | "statistics" | "init" | "program-init" | "transfer" | "fini";
  /** The library or program the step is about. */
  object: string;
  /** `(lazy)` for a lazily bound relocation pass. */
  detail: string | undefined;
  at: number;
}

export interface LoaderAccount {
  pid: number;
  libraries: LibrarySearch[];
  steps: LoaderStep[];
  statistics: LoaderStatistics;
}

const NUMBER = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

/** The account of each process in the lines, by pid, in the order the processes first wrote. */
export function loaderAccounts(lines: DebugLine[]): LoaderAccount[] {
  const byPid = new Map<number, LoaderAccount>();
  const pending = new Map<number, LibrarySearch>();
  for (const line of lines) {
    let a = byPid.get(line.pid);
    if (!a) {
      a = {
        pid: line.pid,
        libraries: [],
        steps: [],
        statistics: {
          startupCycles: undefined,
          relocationCycles: undefined,
          loadCycles: undefined,
          relocations: undefined,
          relocationsFromCache: undefined,
          relativeRelocations: undefined,
          finalRelocations: undefined,
          finalRelocationsFromCache: undefined,
        },
      };
      byPid.set(line.pid, a);
    }
    readLine(a, line, pending);
  }
  return [...byPid.values()];
}

function readLine(a: LoaderAccount, line: DebugLine, pending: Map<number, LibrarySearch>): void {
  const t = line.text;
  const step = (kind: LoaderStep["kind"], object: string, detail?: string) =>
    a.steps.push({ kind, object, detail, at: line.offset });
  let m: RegExpExecArray | null;
  // `file=libc.so.6 [0];  needed by /tmp/x [0]` comes first for a DT_NEEDED library (files).
  if ((m = /^file=(.+?) \[\d+\]; {2}needed by (.+?) \[\d+\]$/.exec(t))) {
    const lib = newSearch(m[1] as string, m[2] as string, line.offset);
    a.libraries.push(lib);
    pending.set(a.pid, lib);
    step("search", lib.name);
    return;
  }
  if ((m = /^file=(.+?) \[\d+\]; {2}dynamically loaded by (.+?) \[\d+\]$/.exec(t))) {
    const lib = newSearch(m[1] as string, `dlopen from ${m[2]}`, line.offset);
    a.libraries.push(lib);
    pending.set(a.pid, lib);
    step("search", lib.name);
    return;
  }
  if ((m = /^find library=(.+?) \[\d+\]; searching$/.exec(t))) {
    const name = m[1] as string;
    let lib = pending.get(a.pid);
    if (!lib || lib.name !== name || lib.tried.length || lib.searched.length) {
      lib = newSearch(name, undefined, line.offset);
      a.libraries.push(lib);
      pending.set(a.pid, lib);
      step("search", name);
    }
    return;
  }
  if ((m = /^ search (cache|path)=(.*)$/.exec(t))) {
    pending.get(a.pid)?.searched.push(`${m[1]} ${m[2]}`);
    return;
  }
  if ((m = /^ {2}trying file=(.*)$/.exec(t))) {
    const lib = pending.get(a.pid);
    if (lib) {
      lib.tried.push(m[1] as string);
      lib.path = m[1];
    }
    return;
  }
  if ((m = /^file=(.+?) \[\d+\]; {2}generating link map$/.exec(t))) {
    const lib = [...a.libraries].reverse().find((l) => l.name === m?.[1]) ?? pending.get(a.pid);
    // A name with a slash (LD_PRELOAD, a dlopen of a path) is opened as it is, without a search.
    if (lib && lib.path === undefined && lib.name.includes("/")) lib.path = lib.name;
    if (lib) step("map", lib.path ?? lib.name);
    return;
  }
  if ((m = /^ +dynamic: 0x([0-9a-f]+) +base: 0x([0-9a-f]+) +size: 0x([0-9a-f]+)$/.exec(t))) {
    const lib = pending.get(a.pid);
    if (lib) {
      lib.dynamic = BigInt(`0x${m[1]}`);
      lib.base = BigInt(`0x${m[2]}`);
      lib.size = BigInt(`0x${m[3]}`);
    }
    return;
  }
  if ((m = /^ +entry: 0x([0-9a-f]+) +phdr:/.exec(t))) {
    const lib = pending.get(a.pid);
    if (lib) lib.entry = BigInt(`0x${m[1]}`);
    return;
  }
  if ((m = /^relocation processing: (.+?)( \(lazy\))?$/.exec(t))) {
    step("relocate", m[1] as string, m[2] ? "lazy" : undefined);
    return;
  }
  if ((m = /^calling init: (.+)$/.exec(t))) {
    step("init", m[1] as string);
    return;
  }
  if ((m = /^initialize program: (.+)$/.exec(t))) {
    step("program-init", m[1] as string);
    return;
  }
  if ((m = /^transferring control: (.+)$/.exec(t))) {
    step("transfer", m[1] as string);
    return;
  }
  if ((m = /^calling fini: (.*?)(?: \[\d+\])?$/.exec(t))) {
    // The program itself is printed with an empty name: `calling fini:  [0]`.
    step("fini", (m[1] as string).trim() || "the program");
    return;
  }
  readStatistic(a, t, line.offset);
}

function newSearch(name: string, neededBy: string | undefined, at: number): LibrarySearch {
  return {
    name,
    neededBy,
    searched: [],
    tried: [],
    path: undefined,
    base: undefined,
    size: undefined,
    dynamic: undefined,
    entry: undefined,
    at,
  };
}

function readStatistic(a: LoaderAccount, t: string, at: number): void {
  const s = a.statistics;
  let m: RegExpExecArray | null;
  if (t === "runtime linker statistics:") {
    if (s.startupCycles === undefined)
      a.steps.push({ kind: "statistics", object: "ld.so", detail: undefined, at });
  } else if ((m = /^ +total startup time in dynamic loader: (\d+) cycles$/.exec(t)))
    s.startupCycles = NUMBER(m[1]);
  else if ((m = /^ +time needed for relocation: (\d+) cycles/.exec(t))) s.relocationCycles = NUMBER(m[1]);
  else if ((m = /^ +time needed to load objects: (\d+) cycles/.exec(t))) s.loadCycles = NUMBER(m[1]);
  else if ((m = /^ +number of relocations: (\d+)$/.exec(t))) s.relocations = NUMBER(m[1]);
  else if ((m = /^ +number of relocations from cache: (\d+)$/.exec(t))) s.relocationsFromCache = NUMBER(m[1]);
  else if ((m = /^ +number of relative relocations: (\d+)$/.exec(t))) s.relativeRelocations = NUMBER(m[1]);
  else if ((m = /^ +final number of relocations: (\d+)$/.exec(t))) s.finalRelocations = NUMBER(m[1]);
  else if ((m = /^final number of relocations from cache: (\d+)$/.exec(t)))
    s.finalRelocationsFromCache = NUMBER(m[1]);
}

/**
 * Dates byte offsets of a process's debug file from the writes that made it, in order (each write's
 * time and the bytes it wrote, as a tracer saw them): an offset is dated by the write that covers it.
 */
export function writeClock(
  writes: { time: number; bytes: number }[],
): (offset: number) => number | undefined {
  const ends: number[] = [];
  let total = 0;
  for (const w of writes) {
    total += Math.max(0, w.bytes);
    ends.push(total);
  }
  return (offset) => {
    let lo = 0;
    let hi = ends.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((ends[mid] as number) > offset) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return found < 0 ? undefined : writes[found]?.time;
  };
}

/** A step or a library with the time of the write that printed it (microseconds since the epoch). */
export interface DatedAccount {
  pid: number;
  libraries: (LibrarySearch & { time: number | undefined })[];
  steps: (LoaderStep & { time: number | undefined })[];
  statistics: LoaderStatistics;
}

/** A write a tracer saw: who made it, when, to which file (its path, with -y), and how many bytes. */
export interface SeenWrite {
  time: number;
  path: string | undefined;
  bytes: number;
}

/**
 * Each debug file's account, dated by the writes to it. Every process that writes to a file is
 * counted (a forked child that dlopens writes to its parent's), in the order the writes finished;
 * the file is matched by its name (`ld-debug.PID`), so a kept run read from elsewhere still dates.
 */
export function datedAccounts(
  files: { pid: number; path: string; text: string }[],
  writes: SeenWrite[],
): DatedAccount[] {
  const out: DatedAccount[] = [];
  for (const file of files) {
    const name = file.path.slice(file.path.lastIndexOf("/") + 1);
    const clock = writeClock(writes.filter((w) => w.path?.endsWith(`/${name}`)));
    for (const a of loaderAccounts(parseDebugOutput(file.text))) {
      if (a.pid === 0) continue;
      out.push({
        pid: a.pid,
        libraries: a.libraries.map((l) => ({ ...l, time: clock(l.at) })),
        steps: a.steps.map((s) => ({ ...s, time: clock(s.at) })),
        statistics: a.statistics,
      });
    }
  }
  return out;
}
