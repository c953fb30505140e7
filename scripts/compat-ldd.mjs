#!/usr/bin/env node
// Compares `anatomy ldd` with glibc's ldd over every ELF program in a directory (default /usr/bin):
// library names and paths must be identical; the ` (0x...)` load addresses are ignored (ASLR, and
// anatomy does not predict them yet). Usage: node scripts/compat-ldd.mjs [DIR]
import { execFileSync, spawnSync } from "node:child_process";
import { elfFilesIn } from "./lib/elf-files.mjs";

const dir = process.argv[2] ?? "/usr/bin";
const anatomy = new URL("../bin/anatomy.js", import.meta.url).pathname;

const files = elfFilesIn(dir);
const env = { ...process.env, LC_ALL: "C" };
delete env.LD_LIBRARY_PATH;
delete env.LD_PRELOAD;

/** Splits multi-file ldd output into FILE -> lines, addresses removed. */
function split(text) {
  const out = new Map();
  let cur;
  for (const line of text.split("\n")) {
    if (
      !line.startsWith("\t") &&
      line.endsWith(":") &&
      out.has(line.slice(0, -1)) === false &&
      files.includes(line.slice(0, -1))
    ) {
      cur = [];
      out.set(line.slice(0, -1), cur);
    } else if (cur && line !== "") cur.push(line.replace(/ \(0x[0-9a-f]+\)$/, ""));
  }
  return out;
}

const t0 = performance.now();
const ref = spawnSync("ldd", files, { env, encoding: "latin1", maxBuffer: 1 << 28 });
const t1 = performance.now();
const ours = spawnSync(process.execPath, [anatomy, "ldd", ...files], {
  env,
  encoding: "latin1",
  maxBuffer: 1 << 28,
});
const t2 = performance.now();
const a = split(ref.stdout);
const b = split(ours.stdout);
let same = 0;
const diffs = [];
for (const f of files) {
  const x = (a.get(f) ?? []).join("\n");
  const y = (b.get(f) ?? []).join("\n");
  if (x === y) same++;
  else diffs.push(`--- ${f}\nldd:\n${x}\nanatomy:\n${y}`);
}
console.log(`ldd paths: ${same}/${files.length} identical`);
console.log(`time: ldd ${(t1 - t0).toFixed(0)} ms, anatomy ldd ${(t2 - t1).toFixed(0)} ms`);
for (const d of diffs.slice(0, 5)) console.log(d);
void execFileSync;
