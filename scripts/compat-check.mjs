#!/usr/bin/env node
// Compares `anatomy check --format checksec` with checksec 2.6 (`checksec --output=json --file=F`) field
// by field over every ELF regular file of a directory (default /usr/bin), and prints "field: N/M
// identical" and each difference. Why the remaining differences are checksec's mistakes, with an
// example each: /work/briefs/H9-checksec-diffs.md (in the README).
// Usage: node scripts/compat-check.mjs [--anatomy PATH/TO/main.js] [--jobs N] [--cache FILE] [DIR]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { elfFilesIn } from "./lib/elf-files.mjs";

const argv = process.argv.slice(2);
let anatomy = new URL("../bin/anatomy.js", import.meta.url).pathname;
let jobs = availableParallelism();
let cache;
let dir = "/usr/bin";
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--anatomy") anatomy = argv[++i];
  else if (argv[i] === "--jobs") jobs = Number(argv[++i]);
  else if (argv[i] === "--cache") cache = argv[++i];
  else dir = argv[i];
}

const FIELDS = [
  "relro",
  "canary",
  "nx",
  "pie",
  "rpath",
  "runpath",
  "symbols",
  "fortify_source",
  "fortified",
  "fortify-able",
];

const files = elfFilesIn(dir, { followLinks: false });

/** checksec's verdicts, one process per file, `jobs` at a time (it runs readelf a dozen times each). */
async function runChecksec(list) {
  const out = new Map();
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const f = list[next++];
      const text = await new Promise((resolve) => {
        const p = spawn("checksec", ["--output=json", `--file=${f}`], {
          stdio: ["ignore", "pipe", "ignore"],
        });
        const chunks = [];
        p.stdout.on("data", (c) => chunks.push(c));
        p.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
      });
      try {
        out.set(f, JSON.parse(text)[f]);
      } catch {
        out.set(f, { error: text.slice(0, 200) });
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return out;
}

const t0 = performance.now();
let ref;
if (cache && existsSync(cache)) ref = new Map(Object.entries(JSON.parse(readFileSync(cache, "latin1"))));
else {
  ref = await runChecksec(files);
  if (cache) writeFileSync(cache, JSON.stringify(Object.fromEntries(ref)));
}
const t1 = performance.now();
const res = spawnSync(process.execPath, [anatomy, "check", "--format", "checksec", ...files], {
  encoding: "latin1",
  maxBuffer: 1 << 28,
});
const t2 = performance.now();
const ours = new Map();
for (const line of res.stdout.split("\n")) {
  if (line === "") continue;
  const o = JSON.parse(line);
  for (const [k, v] of Object.entries(o)) ours.set(k, v);
}
if (res.stderr) process.stderr.write(res.stderr);

const same = Object.fromEntries(FIELDS.map((f) => [f, 0]));
const diffs = Object.fromEntries(FIELDS.map((f) => [f, []]));
let compared = 0;
for (const f of files) {
  const a = ref.get(f);
  const b = ours.get(f);
  if (!a || a.error || !b) {
    console.log(`${f}: ${!b ? "anatomy gave no verdict" : `checksec failed: ${a?.error ?? "?"}`}`);
    continue;
  }
  compared++;
  for (const k of FIELDS) {
    if (a[k] === b[k]) same[k]++;
    else diffs[k].push(`${f}: checksec ${a[k]}, anatomy ${b[k]}`);
  }
}
console.log(`${files.length} ELF files in ${dir}, ${compared} compared`);
for (const k of FIELDS) console.log(`${k}: ${same[k]}/${compared} identical`);
for (const k of FIELDS) {
  if (diffs[k].length === 0) continue;
  console.log(`\n${k} differs on ${diffs[k].length}:`);
  for (const d of diffs[k]) console.log(`  ${d}`);
}
const cached = cache && existsSync(cache) && t1 - t0 < 1000;
console.log(
  `\nchecksec ${cached ? "(cached)" : `${((t1 - t0) / 1000).toFixed(1)} s with ${jobs} jobs`}, anatomy ${((t2 - t1) / 1000).toFixed(2)} s`,
);
