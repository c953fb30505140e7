import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../src/cli/check.js";
import { runCli } from "./helpers/run-cli.js";

test("check on a truncated PIE: the problem in one line, '?' where the dynamic table would tell, exit 1", async () => {
  const cut = join(mkdtempSync(join(tmpdir(), "anatomy-check-")), "cut");
  writeFileSync(cut, readFileSync("/usr/bin/ls").subarray(0, 3000));
  const r = await runCli(run, [cut]);
  assert.equal(r.status, 1);
  assert.equal(
    r.err,
    `anatomy: ${cut}: dynamic section at offset 0x23d98: the dynamic array starts beyond the end of the file\n`,
  );
  const [header, row] = r.out.split("\n");
  const cols = (l: string) => l.trim().split(/\s+/);
  const field = (name: string) => cols(row!)[cols(header!).indexOf(name)];
  assert.equal(field("RELRO"), "?");
  assert.equal(field("PIE"), "?");
  assert.equal(field("NX"), "yes"); // PT_GNU_STACK is in the program headers, which are all there
  const json = JSON.parse((await runCli(run, ["--format", "checksec", cut])).out);
  assert.equal(json[cut].relro, "unknown");
  assert.equal(json[cut].pie, "unknown");
});
