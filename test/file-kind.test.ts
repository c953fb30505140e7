// The overview of files that are not ELF: what each is, by its magic, and where to read it instead.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openFile } from "../src/cli/io.js";
import { run } from "../src/cli/overview.js";
import { identifyFile } from "../src/render/file-kind.js";
import { StringOutput } from "../src/render/output.js";

const dir = mkdtempSync(join(tmpdir(), "anatomy-kind-"));

function overview(args: string[]): { out: string; err: string; status: number } {
  const out = new StringOutput();
  const err = new StringOutput();
  const status = run(args, { stdout: out, stderr: err, openFile, env: {}, isTTY: false });
  return { out: out.toString(), err: err.toString(), status };
}

const write = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

test("a #! script names its interpreter and points at the interpreter's overview", () => {
  const r = overview([write("s.sh", "#!/bin/sh -e\necho hi\n")]);
  assert.equal(r.status, 0);
  assert.equal(r.err, "");
  assert.match(
    r.out,
    /Format +not ELF: a script: the kernel \(binfmt_script\) runs \/bin\/sh with the argument '-e'/,
  );
  assert.match(r.out, /Read it +anatomy \/bin\/sh\n/);
});

test("a class file gives its version and the Java release", () => {
  const bytes = Uint8Array.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 61, 0, 0]);
  const k = identifyFile(bytes, bytes.length);
  assert.equal(k.kind, "java-class");
  assert.match(k.description, /version 61\.0 \(Java 17\)/);
  // A Mach-O universal binary shares the magic; its second word is a small count.
  assert.equal(identifyFile(Uint8Array.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), 8).kind, "mach-o");
});

test("zip, gzip, text, empty and unknown data are told apart", () => {
  const kind = (b: number[] | string) => {
    const bytes = typeof b === "string" ? new TextEncoder().encode(b) : Uint8Array.from(b);
    return identifyFile(bytes, bytes.length).kind;
  };
  assert.equal(kind([0x50, 0x4b, 3, 4, 20, 0]), "zip");
  assert.equal(kind([0x1f, 0x8b, 8, 0]), "gzip");
  assert.equal(kind("root:x:0:0:root:/root:/bin/bash\nnaïve\n"), "text");
  assert.equal(kind([0, 1, 2, 3, 0xff]), "data");
  assert.equal(identifyFile(new Uint8Array(0), 0).kind, "empty");
});

test("an ar archive of non-ELF members counts them by kind", () => {
  const member = (name: string, body: string) =>
    `${`${name}/`.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"644".padEnd(8)}${String(body.length).padEnd(10)}\`\n${body}${body.length % 2 ? "\n" : ""}`;
  const p = write("t.a", `!<arch>\n${member("a.txt", "hello\n")}${member("b.sh", "#!/bin/sh\n")}`);
  const r = overview([p]);
  assert.equal(r.status, 0);
  assert.match(r.out, /ar archive, 2 members \(0 ELF, 1 text, 1 script\)/);
});

// Each pyenv CPython's own magic, written by that CPython: the table in file-kind.ts must name them all.
const pyenv = join(homedir(), ".pyenv/versions");
const versions = existsSync(pyenv) ? readdirSync(pyenv).sort() : [];
test("a .pyc from each pyenv CPython is named with its version", {
  skip: versions.length === 0 && "no pyenv",
}, () => {
  const src = write("m.py", "x = 1\n");
  for (const v of versions) {
    const python = join(pyenv, v, "bin/python");
    if (!existsSync(python)) continue;
    const pyc = join(dir, `m-${v}.pyc`);
    execFileSync(python, [
      "-c",
      `import py_compile; py_compile.compile(${JSON.stringify(src)}, ${JSON.stringify(pyc)})`,
    ]);
    const r = overview([pyc]);
    const minor = v.split(".").slice(0, 2).join(".");
    assert.match(r.out, new RegExp(`CPython ${minor.replace(".", "\\.")} bytecode`), `${v}: ${r.out}`);
    assert.match(r.out, new RegExp(`Read it +python${minor.replace(".", "\\.")} -c`), v);
  }
});

test("a missing file and a directory: one line, the path and what is wrong", () => {
  let r = overview([join(dir, "nope")]);
  assert.equal(r.status, 1);
  assert.equal(r.err, `anatomy: ${join(dir, "nope")}: no such file or directory\n`);
  r = overview([dir]);
  assert.equal(r.err, `anatomy: ${dir}: is a directory, not a file\n`);
});
