#!/usr/bin/env node
// Checks `anatomy layout --aslr` against reality: runs a program that prints its own /proc/self/maps
// (default `/usr/bin/cat /proc/self/maps`) N times with ASLR on, and checks every observed start (the
// program's, the interpreter's and each library's bases, [vvar] [vvar_vclock] [vdso], [heap], the end of [stack]) lies in
// the predicted range on the predicted step, and that the spread seen is plausible for the entropy.
// Usage: node scripts/check-aslr.mjs [--runs N] [--bin "node bin/anatomy.js"] [--legacy] [--3gb] [PROGRAM [ARGS...]]
// (--legacy / --3gb: run the script itself under `setarch -L` / `setarch -3`; they are passed to layout.)
// PROGRAM must print its own maps when run with ARGS (default: /proc/self/maps as its only argument),
// e.g. `node scripts/check-aslr.mjs /usr/bin/sed -n p /proc/self/maps`.
import { execFileSync, spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { basename } from "node:path";

const args = process.argv.slice(2);
let runs = 300;
let bin;
let program = "/usr/bin/cat";
let programArgs = ["/proc/self/maps"];
const layoutArgs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--legacy" || args[i] === "--3gb") layoutArgs.push(args[i]);
  else if (args[i] === "--runs") runs = Number(args[++i]);
  else if (args[i] === "--bin") bin = args[++i].split(" ");
  else {
    program = args[i];
    if (i + 1 < args.length) programArgs = args.slice(i + 1);
    break;
  }
}
// Default: run the sources through tsx, so no build (and no race with other builds) is needed.
const cli = bin ?? [
  process.execPath,
  "--import",
  "tsx",
  new URL("../src/cli/main.ts", import.meta.url).pathname,
];

const predicted = JSON.parse(
  execFileSync(
    cli[0],
    [...cli.slice(1), "layout", ...layoutArgs, "--aslr", "--json", program, "--", ...programArgs],
    {
      encoding: "utf8",
    },
  ),
);
const rows = predicted.ranges.map((r) => ({
  ...r,
  low: BigInt(r.low),
  high: BigInt(r.high),
  step: BigInt(r.step),
  count: BigInt(r.count),
}));
/** The predicted range of an object's base: its lowest mapping's row. */
function baseRow(object) {
  const mine = rows.filter((r) => r.object === object && r.kind !== "heap");
  mine.sort((a, b) => (a.low < b.low ? -1 : 1));
  return mine[0];
}
// Every mapped object: the program, ld.so and (at the entry stage, the default) each library.
const objects = [...new Set(rows.filter((r) => r.object && r.kind !== "heap").map((r) => r.object))];
const checks = [
  ...objects.map((o) => ({ name: `${basename(o)} base`, row: baseRow(o), pick: (m) => m.bases.get(o) })),
  ...["[vvar]", "[vvar_vclock]", "[vdso]"].map((n) => ({
    name: n,
    row: rows.find((r) => r.region === n),
    pick: (m) => m.named.get(n)?.start,
  })),
  { name: "[heap]", row: rows.find((r) => r.kind === "heap"), pick: (m) => m.named.get("[heap]")?.start },
  {
    name: "stack top",
    row: rows.find((r) => r.kind === "stack_top"),
    pick: (m) => m.named.get("[stack]")?.end,
  },
].filter((c) => c.row);

function parseMaps(text) {
  const bases = new Map();
  const named = new Map();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (!m) continue;
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    const path = m[3];
    if (path.startsWith("/")) {
      let p = path;
      try {
        p = realpathSync(path);
      } catch {}
      if (!bases.has(p) || bases.get(p) > start) bases.set(p, start);
    } else if (path.startsWith("[")) named.set(path, { start, end });
  }
  return { bases, named };
}

let inside = 0;
let total = 0;
const seen = new Map(checks.map((c) => [c.name, []]));
const failures = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(program, programArgs, { encoding: "latin1" });
  if (r.status !== 0) throw new Error(`${program} failed: ${r.stderr}`);
  const maps = parseMaps(r.stdout);
  for (const c of checks) {
    const v = c.pick(maps);
    if (v === undefined) continue;
    total++;
    seen.get(c.name).push(v);
    const ok = v >= c.row.low && v <= c.row.high && (v - c.row.low) % c.row.step === 0n;
    if (ok) inside++;
    else if (failures.length < 10)
      failures.push(
        `${c.name}: 0x${v.toString(16)} not in [0x${c.row.low.toString(16)}, 0x${c.row.high.toString(16)}] step 0x${c.row.step.toString(16)}`,
      );
  }
}

// Regions moved by the same draw keep their distances: check those against the prediction too.
const pairs = [];
for (const a of checks) {
  for (const b of checks) {
    if (a !== b && a.row.source === b.row.source && a.row.source === "mmap" && a.row.step === b.row.step) {
      if (!pairs.some(([x, y]) => x === b && y === a)) pairs.push([a, b]);
    }
  }
}
let relInside = 0;
let relTotal = 0;
for (const [a, b] of pairs) {
  const va = seen.get(a.name);
  const vb = seen.get(b.name);
  const want = a.row.low - b.row.low;
  for (let i = 0; i < Math.min(va.length, vb.length); i++) {
    relTotal++;
    if (va[i] - vb[i] === want) relInside++;
    else if (failures.length < 10)
      failures.push(
        `${a.name} - ${b.name}: 0x${(va[i] - vb[i]).toString(16)}, predicted 0x${want.toString(16)}`,
      );
  }
}

console.log(`aslr: ${inside}/${total} observations inside predicted ranges`);
if (relTotal)
  console.log(`aslr: ${relInside}/${relTotal} distances between regions of the mmap area as predicted`);
for (const f of failures) console.log(`  outside: ${f}`);
// Spread: with n draws from v equally likely values, the extremes cover about (n-1)/(n+1) of the
// range and nearly all draws are distinct when v >> n^2 / 2.
let implausible = 0;
for (const c of checks) {
  const vs = seen.get(c.name);
  if (vs.length === 0) continue;
  const lo = vs.reduce((a, b) => (b < a ? b : a));
  const hi = vs.reduce((a, b) => (b > a ? b : a));
  const distinct = new Set(vs.map(String)).size;
  const width = c.row.high - c.row.low;
  const covered = width === 0n ? 1 : Number(((hi - lo) * 10000n) / width) / 10000;
  const n = vs.length;
  const values = Number(c.row.count);
  const expectDistinct = values * (1 - (1 - 1 / values) ** n);
  const expectCover = values <= 1 ? 1 : (n - 1) / (n + 1);
  const plausible = distinct >= Math.floor(expectDistinct * 0.9) && covered >= expectCover * 0.85;
  if (!plausible) implausible++;
  console.log(
    `  ${c.name.padEnd(28)} ${String(c.row.bits).padStart(4)} bits: ${distinct}/${n} distinct (expected ~${expectDistinct.toFixed(0)}), spread ${(covered * 100).toFixed(1)}% of the range${plausible ? "" : "  IMPLAUSIBLE"}`,
  );
}
process.exitCode = inside === total && relInside === relTotal && implausible === 0 ? 0 : 1;
