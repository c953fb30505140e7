#!/usr/bin/env node
// Compares `anatomy pmap` with procps pmap on every process of this machine, for each format. Each
// process is stopped (SIGSTOP) while both run and continued after, so its mappings hold still; what
// other processes do still moves the proportional (PSS) and shared/private columns, so a run that
// differs is retried, and then compared without those columns (reported apart).
// Usage: node scripts/compat-pmap.mjs [--limit N]   (ANATOMY_BIN=... to use another build)
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const args = process.argv.slice(2);
const limit = args[0] === "--limit" ? Number(args[1]) : Number.POSITIVE_INFINITY;
const ours = process.env.ANATOMY_BIN ?? "bin/anatomy.js";
const formats = [[], ["-x"], ["-d"], ["-X"], ["-XX"], ["-p"], ["-q", "-X"]];
const env = { LC_ALL: "C" };

const run = (cmd, argv) => {
  const r = spawnSync(cmd, argv, { env, encoding: "latin1", maxBuffer: 1 << 28 });
  return `${r.stdout}\u0000${r.stderr}\u0000${r.status}`;
};

/**
 * Words of each row without the columns that move with other processes' sharing; `withHeader` is the
 * same view without -q, to find those columns when -q leaves the header out.
 */
function stable(text, withHeader = text) {
  const lines = text.split("\n");
  const header = withHeader.split("\n").find((l) => /^\s*Address/.test(l));
  const names = header ? header.trim().split(/ +/) : [];
  const drop = new Set(
    names.flatMap((n, i) =>
      /Pss|^Shared_|^Private_|^RSS$|^Dirty$|^Rss$|Referenced|Anonymous/.test(n) ? [i] : [],
    ),
  );
  return lines
    .filter((l) => !/^\s+[=]+|^\s+\d+ .*KB $|^total kB|^ total /.test(l) && !/^ +[0-9 ]+KB $/.test(l))
    .map((l) =>
      l
        .trim()
        .split(/ +/)
        .filter((_, i) => !drop.has(i))
        .join(" "),
    )
    .join("\n");
}

// A few processes of other shapes beside whatever runs here: threads (their stacks), 10,000 mappings,
// a JIT (node), and a plain C program.
const extra = [
  ["sleep", ["120"]],
  [
    "python3",
    [
      "-c",
      "import threading, time\nfor _ in range(4): threading.Thread(target=time.sleep, args=(120,)).start()\ntime.sleep(120)",
    ],
  ],
  [
    "python3",
    [
      "-c",
      "import ctypes, mmap, time\nlibc = ctypes.CDLL(None)\nb = mmap.mmap(-1, 10000 * 4096)\na = ctypes.addressof(ctypes.c_char.from_buffer(b))\n[libc.mprotect(ctypes.c_void_p(a + i * 4096), 4096, 1) for i in range(0, 10000, 2)]\ntime.sleep(120)",
    ],
  ],
  [process.execPath, ["-e", "setTimeout(() => {}, 120000)"]],
].map(([cmd, argv]) => spawn(cmd, argv, { stdio: "ignore" }).on("error", () => {}));
await new Promise((done) => setTimeout(done, 1500));

// Never stop this script's own ancestors (the shell waiting for it, its terminal).
const self = new Set();
for (let pid = process.pid; pid > 1; ) {
  self.add(pid);
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}
self.add(1);
const pids = readdirSync("/proc")
  .filter((n) => /^\d+$/.test(n) && !self.has(Number(n)))
  .filter((n) => {
    try {
      return readFileSync(`/proc/${n}/cmdline`, "latin1") !== ""; // user processes (kernel threads have no maps)
    } catch {
      return false;
    }
  })
  .slice(0, limit);

let same = 0;
let stableOnly = 0;
let differ = 0;
const examples = [];
for (const pid of pids) {
  try {
    process.kill(Number(pid), "SIGSTOP");
  } catch {
    continue;
  }
  try {
    for (const f of formats) {
      let a = "";
      let b = "";
      let identical = false;
      for (let attempt = 0; attempt < 3 && !identical; attempt++) {
        a = run("pmap", [...f, pid]);
        b = run(process.execPath, [ours, "pmap", ...f, pid]);
        identical = a === b;
      }
      const header = f.includes("-q") ? run("pmap", f.filter((x) => x !== "-q").concat(pid)) : undefined;
      if (identical) same++;
      else if (stable(a, header) === stable(b, header)) stableOnly++;
      else {
        differ++;
        if (examples.length < 5) examples.push(`pmap ${f.join(" ")} ${pid}`);
      }
    }
  } finally {
    process.kill(Number(pid), "SIGCONT");
  }
}
for (const child of extra) child.kill("SIGKILL");
const total = same + stableOnly + differ;
console.log(
  `pmap: ${same}/${total} identical byte for byte over ${pids.length} processes x ${formats.length} formats`,
);
console.log(
  `pmap: ${same + stableOnly}/${total} identical but for the sharing-dependent columns (PSS, shared/private, RSS)`,
);
if (examples.length) console.log(`differ: ${examples.join("; ")}`);
process.exitCode = differ ? 1 : 0;
