// Encodings objdump 2.40 decodes otherwise than iced-x86 (src/disasm/x86-forms.ts), against objdump -D's
// listing of test/fixtures/x86-forms/*.s, one case per label (golden files from
// scripts/make-disasm-golden.sh): movs to and from segment registers iced has no form for (`%cs`, `%?`),
// cs/ds/es/ss overrides on string instructions in 64-bit code, branch hints with other segment prefixes,
// x87 holes and aliases, arpl, bound, and 66 on 8-bit branches in 32-bit code.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { listing } from "./helpers/disasm.js";

const golden = (name: string) => readFileSync(`test/golden/disasm/${name}`, "utf8");

for (const f of ["forms64.o", "forms32.o"]) {
  test(`objdump -D x86-forms/${f}`, async () => {
    const path = `test/fixtures/x86-forms/${f}`;
    assert.equal(await listing(path, { all: true }), golden(`x86-forms-${f}.D.txt`));
  });
  test(`objdump -D -M intel x86-forms/${f}`, async () => {
    const path = `test/fixtures/x86-forms/${f}`;
    assert.equal(await listing(path, { all: true, syntax: "intel" }), golden(`x86-forms-${f}.intel-D.txt`));
  });
}
