// The classic exercise, measured: the same sources linked dynamically and with -static, side by side.
// Sizes as `size` counts them, what each needs at run time, which archive members the static link
// pulled in and for which symbol, and the start-up time of each over many runs, interleaved so the
// machine's noise falls on both alike.
import { spawnSync } from "node:child_process";
import { EM_386, EM_AARCH64, EM_X86_64, PT_INTERP } from "../elf/constants.js";
import { dynamicInfo } from "../elf/dynamic.js";
import type { ElfFile } from "../elf/file.js";
import { latin1 } from "../elf/strings.js";

/** Start-up time over many runs: the whole run of a program that does next to nothing, fork to exit. */
export interface StartUpTiming {
  runs: number;
  medianMs: number;
  /** The fastest batch's time per run. */
  minMs: number;
  /** The exit status of the first run (a program that fails still has a start-up to time). */
  status: number | null;
}

/** One program of the pair. */
export interface ProgramSummary {
  program: string;
  fileSize: number;
  /** As `size` counts them: code and read-only data, initialised data, zero-filled data. */
  text: bigint;
  data: bigint;
  bss: bigint;
  interpreter: string | undefined;
  needed: string[];
  /** Archive members the link pulled in, by archive (libc.a 61, libgcc_eh.a 3, ...). */
  members: { archive: string; count: number }[];
  startUp: StartUpTiming | undefined;
}

export interface StaticComparison {
  dynamic: ProgramSummary;
  static: ProgramSummary;
  /** Each archive member the static link pulled in: for which symbol, needed by which file. */
  pulled: { archive: string; member: string; by: string; symbol: string }[];
  /** Why the programs were not run, when they were not (a program for another machine). */
  notTimed: string | undefined;
}

/** Sizes of the allocated sections as `size` (Berkeley) adds them up. */
export function berkeleySizes(file: ElfFile): { text: bigint; data: bigint; bss: bigint } {
  let text = 0n;
  let data = 0n;
  let bss = 0n;
  for (const sh of file.sectionHeaders) {
    if ((sh.sh_flags & 2n) === 0n) continue; // SHF_ALLOC
    if ((sh.sh_flags & 1n) === 0n)
      text += sh.sh_size; // not SHF_WRITE: code and read-only data
    else if (sh.sh_type === 8)
      bss += sh.sh_size; // SHT_NOBITS
    else data += sh.sh_size;
  }
  return { text, data, bss };
}

export function interpreterOf(file: ElfFile): string | undefined {
  const ip = file.segmentsOfType(PT_INTERP)[0];
  if (!ip) return undefined;
  const bytes = file.read(ip.p_offset, ip.p_filesz, "PT_INTERP");
  const nul = bytes.indexOf(0);
  return latin1(nul >= 0 ? bytes.subarray(0, nul) : bytes);
}

/** The summary of one linked program; `members` from its link map's archive list. */
export function summarise(
  program: string,
  file: ElfFile,
  fileSize: number,
  members: { archive: string }[],
): ProgramSummary {
  const counts = new Map<string, number>();
  for (const m of members) {
    const name = m.archive.slice(m.archive.lastIndexOf("/") + 1);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return {
    program,
    fileSize,
    ...berkeleySizes(file),
    interpreter: interpreterOf(file),
    needed: dynamicInfo(file)?.needed ?? [],
    members: [...counts].map(([archive, count]) => ({ archive, count })).sort((a, b) => b.count - a.count),
    startUp: undefined,
  };
}

/** This machine runs programs of that ELF machine natively. */
export function runsHere(machine: number): boolean {
  const here: Record<string, number[]> = { x64: [EM_X86_64, EM_386], arm64: [EM_AARCH64], ia32: [EM_386] };
  return (here[process.arch] ?? []).includes(machine);
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A /bin/sh loop that runs "$0" "$1" times with no input and its output thrown away. */
const LOOP = 'i=0; while [ "$i" -lt "$1" ]; do "$0" </dev/null >/dev/null 2>&1; i=$((i+1)); done';

/**
 * Runs each program `runs` times with no arguments, no input and its output thrown away, in batches
 * from a /bin/sh loop (so the cost of spawning is the shell's fork and exec, not node's), the
 * programs taking turns batch by batch. A run's time is its batch's time over the batch's runs.
 */
export function timeStartUp(programs: string[], runs: number): StartUpTiming[] {
  const batches = Math.min(runs, 20);
  const perBatch = Math.ceil(runs / batches);
  const times = programs.map(() => [] as number[]);
  const status = programs.map((p) => spawnSync(p, [], { stdio: "ignore", timeout: 10_000 }).status);
  for (let i = 0; i < batches; i++)
    for (let p = 0; p < programs.length; p++) {
      const start = process.hrtime.bigint();
      spawnSync("/bin/sh", ["-c", LOOP, programs[p] as string, String(perBatch)], {
        stdio: "ignore",
        timeout: 10_000 * perBatch,
      });
      (times[p] as number[]).push(Number(process.hrtime.bigint() - start) / 1e6 / perBatch);
    }
  return times.map((t, p) => {
    const sorted = [...t].sort((a, b) => a - b);
    return {
      runs: batches * perBatch,
      medianMs: median(sorted),
      minMs: sorted[0] ?? 0,
      status: status[p] ?? null,
    };
  });
}
