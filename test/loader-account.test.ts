// The loader's account of a start-up (src/trace/loader.ts) from a real LD_DEBUG_OUTPUT file: each
// library in the order ld.so looked for it (checked against LD_DEBUG=libs printed to stderr by another
// run), where it was mapped (against the addresses ld.so printed), each relocation pass and
// constructor in order, ld.so's relocation counts; and each step dated by the writev that wrote it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { loaderAccounts, parseDebugOutput, writeClock } from "../src/trace/loader.js";

const dir = mkdtempSync(join(tmpdir(), "anatomy-loader-test-"));
const program = join(dir, "ctor");
const built = spawnSync("gcc", ["-o", program, resolve("test/fixtures/loader/ctor.c"), "-lm"], {
  encoding: "latin1",
});
const skip = built.status === 0 ? false : `gcc could not build the fixture: ${built.stderr}`;

/** Runs the program with LD_DEBUG into a file (under strace when asked); returns the file's text. */
function debugRun(categories: string, traced: boolean): { text: string; trace: string; stdout: string } {
  const out = mkdtempSync(join(dir, "run-"));
  const debug = { LD_DEBUG: categories, LD_DEBUG_OUTPUT: join(out, "ld") };
  // Under strace the variables go to the program alone (-E), not to strace's own ld.so.
  const argv = traced
    ? [
        "strace",
        "-f",
        "-ttt",
        "-e",
        "trace=openat,writev",
        "-o",
        join(out, "strace"),
        ...Object.entries(debug).flatMap(([k, v]) => ["-E", `${k}=${v}`]),
        program,
      ]
    : [program];
  const env = traced ? process.env : { ...process.env, ...debug };
  const r = spawnSync(argv[0] as string, argv.slice(1), { env, encoding: "latin1" });
  assert.equal(r.status, 0, r.stderr);
  const files = readdirSync(out).filter((f) => f.startsWith("ld."));
  assert.equal(files.length, 1, `one debug file, the program's: ${files}`);
  const file = files[0] as string;
  const trace = traced ? readFileSync(join(out, "strace"), "latin1") : "";
  return { text: readFileSync(join(out, file), "latin1"), trace, stdout: r.stdout };
}

test("the libraries in ld.so's search order, mapped where it says, relocated and initialised in order", {
  skip,
}, () => {
  const run = debugRun("libs,files,reloc,statistics", false);
  // The program's own output is untouched: the debug lines went to the file.
  assert.equal(run.stdout, "constructor\n1.414214\ndestructor\n");
  const [a, ...others] = loaderAccounts(parseDebugOutput(run.text));
  assert.ok(a);
  assert.equal(others.length, 0);
  // Another run, LD_DEBUG=libs on stderr: the same libraries looked for, in the same order.
  const libs = spawnSync(program, [], {
    env: { ...process.env, LD_DEBUG: "libs" },
    encoding: "latin1",
  }).stderr;
  const order = [...libs.matchAll(/find library=(\S+) \[0\]; searching/g)].map((m) => m[1]);
  assert.deepEqual(
    a.libraries.map((l) => l.name),
    order,
  );
  assert.deepEqual(order.slice(0, 2), ["libm.so.6", "libc.so.6"]);
  for (const l of a.libraries) {
    assert.equal(l.neededBy, program, `${l.name} is needed by the program`);
    assert.match(l.path ?? "", new RegExp(`/${l.name.replace(/\./g, "\\.")}$`));
    assert.ok(
      l.searched.some((s) => s.startsWith("cache ")),
      `${l.name} was looked up in the cache`,
    );
    const printed = new RegExp(
      `base: 0x0*${(l.base ?? 0n).toString(16)} +size: 0x0*${(l.size ?? 0n).toString(16)}`,
    );
    assert.match(run.text, printed, `${l.name}'s base and size as printed`);
  }
  const kinds = a.steps.map((s) => s.kind);
  // Looked for and mapped before any relocation; relocated before the first constructor; the program's
  // own constructors after the libraries'; control transferred; destructors at exit.
  assert.ok(kinds.lastIndexOf("map") < kinds.indexOf("relocate"));
  assert.ok(kinds.lastIndexOf("relocate") < kinds.indexOf("init"));
  assert.ok(kinds.indexOf("program-init") < kinds.indexOf("transfer"));
  assert.ok(kinds.indexOf("transfer") < kinds.indexOf("fini"));
  const relocated = a.steps.filter((s) => s.kind === "relocate").map((s) => s.object);
  assert.equal(relocated.length, 4, relocated.join(", ")); // libc, libm, the program, ld.so itself
  assert.equal(relocated.at(-1)?.endsWith("ld-linux-x86-64.so.2"), true);
  const inits = a.steps.filter((s) => s.kind === "init").map((s) => s.object);
  assert.equal(inits.at(-1)?.endsWith("libm.so.6"), true, `libm's initialiser after libc's: ${inits}`);
  // ld.so's own counts, as it printed them.
  const counted = /number of relocations: (\d+)/.exec(run.text)?.[1];
  assert.equal(a.statistics.relocations, Number(counted));
  assert.ok((a.statistics.startupCycles ?? 0) > (a.statistics.relocationCycles ?? 0));
  assert.ok((a.statistics.finalRelocations ?? 0) >= (a.statistics.relocations ?? 0));
});

test("each step dated by the writev that wrote its line, as strace timed it", { skip }, () => {
  const run = debugRun("libs,files,reloc,statistics", true);
  const lines = run.trace.split("\n");
  const opened = lines
    .map((l) => /^\d+ +[\d.]+ openat\(AT_FDCWD, ".*\/ld\.\d+", .*\) = (\d+)$/.exec(l))
    .find(Boolean);
  assert.ok(opened, "strace saw ld.so open its debug file");
  const fd = opened[1];
  const writes = lines.flatMap((l) => {
    const m = new RegExp(`^\\d+ +([\\d.]+) writev\\(${fd}, .*\\) = (\\d+)$`).exec(l);
    return m ? [{ time: Number(m[1]), bytes: Number(m[2]) }] : [];
  });
  // Every byte of the file came from those writes.
  assert.equal(
    writes.reduce((n, w) => n + w.bytes, 0),
    Buffer.byteLength(run.text, "latin1"),
  );
  const clock = writeClock(writes);
  const [a] = loaderAccounts(parseDebugOutput(run.text));
  const times = (a?.steps ?? []).map((s) => clock(s.at));
  assert.ok(times.length > 8 && times.every((t) => t !== undefined), "every step has a time");
  for (let i = 1; i < times.length; i++)
    assert.ok((times[i] as number) >= (times[i - 1] as number), "in order");
  assert.equal(clock(Buffer.byteLength(run.text, "latin1")), undefined, "past the end: no write");
});

test("lines without the pid prefix, several processes, a library found on a RUNPATH", () => {
  const text = [
    "     10:\tfind library=libx.so [0]; searching",
    "     10:\t search path=/opt/lib\t\t(RUNPATH from file ./p)",
    "     10:\t  trying file=/opt/lib/libx.so",
    "     11:\tcalling fini:  [0]",
    "",
  ].join("\n");
  const accounts = loaderAccounts(parseDebugOutput(text));
  assert.deepEqual(
    accounts.map((x) => x.pid),
    [10, 11],
  );
  assert.deepEqual(accounts[0]?.libraries[0]?.searched, ["path /opt/lib\t\t(RUNPATH from file ./p)"]);
  assert.equal(accounts[0]?.libraries[0]?.path, "/opt/lib/libx.so");
  assert.deepEqual(
    accounts[1]?.steps.map((s) => [s.kind, s.object]),
    [["fini", "the program"]],
  );
});
