// The proof of `anatomy trace`'s replay: for each program, the maps the replay has at each process's
// exit_group, line for line (range, perms, offset, device, inode, path), against /proc/PID/maps read
// at that moment while strace holds the process. The fixtures of test/fixtures/trace (compiled here)
// also copy their own /proc/self/maps just before _exit, compared with the replay's last state too.
// Needs a built dist/ (npm run build), gcc and strace. Prints each program's counts, then the totals;
// exits 1 unless every line is identical.
//
//   node scripts/compat-trace.mjs [--hold MS] [PROGRAM ARGS...]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin/anatomy.js");
const dir = mkdtempSync(join(tmpdir(), "anatomy-compat-trace-"));
let hold = "200";
const argv = process.argv.slice(2);
if (argv[0] === "--hold") {
  hold = argv[1];
  argv.splice(0, 2);
}

/** The fixtures, compiled here. */
function compile(name) {
  const out = join(dir, name);
  const built = spawnSync("gcc", ["-O0", "-o", out, join(root, `test/fixtures/trace/${name}.c`)], {
    encoding: "latin1",
  });
  if (built.status !== 0) {
    console.error(`compat-trace: gcc could not build ${name}.c: ${built.stderr}`);
    process.exit(2);
  }
  return out;
}
const life = compile("life");
const rules = compile("rules");

/**
 * [label, argv, own]: `own` is where the program copies its own /proc/self/maps (life.c), or the
 * prefix of one copy per process, `own.PID` (rules.c); each is compared with the replay's last state.
 */
const programs = argv.length
  ? [[argv.join(" "), argv, undefined]]
  : [
      ["life.c", [life, join(dir, "life.maps")], join(dir, "life.maps")],
      ["rules.c", [rules, join(dir, "rules.maps")], join(dir, "rules.maps")],
      ...[
        "ls",
        "cat",
        "grep",
        "sed",
        "find",
        "sort",
        "tar",
        "gzip",
        "date",
        "bash",
        "dash",
        "perl",
        "python3",
        "git",
        "node",
        "gcc",
        "strace",
        "gdb",
      ].map((p) => [`${p} --version`, [`/usr/bin/${p}`, "--version"], undefined]),
      ["sh -c (a child)", ["/bin/sh", "-c", "/bin/true; ls / >/dev/null; exit 3"], undefined],
      [
        "python3 threads",
        [
          "/usr/bin/python3",
          "-c",
          "import threading; [t.start() or t.join() for t in [threading.Thread(target=list, args=([0]*100000,)) for _ in range(4)]]",
        ],
        undefined,
      ],
      [
        "node -e (JIT, threads)",
        ["/usr/bin/node", "-e", "let s=0; for (let i=0;i<1e6;i++) s+=i; console.log(s)"],
        undefined,
      ],
      [
        "gcc -c (children)",
        ["/usr/bin/gcc", "-c", "-o", join(dir, "life.o"), join(root, "test/fixtures/trace/life.c")],
        undefined,
      ],
    ];

let lines = 0;
let identical = 0;
let identicalButInode = 0;
/** A maps line without its device and inode columns. */
const withoutInode = (l) => l.replace(/^(\S+ \S+ \S+) \S+ \S+ */, "$1 ");
let processes = 0;
let loaderRuns = 0;
let loaderOrder = 0;
let loaderCounts = 0;
let unchecked = 0;
let ran = 0;
for (const [i, [label, command, own]] of programs.entries()) {
  const json = join(dir, `report-${i}.json`);
  const keep = join(dir, `run-${i}`);
  const args = ["trace", "--json", "--hold", hold, "--keep", keep, "-o", json, "--", ...command];
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "latin1",
    stdio: ["ignore", "ignore", "pipe"],
  });
  let report;
  try {
    report = JSON.parse(readFileSync(json, "latin1"));
  } catch {
    console.log(`${label}: no report (status ${r.status}): ${r.stderr.trim().split("\n").at(-1)}`);
    continue;
  }
  ran++;
  const parts = [];
  for (const p of report.processes.filter((q) => !q.isThread)) {
    if (!p.maps) {
      unchecked++;
      parts.push(`pid ${p.pid} not checked (no exit_group snapshot)`);
      continue;
    }
    processes++;
    lines += p.maps.lines;
    identical += p.maps.identical;
    identicalButInode += p.maps.identicalButInode;
    const butInode = p.maps.identicalButInode ? ` (+${p.maps.identicalButInode} but for a shmem inode)` : "";
    parts.push(`${p.programs.at(-1)?.split("/").pop()} ${p.maps.identical}/${p.maps.lines}${butInode}`);
    for (const d of p.maps.differences.slice(0, 5))
      parts.push(`\n    replayed: ${d.replayed ?? "(none)"}\n    kernel:   ${d.real ?? "(none)"}`);
  }
  if (own) {
    // The program's own copies, against the replay after each process's last change.
    const copies = existsSync(own)
      ? [[own, undefined]]
      : readdirSync(dir)
          .filter((f) => f.startsWith(`${basename(own)}.`))
          .map((f) => [join(dir, f), Number(f.slice(basename(own).length + 1))]);
    for (const [file, pid] of copies) {
      const last = report.changes.filter((c) => pid === undefined || c.pid === pid).at(-1)?.index;
      const m = spawnSync(process.execPath, [bin, "trace", "--maps-at", String(last), "--replay", keep], {
        encoding: "latin1",
      });
      const mine = readFileSync(file, "latin1").split("\n").filter(Boolean);
      const replayed = m.stdout.split("\n").filter(Boolean);
      const same = mine.filter((l, j) => l === replayed[j]).length;
      const butInode = mine.filter(
        (l, j) => l !== replayed[j] && withoutInode(l) === withoutInode(replayed[j] ?? ""),
      ).length;
      lines += mine.length;
      identical += same;
      identicalButInode += butInode;
      parts.push(
        `its own /proc/self/maps${pid ? ` (pid ${pid})` : ""} ${same}/${mine.length}${butInode ? ` (+${butInode} but for a shmem inode)` : ""}`,
      );
    }
  }
  // ld.so's account in the trace against ld.so run alone with the same LD_DEBUG into a file: the
  // libraries in the order it looked for them, and its relocation counts.
  const root = report.processes.find((q) => !q.isThread && q.programs.length);
  const account = report.loader.find((a) => a.pid === root?.pid);
  if (account && own === undefined) {
    const out = join(dir, `alone-${i}`);
    const alone = spawnSync(command[0], command.slice(1), {
      stdio: "ignore",
      env: { ...process.env, LD_DEBUG: "libs,files,reloc,statistics", LD_DEBUG_OUTPUT: out },
    });
    let printed = "";
    try {
      printed = readFileSync(`${out}.${alone.pid}`, "latin1");
    } catch {
      // a static program writes nothing
    }
    const libs = [...printed.matchAll(/\tfile=(\S+) \[\d+\]; {2}(?:needed by|dynamically loaded by) /g)].map(
      (m) => m[1],
    );
    const number = (label) => {
      const m = new RegExp(`\\t +${label}: (\\d+)\\n`).exec(printed);
      return m ? Number(m[1]) : undefined;
    };
    const order = JSON.stringify(account.libraries.map((l) => l.name)) === JSON.stringify(libs);
    const st = account.statistics;
    const counts =
      st.relocations === number("number of relocations") &&
      st.relativeRelocations === number("number of relative relocations");
    loaderRuns++;
    if (order) loaderOrder++;
    if (counts) loaderCounts++;
    parts.push(
      `ld.so ${libs.length} libraries ${order ? "in its order" : "IN ANOTHER ORDER"}, relocations ${counts ? "equal" : `DIFFER (${st.relocations} vs ${number("number of relocations")})`}`,
    );
  }
  console.log(`${label}: ${parts.join(", ")}`);
}
const butInode = identicalButInode
  ? `, and ${identicalButInode} identical but for the inode of shared anonymous memory (shmem: no call shows it)`
  : "";
console.log(
  `\n${ran} programs, ${processes} processes checked${unchecked ? ` (${unchecked} without a snapshot)` : ""}: ${identical}/${lines} maps lines identical${butInode}`,
);
console.log(
  `ld.so's account: ${loaderOrder}/${loaderRuns} programs' libraries in the order ld.so alone looks for them, ${loaderCounts}/${loaderRuns} relocation counts equal`,
);
process.exit(
  identical + identicalButInode === lines &&
    unchecked === 0 &&
    loaderOrder === loaderRuns &&
    loaderCounts === loaderRuns
    ? 0
    : 1,
);
