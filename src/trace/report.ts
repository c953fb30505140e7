// `anatomy trace`'s model and its text: the address space's life from execve to exit, each change
// with its time, phase and owner; signals and a crash placed in the mapping they hit; the peak size of
// each owner; the replayed maps against the kernel's at each exit. Pure: the CLI runs and prints.
import { fieldValue, parseSmaps } from "../process/proc-maps.js";
import { mapsLine, mapsText, type ProcessInfo } from "./address-space.js";
import type { AttributedTrace, Owner, Phase } from "./attribute.js";
import { ownerGroup } from "./attribute.js";
import type { DatedAccount, LoaderStatistics, LoaderStep } from "./loader.js";
import type { ChunkHome, MallocCall, MallocReport } from "./malloc.js";
import type { SignalEvent } from "./strace-parse.js";

/** What the report says about the run itself. */
export interface RunFacts {
  /** The program and its arguments, as run. */
  command: string[];
  /** The program's exit status (128 + the signal's number when one killed it). */
  status: number;
  wallMicros: number | undefined;
  /** Snapshots read too late to be kept. */
  missedSnapshots: number;
  /** How it was traced: stacks (-k), seccomp-bpf. */
  stacks: boolean;
  seccomp: boolean;
}

export interface ReportChange {
  index: number;
  pid: number;
  /** Seconds since the program's execve. */
  time: number;
  phase: Phase;
  kind: string;
  start: string;
  end: string;
  /** Bytes mapped and unmapped by this change. */
  mapped: number;
  unmapped: number;
  perms: string | undefined;
  path: string | undefined;
  failed: boolean;
  group: string;
  owner: Omit<Owner, "object"> & { object: string | undefined };
  /** The strace line it came from. */
  line: number | undefined;
  /** For exec: the image the kernel made, by name, with its mappings and bytes. */
  image?: { name: string; mappings: number; bytes: number }[];
}

export interface ReportSignal {
  pid: number;
  time: number;
  signal: string;
  code: string | undefined;
  /** si_addr of a fault, the mapping holding it (a maps line, or none: unmapped) and its owner. */
  address: string | undefined;
  mapping: string | undefined;
  owner: string | undefined;
  /** The instruction pointer, the mapping and the frame holding it. */
  ip: string | undefined;
  ipMapping: string | undefined;
  frame: string | undefined;
}

export interface ReportProcess {
  pid: number;
  parent: number | undefined;
  isThread: boolean;
  leader: number;
  programs: string[];
  exit: { status: number | undefined; signal: string | undefined } | undefined;
  /**
   * The peak and final bytes of each owner of its address space (threads report their process's),
   * and its resident bytes at exit (from /proc/PID/smaps read then; a mapping made of several owners'
   * pieces is shared among them by size).
   */
  owners: { group: string; peak: number; atExit: number; rssAtExit?: number }[];
  /** All its mapped bytes: at most at once, and at exit; resident at exit. */
  total: { peak: number; atExit: number; rssAtExit?: number } | undefined;
  /** The replayed maps at its exit against /proc/PID/maps read then. */
  maps:
    | {
        lines: number;
        identical: number;
        identicalButInode: number;
        differences: { replayed?: string; real?: string }[];
      }
    | undefined;
}

/** ld.so's own account of one process (LD_DEBUG), its lines dated by the writes that printed them. */
export interface ReportLoader {
  pid: number;
  libraries: {
    name: string;
    neededBy: string | undefined;
    /** The places searched, in order (`cache /etc/ld.so.cache`, `path=... (RUNPATH from file X)`). */
    searched: string[];
    path: string | undefined;
    base: string | undefined;
    size: number | undefined;
    time: number | undefined;
  }[];
  steps: { kind: LoaderStep["kind"]; object: string; detail: string | undefined; time: number | undefined }[];
  statistics: LoaderStatistics;
}

/** --malloc's counts of one process, in JSON's numbers (bytes below 2^53; a call site's address in hex). */
export interface ReportMalloc {
  pid: number;
  calls: Record<MallocCall, number>;
  classes: { upTo: number | null; count: number; bytes: number; homes: Record<ChunkHome, number> }[];
  homes: Record<ChunkHome, { count: number; bytes: number }>;
  freed: Record<ChunkHome, { count: number; bytes: number }>;
  live: { count: number; bytes: number };
  threads: number;
  sites: { caller: string; where: string; count: number; bytes: number }[];
  otherSites: { count: number; bytes: number };
}

export function mallocReport(m: MallocReport): ReportMalloc {
  const t = (x: { count: number; bytes: bigint }) => ({ count: x.count, bytes: Number(x.bytes) });
  const byHome = <V>(f: (h: ChunkHome) => V): Record<ChunkHome, V> => ({
    heap: f("heap"),
    mmap: f("mmap"),
    arena: f("arena"),
  });
  return {
    pid: m.pid,
    calls: m.calls,
    classes: m.classes.map((c) => ({
      upTo: c.upTo ?? null,
      count: c.count,
      bytes: Number(c.bytes),
      homes: byHome((h) => c.homes[h].count),
    })),
    homes: byHome((h) => t(m.homes[h])),
    freed: byHome((h) => t(m.freed[h])),
    live: t(m.live),
    threads: m.threads,
    sites: m.sites.map((s) => ({
      caller: hex(s.caller),
      where: s.where,
      count: s.count,
      bytes: Number(s.bytes),
    })),
    otherSites: t(m.otherSites),
  };
}

export interface TraceReport {
  run: RunFacts;
  /** --malloc: each process's counts (absent without --malloc). */
  malloc?: ReportMalloc[];
  processes: ReportProcess[];
  /** ld.so's account of each process that wrote one (empty with --no-loader, or a static program). */
  loader: ReportLoader[];
  changes: ReportChange[];
  signals: ReportSignal[];
  /** Calls before the program's own execve (the trampoline that started it) and on no known address space. */
  skippedCalls: number;
  unknownCalls: number;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

export function traceReport(
  t: AttributedTrace,
  signals: PlacedSignal[],
  run: RunFacts,
  loader: DatedAccount[] = [],
  /** /proc/PID/smaps read at a process's exit, when it was. */
  smapsAtExit: (pid: number) => string | undefined = () => undefined,
): TraceReport {
  const { replay } = t;
  const first = replay.changes.find((c) => c.kind === "exec");
  const t0 = first?.time ?? 0;
  const seconds = (time: number) => Math.round(time - t0) / 1e6;
  const changes: ReportChange[] = replay.changes.map((c) => {
    const owner = t.owners[c.index] as Owner;
    return {
      index: c.index,
      pid: c.pid,
      time: seconds(c.time),
      phase: t.phases[c.index] ?? "main",
      kind: c.kind,
      start: hex(c.start),
      end: hex(c.end),
      mapped: Number(c.mapped),
      unmapped: Number(c.unmapped),
      perms: c.perms,
      path: c.path,
      failed: c.failed,
      group: ownerGroup(owner),
      owner,
      line: c.event?.line,
      ...(c.image ? { image: c.image.map((i) => ({ ...i, bytes: Number(i.bytes) })) } : {}),
    };
  });
  const processes: ReportProcess[] = [...replay.processes.values()]
    .filter((p) => p.mm || p.programs.length || p.exit)
    .map((p) => processReport(t, p, smapsAtExit(p.pid)));
  const at = (time: number | undefined) => (time === undefined ? undefined : seconds(time));
  return {
    run,
    processes,
    loader: loader.map((a) => ({
      pid: a.pid,
      libraries: a.libraries.map((l) => ({
        name: l.name,
        neededBy: l.neededBy,
        searched: l.searched,
        path: l.path,
        base: l.base === undefined ? undefined : hex(l.base),
        size: l.size === undefined ? undefined : Number(l.size),
        time: at(l.time),
      })),
      steps: a.steps.map((s) => ({ kind: s.kind, object: s.object, detail: s.detail, time: at(s.time) })),
      statistics: a.statistics,
    })),
    changes,
    signals: signals.filter((p) => p.event.signal !== "SIGCHLD").map((p) => signalReport(p, seconds)),
    skippedCalls: replay.skipped,
    unknownCalls: replay.unknown,
  };
}

/** Each owner's resident bytes at exit: a mapping's Rss shared among its pieces' owners by size. */
function residentByOwner(t: AttributedTrace, p: ProcessInfo, smaps: string): Map<string, number> | undefined {
  const mm = p.mm;
  if (!mm) return undefined;
  let entries: ReturnType<typeof parseSmaps>;
  try {
    entries = parseSmaps(smaps);
  } catch {
    return undefined;
  }
  const out = new Map<string, number>();
  for (const e of entries) {
    const rss = fieldValue(e, "Rss") * 1024;
    const v = mm.vmas.find((x) => x.start === e.start && x.end === e.end);
    if (!v) {
      out.set("(not in the replay)", (out.get("(not in the replay)") ?? 0) + rss);
      continue;
    }
    const span = Number(v.end - v.start);
    for (const piece of v.pieces) {
      const key = t.replay.keyOf[piece.origin] ?? "?";
      out.set(key, (out.get(key) ?? 0) + (rss * Number(piece.end - piece.start)) / span);
    }
  }
  for (const [k, b] of out) out.set(k, Math.round(b / 4096) * 4096);
  return out;
}

function processReport(t: AttributedTrace, p: ProcessInfo, smaps: string | undefined): ReportProcess {
  const resident = smaps !== undefined && !p.isThread ? residentByOwner(t, p, smaps) : undefined;
  const owners = p.mm && !p.isThread ? (t.replay.owners.get(p.mm.id) ?? new Map()) : new Map();
  const cmp = t.replay.comparisons.find((c) => c.pid === p.pid);
  const total = p.mm && !p.isThread ? t.replay.totals.get(p.mm.id) : undefined;
  return {
    pid: p.pid,
    parent: p.parent,
    isThread: p.isThread,
    leader: p.leader,
    programs: p.programs,
    exit: p.exit ? { status: p.exit.status, signal: p.exit.signal } : undefined,
    owners: [...owners.entries()]
      .filter(([, v]) => v.peak > 0n)
      .sort((a, b) => (a[1].peak < b[1].peak ? 1 : a[1].peak > b[1].peak ? -1 : 0))
      .map(([group, v]) => ({
        group,
        peak: Number(v.peak),
        atExit: Number(v.now),
        ...(resident ? { rssAtExit: resident.get(group) ?? 0 } : {}),
      })),
    total: total
      ? {
          peak: Number(total.peak),
          atExit: Number(total.now),
          ...(resident ? { rssAtExit: [...resident.values()].reduce((a, b) => a + b, 0) } : {}),
        }
      : undefined,
    maps: cmp
      ? {
          lines: cmp.lines,
          identical: cmp.identical,
          identicalButInode: cmp.identicalButInode,
          differences: cmp.differences,
        }
      : undefined,
  };
}

/**
 * Where a signal's addresses fall, with the address space as it was when the signal came: call this
 * from attributeTrace's visit, after each signal event.
 */
export function placeSignal(t: AttributedTrace, s: SignalEvent): PlacedSignal {
  const mm = t.replay.processes.get(s.pid)?.mm;
  const where = (addr: bigint | undefined) => {
    const v = addr !== undefined ? mm?.find(addr) : undefined;
    if (!mm || !v || addr === undefined) return { line: undefined, owner: undefined };
    const piece = v.pieces.find((p) => addr >= p.start && addr < p.end);
    const owner = piece ? t.owners[piece.origin] : undefined;
    return { line: mapsLine(mm, v), owner: owner ? ownerGroup(owner) : undefined };
  };
  const fault = where(s.address);
  const ip = where(s.ip);
  return { event: s, mapping: fault.line, owner: fault.owner, ipMapping: ip.line };
}

export interface PlacedSignal {
  event: SignalEvent;
  mapping: string | undefined;
  owner: string | undefined;
  ipMapping: string | undefined;
  /** Without a stack (-k): the function holding the ip, named from the object's own symbols. */
  ipName?: string;
}

function signalReport(p: PlacedSignal, seconds: (time: number) => number): ReportSignal {
  const s = p.event;
  const frame = s.frames[0];
  return {
    pid: s.pid,
    time: seconds(s.time),
    signal: s.signal,
    code: s.info.si_code,
    address: s.address !== undefined ? hex(s.address) : undefined,
    mapping: p.mapping,
    owner: p.owner,
    ip: s.ip !== undefined ? hex(s.ip) : undefined,
    ipMapping: p.ipMapping,
    frame: frame?.symbol
      ? `${frame.symbol}+0x${(frame.symbolOffset ?? 0n).toString(16)}`
      : frame
        ? `+0x${frame.fileOffset.toString(16)}`
        : p.ipName,
  };
}

/** 4096 -> "4 KiB", 204800 -> "200 KiB", 1.5 MiB -> "1.5 MiB". */
export function size(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${bytes} B`;
  if (abs < 1 << 20) return `${trim(bytes / 1024)} KiB`;
  if (abs < 1 << 30) return `${trim(bytes / (1 << 20))} MiB`;
  return `${trim(bytes / (1 << 30))} GiB`;
}

const trim = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, ""));

export interface TextOptions {
  /** Every change on its own line, none folded. */
  full: boolean;
}

/** The timeline by process and phase, folded by owner, then the signals, owners' peaks and maps check. */
export function renderTrace(r: TraceReport, write: (text: string) => void, options: TextOptions): void {
  const status = r.run.status;
  const wall =
    r.run.wallMicros !== undefined ? `, ${(r.run.wallMicros / 1e6).toFixed(2)} s under strace` : "";
  write(`anatomy trace: ${r.run.command.join(" ")}\n`);
  write(`exit status ${status}${wall}; ${r.changes.length} changes to the address space\n`);
  if (!r.run.stacks)
    write(
      "(without call stacks: owners from the instruction pointer's object and the call itself; libc's mmap\n" +
        " called by malloc and by the program look alike: --stacks tells them apart)\n",
    );
  const leaders = r.processes.filter((p) => !p.isThread);
  for (const p of leaders) {
    const threads = r.processes.filter((q) => q.isThread && q.leader === p.pid).map((q) => q.pid);
    write(`\npid ${p.pid}${p.programs.length ? ` ${p.programs.join(" -> ")}` : ""}`);
    if (p.parent !== undefined) write(`, child of ${p.parent}`);
    if (threads.length) write(`, threads ${threads.join(" ")}`);
    write("\n");
    const mine = r.changes.filter((c) => c.pid === p.pid || threads.includes(c.pid));
    renderTimeline(mine, p.pid, write, options);
    for (const s of r.signals.filter((s) => s.pid === p.pid || threads.includes(s.pid)))
      renderSignal(s, write);
    for (const a of r.loader.filter((a) => a.pid === p.pid)) renderLoader(a, write);
    if (r.malloc) {
      const m = r.malloc.find((x) => x.pid === p.pid);
      if (m) renderMalloc(m, write);
      else if (p.programs.length)
        write(
          "  malloc: no counts (a static program, or none of its code called malloc: LD_PRELOAD loads nothing into a static one)\n",
        );
    }
    if (p.exit)
      write(
        p.exit.signal ? `  killed by ${p.exit.signal}\n` : `  exited with status ${p.exit.status ?? "?"}\n`,
      );
  }
  for (const p of leaders) {
    if (p.owners.length === 0) continue;
    const rss = p.total?.rssAtExit !== undefined;
    write(`\nPeak mapped size by owner, pid ${p.pid}${rss ? " (and resident at exit, from smaps)" : ""}:\n`);
    const width = Math.max(34, ...p.owners.map((o) => o.group.length));
    const row = (name: string, peak: number, atExit: number, resident: number | undefined) =>
      write(
        `  ${name.padEnd(width)}  ${size(peak).padStart(10)} peak  ${size(atExit).padStart(10)} at exit` +
          `${resident !== undefined ? `  ${size(resident).padStart(10)} resident` : ""}\n`,
      );
    for (const o of p.owners) row(o.group, o.peak, o.atExit, o.rssAtExit);
    if (p.total) row("all mappings (the peak of the sum)", p.total.peak, p.total.atExit, p.total.rssAtExit);
  }
  const checked = leaders.filter((p) => p.maps);
  if (checked.length) write("\n");
  for (const p of checked) {
    const m = p.maps as NonNullable<ReportProcess["maps"]>;
    const butInode = m.identicalButInode
      ? `, ${m.identicalButInode} more but for the inode of shared anonymous memory (no call shows it)`
      : "";
    write(
      `maps at exit, pid ${p.pid}: ${m.identical}/${m.lines} lines identical to /proc/${p.pid}/maps${butInode}\n`,
    );
    for (const d of m.differences.slice(0, 10)) {
      if (d.replayed) write(`  replayed: ${d.replayed}\n`);
      if (d.real) write(`  kernel:   ${d.real}\n`);
    }
  }
  if (r.run.missedSnapshots)
    write(`(${r.run.missedSnapshots} maps snapshots were read too late and not kept)\n`);
}

/** Consecutive changes of one process, phase and owner group fold into one line (--full: none). */
function renderTimeline(
  changes: ReportChange[],
  leader: number,
  write: (text: string) => void,
  options: TextOptions,
): void {
  let phase: Phase | undefined;
  for (let i = 0; i < changes.length; ) {
    const c = changes[i] as ReportChange;
    let j = i + 1;
    if (!options.full)
      while (j < changes.length) {
        const d = changes[j] as ReportChange;
        if (d.phase !== c.phase || d.group !== c.group || c.kind === "exec" || d.kind === "exec") break;
        j++;
      }
    const run = changes.slice(i, j);
    if (c.phase !== phase) {
      phase = c.phase;
      write(`  ${PHASE_TITLE[phase]}\n`);
    }
    write(`    ${timeline(run, leader)}\n`);
    i = j;
  }
}

/** ld.so's account: each library found and how, relocations, constructors, the entry, destructors. */
function renderLoader(a: ReportLoader, write: (text: string) => void): void {
  write("  ld.so's own account (LD_DEBUG=libs,files,reloc,statistics)\n");
  const when = (time: number | undefined) => (time === undefined ? "".padEnd(10) : `+${time.toFixed(4)}s`);
  const name = (path: string) => path.slice(path.lastIndexOf("/") + 1) || path;
  // Each library ld.so looked for has its search step, in the same order.
  let library = 0;
  for (let i = 0; i < a.steps.length; i++) {
    const s = a.steps[i] as ReportLoader["steps"][number];
    let text: string;
    if (s.kind === "search") {
      const l = a.libraries[library++];
      if (!l) continue;
      const asker = l.neededBy?.startsWith("dlopen")
        ? l.neededBy
        : l.neededBy && `needed by ${name(l.neededBy)}`;
      const via = l.searched.length ? `; searched ${l.searched.join(", then ")}` : "";
      const at = l.base !== undefined ? ` at ${l.base}` : "";
      const span = l.size !== undefined ? ` (${size(l.size)})` : "";
      text = `${l.name}${asker ? ` (${asker})` : ""}${via}; ${l.path ? `found ${l.path}${at}${span}` : "NOT FOUND"}`;
    } else if (s.kind === "map") continue;
    else if (s.kind === "relocate")
      text = `relocated ${s.object}${s.detail ? ` (${s.detail}: functions bound at their first call)` : ""}`;
    else if (s.kind === "statistics") text = statisticsText(a.statistics);
    else if (s.kind === "transfer") text = `entry point: control to ${s.object}`;
    else {
      // A run of constructors (or of destructors) is one line, in the order they ran.
      const kinds = s.kind === "fini" ? ["fini"] : ["init", "program-init"];
      const run: string[] = [];
      for (; i < a.steps.length && kinds.includes((a.steps[i] as typeof s).kind); i++) {
        const t = a.steps[i] as typeof s;
        run.push(t.kind === "program-init" ? `the program (${name(t.object)})` : name(t.object));
      }
      i--;
      text = `${s.kind === "fini" ? "destructors" : "constructors"}: ${run.join(", ")}`;
    }
    write(`    ${when(s.time)}  ${text}\n`);
  }
  const st = a.statistics;
  if (st.finalRelocations !== undefined && st.relocations !== undefined)
    write(
      `    at exit: ${st.finalRelocations} relocations in all, ${st.finalRelocations - st.relocations} of them bound lazily after start-up\n`,
    );
}

const HOME_TITLE: Record<ChunkHome, string> = {
  heap: "heap (brk)",
  mmap: "own mapping",
  arena: "thread arena",
};

/** --malloc's counts: calls, allocations by size and where they went, frees, what is left, call sites. */
function renderMalloc(m: ReportMalloc, write: (text: string) => void): void {
  const n = (x: number) => x.toLocaleString("en-US");
  const c = m.calls;
  write(
    `  malloc (--malloc): ${n(c.malloc)} malloc, ${n(c.calloc)} calloc, ${n(c.realloc)} realloc, ${n(c.memalign)} aligned, ${n(c.free)} free` +
      `${c.failed ? `, ${n(c.failed)} failed` : ""}; ${m.threads} thread${m.threads === 1 ? "" : "s"}\n`,
  );
  const homes: ChunkHome[] = ["heap", "mmap", "arena"];
  write(
    `    ${"size asked".padEnd(14)}${"allocations".padStart(12)}${"bytes".padStart(11)}${homes.map((h) => HOME_TITLE[h].padStart(14)).join("")}\n`,
  );
  let below = 0;
  for (const k of m.classes) {
    const label = k.upTo === null ? `> ${size(below)}` : `<= ${size(k.upTo)}`;
    if (k.upTo !== null) below = k.upTo;
    if (k.count === 0) continue;
    write(
      `    ${label.padEnd(14)}${n(k.count).padStart(12)}${size(k.bytes).padStart(11)}${homes.map((h) => n(k.homes[h]).padStart(14)).join("")}\n`,
    );
  }
  const freed = homes
    .filter((h) => m.freed[h].count)
    .map((h) => `${HOME_TITLE[h]} ${n(m.freed[h].count)} (${size(m.freed[h].bytes)})`);
  if (freed.length) write(`    freed, by where the chunk was (chunk sizes): ${freed.join(", ")}\n`);
  write(`    still allocated at the end: ${n(m.live.count)} blocks, ${size(m.live.bytes)} of chunks\n`);
  if (m.sites.length) write("    call sites that allocated most:\n");
  for (const s of m.sites)
    write(`      ${n(s.count).padStart(12)}  ${size(s.bytes).padStart(10)}  ${s.where}\n`);
  if (m.otherSites.count)
    write(
      `      ${n(m.otherSites.count).padStart(12)}  ${size(m.otherSites.bytes).padStart(10)}  (other call sites)\n`,
    );
}

function statisticsText(s: LoaderStatistics): string {
  const cycles = (n: number | undefined) => (n === undefined ? "?" : `${n} cycles`);
  const share = (n: number | undefined) =>
    n === undefined || !s.startupCycles ? "" : ` (${((100 * n) / s.startupCycles).toFixed(1)}%)`;
  return (
    `statistics: start-up ${cycles(s.startupCycles)}, relocation ${cycles(s.relocationCycles)}${share(s.relocationCycles)}, ` +
    `loading objects ${cycles(s.loadCycles)}${share(s.loadCycles)}; ${s.relocations ?? "?"} relocations ` +
    `(${s.relocationsFromCache ?? "?"} from the cache), ${s.relativeRelocations ?? "?"} relative`
  );
}

const PHASE_TITLE: Record<Phase, string> = {
  attach: "attached (--pid: the address space as found)",
  exec: "exec (the kernel)",
  loader: "loader (ld.so, before main)",
  main: "main",
  exit: "exit",
};

/** `#3-#9 +0.0521s  ld.so: libc.so.6  +1.9 MiB  reservation (the whole span) 1.9 MiB, segment x3 ...` */
function timeline(run: ReportChange[], leader: number): string {
  const first = run[0] as ReportChange;
  const last = run[run.length - 1] as ReportChange;
  const index = run.length > 1 ? `#${first.index}-${last.index}` : `#${first.index}`;
  const net = run.reduce((s, c) => s + c.mapped - c.unmapped, 0);
  const netText = net === 0 ? "" : `${net > 0 ? "+" : "-"}${size(Math.abs(net))}`;
  const roles: { role: string; count: number; bytes: number }[] = [];
  for (const c of run) {
    const role = roleText(c);
    const prev = roles[roles.length - 1];
    const bytes = c.kind === "exec" ? 0 : c.mapped || c.unmapped || Number(BigInt(c.end) - BigInt(c.start));
    if (prev && prev.role === role) {
      prev.count++;
      prev.bytes += bytes;
    } else roles.push({ role, count: 1, bytes });
  }
  const what = roles
    .map((r) => `${r.role}${r.count > 1 ? ` x${r.count}` : ""}${r.bytes > 0 ? ` ${size(r.bytes)}` : ""}`)
    .join(", ");
  const caller =
    first.owner.caller && run.every((c) => c.owner.caller === first.owner.caller)
      ? ` (from ${first.owner.caller})`
      : "";
  // Changes made by threads other than the process's first say which.
  const tids = [...new Set(run.map((c) => c.pid))].filter((pid) => pid !== leader);
  const who = tids.length ? ` [thread ${tids.join(",")}]` : "";
  return `${index.padEnd(9)} +${first.time.toFixed(4)}s${who}  ${first.group}  ${netText}  ${what}${caller}`;
}

/** What a change did, in the owner's words, with its range's perms and file when it is one line. */
function roleText(c: ReportChange): string {
  if (c.kind === "exec")
    return `${c.phase === "attach" ? "as found" : "exec image"}: ${(c.image ?? []).map((i) => `${i.name.slice(i.name.lastIndexOf("/") + 1)} ${size(i.bytes)}`).join(", ")}`;
  if (c.kind === "exit") return "exit_group";
  if (c.kind === "stack-growth") return "stack growth (seen in the maps)";
  const failed = c.failed ? " FAILED" : "";
  const perms = c.perms && (c.kind === "mmap" || c.kind === "mprotect") ? ` ${c.perms}` : "";
  const file = c.kind === "mmap" && c.path && c.owner.object !== c.path ? ` ${c.path}` : "";
  const thread =
    c.owner.kind === "pthread" && c.owner.thread !== undefined ? ` (thread ${c.owner.thread})` : "";
  return `${c.owner.role}${thread}${perms}${file}${failed}`;
}

function renderSignal(s: ReportSignal, write: (text: string) => void): void {
  write(`  --- ${s.signal}${s.code ? ` (${s.code})` : ""} at +${s.time.toFixed(4)}s, pid ${s.pid}\n`);
  if (s.address !== undefined) {
    write(
      `      address ${s.address}: ${s.mapping ? `in ${s.mapping.replace(/ +/g, " ").trim()}` : "in no mapping"}\n`,
    );
    if (s.owner) write(`      that mapping's owner: ${s.owner}\n`);
  }
  if (s.ip !== undefined)
    write(
      `      ip ${s.ip}${s.frame ? ` (${s.frame})` : ""}${s.ipMapping ? `: in ${s.ipMapping.replace(/ +/g, " ").trim()}` : ""}\n`,
    );
}

/** The replayed maps of a change's address space right after it, as /proc/PID/maps prints them. */
export function mapsAfter(t: AttributedTrace, index: number): { pid: number; text: string } | undefined {
  const c = t.replay.changes[index];
  const mm = c ? t.replay.spaces[c.mm] : undefined;
  return c && mm ? { pid: c.pid, text: mapsText(mm) } : undefined;
}
