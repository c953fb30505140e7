// Which symbol objdump -d names an address by (src/disasm/symbols.ts), against GNU objdump 2.40's
// listings of test/fixtures/x86_64/ties.s (golden files from scripts/make-disasm-golden.sh): ties
// between types and bindings at one address, names that start with a dot, objects in code dumped as
// bytes, a relocatable file naming addresses of the section being listed by that section's symbols (or
// the section), and a program linked with --emit-relocs (section symbols and relocations kept).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { listing } from "./helpers/disasm.js";

const golden = (name: string) => readFileSync(`test/golden/disasm/x86_64-${name}`, "utf8");
const fixture = (name: string) => `test/fixtures/x86_64/${name}`;

for (const f of ["ties", "ties.o"]) {
  test(`objdump -d x86_64/${f}`, async () => {
    assert.equal(await listing(fixture(f)), golden(`${f}.d.txt`));
  });
  test(`objdump -d -r x86_64/${f}`, async () => {
    assert.equal(await listing(fixture(f), { inlineRelocs: true }), golden(`${f}.dr.txt`));
  });
}

test("an object's dump without raw bytes is its text alone", async () => {
  assert.equal(await listing(fixture("ties.o"), { showRaw: false }), golden("ties.o.no-raw.txt"));
});

test("objdump -D decodes what an object labels instead of dumping it", async () => {
  const all = await listing(fixture("ties.o"), { all: true });
  const lobj = all.slice(all.indexOf("<lobj>:"));
  assert.match(lobj.slice(0, lobj.indexOf("<afunc>")), /\tinsb /);
  assert.doesNotMatch(lobj.slice(0, lobj.indexOf("<afunc>")), /Hello/);
});
