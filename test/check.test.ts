import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../src/cli/check.js";
import type { CommandIO } from "../src/cli/io.js";
import { openFile } from "../src/cli/io.js";
import { BufferSource } from "../src/elf/byte-source.js";
import { PT_GNU_STACK } from "../src/elf/constants.js";
import { dynamicTable } from "../src/elf/dynamic.js";
import { ElfFile } from "../src/elf/file.js";
import {
  analyseObject,
  fortifiableFunctions,
  HardeningSession,
  type ObjectHardening,
  processVerdict,
} from "../src/link/hardening.js";
import { LinkSession } from "../src/link/index.js";
import type { LinkFs } from "../src/link/link-fs.js";
import { checksecDirJson, checksecFields, checksecFileJson } from "../src/render/check.js";
import { StringOutput } from "../src/render/output.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const x86 = join(fixtures, "x86_64");
const have = existsSync(join(x86, "pie")) && existsSync(join(fixtures, "aarch64/pie"));
const opts = { skip: have ? false : "fixtures missing (scripts/make-fixtures.sh)" };

const load = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const elf = (bytes: Uint8Array): ElfFile => ElfFile.open(new BufferSource(bytes));
const analyse = (bytes: Uint8Array, set?: Set<string>): ObjectHardening =>
  analyseObject(elf(bytes), "f", set && new Map([...set].map((n) => [n, n])), set ? "/libc.so.6" : undefined);

// --- in-memory patches of the fixtures (what the compiler flags would have produced) ----------------

/** Rewrites the first GNU property of .note.gnu.property as X86_FEATURE_1_AND with `bits`. */
function withX86Features(bytes: Uint8Array, bits: number): Uint8Array {
  const out = bytes.slice();
  const sh = elf(out).findSection(".note.gnu.property")!;
  const v = new DataView(out.buffer, Number(sh.sh_offset));
  v.setUint32(16, 0xc0000002, true);
  v.setUint32(24, bits, true);
  return out;
}

/** ORs `bits` into the first dynamic entry with `tag`. */
function withDynamic(bytes: Uint8Array, tag: bigint, bits: bigint): Uint8Array {
  const out = bytes.slice();
  const t = dynamicTable(elf(out))!;
  const i = t.entries.findIndex((e) => e.d_tag === tag);
  const v = new DataView(out.buffer, Number(t.offset) + i * 16);
  v.setBigUint64(8, v.getBigUint64(8, true) | bits, true);
  return out;
}

function withStackFlags(bytes: Uint8Array, flags: number): Uint8Array {
  const out = bytes.slice();
  const ph = elf(out).programHeaders.find((p) => p.p_type === PT_GNU_STACK)!;
  const f = elf(out);
  new DataView(out.buffer).setUint32(Number(f.header.e_phoff) + ph.index * 56 + 4, flags, true);
  return out;
}

/** Renames a .dynstr string in place (NUL padded), as if the program had called another function. */
function renameDynstr(bytes: Uint8Array, from: string, to: string): Uint8Array {
  assert.ok(to.length <= from.length);
  const out = bytes.slice();
  const sh = elf(out).findSection(".dynstr")!;
  const start = Number(sh.sh_offset);
  const hay = Buffer.from(out.buffer, start, Number(sh.sh_size));
  const at = hay.indexOf(`\0${from}\0`, 0, "latin1");
  assert.ok(at >= 0, `${from} in .dynstr`);
  for (let i = 0; i < from.length; i++) out[start + at + 1 + i] = i < to.length ? to.charCodeAt(i) : 0;
  return out;
}

/** A LinkFs over in-memory files (no ld.so.cache: the system directories are searched). */
function memoryFs(files: Record<string, Uint8Array>): LinkFs {
  const dirs = new Set<string>();
  for (const p of Object.keys(files)) {
    for (let d = dirname(p); d !== "/"; d = dirname(d)) dirs.add(d);
  }
  return {
    readFile: (p) => files[p],
    open: (p) => (files[p] ? new BufferSource(files[p]!) : undefined),
    exists: (p) => p in files || dirs.has(p),
    realpath: (p) => (p in files || dirs.has(p) ? p : undefined),
    readdir: (p) =>
      dirs.has(p)
        ? Object.keys(files)
            .filter((f) => dirname(f) === p)
            .map((f) => f.slice(p.length + 1))
        : undefined,
    cwd: () => "/",
  };
}

function captureIO(): { io: CommandIO; out: StringOutput; err: StringOutput } {
  const out = new StringOutput();
  const err = new StringOutput();
  return { io: { stdout: out, stderr: err, openFile, env: {}, isTTY: false }, out, err };
}

// --- single-object checks --------------------------------------------------------------------------

test("fixtures: RELRO, NX, PIE kinds, RUNPATH, symbols as checksec reports them", opts, () => {
  const pie = analyse(load(join(x86, "pie")));
  assert.equal(pie.relro, "partial");
  assert.deepEqual(pie.bindNow, []);
  assert.equal(pie.nx, true);
  assert.equal(pie.pie, "pie");
  assert.equal(pie.runpath, "$ORIGIN");
  assert.equal(pie.rpath, undefined);
  assert.ok(pie.symbols! > 0);
  assert.equal(pie.canary, undefined);
  assert.equal(analyse(load(join(x86, "nopie"))).pie, "exec");
  assert.equal(analyse(load(join(x86, "libdemo.so"))).pie, "dso");
  assert.equal(analyse(load(join(x86, "static-pie"))).pie, "pie");
  const noshdrs = analyse(load(join(x86, "noshdrs")));
  assert.equal(noshdrs.stripped, true);
  assert.equal(noshdrs.runpath, "$ORIGIN"); // from DT_STRTAB: no section headers needed
  assert.equal(analyse(load(join(fixtures, "aarch64/nopie"))).pie, "exec");
});

test("an object file's stack comes from .note.GNU-stack (checksec says NX disabled)", opts, () => {
  const o = analyse(load(join(x86, "demo.o")));
  assert.equal(o.pie, "rel");
  assert.equal(o.relro, "none");
  assert.equal(o.stack, "nx");
  assert.equal(checksecFields(o).find(([k]) => k === "nx")![1], "yes");
});

test("DF_1_NOW alone is full RELRO (checksec's grep for BIND_NOW misses it)", opts, () => {
  const h = analyse(withDynamic(load(join(x86, "pie")), 0x6ffffffbn, 1n));
  assert.equal(h.relro, "full");
  assert.deepEqual(h.bindNow, ["DF_1_NOW"]);
});

test("a PT_GNU_STACK with PF_X but not PF_W is an executable stack (checksec greps for RWE)", opts, () => {
  const h = analyse(withStackFlags(load(join(x86, "pie")), 5));
  assert.equal(h.stack, "exec");
  assert.equal(h.nx, false);
  assert.equal(analyse(withStackFlags(load(join(x86, "pie")), 6)).nx, true);
});

test("CET bits come from the parsed GNU property note", opts, () => {
  const pie = load(join(x86, "pie"));
  assert.deepEqual([analyse(pie).cet.ibt, analyse(pie).cet.shstk], [false, false]);
  const both = analyse(withX86Features(pie, 3)).cet;
  assert.deepEqual([both.arch, both.feature1, both.ibt, both.shstk], ["x86", 3, true, true]);
  const ibt = analyse(withX86Features(pie, 1)).cet;
  assert.deepEqual([ibt.ibt, ibt.shstk], [true, false]);
});

test("FORTIFY: imported __X_chk vs plain X, judged by the libc's exported _chk list", opts, () => {
  const pie = load(join(x86, "pie"));
  const plain = analyse(pie, new Set(["printf"]));
  assert.deepEqual(plain.fortify.unfortified, ["printf"]);
  assert.deepEqual(plain.fortify.fortified, []);
  // demo_count becomes __dc_chk: a fortified call when the libc exports __dc_chk.
  const checked = analyse(renameDynstr(pie, "demo_count", "__dc_chk"), new Set(["printf", "dc"]));
  assert.deepEqual(checked.fortify.fortified, ["__dc_chk"]);
  assert.deepEqual(checksecFields(checked).slice(7), [
    ["fortify_source", "yes"],
    ["fortified", "1"],
    ["fortify-able", "2"],
  ]);
  // Exports are not calls: libdemo.so defines demo_add, which is not counted.
  assert.deepEqual(analyse(load(join(x86, "libdemo.so")), new Set(["demo_add"])).fortify.unfortified, []);
  // A libc's list: its defined __X_chk symbols.
  const libc = renameDynstr(load(join(x86, "libdemo.so")), "demo_count", "__dc_chk");
  assert.ok(fortifiableFunctions(elf(libc)).has("dc"));
  assert.equal(fortifiableFunctions(elf(load(join(x86, "libdemo.so")))).size, 0);
  // An alias (same address) of a fortifiable function is the same unchecked code.
  const aliased = analyseObject(
    elf(pie),
    "f",
    new Map([
      ["printf", "printf"],
      ["demo_add", "printf"],
    ]),
    "/l",
  );
  assert.deepEqual(aliased.fortify.unfortified, ["demo_add", "printf"]);
});

// --- the process: the link graph finds the libc and every object ---------------------------------

test("process verdict: the libc the program loads, and one object without IBT turns IBT off", opts, () => {
  const prog = withX86Features(renameDynstr(load(join(x86, "pie")), "demo_count", "__dc_chk"), 3);
  // Any ET_DYN will do as a library; libdemo.so (the libc here) has no property note: no IBT, no SHSTK.
  const lib = withX86Features(load(join(x86, "pie")), 1);
  const libc = renameDynstr(load(join(x86, "libdemo.so")), "demo_count", "__dc_chk");
  const fs = memoryFs({
    "/usr/bin/prog": prog,
    "/usr/bin/libdemo.so.1": lib,
    "/lib/x86_64-linux-gnu/libc.so.6": libc,
    "/lib64/ld-linux-x86-64.so.2": withX86Features(load(join(x86, "pie")), 3),
  });
  const g = new LinkSession({ fs, env: {}, mode: "exec", x86Level: 1 }).link("/usr/bin/prog");
  const s = new HardeningSession(fs);
  assert.equal(s.libcOf(g), "/lib/x86_64-linux-gnu/libc.so.6");
  const main = s.object("/usr/bin/prog", s.libcOf(g));
  assert.ok(typeof main !== "string");
  assert.deepEqual(main.fortify.fortified, ["__dc_chk"]);
  const p = s.process(g, main);
  assert.equal(p.objects.length, 4);
  assert.equal(main.cet.ibt && main.cet.shstk, true);
  assert.equal(p.ibt, false);
  assert.deepEqual(p.lacking.ibt, ["libc.so.6"]);
  assert.equal(p.shstk, false);
  assert.deepEqual(p.lacking.shstk, ["libdemo.so.1", "libc.so.6"]);
  assert.equal(p.bti, undefined);
  assert.equal(p.execStack, false);
});

test("processVerdict: BTI needs every AArch64 object; any executable stack request wins", () => {
  const base = analyseLike({ arch: "aarch64", bti: true, pac: true });
  const objs = [
    { kind: "main" as const, name: "/bin/a", path: "/bin/a", hardening: base },
    { kind: "library" as const, name: "libx.so", path: "/lib/libx.so", hardening: { ...base, nx: false } },
    {
      kind: "library" as const,
      name: "liby.so",
      path: "/lib/liby.so",
      hardening: { ...base, cet: { ...base.cet, bti: false } },
    },
  ];
  const p = processVerdict("/bin/a", objs, []);
  assert.equal(p.bti, false);
  assert.deepEqual(p.lacking.bti, ["liby.so"]);
  assert.equal(p.pac, true);
  assert.equal(p.ibt, undefined);
  assert.equal(p.execStack, true);
  assert.deepEqual(p.lacking.nx, ["libx.so"]);
});

function analyseLike(c: { arch: "aarch64"; bti: boolean; pac: boolean }): ObjectHardening {
  return {
    path: "x",
    e_type: 3,
    e_machine: 183,
    relro: "full",
    bindNow: ["DF_BIND_NOW"],
    canary: "__stack_chk_fail",
    stackFlags: 6,
    stack: "nx",
    nx: true,
    pie: "pie",
    rpath: undefined,
    runpath: undefined,
    symbols: undefined,
    stripped: true,
    fortify: { fortified: [], unfortified: [], libc: undefined },
    cet: { arch: c.arch, feature1: 3, ibt: false, shstk: false, bti: c.bti, pac: c.pac },
  };
}

// --- checksec's JSON shapes and the CLI ------------------------------------------------------------

test("checksec JSON shapes: --file ends without a newline; --dir lists filename after each", () => {
  const h = { ...analyseLike({ arch: "aarch64", bti: true, pac: true }), path: "/bin/a" };
  assert.equal(
    checksecFileJson(h),
    '{ "/bin/a": { "relro":"full","canary":"yes","nx":"yes","pie":"yes","rpath":"no","runpath":"no",' +
      '"symbols":"no","fortify_source":"no","fortified":"0","fortify-able":"0" } }',
  );
  const b = { ...h, path: "/d/b", pie: "dso" as const, relro: "none" as const };
  assert.equal(
    checksecDirJson("/d", [h, b]),
    `{ "dir": { "name":"/d" }, "/bin/a": { ${checksecFields(h)
      .map(([k, v]) => `"${k}":"${v}"`)
      .join(",")}, "filename":"/bin/a"}, "/d/b": { "relro":"no","canary":"yes","nx":"yes","pie":"dso",` +
      `"rpath":"no","runpath":"no","symbols":"no","fortify_source":"no","fortified":"0","fortify-able":"0", "filename":"/d/b"}}`,
  );
  assert.equal(checksecDirJson("/empty", []), '{ "dir": { "name":"/empty" }}');
  // An empty DT_RUNPATH adds no directory (ld.so skips it): not a RUNPATH.
  const fields = new Map(checksecFields({ ...h, runpath: "", rpath: "/opt/x" }));
  assert.deepEqual([fields.get("runpath"), fields.get("rpath")], ["no", "yes"]);
});

test("CLI: --format checksec for one file, a table, --dir skipping non-ELF files, errors", opts, async () => {
  const pie = join(x86, "pie");
  let c = captureIO();
  assert.equal(await run(["--format", "checksec", pie], c.io), 0);
  assert.match(
    c.out.toString(),
    /^\{ "[^"]+\/pie": \{ "relro":"partial","canary":"no","nx":"yes","pie":"yes",/,
  );
  // printf is fortifiable when this machine has an x86-64 glibc (the libc the fixture would load).
  assert.match(c.out.toString(), /"fortify_source":"no","fortified":"0","fortify-able":"[01]" \} \}$/);

  c = captureIO();
  assert.equal(await run([pie, join(x86, "nopie")], c.io), 0);
  const lines = c.out.toString().split("\n");
  assert.match(lines[0]!, /^RELRO +CANARY +NX +PIE +RPATH +RUNPATH +SYMBOLS +FORTIFY +CET +PROCESS +FILE$/);
  assert.match(lines[1]!, /^partial +no +yes +PIE +- +yes +\d+ +(0\/1|\?) +- +NX( missing-libs)? +\S+\/pie$/);
  assert.match(lines[2]!, /^partial .* no +- +yes .*\/nopie$/);

  c = captureIO();
  assert.equal(await run(["--format=checksec", "--dir", `${fixtures}/link/`], c.io), 0);
  const model = JSON.parse(c.out.toString()) as Record<string, { filename?: string }>;
  assert.deepEqual(model.dir, { name: `${fixtures}/link` });
  assert.ok(Object.keys(model).some((k) => k.endsWith("/link/prog")));
  assert.ok(Object.keys(model).some((k) => k.endsWith("/rp/libr.so"))); // recursive, as find
  assert.ok(!Object.keys(model).some((k) => k.endsWith("ld.so.conf"))); // not ELF

  c = captureIO();
  assert.equal(await run(["--json", pie], c.io), 0);
  const j = JSON.parse(c.out.toString()) as { relro: string; process: { objects: unknown[] } };
  assert.equal(j.relro, "partial");
  assert.ok(j.process.objects.length >= 1);

  c = captureIO();
  assert.equal(await run([join(fixtures, "src/demo.c")], c.io), 1);
  assert.match(c.err.toString(), /not an ELF file/);
  c = captureIO();
  assert.equal(await run(["--bogus"], c.io), 1);
});
