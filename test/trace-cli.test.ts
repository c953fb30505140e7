// `anatomy trace` (src/cli/trace.ts), run in-process: on the captured runs (--replay) the timeline by
// phase and owner, the crash's address and owner, --maps-at, --json; bad input as one line and a
// non-zero status; and live runs whose exit status is the program's, with its output untouched.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { run } from "../src/cli/trace.js";
import type { TraceReport } from "../src/trace/report.js";
import { runCli } from "./helpers/run-cli.js";

const captured = (name: string) => join("test/fixtures/trace/captured", name);

test("the timeline: phases in order, a run of one owner's changes on one line, the check at the end", async () => {
  const r = await runCli(run, ["--replay", captured("life")]);
  assert.equal(r.status, 0);
  const out = r.out;
  const titles = out.split("\n").filter((l) => /^ {2}(exec|loader|main|exit)\b/.test(l));
  assert.deepEqual(titles, ["  exec (the kernel)", "  loader (ld.so, before main)", "  main", "  exit"]);
  assert.match(
    out,
    /#3-7 +\+\S+s {2}ld\.so: libc\.so\.6 {2}\+1\.9 MiB {2}reservation \(the whole span\) r--p 1\.9 MiB, segment r-xp/,
  );
  assert.match(
    out,
    /\[thread \d+,\d+\] {2}malloc: thread arenas {2}\+128 MiB {2}arena reservation ---p x2 256 MiB/,
  );
  assert.match(out, /dlopen: libm\.so\.6 .* \(from life\(main\+0x[0-9a-f]+\)\)/);
  assert.match(out, /stack growth \(seen in the maps\) \d+ KiB/);
  assert.match(out, /malloc: thread arenas +256 MiB peak +128 MiB at exit/);
  const lines = readFileSync(join(captured("life"), "self.maps"), "latin1").split("\n").length - 1;
  assert.match(out, new RegExp(`maps at exit, pid \\d+: ${lines}/${lines} lines identical`));
  // --full: one line per change.
  const full = await runCli(run, ["--full", "--replay", captured("life")]);
  const changes = Number(/; (\d+) changes to the address space/.exec(out)?.[1]);
  assert.equal(full.out.split("\n").filter((l) => /^ {4}#\d+ /.test(l)).length, changes);
});

test("a crash: the faulting address, its mapping and owner, the ip's function; the status is the signal's", async () => {
  const r = await runCli(run, ["--replay", captured("crash")]);
  assert.equal(r.status, 139);
  assert.match(r.out, /--- SIGSEGV \(SEGV_ACCERR\)/);
  assert.match(r.out, /address 0x[0-9a-f]+: in [0-9a-f]+-[0-9a-f]+ r--p 00002000 \S+ \d+ \S*\/crash\n/);
  assert.match(r.out, /that mapping's owner: kernel: exec image/);
  assert.match(r.out, /ip 0x[0-9a-f]+ \(main\+0x3f\): in \S+ r-xp/);
  assert.match(r.out, /killed by SIGSEGV/);
});

test("--maps-at N: the replayed maps right after change N, in /proc/PID/maps format", async () => {
  const exit = readFileSync(join(captured("life"), "self.maps"), "latin1");
  const all = await runCli(run, ["--replay", captured("life")]);
  const changes = Number(/; (\d+) changes to the address space/.exec(all.out)?.[1]);
  const last = await runCli(run, ["--maps-at", String(changes - 1), "--replay", captured("life")]);
  assert.equal(last.out, exit);
  // After ld.so's start-up (#12, the cache unmapped) and before main's first malloc: no [heap] yet.
  const loaded = await runCli(run, ["--maps-at", "12", "--replay", captured("life")]);
  assert.ok(loaded.out.includes("/usr/lib/x86_64-linux-gnu/libc.so.6\n"));
  assert.ok(!loaded.out.includes("[heap]") && !loaded.out.includes("/etc/ld.so.cache"));
  const none = await runCli(run, ["--maps-at", "999", "--replay", captured("life")]);
  assert.equal(none.status, 1);
  assert.equal(none.err, `anatomy trace: there is no change #999 (the run made ${changes})\n`);
});

test("--json: the model, with every change's owner and each process's peaks and maps check", async () => {
  const r = await runCli(run, ["--json", "--replay", captured("sh-child")]);
  const j = JSON.parse(r.out) as TraceReport;
  assert.deepEqual(j.run.command, ["/bin/sh", "-c", "/bin/true; exit 3"]);
  assert.equal(j.run.status, 3);
  assert.equal(r.status, 3);
  assert.deepEqual(
    j.processes.map((p) => [p.programs.at(-1), p.exit?.status, p.maps?.identical === p.maps?.lines]),
    [
      ["/bin/sh", 3, true],
      ["/bin/true", 0, true],
    ],
  );
  const c = j.changes.find((x) => x.owner.role === "reservation (the whole span)");
  assert.ok(c);
  assert.match(c.start, /^0x[0-9a-f]+$/);
  assert.equal(c.owner.kind, "ld.so");
  assert.equal(c.group, "ld.so: libc.so.6");
  assert.equal(j.skippedCalls > 0, true, "env's own calls, before it started the program");
});

test("bad input: one line naming the program and what is wrong, a non-zero status", async () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-trace-cli-"));
  const text = join(dir, "notes.txt");
  writeFileSync(text, "not a program\n", { mode: 0o644 });
  const script = join(dir, "data");
  writeFileSync(script, "plain words\n", { mode: 0o755 });
  const cases: [string[], string][] = [
    [["--", join(dir, "missing")], `anatomy: ${join(dir, "missing")}: no such file or directory\n`],
    [["--", "no-such-program-anywhere"], "anatomy: no-such-program-anywhere: not found on PATH\n"],
    [["--", text], `anatomy: ${text}: not executable (no execute permission)\n`],
    [["--", script], `anatomy: ${script}: not a program (neither ELF nor a #! script)\n`],
    [["--", dir], `anatomy: ${dir}: is a directory, not a program\n`],
    [
      ["--strace", join(dir, "strace"), "--", "/bin/true"],
      `anatomy: ${join(dir, "strace")}: not found (anatomy trace runs the program under strace; install it)\n`,
    ],
    [
      ["--replay", dir],
      `anatomy: ${dir}: no strace.txt in it (not a directory kept by anatomy trace --keep)\n`,
    ],
  ];
  for (const [args, err] of cases) {
    const r = await runCli(run, args);
    assert.notEqual(r.status, 0, args.join(" "));
    assert.equal(r.err, err);
    assert.equal(r.out, "");
  }
});

const traced =
  spawnSync("strace", ["-f", "-qq", "-e", "trace=none", "/bin/true"], { stdio: "ignore" }).status === 0;
const gcc = spawnSync("gcc", ["--version"], { stdio: "ignore" }).status === 0;

test("live: the program's status is trace's, its output its own, the report in -o FILE", {
  skip:
    !traced || !gcc
      ? "needs strace and gcc"
      : !existsSync("dist/cli/trace.js")
        ? "dist/ not built (npm run build)"
        : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-trace-cli-"));
  const crash = join(dir, "crash");
  assert.equal(spawnSync("gcc", ["-o", crash, resolve("test/fixtures/trace/crash.c")]).status, 0);
  // Through the built command, as a user runs it: a separate process whose streams are the program's.
  const bin = resolve("bin/anatomy.js");
  const sh = spawnSync(
    process.execPath,
    [bin, "trace", "-o", join(dir, "sh.txt"), "--", "/bin/sh", "-c", "echo out; echo err >&2; exit 7"],
    {
      encoding: "latin1",
    },
  );
  assert.equal(sh.status, 7);
  assert.equal(sh.stdout, "out\n");
  assert.equal(sh.stderr, "err\n");
  assert.match(readFileSync(join(dir, "sh.txt"), "latin1"), /lines identical to \/proc\/\d+\/maps/);
  const r = spawnSync(process.execPath, [bin, "trace", "-o", join(dir, "crash.txt"), "--", crash], {
    encoding: "latin1",
  });
  assert.equal(r.status, 139);
  const report = readFileSync(join(dir, "crash.txt"), "latin1");
  assert.match(report, /--- SIGSEGV \(SEGV_ACCERR\)/);
  assert.match(report, /ip 0x[0-9a-f]+ \(main\+0x[0-9a-f]+\)/);
});
