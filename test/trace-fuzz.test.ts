// Malformed kept runs: ~300 mutants of test/fixtures/trace/captured/* (seeded: strace's text, the maps
// snapshots, ld.so's files and run.json with bytes flipped, cut short, lines duplicated, deleted or
// swapped, numbers changed; scripts/lib/fuzz-core.mjs mutateRun) read by `trace --replay` as text, as
// JSON and at --maps-at (TRACE_VIEWS). Nothing is run. Each must end with the command's own messages
// and a status a process can exit with: no exception escaping, no internal error, no hang, bounded
// memory. Reproduce a failure with `node scripts/fuzz.mjs --trace --seed SEED --count 1 --save DIR`
// (the run is DIR/run-SEED); ANATOMY_TRACE_FUZZ_COUNT changes the count.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type FuzzFailure,
  loadTraceRuns,
  mutateRun,
  runTraceFuzz,
  viewLabel,
} from "../scripts/lib/fuzz-core.mjs";

const SEED = 20_261_207;
const COUNT = Number(process.env.ANATOMY_TRACE_FUZZ_COUNT ?? 300);
const TIMEOUT_MS = Number(process.env.ANATOMY_FUZZ_TIMEOUT_MS ?? 5000);

function describe(failures: FuzzFailure[]): string {
  return failures
    .slice(0, 10)
    .map(
      (f) =>
        `seed ${f.seed} (${f.fixture}; ${f.mutations.join(", ")}) "${f.view ? viewLabel(f.view) : "?"}": ${String(f.message ?? f.kind).split("\n")[0]}`,
    )
    .join("\n");
}

test("replay mutants are reproducible from their seed", () => {
  const runs = loadTraceRuns();
  assert.ok(runs.length >= 5, "the kept runs are captured (scripts/make-trace-fixtures.sh)");
  const a = mutateRun(SEED, runs);
  const b = mutateRun(SEED, runs);
  assert.equal(a.fixture, b.fixture);
  assert.deepEqual(a.mutations, b.mutations);
  assert.deepEqual(a.files, b.files);
  assert.ok(a.mutations.length >= 1);
});

const result = await runTraceFuzz({ seed: SEED, count: COUNT, timeoutMs: TIMEOUT_MS });

test(`${COUNT} replay mutants: trace --replay ends cleanly (no exception, no internal error)`, () => {
  const bad = result.failures.filter((f) => f.kind === "internal error" || f.kind === "crash");
  assert.equal(bad.length, 0, `${bad.length} failures:\n${describe(bad)}`);
});

test(`${COUNT} replay mutants: none runs over ${TIMEOUT_MS} ms`, () => {
  const hangs = result.failures.filter((f) => f.kind === "hang");
  assert.equal(hangs.length, 0, `${hangs.length} hangs:\n${describe(hangs)}`);
});

test(`${COUNT} replay mutants: memory stays bounded (rss growth < 300 MB)`, () => {
  assert.ok(result.rssGrowthMb < 300, `rss grew by ${result.rssGrowthMb.toFixed(0)} MB`);
});

test("the replay mutants reach the report (some replays succeed, some fail cleanly)", () => {
  const c = result.counts;
  assert.equal(c.mutations, COUNT);
  assert.ok(c.ok > 0 && c.cleanErrors > 0, `ok ${c.ok}, clean errors ${c.cleanErrors}`);
});
