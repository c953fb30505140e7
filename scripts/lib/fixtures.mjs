// Where the committed fixtures and their golden outputs live, and how a fixture's cases are chosen.
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { matrix, OBJDUMP_GENERIC_OPTIONS, OBJDUMP_OPTIONS } from "./matrix.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = "test/fixtures";
export const GOLDEN = "test/golden";

/** The directories scripts/make-fixtures.sh builds (other folders under test/fixtures belong to other tests). */
export const ARCH_DIRS = ["aarch64", "arm", "i386", "mips", "riscv64", "s390x", "x86_64"];

/** Fixture names relative to test/fixtures ("x86_64/pie"), sorted. */
export function listFixtures() {
  const out = [];
  for (const arch of ARCH_DIRS) {
    let names;
    try {
      names = readdirSync(join(ROOT, FIXTURES, arch)).sort();
    } catch {
      continue;
    }
    for (const f of names) {
      if (f.startsWith(".") || !statSync(join(ROOT, FIXTURES, arch, f)).isFile()) continue;
      out.push(`${arch}/${f}`);
    }
  }
  return out;
}

export function casesForFixture(fixture) {
  const base = fixture.slice(fixture.lastIndexOf("/") + 1);
  const arch = fixture.slice(0, fixture.indexOf("/"));
  // objdump reads cores through pseudo sections (note0, .reg/PID, loadN) that anatomy does not make yet.
  const objdump =
    base === "core"
      ? ["-f"]
      : arch === "x86_64" || arch === "i386"
        ? OBJDUMP_OPTIONS
        : OBJDUMP_GENERIC_OPTIONS;
  return matrix({ archive: base.endsWith(".a"), debug: base.startsWith("debug-"), objdump });
}
