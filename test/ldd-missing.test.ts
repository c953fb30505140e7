import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { openFile } from "../src/cli/io.js";

// test/fixtures/ldd/prog needs four libraries found nowhere, one missing absolute path, then libfound.so
// (its $ORIGIN RUNPATH), which needs a missing library before libm (scripts/make-ldd-fixtures.sh).
const fix = join(dirname(fileURLToPath(import.meta.url)), "fixtures/ldd");
const prog = join(fix, "prog");
const have = existsSync(prog);

/** `env -i setarch -R ldd` works here: x86-64 glibc, ldd installed, personality(ADDR_NO_RANDOMIZE) allowed. */
function realLddUsable(): boolean {
  if (process.arch !== "x64" || !existsSync("/lib64/ld-linux-x86-64.so.2")) return false;
  const r = spawnSync("env", ["-i", "setarch", "-R", "ldd", "--version"], { encoding: "latin1" });
  return r.status === 0;
}
const real = have && realLddUsable();

function capture() {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: { write: (s: string) => void (stdout += s) },
    stderr: { write: (s: string) => void (stderr += s) },
    env: {},
    isTTY: false,
    openFile,
  };
  return { io, out: () => stdout, err: () => stderr };
}

async function anatomyLdd(cwd: string, name: string): Promise<string> {
  const { run } = await import("../src/cli/ldd.js");
  const c = capture();
  const before = process.cwd();
  process.chdir(cwd);
  try {
    assert.equal(await run([name], c.io), 0);
  } finally {
    process.chdir(before);
  }
  return c.out();
}

test("ldd load addresses with libraries not found match `env -i setarch -R ldd` (short and long cwd, relative name)", {
  skip: have
    ? real
      ? false
      : "no usable `setarch -R ldd` (x86-64 glibc)"
    : "run scripts/make-ldd-fixtures.sh",
}, async () => {
  // A faked link_map's l_origin is getcwd's buffer: 128 bytes more per 128 characters of cwd.
  const long = join(
    tmpdir(),
    `anatomy-ldd-${process.pid}`,
    ...Array.from({ length: 19 }, () => "d".repeat(50)),
  );
  mkdirSync(long, { recursive: true });
  try {
    // The program named relatively too (ldd runs "./prog"): its l_origin, so $ORIGIN, starts with getcwd.
    for (const [cwd, name] of [
      ["/", prog],
      [long, prog],
      [fix, "prog"],
    ] as const) {
      const want = spawnSync("env", ["-i", "setarch", "-R", "ldd", name], { cwd, encoding: "latin1" }).stdout;
      const got = await anatomyLdd(cwd, name);
      assert.match(got, /\tlibm\.so\.6 => \S+ \(0x[0-9a-f]{16}\)\n/, "addresses are printed");
      assert.match(got, /\tlibanatomy-gone\.so => not found\n/);
      assert.equal(got, want, `${name} in a cwd of ${cwd.length} characters`);
    }
  } finally {
    rmSync(join(tmpdir(), `anatomy-ldd-${process.pid}`), { recursive: true, force: true });
  }
});

test("the entry stage of a program with a library not found says ld.so stops there, and shows execve's picture", {
  skip: !have,
}, async () => {
  const { run } = await import("../src/cli/layout.js");
  const c = capture();
  assert.equal(await run(["--stage", "entry", prog], c.io), 1);
  assert.match(c.out(), /^Process image at execve \(ASLR off\)/);
  assert.match(
    c.err(),
    /^anatomy: .*prog: ld\.so stops before the entry point: error while loading shared libraries: libanatomy-missing-1\.so: cannot open shared object file: No such file or directory\nanatomy: .*prog: showing the process at execve \(--stage exec\) instead\n$/,
  );
  // The exec stage does not depend on the libraries.
  const e = capture();
  assert.equal(await run(["--stage", "exec", "--format", "maps", prog], e.io), 0);
  assert.match(e.out(), /\[stack\]/);
});
