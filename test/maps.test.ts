import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { CommandIO } from "../src/cli/io.js";
import { run } from "../src/cli/maps.js";
import { classify, tmpfsDevices, usageOf } from "../src/process/live-map.js";
import { parseSmaps } from "../src/process/proc-maps.js";
import { ELLIPSIS } from "../src/render/elide.js";
import { renderLiveMaps } from "../src/render/live-maps.js";
import { StringOutput } from "../src/render/output.js";

const SMAPS = `555555554000-555555558000 r--p 00000000 fe:00 10     /usr/bin/prog
Size:                 16 kB
Rss:                  16 kB
Pss:                   8 kB
Anonymous:             0 kB
555555576000-555555577000 r--p 00022000 fe:00 10     /usr/bin/prog
Size:                  4 kB
Rss:                   4 kB
Pss:                   4 kB
Anonymous:             4 kB
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
7ffff7100000-7ffff7107000 r--s 00000000 fe:00 12     /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache
Size:                 28 kB
Rss:                  28 kB
Pss:                   5 kB
Anonymous:             0 kB
7ffff7200000-7ffff7201000 r-xp 00000000 fe:00 13     /usr/lib/libx.so
Size:                  4 kB
7ffff7201000-7ffff7203000 ---p 00001000 fe:00 13     /usr/lib/libx.so
Size:                  8 kB
7ffff7300000-7ffff7302000 rw-s 00000000 00:01 3      /dev/zero (deleted)
Size:                  8 kB
Rss:                   8 kB
Pss:                   8 kB
7ffff7400000-7ffff7402000 rw-s 00000000 00:01 4      /memfd:ring (deleted)
Size:                  8 kB
Rss:                   8 kB
Pss:                   4 kB
7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0      [stack]
Size:                132 kB
Rss:                  20 kB
Pss:                  20 kB
`;

test("classify: relro, bss after data, heap, guard, thread stack by its sp, shmem and shared files, main stack", () => {
  const entries = parseSmaps(SMAPS);
  const m = classify(entries, new Map([[4242, 0x7ffff0800f00n]]));
  assert.deepEqual(
    m.map((x) => [x.kind, x.object]),
    [
      ["rodata", "/usr/bin/prog"],
      // The r--p pages _dl_protect_relro split off the rw-p segment: layout's word for them.
      ["relro", "/usr/bin/prog"],
      ["data", "/usr/bin/prog"],
      ["bss", "/usr/bin/prog"],
      ["heap", "[heap]"],
      ["guard", "[anon]"],
      ["thread-stack", "[anon]"],
      ["shmem", "/dev/shm/my shm"],
      // MAP_SHARED of a regular file is a file mapping, not shared memory.
      ["file", "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"],
      ["text", "/usr/lib/libx.so"],
      ["hole", "/usr/lib/libx.so"],
      ["shmem", "/dev/zero"],
      ["shmem", "/memfd:ring"],
      ["stack", "[stack]"],
    ],
  );
  assert.equal(m[6]!.tid, 4242);
  const pss = (i: number) => {
    const u = m[i]!.usage;
    return [u.pssAnon, u.pssFile, u.pssShmem];
  };
  // A private file mapping's copied-on-write pages are anon, the rest file.
  assert.deepEqual(pss(2), [4n, 4n, 0n]);
  assert.deepEqual(pss(1), [4n, 0n, 0n]);
  // tmpfs, shared anonymous memory and memfd are shmem; the read-only gconv cache is Pss_File.
  assert.deepEqual(pss(7), [0n, 0n, 2n]);
  assert.deepEqual(pss(8), [0n, 5n, 0n]);
  assert.deepEqual(pss(11), [0n, 0n, 8n]);
  assert.deepEqual(pss(12), [0n, 0n, 4n]);
  assert.deepEqual(pss(4), [100n, 0n, 0n]);
});

test("tmpfs mounts say which files are shmem, wherever they are mounted", () => {
  const mountinfo = [
    "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12358600k,mode=755",
    "30 25 0:27 / /run/user/1000 rw,nosuid shared:5 - tmpfs tmpfs rw,size=24731400k",
    "31 23 254:0 / / rw,relatime - ext4 /dev/vda rw",
    "",
  ].join("\n");
  const tmpfs = tmpfsDevices(mountinfo);
  assert.deepEqual([...tmpfs], ["0:27"]);
  const [run, shm] = parseSmaps(
    [
      "7f0000000000-7f0000002000 rw-p 00000000 00:1b 2    /run/user/1000/cache",
      "Rss:                   8 kB",
      "Pss:                   8 kB",
      "Anonymous:             4 kB",
      "Private_Dirty:         4 kB",
      "Pss_Dirty:             4 kB",
      "7f0000002000-7f0000003000 rw-s 00000000 00:1c 2    /dev/shm/elsewhere",
      "Rss:                   4 kB",
      "Pss:                   4 kB",
      "",
    ].join("\n"),
  );
  // A private mapping of a tmpfs file: its copied pages are anon, the file's own pages shmem.
  const m = classify([run!, shm!], new Map(), tmpfs);
  assert.deepEqual(
    m.map((x) => [x.kind, x.usage.pssAnon, x.usage.pssFile, x.usage.pssShmem]),
    [
      ["shmem", 4n, 0n, 4n],
      ["file", 0n, 4n, 0n],
    ],
  );
});

test("anonymous pages shared with a forked process count only their share of anon PSS", () => {
  // 8 KiB copied on write, shared with one other process (4 KiB PSS), in a private file mapping
  // whose 4 file pages are shared by 4 processes (4 KiB PSS).
  const [e] = parseSmaps(
    [
      "555555577000-55555557f000 rw-p 00023000 fe:00 10     /usr/bin/prog",
      "Rss:                  24 kB",
      "Pss:                   8 kB",
      "Pss_Dirty:             4 kB",
      "Shared_Clean:         16 kB",
      "Shared_Dirty:          8 kB",
      "Private_Dirty:         0 kB",
      "Anonymous:             8 kB",
      "",
    ].join("\n"),
  );
  const u = usageOf(e!, false);
  assert.deepEqual([u.pssAnon, u.pssFile, u.pssShmem], [4n, 4n, 0n]);
});

test("maps table: long paths keep whole trailing components, and a rounding row makes the total", () => {
  const entries = parseSmaps(
    [
      "7ffff7000000-7ffff7001000 r-xp 00000000 fe:00 13     /root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/_struct.cpython-311-x86_64-linux-gnu.so",
      "Rss:                   4 kB",
      "Pss:                   1 kB",
      "",
    ].join("\n"),
  );
  const rollup = { ...classify(entries, new Map())[0]!.usage };
  rollup.pss += 2n;
  rollup.pssFile += 2n;
  const out = new StringOutput();
  renderLiveMaps({ pid: 1, command: "x", mappings: classify(entries, new Map()), rollup }, out);
  const lines = out.toString().split("\n");
  assert.equal(lines[3]!.slice(0, 44).trimEnd(), `${ELLIPSIS}/_struct.cpython-311-x86_64-linux-gnu.so`);
  assert.match(lines.at(-3)!, /^rounding \(smaps_rollup - mappings\) +0 +0 +2 +0 +2 +0 +0 +0$/);
  assert.match(lines.at(-2)!, /^total \(smaps_rollup\) +4 +4 +3 +0 +3 +0 +0 +0$/);
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

type Kib = Record<"sizeKiB" | "rssKiB" | "pssKiB" | "pssAnonKiB" | "pssFileKiB" | "pssShmemKiB", number>;

/** smaps_rollup's Rss and PSS fields in KiB. */
function rollupOf(pid: number): Record<string, number> {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "latin1");
  return Object.fromEntries([...text.matchAll(/^(\w+):\s+(\d+) kB$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

// A MAP_SHARED regular file (like glibc's gconv-modules.cache), shared anonymous memory, a memfd and
// a private mapping of a tmpfs file, touched, then asleep.
const SHARING = `
import mmap, os, sys, tempfile, time
a = mmap.mmap(-1, 8192, flags=mmap.MAP_SHARED); a[:] = b"x" * 8192
fd = os.memfd_create("anatomy-test"); os.ftruncate(fd, 8192); b = mmap.mmap(fd, 8192); b[:] = b"y" * 8192
f = open(sys.executable, "rb"); c = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ); c[0]; c[4096]
t = tempfile.TemporaryFile(dir="/dev/shm"); t.write(b"z" * 8192); t.flush()
d = mmap.mmap(t.fileno(), 8192, flags=mmap.MAP_PRIVATE); d[0:4096] = b"q" * 4096; d[5000]
print("ready", flush=True)
time.sleep(30)
`;

const hasPython = spawnSync("python3", ["-c", ""]).status === 0;
test("maps rows add up to smaps_rollup's Rss, Pss, Pss_Anon, Pss_File and Pss_Shmem", {
  skip: !hasPython,
}, async () => {
  const child = spawn("python3", ["-c", SHARING], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`python3 exited with ${code}`)));
    });
    const pid = child.pid!;
    // Other processes forking or exiting change what shared pages cost, even between reading smaps
    // and smaps_rollup: a few tries, each with smaps_rollup the same before and after.
    for (let attempt = 1; ; attempt++) {
      const before = rollupOf(pid);
      const r = await maps(["--json", String(pid)]);
      assert.equal(r.status, 0, r.err);
      try {
        assert.deepEqual(rollupOf(pid), before, "smaps_rollup changed while maps read it");
        checkSums(JSON.parse(r.out), before);
        break;
      } catch (e) {
        if (attempt === 5) throw e;
      }
    }
  } finally {
    child.kill("SIGKILL");
  }
});

interface MapsModel {
  objects: { object: string; total: Kib; kinds: ({ kind: string } & Kib)[] }[];
  mappings: ({ kind: string; path: string } & Kib)[];
  rounding: Kib;
  total: Kib;
}

function checkSums(model: MapsModel, rollup: Record<string, number>): void {
  const keys = Object.keys(model.total) as (keyof Kib)[];
  const sum = (rows: Kib[]) => Object.fromEntries(keys.map((k) => [k, rows.reduce((s, u) => s + u[k], 0)]));
  // By construction: the objects' rows plus rounding are smaps_rollup's numbers.
  assert.deepEqual(sum([...model.objects.map((o) => o.total), model.rounding]), model.total);
  for (const o of model.objects) assert.deepEqual(sum(o.kinds), o.total);
  const { Rss, Pss, Pss_Anon, Pss_File, Pss_Shmem } = rollup;
  assert.deepEqual(
    [
      model.total.rssKiB,
      model.total.pssKiB,
      model.total.pssAnonKiB,
      model.total.pssFileKiB,
      model.total.pssShmemKiB,
    ],
    [Rss, Pss, Pss_Anon, Pss_File, Pss_Shmem],
  );
  // And the split is the kernel's: what is left over is only each mapping's PSS rounded down.
  const n = model.mappings.length;
  assert.equal(model.rounding.rssKiB, 0);
  assert.equal(model.rounding.pssAnonKiB, 0);
  for (const k of ["pssKiB", "pssFileKiB", "pssShmemKiB"] as const) {
    assert.ok(model.rounding[k] >= 0 && model.rounding[k] < n, `${k} rounding ${model.rounding[k]}`);
  }
  assert.ok(Pss_Shmem! >= 20, `Pss_Shmem ${Pss_Shmem}`);
  assert.ok(model.mappings.some((m) => m.kind === "file" && m.pssFileKiB > 0 && m.pssShmemKiB === 0));
}

test("maps of a process that does not exist says so in one line", async () => {
  const r = await maps(["999999999"]);
  assert.equal(r.status, 1);
  assert.match(r.err, /^anatomy maps: process 999999999 does not exist/);
  assert.equal(r.err.trim().split("\n").length, 1);
});
