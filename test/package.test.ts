// The package as npm would publish it: its files, its bin, its library entry with types, and a clean
// install (esbuild's install script approved, so npm 11 has nothing to warn about).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../scripts/lib/fixtures.mjs";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

test("package.json is ready to publish: bin, engines, files, exports with types, not private", () => {
  assert.equal(pkg.private, undefined);
  assert.deepEqual(pkg.bin, { anatomy: "bin/anatomy.js" });
  assert.equal(pkg.engines.node, ">=20");
  assert.deepEqual(pkg.files, ["bin", "dist", "native", "README.md"]);
  assert.equal(pkg.exports["./elf"].types, "./dist/elf/index.d.ts");
  assert.equal(pkg.types, "./dist/elf/index.d.ts");
  assert.equal(pkg.allowScripts?.esbuild, true);
});

test("npm pack would ship the CLI bundles, the ELF reader with its declarations, and nothing else", () => {
  // --ignore-scripts: pack's prepare would rebuild dist/ under the tests that are using it.
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const files: string[] = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
  for (const f of [
    "bin/anatomy.js",
    "dist/cli/main.js",
    "dist/cli/layout.js",
    "dist/elf/index.js",
    "dist/elf/index.d.ts",
    "README.md",
    "package.json",
  ])
    assert.ok(files.includes(f), f);
  assert.ok(!files.some((f) => f.startsWith("src/") || f.startsWith("test/") || f.startsWith("scripts/")));
});

test("the ELF reader's declarations are there and name its entry points", () => {
  const dts = readFileSync(join(ROOT, "dist/elf/index.d.ts"), "utf8");
  assert.match(dts, /ElfFile/);
  assert.match(dts, /BufferSource/);
});
