// What a new user does first: the README's two commands, and every example it shows. Each example is
// run again (scripts/lib/readme-examples.mjs, with this checkout's anatomy on PATH) and must print what
// the README shows, exit status included ("[exit status N]"); examples on a live process, and outputs
// with this machine's device and inode numbers, are compared with their numbers masked, and shared
// libraries' load addresses (which move with the size of ld.so.cache) are masked where they show. A README
// edited by hand, or a command whose output changed, fails here: `node scripts/readme-examples.mjs`
// regenerates the blocks.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../scripts/lib/fixtures.mjs";
import { comparable, EXAMPLES, readmeBlocks, runExample } from "../scripts/lib/readme-examples.mjs";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = readmeBlocks(readme);

test("the README's quick start is `npm ci && npx anatomy /usr/bin/ls` and `npm ci && npm test`", () => {
  assert.match(readme, /^npm ci && npx anatomy \/usr\/bin\/ls /m);
  assert.match(readme, /^npm ci && npm test /m);
});

test("npx anatomy /usr/bin/ls (the package's own bin, as npm ci links it) prints the overview", () => {
  const r = spawnSync("npx", ["--no-install", "anatomy", "/usr/bin/ls"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const shown = blocks.get("overview");
  assert.ok(shown, "the README shows the overview");
  assert.equal(`$ anatomy /usr/bin/ls\n${r.stdout}`, shown);
});

test("every README example block belongs to an example the script can regenerate", () => {
  for (const name of blocks.keys())
    assert.ok(
      EXAMPLES.some((e) => e.name === name),
      name,
    );
});

for (const example of EXAMPLES) {
  test(`README example '${example.name}' prints what the README shows`, async () => {
    const shown = blocks.get(example.name);
    assert.ok(shown !== undefined, `README.md has a block '<!-- example: ${example.name} -->'`);
    const now = await runExample(example);
    assert.equal(comparable(example, now), comparable(example, shown));
  });
}
