import type { AslrLayout, AslrRange } from "../process/aslr.js";
import { humanSize } from "./diagram.js";
import type { Output } from "./output.js";

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** 268435456 -> "2^28", 4194305 -> "4194305": powers of two as people compare entropy. */
export function countText(n: bigint): string {
  if (n > 1n && (n & (n - 1n)) === 0n) return `2^${n.toString(2).length - 1}`;
  return n.toString();
}

const SOURCE_NAMES: Record<AslrRange["source"], string> = {
  none: "fixed",
  pie: "PIE bias",
  mmap: "mmap base",
  stack: "stack top",
  brk: "brk",
  "pie+brk": "PIE bias + brk",
  "mmap+brk": "mmap base + brk",
};

export function aslrModel(a: AslrLayout): object {
  return {
    stage: a.stage,
    aslr: {
      randomizeVaSpace: a.settings.level,
      mmapRndBits: a.settings.mmapRndBits,
      mmapRndCompatBits: a.settings.mmapRndCompatBits,
    },
    is64: a.is64,
    taskSize: hex(a.taskSize),
    ranges: a.ranges.map((r) => ({
      region: r.region,
      kind: r.kind,
      object: r.object ?? null,
      perms: r.perms ?? null,
      size: hex(r.size),
      low: hex(r.low),
      high: hex(r.high),
      step: hex(r.step),
      count: r.count.toString(),
      bits: r.bits,
      source: r.source,
      how: r.how,
    })),
  };
}

/** Highest first, like the diagram: the stack on top, the program at the bottom. */
function byAddressDown(a: AslrRange, b: AslrRange): number {
  if (a.high !== b.high) return a.high < b.high ? 1 : -1;
  return a.kind === "stack_top" ? -1 : b.kind === "stack_top" ? 1 : 0;
}

export function renderAslr(a: AslrLayout, json: boolean, out: Output): void {
  if (json) {
    out.write(`${JSON.stringify(aslrModel(a), null, 2)}\n`);
    return;
  }
  const w = a.is64 ? 16 : 8;
  const addr = (v: bigint) => `0x${v.toString(16).padStart(w, "0")}`;
  const { level, mmapRndBits, mmapRndCompatBits } = a.settings;
  const bits = a.is64 ? `mmap_rnd_bits ${mmapRndBits}` : `mmap_rnd_compat_bits ${mmapRndCompatBits}`;
  const rows = [...a.ranges].sort(byAddressDown);
  const nameW = Math.min(28, Math.max(6, ...rows.map((r) => r.region.length)));
  const lines = [
    `Address ranges ${a.stage === "exec" ? "at execve" : "at the entry point (after ld.so)"}, with randomize_va_space ${level} (${bits}), ${a.is64 ? "64" : "32"}-bit task`,
    "  start addresses (for 'stack top': the end of [stack]); values = how many starts are possible",
    "",
    `${"region".padEnd(nameW)} ${"kind".padEnd(9)} perm ${"size".padStart(9)}  ${"lowest".padStart(w + 2)}  ${"highest".padStart(w + 2)} ${"values".padStart(8)}  bits  moved by`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.region.slice(0, nameW).padEnd(nameW)} ${r.kind.padEnd(9)} ${(r.perms ?? "").padEnd(4)} ${(r.size ? humanSize(r.size) : "").padStart(9)}  ${addr(r.low)}  ${addr(r.high)} ${countText(r.count).padStart(8)}  ${r.bits.toFixed(r.bits % 1 ? 1 : 0).padStart(4)}  ${SOURCE_NAMES[r.source]}`,
    );
  }
  // Each independent draw once, with the kernel's rule for it.
  const seen = new Set<string>();
  const notes: string[] = [];
  for (const r of rows) {
    const key = `${SOURCE_NAMES[r.source]}: ${r.how}`;
    if (r.source === "none" || seen.has(key)) continue;
    seen.add(key);
    notes.push(`  ${key}`);
  }
  if (notes.length) lines.push("", "How each is drawn:", ...notes);
  out.write(`${lines.join("\n")}\n`);
}
