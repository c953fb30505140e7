import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { release } from "node:os";
import { dirname, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { hasGdb, mapsAtEntry, predictedMaps } from "./helpers/layout-env.js";

// The entry stage of i386 programs (RTLD_PROFILE_I386, measured with gdb on Debian 12's libc6-i386):
// test/fixtures/i386/pie loads libdemo.so.1 (a link to libdemo.so) through its $ORIGIN run path.
const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), "fixtures/i386");
const pie = `${fixtures}/pie`;
const expectedFile = `${fixtures}/pie.entry-maps`;
const runnable = existsSync("/lib/ld-linux.so.2") && existsSync("/lib32/libc.so.6") && existsSync(pie);

function predicted(prog: string): string {
  const r = predictedMaps(prog);
  assert.equal(r.stderr, "");
  return r.stdout;
}

/** start-end perms offset path: device and inode numbers differ per checkout, and so does padding. */
function normalized(maps: string): string[] {
  return maps
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const f = l.split(/\s+/);
      return [f[0], f[1], f[2], f.slice(5).join(" ").replace(fixtures, "@FIXTURES@")].join(" ").trimEnd();
    });
}

test("i386 PIE with a run path matches gdb at AT_ENTRY", { skip: !(runnable && hasGdb) }, (t) => {
  const want = mapsAtEntry(pie);
  if (want === undefined) return t.skip("gdb cannot trace here (ptrace restricted)");
  assert.equal(predicted(pie), want);
});

/** The header of the captured maps: what the layout depends on, as on the machine that captured it. */
function sameMachine(header: string): boolean {
  const size = (p: string): string => (existsSync(p) ? String(statSync(p).size) : "none");
  const cachePages = existsSync("/etc/ld.so.cache") ? Math.ceil(statSync("/etc/ld.so.cache").size / 4096) : 0;
  const here = [
    `# ld-linux.so.2 ${size("/lib/ld-linux.so.2")}`,
    `# libc.so.6 ${size("/lib32/libc.so.6")}`,
    `# kernel ${release().split(".").slice(0, 2).join(".")}`,
    `# ld.so.cache pages ${cachePages}`,
  ];
  return here.every((l) => header.includes(l));
}

const captured = existsSync(expectedFile) ? readFileSync(expectedFile, "latin1") : "";
test("i386 PIE: the entry stage as captured from gdb (scripts/make-i386-layout-fixtures.sh --capture)", {
  skip: !(runnable && captured && sameMachine(captured)) && "libc6-i386, kernel or ld.so.cache differ",
}, () => {
  assert.deepEqual(normalized(predicted(pie)), normalized(captured));
});
