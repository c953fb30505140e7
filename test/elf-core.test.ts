import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { BufferSource, ElfFile, isElfError } from "../src/elf/index.js";

test("opens /bin/sh lazily and reads its tables", () => {
  const bytes = readFileSync("/bin/sh");
  const file = ElfFile.open(new BufferSource(bytes));
  assert.equal(file.header.e_ident[0], 0x7f);
  assert.ok(file.sectionHeaders.length > 10);
  assert.ok(file.programHeaders.length > 3);
  assert.equal(file.sectionName(file.section(file.shstrndx)), ".shstrtab");
});

test("a truncated header is a typed error, not a crash", () => {
  const bytes = readFileSync("/bin/sh").subarray(0, 30);
  assert.throws(
    () => ElfFile.open(new BufferSource(bytes)),
    (e: unknown) => isElfError(e) && e.code === "truncated",
  );
});
