#!/usr/bin/env node
// Compares `anatomy bind --ld-debug PROG` with glibc's ld.so tracing the program with LD_DEBUG=bindings
// (env -i LD_DEBUG=bindings LD_TRACE_LOADED_OBJECTS=1 LD_WARN=yes LD_BIND_NOW=yes ld.so PROG: it lists
// and relocates, it never runs the program). The process id prefix is stripped on both sides. A program
// is identical when its binding lines match in order and its complaints (undefined symbols, missing
// versions, missing libraries) match as sets.
// Then the real start-up: `anatomy bind --ld-debug PROG` (no --direct) against a real run of
// `env -i LD_DEBUG=bindings LD_BIND_NOW=1 PROG --version`, binding lines only, for a fixed list of
// programs known to only print their version (running anything else for real is not ours to do).
// Usage: node scripts/compat-bind.mjs [DIR] (ANATOMY="node --import tsx src/cli/main.ts" to run the sources)
import { cpus } from "node:os";
import { elfFilesIn } from "./lib/elf-files.mjs";
import { ldDebugTrace, PID, capture as run } from "./lib/ld-debug.mjs";

const dir = process.argv[2] ?? "/usr/bin";
const anatomy = (
  process.env.ANATOMY ?? `${process.execPath} ${new URL("../bin/anatomy.js", import.meta.url).pathname}`
)
  .split(" ")
  .filter((x) => x);

const lines = (t) => t.split("\n").filter((l) => l !== "");

async function compare(prog) {
  const ref = await ldDebugTrace(prog);
  if (ref.skipped) return { prog, skipped: true };
  const env = { ...process.env, LC_ALL: "C" };
  delete env.LD_LIBRARY_PATH;
  delete env.LD_PRELOAD;
  const ours = await run(anatomy[0], [...anatomy.slice(1), "bind", "--ld-debug", "--direct", prog], env);
  const refBind = ref.bindings;
  const refProblems = ref.problems;
  const ourBind = lines(ours.stdout).map((l) => l.replace(PID, ""));
  const ourProblems = new Set(lines(ours.stderr));
  let diff;
  for (let i = 0; i < Math.max(refBind.length, ourBind.length); i++) {
    if (refBind[i] !== ourBind[i]) {
      diff = `line ${i + 1}:\n  ld.so:   ${refBind[i] ?? "(end)"}\n  anatomy: ${ourBind[i] ?? "(end)"}`;
      break;
    }
  }
  const sameSet =
    refBind.length === ourBind.length && [...refBind].sort().join("\n") === [...ourBind].sort().join("\n");
  const missing = [...refProblems].filter((p) => !ourProblems.has(p));
  const extra = [...ourProblems].filter((p) => !refProblems.has(p));
  if (missing.length || extra.length) {
    diff = `${diff ? `${diff}\n` : ""}  complaints only from ld.so: ${JSON.stringify(missing.slice(0, 3))}\n  only from anatomy: ${JSON.stringify(extra.slice(0, 3))}`;
  }
  return { prog, identical: !diff, sameSet, diff };
}

const files = elfFilesIn(dir);
const results = [];
let next = 0;
const workers = Array.from({ length: Math.max(2, cpus().length) }, async () => {
  while (next < files.length) {
    const f = files[next++];
    results.push(await compare(f));
  }
});
await Promise.all(workers);
results.sort((a, b) => (a.prog < b.prog ? -1 : 1));
const checked = results.filter((r) => !r.skipped);
const same = checked.filter((r) => r.identical);
const sets = checked.filter((r) => r.sameSet);
console.log(
  `bind: ${same.length}/${checked.length} programs identical (${sets.length} with the same binding set; ${results.length - checked.length} skipped)`,
);
let shown = 0;
for (const r of checked) {
  if (r.identical) continue;
  if (shown++ >= 10) break;
  console.log(`${r.prog}: ${r.diff}`);
}

// Programs that print their version and exit: GNU coreutils and a few more, each only if present.
const VERSION_ONLY = [
  "true",
  "false",
  "ls",
  "cat",
  "cp",
  "mv",
  "rm",
  "mkdir",
  "sort",
  "uniq",
  "wc",
  "head",
  "tail",
  "cut",
  "tr",
  "date",
  "du",
  "df",
  "stat",
  "touch",
  "chmod",
  "ln",
  "readlink",
  "basename",
  "dirname",
  "env",
  "id",
  "tee",
  "seq",
  "sha256sum",
  "md5sum",
  "sed",
  "grep",
  "tar",
  "gzip",
  "find",
  "xargs",
  "diff",
  "make",
  "gdb",
  "readelf",
  "objdump",
  "nm",
  "strace",
  "perl",
  "git",
  "curl",
  "ssh",
  "bash",
  "python3",
].map((n) => `/usr/bin/${n}`);
const BINDING = /^ *\d+:\tbinding file /;
let runSame = 0;
let runChecked = 0;
const runDiffs = [];
const runDlopen = [];
for (const prog of VERSION_ONLY) {
  const ref = await run(prog, ["--version"], { LD_DEBUG: "bindings", LD_BIND_NOW: "1" }).catch(
    () => undefined,
  );
  if (ref?.code !== 0) continue;
  const refBind = lines(ref.stderr)
    .filter((l) => BINDING.test(l))
    .map((l) => l.replace(PID, ""));
  if (refBind.length === 0) continue; // a script, or a static program
  const env = { ...process.env, LC_ALL: "C" };
  delete env.LD_LIBRARY_PATH;
  delete env.LD_PRELOAD;
  const ours = await run(anatomy[0], [...anatomy.slice(1), "bind", "--ld-debug", prog], env);
  const ourBind = lines(ours.stdout).map((l) => l.replace(PID, ""));
  runChecked++;
  const at = refBind.findIndex((l, i) => l !== ourBind[i]);
  if (at < 0 && refBind.length === ourBind.length) runSame++;
  else if (at === ourBind.length && !ourBind.some((l) => l.includes(refBind[at].split(" ")[2])))
    // Ours ends where ld.so goes on for an object the program dlopens while running (not start-up).
    runDlopen.push(
      `${prog}: identical up to line ${at}, then ${refBind[at].split(" ")[2]} (dlopen at run time)`,
    );
  else if (runDiffs.length < 5) {
    const i = at < 0 ? refBind.length : at;
    runDiffs.push(
      `${prog} --version: line ${i + 1}:\n  ld.so:   ${refBind[i] ?? "(end)"}\n  anatomy: ${ourBind[i] ?? "(end)"}`,
    );
  }
}
console.log(
  `bind (real start-up): ${runSame}/${runChecked} programs identical, ${runDlopen.length} identical until the program dlopens more`,
);
for (const d of [...runDlopen, ...runDiffs]) console.log(d);
process.exitCode = same.length === checked.length && runSame + runDlopen.length === runChecked ? 0 : 1;
