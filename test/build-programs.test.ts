// `anatomy build` on programs of each kind (globals in every data section, the heap through libc, C++,
// a shared library and a program using it, a static link, an AArch64 cross build), each checked
// against what objdump, readelf, nm and ar say of the files gcc made, not against fixed addresses.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { run } from "../src/cli/build.js";
import { closeOpenFiles, openFile } from "../src/cli/io.js";

interface Captured {
  status: number;
  stdout: string;
  stderr: string;
}

async function build(...args: string[]): Promise<Captured> {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: { write: (s: string) => void (stdout += s) },
    stderr: { write: (s: string) => void (stderr += s) },
    openFile,
    env: process.env,
    isTTY: false,
  };
  const status = await run(args, io);
  closeOpenFiles();
  return { status, stdout, stderr };
}

const fixture = (name: string) => resolve("test/fixtures/build", name);
const onPath = (tool: string) => spawnSync(tool, ["--version"]).status === 0;
const tool = (cmd: string, ...args: string[]) =>
  spawnSync(cmd, args, { encoding: "latin1", env: { ...process.env, LC_ALL: "C" } }).stdout;

interface Relocation {
  section: string;
  offset: string;
  type: string;
  symbol: string;
  address?: string;
  bytes?: string;
  target?: string;
  reaches?: string;
  targetName?: string;
  agrees?: boolean;
  imported?: { symbol: string; stub?: string; got: string };
}

interface Json {
  dir: string;
  sources: {
    compiled?: { objects: { name: string; section: string }[] };
    assembled: { file: string; symbols: { letter: string; name: string }[]; relocations: Relocation[] };
  }[];
  link: {
    program: string;
    details: { interpreter?: string; static: boolean; shared: boolean };
    libraries: Record<string, string>;
    archiveMembers: { archive: string; member: string; by: string; symbol: string }[];
    sections: { name: string; size: string; nobits: boolean; allocated: boolean }[];
  };
}

async function buildJson(dir: string, ...args: string[]): Promise<Json> {
  const r = await build("--json", "--keep", dir, ...args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

const newDir = () => mkdtempSync(join(tmpdir(), "anatomy-build-programs-"));

/** objdump -d -w: each instruction's address, bytes in memory order (an AArch64 word split) and text. */
function objdumpLines(
  objdump: string,
  program: string,
): { address: bigint; bytes: string[]; text: string }[] {
  const lines: { address: bigint; bytes: string[]; text: string }[] = [];
  for (const line of tool(objdump, "-d", "-w", program).split("\n")) {
    const x86 = /^ *([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    const word = /^ *([0-9a-f]+):\t([0-9a-f]{8}) \t(.*)$/.exec(line);
    if (x86)
      lines.push({
        address: BigInt(`0x${x86[1]}`),
        bytes: (x86[2] as string).trim().split(" "),
        text: x86[3] as string,
      });
    else if (word) {
      const w = word[2] as string;
      const bytes = [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)];
      lines.push({ address: BigInt(`0x${word[1]}`), bytes, text: word[3] as string });
    }
  }
  return lines;
}

/** The instruction of the listing holding the relocation's field, and whether its bytes are the field's. */
function instructionOf(
  listing: ReturnType<typeof objdumpLines>,
  r: Relocation,
): { text: string; bytesAgree: boolean } {
  const at = BigInt(r.address as string);
  const insn = listing.find((l) => l.address <= at && at < l.address + BigInt(l.bytes.length));
  assert.ok(insn, `an instruction of the program holds ${r.address}`);
  const from = Number(at - insn.address);
  const field = (r.bytes as string).split(" ");
  return { text: insn.text, bytesAgree: insn.bytes.slice(from, from + field.length).join(" ") === r.bytes };
}

/** readelf -S -W: the section headers by index. */
function sectionNames(file: string): Map<number, { name: string; type: string; size: bigint }> {
  const out = new Map<number, { name: string; type: string; size: bigint }>();
  for (const line of tool("readelf", "-S", "-W", file).split("\n")) {
    const m = /^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s/.exec(line);
    if (m) out.set(Number(m[1]), { name: m[2] as string, type: m[3] as string, size: BigInt(`0x${m[4]}`) });
  }
  return out;
}

/** readelf -s -W of the program's .symtab: name -> value and the name of its section. */
function symbolTable(file: string): Map<string, { value: bigint; section: string }> {
  const sections = sectionNames(file);
  const out = new Map<string, { value: bigint; section: string }>();
  let inSymtab = false;
  for (const line of tool("readelf", "-s", "-W", file).split("\n")) {
    if (line.startsWith("Symbol table")) inSymtab = line.includes("'.symtab'");
    const m = /^\s*\d+: ([0-9a-f]+)\s+\d+\s+\S+\s+\S+\s+\S+\s+(\S+)\s+(\S+)$/.exec(line);
    if (!inSymtab || !m || out.has(m[3] as string)) continue;
    const ndx = Number(m[2]);
    out.set(m[3] as string, {
      value: BigInt(`0x${m[1]}`),
      section: sections.get(ndx)?.name ?? (m[2] as string),
    });
  }
  return out;
}

test("globals.c: .data, .rodata and .bss hold what readelf says; the 64 KiB .bss takes no file space", async () => {
  const j = await buildJson(newDir(), fixture("globals.c"));
  const headers = [...sectionNames(j.link.program).values()];
  const bss = headers.find((s) => s.name === ".bss");
  assert.equal(bss?.type, "NOBITS");
  assert.ok(bss && bss.size >= 64n * 1024n, `.bss is ${bss?.size} bytes`);
  const ours = j.link.sections.find((s) => s.name === ".bss");
  assert.equal(ours?.nobits, true);
  assert.equal(BigInt(ours?.size ?? "0"), bss?.size);
  const fileSize = statSync(j.link.program).size;
  assert.ok(fileSize < 32 * 1024, `the program is ${fileSize} bytes on disk, less than half its .bss`);
  // Each object the compiler emitted is in the program's section of that kind, per its symbol table.
  const symbols = symbolTable(j.link.program);
  const objects = j.sources[0]?.compiled?.objects ?? [];
  const where = (name: string) => objects.find((o) => o.name === name || o.name.startsWith(`${name}.`));
  for (const [name, section] of [
    ["initialised", ".data"],
    ["ratios", ".data"],
    ["primes", ".rodata"],
    ["zeroed", ".bss"],
    ["big_buffer", ".bss"],
    ["calls", ".bss"],
  ] as const) {
    const o = where(name);
    assert.ok(o, `the compiler emitted ${name}`);
    assert.ok(o.section.startsWith(section), `${name} compiled into ${o.section}`);
    assert.equal(symbols.get(o.name)?.section, section, `readelf -s puts ${o.name} in ${section}`);
  }
  const listing = objdumpLines("objdump", j.link.program);
  let checked = 0;
  for (const r of j.sources[0]?.assembled.relocations ?? []) {
    assert.notEqual(r.agrees, false, `${r.section}+${r.offset} ${r.symbol}: the field disagrees`);
    if (!r.section.startsWith(".text") || r.bytes === undefined) continue;
    assert.ok(instructionOf(listing, r).bytesAgree, `bytes at ${r.address}`);
    checked++;
  }
  assert.ok(checked >= 8, `${checked} relocations in .text checked`);
});

test("alloc.c: malloc, calloc, realloc and free are calls through PLT stubs bound to libc.so.6", async () => {
  const j = await buildJson(newDir(), fixture("alloc.c"));
  const listing = objdumpLines("objdump", j.link.program);
  const slots = tool("readelf", "-r", "-W", j.link.program);
  for (const name of ["malloc", "calloc", "realloc", "free"]) {
    const calls = (j.sources[0]?.assembled.relocations ?? []).filter((r) => r.symbol === name);
    assert.ok(calls.length > 0, `a relocation for ${name}`);
    for (const r of calls) {
      assert.equal(r.targetName, `${name}@plt`);
      const insn = instructionOf(listing, r);
      assert.ok(insn.bytesAgree, `bytes at ${r.address}`);
      const stub = BigInt(r.reaches as string).toString(16);
      assert.match(insn.text, new RegExp(`call\\s+${stub} <${name}@plt>`), insn.text);
    }
    assert.match(j.link.libraries[name] ?? "", /\/libc\.so\.6$/, `${name} bound to libc`);
    assert.match(slots, new RegExp(`R_X86_64_JUMP_SLOT\\s+0+ ${name}@GLIBC`), `readelf -r: ${name}'s slot`);
  }
});

test("shape.cc: mangled C++ symbols as nm lists them; calls into libstdc++ through PLT stubs", {
  skip: onPath("g++") ? false : "g++ is not installed",
}, async () => {
  const j = await buildJson(newDir(), "--cc", "g++", fixture("shape.cc"));
  const a = j.sources[0]?.assembled;
  assert.ok(a);
  const nm = tool("nm", a.file)
    .split("\n")
    .map((l) => /^(?:[0-9a-f]+| +) (\S) (_Z\S+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);
  const ours = a.symbols.filter((s) => s.name.startsWith("_Z")).map((s) => `${s.letter} ${s.name}`);
  assert.deepEqual(ours.sort(), nm.sort());
  for (const name of ["_ZTV6Square", "_ZTI6Square", "_ZTS5Shape", "_ZN6SquareC2Ed", "_ZNK6Square4areaEv"])
    assert.ok(
      ours.some((s) => s.endsWith(` ${name}`)),
      `${name} among the object's symbols`,
    );
  // std::ostream::operator<<(double): called through its PLT stub, bound to libstdc++.
  const listing = objdumpLines("objdump", j.link.program);
  const call = a.relocations.find((r) => r.symbol === "_ZNSolsEd");
  assert.equal(call?.targetName, "_ZNSolsEd@plt");
  const insn = instructionOf(listing, call as Relocation);
  assert.ok(insn.bytesAgree);
  assert.match(
    insn.text,
    new RegExp(`call\\s+${BigInt(call?.reaches as string).toString(16)} <_ZNSolsEd@plt>`),
  );
  assert.match(j.link.libraries._ZNSolsEd ?? "", /\/libstdc\+\+\.so\.6$/);
  for (const r of a.relocations) assert.notEqual(r.agrees, false, `${r.section}+${r.offset} ${r.symbol}`);
});

test("libgreet.so and usegreet.c: the function and the variable are bound to the library built", async () => {
  const libDir = newDir();
  const library = join(libDir, "libgreet.so");
  const lib = await buildJson(libDir, "-o", library, fixture("libgreet.c"), "--", "-shared", "-fPIC");
  assert.equal(lib.link.program, library);
  assert.equal(lib.link.details.shared, true);
  assert.match(tool("readelf", "-h", library), /Type:\s+DYN/);
  assert.ok(symbolTable(library).get("greet")?.section === ".text", "the library defines greet");
  const j = await buildJson(
    newDir(),
    fixture("usegreet.c"),
    "--",
    "-L",
    libDir,
    "-lgreet",
    `-Wl,-rpath,${libDir}`,
  );
  assert.equal(j.link.libraries.greet, library);
  assert.equal(j.link.libraries.greet_count, library);
  const dynamic = tool("readelf", "-d", j.link.program);
  assert.match(dynamic, /\(NEEDED\)\s+Shared library: \[libgreet\.so\]/);
  assert.ok(dynamic.includes(`Library runpath: [${libDir}]`));
  // greet_count is read where readelf -r says ld.so puts it: its COPY (or GLOB_DAT slot).
  const rows = j.sources[0]?.assembled.relocations ?? [];
  const read = rows.find((r) => r.symbol === "greet_count");
  const copy = /^([0-9a-f]+)\s+\S+\s+R_X86_64_(?:COPY|GLOB_DAT)\s+\S+\s+greet_count/m.exec(
    tool("readelf", "-r", "-W", j.link.program),
  );
  assert.ok(copy, "readelf -r: a COPY or GLOB_DAT for greet_count");
  assert.equal(BigInt(read?.target as string), BigInt(`0x${copy[1]}`));
  assert.equal(rows.find((r) => r.symbol === "greet")?.targetName, "greet@plt");
  const ran = spawnSync(j.link.program, [], { encoding: "latin1" });
  assert.equal(ran.stdout, "hello, world (1)\nhello, again (2)\ngreeted 2 times\n");
});

test("hello.c -static: libc.a's members pulled in by name, printf's among them; no interpreter, no .dynamic", async () => {
  const j = await buildJson(newDir(), fixture("hello.c"), "--", "-static");
  assert.equal(j.link.details.static, true);
  assert.equal(j.link.details.interpreter, undefined);
  assert.ok(j.link.archiveMembers.length > 0);
  const printf = j.link.archiveMembers.find((m) => m.symbol === "printf");
  assert.ok(printf, "a member pulled in for printf");
  assert.match(printf.archive, /\/libc\.a$/);
  assert.match(printf.by, /a-hello\.o$/);
  assert.ok(
    tool("ar", "t", printf.archive).split("\n").includes(printf.member),
    `ar t lists ${printf.member}`,
  );
  // The call goes straight to printf, which readelf -s says the program now defines.
  const call = j.sources[0]?.assembled.relocations.find((r) => r.symbol === "printf");
  assert.equal(BigInt(call?.reaches as string), symbolTable(j.link.program).get("printf")?.value);
  assert.doesNotMatch(tool("readelf", "-l", "-W", j.link.program), /\bINTERP\b|\bDYNAMIC\b/);
  const names = [...sectionNames(j.link.program).values()].map((s) => s.name);
  assert.ok(!names.includes(".dynamic") && !names.includes(".interp"), "no .dynamic, no .interp");
  assert.ok(!j.link.sections.some((s) => s.name === ".interp" || s.name === ".dynamic"));
});

test("globals.c for AArch64: each relocation in .text has the bytes and reaches what the cross objdump shows", {
  skip: onPath("aarch64-linux-gnu-gcc") ? false : "aarch64-linux-gnu-gcc is not installed",
}, async () => {
  const objdump = onPath("aarch64-linux-gnu-objdump") ? "aarch64-linux-gnu-objdump" : "objdump";
  const j = await buildJson(newDir(), "--cc", "aarch64-linux-gnu-gcc", fixture("globals.c"));
  const listing = objdumpLines(objdump, j.link.program);
  let checked = 0;
  for (const r of j.sources[0]?.assembled.relocations ?? []) {
    if (!r.section.startsWith(".text") || r.bytes === undefined) continue;
    const insn = instructionOf(listing, r);
    assert.ok(insn.bytesAgree, `bytes at ${r.address}`);
    assert.ok(r.reaches, `${r.type} ${r.symbol} at ${r.address} is followed`);
    const reaches = BigInt(r.reaches);
    if (/_LO12/.test(r.type)) {
      // add x0, x0, #0xa0 / ldr w0, [x0, #12]: the immediate, a load's already scaled to bytes.
      const imm = /#(0x[0-9a-f]+|\d+)/.exec(insn.text.replace(/^\S+\s+[^,]+,\s*/, ""))?.[1] ?? "0";
      assert.equal(BigInt(imm), reaches & 0xfffn, insn.text);
    } else assert.match(insn.text, new RegExp(`\\s${reaches.toString(16)} <`), insn.text);
    checked++;
  }
  assert.ok(checked >= 10, `${checked} relocations in .text checked`);
});
