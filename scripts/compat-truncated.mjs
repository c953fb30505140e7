// Truncated ELF files: cuts several binaries at about 30 offsets each (inside the ELF header, the
// program headers, the notes, the dynamic table, the section headers, mid-file) and compares our
// readelf/nm/size with GNU binutils on each cut: stdout bytes, stderr without the program-name prefix,
// and the exit status. Prints per command line
//   readelf -W -n: 148/150 identical
// a total, and with --show N the first N differing cases with their first differing line.
//
// Usage: node scripts/compat-truncated.mjs [--show N] [--only "readelf -W -n"]... [--file PATH]...
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstDifference } from "./lib/first-difference.mjs";
import { loadCommands } from "./lib/in-process.mjs";

const argv = process.argv.slice(2);
let show = 0;
const only = [];
const files = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--show") show = Number(argv[++i]);
  else if (a === "--only") only.push(argv[++i]);
  else if (a === "--file") files.push(argv[++i]);
  else throw new Error(`unknown argument ${a}`);
}
if (files.length === 0) {
  files.push(
    "/usr/bin/ls",
    "/lib/x86_64-linux-gnu/libz.so.1",
    "test/fixtures/x86_64/demo.o",
    "test/fixtures/i386/pie",
    "test/fixtures/aarch64/libdemo.so",
  );
}

const READELF = ["-h", "-l", "-S", "-n", "-d", "-s", "-r", "-a"];
let commands = [...READELF.map((v) => ["readelf", "-W", v]), ["nm"], ["nm", "-D"], ["size"]];
if (only.length > 0) commands = commands.filter((c) => only.includes(c.join(" ")));

/** Where to cut a file: offsets inside each structure readelf reads, from the file's own headers. */
function cutPoints(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const is64 = bytes[4] === 2;
  const le = bytes[5] === 1;
  const u16 = (o) => dv.getUint16(o, le);
  const u32 = (o) => dv.getUint32(o, le);
  const word = (o) => (is64 ? Number(dv.getBigUint64(o, le)) : u32(o));
  const phoff = word(is64 ? 32 : 28);
  const shoff = word(is64 ? 40 : 32);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const shentsize = u16(is64 ? 58 : 46);
  const shnum = u16(is64 ? 60 : 48);
  const ehsize = is64 ? 64 : 52;
  const cuts = new Set([0, 4, 16, 20, ehsize - 8, ehsize - 1, ehsize]);
  if (phnum > 0) {
    const end = phoff + phentsize * phnum;
    for (const c of [phoff + 1, phoff + phentsize, phoff + phentsize * 2 + 7, end - 1, end]) cuts.add(c);
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * phentsize;
      const type = u32(p);
      const offset = word(p + (is64 ? 8 : 4));
      const filesz = word(p + (is64 ? 32 : 16));
      if (type === 4 /* PT_NOTE */) {
        for (const c of [offset + 2, offset + 14, offset + 20, offset + filesz - 1]) cuts.add(c);
      } else if (type === 2 /* PT_DYNAMIC */) {
        for (const c of [offset + 8, offset + (filesz >> 1), offset + filesz - 1]) cuts.add(c);
      }
    }
  }
  if (shnum > 0) {
    for (const c of [shoff, shoff + 10, shoff + shentsize * 3, shoff + shentsize * shnum - 1]) cuts.add(c);
  }
  for (const f of [0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9]) cuts.add(Math.floor(bytes.length * f));
  return [...cuts].filter((c) => c >= 0 && c < bytes.length).sort((a, b) => a - b);
}

const withoutProgramName = (text) => text.replace(/^[^\n:]*\b(?:readelf|nm|size): /gm, "");

const commandsRunner = await loadCommands(["readelf", "nm", "size"]);
const dir = mkdtempSync(join(tmpdir(), "anatomy-truncated-"));
const counts = new Map(commands.map((c) => [c.join(" "), { same: 0, total: 0 }]));
const shown = [];
try {
  for (const src of files) {
    const bytes = readFileSync(src);
    const base = src.slice(src.lastIndexOf("/") + 1);
    for (const cut of cutPoints(bytes)) {
      const path = join(dir, `${base}.${cut}`);
      writeFileSync(path, bytes.subarray(0, cut));
      for (const [tool, ...args] of commands) {
        const gnu = spawnSync(tool, [...args, path], {
          env: { ...process.env, LC_ALL: "C" },
          encoding: "latin1",
        });
        const ours = await commandsRunner.run(tool, [...args, path]);
        const label = [tool, ...args].join(" ");
        const count = counts.get(label);
        count.total++;
        const gnuErr = withoutProgramName(gnu.stderr);
        const ourErr = withoutProgramName(ours.stderr);
        let why = "";
        if (ours.exception) why = `threw ${ours.exception.message}`;
        else if (ours.status !== gnu.status) why = `status ${ours.status}, GNU ${gnu.status}`;
        else if (ours.stdout !== gnu.stdout) why = `stdout ${firstDifference(ours.stdout, gnu.stdout)}`;
        else if (ourErr !== gnuErr) why = `stderr ${firstDifference(ourErr, gnuErr)}`;
        if (why === "") count.same++;
        else if (shown.length < show) shown.push(`${label} ${src} cut at ${cut}: ${why}`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
let same = 0;
let total = 0;
for (const [label, c] of counts) {
  console.log(`${label}: ${c.same}/${c.total} identical`);
  same += c.same;
  total += c.total;
}
console.log(`all: ${same}/${total} identical`);
for (const s of shown) console.log(`  ${s}`);
