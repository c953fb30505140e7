// Measures src/disasm against GNU objdump: `objdump -d` (and `-d --no-show-raw-insn`, `-D` on small
// files) on ls, libc, a sample of /usr/bin, the i386 fixtures and test/fixtures/x86_64/*, beside our
// listing (src/disasm/listing.ts loaded through tsx, in this process). Prints per file and option set
// whether the output is identical, how many lines are, and the first differing lines. With --aarch64:
// aarch64-linux-gnu-objdump on the cross toolchain's libraries (/usr/aarch64-linux-gnu/lib, from the
// libc6-arm64-cross and libstdc++6-arm64-cross packages) and test/fixtures/aarch64/*, -d -r on a .o.
// With --intel: every option set with -M intel on both sides (x86).
//
//   node scripts/compat-disasm.mjs [--aarch64] [--intel] [--sample N] [--show K] [--quick] [FILE...]
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
const { nodeDecompressors } = await import(pathToFileURL(join(ROOT, "src/cli/decompressors.ts")).href);
// As src/cli/objdump.ts passes them: compressed sections are listed decompressed.
const decompressors = nodeDecompressors();

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const sampleSize = Number(opt("--sample", "12"));
const show = Number(opt("--show", "3"));
const quick = args.includes("--quick");
const aarch64 = args.includes("--aarch64");
const intel = args.includes("--intel");
const objdump = aarch64 ? "aarch64-linux-gnu-objdump" : "objdump";
const files = args.filter((a) => !a.startsWith("--"));

const SMALL = 256 * 1024;

/** The ELF files of a directory whose e_machine is one of `machines`, each file once (symlinks followed). */
function elfFilesIn(dir, machines) {
  const abs = dir.startsWith("/") ? dir : join(ROOT, dir);
  if (!existsSync(abs)) return [];
  const out = [];
  const seen = new Set();
  for (const n of readdirSync(abs).sort()) {
    const p = join(abs, n);
    try {
      const real = realpathSync(p);
      if (seen.has(real) || !statSync(real).isFile()) continue;
      const head = readFileSync(real).subarray(0, 20);
      if (head.subarray(0, 4).toString("latin1") !== "\x7fELF") continue;
      if (!machines.includes(head[18] | (head[19] << 8))) continue;
      seen.add(real);
      out.push(p);
    } catch {}
  }
  return out;
}

function defaultFiles() {
  if (aarch64)
    return [
      ...elfFilesIn("/usr/aarch64-linux-gnu/lib", [183]),
      ...elfFilesIn("test/fixtures/aarch64", [183]),
    ];
  const out = ["/usr/bin/ls", "/usr/lib/x86_64-linux-gnu/libc.so.6"];
  if (!quick) {
    const bins = readdirSync("/usr/bin")
      .map((n) => join("/usr/bin", n))
      .filter((p) => {
        try {
          const st = statSync(p);
          return (
            st.isFile() &&
            st.size < 4 << 20 &&
            readFileSync(p).subarray(0, 4).toString("latin1") === "\x7fELF"
          );
        } catch {
          return false;
        }
      })
      .sort();
    // A fixed spread over the directory, so runs compare.
    const step = Math.max(1, Math.floor(bins.length / sampleSize));
    for (let i = 0; i < bins.length && out.length < 2 + sampleSize; i += step)
      if (bins[i] !== "/usr/bin/ls") out.push(bins[i]);
  }
  for (const dir of ["/usr/lib32", "test/fixtures/i386", "test/fixtures/x86_64"]) {
    const abs = dir.startsWith("/") ? dir : join(ROOT, dir);
    if (!existsSync(abs)) continue;
    for (const n of readdirSync(abs).sort()) {
      const p = join(abs, n);
      try {
        if (!statSync(p).isFile()) continue;
        const head = readFileSync(p).subarray(0, 20);
        if (head.subarray(0, 4).toString("latin1") !== "\x7fELF") continue;
        const machine = head[18] | (head[19] << 8);
        if (machine === 62 || machine === 3) out.push(p);
      } catch {}
    }
  }
  return out;
}

const optionSets = [
  { name: "-d", argv: ["-d"], opts: {} },
  { name: "-d --no-show-raw-insn", argv: ["-d", "--no-show-raw-insn"], opts: { showRaw: false } },
  { name: "-D", argv: ["-D"], opts: { all: true }, smallOnly: true },
  { name: "-d -r", argv: ["-d", "-r"], opts: { inlineRelocs: true }, relocatableOnly: true },
].map((set) =>
  intel
    ? {
        ...set,
        name: `${set.name} -M intel`,
        argv: [...set.argv, "-M", "intel"],
        opts: { ...set.opts, syntax: "intel" },
      }
    : set,
);

async function ours(path, opts) {
  const file = elf.ElfFile.open(new elf.BufferSource(new Uint8Array(readFileSync(path))));
  const chunks = [];
  const errs = [];
  await listing.disassemble(
    file,
    path,
    { ...listing.DISASSEMBLE_DEFAULTS, decompressors, ...opts },
    { write: (s) => chunks.push(s) },
    { write: (s) => errs.push(s) },
  );
  return chunks.join("");
}

function theirs(path, argv) {
  const r = spawnSync(objdump, [...argv, path], {
    maxBuffer: 1 << 30,
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
  // objdump's `FILE:     file format ...` header is the caller's (src/cli/objdump.ts), not the listing's.
  return r.stdout.split("\n").slice(3).join("\n");
}

let identicalFiles = 0;
let runs = 0;
const totals = new Map();
for (const path of files.length ? files : defaultFiles()) {
  const size = statSync(path).size;
  for (const set of optionSets) {
    if (set.smallOnly && size > SMALL) continue;
    if (set.relocatableOnly && readFileSync(path).readUInt16LE(16) !== 1) continue;
    const want = theirs(path, set.argv);
    let got;
    try {
      got = await ours(path, set.opts);
    } catch (e) {
      got = `exception: ${e.stack}`;
    }
    const a = want.split("\n");
    const b = got.split("\n");
    const same = linesInCommon(a, b);
    runs++;
    const ok = want === got;
    if (ok) identicalFiles++;
    const t = totals.get(set.name) ?? { files: 0, identical: 0, lines: 0, same: 0 };
    t.files++;
    t.identical += ok ? 1 : 0;
    t.lines += a.length;
    t.same += same;
    totals.set(set.name, t);
    const rel = path.startsWith(ROOT) ? path.slice(ROOT.length + 1) : path;
    console.log(`${ok ? "same" : "DIFF"}  ${rel}  ${set.name}  ${same}/${a.length} lines`);
    if (!ok) {
      let shown = 0;
      for (let i = 0; i < Math.max(a.length, b.length) && shown < show; i++) {
        if (a[i] === b[i]) continue;
        console.log(
          `    line ${i + 1}\n      objdump: ${JSON.stringify(a[i])}\n      ours:    ${JSON.stringify(b[i])}`,
        );
        shown++;
      }
    }
  }
}
console.log(`\n${identicalFiles}/${runs} runs identical`);
for (const [name, t] of totals)
  console.log(
    `  ${name}: ${t.identical}/${t.files} files identical, ${t.same}/${t.lines} lines (${((100 * t.same) / t.lines).toFixed(3)}%)`,
  );
