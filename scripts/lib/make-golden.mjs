// Runs GNU readelf/nm/size over every fixture and option of the matrix, from the repository root with
// relative paths (so "File: test/fixtures/..." lines hold no build path), and stores for each case
// test/golden/<fixture>/<tool>_<args>.out (stdout, always) and .err (stderr, only when non-empty);
// test/golden/cases.tsv lists every case: fixture, command line, exit status.
//
// `--only-tool T` and `--only-arch A` (A an architecture directory, or "foreign" for all but x86_64 and
// i386) rerun just the matching cases already listed in cases.tsv and rewrite only their files and rows,
// leaving every other golden file alone: e.g. after the x86-only objdump was replaced by the
// target-aware (multiarch) one, `--only-tool objdump --only-arch foreign`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARCH_DIRS, casesForFixture, FIXTURES, GOLDEN, listFixtures, ROOT } from "./fixtures.mjs";
import { caseFileName, caseLabel } from "./matrix.mjs";

const env = { ...process.env, LC_ALL: "C", LANG: "C" };

function option(name) {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}
const onlyTool = option("--only-tool");
const onlyArch = option("--only-arch");
if (onlyTool !== undefined || onlyArch !== undefined) {
  regenerateSome(onlyTool, onlyArch);
  process.exit(0);
}

/** Reruns the cases.tsv rows whose tool and architecture match, in place. */
function regenerateSome(tool, arch) {
  const archMatches = (a) =>
    arch === undefined || (arch === "foreign" ? a !== "x86_64" && a !== "i386" : a === arch);
  const tsvPath = join(ROOT, GOLDEN, "cases.tsv");
  const lines = readFileSync(tsvPath, "latin1").split("\n");
  let count = 0;
  const out = lines.map((line) => {
    if (line === "" || line.startsWith("#")) return line;
    const [fixture, command] = line.split("\t");
    const [t, ...args] = command.split(" ");
    if ((tool !== undefined && t !== tool) || !archMatches(fixture.slice(0, fixture.indexOf("/"))))
      return line;
    const c = { tool: t, args };
    const r = spawnSync(c.tool, [...c.args, `${FIXTURES}/${fixture}`], {
      cwd: ROOT,
      env,
      maxBuffer: 1 << 28,
    });
    if (r.error) throw r.error;
    const base = join(ROOT, GOLDEN, fixture, caseFileName(c));
    writeFileSync(`${base}.out`, r.stdout);
    if (r.stderr.length > 0) writeFileSync(`${base}.err`, r.stderr);
    else if (existsSync(`${base}.err`)) rmSync(`${base}.err`);
    count++;
    return `${fixture}\t${caseLabel(c)}\t${r.status ?? 128}`;
  });
  writeFileSync(tsvPath, out.join("\n"), "latin1");
  console.log(`golden cases rerun: ${count}`);
}
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
