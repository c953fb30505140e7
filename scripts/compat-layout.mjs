#!/usr/bin/env node
// Compares `anatomy layout --stage exec --format maps` with the real /proc/PID/maps of the program
// stopped at its first instruction under gdb (ASLR off, empty environment), line by line.
// With --stage entry, the program runs under gdb to a temporary breakpoint on AT_ENTRY (libraries loaded,
// TLS set up, RELRO applied, constructors run) and is compared with `anatomy layout --stage entry`.
// Usage: node scripts/compat-layout.mjs [--stage exec|entry] [--jobs N] [--limit N] [--diffs N] [--save DIR]
//        [--legacy] [--unlimited] [FILE...]
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const args = process.argv.slice(2);
let limit = 200;
let legacy = false;
let unlimited = false;
let stage = "exec";
let jobs = 8;
let showDiffs = 5;
// --save DIR writes each differing program's real and predicted maps (NAME.want, NAME.got) for study.
let saveDir;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--limit") limit = Number(args[++i]);
  else if (args[i] === "--legacy") legacy = true;
  else if (args[i] === "--unlimited") unlimited = true;
  else if (args[i] === "--stage") stage = args[++i];
  else if (args[i] === "--jobs") jobs = Number(args[++i]);
  else if (args[i] === "--diffs") showDiffs = Number(args[++i]);
  else if (args[i] === "--save") saveDir = args[++i];
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
  ...(stage === "entry"
    ? [
        // AT_ENTRY from the auxiliary vector; a temporary breakpoint there; run to it (a static program
        // is there already at starti: nothing runs before its entry point).
        'python import gdb, re; e = int(re.search(r"AT_ENTRY\\s.*?(0x[0-9a-f]+)", gdb.execute("info auxv", to_string=True)).group(1), 16); int(gdb.parse_and_eval("$pc")) == e or (gdb.execute("tbreak *%#x" % e), gdb.execute("continue"))',
      ]
    : []),
  'python import gdb; print("@@MAPS@@"); print(open("/proc/%d/maps" % gdb.selected_inferior().pid).read(), end=""); print("@@END@@")',
  "kill",
];

function run(cmd, argv) {
  return new Promise((done) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("latin1").on("data", (d) => (out += d));
    child.stderr.setEncoding("latin1").on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60000);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ stdout: out, stderr: err, status });
    });
  });
}

async function realMaps(prog) {
  const gdbArgs = ["-nx", "-batch", ...gdbScript.flatMap((c) => ["-ex", c]), prog];
  const cmd = ["env", "-i", "gdb", ...gdbArgs];
  const prefix = [];
  if (legacy) prefix.push("setarch", "-L");
  const shell = unlimited
    ? `ulimit -s unlimited; exec ${[...prefix, ...cmd].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ")}`
    : undefined;
  const r = shell
    ? await run("bash", ["-c", shell])
    : await run(prefix[0] ?? cmd[0], [...prefix.slice(1), ...(prefix.length ? cmd : cmd.slice(1))]);
  const text = r.stdout ?? "";
  const m = /@@MAPS@@\n([\s\S]*?)@@END@@/.exec(text);
  return m ? m[1] : undefined;
}

async function ourMaps(prog) {
  const extra = [];
  if (legacy) extra.push("--legacy");
  if (unlimited) extra.push("--stack-limit", "unlimited");
  else extra.push("--stack-limit", String(8 << 20));
  {
    const r = await run(process.execPath, [
      process.env.ANATOMY_BIN ?? "bin/anatomy.js",
      "layout",
      "--stage",
      stage,
      "--env-clear",
      "--format",
      "maps",
      ...extra,
      prog,
    ]);
    return r.status === 0 ? r.stdout : `ERROR ${r.stderr}`;
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
const failing = [];
async function compare(prog) {
  const want = await realMaps(prog);
  if (want === undefined) {
    skipped++;
    return;
  }
  const got = await ourMaps(prog);
  const a = want.split("\n").filter(Boolean);
  const b = new Set(got.split("\n").filter(Boolean));
  lines += a.length;
  const same = a.filter((l) => b.has(l)).length;
  identicalLines += same;
  if (want === got) identicalFiles++;
  else {
    failing.push(prog);
    if (saveDir) {
      mkdirSync(saveDir, { recursive: true });
      writeFileSync(join(saveDir, `${basename(prog)}.want`), want);
      writeFileSync(join(saveDir, `${basename(prog)}.got`), got);
    }
    if (firstDiffs.length < showDiffs)
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
}
let next = 0;
await Promise.all(
  Array.from({ length: Math.max(1, jobs) }, async () => {
    while (next < files.length) await compare(files[next++]);
  }),
);
const mode = `${stage} ${legacy ? "legacy " : ""}${unlimited ? "unlimited-stack " : ""}`;
console.log(
  `layout ${mode}files: ${identicalFiles}/${files.length - skipped} identical (${skipped} not runnable under gdb, ${setid.length} set-ID programs left out: the kernel randomizes them whatever the personality)`,
);
console.log(`layout ${mode}lines: ${identicalLines}/${lines} identical`);
for (const d of firstDiffs) console.log(d);
if (process.env.COMPAT_FAILING) console.log(`failing: ${failing.join(" ")}`);
