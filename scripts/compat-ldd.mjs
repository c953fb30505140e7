#!/usr/bin/env node
// Compares `anatomy ldd` with glibc's ldd over every ELF program in a directory (default /usr/bin).
// By default library names and paths must be identical, the ` (0x...)` load addresses ignored (ASLR).
// With --addresses, the x86-64 programs only, both run as `env -i setarch -R ...` (ASLR off, empty
// environment, the same working directory: a library not found costs ld.so getcwd's buffer), and the
// lines must be identical, addresses included.
// ANATOMY_BIN=dist-NAME/cli/main.js runs a private build instead of bin/anatomy.js.
// Usage: node scripts/compat-ldd.mjs [--addresses] [--diffs N] [DIR]
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import { resolve } from "node:path";
import { elfFilesIn } from "./lib/elf-files.mjs";

const args = process.argv.slice(2);
let addresses = false;
let showDiffs = 5;
let dir = "/usr/bin";
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--addresses") addresses = true;
  else if (args[i] === "--diffs") showDiffs = Number(args[++i]);
  else dir = args[i];
}
const anatomy = resolve(new URL("..", import.meta.url).pathname, process.env.ANATOMY_BIN ?? "bin/anatomy.js");

/** ELFCLASS64, little endian, EM_X86_64: the programs `setarch -R ldd` runs x86-64 ld.so on. */
function isX86_64(path) {
  const fd = openSync(path, "r");
  const b = Buffer.alloc(20);
  readSync(fd, b, 0, 20, 0);
  closeSync(fd);
  return b[4] === 2 && b[5] === 1 && b.readUInt16LE(18) === 62;
}

let files = elfFilesIn(dir);
if (addresses) files = files.filter(isX86_64);
const env = { ...process.env, LC_ALL: "C" };
delete env.LD_LIBRARY_PATH;
delete env.LD_PRELOAD;

/** Splits multi-file ldd output into FILE -> lines (addresses removed unless --addresses). */
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
    } else if (cur && line !== "") cur.push(addresses ? line : line.replace(/ \(0x[0-9a-f]+\)$/, ""));
  }
  return out;
}

const run = (argv) =>
  addresses
    ? spawnSync("env", ["-i", "LC_ALL=C", "setarch", "-R", ...argv], {
        encoding: "latin1",
        maxBuffer: 1 << 28,
      })
    : spawnSync(argv[0], argv.slice(1), { env, encoding: "latin1", maxBuffer: 1 << 28 });
const t0 = performance.now();
const ref = run(["ldd", ...files]);
const t1 = performance.now();
const ours = run([process.execPath, anatomy, "ldd", ...files]);
const t2 = performance.now();
if (ours.error || ours.status === null) throw ours.error ?? new Error(`anatomy ldd: ${ours.signal}`);
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
console.log(
  addresses
    ? `ldd load addresses (setarch -R): ${same}/${files.length} x86-64 programs identical`
    : `ldd paths: ${same}/${files.length} identical`,
);
console.log(`time: ldd ${(t1 - t0).toFixed(0)} ms, anatomy ldd ${(t2 - t1).toFixed(0)} ms`);
for (const d of diffs.slice(0, showDiffs)) console.log(d);
