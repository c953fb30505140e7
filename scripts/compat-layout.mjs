#!/usr/bin/env node
// Compares `anatomy layout --stage exec --format maps` with the real /proc/PID/maps of the program
// stopped at its first instruction under gdb (ASLR off, empty environment), line by line.
// Usage: node scripts/compat-layout.mjs [--limit N] [--legacy] [--unlimited] [FILE...]
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";

const args = process.argv.slice(2);
let limit = 200;
let legacy = false;
let unlimited = false;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--limit") limit = Number(args[++i]);
  else if (args[i] === "--legacy") legacy = true;
  else if (args[i] === "--unlimited") unlimited = true;
  else files.push(args[i]);
}

function isElfExecutable(path) {
  try {
    const st = statSync(path);
    if (!st.isFile() || !(st.mode & 0o111)) return false;
    const head = readFileSync(path, { flag: "r" }).subarray(0, 20);
    return (
      head[0] === 0x7f &&
      head[1] === 0x45 &&
      (head[16] === 2 || head[16] === 3) &&
      (head[18] === 62 || head[18] === 3)
    );
  } catch {
    return false;
  }
}

if (files.length === 0) {
  for (const name of readdirSync("/usr/bin").sort()) {
    const p = `/usr/bin/${name}`;
    if (isElfExecutable(p)) files.push(p);
    if (files.length >= limit) break;
  }
}

const gdbScript = [
  "set disable-randomization on",
  "set startup-with-shell off",
  "unset environment",
  "starti",
  'python import gdb; print("@@MAPS@@"); print(open("/proc/%d/maps" % gdb.selected_inferior().pid).read(), end=""); print("@@END@@")',
  "kill",
];

function realMaps(prog) {
  const gdbArgs = ["-nx", "-batch", ...gdbScript.flatMap((c) => ["-ex", c]), prog];
  const cmd = ["env", "-i", "gdb", ...gdbArgs];
  const prefix = [];
  if (legacy) prefix.push("setarch", "-L");
  const shell = unlimited
    ? `ulimit -s unlimited; exec ${[...prefix, ...cmd].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ")}`
    : undefined;
  const r = shell
    ? spawnSync("bash", ["-c", shell], { encoding: "latin1", timeout: 30000 })
    : spawnSync(prefix[0] ?? cmd[0], [...prefix.slice(1), ...(prefix.length ? cmd : cmd.slice(1))], {
        encoding: "latin1",
        timeout: 30000,
      });
  const text = r.stdout ?? "";
  const m = /@@MAPS@@\n([\s\S]*?)@@END@@/.exec(text);
  return m ? m[1] : undefined;
}

function ourMaps(prog) {
  const extra = [];
  if (legacy) extra.push("--legacy");
  if (unlimited) extra.push("--stack-limit", "unlimited");
  else extra.push("--stack-limit", String(8 << 20));
  try {
    return execFileSync(
      process.execPath,
      [
        process.env.ANATOMY_BIN ?? "bin/anatomy.js",
        "layout",
        "--env-clear",
        "--format",
        "maps",
        ...extra,
        prog,
      ],
      {
        encoding: "latin1",
      },
    );
  } catch (e) {
    return `ERROR ${e.stderr}`;
  }
}

// The kernel clears ADDR_NO_RANDOMIZE when it executes a set-user-ID or set-group-ID program
// (PER_CLEAR_ON_SETID), so gdb cannot show those with ASLR off: they are not comparable.
const setid = files.filter((f) => (statSync(f).mode & 0o6000) !== 0);
files.splice(0, files.length, ...files.filter((f) => !setid.includes(f)));

let identicalFiles = 0;
let lines = 0;
let identicalLines = 0;
let skipped = 0;
const firstDiffs = [];
for (const prog of files) {
  const want = realMaps(prog);
  if (want === undefined) {
    skipped++;
    continue;
  }
  const got = ourMaps(prog);
  const a = want.split("\n").filter(Boolean);
  const b = new Set(got.split("\n").filter(Boolean));
  lines += a.length;
  const same = a.filter((l) => b.has(l)).length;
  identicalLines += same;
  if (want === got) identicalFiles++;
  else if (firstDiffs.length < 5)
    firstDiffs.push(
      `${prog}:\n  want ${a
        .filter((l) => !b.has(l))
        .slice(0, 3)
        .join("\n       ")}\n  got  ${[...b]
        .filter((l) => !a.includes(l))
        .slice(0, 3)
        .join("\n       ")}`,
    );
}
const mode = `${legacy ? "legacy " : ""}${unlimited ? "unlimited-stack " : ""}`;
console.log(
  `layout exec ${mode}files: ${identicalFiles}/${files.length - skipped} identical (${skipped} not runnable under gdb, ${setid.length} set-ID programs left out: the kernel randomizes them whatever the personality)`,
);
console.log(`layout exec ${mode}lines: ${identicalLines}/${lines} identical`);
for (const d of firstDiffs) console.log(d);
