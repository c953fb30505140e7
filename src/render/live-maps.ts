import { addUsage, type LiveMapping, type Usage, zeroUsage } from "../process/live-map.js";
import { elidePath, padColumns } from "./elide.js";
import type { Output } from "./output.js";

export interface LiveProcess {
  pid: number;
  command: string;
  mappings: LiveMapping[];
  /** smaps_rollup's totals, when the kernel has it. */
  rollup: Usage | undefined;
}

interface Group {
  object: string;
  rows: Map<string, Usage & { count: number }>;
  total: Usage;
}

function label(m: LiveMapping): string {
  return m.kind === "thread-stack" ? `stack of thread ${m.tid}` : m.kind;
}

/** Mappings grouped by object, in address order of each object's first mapping. */
export function groupByObject(mappings: LiveMapping[]): Group[] {
  const groups = new Map<string, Group>();
  for (const m of mappings) {
    let g = groups.get(m.object);
    if (!g) {
      g = { object: m.object, rows: new Map(), total: zeroUsage() };
      groups.set(m.object, g);
    }
    const key = label(m);
    let row = g.rows.get(key);
    if (!row) {
      row = { ...zeroUsage(), count: 0 };
      g.rows.set(key, row);
    }
    const u = m.usage;
    addUsage(row, u);
    row.count++;
    addUsage(g.total, u);
  }
  return [...groups.values()];
}

const COLUMNS: [keyof Usage, string][] = [
  ["size", "Size"],
  ["rss", "RSS"],
  ["pss", "PSS"],
  ["pssAnon", "PSS anon"],
  ["pssFile", "PSS file"],
  ["pssShmem", "PSS shmem"],
  ["swap", "Swap"],
  ["dirty", "Dirty"],
];

export function liveMapsModel(p: LiveProcess): object {
  const kib = (u: Usage) => Object.fromEntries(COLUMNS.map(([k]) => [`${k}KiB`, Number(u[k])]));
  return {
    pid: p.pid,
    command: p.command,
    objects: groupByObject(p.mappings).map((g) => ({
      object: g.object,
      total: kib(g.total),
      kinds: [...g.rows].map(([kind, u]) => ({ kind, mappings: u.count, ...kib(u) })),
    })),
    mappings: p.mappings.map((m) => ({
      start: `0x${m.entry.start.toString(16)}`,
      end: `0x${m.entry.end.toString(16)}`,
      perms: m.entry.perms,
      offset: `0x${m.entry.offset.toString(16)}`,
      path: m.entry.path,
      kind: m.kind,
      object: m.object,
      ...(m.tid === undefined ? {} : { tid: m.tid }),
      ...kib(m.usage),
    })),
    ...(p.rollup ? { rounding: kib(rounding(p.rollup, p.mappings)) } : {}),
    total: kib(p.rollup ?? sum(p.mappings)),
  };
}

function sum(mappings: LiveMapping[]): Usage {
  const t = zeroUsage();
  for (const m of mappings) addUsage(t, m.usage);
  return t;
}

/**
 * smaps_rollup less the mappings' sum, so that the rows add up to it: smaps rounds each mapping's PSS
 * down to a KiB, smaps_rollup only the total (task_mmu.c, PSS_SHIFT), so shared pages leave up to a
 * KiB per mapping here. Pages that change between the two reads land here too.
 */
export function rounding(rollup: Usage, mappings: LiveMapping[]): Usage {
  const s = sum(mappings);
  const out = zeroUsage();
  for (const k of Object.keys(out) as (keyof Usage)[]) out[k] = rollup[k] - s[k];
  return out;
}

export function renderLiveMaps(p: LiveProcess, out: Output): void {
  const nameWidth = 44;
  const head = `${"object / kind".padEnd(nameWidth)}${COLUMNS.map(([, h]) => h.padStart(10)).join("")}`;
  const line = (name: string, u: Usage) =>
    padColumns(elidePath(name, nameWidth - 1), nameWidth) +
    COLUMNS.map(([k]) => `${u[k]}`.padStart(10)).join("");
  const lines = [`${p.pid}: ${p.command}`, "all sizes in KiB", head];
  for (const g of groupByObject(p.mappings)) {
    lines.push(line(g.object, g.total));
    if (g.rows.size > 1 || !g.rows.has(g.object)) {
      for (const [kind, u] of g.rows) lines.push(line(`  ${kind}${u.count > 1 ? ` (${u.count})` : ""}`, u));
    }
  }
  if (p.rollup) {
    const r = rounding(p.rollup, p.mappings);
    if (COLUMNS.some(([k]) => r[k] !== 0n)) lines.push(line("rounding (smaps_rollup - mappings)", r));
  }
  lines.push(line(p.rollup ? "total (smaps_rollup)" : "total", p.rollup ?? sum(p.mappings)));
  out.write(`${lines.join("\n")}\n`);
}
