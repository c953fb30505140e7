import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openFile } from "../src/cli/io.js";
import { run } from "../src/cli/ldd.js";

test("ldd A B > f 2>&1: each file's lines, stdout and stderr, come out in order", async () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-ldd-order-"));
  const cut = join(dir, "cut");
  writeFileSync(cut, readFileSync("/bin/true").subarray(0, 3000));
  // One file for both streams, as the shell's 2>&1 makes: stdout buffered like the CLI's, stderr not.
  let file = "";
  let buffered = "";
  const stdout = {
    write: (s: string) => void (buffered += s),
    flush: () => {
      file += buffered;
      buffered = "";
    },
  };
  const stderr = { write: (s: string) => void (file += s) };
  const status = await run(["/bin/true", cut, join(dir, "none"), "/bin/true"], {
    stdout,
    stderr,
    openFile,
    env: {},
    isTTY: false,
  });
  stdout.flush();
  assert.equal(status, 1);
  const lines = file.split("\n");
  const at = (s: string) => lines.findIndex((l) => l.startsWith(s));
  assert.ok(at(`${cut}:`) > at("/bin/true:"));
  assert.equal(lines[at(`${cut}:`) + 1], "\tnot a dynamic executable");
  assert.equal(
    lines[at(`${join(dir, "none")}:`) + 1],
    `ldd: ${join(dir, "none")}: No such file or directory`,
  );
  assert.equal(lines.filter((l) => l === "/bin/true:").length, 2);
  assert.ok(lines.lastIndexOf("/bin/true:") > at(`${join(dir, "none")}:`));
});
