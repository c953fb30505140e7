// Golden tests: our readelf/nm/size, run in-process over the committed fixtures, must print exactly
// what GNU binutils 2.40 printed (test/golden/, made by scripts/make-golden.sh): stdout byte for byte,
// the same exit status, and the same stderr once each line's program-name prefix is removed.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type CommandIO, type CommandRun, openFile } from "../src/cli/io.js";
import { StringOutput } from "../src/render/output.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const GOLDEN = join(ROOT, "test/golden");
// Golden outputs name files relative to the repository root ("File: test/fixtures/...").
process.chdir(ROOT);

const loaders: Record<string, () => Promise<{ run: CommandRun }>> = {
  readelf: () => import("../src/cli/readelf.js"),
  nm: () => import("../src/cli/nm.js"),
  size: () => import("../src/cli/size.js"),
  objdump: () => import("../src/cli/objdump.js"),
};

interface GoldenCase {
  fixture: string;
  tool: string;
  args: string[];
  status: number;
  /** Golden file name without extension, as scripts/lib/matrix.mjs caseFileName makes it. */
  base: string;
}

function readCases(): GoldenCase[] {
  const tsv = readFileSync(join(GOLDEN, "cases.tsv"), "latin1");
  return tsv
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((line) => {
      const [fixture, command, status] = line.split("\t") as [string, string, string];
      const [tool, ...args] = command.split(" ");
      const base = [tool, ...args].join("_").replace(/[^A-Za-z0-9._=-]/g, "+");
      return { fixture, tool: tool!, args, status: Number(status), base };
    });
}

/** Drops "readelf: ", "nm: ", "anatomy size: " and the like from the start of each line. */
function withoutProgramName(text: string): string {
  return text.replace(/^[^\n:]*\b(?:readelf|nm|size|objdump): /gm, "");
}

/** A short description of where two texts first differ, instead of a diff of two whole outputs. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split("\n");
  const e = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      return `line ${i + 1} of ${e.length - 1}:\n  expected: ${JSON.stringify(e[i] ?? "<end of output>")}\n  actual:   ${JSON.stringify(a[i] ?? "<end of output>")}`;
    }
  }
  return "texts differ";
}

/**
 * Cases where we knowingly differ from GNU, each with its reason (test/golden/known-differences.tsv,
 * also listed in the README). They still run, as `todo` tests that record the difference with
 * t.diagnostic instead of throwing, so the reporter lists no failure for them; a fix shows up as a
 * diagnostic saying the case now matches.
 */
function readKnownDifferences(): Map<string, string> {
  const path = join(GOLDEN, "known-differences.tsv");
  const known = new Map<string, string>();
  if (!existsSync(path)) return known;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [fixture, command, reason] = line.split("\t") as [string, string, string];
    known.set(`${fixture}\t${command}`, reason);
  }
  return known;
}

/** Runs one case in-process; returns how its output first differs from GNU's, or undefined. */
async function difference(c: GoldenCase): Promise<string | undefined> {
  const dir = join(GOLDEN, c.fixture);
  const expectedOut = readFileSync(join(dir, `${c.base}.out`), "latin1");
  const errPath = join(dir, `${c.base}.err`);
  const expectedErr = existsSync(errPath) ? readFileSync(errPath, "latin1") : "";

  const stdout = new StringOutput();
  const stderr = new StringOutput();
  const io: CommandIO = { stdout, stderr, openFile, env: { LC_ALL: "C" }, isTTY: false };
  const { run } = await loaders[c.tool]!();
  const status = await run([...c.args, `test/fixtures/${c.fixture}`], io);

  const out = stdout.toString();
  if (out !== expectedOut) return `stdout differs at ${firstDifference(out, expectedOut)}`;
  const err = withoutProgramName(stderr.toString());
  const wantErr = withoutProgramName(expectedErr);
  if (err !== wantErr) return `stderr differs at ${firstDifference(err, wantErr)}`;
  if (status !== c.status) return `exit status ${status}, GNU ${c.status}`;
  return undefined;
}

const cases = readCases();
const known = readKnownDifferences();
assert.ok(cases.length > 100, "test/golden/cases.tsv lists the golden cases");

test("every known difference names a golden case", () => {
  const listed = new Set(cases.map((c) => `${c.fixture}\t${[c.tool, ...c.args].join(" ")}`));
  const stale = [...known.keys()].filter((k) => !listed.has(k));
  assert.deepEqual(stale, [], "test/golden/known-differences.tsv lists cases that cases.tsv does not");
});

for (const c of cases) {
  const reason = known.get(`${c.fixture}\t${[c.tool, ...c.args].join(" ")}`);
  const name = `${c.tool} ${c.args.join(" ")}${c.args.length ? " " : ""}${c.fixture}`;
  if (reason) {
    test(name, { todo: reason }, async (t) => {
      const diff = await difference(c);
      t.diagnostic(
        diff === undefined
          ? "matches GNU now: drop it from test/golden/known-differences.tsv"
          : `known difference: ${diff}`,
      );
    });
  } else {
    test(name, async () => {
      const diff = await difference(c);
      if (diff !== undefined) assert.fail(diff);
    });
  }
}
