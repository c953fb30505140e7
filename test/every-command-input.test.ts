// Every command, on the inputs a new user gives by mistake: a missing file, a directory, a FIFO, an
// empty file and an ELF cut short. Each ends promptly with its own one-line messages (GNU's words for
// the drop-in readelf, nm, size and ldd; `anatomy: FILE: what is wrong` for the rest), never a stack
// trace, an exception's class name, an errno code or an internal error. Runs the built CLI, so a FIFO
// that blocked open() would show as a timeout rather than hang the suite.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const dir = mkdtempSync(join(tmpdir(), "anatomy-inputs-"));
const inputs: Record<string, string> = {
  missing: join(dir, "missing"),
  directory: dir,
  fifo: join(dir, "fifo"),
  empty: join(dir, "empty"),
  truncated: join(dir, "truncated"),
};
execFileSync("mkfifo", [inputs.fifo!]);
writeFileSync(inputs.empty!, "");
writeFileSync(inputs.truncated!, readFileSync("/usr/bin/ls").subarray(0, 3000));

const COMMANDS: string[][] = [
  [],
  ["readelf", "-a"],
  ["nm"],
  ["size"],
  ["layout"],
  ["layout", "--diagram"],
  ["check"],
  ["deps"],
  ["ldd"],
  ["bind"],
  ["bundle", "--dry-run"],
  ["addr", "{}", "0x1000"],
  ["plt"],
  ["build"],
];
const DROP_IN = new Set(["readelf", "nm", "size", "ldd"]);

for (const cmd of COMMANDS) {
  const label = cmd.length ? cmd.filter((a) => a !== "{}").join(" ") : "(overview)";
  test(`anatomy ${label} on a missing file, a directory, a FIFO, an empty file, a truncated ELF`, () => {
    for (const [kind, path] of Object.entries(inputs)) {
      const args = cmd.includes("{}") ? cmd.map((a) => (a === "{}" ? path : a)) : [...cmd, path];
      const r = spawnSync(process.execPath, ["bin/anatomy.js", ...args], {
        encoding: "latin1",
        timeout: 10_000,
      });
      const what = `${label} on ${kind}`;
      assert.equal(r.error, undefined, `${what}: ${r.error?.message}`);
      assert.notEqual(r.status, 2, `${what}: exit 2 is for internal errors\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at |[A-Z][A-Za-z]*Error\b|\bE[A-Z]{3,}\b/, what);
      // The overview names what an empty file is and exits 0; readelf -a keeps GNU's status.
      const problem =
        !(cmd.length === 0 && kind === "empty") && !(cmd[0] === "readelf" && kind === "truncated");
      if (problem) assert.notEqual(r.status, 0, `${what}: status\n${r.stderr}`);
      if (!DROP_IN.has(cmd[0] ?? "") && r.stderr !== "") {
        for (const line of r.stderr.trimEnd().split("\n"))
          assert.ok(line.startsWith(`anatomy: ${path}: `), `${what}: ${line}`);
      }
    }
  });
}
