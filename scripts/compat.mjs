// Compatibility run over the system's own files: for every ELF file (and ar archive) in the chosen
// directories and every command line of the option matrix, runs GNU readelf/nm/size (LC_ALL=C) and our
// command, and compares stdout bytes and exit status. Prints per command line
//   readelf -W -S: 1234/1240 identical
// and the first few differing files with their first differing line.
//
// Our commands run in a worker thread of this process (scripts/lib/runner.mjs: no 50 ms Node start-up
// per run, and a watchdog for hangs) while the GNU tools run in a shell per file, ahead of us: on 2
// cores the two sides overlap.
//
// Usage: node scripts/compat.mjs [--quick] [--tool readelf|nm|size] [--only "-W -S"]... [--limit N]
//          [--dirs DIR,DIR] [--max-size MB] [--show N] [--jobs N]
//   --quick      a fixed sample of 100 files (every k-th of the sorted list)
//   --only       restrict to these command lines (without the tool name; "" is the bare tool)
//   --timeout    seconds for all our runs on one file before it counts as a hang (default 120)
//   --max-size   skip files larger than this (default 40 MB; the whole matrix on /usr/bin/node takes
//                minutes and gigabytes of output)
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryKind } from "./lib/elf-files.mjs";
import { caseLabel, matrix, split } from "./lib/matrix.mjs";
import { CommandRunner } from "./lib/runner.mjs";

const argv = process.argv.slice(2);
const opt = {
  quick: false,
  tools: null,
  only: [],
  limit: Number.POSITIVE_INFINITY,
  dirs: null,
  maxSize: 40,
  show: 3,
  jobs: 2,
  timeout: 120,
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => {
    if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
    return argv[++i];
  };
  if (a === "--quick") opt.quick = true;
  else if (a === "--tool") (opt.tools ??= []).push(...next().split(","));
  else if (a === "--only") opt.only.push(next());
  else if (a === "--limit") opt.limit = Number(next());
  else if (a === "--dirs") (opt.dirs ??= []).push(...next().split(","));
  else if (a === "--max-size") opt.maxSize = Number(next());
  else if (a === "--show") opt.show = Number(next());
  else if (a === "--jobs") opt.jobs = Math.max(1, Number(next()));
  else if (a === "--timeout") opt.timeout = Number(next());
  else if (a === "--help" || a === "-h") {
    console.log(
      "usage: node scripts/compat.mjs [--quick] [--tool T] [--only OPTS]... [--limit N] [--dirs D,D] [--max-size MB]",
    );
    process.exit(0);
  } else throw new Error(`unknown argument ${a}`);
}

// ---- which files
function defaultDirs() {
  const dirs = ["/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/lib32"];
  for (const d of readdirSync("/usr")) {
    if (/-linux-gnu/.test(d)) dirs.push(`/usr/${d}/lib`);
  }
  return dirs.filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  });
}

function collectFiles(dirs) {
  const seen = new Set();
  const files = [];
  let skippedBig = 0;
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < 3) walk(p, depth + 1);
        continue;
      }
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      // Symlinks and hard links to one file are one file.
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!binaryKind(p)) continue;
      if (st.size > opt.maxSize * 1024 * 1024) {
        skippedBig++;
        continue;
      }
      files.push(p);
    }
  };
  for (const d of dirs) walk(realpathSync(d), 0);
  return { files, skippedBig };
}

// ---- GNU side: one `sh` per file runs every command line of the matrix (a Node spawn per run costs
// more than most runs), writing each output to a temporary file; `jobs` files at a time.
const gnuEnv = { ...process.env, LC_ALL: "C", LANG: "C" };
const tmpRoot = mkdtempSync(join(tmpdir(), "anatomy-compat-"));
process.on("exit", () => rmSync(tmpRoot, { recursive: true, force: true }));
const quote = (s) => `'${s.replace(/'/g, "'\\''")}'`;
let running = 0;
let batchNo = 0;
const waiting = [];
function runGnuBatch(file, fileCases) {
  return new Promise((resolve) => {
    const start = () => {
      running++;
      const dir = join(tmpRoot, String(batchNo++));
      mkdirSync(dir);
      const script = fileCases
        .map(
          (c, k) =>
            `${[c.tool, ...c.args].map(quote).join(" ")} ${quote(file)} >${dir}/${k} 2>/dev/null; echo $? >${dir}/${k}.rc`,
        )
        .join("\n");
      const child = spawn("sh", ["-c", script], { env: gnuEnv, stdio: "ignore" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
      child.on("close", () => {
        clearTimeout(timer);
        running--;
        waiting.shift()?.();
        resolve({
          /** Reads (and deletes) the k-th case's output. */
          take(k) {
            try {
              const stdout = readFileSync(join(dir, String(k)));
              const status = Number(readFileSync(join(dir, `${k}.rc`), "latin1").trim());
              return { stdout, status };
            } catch {
              return { stdout: Buffer.alloc(0), status: 999 };
            } finally {
              rmSync(join(dir, String(k)), { force: true });
            }
          },
          done: () => rmSync(dir, { recursive: true, force: true }),
        });
      });
    };
    if (running < opt.jobs) start();
    else waiting.push(start);
  });
}

// ---- our side: a worker thread under a watchdog; after a hang, the rest of the file's batch runs on
async function runOurs(file, fileCases) {
  const out = [];
  while (out.length < fileCases.length) {
    const jobs = fileCases.slice(out.length).map((c) => [c.tool, ...c.args]);
    const res = await runner.run({ jobs, path: file, keepOutput: true, timeoutMs: opt.timeout * 1000 });
    if (res.results) {
      out.push(...res.results);
      break;
    }
    // Hang or crash at res.job: everything before it is lost too (the batch reports at its end), so
    // run those again one at a time is not worth it: mark the failing one, rerun from the next.
    const k = jobs.findIndex((j) => j.join(" ") === (res.job ?? []).join(" "));
    const failed = Math.max(0, k);
    for (let i = 0; i < failed; i++) {
      const one = await runner.run({
        jobs: [jobs[i]],
        path: file,
        keepOutput: true,
        timeoutMs: opt.timeout * 1000,
      });
      out.push(one.results?.[0] ?? { internal: true, status: -1, message: one.crash ?? "hang" });
    }
    out.push(
      res.hang ? { hang: true, status: -1 } : { internal: true, status: -1, message: `crash: ${res.crash}` },
    );
  }
  return out;
}

// ---- comparison
function firstDiffLine(ours, gnu) {
  const n = Math.min(ours.length, gnu.length);
  let i = 0;
  while (i < n && ours[i] === gnu[i]) i++;
  // (Buffer.lastIndexOf with a negative offset counts from the end: start of output is line 1.)
  const lineStart = i === 0 ? 0 : gnu.lastIndexOf(10, i - 1) + 1;
  const lineNo = gnu.subarray(0, lineStart).filter((b) => b === 10).length + 1;
  const lineOf = (buf) => {
    if (lineStart >= buf.length) return "<end of output>";
    const end = buf.indexOf(10, lineStart);
    return buf.subarray(lineStart, end < 0 ? buf.length : end).toString("latin1");
  };
  return { lineNo, gnu: lineOf(gnu), ours: lineOf(ours) };
}

// ---- main
const dirs = opt.dirs ?? defaultDirs();
const { files: allFiles, skippedBig } = collectFiles(dirs);
let files = allFiles;
if (opt.quick && files.length > 100) {
  const step = files.length / 100;
  files = Array.from({ length: 100 }, (_, k) => allFiles[Math.floor(k * step)]);
}
if (files.length > opt.limit) files = files.slice(0, opt.limit);

let cases = matrix({ archive: true }).filter((c) => !opt.tools || opt.tools.includes(c.tool));
if (opt.only.length > 0) {
  const wanted = new Set(opt.only.map((o) => split(o).join(" ")));
  cases = cases.filter((c) => wanted.has(c.args.join(" ")) || wanted.has(caseLabel(c)));
}
if (cases.length === 0) throw new Error("no command line of the matrix matches --tool/--only");

const runner = new CommandRunner({ memoryLimitMb: 4096 });
console.log(
  `compat: ${files.length} files from ${dirs.join(" ")}${skippedBig ? ` (${skippedBig} over ${opt.maxSize} MB skipped)` : ""}, ${cases.length} command lines`,
);

const stats = new Map(cases.map((c) => [caseLabel(c), { same: 0, total: 0, exceptions: 0, diffs: [] }]));
const startTime = Date.now();
const casesOf = (f) => {
  // -c only means something for archives; the rest applies to all.
  const isArchive = binaryKind(f) === "archive";
  return cases.filter((c) => isArchive || !c.args.includes("-c"));
};
const totalRuns = files.reduce((n, f) => n + casesOf(f).length, 0);

// GNU batches start a few files ahead, so they run while we run ours.
const pending = [];
let next = 0;
const fill = () => {
  while (pending.length < opt.jobs + 1 && next < files.length) {
    const file = files[next++];
    const fileCases = casesOf(file);
    pending.push({ file, fileCases, gnu: runGnuBatch(file, fileCases) });
  }
};
let done = 0;
let lastReport = Date.now();
fill();
while (pending.length > 0) {
  const { file, fileCases, gnu } = pending.shift();
  fill();
  const mineAll = await runOurs(file, fileCases);
  const batch = await gnu;
  for (let k = 0; k < fileCases.length; k++) {
    const c = fileCases[k];
    const mine = mineAll[k];
    const theirs = batch.take(k);
    const s = stats.get(caseLabel(c));
    s.total++;
    const mineBuf = Buffer.from(mine.stdout ?? "", "latin1");
    if (mine.internal || mine.hang || mine.unavailable) {
      s.exceptions++;
      const why = mine.hang ? "hang" : mine.unavailable ? "not written yet" : mine.message.split("\n")[0];
      if (s.diffs.length < opt.show) s.diffs.push(`${file}: ${why}`);
    } else if (mine.status === theirs.status && mineBuf.equals(theirs.stdout)) {
      s.same++;
    } else if (s.diffs.length < opt.show) {
      if (!mineBuf.equals(theirs.stdout)) {
        const d = firstDiffLine(mineBuf, theirs.stdout);
        s.diffs.push(`${file}: line ${d.lineNo}\n      GNU:  ${d.gnu}\n      ours: ${d.ours}`);
      } else {
        s.diffs.push(`${file}: exit status ${mine.status}, GNU ${theirs.status}`);
      }
    }
    mineAll[k] = undefined;
    done++;
  }
  batch.done();
  if (Date.now() - lastReport > 10_000) {
    lastReport = Date.now();
    const secs = (Date.now() - startTime) / 1000;
    process.stderr.write(`  ${done}/${totalRuns} runs, ${secs.toFixed(0)} s\n`);
  }
}

let allSame = 0;
let allTotal = 0;
for (const [label, s] of stats) {
  if (s.total === 0) continue;
  allSame += s.same;
  allTotal += s.total;
  const exc = s.exceptions ? ` (${s.exceptions} internal errors, hangs or unwritten)` : "";
  console.log(`${label}: ${s.same}/${s.total} identical${exc}`);
  for (const d of s.diffs) console.log(`    ${d}`);
}
const secs = ((Date.now() - startTime) / 1000).toFixed(1);
console.log(`total: ${allSame}/${allTotal} identical in ${secs} s`);
await runner.stop();
process.exitCode = allSame === allTotal ? 0 : 1;
