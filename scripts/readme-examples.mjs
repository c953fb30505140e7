// Regenerates the README's example blocks (`<!-- example: NAME -->` before a fenced block) by running
// them (scripts/lib/readme-examples.mjs). `--check` only says which blocks differ, exit 1 if any.
// Usage: npm run build && node scripts/readme-examples.mjs [--check] [NAME...]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib/fixtures.mjs";
import { comparable, EXAMPLES, readmeBlocks, runExample, withBlocks } from "./lib/readme-examples.mjs";

const args = process.argv.slice(2);
const check = args.includes("--check");
const names = args.filter((a) => a !== "--check");
const path = join(ROOT, "README.md");
const readme = readFileSync(path, "utf8");
const blocks = readmeBlocks(readme);
const texts = new Map();
let differ = 0;
for (const ex of EXAMPLES) {
  if (names.length && !names.includes(ex.name)) continue;
  if (!blocks.has(ex.name)) console.log(`README.md has no block for example '${ex.name}'`);
  const text = await runExample(ex);
  const shown = blocks.get(ex.name) ?? "";
  const same = comparable(ex, shown) === comparable(ex, text);
  if (!same) {
    // Only blocks that changed are rewritten: a live example's new PID alone is no change.
    texts.set(ex.name, text);
    differ++;
    console.log(`${check ? "differs" : "updated"}: ${ex.name}`);
  }
}
for (const name of blocks.keys())
  if (!EXAMPLES.some((e) => e.name === name)) console.log(`README.md block '${name}' has no example`);
if (check) process.exitCode = differ ? 1 : 0;
else writeFileSync(path, withBlocks(readme, texts));
