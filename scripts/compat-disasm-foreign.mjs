#!/usr/bin/env node
// Measures src/disasm on ARM, RISC-V, s390x and MIPS against the cross objdump of binutils 2.40
// (arm-linux-gnueabihf-objdump, riscv64-linux-gnu-objdump, s390x-linux-gnu-objdump, mips-linux-gnu-objdump):
// `-d`, `-d --no-show-raw-insn`, `-D` on small files and `-d -r` on relocatable ones, over the committed
// fixtures (test/fixtures/<arch>/) and the cross C library's shared objects (/usr/<triplet>/lib, from
// Debian's libc6-armhf-cross, libc6-riscv64-cross, libc6-s390x-cross and libc6-mips-cross packages; the
// libraries are skipped, with a note, when the package is not installed). Prints per file and option set
// whether the listing is identical, how many lines are, and the first differing lines; then the totals.
//
//   node scripts/compat-disasm-foreign.mjs [--arch arm|riscv64|s390x|mips]... [--show K] [--quick] [FILE...]
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";
import { linesInCommon } from "./lib/first-difference.mjs";
import { ROOT } from "./lib/fixtures.mjs";

register();
const elf = await import(pathToFileURL(join(ROOT, "src/elf/index.ts")).href);
const listing = await import(pathToFileURL(join(ROOT, "src/disasm/listing.ts")).href);

/** Each architecture's cross objdump, e_machine, library directory and the package that fills it. */
const ARCHES = {
  arm: {
    objdump: "arm-linux-gnueabihf-objdump",
    machine: 40,
    lib: "/usr/arm-linux-gnueabihf/lib",
    pkg: "libc6-armhf-cross",
  },
  riscv64: {
    objdump: "riscv64-linux-gnu-objdump",
    machine: 243,
    lib: "/usr/riscv64-linux-gnu/lib",
    pkg: "libc6-riscv64-cross",
  },
  s390x: {
    objdump: "s390x-linux-gnu-objdump",
    machine: 22,
    lib: "/usr/s390x-linux-gnu/lib",
    pkg: "libc6-s390x-cross",
  },
  mips: {
    objdump: "mips-linux-gnu-objdump",
    machine: 8,
    lib: "/usr/mips-linux-gnu/lib",
    pkg: "libc6-mips-cross",
  },
};

const args = process.argv.slice(2);
const take = (name) => {
  const out = [];
  for (let i = args.indexOf(name); i >= 0; i = args.indexOf(name)) {
    out.push(args[i + 1]);
    args.splice(i, 2);
  }
  return out;
};
const arches = take("--arch");
const show = Number(take("--show")[0] ?? "3");
const quick = args.includes("--quick");
const files = args.filter((a) => !a.startsWith("--"));
for (const a of arches) if (!ARCHES[a]) throw new Error(`unknown --arch ${a} (arm, riscv64, s390x, mips)`);

const SMALL = 256 * 1024;

/** The ELF files of a directory with this e_machine, each once (symlinks followed). */
function elfFilesIn(dir, machine) {
  if (!existsSync(dir)) return [];
  const out = [];
  const seen = new Set();
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    try {
      const real = realpathSync(p);
      if (seen.has(real) || !statSync(real).isFile()) continue;
      const head = readFileSync(real).subarray(0, 20);
      if (head.subarray(0, 4).toString("latin1") !== "\x7fELF") continue;
      const big = head[5] === 2;
      if ((big ? (head[18] << 8) | head[19] : head[18] | (head[19] << 8)) !== machine) continue;
      seen.add(real);
      out.push(p);
    } catch {}
  }
  return out;
}

const optionSets = [
  { name: "-d", argv: ["-d"], opts: {} },
  { name: "-d --no-show-raw-insn", argv: ["-d", "--no-show-raw-insn"], opts: { showRaw: false } },
  { name: "-D", argv: ["-D"], opts: { all: true }, smallOnly: true },
  { name: "-d -r", argv: ["-d", "-r"], opts: { inlineRelocs: true }, relocatableOnly: true },
];

async function ours(path, opts) {
  const file = elf.ElfFile.open(new elf.BufferSource(new Uint8Array(readFileSync(path))));
  const chunks = [];
  const errs = [];
  await listing.disassemble(
    file,
    path,
    { ...listing.DISASSEMBLE_DEFAULTS, ...opts },
    { write: (s) => chunks.push(s) },
    { write: (s) => errs.push(s) },
  );
  return chunks.join("") + errs.join("");
}

function theirs(objdump, path, argv) {
  const r = spawnSync(objdump, [...argv, path], {
    maxBuffer: 1 << 30,
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
  // objdump's `FILE:     file format ...` header is the caller's (src/cli/objdump.ts), not the listing's.
  return r.stdout.split("\n").slice(3).join("\n") + r.stderr;
}

let identicalFiles = 0;
let runs = 0;
const totals = new Map();
for (const arch of arches.length ? arches : Object.keys(ARCHES)) {
  const a = ARCHES[arch];
  if (spawnSync(a.objdump, ["--version"]).status !== 0) {
    console.log(`${arch}: ${a.objdump} not found, skipped`);
    continue;
  }
  let list = files;
  if (!files.length) {
    list = elfFilesIn(join(ROOT, "test/fixtures", arch), a.machine);
    if (!quick) {
      if (existsSync(a.lib)) list = [...list, ...elfFilesIn(a.lib, a.machine)];
      else console.log(`${arch}: ${a.lib} absent (apt-get install ${a.pkg}): the libraries are skipped`);
    }
  }
  for (const path of list) {
    const size = statSync(path).size;
    for (const set of optionSets) {
      if (set.smallOnly && size > SMALL) continue;
      if (
        set.relocatableOnly &&
        elf.ElfFile.open(new elf.BufferSource(new Uint8Array(readFileSync(path)))).header.e_type !== 1
      )
        continue;
      const want = theirs(a.objdump, path, set.argv);
      let got;
      try {
        got = await ours(path, set.opts);
      } catch (e) {
        got = `exception: ${e.stack}`;
      }
      const wantLines = want.split("\n");
      const gotLines = got.split("\n");
      const same = linesInCommon(wantLines, gotLines);
      runs++;
      const ok = want === got;
      if (ok) identicalFiles++;
      const key = `${arch} ${set.name}`;
      const t = totals.get(key) ?? { files: 0, identical: 0, lines: 0, same: 0 };
      t.files++;
      t.identical += ok ? 1 : 0;
      t.lines += wantLines.length;
      t.same += same;
      totals.set(key, t);
      const rel = path.startsWith(ROOT) ? path.slice(ROOT.length + 1) : path;
      console.log(`${ok ? "same" : "DIFF"}  ${rel}  ${set.name}  ${same}/${wantLines.length} lines`);
      if (!ok) {
        let shown = 0;
        for (let i = 0; i < Math.max(wantLines.length, gotLines.length) && shown < show; i++) {
          if (wantLines[i] === gotLines[i]) continue;
          console.log(
            `    line ${i + 1}\n      objdump: ${JSON.stringify(wantLines[i])}\n      ours:    ${JSON.stringify(gotLines[i])}`,
          );
          shown++;
        }
      }
    }
  }
}
console.log(`\n${identicalFiles}/${runs} runs identical`);
for (const [name, t] of totals)
  console.log(
    `  ${name}: ${t.identical}/${t.files} files identical, ${t.same}/${t.lines} lines (${((100 * t.same) / t.lines).toFixed(3)}%)`,
  );
