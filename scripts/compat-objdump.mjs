// Compares `anatomy objdump` with GNU objdump 2.40 (LC_ALL=C) option by option over the system's ELF
// files and archives and the committed fixtures: stdout bytes, stderr without the program-name prefix,
// and the exit status. Prints per option line
//   objdump -h: 1234/1240 identical
// and the first differing files with their first differing line.
//
// Usage: node scripts/compat-objdump.mjs [--quick] [--only "-h"]... [--dirs D,D] [--limit N] [--show N]
//          [--max-size MB]
//   --quick   a fixed sample of 100 files (every k-th of the sorted list)
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { binaryKind } from "./lib/elf-files.mjs";
import { firstDifference } from "./lib/first-difference.mjs";
import { ROOT } from "./lib/fixtures.mjs";
import { loadCommands } from "./lib/in-process.mjs";

/** The command lines compared (the -d variants join once the disassembler is there). */
export const OBJDUMP_OPTIONS = [
  "-f",
  "-h",
  "-h -w",
  "-t",
  "-T",
  "-r",
  "-R",
  "-s",
  "-p",
  "-x",
  "-t -C",
  "-T -R",
];

const argv = process.argv.slice(2);
const opt = { quick: false, only: [], dirs: null, limit: Number.POSITIVE_INFINITY, show: 3, maxSize: 40 };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => argv[++i];
  if (a === "--quick") opt.quick = true;
  else if (a === "--only") opt.only.push(next());
  else if (a === "--dirs") opt.dirs = next().split(",");
  else if (a === "--limit") opt.limit = Number(next());
  else if (a === "--show") opt.show = Number(next());
  else if (a === "--max-size") opt.maxSize = Number(next());
  else throw new Error(`unknown argument ${a}`);
}

function collect(dirs) {
  const files = [];
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < 3) walk(p, depth + 1);
      } else if (e.isFile()) {
        try {
          if (statSync(p).size > opt.maxSize * 1024 * 1024) continue;
        } catch {
          continue;
        }
        if (binaryKind(p)) files.push(p);
      }
    }
  };
  for (const d of dirs) walk(d, 0);
  return files;
}

const dirs = opt.dirs ?? ["/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/lib32", join(ROOT, "test/fixtures")];
let files = collect(dirs);
if (opt.quick && files.length > 100) {
  const step = files.length / 100;
  files = Array.from({ length: 100 }, (_, k) => files[Math.floor(k * step)]);
}
files = files.slice(0, opt.limit);
const options = opt.only.length ? opt.only : OBJDUMP_OPTIONS;
const cmds = await loadCommands(["objdump"]);
const strip = (s) => s.replace(/^(?:anatomy )?objdump: /gm, "");

let allSame = true;
for (const o of options) {
  const args = o.split(" ").filter(Boolean);
  let same = 0;
  const diffs = [];
  for (const f of files) {
    const gnu = spawnSync("objdump", [...args, f], {
      env: { ...process.env, LC_ALL: "C" },
      maxBuffer: 1 << 30,
    });
    const ours = await cmds.run("objdump", [...args, f]);
    const gout = gnu.stdout.toString("latin1");
    const gerr = gnu.stderr.toString("latin1");
    let why;
    if (ours.exception) why = `exception: ${ours.exception.stack ?? ours.exception}`;
    else if (ours.stdout !== gout) why = `stdout ${firstDifference(ours.stdout, gout)}`;
    else if (strip(ours.stderr) !== strip(gerr))
      why = `stderr ${firstDifference(strip(ours.stderr), strip(gerr))}`;
    else if (ours.status !== gnu.status) why = `status ${ours.status}, gnu ${gnu.status}`;
    if (why) diffs.push(`  ${f}: ${why}`);
    else same++;
  }
  if (same !== files.length) allSame = false;
  console.log(`objdump ${o}: ${same}/${files.length} identical`);
  for (const d of diffs.slice(0, opt.show)) console.log(d);
}
process.exitCode = allSame ? 0 : 1;
