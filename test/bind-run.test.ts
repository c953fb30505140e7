import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../src/cli/bind.js";
import { runCli } from "./helpers/run-cli.js";

// The reference is ld.so itself on a real start-up: `PROG --version` only prints a version. These
// lines depend on this machine's libc, so the test compares with the real run, not with a golden.
const usable = process.arch === "x64" && existsSync("/lib64/ld-linux-x86-64.so.2");
const opts = { skip: usable ? false : "x86-64 glibc needed" };
const BINDING = /^ *\d+:\tbinding file /;
const pidless = (l: string) => l.replace(/^ *\d+:\t/, "0:\t");

function realRun(prog: string): string[] {
  const r = spawnSync(prog, ["--version"], {
    env: { LD_DEBUG: "bindings", LD_BIND_NOW: "1" },
    encoding: "latin1",
  });
  return r.stderr
    .split("\n")
    .filter((l) => BINDING.test(l))
    .map(pidless);
}

const env = { LC_ALL: "C" };
const ours = async (args: string[]) =>
  (await runCli(run, ["--ld-debug", ...args], env)).out
    .split("\n")
    .filter((l) => l !== "")
    .map(pidless);

for (const prog of ["/usr/bin/true", "/usr/bin/touch"]) {
  test(
    `bind --ld-debug ${prog}: every binding line of a real LD_BIND_NOW start-up, in order`,
    opts,
    async () => {
      const real = realRun(prog);
      assert.ok(real.length > 100);
      assert.deepEqual(await ours([prog]), real);
    },
  );
}

test(
  "the real start-up's last lookups: the malloc family from the program, ld.so's slots to libc",
  opts,
  async () => {
    const lines = await ours(["/usr/bin/true"]);
    const tail = lines.slice(-8).map((l) => l.replace(/^0:\tbinding file /, ""));
    const libc = "/lib/x86_64-linux-gnu/libc.so.6 [0]";
    assert.deepEqual(tail, [
      ...["calloc", "free", "malloc", "realloc"].map(
        (s) => `/usr/bin/true [0] to ${libc}: normal symbol \`${s}' [GLIBC_2.2.5]`,
      ),
      ...["_dl_catch_exception", "_dl_signal_exception", "_dl_signal_error", "_dl_catch_error"].map(
        (s) => `/lib64/ld-linux-x86-64.so.2 [0] to ${libc}: normal symbol \`${s}' [GLIBC_PRIVATE]`,
      ),
    ]);
    // Under ldd (a trace) ld.so stops after relocating: none of these, and no IFUNC resolver runs.
    const traced = await ours(["--direct", "/usr/bin/touch"]);
    assert.ok(!traced.some((l) => l.includes("ld-linux-x86-64.so.2 [0] to /lib")));
    // setup_vdso_pointers asks for __vdso_time once in both; touch's IFUNC time() asks again when run.
    const vdsoTime = (ls: string[]) => ls.filter((l) => l.endsWith("`__vdso_time' [LINUX_2.6]")).length;
    assert.equal(vdsoTime(traced), 1);
    assert.ok(vdsoTime(await ours(["/usr/bin/touch"])) > 1);
  },
);

test("bind --help says it models LD_BIND_NOW", async () => {
  const r = await runCli(run, ["--help"]);
  assert.match(r.out, /LD_BIND_NOW=1/);
  assert.match(r.out, /lazily/);
});

test("bind on a missing file and a truncated one: anatomy: FILE: what is wrong", async () => {
  const r = await runCli(run, ["/nonexistent"]);
  assert.equal(r.status, 1);
  assert.match(r.err, /^anatomy: \/nonexistent: /);
  const dir = mkdtempSync(join(tmpdir(), "anatomy-bind-"));
  const cut = join(dir, "cut");
  writeFileSync(cut, readFileSync("/usr/bin/true").subarray(0, 3000));
  const t = await runCli(run, [cut]);
  assert.equal(t.status, 1);
  assert.match(t.err, new RegExp(`^anatomy: ${cut}: .*(offset|end of the file)`));
  for (const e of [r.err, t.err]) assert.doesNotMatch(e, /anatomy bind:|Error|internal|\n\s+at /);
});
