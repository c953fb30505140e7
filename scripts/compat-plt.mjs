#!/usr/bin/env node
// Checks `anatomy plt FILE --json` against the reference tools, file by file:
//   stubs:   every `ADDR <name@plt>:` label objdump -d gives in .plt, .plt.sec and .plt.got, and ours
//            (the stub address and symbol of each entry with a stub), as sets;
//   relocs:  every JUMP_SLOT/GLOB_DAT/IRELATIVE/COPY/absolute-with-symbol line of readelf -D -r (offset,
//            type), and our entries' (got, relocation);
//   callers: per stub, the instructions outside the PLT that objdump -d shows calling or jumping to
//            `<name@plt>`, and our callers of that stub;
//   bindings: per symbol of an x86-64 program's entries, the libraries and versions ld.so binds it to
//            (`binding file PROG [0] to LIB [0]: normal symbol `sym' [VER]` under LD_DEBUG=bindings,
//            traced without running the program: see lib/ld-debug.mjs) and ours; a weak reference
//            nothing defines has no line there and no library here.
// Usage: node scripts/compat-plt.mjs [--show N] [DIR|FILE...]   (default /usr/bin and the x86 fixtures)
// (ANATOMY="node --import tsx src/cli/main.ts" to run the sources)
import { spawnSync } from "node:child_process";
import { realpathSync, statSync } from "node:fs";
import { elfFilesIn } from "./lib/elf-files.mjs";
import { ldDebugTrace, parseBinding } from "./lib/ld-debug.mjs";

const argv = process.argv.slice(2);
let show = 5;
const targets = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--show") show = Number(argv[++i]);
  else targets.push(argv[i]);
}
if (targets.length === 0) targets.push("/usr/bin", "test/fixtures/x86_64", "test/fixtures/i386");
const files = targets.flatMap((t) => (statSync(t).isDirectory() ? elfFilesIn(t) : [t]));
const anatomy = (
  process.env.ANATOMY ?? `${process.execPath} ${new URL("../bin/anatomy.js", import.meta.url).pathname}`
)
  .split(" ")
  .filter((x) => x);
const run = (cmd, args) =>
  spawnSync(cmd, args, { encoding: "latin1", maxBuffer: 1 << 30, env: { ...process.env, LC_ALL: "C" } });
const KINDS =
  /R_(X86_64|386|AARCH64)_(JUMP_SLOT|JMP_SLOT|GLOB_DAT|IRELATIVE|IRELATIV|COPY|TLSDESC|TLS_DESC|64|32|ABS64)\b/;

const counts = { stubs: [0, 0], relocs: [0, 0], callers: [0, 0], bindings: [0, 0] };
// Symbols, not files: [agreeing, total] for symbols only in JUMP_SLOT/GLOB_DAT slots, and for those
// also in a COPY relocation or an absolute word.
const bindingSymbols = { slots: [0, 0], others: [0, 0] };
const bindingDiffs = [];
const diffs = [];
let skipped = 0;
let done = 0;
for (const f of files) {
  if (++done % 100 === 0) process.stderr.write(`  ${done}/${files.length} files\n`);
  const ours = run(anatomy[0], [...anatomy.slice(1), "plt", "--json", f]);
  if (ours.status !== 0 || !ours.stdout.startsWith("{")) {
    skipped++; // static, or not a machine plt reads
    continue;
  }
  const model = JSON.parse(ours.stdout);
  const dis = run("objdump", ["-d", "-w", f]).stdout;
  // objdump's labels and the branches to them, by section.
  const labels = new Set();
  const calls = new Map();
  let section = "";
  for (const line of dis.split("\n")) {
    const sec = /^Disassembly of section (\S+):$/.exec(line);
    if (sec) section = sec[1];
    const label = /^([0-9a-f]+) <(.+)@plt>:$/.exec(line);
    if (label && section.startsWith(".plt")) labels.add(`${BigInt(`0x${label[1]}`)} ${label[2]}`);
    const call =
      /^\s*([0-9a-f]+):.*\t(?:[A-Za-z0-9.]+ )*?(call|jmp|j[a-z]+)\s+([0-9a-f]+) <([^>]+)@plt>$/.exec(line);
    if (call && !section.startsWith(".plt")) {
      const key = BigInt(`0x${call[3]}`);
      calls.set(key, (calls.get(key) ?? 0) + 1);
    }
  }
  const oursStubs = new Set(
    model.entries
      .filter((e) => e.stub)
      .map((e) => `${BigInt(e.stub)} ${e.kind === "IRELATIVE" ? `*ABS*+${e.addend}` : e.symbol}`),
  );
  const same = (a, b) => a.size === b.size && [...a].every((x) => b.has(x));
  const record = (what, ok, detail) => {
    counts[what][1]++;
    if (ok) counts[what][0]++;
    else if (diffs.length < show) diffs.push(`${f}: ${what}: ${detail}`);
  };
  record(
    "stubs",
    same(labels, oursStubs),
    `objdump only ${[...labels].filter((x) => !oursStubs.has(x)).slice(0, 3)}; ours only ${[...oursStubs].filter((x) => !labels.has(x)).slice(0, 3)}`,
  );
  const relocs = new Set();
  for (const line of run("readelf", ["-D", "-W", "-r", f]).stdout.split("\n")) {
    const m = /^([0-9a-f]{8,16})\s+[0-9a-f]+\s+(R_\S+)\s*(\S*)/.exec(line);
    if (!m || !KINDS.test(m[2])) continue;
    if (/_(64|32|ABS64)$/.test(m[2]) && !m[3]) continue; // an absolute word without a symbol
    relocs.add(`${BigInt(`0x${m[1]}`)} ${m[2]}`);
  }
  const oursRelocs = new Set(model.entries.map((e) => `${BigInt(e.got)} ${e.relocation}`));
  record(
    "relocs",
    same(relocs, oursRelocs),
    `readelf only ${[...relocs].filter((x) => !oursRelocs.has(x)).slice(0, 3)}; ours only ${[...oursRelocs].filter((x) => !relocs.has(x)).slice(0, 3)}`,
  );
  let callOk = true;
  let detail = "";
  for (const e of model.entries) {
    if (!e.stub) continue;
    const theirs = calls.get(BigInt(e.stub)) ?? 0;
    // Only the branches to the stub: calls through the GOT slot (-fno-plt) have no @plt label.
    const mine = e.callSites.filter((c) => c.via === "stub" && c.kind !== "memory").length;
    if (mine !== theirs) {
      callOk = false;
      detail ||= `${e.symbol}: objdump ${theirs} branches, ours ${mine}`;
    }
  }
  record("callers", callOk, detail);
  if (model.machine === "x86-64") await compareBindings(f, model);
}

/**
 * Each symbol's bindings against the lines ld.so prints for the program's own lookups: per symbol, the
 * set of `LIB [VERSION]` of our entries and of its lines. Sets, not lists: ld.so looks a symbol up once
 * for consecutive relocations of one type class (l_lookup_cache), and a COPY relocation's lookup skips
 * the program itself while a GLOB_DAT on the same symbol binds to the program's copy, so one symbol
 * can have two different lines.
 */
async function compareBindings(f, model) {
  // Run as the kernel runs it: ld.so started by hand takes $ORIGIN from the path it is given, the
  // kernel's start from the program's real path (java's `$ORIGIN/../lib` through /usr/bin/java).
  const real = realpathSync(f);
  const trace = await ldDebugTrace(real);
  if (trace.skipped) return;
  const theirs = new Map();
  for (const line of trace.bindings) {
    const b = parseBinding(line);
    if (!b || b.from !== real || b.fromNs !== 0) continue;
    if (!theirs.has(b.symbol)) theirs.set(b.symbol, new Set());
    theirs.get(b.symbol).add(`${b.to} [${b.version ?? ""}]`);
  }
  const ours = new Map();
  for (const e of model.entries) {
    if (!e.symbol || e.kind === "IRELATIVE") continue;
    const entry = ours.get(e.symbol) ?? { bindings: new Set(), bucket: "slots" };
    if (e.kind !== "JUMP_SLOT" && e.kind !== "GLOB_DAT") entry.bucket = "others";
    // A weak reference nothing defines has no line there and no library here.
    if (e.library) entry.bindings.add(`${e.library === f ? real : e.library} [${e.version ?? ""}]`);
    ours.set(e.symbol, entry);
  }
  let fileOk = true;
  let detail = "";
  for (const [symbol, { bindings, bucket }] of ours) {
    const said = theirs.get(symbol) ?? new Set();
    const ok = said.size === bindings.size && [...said].every((x) => bindings.has(x));
    bindingSymbols[bucket][1]++;
    if (ok) bindingSymbols[bucket][0]++;
    else {
      fileOk = false;
      detail ||= `${symbol}: ld.so ${[...said].join(", ") || "no binding"}, ours ${[...bindings].join(", ") || "nothing"}`;
    }
  }
  counts.bindings[1]++;
  if (fileOk) counts.bindings[0]++;
  else if (bindingDiffs.length < show) bindingDiffs.push(`${f}: bindings: ${detail}`);
}
for (const [what, [ok, n]] of Object.entries(counts)) console.log(`plt ${what}: ${ok}/${n} files identical`);
for (const [what, [ok, n]] of Object.entries(bindingSymbols))
  console.log(
    `plt bindings (${what === "slots" ? "JUMP_SLOT, GLOB_DAT" : "with COPY or absolute"}): ${ok}/${n} symbols as ld.so binds them`,
  );
console.log(`(${skipped} files without a PLT to read: static, or another machine)`);
for (const d of [...diffs, ...bindingDiffs]) console.log(d);
process.exitCode =
  Object.values(counts).every(([ok, n]) => ok === n) &&
  Object.values(bindingSymbols).every(([ok, n]) => ok === n)
    ? 0
    : 1;
