// Runs GNU readelf/nm/size over every fixture and option of the matrix, from the repository root with
// relative paths (so "File: test/fixtures/..." lines hold no build path), and stores for each case
// test/golden/<fixture>/<tool>_<args>.out (stdout, always) and .err (stderr, only when non-empty);
// test/golden/cases.tsv lists every case: fixture, command line, exit status.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARCH_DIRS, casesForFixture, FIXTURES, GOLDEN, listFixtures, ROOT } from "./fixtures.mjs";
import { caseFileName, caseLabel } from "./matrix.mjs";

const env = { ...process.env, LC_ALL: "C", LANG: "C" };
// Only what this script writes: test/golden/disasm/ (scripts/make-disasm-golden.sh) and
// known-differences.tsv (written by hand, with reasons) stay.
for (const arch of ARCH_DIRS) rmSync(join(ROOT, GOLDEN, arch), { recursive: true, force: true });
const rows = ["# fixture\tcommand\tstatus"];
let count = 0;
for (const fixture of listFixtures()) {
  const dir = join(ROOT, GOLDEN, fixture);
  mkdirSync(dir, { recursive: true });
  for (const c of casesForFixture(fixture)) {
    const r = spawnSync(c.tool, [...c.args, `${FIXTURES}/${fixture}`], {
      cwd: ROOT,
      env,
      maxBuffer: 1 << 28,
    });
    if (r.error) throw r.error;
    const name = caseFileName(c);
    writeFileSync(join(dir, `${name}.out`), r.stdout);
    if (r.stderr.length > 0) writeFileSync(join(dir, `${name}.err`), r.stderr);
    rows.push(`${fixture}\t${caseLabel(c)}\t${r.status ?? 128}`);
    count++;
  }
}
writeFileSync(join(ROOT, GOLDEN, "cases.tsv"), `${rows.join("\n")}\n`);
// Byte-exact files: no end-of-line conversion, no diffs of Latin-1 text as UTF-8.
writeFileSync(join(ROOT, GOLDEN, ".gitattributes"), "* -text -diff\ncases.tsv text diff\n");
console.log(`golden cases: ${count} over ${listFixtures().length} fixtures`);
