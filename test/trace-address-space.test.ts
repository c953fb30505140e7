// The address space replayed from a trace (src/trace/address-space.ts). The proof: the maps the
// replay has at each exit_group are the lines /proc/PID/maps printed at that moment, every column,
// on the captured runs and on a fresh run of the fixture compiled here. Then the kernel's rules one at
// a time, on lines written here: MAP_FIXED replacing, munmap and mprotect splitting, the merges the
// kernel makes and the ones it refuses (VM_ACCOUNT after RELRO, a moved mremap's offset), brk's [heap].
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import {
  kernelRules,
  mapsText,
  type Replay,
  replayTrace,
  type Snapshot,
} from "../src/trace/address-space.js";
import { kernelOfThisMachine, loadRun, runTrace, statIdentity } from "../src/trace/run-strace.js";
import { parseStrace } from "../src/trace/strace-parse.js";

function replayCaptured(name: string): { replay: Replay; dir: string } {
  const dir = join("test/fixtures/trace/captured", name);
  const run = loadRun(dir);
  assert.ok(typeof run !== "string", String(run));
  const replay = replayTrace(parseStrace(run.text), {
    rules: kernelRules(run.meta.kernel, run.meta.overcommitNever),
    snapshots: run.snapshots,
    fileIdentity: (p) => run.meta.files[p],
    skipExecs: run.meta.trampolineExecs,
  });
  return { replay, dir };
}

const identical = (r: Replay) =>
  r.comparisons.map((c) => ({
    pid: c.pid,
    // Shared anonymous memory's shmem inode is made inside mmap: no call shows it.
    same: c.identical + c.identicalButInode === c.lines && c.differences.length === 0,
    differences: c.differences,
  }));

test("captured runs: the replayed maps at each exit are the kernel's, line for line", () => {
  const expected: Record<string, number> = { life: 1, "ls-version": 1, "sh-child": 2, crash: 0, rules: 2 };
  for (const [name, exits] of Object.entries(expected)) {
    const { replay } = replayCaptured(name);
    assert.equal(replay.comparisons.length, exits, name);
    for (const c of identical(replay))
      assert.ok(c.same, `${name} pid ${c.pid}: ${JSON.stringify(c.differences)}`);
    assert.equal(replay.unknown, 0, `${name}: every call was on an address space the replay knew`);
  }
});

test("life.c's own copy of /proc/self/maps, made just before _exit, is the replay's last state", () => {
  const { replay, dir } = replayCaptured("life");
  const self = readFileSync(join(dir, "self.maps"), "latin1");
  const root = [...replay.processes.values()][0];
  assert.ok(root?.mm);
  assert.equal(mapsText(root.mm), self);
  // The stack grew with no system call: the exit's maps show it, as one change of its own.
  const growth = replay.changes.filter((c) => c.kind === "stack-growth");
  assert.equal(growth.length, 1);
  const stack = root.mm.vmas.find((v) => v.end === growth[0]?.end || v.start === growth[0]?.start);
  // 256 frames of 4 KiB: the stack is at least a MiB at exit, grown down from what exec made.
  assert.ok(stack && stack.end - stack.start >= 1n << 20n);
  assert.ok((growth[0]?.mapped ?? 0n) > 0n);
});

test("rules.c: each process's own copy of its maps is the replay's, fork, madvise, mlock, mremap and all", () => {
  const { replay, dir } = replayCaptured("rules");
  const copies = readdirSync(dir).filter((f) => f.startsWith("self.maps."));
  assert.equal(copies.length, 2, "the parent's and the fork child's");
  for (const f of copies) {
    const pid = Number(f.slice("self.maps.".length));
    const mm = replay.processes.get(pid)?.mm;
    assert.ok(mm, `pid ${pid}`);
    const own = readFileSync(join(dir, f), "latin1").split("\n");
    const replayed = mapsText(mm).split("\n");
    assert.equal(replayed.length, own.length);
    for (const [i, line] of own.entries()) {
      // The one line no call can give whole: /dev/zero (deleted)'s device and inode.
      if (line.endsWith("/dev/zero (deleted)")) {
        assert.equal(replayed[i]?.replace(/ 00:00 0 +/, " "), line.replace(/ \S+:\S+ \d+ +/, " "));
      } else assert.equal(replayed[i], line);
    }
  }
  for (const c of replay.comparisons) assert.equal(c.identicalButInode, 1);
});

test("every mapped byte at exit is owned by exactly one change", () => {
  const { replay } = replayCaptured("life");
  const root = [...replay.processes.values()][0];
  assert.ok(root?.mm);
  for (const v of root.mm.vmas) {
    let at = v.start;
    for (const p of v.pieces) {
      assert.equal(p.start, at);
      assert.ok(p.end > p.start);
      assert.ok(replay.changes[p.origin]);
      at = p.end;
    }
    assert.equal(at, v.end);
  }
  const live = [...replay.live.values()].reduce((a, b) => a + b, 0n);
  assert.equal(live, root.mm.size());
});

const onPath = (tool: string, arg = "--version") => spawnSync(tool, [arg], { stdio: "ignore" }).status === 0;
const traced =
  spawnSync("strace", ["-f", "-qq", "-e", "trace=none", "/bin/true"], { stdio: "ignore" }).status === 0;
const skip = !onPath("gcc")
  ? "no gcc"
  : !traced
    ? "strace cannot trace here (missing, or ptrace not permitted)"
    : false;

test("a fresh run of life.c, compiled now: the replay at exit equals the kernel's maps", {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-trace-test-"));
  const program = join(dir, "life");
  const built = spawnSync("gcc", ["-O0", "-o", program, resolve("test/fixtures/trace/life.c")], {
    encoding: "latin1",
  });
  assert.equal(built.status, 0, built.stderr);
  const run = await runTrace({
    program,
    path: program,
    args: [join(dir, "self.maps")],
    strace: "strace",
    stacks: true,
    seccomp: true,
    snapshots: true,
    loaderDebug: false,
    holdMicros: 200_000,
    dir: join(dir, "run"),
  });
  assert.equal(run.status, 0);
  assert.ok(run.snapshots.some((s) => s.at === "exec") && run.snapshots.some((s) => s.at === "exit"));
  const k = kernelOfThisMachine();
  const replay = replayTrace(parseStrace(readFileSync(run.traceFile, "latin1")), {
    rules: kernelRules(k.kernel, k.overcommitNever),
    snapshots: run.snapshots,
    fileIdentity: statIdentity,
    skipExecs: run.trampolineExecs,
  });
  for (const c of identical(replay)) assert.ok(c.same, JSON.stringify(c.differences, null, 1));
  const root = [...replay.processes.values()][0];
  assert.ok(root?.mm);
  assert.equal(mapsText(root.mm), readFileSync(join(dir, "self.maps"), "latin1"));
});

// Lines written here: a process (pid 1) whose exec image is two file segments, a bss, [stack] and
// [vdso], then the calls under test.
const IMAGE = [
  "555555554000-555555555000 r--p 00000000 08:01 100                        /bin/prog",
  "555555555000-555555556000 rw-p 00001000 08:01 100                        /bin/prog",
  "555555556000-555555558000 rw-p 00000000 00:00 0 ",
  "7ffff7fc1000-7ffff7fc3000 r-xp 00000000 00:00 0                          [vdso]",
  "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]",
  "",
].join("\n");

function replayLines(calls: string[], pid = 1): Replay {
  let t = 0;
  const line = (p: number, text: string) =>
    `${p} 1700000000.${String(++t).padStart(6, "0")} [00007ffff7fc1234] ${text}`;
  const text = [
    line(pid, 'execve("/bin/prog", ["prog"], 0x7ffe0000 /* 1 vars */) = 0 (DELAYED)'),
    ...calls.map((c) =>
      /^\d+ /.test(c) ? line(Number(c.split(" ")[0]), c.slice(c.indexOf(" ") + 1)) : line(pid, c),
    ),
  ].join("\n");
  const snapshots: Snapshot[] = [{ pid, at: "exec", execIndex: 0, maps: IMAGE, stat: undefined }];
  return replayTrace(parseStrace(text), {
    rules: kernelRules("6.18.0"),
    snapshots,
    fileIdentity: (p) => (p === "/lib/libx.so" ? { dev: "08:01", inode: "200" } : undefined),
  });
}

/** The maps of pid 1, without the image's lines, as `start-end perms offset name`. */
function lines(r: Replay, pid = 1): string[] {
  const mm = r.processes.get(pid)?.mm;
  assert.ok(mm);
  return mapsText(mm)
    .split("\n")
    .filter((l) => l && !IMAGE.includes(l))
    .map((l) => {
      const f = l.split(/ +/);
      return [f[0], f[1], f[2], f[5] ?? ""].join(" ").trim();
    });
}

const ANON = "PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0";

test("adjacent anonymous mappings merge into one line, each keeping its owner", () => {
  const r = replayLines([
    `mmap(NULL, 8192, ${ANON}) = 0x7f0000010000`,
    `mmap(NULL, 4096, ${ANON}) = 0x7f000000f000`,
  ]);
  assert.deepEqual(lines(r), ["7f000000f000-7f0000012000 rw-p 00000000"]);
  const vma = r.processes.get(1)?.mm?.find(0x7f0000010000n);
  assert.deepEqual(
    vma?.pieces.map((p) => r.changes[p.origin]?.event?.line),
    [3, 2],
  );
});

test("MAP_FIXED replaces what was there; munmap and mprotect split; mprotect back merges again", () => {
  const FILE = "PROT_READ, MAP_PRIVATE, 3</lib/libx.so>";
  const r = replayLines([
    `mmap(NULL, 16384, ${FILE}, 0) = 0x7f0000020000`,
    `mmap(0x7f0000021000, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED, 3</lib/libx.so>, 0x8000) = 0x7f0000021000`,
    "munmap(0x7f0000023000, 4096) = 0",
    `mmap(NULL, 12288, ${ANON}) = 0x7f0000030000`,
    "mprotect(0x7f0000031000, 4096, PROT_READ) = 0",
  ]);
  assert.deepEqual(lines(r), [
    "7f0000020000-7f0000021000 r--p 00000000 /lib/libx.so",
    "7f0000021000-7f0000022000 r-xp 00008000 /lib/libx.so",
    "7f0000022000-7f0000023000 r--p 00002000 /lib/libx.so",
    "7f0000030000-7f0000031000 rw-p 00000000",
    "7f0000031000-7f0000032000 r--p 00000000",
    "7f0000032000-7f0000033000 rw-p 00000000",
  ]);
  const back = replayLines([
    `mmap(NULL, 12288, ${ANON}) = 0x7f0000030000`,
    "mprotect(0x7f0000031000, 4096, PROT_READ) = 0",
    "mprotect(0x7f0000031000, 4096, PROT_READ|PROT_WRITE) = 0",
  ]);
  assert.deepEqual(lines(back), ["7f0000030000-7f0000033000 rw-p 00000000"]);
});

test("RELRO: a writable private segment made read-only never merges with the read-only one before it", () => {
  // Contiguous in the file, the same file and flags but VM_ACCOUNT, which the write permission gave.
  const r = replayLines([
    "mmap(NULL, 12288, PROT_READ, MAP_PRIVATE, 3</lib/libx.so>, 0) = 0x7f0000040000",
    "mmap(0x7f0000041000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED, 3</lib/libx.so>, 0x1000) = 0x7f0000041000",
    "mprotect(0x7f0000041000, 4096, PROT_READ) = 0",
  ]);
  assert.deepEqual(lines(r), [
    "7f0000040000-7f0000041000 r--p 00000000 /lib/libx.so",
    "7f0000041000-7f0000042000 r--p 00001000 /lib/libx.so",
    "7f0000042000-7f0000043000 rw-p 00002000 /lib/libx.so",
  ]);
  // Without the write permission ever given, the same pages merge: one line.
  const plain = replayLines([
    "mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3</lib/libx.so>, 0) = 0x7f0000040000",
    "mmap(0x7f0000041000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3</lib/libx.so>, 0x1000) = 0x7f0000041000",
  ]);
  assert.deepEqual(lines(plain), ["7f0000040000-7f0000042000 r--p 00000000 /lib/libx.so"]);
});

test("mremap: growing in place, and a move that keeps its first address's offset (so it merges with nothing)", () => {
  const r = replayLines([
    `mmap(NULL, 4096, ${ANON}) = 0x7f0000050000`,
    "mremap(0x7f0000050000, 4096, 8192, MREMAP_MAYMOVE) = 0x7f0000050000",
    `mmap(NULL, 4096, ${ANON}) = 0x7f0000060000`,
    `mmap(NULL, 4096, ${ANON}) = 0x7f0000070000`,
    "mremap(0x7f0000060000, 4096, 8192, MREMAP_MAYMOVE) = 0x7f000006e000",
  ]);
  assert.deepEqual(lines(r), [
    "7f0000050000-7f0000052000 rw-p 00000000",
    "7f000006e000-7f0000070000 rw-p 00000000",
    "7f0000070000-7f0000071000 rw-p 00000000",
  ]);
});

test("brk: the first growth makes [heap], later ones extend it, a shrink unmaps its top", () => {
  const r = replayLines([
    "brk(NULL) = 0x555555559000",
    "brk(0x55555557a000) = 0x55555557a000",
    "brk(0x55555559b000) = 0x55555559b000",
    "brk(0x55555558a800) = 0x55555558a800",
    "brk(0x7fffffff0000) = 0x55555558a800",
  ]);
  assert.deepEqual(lines(r), ["555555559000-55555558b000 rw-p 00000000 [heap]"]);
  const heap = r.changes.filter((c) => c.kind === "brk");
  assert.deepEqual(
    heap.map((c) => [c.mapped, c.unmapped]),
    [
      [0x21000n, 0n],
      [0x21000n, 0n],
      [0n, 0x10000n],
    ],
  );
});

test("fork copies the address space, a thread shares it, exec replaces it", () => {
  const r = replayLines([
    `mmap(NULL, 4096, ${ANON}) = 0x7f0000080000`,
    "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7ffff7d8aa10) = 2",
    "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, stack=0x7f0000100000, stack_size=0x10000} => {parent_tid=[3]}, 88) = 3",
    "2 munmap(0x7f0000080000, 4096) = 0",
    `3 mmap(NULL, 4096, ${ANON}) = 0x7f0000090000`,
  ]);
  assert.deepEqual(lines(r, 1), [
    "7f0000080000-7f0000081000 rw-p 00000000",
    "7f0000090000-7f0000091000 rw-p 00000000",
  ]);
  assert.deepEqual(lines(r, 2), []);
  assert.equal(r.processes.get(3)?.mm, r.processes.get(1)?.mm);
  assert.equal(r.processes.get(3)?.isThread, true);
});
