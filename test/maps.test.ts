import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import type { CommandIO } from "../src/cli/io.js";
import { run } from "../src/cli/maps.js";
import { classify, usageOf } from "../src/process/live-map.js";
import { parseSmaps } from "../src/process/proc-maps.js";
import { StringOutput } from "../src/render/output.js";

const SMAPS = `555555554000-555555558000 r--p 00000000 fe:00 10     /usr/bin/prog
Size:                 16 kB
Rss:                  16 kB
Pss:                   8 kB
Anonymous:             0 kB
555555577000-555555579000 rw-p 00023000 fe:00 10     /usr/bin/prog
Size:                  8 kB
Rss:                   8 kB
Pss:                   8 kB
Anonymous:             4 kB
Private_Dirty:         8 kB
555555579000-55555557a000 rw-p 00000000 00:00 0 
Size:                  4 kB
Rss:                   4 kB
Pss:                   4 kB
555555600000-555555700000 rw-p 00000000 00:00 0      [heap]
Size:               1024 kB
Rss:                 100 kB
Pss:                 100 kB
7ffff0000000-7ffff0001000 ---p 00000000 00:00 0 
Size:                  4 kB
7ffff0001000-7ffff0801000 rw-p 00000000 00:00 0 
Size:               8192 kB
Rss:                  12 kB
Pss:                  12 kB
7ffff7000000-7ffff7001000 rw-s 00000000 00:05 77     /dev/shm/my shm (deleted)
Size:                  4 kB
Rss:                   4 kB
Pss:                   2 kB
7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0      [stack]
Size:                132 kB
Rss:                  20 kB
Pss:                  20 kB
`;

test("classify: bss after data, heap, guard, thread stack by its sp, shared memory, main stack", () => {
  const entries = parseSmaps(SMAPS);
  const m = classify(entries, new Map([[4242, 0x7ffff0800f00n]]));
  assert.deepEqual(
    m.map((x) => [x.kind, x.object]),
    [
      ["rodata", "/usr/bin/prog"],
      ["data", "/usr/bin/prog"],
      ["bss", "/usr/bin/prog"],
      ["heap", "[heap]"],
      ["guard", "[anon]"],
      ["thread-stack", "[anon]"],
      ["shmem", "/dev/shm/my shm"],
      ["stack", "[stack]"],
    ],
  );
  assert.equal(m[5]!.tid, 4242);
  // A private file mapping's copied-on-write pages are anon, the rest file; shared memory is shmem.
  assert.deepEqual([usageOf(entries[1]!).pssAnon, usageOf(entries[1]!).pssFile], [4n, 4n]);
  assert.equal(usageOf(entries[6]!).pssShmem, 2n);
});

async function maps(args: string[]): Promise<{ out: string; err: string; status: number }> {
  const stdout = new StringOutput();
  const stderr = new StringOutput();
  const io: CommandIO = { stdout, stderr, openFile: () => assert.fail("no files"), env: {}, isTTY: false };
  const status = await run(args, io);
  return { out: stdout.toString(), err: stderr.toString(), status };
}

test("maps of a live process: its binary, libc, stack, and the smaps_rollup total", async () => {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 200));
  try {
    const r = await maps(["--json", String(child.pid)]);
    assert.equal(r.status, 0, r.err);
    const model = JSON.parse(r.out) as { objects: { object: string }[]; total: { rssKiB: number } };
    const names = model.objects.map((o) => o.object);
    assert.ok(names.some((n) => n.endsWith("/sleep")));
    assert.ok(names.some((n) => /libc\.so\.6$/.test(n)));
    assert.ok(names.includes("[stack]"));
    assert.ok(model.total.rssKiB > 0);
  } finally {
    child.kill("SIGKILL");
  }
});

test("maps of a process that does not exist says so in one line", async () => {
  const r = await maps(["999999999"]);
  assert.equal(r.status, 1);
  assert.match(r.err, /^anatomy maps: process 999999999 does not exist/);
  assert.equal(r.err.trim().split("\n").length, 1);
});
