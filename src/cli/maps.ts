import { readdirSync, readFileSync } from "node:fs";
import { classify, tmpfsDevices, usageOf } from "../process/live-map.js";
import { ProcFormatError, parseSmaps, smapsEntries } from "../process/proc-maps.js";
import { parseSmapsTable } from "../process/smaps-table.js";
import { renderDiagram } from "../render/diagram.js";
import { terminalRow } from "../render/layout.js";
import { type LiveProcess, liveMapsModel, renderLiveMaps } from "../render/live-maps.js";
import { type CommandIO, readUnsized } from "./io.js";

const USAGE = `Usage: anatomy maps [--json] [--diagram] PID
  A live process's mappings grouped by object and kind (text, rodata, relro, data, bss, heap,
  stacks of each thread, mmap, shared file, shmem, vdso) with RSS, PSS (anon, file, shmem), swap
  and dirty from /proc/PID/smaps; they add up to smaps_rollup's totals.
`;

/** Why /proc could not be read, in words that say what to do. */
function explain(pid: number, file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ESRCH")
    return `process ${pid} does not exist (or exited while being read)`;
  if (code === "EACCES" || code === "EPERM") {
    return `cannot read /proc/${pid}/${file}: permission denied (the process belongs to another user or is not dumpable; run as its owner or root)`;
  }
  return `cannot read /proc/${pid}/${file}: ${(e as Error).message}`;
}

/** Each thread's stack pointer from /proc/PID/task/TID/syscall (`NR args... sp pc`, or `running`). */
function threadStackPointers(pid: number): Map<number, bigint> {
  const out = new Map<number, bigint>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    const tid = Number(t);
    if (tid === pid) continue; // the main thread's stack is [stack]
    try {
      const fields = readFileSync(`/proc/${pid}/task/${t}/syscall`, "latin1").trim().split(" ");
      if (fields.length >= 3) out.set(tid, BigInt(fields[fields.length - 2]!));
    } catch {
      // not permitted or gone: that thread's stack stays "anon"
    }
  }
  return out;
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  let json = false;
  let diagram = false;
  let pidText: string | undefined;
  for (const a of args) {
    if (a === "--json") json = true;
    else if (a === "--diagram") diagram = true;
    else if (a === "--help" || a === "-h") {
      io.stdout.write(USAGE);
      return 0;
    } else if (/^\d+$/.test(a) && pidText === undefined) pidText = a;
    else {
      io.stderr.write(`anatomy maps: unexpected argument '${a}'\n${USAGE}`);
      return 1;
    }
  }
  if (pidText === undefined) {
    io.stderr.write(USAGE);
    return 1;
  }
  const pid = Number(pidText);
  let smaps: Uint8Array;
  let command: string;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0+$/, "").replace(/\0/g, " ");
    smaps = readUnsized(`/proc/${pid}/smaps`);
  } catch (e) {
    io.stderr.write(`anatomy maps: ${explain(pid, "smaps", e)}\n`);
    return 1;
  }
  if (smaps.length === 0) {
    io.stderr.write(`anatomy maps: process ${pid} has no user mappings (a kernel thread, or it exited)\n`);
    return 1;
  }
  let rollupText: string | undefined;
  try {
    rollupText = readFileSync(`/proc/${pid}/smaps_rollup`, "latin1");
  } catch {
    rollupText = undefined;
  }
  // Device numbers are global, the mounts per namespace: the process's own, else ours.
  let tmpfs: Set<string> | undefined;
  for (const file of [`/proc/${pid}/mountinfo`, "/proc/self/mountinfo"]) {
    try {
      tmpfs = tmpfsDevices(readFileSync(file, "latin1"));
      break;
    } catch {
      // not permitted: try the next, or tell shmem by its path
    }
  }
  try {
    const entries = smapsEntries(parseSmapsTable(smaps, `/proc/${pid}/smaps`));
    const mappings = classify(entries, threadStackPointers(pid), tmpfs);
    const rollupEntry = rollupText ? parseSmaps(rollupText, `/proc/${pid}/smaps_rollup`)[0] : undefined;
    let rollup = rollupEntry ? usageOf(rollupEntry) : undefined;
    if (rollup) rollup = { ...rollup, size: entries.reduce((s, e) => s + ((e.end - e.start) >> 10n), 0n) };
    const proc: LiveProcess = { pid, command: command || `[pid ${pid}]`, mappings, rollup };
    if (json) io.stdout.write(`${JSON.stringify(liveMapsModel(proc), null, 2)}\n`);
    else if (diagram) {
      const is64 = entries.some((e) => e.end > 0xffffffffn);
      const rows = mappings.map((m) =>
        terminalRow({
          start: m.entry.start,
          end: m.entry.end,
          kind: m.kind === "thread-stack" ? `stack ${m.tid}` : m.kind,
          name: m.object.slice(m.object.lastIndexOf("/") + 1),
          perms: m.entry.perms,
        }),
      );
      io.stdout.write(`${pid}: ${proc.command}\n${renderDiagram(rows, is64)}`);
    } else renderLiveMaps(proc, io.stdout);
    return 0;
  } catch (e) {
    if (!(e instanceof ProcFormatError)) throw e;
    io.stderr.write(`anatomy maps: ${e.file} line ${e.lineNumber}: ${e.message}\n`);
    return 1;
  }
}
