// Malformed input: ~2000 mutants of the fixtures (seeded, so every run sees the same files) through
// every view of every command (scripts/lib/fuzz-core.mjs VIEWS: readelf, nm, size, the overview, layout,
// check, deps, ldd, bind, bundle planning, addr). Each must end with the command's own messages and status: no exception escaping, no
// "internal error", no hang (2 s per mutant for all views), bounded memory. Reproduce a failure with
// `node scripts/fuzz.mjs --seed SEED --count 1 --save DIR`; ANATOMY_FUZZ_COUNT changes the count.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type FuzzFailure, loadFixtures, mutate, runFuzz, viewLabel } from "../scripts/lib/fuzz-core.mjs";

const SEED = 20_251_122;
const COUNT = Number(process.env.ANATOMY_FUZZ_COUNT ?? 2000);
const TIMEOUT_MS = Number(process.env.ANATOMY_FUZZ_TIMEOUT_MS ?? 2000);

function describe(failures: FuzzFailure[]): string {
  return failures
    .slice(0, 10)
    .map(
      (f) =>
        `seed ${f.seed} (${f.fixture}; ${f.mutations.join(", ")}) "${f.view ? viewLabel(f.view) : "?"}": ${String(f.message ?? f.kind).split("\n")[0]}`,
    )
    .join("\n");
}

test("mutations are reproducible from their seed", () => {
  const fixtures = loadFixtures();
  assert.ok(fixtures.length >= 20, "the fixtures are built (scripts/make-fixtures.sh)");
  const a = mutate(SEED, fixtures);
  const b = mutate(SEED, fixtures);
  assert.equal(a.fixture, b.fixture);
  assert.deepEqual(a.mutations, b.mutations);
  assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
});

const result = await runFuzz({ seed: SEED, count: COUNT, timeoutMs: TIMEOUT_MS });

test(`${COUNT} mutants: every view ends cleanly (no exception, no internal error)`, () => {
  const bad = result.failures.filter((f) => f.kind === "internal error" || f.kind === "crash");
  assert.equal(bad.length, 0, `${bad.length} failures:\n${describe(bad)}`);
});

test(`${COUNT} mutants: no view runs over ${TIMEOUT_MS} ms`, () => {
  const hangs = result.failures.filter((f) => f.kind === "hang");
  assert.equal(hangs.length, 0, `${hangs.length} hangs:\n${describe(hangs)}`);
});

test(`${COUNT} mutants: memory stays bounded (rss growth < 300 MB)`, () => {
  assert.ok(result.rssGrowthMb < 300, `rss grew by ${result.rssGrowthMb.toFixed(0)} MB`);
});

test("the mutants exercise the parsers (most views fail cleanly or succeed, none skipped by all)", () => {
  const c = result.counts;
  assert.equal(c.mutations, COUNT);
  assert.ok(c.ok + c.cleanErrors > 0, "some view ran");
});
