// Every command, on the inputs a new user gives by mistake: a missing file, a directory, a FIFO, an
// empty file and an ELF cut short. Each ends promptly with its own one-line messages (GNU's words for
// the drop-in readelf, nm, size and ldd; `anatomy: FILE: what is wrong` for the rest), never a stack
// trace, an exception's class name, an errno code or an internal error. Runs the built CLI, so a FIFO
// that blocked open() would show as a timeout rather than hang the suite.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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

// `anatomy trace -- PROG`: the program named is the input. The five as they are (mode 0644), and the
// FIFO, the empty file and the cut ELF made executable, which reach strace and the kernel's execve: the
// one line is still anatomy's, and nothing of strace's own (`strace: exec: ...`) shows.
const executable: Record<string, string> = {};
for (const kind of ["fifo", "empty", "truncated"]) {
  executable[`executable ${kind}`] = join(dir, `exec-${kind}`);
  if (kind === "fifo") execFileSync("mkfifo", [executable[`executable ${kind}`]!]);
  else writeFileSync(executable[`executable ${kind}`]!, readFileSync(inputs[kind]!));
  chmodSync(executable[`executable ${kind}`]!, 0o755);
}

/** One line `anatomy: PATH: what is wrong` (matching `why`), a status other than 0 and 2. */
function assertOneProblem(args: string[], path: string, what: string, why?: RegExp) {
  const r = spawnSync(process.execPath, ["bin/anatomy.js", ...args], { encoding: "latin1", timeout: 10_000 });
  assert.equal(r.error, undefined, `${what}: ${r.error?.message}`);
  assert.notEqual(r.status, 0, `${what}: status\n${r.stderr}`);
  assert.notEqual(r.status, 2, `${what}: exit 2 is for internal errors\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at |[A-Z][A-Za-z]*Error\b|\bE[A-Z]{3,}\b/, what);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `${what}: one line, not\n${r.stderr}`);
  assert.ok(lines[0]!.startsWith(`anatomy: ${path}: `), `${what}: ${lines[0]}`);
  if (why) assert.match(lines[0]!.slice(`anatomy: ${path}: `.length), why, what);
}

test("anatomy trace -- PROG on a missing file, a directory, a FIFO, an empty file, a truncated ELF", () => {
  for (const [kind, path] of Object.entries({ ...inputs, ...executable })) {
    // Made executable, it is not "no execute permission" that is wrong with it; the cut ELF, which
    // the kernel's execve fails on past its point of no return (EFAULT, then SIGSEGV), is no report.
    const why = kind.startsWith("executable") ? /^(?!.*no execute permission)/ : undefined;
    assertOneProblem(["trace", "-o", join(dir, "report"), "--", path], path, `trace -- ${kind}`, why);
  }
});

test("anatomy trace --replay DIR on a missing directory, a file, an empty directory", () => {
  const empty = mkdtempSync(join(tmpdir(), "anatomy-inputs-replay-"));
  const cases: [string, string, RegExp][] = [
    ["missing", inputs.missing!, /no such (file or )?directory/],
    ["a file", inputs.truncated!, /not a directory/],
    ["an empty directory", empty, /strace\.txt|kept by anatomy trace --keep/],
  ];
  for (const [kind, path, why] of cases)
    assertOneProblem(["trace", "--replay", path], path, `trace --replay on ${kind}`, why);
});
