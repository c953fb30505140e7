// anatomy objdump's command line: GNU objdump 2.40's getopt_long behaviour (clusters, abbreviations,
// `=` forms, @FILE), its messages and exit statuses, and the output order of the views. The expected
// texts were taken from /usr/bin/objdump 2.40 (the golden tests cover the views over every fixture).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openFile } from "../src/cli/io.js";
import { run } from "../src/cli/objdump.js";
import { StringOutput } from "../src/render/output.js";

const X86 = "test/fixtures/x86_64";

async function objdump(...args: string[]): Promise<{ out: string; err: string; rc: number }> {
  const stdout = new StringOutput();
  const stderr = new StringOutput();
  const rc = await run(args, { stdout, stderr, openFile, env: {}, isTTY: false });
  return { out: stdout.toString(), err: stderr.toString(), rc };
}

const DEMO_F = `
${X86}/demo.o:     file format elf64-x86-64
architecture: i386:x86-64, flags 0x00000011:
HAS_RELOC, HAS_SYMS
start address 0x0000000000000000

`;

test("-f of a relocatable object", async () => {
  const r = await objdump("-f", `${X86}/demo.o`);
  assert.deepEqual(r, { out: DEMO_F, err: "", rc: 0 });
});

test("long options by unique prefix, short options in clusters, and @FILE give the same output", async () => {
  const want = await objdump("-f", "-t", `${X86}/demo.o`);
  assert.deepEqual(await objdump("--file-h", "--sy", `${X86}/demo.o`), want);
  assert.deepEqual(await objdump("-ft", `${X86}/demo.o`), want);
  const dir = mkdtempSync(join(tmpdir(), "objdump-args-"));
  writeFileSync(join(dir, "args"), `-f\n'--syms' ${X86}/demo.o\n`);
  assert.deepEqual(await objdump(`@${join(dir, "args")}`), want);
});

test("views print in objdump's order whatever the order of the options", async () => {
  const r = await objdump("-s", "-r", "-t", "-h", `${X86}/demo.o`);
  const heads = r.out
    .split("\n")
    .filter((l) => /^(Sections|SYMBOL TABLE|RELOCATION RECORDS|Contents)/.test(l));
  assert.equal(heads[0], "Sections:");
  assert.equal(heads[1], "SYMBOL TABLE:");
  assert.equal(heads[2], "RELOCATION RECORDS FOR [.text]:");
  assert.match(heads.at(-1)!, /^Contents of section /);
});

test("an ambiguous abbreviation lists the candidates in objdump's table order", async () => {
  const r = await objdump("--st=0", "-f", `${X86}/demo.o`);
  assert.equal(r.rc, 1);
  assert.equal(
    r.err.split("\n")[0],
    "objdump: option '--st' is ambiguous; possibilities: '--stabs' '--start-address' '--stop-address'",
  );
});

test("argument errors: unknown options, arguments where none is allowed, missing arguments", async () => {
  assert.equal((await objdump("--foo", "x")).err.split("\n")[0], "objdump: unrecognized option '--foo'");
  assert.equal((await objdump("-Q", "x")).err.split("\n")[0], "objdump: invalid option -- 'Q'");
  assert.equal(
    (await objdump("-f", "--wide=3", "x")).err.split("\n")[0],
    "objdump: option '--wide' doesn't allow an argument",
  );
  assert.equal((await objdump("-j")).err.split("\n")[0], "objdump: option requires an argument -- 'j'");
  const bad = await objdump("--start-address=zz", "-s", `${X86}/demo.o`);
  assert.deepEqual(bad, { out: "", err: "objdump: --start-address: bad number: zz\n", rc: 1 });
});

test("no view asked for: the usage on stderr, status 2; --help on stdout, status 0", async () => {
  const none = await objdump("-w", `${X86}/demo.o`);
  assert.equal(none.rc, 2);
  assert.match(none.err, /^Usage: objdump <option\(s\)> <file\(s\)>/);
  const help = await objdump("--help");
  assert.equal(help.rc, 0);
  assert.match(help.out, /-x, --all-headers/);
  // Our usage lists only what works.
  assert.doesNotMatch(help.out, /--dwarf|--ctf|--source/);
});

test("an option that is not implemented yet is refused with one line", async () => {
  const r = await objdump("-g", `${X86}/demo.o`);
  assert.deepEqual(r, { out: "", err: "anatomy: objdump: -g is not supported yet\n", rc: 1 });
  const l = await objdump("--dwarf=info", `${X86}/demo.o`);
  assert.equal(l.err, "anatomy: objdump: --dwarf is not supported yet\n");
});

test("-v says it is anatomy's", async () => {
  const r = await objdump("-v");
  assert.equal(r.rc, 0);
  assert.match(r.out, /^anatomy objdump \(GNU binutils-compatible, 2\.40\) \S+\n$/);
});

test("missing, empty, directory and non-ELF inputs: objdump's messages, status 1, the other files still dumped", async () => {
  const dir = mkdtempSync(join(tmpdir(), "objdump-in-"));
  writeFileSync(join(dir, "empty"), "");
  writeFileSync(join(dir, "text"), "hello\n");
  const r = await objdump(
    "-f",
    join(dir, "nope"),
    join(dir, "empty"),
    dir,
    join(dir, "text"),
    `${X86}/demo.o`,
  );
  assert.equal(r.rc, 1);
  assert.equal(r.out, DEMO_F);
  assert.equal(
    r.err,
    `objdump: '${join(dir, "nope")}': No such file\nobjdump: Warning: '${dir}' is a directory\nobjdump: ${join(dir, "text")}: file format not recognized\n`,
  );
});

test("-T and -R on a relocatable object: not a dynamic object, and -R ends objdump", async () => {
  const t = await objdump("-T", `${X86}/demo.o`);
  assert.equal(t.rc, 1);
  assert.equal(t.err, `objdump: ${X86}/demo.o: not a dynamic object\n`);
  assert.match(t.out, /DYNAMIC SYMBOL TABLE:\nno symbols\n\n\n$/);
  const r = await objdump("-R", `${X86}/demo.o`, `${X86}/pie`);
  assert.equal(r.rc, 1);
  assert.equal(
    r.err,
    `objdump: ${X86}/demo.o: not a dynamic object\nobjdump: ${X86}/demo.o: invalid operation\n`,
  );
  assert.doesNotMatch(r.out, /pie/);
});

test("-j names a section no file has: a warning at the end, status 1", async () => {
  const r = await objdump("-s", "-j", ".nope", `${X86}/demo.o`);
  assert.equal(r.rc, 1);
  assert.equal(r.out, `\n${X86}/demo.o:     file format elf64-x86-64\n\n`);
  assert.equal(r.err, "objdump: section '.nope' mentioned in a -j option, but not found in any input file\n");
});

test("-s with -j and an address range", async () => {
  const r = await objdump(
    "-s",
    "-j",
    ".rodata",
    "--start-address=0x2004",
    "--stop-address=0x2031",
    `${X86}/pie`,
  );
  assert.equal(
    r.out,
    `
${X86}/pie:     file format elf64-x86-64

Contents of section .rodata:
 2004 25732025 73202564 20256420 25640a00  %s %s %d %d %d..
 2014 616c7068 61006265 74610067 616d6d61  alpha.beta.gamma
 2024 0064656c 74610065 7073696c 6f        .delta.epsilo   
`,
  );
});

test("archives: In archive, then each member; -a prints the member's ar header", async () => {
  const r = await objdump("-a", `${X86}/libdemo.a`);
  assert.equal(r.rc, 0);
  assert.ok(
    r.out.startsWith(
      `In archive ${X86}/libdemo.a:\n\ndemo.o:     file format elf64-x86-64\nrw-r--r-- 0/0   2192 Jan  1 00:00 1970 demo.o\n\n\nprog.o:`,
    ),
  );
});

test("-T: the version column, hidden versions in parentheses", async () => {
  const r = await objdump("-T", `${X86}/pie`);
  const lines = r.out.split("\n");
  assert.ok(
    lines.includes("0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.34) __libc_start_main"),
  );
  assert.ok(lines.includes("0000000000000000  w   D  *UND*\t0000000000000000  Base        __gmon_start__"));
  assert.ok(lines.includes("0000000000004070 g    DO .bss\t0000000000000010 (DEMO_1.0)   demo_data"));
});

test("-j limits -h, -t and -r to those sections; -T and -R do not mark a section as found", async () => {
  const h = await objdump("-h", "-j", ".text", `${X86}/pie`);
  assert.equal(h.out.split("\n").filter((l) => /^ +\d+ /.test(l)).length, 1);
  const t = await objdump("-t", "-j", ".text", `${X86}/pie`);
  assert.ok(t.out.split("\n").every((l) => !/^[0-9a-f]{16} /.test(l) || l.includes(" .text\t")));
  const T = await objdump("-T", "-j", ".text", `${X86}/pie`);
  assert.equal(T.rc, 1);
  assert.match(T.out, /DYNAMIC SYMBOL TABLE:\n\n\n$/);
  assert.equal(T.err, "objdump: section '.text' mentioned in a -j option, but not found in any input file\n");
});

test("-s from an address that is not a multiple of four: words still break at multiples of four", async () => {
  const r = await objdump("-s", "--start-address=0x1001", "--stop-address=0x1017", `${X86}/pie`);
  assert.ok(
    r.out.includes(
      "Contents of section .init:\n 1001 83ec08 488b05b5 2f000048 85c07402 ff ...H.../..H..t..\n 1011 d04883 c408c3                        .H....          \n",
    ),
  );
});
