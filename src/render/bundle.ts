import type { BundleEntry, BundleKind, BundlePlan } from "../link/bundle.js";
import type { Output } from "./output.js";

/** Kinds whose files are many (a stdlib tree, 256 gconv modules): summarised unless --verbose. */
const BULK: ReadonlySet<BundleKind> = new Set(["data", "gconv"]);

/** One plan line: `kind  path [-> target]  reason`; undefined for lines the text view leaves out. */
export function bundleEntryLine(e: BundleEntry, verbose: boolean): string | undefined {
  if (e.type === "directory" && (e.reason === "parent directory" || !BULK.has(e.kind))) return undefined;
  if (!verbose && BULK.has(e.kind) && e.type !== "directory") return undefined;
  const what =
    e.type === "symlink" ? `${e.path} -> ${e.target}` : e.type === "directory" ? `${e.path}/` : e.path;
  return `${e.kind.padEnd(12)} ${what}  (${e.reason})\n`;
}

export interface BundleTotals {
  files: number;
  symlinks: number;
  directories: number;
  bytes: number;
  byKind: Record<string, { files: number; symlinks: number; bytes: number }>;
}

export function bundleTotals(plan: BundlePlan): BundleTotals {
  const t: BundleTotals = { files: 0, symlinks: 0, directories: 0, bytes: 0, byKind: {} };
  for (const e of plan.entries) {
    const k = (t.byKind[e.kind] ??= { files: 0, symlinks: 0, bytes: 0 });
    if (e.type === "file") {
      t.files++;
      t.bytes += e.size;
      k.files++;
      k.bytes += e.size;
    } else if (e.type === "symlink") {
      t.symlinks++;
      k.symlinks++;
    } else t.directories++;
  }
  return t;
}

const human = (n: number): string =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

/** The closing lines: totals per kind, then warnings and what is missing. */
export function renderBundleSummary(plan: BundlePlan, out: Output): void {
  const t = bundleTotals(plan);
  for (const [kind, k] of Object.entries(t.byKind)) {
    if (k.files === 0 && k.symlinks === 0) continue;
    out.write(`# ${kind}: ${k.files} files, ${k.symlinks} links, ${human(k.bytes)}\n`);
  }
  out.write(
    `# total: ${t.files} files, ${t.symlinks} links, ${t.directories} directories, ${human(t.bytes)}\n`,
  );
  for (const w of plan.warnings) out.write(`warning: ${w}\n`);
  for (const m of plan.missing) out.write(`missing: ${m}\n`);
}

export function renderBundlePlan(plan: BundlePlan, out: Output, verbose = false): void {
  for (const e of plan.entries) {
    const line = bundleEntryLine(e, verbose);
    if (line) out.write(line);
  }
  renderBundleSummary(plan, out);
}

export function bundleModel(plan: BundlePlan): unknown {
  return { ...plan, totals: bundleTotals(plan) };
}
