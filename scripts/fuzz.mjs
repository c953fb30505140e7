// Long fuzzing run over mutants of the test fixtures (see scripts/lib/fuzz-core.mjs).
// Usage: node scripts/fuzz.mjs [COUNT | DURATIONs] [--seed N] [--count N] [--seconds S]
//          [--timeout MS] [--save DIR] [--view "readelf -a -W"]...
//   node scripts/fuzz.mjs 20000       20000 mutants
//   node scripts/fuzz.mjs 600s        as many as fit in 10 minutes
//   node scripts/fuzz.mjs --seed 1234 --count 1 --save /tmp/m   reproduce one failure, keep the file
//   node scripts/fuzz.mjs --trace 600s   kept trace runs mutated, read by trace --replay (TRACE_VIEWS);
//                                        --save DIR keeps each as DIR/run-SEED/
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  runFuzz,
  runTraceFuzz,
  SPARSE_VIEWS,
  TRACE_VIEWS,
  VIEWS,
  viewLabel,
  writeRun,
} from "./lib/fuzz-core.mjs";

const argv = process.argv.slice(2);
const opt = {
  seed: Date.now() % 1_000_000_000,
  count: 10_000,
  seconds: Number.POSITIVE_INFINITY,
  timeoutMs: 2000,
  save: null,
  views: [],
  trace: false,
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => argv[++i];
  if (/^\d+s$/.test(a)) {
    opt.seconds = Number(a.slice(0, -1));
    opt.count = Number.POSITIVE_INFINITY;
  } else if (/^\d+$/.test(a)) opt.count = Number(a);
  else if (a === "--seed") opt.seed = Number(next());
  else if (a === "--count") opt.count = Number(next());
  else if (a === "--seconds") {
    opt.seconds = Number(next());
    if (!argv.includes("--count")) opt.count = Number.POSITIVE_INFINITY;
  } else if (a === "--timeout") opt.timeoutMs = Number(next());
  else if (a === "--save") opt.save = next();
  else if (a === "--trace") opt.trace = true;
  else if (a === "--view") opt.views.push(next().split(" ").filter(Boolean));
  else throw new Error(`unknown argument ${a}`);
}
const views = opt.views.length ? opt.views : opt.trace ? TRACE_VIEWS : VIEWS;
console.log(
  `fuzz${opt.trace ? " (trace --replay)" : ""}: seed ${opt.seed}, ${Number.isFinite(opt.count) ? `${opt.count} mutants` : `${opt.seconds} s`}, ${views.length} views each`,
);

const started = Date.now();
let lastReport = started;
const common = {
  seed: opt.seed,
  count: opt.count,
  seconds: opt.seconds,
  // A replay reads 50-100 KB of strace's text three times: more than an ELF view's 2 s on a busy machine.
  timeoutMs: argv.includes("--timeout") || !opt.trace ? opt.timeoutMs : 5000,
  views,
  onProgress(c) {
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      process.stderr.write(`  ${c.mutations} mutants, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
  },
};
const { counts, failures, maxRssMb, unavailable } = opt.trace
  ? await runTraceFuzz({
      ...common,
      onMutant(m) {
        if (opt.save) writeRun(join(opt.save, `run-${m.seed}`), m);
      },
    })
  : await runFuzz({
      ...common,
      // --view runs the views named, each on every mutant; else the compiler's on some (SPARSE_VIEWS).
      sparseViews: opt.views.length ? [] : SPARSE_VIEWS,
      onMutant(m) {
        if (opt.save) {
          mkdirSync(opt.save, { recursive: true });
          writeFileSync(join(opt.save, `mutant-${m.seed}`), m.bytes);
        }
      },
    });

console.log(
  `mutations: ${counts.mutations}, views run: ${counts.views}, clean: ${counts.ok}, clean errors: ${counts.cleanErrors}, internal errors: ${counts.internalErrors}, hangs: ${counts.hangs}, crashes: ${counts.crashes}, max rss: ${maxRssMb.toFixed(0)} MB`,
);
if (unavailable.length) console.log(`not yet written (skipped): ${unavailable.join(", ")}`);
const shown = new Set();
for (const f of failures) {
  // One line per distinct (kind, view, first line of the message); the seed reproduces it.
  const key = `${f.kind}|${f.view ? viewLabel(f.view) : ""}|${String(f.message ?? "").split("\n")[0]}`;
  if (shown.has(key)) continue;
  shown.add(key);
  console.log(
    `FAIL ${f.kind}: seed ${f.seed} (${f.fixture}; ${f.mutations.join(", ")}) view "${f.view ? viewLabel(f.view) : "?"}"`,
  );
  if (f.message) console.log(`    ${String(f.message).split("\n").slice(0, 4).join("\n    ")}`);
}
if (failures.length)
  console.log(
    `${failures.length} failures (${shown.size} distinct); reproduce: node scripts/fuzz.mjs${opt.trace ? " --trace" : ""} --seed SEED --count 1 --save DIR`,
  );
console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = failures.length ? 1 : 0;
