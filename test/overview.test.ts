import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openFile } from "../src/cli/io.js";
import { run } from "../src/cli/overview.js";
import { BufferSource, ElfFile } from "../src/elf/index.js";
import { StringOutput } from "../src/render/output.js";
import { buildOverview, type OverviewModel } from "../src/render/overview.js";

function overview(args: string[]): { out: string; err: string; status: number } {
  const out = new StringOutput();
  const err = new StringOutput();
  const status = run(args, { stdout: out, stderr: err, openFile, env: {}, isTTY: false });
  return { out: out.toString(), err: err.toString(), status };
}

const model = (path: string): OverviewModel =>
  buildOverview(ElfFile.open(new BufferSource(readFileSync(path))), path);

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";

test("/bin/sh: a dynamically linked executable with an interpreter and libc", () => {
  const m = model("/bin/sh");
  assert.equal(m.format, "elf");
  assert.deepEqual(m.problems, []);
  assert.ok(m.identity!.kind === "pie-executable" || m.identity!.kind === "executable");
  assert.match(m.identity!.interpreter!, /^\/lib.*ld-linux.*\.so\.\d$/);
  assert.ok(m.dynamic!.needed.includes("libc.so.6"));
  assert.match(m.identity!.entry, /^0x[0-9a-f]+$/);
  assert.match(m.buildId ?? "", /^[0-9a-f]{40}$/);
  assert.equal(m.facts.static, false);
  // Every PT_LOAD lists sections; .text sits in the executable one, .bss in the writable one.
  const exec = m.segments.find((s) => s.perms.includes("x"))!;
  assert.ok(exec.sections.includes(".text"));
  const rw = m.segments.find((s) => s.perms === "rw-")!;
  assert.ok(rw.nobits.includes(".bss"));
  assert.ok(typeof rw.zeroFill === "number" && rw.zeroFill > 0);
  assert.ok(m.notLoaded.some((s) => s.name === ".shstrtab"));
  assert.ok(m.symbols!.importedFunctions > 10);
});

test("libc.so.6: a shared object with a SONAME, TLS and its own interpreter", {
  skip: !safeExists(LIBC),
}, () => {
  const m = model(LIBC);
  assert.equal(m.identity!.kind, "shared-object");
  assert.equal(m.dynamic!.soname, "libc.so.6");
  assert.equal(m.facts.tls, true);
  assert.ok(m.symbols!.exported > 1000);
  assert.notEqual(m.facts.relro, "none");
});

test("text output fits one screen for /bin/sh and has no escape sequences", () => {
  const { out, status } = overview(["/bin/sh"]);
  assert.equal(status, 0);
  const lines = out.trimEnd().split("\n");
  assert.ok(lines.length <= 45, `${lines.length} lines`);
  assert.ok(lines.every((l) => l.length <= 100));
  assert.ok(!out.includes("\x1b"));
  assert.match(out, /^File {9}\/bin\/sh \(\d+ bytes\)\n/);
  assert.match(out, /\nLoaded segments \(PT_LOAD\)/);
});

test("--json prints the model; addresses are hex strings", () => {
  const { out, status } = overview(["/bin/sh", "--json"]);
  assert.equal(status, 0);
  const m = JSON.parse(out) as OverviewModel;
  assert.equal(m.file, "/bin/sh");
  for (const s of m.segments) {
    assert.match(s.vaddr, /^0x[0-9a-f]+$/);
    assert.match(s.vaddrEnd, /^0x[0-9a-f]+$/);
  }
});

test("a non-ELF file is named by its kind; a broken section table: one-line problem, status 1, the rest printed", () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-overview-"));
  const text = join(dir, "notes.txt");
  writeFileSync(text, "hello, world\n");
  const a = overview([text]);
  // Not a broken ELF file: another kind of file, which the overview names (test/file-kind.test.ts).
  assert.equal(a.status, 0);
  assert.equal(a.err, "");
  assert.match(a.out, /Format +not ELF: text with no #! line/);
  const bytes = Buffer.from(readFileSync("/bin/sh"));
  // e_shoff far beyond the end of the file: sections are lost, segments are not.
  if (bytes[4] === 2) bytes.writeBigUInt64LE(0x7fffffffn, 0x28);
  else bytes.writeUInt32LE(0x7fffffff, 0x20);
  const broken = join(dir, "broken");
  writeFileSync(broken, bytes);
  const b = overview([broken]);
  assert.equal(b.status, 1);
  assert.equal(b.err.trimEnd().split("\n").length, 1);
  assert.match(b.err, /section header table at offset 0x7fffffff/);
  assert.match(b.out, /Loaded segments/);
});

function safeExists(path: string): boolean {
  try {
    readFileSync(path, { flag: "r" }).length;
    return true;
  } catch {
    return false;
  }
}
