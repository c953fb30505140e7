#!/usr/bin/env node
// Checks `anatomy build --json` against the reference tools, program by program (the sources in
// test/fixtures/build, built here as the command builds them):
//   relocations: the list of each object (section, offset, type) and `objdump -r` of it, .debug* left
//            out; each followed relocation in code (an executable section of the program): the field's
//            bytes and the instruction's bytes at that address in `objdump -d -w` of the program, and
//            `reaches` and the address objdump prints for that instruction (`call 1030 <printf@plt>`,
//            `# 4018 <global_var>`, `bl 630 <printf@plt>`, `adrp x0, 20000 <...>`; for an AArch64 low-12
//            field `reaches & 0xfff` and the immediate of the add or load, which objdump prints scaled);
//            each followed relocation in data: the bytes and `objdump -s -j SECTION`, and `reaches` and
//            the addend of a RELATIVE relocation `readelf -r -W` lists at that address (or, with none
//            there, the absolute field's own value);
//   sections: per allocated output section of `readelf -S -W`, the sum of the inputs we attribute to
//            it and its size. ld files what it makes itself (.plt, .got, .dynsym, .dynbss, the .plt's
//            .eh_frame) under its first input (Scrt1.o), which has no such section: those inputs are
//            counted apart, as made by the linker;
//   command: the link command we show and the collect2 line `CC -### ARGV` prints for the same argv.
// Exits 0 when it ran (it is a measurement), 2 when a tool it needs is missing.
// Usage: node scripts/compat-build.mjs [--show N]   (ANATOMY="node --import tsx src/cli/main.ts" to run the sources)
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const argv = process.argv.slice(2);
let show = 10;
for (let i = 0; i < argv.length; i++) if (argv[i] === "--show") show = Number(argv[++i]);
const anatomy = (
  process.env.ANATOMY ?? `${process.execPath} ${new URL("../bin/anatomy.js", import.meta.url).pathname}`
)
  .split(" ")
  .filter((x) => x);
const run = (cmd, args, options = {}) =>
  spawnSync(cmd, args, {
    encoding: "latin1",
    maxBuffer: 1 << 30,
    env: { ...process.env, LC_ALL: "C" },
    ...options,
  });
const onPath = (tool) => run(tool, ["--version"]).status === 0;

for (const tool of ["gcc", "objdump", "readelf"])
  if (!onPath(tool)) {
    console.error(`compat-build: ${tool} is not on PATH`);
    process.exit(2);
  }
const aarch64Cc = onPath("aarch64-linux-gnu-gcc") ? "aarch64-linux-gnu-gcc" : undefined;
const aarch64Objdump = onPath("aarch64-linux-gnu-objdump") ? "aarch64-linux-gnu-objdump" : "objdump";

const fixture = (name) => resolve(new URL("../test/fixtures/build/", import.meta.url).pathname, name);
const root = mkdtempSync(join(tmpdir(), "compat-build-"));
const libDir = join(root, "libgreet");
const programs = [
  { name: "hello.c", sources: ["hello.c"] },
  { name: "two-a.c two-b.c", sources: ["two-a.c", "two-b.c"] },
  { name: "math.c -lm", sources: ["math.c"], flags: ["-lm"] },
  { name: "hello.c -static", sources: ["hello.c"], flags: ["-static"] },
  { name: "globals.c", sources: ["globals.c"] },
  { name: "alloc.c", sources: ["alloc.c"] },
  { name: "shape.cc (g++)", sources: ["shape.cc"], cc: "g++" },
  {
    name: "libgreet.c -shared",
    sources: ["libgreet.c"],
    flags: ["-shared", "-fPIC"],
    keep: libDir,
    output: join(libDir, "libgreet.so"),
  },
  {
    name: "usegreet.c -lgreet",
    sources: ["usegreet.c"],
    flags: ["-L", libDir, "-lgreet", `-Wl,-rpath,${libDir}`],
  },
  { name: "hello.c (aarch64)", sources: ["hello.c"], cc: "aarch64-linux-gnu-gcc" },
  { name: "globals.c (aarch64)", sources: ["globals.c"], cc: "aarch64-linux-gnu-gcc" },
];

/** A bigint from the JSON's "0x.." (negative ones as "-0x4"), undefined for undefined. */
function big(s) {
  if (s === undefined || s === null) return undefined;
  return s.startsWith("-") ? -BigInt(s.slice(1)) : BigInt(s);
}
const hex = (v) => `0x${v.toString(16)}`;

/** `readelf -S -W`: the section headers; for an archive, by member (`File: A(M)` before each). */
function readelfSections(file) {
  const byFile = new Map();
  let current = [];
  byFile.set("", current);
  for (const line of run("readelf", ["-S", "-W", file]).stdout.split("\n")) {
    const member = /^File: .*\(([^()]+)\)$/.exec(line);
    if (member) {
      current = byFile.get(member[1]) ?? [];
      byFile.set(member[1], current);
      continue;
    }
    const m =
      /^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\S*)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(
        line,
      );
    if (m)
      current.push({
        name: m[2],
        type: m[3],
        address: BigInt(`0x${m[4]}`),
        size: BigInt(`0x${m[6]}`),
        flags: m[8],
      });
  }
  return byFile;
}

/** The allocated sections an input file (or archive member, `A(M)`) has, counted by name. */
const inputSectionCache = new Map();
const archiveCache = new Map();
function allocatedSectionsOf(file) {
  if (inputSectionCache.has(file)) return inputSectionCache.get(file);
  const member = /^(.*)\(([^()]+)\)$/.exec(file);
  let headers;
  if (member) {
    if (!archiveCache.has(member[1])) archiveCache.set(member[1], readelfSections(member[1]));
    headers = archiveCache.get(member[1]).get(member[2]) ?? [];
  } else headers = readelfSections(file).get("") ?? [];
  const counts = new Map();
  for (const h of headers) if (h.flags.includes("A")) counts.set(h.name, (counts.get(h.name) ?? 0) + 1);
  inputSectionCache.set(file, counts);
  return counts;
}

/** `objdump -d -w`: each instruction's address, bytes (in memory order) and text, by address. */
function listing(objdump, program) {
  const out = [];
  for (const line of run(objdump, ["-d", "-w", program]).stdout.split("\n")) {
    const x86 = /^ *([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    // AArch64: one little-endian 32-bit word, printed as a number.
    const word = x86 ? null : /^ *([0-9a-f]+):\t([0-9a-f]{8}) \t(.*)$/.exec(line);
    if (x86) out.push({ address: BigInt(`0x${x86[1]}`), bytes: x86[2].trim().split(" "), text: x86[3] });
    else if (word) {
      const w = word[2];
      out.push({
        address: BigInt(`0x${word[1]}`),
        bytes: [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)],
        text: word[3],
      });
    }
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function instructionAt(lines, at) {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = lines[mid];
    if (at < l.address) hi = mid - 1;
    else if (at >= l.address + BigInt(l.bytes.length)) lo = mid + 1;
    else return l;
  }
  return undefined;
}

/** `objdump -r` of an object: "SECTION 0xOFFSET TYPE", .debug* left out. */
function objdumpRelocations(objdump, object) {
  const rows = [];
  let section = "";
  for (const line of run(objdump, ["-r", object]).stdout.split("\n")) {
    const head = /^RELOCATION RECORDS FOR \[(.*)\]:/.exec(line);
    if (head) section = head[1];
    const m = /^([0-9a-f]{8,16}) (R_\S+)\s+(\S+)/.exec(line);
    if (m && !section.startsWith(".debug"))
      rows.push(`${section} 0x${BigInt(`0x${m[1]}`).toString(16)} ${m[2]}`);
  }
  return rows;
}

/** `objdump -s -j SECTION`: the section's bytes, by address. */
function sectionBytes(objdump, program, section) {
  const bytes = new Map();
  for (const line of run(objdump, ["-s", "-j", section, program]).stdout.split("\n")) {
    const m = /^ ([0-9a-f]+) ((?:[0-9a-f]{2,8} ?){1,4})/.exec(line);
    if (!m) continue;
    let at = BigInt(`0x${m[1]}`);
    for (const group of m[2].trim().split(" "))
      for (let i = 0; i < group.length; i += 2) bytes.set(at++, group.slice(i, i + 2));
  }
  return bytes;
}

/** `readelf -r -W` of the program: its dynamic relocations, by the address they patch. */
function dynamicRelocations(program) {
  const out = new Map();
  for (const line of run("readelf", ["-r", "-W", program]).stdout.split("\n")) {
    const m = /^([0-9a-f]{8,16})\s+[0-9a-f]+\s+(R_\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[3].trim();
    const relative = /^([0-9a-f]+)$/.exec(rest);
    const withSymbol = /^[0-9a-f]+\s+(\S+)\s*([+-])\s*([0-9a-f]+)$/.exec(rest);
    out.set(BigInt(`0x${m[1]}`), {
      type: m[2],
      symbol: withSymbol?.[1],
      addend: relative
        ? BigInt(`0x${relative[1]}`)
        : withSymbol
          ? (withSymbol[2] === "-" ? -1n : 1n) * BigInt(`0x${withSymbol[3]}`)
          : undefined,
    });
  }
  return out;
}

/** The collect2 line of `CC -### ARGV` (each word double-quoted), as words. */
function dryRunLink(argvRun, dir) {
  const [cc, ...args] = argvRun;
  const r = run(cc, ["-###", ...args], { cwd: dir });
  const line = r.stderr.split("\n").find((l) => /^ "?[^ ]*collect2"? /.test(l));
  if (!line) return undefined;
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2],
  );
}

/** What objdump's text says an instruction reaches: the address it prints before `<name>`, or `$imm`. */
function shownAddress(text) {
  const named = [...text.matchAll(/\b([0-9a-f]+) <[^>]*>/g)].at(-1);
  if (named) return BigInt(`0x${named[1]}`);
  const imm = /\$0x([0-9a-f]+)/.exec(text);
  return imm ? BigInt(`0x${imm[1]}`) : undefined;
}

/** The immediate of an AArch64 add or load/store, as objdump prints it (a load's already in bytes). */
function low12Immediate(text) {
  const add = /^add\s+\w+,\s*\w+,\s*#(0x[0-9a-f]+|\d+)/.exec(text);
  if (add) return BigInt(add[1]);
  const mem = /^(?:ld|st)\w*\s+[^[]*\[\w+(?:,\s*#(-?(?:0x[0-9a-f]+|\d+)))?\]/.exec(text);
  if (mem) return mem[1] === undefined ? 0n : BigInt(mem[1]);
  return undefined;
}

const LOW12 = /_LO12/;
const ABSOLUTE = /^R_(X86_64_(64|32|32S)|AARCH64_ABS(64|32))$/;

const totals = {
  programs: 0,
  relocations: 0,
  listsSame: 0,
  followed: 0,
  code: 0,
  data: 0,
  ehFrame: 0,
  notFollowed: 0,
  differ: 0,
  saysDisagree: 0,
  sections: 0,
  sectionsSum: 0,
  sectionsDiffer: 0,
  sectionsPadding: 0,
  linkerMade: 0,
  byLinkerDiffer: 0,
  commands: 0,
  commandsSame: 0,
};
const skipped = [];

for (const p of programs) {
  const cc = p.cc ?? "gcc";
  if (cc === "aarch64-linux-gnu-gcc" && !aarch64Cc) {
    skipped.push(`${p.name}: aarch64-linux-gnu-gcc not on PATH`);
    continue;
  }
  if (cc === "g++" && !onPath("g++")) {
    skipped.push(`${p.name}: g++ not on PATH`);
    continue;
  }
  const objdump = cc.startsWith("aarch64") ? aarch64Objdump : "objdump";
  const dir = p.keep ?? mkdtempSync(join(root, "build-"));
  const args = ["build", "--json", "--keep", dir, "--cc", cc];
  if (p.output) args.push("-o", p.output);
  args.push(...p.sources.map(fixture));
  if (p.flags) args.push("--", ...p.flags);
  const ours = run(anatomy[0], [...anatomy.slice(1), ...args]);
  if (!ours.stdout.startsWith("{")) {
    const lines = ours.stderr.trim().split("\n");
    const why = lines.find((l) => /error/i.test(l)) ?? lines[0];
    console.log(`${p.name}: anatomy build failed (exit ${ours.status}): ${why}`);
    continue;
  }
  const j = JSON.parse(ours.stdout);
  if (!j.link) {
    console.log(
      `${p.name}: no link in the report (exit ${ours.status}): ${(j.diagnostics || ours.stderr).trim().split("\n")[0]}`,
    );
    continue;
  }
  totals.programs++;
  const program = j.link.program;
  const diffs = [];
  const note = (d) => diffs.push(d);
  const programSections = readelfSections(program).get("") ?? [];
  const sectionAt = (at) =>
    programSections.find(
      (s) => s.flags.includes("A") && s.type !== "NOBITS" && at >= s.address && at < s.address + s.size,
    );
  const lines = listing(objdump, program);
  const dynamic = dynamicRelocations(program);
  const dataBytes = new Map();

  // --- relocations ---
  const c = {
    relocations: 0,
    followed: 0,
    code: 0,
    data: 0,
    ehFrame: 0,
    notFollowed: 0,
    differ: 0,
    saysDisagree: 0,
    listsSame: 0,
  };
  for (const s of j.sources) {
    const a = s.assembled;
    if (!a) {
      note(`${s.source}: no object in the report`);
      continue;
    }
    const rows = a.relocations;
    c.relocations += rows.length;
    const mine = rows.map((r) => `${r.section} ${hex(big(r.offset))} ${r.type}`);
    const theirs = objdumpRelocations(objdump, a.file);
    if (mine.length === theirs.length && mine.every((x, i) => x === theirs[i])) c.listsSame++;
    else {
      const only = (xs, ys) =>
        xs
          .filter((x) => !ys.includes(x))
          .slice(0, 3)
          .join("; ") || "none";
      note(
        `${a.file}: relocation list: ours ${mine.length}, objdump -r ${theirs.length}; ours only ${only(mine, theirs)}; objdump only ${only(theirs, mine)}`,
      );
    }
    for (const r of rows) {
      const where = `${r.section}+${r.offset} ${r.type} ${r.symbol}`;
      if (r.agrees === false) {
        c.saysDisagree++;
        note(`${where}: anatomy says the field disagrees (expected ${r.expected}, reaches ${r.reaches})`);
      }
      if (r.section === ".eh_frame") {
        c.ehFrame++;
        continue;
      }
      const at = big(r.address);
      const reaches = big(r.reaches);
      if (reaches === undefined || at === undefined || r.bytes === undefined) {
        c.notFollowed++;
        continue;
      }
      c.followed++;
      const field = r.bytes.split(" ");
      const out = sectionAt(at);
      if (!out) {
        c.differ++;
        note(`${where}: at ${r.address}, in no section of the program with bytes`);
        continue;
      }
      if (out.flags.includes("X")) {
        const insn = instructionAt(lines, at);
        if (!insn) {
          c.differ++;
          note(`${where}: objdump -d shows no instruction at ${r.address}`);
          continue;
        }
        const from = Number(at - insn.address);
        const theirBytes = insn.bytes.slice(from, from + field.length).join(" ");
        const problems = [];
        if (theirBytes !== r.bytes) problems.push(`bytes ${r.bytes}, objdump ${theirBytes}`);
        if (LOW12.test(r.type)) {
          const imm = low12Immediate(insn.text);
          if (imm !== (reaches & 0xfffn))
            problems.push(
              `low 12 bits of reaches ${hex(reaches & 0xfffn)}, objdump's immediate ${imm === undefined ? "none" : hex(imm)}`,
            );
        } else {
          const shown = shownAddress(insn.text);
          if (shown !== reaches)
            problems.push(
              `reaches ${r.reaches}, objdump shows ${shown === undefined ? "no address" : hex(shown)}`,
            );
        }
        if (problems.length) {
          c.differ++;
          note(`${where} at ${r.address} (${insn.text.replace(/\s+/g, " ")}): ${problems.join("; ")}`);
        } else c.code++;
        continue;
      }
      if (!dataBytes.has(out.name)) dataBytes.set(out.name, sectionBytes(objdump, program, out.name));
      const bytes = dataBytes.get(out.name);
      const theirBytes = field.map((_, i) => bytes.get(at + BigInt(i)) ?? "??").join(" ");
      const problems = [];
      if (theirBytes !== r.bytes) problems.push(`bytes ${r.bytes}, objdump -s ${theirBytes}`);
      const dyn = dynamic.get(at);
      if (dyn?.type.endsWith("RELATIVE")) {
        if (dyn.addend !== reaches)
          problems.push(`reaches ${r.reaches}, readelf -r ${dyn.type} addend ${hex(dyn.addend)}`);
      } else if (!dyn && ABSOLUTE.test(r.type)) {
        // Nothing at start-up: the field holds the address itself.
        let value = 0n;
        for (let i = field.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(`0x${field[i]}`);
        if (value !== reaches) problems.push(`reaches ${r.reaches}, the field holds ${hex(value)}`);
      }
      if (problems.length) {
        c.differ++;
        note(`${where} at ${r.address} in ${out.name}: ${problems.join("; ")}`);
      } else c.data++;
    }
  }

  // --- sections ---
  const sc = { sections: 0, sum: 0, differ: 0, padding: 0, linkerMade: 0, byLinkerDiffer: 0 };
  const linkerMade = [];
  for (const s of programSections) {
    if (!s.flags.includes("A") || s.size === 0n) continue;
    sc.sections++;
    const mine = j.link.sections.find((x) => x.name === s.name);
    if (!mine) {
      sc.differ++;
      note(`section ${s.name}: ${hex(s.size)} B in readelf -S, not in ours`);
      continue;
    }
    // An input is the file's own section when the file has that many allocated sections of the name.
    const seen = new Map();
    let made = 0n;
    const madeBy = new Set();
    let sum = 0n;
    for (const i of mine.inputs) {
      const size = big(i.size);
      sum += size;
      const key = `${i.file}\0${i.section}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      const byLinker = seen.get(key) > (allocatedSectionsOf(i.file).get(i.section) ?? 0);
      if (byLinker) {
        made += size;
        if (size > 0n) madeBy.add(`${i.file.slice(i.file.lastIndexOf("/") + 1)} ${i.section} ${size}`);
      }
      if (byLinker !== (i.byLinker === true)) {
        sc.byLinkerDiffer++;
        note(
          `section ${s.name}: ${i.file} ${i.section} is ${byLinker ? "" : "not "}the linker's by its sections, ours says ${i.byLinker}`,
        );
      }
    }
    if (made > 0n || mine.inputs.length === 0) sc.linkerMade++;
    const problems = [];
    if (big(mine.size) !== s.size) problems.push(`our size ${hex(big(mine.size))}`);
    if (big(mine.address) !== s.address)
      problems.push(`our address ${mine.address}, readelf ${hex(s.address)}`);
    if (sum !== s.size) {
      // The padding the map prints as *fill*: the holes between the inputs' address ranges.
      const sorted = mine.inputs
        .map((i) => [big(i.address), big(i.size)])
        .sort((x, y) => (x[0] < y[0] ? -1 : 1));
      let end = s.address;
      let holes = 0n;
      for (const [address, size] of sorted) {
        if (address > end) holes += address - end;
        if (address + size > end) end = address + size;
      }
      if (s.address + s.size > end) holes += s.address + s.size - end;
      const padding = holes === s.size - sum && big(mine.padding) === holes;
      if (padding && problems.length === 0) sc.padding++;
      const explained = padding
        ? "all of it gaps between the inputs (alignment padding), as our padding says"
        : `${holes} B of gaps between the inputs, our padding ${mine.padding}`;
      problems.push(`inputs sum to ${sum} B, readelf ${s.size} B: ${s.size - sum} B short, ${explained}`);
    }
    if (problems.length) {
      sc.differ++;
      note(`section ${s.name}: ${problems.join("; ")}`);
    } else sc.sum++;
    if (madeBy.size) linkerMade.push(`${s.name} (${[...madeBy].join(", ")})`);
  }
  for (const x of j.link.sections)
    if (x.allocated && big(x.size) > 0n && !programSections.some((s) => s.name === x.name))
      note(`section ${x.name}: ours, not in readelf -S`);

  // --- the link command ---
  totals.commands++;
  const dry = dryRunLink(j.argv, j.dir);
  const shown = [j.link.command.program, ...j.link.command.args];
  let commandText;
  if (!dry) commandText = "gcc -### printed no collect2 line";
  else if (dry.length === shown.length && dry.every((w, i) => w === shown[i])) {
    totals.commandsSame++;
    commandText = "as gcc -### prints it";
  } else {
    const i = dry.findIndex((w, k) => w !== shown[k]);
    commandText = `differs from gcc -### at word ${i}: ours ${shown[i]}, gcc -### ${dry[i]}`;
    note(`link command: ${commandText}`);
  }

  console.log(
    `${p.name}: ${c.relocations} relocations (${c.listsSame}/${j.sources.length} objects as objdump -r lists them), ${c.followed} followed, ${c.code} in code agree with objdump -d, ${c.data} in data agree with objdump -s and readelf -r, ${c.ehFrame} in .eh_frame, ${c.notFollowed} not followed, ${c.differ} differ${c.saysDisagree ? `, ${c.saysDisagree} anatomy itself says disagree` : ""}`,
  );
  console.log(
    `  sections: ${sc.sections} allocated, ${sc.sum} sum to readelf -S, ${sc.differ} differ (${sc.padding} by alignment padding alone); ${sc.linkerMade} made by the linker (in whole or part; ${sc.byLinkerDiffer} inputs where ours says otherwise); link command ${commandText}`,
  );
  for (const d of diffs.slice(0, show)) console.log(`    ${d}`);
  if (linkerMade.length)
    console.log(
      `    made by the linker, filed under an input without such a section: ${linkerMade.join("; ")}`,
    );
  if (diffs.length > show) console.log(`    ... ${diffs.length - show} more (--show N)`);
  for (const k of Object.keys(c)) totals[k] += c[k];
  totals.sections += sc.sections;
  totals.sectionsSum += sc.sum;
  totals.sectionsDiffer += sc.differ;
  totals.sectionsPadding += sc.padding;
  totals.linkerMade += sc.linkerMade;
  totals.byLinkerDiffer += sc.byLinkerDiffer;
}
for (const s of skipped) console.log(`skipped ${s}`);
const t = totals;
console.log(
  `total: ${t.programs} programs, ${t.relocations} relocations, ${t.followed} followed, ${t.code + t.data} agree (${t.code} code, ${t.data} data), ${t.ehFrame} in .eh_frame, ${t.notFollowed} not followed, ${t.differ} differ, ${t.saysDisagree} anatomy says disagree; sections ${t.sections} allocated, ${t.sectionsSum} sum, ${t.sectionsDiffer} differ (${t.sectionsPadding} by alignment padding alone), ${t.linkerMade} made by the linker (${t.byLinkerDiffer} inputs where ours says otherwise); link commands ${t.commandsSame}/${t.commands} as gcc -### prints them`,
);
console.log(`(built in ${root})`);
process.exitCode = 0;
