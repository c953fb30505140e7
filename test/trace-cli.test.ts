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

test("ld.so's own account: libraries in order and how each was found, dated between the loader's changes and main's", async () => {
  const r = await runCli(run, ["--json", "--replay", captured("life")]);
  const j = JSON.parse(r.out) as TraceReport;
  const program = j.processes.find(
    (p) => !p.isThread && p.programs.length,
  ) as TraceReport["processes"][number];
  const account = j.loader.find((a) => a.pid === program.pid);
  assert.ok(account, "the program's account");
  assert.deepEqual(
    account.libraries.map((l) => [l.name, l.neededBy?.replace(/\/\S*\//, "")]),
    [
      ["libc.so.6", "life"],
      ["libm.so.6", "dlopen from life"],
    ],
  );
  assert.deepEqual(account.libraries[0]?.searched, ["cache /etc/ld.so.cache"]);
  assert.equal(account.libraries[0]?.path, "/lib/x86_64-linux-gnu/libc.so.6");
  // Two sources, one clock: libc is found before its mappings are made, control passes to the
  // program after ld.so's last start-up change and before main's first, and libm is found by dlopen
  // before dlopen maps it.
  const change = (pred: (c: TraceReport["changes"][number]) => boolean) =>
    j.changes.find((c) => c.pid === program.pid && pred(c)) as TraceReport["changes"][number];
  const time = (kind: string, object?: string) =>
    account.steps.find((s) => s.kind === kind && (object === undefined || s.object.endsWith(object)))
      ?.time as number;
  const libcMapped = change((c) => c.group === "ld.so: libc.so.6");
  const lastLoader = [...j.changes].reverse().find((c) => c.pid === program.pid && c.phase === "loader");
  const firstMain = change((c) => c.phase === "main");
  assert.ok((account.libraries[0]?.time as number) <= libcMapped.time);
  assert.ok(time("transfer") >= (lastLoader?.time as number), "entry after the loader's changes");
  assert.ok(time("transfer") <= firstMain.time, "entry before main's first change");
  assert.ok((account.libraries[1]?.time as number) <= change((c) => c.group === "dlopen: libm.so.6").time);
  // Steps in ld.so's order, times never going back.
  const kinds = account.steps.map((s) => s.kind);
  assert.ok(
    kinds.indexOf("statistics") < kinds.indexOf("init") && kinds.indexOf("init") < kinds.indexOf("transfer"),
  );
  for (let i = 1; i < account.steps.length; i++)
    assert.ok((account.steps[i]?.time as number) >= (account.steps[i - 1]?.time as number));
  assert.ok((account.statistics.relocations ?? 0) > 0 && (account.statistics.relativeRelocations ?? -1) >= 0);
  // The text: one line per step, constructors folded into one.
  const text = await runCli(run, ["--replay", captured("life")]);
  assert.match(text.out, /ld\.so's own account \(LD_DEBUG=libs,files,reloc,statistics\)\n/);
  assert.match(
    text.out,
    /libc\.so\.6 \(needed by life\); searched cache \/etc\/ld\.so\.cache; found \/lib\/x86_64-linux-gnu\/libc\.so\.6 at 0x[0-9a-f]+ \(1\.9 MiB\)/,
  );
  assert.match(text.out, /constructors: ld-linux-x86-64\.so\.2, libc\.so\.6, the program \(life\)\n/);
  assert.match(text.out, /entry point: control to \S+\/life\n/);
  // A child's account is its own (sh's child /bin/true writes its own file).
  const sh = JSON.parse((await runCli(run, ["--json", "--replay", captured("sh-child")])).out) as TraceReport;
  assert.equal(sh.loader.length, 2);
  assert.notEqual(sh.loader[0]?.pid, sh.loader[1]?.pid);
});

test("live: ld.so's account equals what ld.so prints by itself (LD_DEBUG=libs order, statistics' counts)", {
  skip: !traced
    ? "needs strace"
    : !existsSync("dist/cli/trace.js")
      ? "dist/ not built (npm run build)"
      : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-trace-loader-"));
  const bin = resolve("bin/anatomy.js");
  const r = spawnSync(
    process.execPath,
    [bin, "trace", "--json", "-o", join(dir, "r.json"), "--", "ls", "--version"],
    {
      encoding: "latin1",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(dir, "r.json"), "latin1")) as TraceReport;
  const account = j.loader[0];
  assert.ok(account);
  const alone = spawnSync("ls", ["--version"], {
    encoding: "latin1",
    // Into a file, as trace has it: ls closes its stderr before ld.so's last statistics.
    env: { ...process.env, LD_DEBUG: "libs,files,reloc,statistics", LD_DEBUG_OUTPUT: join(dir, "alone") },
  });
  const printed = readFileSync(join(dir, `alone.${alone.pid}`), "latin1");
  const libs = [...printed.matchAll(/find library=(\S+) \[\d+\]; searching/g)].map((m) => m[1]);
  assert.ok(libs.length > 0);
  assert.deepEqual(
    account.libraries.map((l) => l.name),
    libs,
  );
  const count = (label: string) => Number(new RegExp(` ${label}: (\\d+)\\n`).exec(printed)?.[1]);
  assert.equal(account.statistics.relocations, count("number of relocations"));
  assert.equal(account.statistics.relativeRelocations, count("number of relative relocations"));
  assert.equal(account.statistics.finalRelocations, count("final number of relocations"));
});

test("live --no-stacks: what glibc's own calls tell alone (brk, MAP_STACK, an arena's PROT_NONE reservation, dlopen)", {
  skip:
    !traced || !gcc
      ? "needs strace and gcc"
      : !existsSync("dist/cli/trace.js")
        ? "dist/ not built (npm run build)"
        : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-trace-nostacks-"));
  const life = join(dir, "life");
  assert.equal(
    spawnSync("gcc", ["-o", life, resolve("test/fixtures/trace/life.c"), "-lpthread", "-ldl"]).status,
    0,
  );
  const r = spawnSync(
    process.execPath,
    [
      resolve("bin/anatomy.js"),
      "trace",
      "--no-stacks",
      "--json",
      "-o",
      join(dir, "r.json"),
      "--",
      life,
      join(dir, "maps"),
    ],
    { encoding: "latin1" },
  );
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(dir, "r.json"), "latin1")) as TraceReport;
  assert.equal(j.run.stacks, false);
  const groups = new Set(j.changes.map((c) => c.group));
  for (const g of [
    "malloc: heap (brk)",
    "pthread: thread stacks",
    "malloc: thread arenas",
    "dlopen: libm.so.6",
  ])
    assert.ok(groups.has(g), `${g} in ${[...groups].join(", ")}`);
  const p = j.processes.find((q) => q.maps);
  assert.equal(p?.maps?.identical, p?.maps?.lines);
  // Resident at exit, from smaps read then: by owner, adding up to the whole (to a page per owner).
  const total = p?.total?.rssAtExit ?? 0;
  assert.ok(total > 0);
  const sum = (p?.owners ?? []).reduce((n, o) => n + (o.rssAtExit ?? 0), 0);
  assert.ok(Math.abs(sum - total) <= 4096 * (p?.owners.length ?? 0), `${sum} vs ${total}`);
  assert.ok((p?.owners.find((o) => o.group === "kernel: exec image")?.rssAtExit ?? 0) > 0);
});

const counter = existsSync("dist/native/anatomy-malloc.so");

test("live --malloc: the counts beside the timeline, call sites named, brk/mmap/arena from the chunks' own bits", {
  skip:
    !traced || !gcc ? "needs strace and gcc" : !counter ? "dist/native/anatomy-malloc.so not built" : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-trace-malloc-"));
  const churn = join(dir, "churn");
  assert.equal(
    spawnSync("gcc", ["-O1", "-o", churn, resolve("test/fixtures/malloc/churn.c"), "-lpthread"]).status,
    0,
  );
  const bin = resolve("bin/anatomy.js");
  const r = spawnSync(
    process.execPath,
    [
      bin,
      "trace",
      "--stacks",
      "--malloc",
      "--json",
      "--keep",
      join(dir, "run"),
      "-o",
      join(dir, "r.json"),
      "--",
      churn,
    ],
    {
      encoding: "latin1",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(dir, "r.json"), "latin1")) as TraceReport;
  assert.equal(j.malloc?.length, 1);
  const m = j.malloc?.[0] as NonNullable<TraceReport["malloc"]>[number];
  assert.equal(m.pid, j.processes.find((p) => p.programs.length)?.pid);
  assert.ok(m.calls.malloc >= 1015 && m.calls.free >= 1012 && m.calls.realloc === 1);
  assert.equal(m.homes.mmap.count, 1);
  assert.ok(m.homes.arena.count >= 10);
  assert.equal(m.threads, 2);
  assert.match(m.sites[0]?.where ?? "", /^churn (churn|main)\+0x[0-9a-f]+$/);
  // The 200 KiB block's own mapping is in the timeline too, owned by malloc.
  assert.ok(j.changes.some((c) => c.group === "malloc: large blocks" && c.mapped >= 200 * 1024));
  // The program's command line is its own, without the variables given to env.
  assert.deepEqual(j.run.command, [churn]);
  // Kept and read again: the same counts.
  const again = spawnSync(process.execPath, [bin, "trace", "--replay", join(dir, "run")], {
    encoding: "latin1",
  });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /malloc \(--malloc\): 1,01\d malloc, /);
  assert.match(again.stdout, / > 128 KiB +1 +200 KiB +0 +1 +0\n/);
});

test("--pid: attach to a running process, its maps as found, its threads, then let go with the check", {
  skip:
    !traced || !gcc
      ? "needs strace and gcc"
      : !existsSync("dist/cli/trace.js")
        ? "dist/ not built (npm run build)"
        : false,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-trace-pid-"));
  const prog = join(dir, "slow");
  writeFileSync(
    join(dir, "slow.c"),
    `#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
static void *idle(void *a) { sleep(30); return a; }
int main(void) {
  pthread_t t;
  pthread_create(&t, 0, idle, 0);
  for (int i = 0; i < 600; i++) { char *p = malloc(4000 * (i + 1)); p[0] = 1; usleep(10000); }
  return 0;
}
`,
  );
  assert.equal(spawnSync("gcc", ["-O1", "-o", prog, join(dir, "slow.c"), "-lpthread"]).status, 0);
  const { spawn } = await import("node:child_process");
  const child = spawn(prog, [], { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const r = spawnSync(
      process.execPath,
      [
        resolve("bin/anatomy.js"),
        "trace",
        "--stacks",
        "--pid",
        String(child.pid),
        "--for",
        "1",
        "--json",
        "-o",
        join(dir, "r.json"),
      ],
      { encoding: "latin1" },
    );
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(readFileSync(join(dir, "r.json"), "latin1")) as TraceReport;
    assert.deepEqual(j.run.command, [prog, `(pid ${child.pid}, attached, then let go)`]);
    assert.equal(j.changes[0]?.phase, "attach");
    assert.equal(j.changes[0]?.owner.role, "as found at attach");
    const p = j.processes.find((q) => q.pid === child.pid);
    assert.ok(p);
    // Its other thread, found at attach.
    assert.equal(j.processes.filter((q) => q.isThread && q.leader === child.pid).length, 1);
    // malloc grew the heap or mapped large blocks while traced, and the replay from the maps as
    // found equals the maps at detach.
    assert.ok(
      j.changes.some((c) => c.group.startsWith("malloc: ") && c.mapped > 0),
      j.changes.map((c) => c.group).join(),
    );
    assert.ok(p.maps && p.maps.lines > 0);
    assert.equal(p.maps.identical, p.maps.lines, JSON.stringify(p.maps.differences));
    assert.equal(p.exit, undefined, "still running");
  } finally {
    child.kill();
  }
});

test("--pid on a process that is gone, or not ours: one line and a non-zero status", async () => {
  const gone = await runCli(run, ["--pid", "4194303"]);
  assert.equal(gone.status, 1);
  assert.equal(gone.err, "anatomy: 4194303: no such process\n");
  assert.equal((await runCli(run, ["--pid", "12", "--", "/bin/true"])).status, 1);
  assert.equal((await runCli(run, ["--pid", "x"])).err, "anatomy trace: --pid needs a process ID, not x\n");
  // Not ours: another user's process, seen by an unprivileged user (only when this runs as root).
  const root = process.getuid?.() === 0 && spawnSync("runuser", ["--help"], { stdio: "ignore" }).status === 0;
  if (root && existsSync("dist/cli/trace.js")) {
    const r = spawnSync(
      "runuser",
      ["-u", "nobody", "--", process.execPath, resolve("bin/anatomy.js"), "trace", "--pid", "1"],
      {
        encoding: "latin1",
      },
    );
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^anatomy: 1: not ours to trace \(its \/proc\/PID\/maps cannot be read: another user's process, or ptrace is not permitted\)\n$/,
    );
  }
});
