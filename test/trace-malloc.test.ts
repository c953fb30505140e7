// `trace --malloc`'s counter (native/malloc-shim.c, built here from its source) and its summary
// (src/trace/malloc.ts) on a fixture whose allocations are known: counts, where each went by the
// chunk's own bits (brk heap, its own mapping, a thread arena), what was left allocated, the call
// sites named from the maps at exit; a program that leaves by _exit keeps its counts; a forked child
// counts into its own file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { BufferSource } from "../src/elf/byte-source.js";
import { ElfFile } from "../src/elf/file.js";
import { mapsSymbolizer, readMallocCounts } from "../src/trace/malloc.js";

const dir = mkdtempSync(join(tmpdir(), "anatomy-malloc-test-"));
const shim = join(dir, "shim.so");
const program = join(dir, "churn");
const cc = (args: string[]) => spawnSync("gcc", args, { encoding: "latin1" });
const builtShim = cc(["-O2", "-Wall", "-shared", "-fPIC", "-o", shim, resolve("native/malloc-shim.c")]);
const builtProgram = cc(["-O1", "-o", program, resolve("test/fixtures/malloc/churn.c")]);
const skip =
  builtShim.status === 0 && builtProgram.status === 0 ? false : "gcc could not build the shim or fixture";

function record(...args: string[]): { bytes: Uint8Array; maps: string | undefined } {
  const out = join(mkdtempSync(join(dir, "run-")), "malloc");
  const r = spawnSync(program, args, {
    env: { ...process.env, LD_PRELOAD: shim, ANATOMY_MALLOC_OUT: out },
    encoding: "latin1",
  });
  assert.equal(r.status, 0, r.stderr);
  const file = `${out}.${r.pid}`;
  return {
    bytes: new Uint8Array(readFileSync(file)),
    maps: existsSync(`${file}.maps`) ? readFileSync(`${file}.maps`, "latin1") : undefined,
  };
}

const openElf = (path: string) => {
  try {
    return ElfFile.open(new BufferSource(new Uint8Array(readFileSync(path))));
  } catch {
    return undefined;
  }
};

test("each allocation counted, by size class and by where glibc put it", { skip }, () => {
  const { bytes, maps } = record();
  assert.ok(maps, "the maps at exit were written");
  const report = readMallocCounts(bytes, mapsSymbolizer(maps, openElf));
  assert.ok(typeof report !== "string", String(report));
  // The fixture's own calls; libc may add a few of its own (stdio buffers, the thread's TLS).
  assert.ok(report.calls.malloc >= 1000 + 1 + 1 + 3 + 10, JSON.stringify(report.calls));
  assert.ok(report.calls.free >= 1000 + 1 + 1 + 10);
  assert.equal(report.calls.realloc, 1);
  // The 200 KiB block went to a mapping of its own, the thread's blocks to its arena.
  assert.equal(report.homes.mmap.count, 1);
  assert.equal(report.homes.mmap.bytes, 200n * 1024n);
  assert.ok(report.homes.arena.count >= 10);
  const over = report.classes.find((c) => c.upTo === undefined);
  assert.equal(over?.count, 1);
  assert.equal(over?.homes.mmap.count, 1);
  // Frees by where the chunk was: the 200 KiB block's own mapping, the thread's arena.
  assert.equal(report.freed.mmap.count, 1);
  assert.ok(report.freed.mmap.bytes >= 200n * 1024n);
  assert.ok(report.freed.arena.count >= 10);
  const small = report.classes.find((c) => c.upTo === 32);
  assert.ok((small?.count ?? 0) >= 1000);
  // Three 100-byte blocks were never freed (and whatever libc keeps to the end).
  assert.ok(
    report.live.count >= 3 && report.live.bytes >= 3n * 112n,
    JSON.stringify(report.live, (_, v) => (typeof v === "bigint" ? String(v) : v)),
  );
  assert.equal(report.threads, 2);
  // The busiest call site is the loop in churn(), named from the program's symbols.
  assert.match(report.sites[0]?.where ?? "", /^churn (churn|main)\+0x[0-9a-f]+$/);
  assert.ok((report.sites[0]?.count ?? 0) >= 1000);
});

test("a program that leaves by _exit keeps every count (no maps: call sites as addresses)", { skip }, () => {
  const { bytes, maps } = record("quick");
  assert.equal(maps, undefined);
  const report = readMallocCounts(bytes, undefined);
  assert.ok(typeof report !== "string");
  assert.ok(report.calls.malloc >= 1015);
  assert.match(report.sites[0]?.where ?? "", /^0x[0-9a-f]+$/);
});

test("a file that is not the recorder's: one clear reason", () => {
  assert.equal(
    readMallocCounts(new Uint8Array(10), undefined),
    "the file is 10 bytes, shorter than its 40-byte header",
  );
  const wrong = new Uint8Array(4096);
  wrong.set([...Buffer.from("NOTMALC1")]);
  assert.equal(readMallocCounts(wrong, undefined), 'magic "NOTMALC1" at offset 0 is not ANTMALC2');
  // A header claiming more blocks than the file holds: only the blocks there are read.
  if (skip) return;
  const { bytes } = record("quick");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setBigUint64(32, 1n << 40n, true);
  const report = readMallocCounts(bytes, undefined);
  assert.ok(typeof report !== "string" && report.threads === 2);
});
