import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../src/cli/layout.js";
import { runCli } from "./helpers/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "anatomy-layout-cli-"));
/** The first 3000 bytes of ls: the ELF and program headers, not the dynamic table ld.so needs. */
const truncated = join(dir, "ls-3000");
writeFileSync(truncated, readFileSync("/usr/bin/ls").subarray(0, 3000));
const layout = (args: string[]) => runCli(run, args);

for (const extra of [[], ["--diagram"], ["--json"], ["--format", "maps"], ["--aslr"]]) {
  test(`layout ${extra.join(" ")} on a truncated file: the problem in one line, the execve picture, exit 1`, async () => {
    const r = await layout([...extra, truncated]);
    assert.equal(r.status, 1);
    assert.equal(
      r.err,
      `anatomy: ${truncated}: dynamic section at offset 0x23d98: the dynamic array starts beyond the end of the file\n` +
        `anatomy: ${truncated}: showing the process at execve (--stage exec) instead\n`,
    );
    assert.doesNotMatch(r.err, /internal error|Error:|\n\s+at /);
    assert.ok(r.out.length > 0, "the exec-stage report still prints");
    if (extra[0] === "--json") assert.equal(JSON.parse(r.out).stage, "exec");
    if (extra.length === 0) assert.match(r.out, /^Process image at execve/);
  });
}

test("layout --stage exec on the truncated file needs no dynamic table: exit 0", async () => {
  const r = await layout(["--stage", "exec", truncated]);
  assert.equal(r.status, 0);
  assert.equal(r.err, "");
});

test("layout on a missing file and on a directory: anatomy: FILE: plain words", async () => {
  assert.deepEqual(await layout(["/nonexistent"]), {
    out: "",
    err: "anatomy: /nonexistent: no such file or directory\n",
    status: 1,
  });
  const d = await layout([dir]);
  assert.equal(d.err, `anatomy: ${dir}: is a directory, not a file\n`);
  assert.equal(d.status, 1);
});

test("--aslr takes its level as --aslr, --aslr N and --aslr=N, and refuses other levels in one line", async () => {
  const bare = await layout(["--aslr", "/bin/ls"]);
  assert.equal(bare.status, 0);
  for (const args of [
    ["--aslr=2", "/bin/ls"],
    ["--aslr", "2", "/bin/ls"],
  ]) {
    const r = await layout(args);
    assert.equal(r.status, 0, args.join(" "));
    assert.match(r.out, /randomize_va_space 2 /);
  }
  assert.match((await layout(["--aslr=0", "/bin/ls"])).out, /randomize_va_space 0 /);
  for (const args of [
    ["--aslr", "3", "/bin/ls"],
    ["--aslr=3", "/bin/ls"],
    ["--aslr", "5", "--", "/bin/ls"],
  ]) {
    const r = await layout(args);
    assert.equal(r.status, 1, args.join(" "));
    assert.equal(r.out, "");
    assert.match(
      r.err,
      /^anatomy layout: --aslr [35]: the level is 0, 1 or 2 \(kernel.randomize_va_space\)\n/,
    );
    assert.doesNotMatch(r.err, /open|No such/);
  }
});

test("--aslr at the entry stage (the default) gives the libraries' ranges; --stage exec only execve's", async () => {
  const entry = JSON.parse((await layout(["--aslr=2", "--json", "/bin/ls"])).out);
  const exec = JSON.parse((await layout(["--aslr=2", "--json", "--stage", "exec", "/bin/ls"])).out);
  assert.equal(entry.stage, "entry");
  assert.equal(exec.stage, "exec");
  type Range = { object: string | null; count: string; kind: string };
  const libc = (j: { ranges: Range[] }) => j.ranges.filter((r) => r.object?.endsWith("/libc.so.6"));
  assert.equal(libc(exec).length, 0);
  assert.ok(libc(entry).length >= 4, "libc's segments");
  // Placed below ld.so by the same mmap base: same count of positions as ld.so itself.
  const ld = entry.ranges.find((r: { object: string | null }) => r.object?.includes("ld-linux"));
  for (const r of libc(entry)) assert.equal((r as { count: string }).count, ld.count);
  assert.ok(
    entry.ranges.some((r: { kind: string }) => r.kind === "mmap"),
    "ld.so's own blocks",
  );
});

test("layout --help says the default stage is the entry point", async () => {
  const r = await layout(["--help"]);
  assert.match(r.out, /by default when ld.so\n\s+jumps to the program's entry point/);
  assert.match(r.out, /--aslr\[=0\|1\|2\]/);
});
