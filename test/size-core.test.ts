import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { BufferSource, ElfFile } from "../src/elf/index.js";
import { SEC_ALLOC, SEC_CODE, SEC_HAS_CONTENTS, SEC_READONLY } from "../src/render/size.js";
import { coreImage } from "../src/render/size-core.js";

const CORE = new URL("./fixtures/x86_64/core", import.meta.url);
const open = (bytes: Uint8Array): ElfFile => ElfFile.open(new BufferSource(bytes));

test("core file: phdr and note pseudo-sections in BFD's order, command from NT_PRPSINFO", () => {
  const image = coreImage(open(readFileSync(CORE)));
  assert.equal(image.command, "/tmp/anatomy-core/stopper");
  assert.deepEqual(
    image.sections.map((s) => s.name),
    [
      "note0",
      ".reg/1591",
      ".reg",
      ".reg2/1591",
      ".reg2",
      ".reg-xstate/1591",
      ".reg-xstate",
      ".note.linuxcore.siginfo/1591",
      ".note.linuxcore.siginfo",
      ".auxv",
      ".note.linuxcore.file/1591",
      ".note.linuxcore.file",
      ".gdb-tdesc/1591",
      ".gdb-tdesc",
      "load1",
      "load2",
      "load3",
      "load4",
    ],
  );
  const byName = new Map(image.sections.map((s) => [s.name, s]));
  assert.equal(byName.get(".reg")!.size, 216n);
  assert.equal(byName.get(".reg")!.flags, SEC_HAS_CONTENTS);
  assert.equal(byName.get("note0")!.flags & SEC_ALLOC, 0);
  const load2 = byName.get("load2")!; // R E
  assert.ok(load2.flags & SEC_CODE && load2.flags & SEC_READONLY && load2.flags & SEC_ALLOC);
  const load3 = byName.get("load3")!; // RW
  assert.equal(load3.flags & (SEC_CODE | SEC_READONLY), 0);
});

test("core file: a segment with p_memsz > p_filesz splits into loadNa and loadNb", () => {
  const bytes = new Uint8Array(readFileSync(CORE));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Program header 3 (64-bit, at e_phoff 64): grow p_memsz (offset 40) by 0x1000.
  const at = 64 + 3 * 56;
  view.setBigUint64(at + 40, view.getBigUint64(at + 40, true) + 0x1000n, true);
  const image = coreImage(open(bytes));
  const a = image.sections.find((s) => s.name === "load3a")!;
  const b = image.sections.find((s) => s.name === "load3b")!;
  assert.equal(b.size, 0x1000n);
  assert.equal(b.vma, a.vma + a.size);
  assert.equal(b.flags & SEC_HAS_CONTENTS, 0);
  assert.ok(b.flags & SEC_ALLOC);
});

test("core file: a note running past its segment makes the file unrecognised", () => {
  const bytes = new Uint8Array(readFileSync(CORE));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const noteOffset = Number(view.getBigUint64(64 + 8, true));
  view.setUint32(noteOffset + 4, 0x7fffffff, true); // descsz of the first note
  assert.throws(() => coreImage(open(bytes)), { name: "BfdFormatError" });
});
