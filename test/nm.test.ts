import assert from "node:assert/strict";
import { test } from "node:test";
import { openFile } from "../src/cli/io.js";
import { run } from "../src/cli/nm.js";
import { parseArchive } from "../src/elf/index.js";
import { StringOutput } from "../src/render/output.js";
import { printArchiveIndex } from "../src/render/readelf/archive-index.js";

const X86 = "test/fixtures/x86_64";

async function nm(...args: string[]): Promise<{ out: string; err: string; rc: number }> {
  const stdout = new StringOutput();
  const stderr = new StringOutput();
  const rc = await run(args, { stdout, stderr, openFile, env: {}, isTTY: false });
  return { out: stdout.toString(), err: stderr.toString(), rc };
}

test("default listing of a relocatable object: sorted by name, versioned .symver names", async () => {
  const r = await nm(`${X86}/demo.o`);
  assert.equal(r.rc, 0);
  assert.equal(r.err, "");
  assert.equal(
    r.out,
    `                 U _GLOBAL_OFFSET_TABLE_
                 U __tls_get_addr
0000000000000004 T demo_add@@DEMO_2.0
0000000000000000 T demo_add@DEMO_1.0
0000000000000000 T demo_add_v1
0000000000000004 T demo_add_v2
0000000000000000 R demo_banner
0000000000000009 T demo_count
0000000000000000 D demo_data
0000000000000000 D demo_data_ptr
0000000000000025 W demo_hook
0000000000000000 D demo_tls_counter
`,
  );
});

test("-a adds section and file symbols", async () => {
  const r = await nm("-a", `${X86}/demo.o`);
  assert.match(r.out, /^0000000000000000 t \.text$/m);
  assert.match(r.out, /^0000000000000000 a demo\.c$/m);
});

test("-D prints dynamic symbols with @ and @@ version suffixes", async () => {
  const r = await nm("-D", `${X86}/libdemo.so`);
  assert.match(r.out, /^0000000000000000 A DEMO_1\.0$/m);
  assert.match(r.out, /^ {17}w __cxa_finalize$/m);
  assert.match(r.out, /^ {17}U __tls_get_addr@GLIBC_2\.3$/m);
  assert.match(r.out, /^000000000000110d T demo_add@@DEMO_2\.0$/m);
  assert.match(r.out, /^000000000000112e W demo_hook@@DEMO_2\.0$/m);
});

test("-A -g on an archive prefixes archive:member:", async () => {
  const r = await nm("-A", "-g", `${X86}/libdemo.a`);
  const lines = r.out.split("\n");
  assert.equal(lines[0], `${X86}/libdemo.a:demo.o:                 U _GLOBAL_OFFSET_TABLE_`);
  assert.ok(lines.includes(`${X86}/libdemo.a:prog.o:                 w optional_plugin_init`));
  assert.ok(lines.includes(`${X86}/libdemo.a:cxx.o:0000000000000000 V _ZTIN7anatomy4demo5PointE`));
});

test("-n sorts undefined first, then by address, ties by name (32-bit widths)", async () => {
  const r = await nm("-n", "test/fixtures/i386/demo.o");
  assert.deepEqual(r.out.split("\n").slice(0, 4), [
    "         U _GLOBAL_OFFSET_TABLE_",
    "         U ___tls_get_addr",
    "00000000 T __x86.get_pc_thunk.bx",
    "00000000 T demo_add@DEMO_1.0",
  ]);
});

test("-C demangles C++ names", async () => {
  const r = await nm("-C", `${X86}/cxx.o`);
  assert.match(r.out, /^0000000000000000 T anatomy::demo::area\(int, int\)$/m);
  assert.match(r.out, /^0000000000000000 V typeinfo for anatomy::demo::Point$/m);
});

test("errors: missing file, no symbols, bad option", async () => {
  let r = await nm("/nonexistent-anatomy-file");
  assert.equal(r.rc, 1);
  assert.equal(r.err, "nm: '/nonexistent-anatomy-file': No such file\n");
  r = await nm("-Z", `${X86}/demo.o`);
  assert.equal(r.rc, 1);
  assert.ok(r.err.startsWith("nm: invalid option -- 'Z'\nUsage: nm [option(s)] [file(s)]\n"));
  r = await nm("-D", `${X86}/demo.o`);
  assert.equal(r.err, `nm: ${X86}/demo.o: no symbols\n`);
  assert.equal(r.rc, 0);
});

test("several files get a header each", async () => {
  const r = await nm("-u", `${X86}/demo.o`, "test/fixtures/i386/demo.o");
  assert.ok(r.out.startsWith(`\n${X86}/demo.o:\n                 U _GLOBAL_OFFSET_TABLE_\n`));
  assert.ok(r.out.includes(`\ntest/fixtures/i386/demo.o:\n         U _GLOBAL_OFFSET_TABLE_\n`));
});

test("readelf -c archive index", () => {
  const src = openFile(`${X86}/libdemo.a`);
  try {
    const out = new StringOutput();
    const errors: string[] = [];
    printArchiveIndex(parseArchive(src), "lib.a", out, (m) => errors.push(m));
    const text = out.toString();
    assert.deepEqual(errors, []);
    assert.match(text, /^Index of archive lib\.a: \(\d+ entries, 0x[0-9a-f]+ bytes in the symbol table\)\n/);
    assert.match(text, /^Contents of binary lib\.a\(demo\.o\) at offset 0x[0-9a-f]+\n\tdemo_add_v1\n/m);
  } finally {
    src.close();
  }
});

test("posix format, armap listing, core files are not objects", async () => {
  let r = await nm("-P", "-u", `${X86}/demo.o`);
  assert.equal(r.out, "_GLOBAL_OFFSET_TABLE_ U         \n__tls_get_addr U         \n");
  r = await nm("-s", `${X86}/libdemo.a`);
  assert.ok(r.out.startsWith("\nArchive index:\ndemo_add_v1 in demo.o\n"));
  r = await nm(`${X86}/core`);
  assert.equal(r.rc, 1);
  assert.equal(r.err, `nm: ${X86}/core: file format not recognized\n`);
});
