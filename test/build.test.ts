// `anatomy build` against the real tools: every relocation of the user's objects followed into the
// program must agree with `objdump -d` of the program (the bytes at that address, the address they
// reach), the relocations listed with `objdump -r` of the object, the link command with the one
// `gcc -###` prints, and a failing build must show gcc's own diagnostics. Runs gcc (as the command
// does) on the sources in test/fixtures/build.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { splitCommandLine } from "../src/build/driver.js";
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

interface Json {
  dir: string;
  sources: {
    assembled: {
      file: string;
      sections: { name: string; size: string }[];
      relocations: {
        section: string;
        offset: string;
        type: string;
        symbol: string;
        address?: string;
        bytes?: string;
        reaches?: string;
        targetName?: string;
        agrees?: boolean;
        note?: string;
        imported?: { symbol: string };
      }[];
    };
  }[];
  link: {
    program: string;
    command: { program: string; args: string[] };
    libraries: Record<string, string>;
    sections: {
      name: string;
      nobits: boolean;
      allocated: boolean;
      padding: string;
      inputs: { file: string; section: string; size: string; byLinker: boolean }[];
    }[];
  };
}

async function buildJson(...args: string[]): Promise<Json> {
  const r = await build("--json", "--keep", mkdtempSync(join(tmpdir(), "anatomy-build-test-")), ...args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

/** objdump -d of the program: each instruction's address, bytes and text. */
function objdumpLines(program: string): { address: bigint; bytes: string[]; text: string }[] {
  const out = spawnSync("objdump", ["-d", "-w", program], { encoding: "latin1" }).stdout;
  const lines: { address: bigint; bytes: string[]; text: string }[] = [];
  for (const line of out.split("\n")) {
    const m = /^ *([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    if (m)
      lines.push({
        address: BigInt(`0x${m[1]}`),
        bytes: (m[2] as string).trim().split(" "),
        text: m[3] as string,
      });
  }
  return lines;
}

/** `objdump -r` of an object: "SECTION OFFSET TYPE" for each relocation of an allocated section. */
function objdumpRelocations(object: string): string[] {
  const out = spawnSync("objdump", ["-r", object], { encoding: "latin1" }).stdout;
  const rows: string[] = [];
  let section = "";
  for (const line of out.split("\n")) {
    const head = /^RELOCATION RECORDS FOR \[(.*)\]:/.exec(line);
    if (head) section = head[1] as string;
    const m = /^([0-9a-f]{16}) (R_\S+)\s+(\S+)/.exec(line);
    if (m && !section.startsWith(".debug"))
      rows.push(`${section} 0x${BigInt(`0x${m[1]}`).toString(16)} ${m[2]}`);
  }
  return rows;
}

/** Checks every followed relocation in code against GNU objdump's listing of the program. */
function checkAgainstObjdump(j: Json): number {
  const listing = objdumpLines(j.link.program);
  let checked = 0;
  for (const s of j.sources) {
    const rows = s.assembled.relocations;
    assert.deepEqual(
      rows.map((r) => `${r.section} ${r.offset} ${r.type}`),
      objdumpRelocations(s.assembled.file),
      `${s.assembled.file}: the relocations objdump -r lists`,
    );
    for (const r of rows) {
      if (r.section === ".eh_frame") {
        assert.match(r.note ?? "", /rewrites/);
        continue;
      }
      assert.notEqual(r.agrees, false, `${r.section}+${r.offset} ${r.symbol}: the field disagrees`);
      if (r.bytes === undefined || r.address === undefined || !r.section.startsWith(".text")) continue;
      const at = BigInt(r.address);
      const insn = listing.find((l) => l.address <= at && at < l.address + BigInt(l.bytes.length));
      assert.ok(insn, `an instruction of the program holds 0x${at.toString(16)}`);
      const from = Number(at - insn.address);
      const field = r.bytes.split(" ");
      assert.deepEqual(insn.bytes.slice(from, from + field.length), field, `bytes at ${r.address}`);
      // objdump names the address the instruction reaches: `call 1030 <printf@plt>`, `# 4018 <global_var>`.
      const reached = BigInt(r.reaches as string).toString(16);
      assert.match(insn.text, new RegExp(`\\b${reached} <`), `${insn.text} reaches 0x${reached}`);
      checked++;
    }
  }
  return checked;
}

test("build hello.c: each relocation's address, bytes and target agree with objdump; printf through its PLT stub to libc", async () => {
  const j = await buildJson(fixture("hello.c"));
  assert.ok(checkAgainstObjdump(j) >= 4);
  const printf = j.sources[0]?.assembled.relocations.find((r) => r.symbol === "printf");
  assert.equal(printf?.targetName, "printf@plt");
  assert.match(j.link.libraries.printf ?? "", /libc\.so\.6$/);
  const bss = j.link.sections.find((s) => s.name === ".bss");
  assert.equal(bss?.nobits, true);
  // What ld makes itself is the linker's, though the map files it under Scrt1.o; the rest is padding.
  const plt = j.link.sections.find((s) => s.name === ".plt");
  assert.ok(plt && plt.inputs.length > 0 && plt.inputs.every((i) => i.byLinker), ".plt is the linker's");
  const text = j.link.sections.find((s) => s.name === ".text");
  assert.ok(
    text?.inputs.every((i) => !i.byLinker),
    ".text is the objects'",
  );
  const readelf = spawnSync("readelf", ["-S", "-W", j.link.program], { encoding: "latin1" }).stdout;
  let sized = 0;
  for (const m of readelf.matchAll(/\] (\S+)\s+\S+\s+[0-9a-f]+ [0-9a-f]+ ([0-9a-f]+) /g)) {
    const ours = j.link.sections.find((s) => s.name === m[1] && s.allocated);
    if (!ours) continue;
    const sum = ours.inputs.reduce((n, i) => n + BigInt(i.size), 0n) + BigInt(ours.padding);
    assert.equal(sum, BigInt(`0x${m[2]}`), `${m[1]}: inputs and padding make readelf's size`);
    sized++;
  }
  assert.ok(sized >= 20, `${sized} sections checked against readelf -S`);
  // What the object gave each output section is what its own sections hold.
  const obj = j.sources[0]?.assembled;
  for (const sec of obj?.sections ?? []) {
    if (sec.name === ".eh_frame") continue;
    const given = j.link.sections
      .flatMap((s) => s.inputs)
      .find((i) => i.file === obj?.file && i.section === sec.name);
    assert.equal(given?.size, sec.size, `${sec.name} of the object`);
  }
});

test("build of two files: a call between them needs no PLT stub; the other's variable is found", async () => {
  const j = await buildJson(fixture("two-a.c"), fixture("two-b.c"));
  assert.ok(checkAgainstObjdump(j) >= 4);
  const rows = j.sources[0]?.assembled.relocations ?? [];
  const helper = rows.find((r) => r.symbol === "helper");
  assert.equal(helper?.targetName, "helper");
  assert.match(helper?.note ?? "", /no PLT stub/);
  assert.ok(rows.some((r) => r.symbol === "shared_counter" && r.targetName === "shared_counter"));
});

test("build with -lm: sqrt is bound to libm", async () => {
  const j = await buildJson(fixture("math.c"), "-lm");
  checkAgainstObjdump(j);
  assert.match(j.link.libraries.sqrt ?? "", /libm\.so\.6$/);
});

interface Summary {
  program: string;
  fileSize: number;
  text: string;
  data: string;
  bss: string;
  interpreter?: string;
  needed: string[];
  members: { archive: string; count: number }[];
  startUp?: { runs: number; medianMs: number; minMs: number; status: number };
}

test("--static: both programs side by side; sizes as size counts them, members as the map lists them, start-up timed", async () => {
  const r = await build(
    "--json",
    "--static",
    "--runs",
    "20",
    "--keep",
    mkdtempSync(join(tmpdir(), "anatomy-build-test-")),
    fixture("hello.c"),
  );
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Json & {
    static: {
      dynamic: Summary;
      static: Summary;
      pulled: { archive: string; member: string; by: string; symbol: string }[];
    };
  };
  const { dynamic, static: linked, pulled } = j.static;
  for (const p of [dynamic, linked]) {
    const berkeley = spawnSync("size", [p.program], { encoding: "latin1" })
      .stdout.split("\n")[1]
      ?.trim()
      .split(/\s+/);
    assert.deepEqual(
      [p.text, p.data, p.bss].map((v) => String(BigInt(v))),
      berkeley?.slice(0, 3),
      `size ${p.program}`,
    );
    assert.equal(p.startUp?.runs, 20);
    assert.equal(p.startUp?.status, 0);
    assert.ok((p.startUp?.minMs ?? 0) > 0 && (p.startUp?.minMs ?? 0) <= (p.startUp?.medianMs ?? 0));
  }
  assert.match(dynamic.interpreter ?? "", /ld-linux-x86-64\.so\.2$/);
  assert.deepEqual(dynamic.needed, ["libc.so.6"]);
  assert.equal(linked.interpreter, undefined);
  assert.deepEqual(linked.needed, []);
  assert.equal(readelfHas(linked.program, "-d", "There is no dynamic section"), true);
  // The member that defines printf was pulled in for it, by the user's object.
  const printf = pulled.find((m) => m.symbol === "printf");
  assert.ok(printf && /libc\.a$/.test(printf.archive), JSON.stringify(printf));
  assert.match(printf.by, /hello\.o$/);
  const defines = spawnSync("nm", ["--defined-only", printf.archive], { encoding: "latin1" }).stdout;
  const inMember = defines.split(`\n${printf.member}:\n`)[1]?.split("\n\n")[0] ?? "";
  assert.match(inMember, / T printf$/m, `${printf.member} of libc.a defines printf`);
  assert.equal(
    linked.members.reduce((n, m) => n + m.count, 0),
    pulled.length,
  );
  const text = await build("--static", "--full", "--runs", "2", fixture("hello.c"));
  assert.match(text.stdout, /== static beside dynamic/);
  assert.match(text.stdout, /libc\.a\(printf\.o\) for printf, needed by a-hello\.o/);
});

function readelfHas(file: string, option: string, text: string): boolean {
  return spawnSync("readelf", [option, file], { encoding: "latin1" }).stdout.includes(text);
}

const AARCH64_CC = "aarch64-linux-gnu-gcc";
const aarch64Absent =
  spawnSync(AARCH64_CC, ["--version"]).status === 0 &&
  spawnSync("aarch64-linux-gnu-objdump", ["--version"]).status === 0
    ? false
    : `${AARCH64_CC} or aarch64-linux-gnu-objdump is not installed`;

/**
 * Checks every followed AArch64 relocation in code against aarch64-linux-gnu-objdump -d of the
 * program: the instruction word at the address, and what it reaches: a bl's target, an adrp's page,
 * and for an add or load the low 12 bits of the address (ldr prints them scaled, in decimal).
 */
function checkAarch64(j: Json): { branch: number; page: number; low: number } {
  const listing = new Map<bigint, { word: string; text: string }>();
  const dump = spawnSync("aarch64-linux-gnu-objdump", ["-d", "-w", j.link.program], { encoding: "latin1" });
  for (const line of dump.stdout.split("\n")) {
    const m = /^ *([0-9a-f]+):\t([0-9a-f]{8}) \t(.*)$/.exec(line);
    if (m) listing.set(BigInt(`0x${m[1]}`), { word: m[2] as string, text: m[3] as string });
  }
  const counts = { branch: 0, page: 0, low: 0 };
  for (const s of j.sources)
    for (const r of s.assembled.relocations) {
      if (!r.section.startsWith(".text") || r.address === undefined) continue;
      assert.notEqual(r.agrees, false, `${r.section}+${r.offset} ${r.type} ${r.symbol}: the field disagrees`);
      const insn = listing.get(BigInt(r.address));
      assert.ok(insn, `objdump lists an instruction at ${r.address}`);
      assert.equal(insn.word, (r.bytes ?? "").split(" ").reverse().join(""), `the word at ${r.address}`);
      const reaches = BigInt(r.reaches as string);
      if (/CALL26|JUMP26/.test(r.type)) {
        assert.match(insn.text, new RegExp(`^(bl|b)\\t${reaches.toString(16)} <`), insn.text);
        counts.branch++;
      } else if (/PG_HI21|GOT_PAGE/.test(r.type)) {
        assert.match(insn.text, new RegExp(`^adrp\\tx\\d+, ${reaches.toString(16)} <`), insn.text);
        counts.page++;
      } else if (/LO12/.test(r.type)) {
        const low = reaches & 0xfffn;
        const shown = /^add\t/.test(insn.text) ? `#0x${low.toString(16)}` : `#${low}]`;
        assert.ok(insn.text.endsWith(shown), `${insn.text} holds the low bits ${shown}`);
        counts.low++;
      }
    }
  return counts;
}

test("cross build for AArch64: calls, pages and low bits agree with aarch64-linux-gnu-objdump", {
  skip: aarch64Absent,
}, async () => {
  const hello = await buildJson("--cc", AARCH64_CC, fixture("hello.c"));
  const counts = checkAarch64(hello);
  assert.ok(counts.branch >= 1 && counts.page >= 4 && counts.low >= 4, JSON.stringify(counts));
  const printf = hello.sources[0]?.assembled.relocations.find((r) => r.symbol === "printf");
  assert.equal(printf?.targetName, "printf@plt");
  // Bound on the target machine: to the cross toolchain's libc, where the link found it.
  const libc = hello.link.libraries.printf ?? "";
  assert.match(libc, /aarch64-linux-gnu\/lib\/libc\.so\.6$/);
  assert.equal(spawnSync("readelf", ["-h", libc], { encoding: "latin1" }).stdout.includes("AArch64"), true);
  // The address in .data.rel.ro is filled by ld.so at start-up (a RELATIVE relocation in a PIE).
  const data = hello.sources[0]?.assembled.relocations.find((r) => r.type === "R_AARCH64_ABS64");
  assert.match(data?.note ?? "", /R_AARCH64_RELATIVE/);
  // Imported data through the GOT: the page and the load both reach stdout's slot.
  const stdio = await buildJson("--cc", AARCH64_CC, fixture("stdio-data.c"));
  checkAarch64(stdio);
  const slot = stdio.sources[0]?.assembled.relocations.filter((r) => r.symbol === "stdout") ?? [];
  assert.deepEqual(
    slot.map((r) => [r.type, r.targetName]),
    [
      ["R_AARCH64_ADR_GOT_PAGE", "the page of stdout's GOT slot"],
      ["R_AARCH64_LD64_GOT_LO12_NC", "stdout's GOT slot"],
    ],
  );
  // --static for another machine: both programs compared, neither run here.
  const cross = await build("--json", "--static", "--cc", AARCH64_CC, fixture("hello.c"));
  assert.equal(cross.status, 0, cross.stderr);
  const pair = (
    JSON.parse(cross.stdout) as { static: { notTimed: string; static: Summary; dynamic: Summary } }
  ).static;
  assert.match(pair.notTimed, /^AArch64 programs do not run on this/);
  assert.equal(pair.static.startUp, undefined);
  assert.equal(pair.static.interpreter, undefined);
  // The program's own variable reached through a GOT slot that holds its address.
  const two = await buildJson("--cc", AARCH64_CC, fixture("two-a.c"), fixture("two-b.c"));
  checkAarch64(two);
  const own = two.sources[0]?.assembled.relocations.find((r) => r.type === "R_AARCH64_LD64_GOT_LO12_NC");
  assert.match(own?.note ?? "", /GOT slot for the program's own shared_counter, holding 0x/);
  assert.equal(own?.agrees, true);
});

test("the link command shown is the one gcc -### says it runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-build-test-"));
  const j = await buildJson(fixture("hello.c"), "-o", join(dir, "hello"));
  const dry = spawnSync(
    "gcc",
    [
      "-###",
      "-save-temps=cwd",
      "-v",
      `-Wl,-Map=${join(j.dir, "hello.map")}`,
      "-o",
      join(dir, "hello"),
      fixture("hello.c"),
    ],
    { cwd: j.dir, encoding: "latin1" },
  );
  const line = dry.stderr.split("\n").find((l) => /collect2/.test(l.split(" ")[1] ?? ""));
  assert.ok(line, "gcc -### prints a collect2 line");
  const [program, ...args] = splitCommandLine(line.trim());
  assert.equal(j.link.command.program, program);
  assert.deepEqual(j.link.command.args, args);
});

test("a compile error: gcc's diagnostics verbatim, the phase named, gcc's exit status", async () => {
  const r = await build("--keep", mkdtempSync(join(tmpdir(), "anatomy-build-test-")), fixture("broken.c"));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /gcc failed in the compile phase \(exit status 1\)/);
  assert.match(r.stdout, /broken\.c:2:10: error: 'missing_variable' undeclared/);
  assert.doesNotMatch(r.stdout, /cc1 -fpreprocessed/, "the -v noise is not shown");
});

test("an undefined symbol: the link phase fails with the linker's own message", async () => {
  const r = await build("--keep", mkdtempSync(join(tmpdir(), "anatomy-build-test-")), fixture("undefined.c"));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /failed in the link phase/);
  assert.match(r.stdout, /undefined reference to `not_defined_anywhere'/);
  assert.match(r.stdout, /collect2: error: ld returned 1 exit status/);
  // The message names the object this run made, and the object's relocation is listed unplaced.
  assert.match(r.stdout, /a-undefined\.o: in function `main'/);
  assert.match(r.stdout, /\.text\+0x[0-9a-f]+ R_X86_64_PLT32 not_defined_anywhere: the 4-byte distance/);
  assert.match(
    r.stdout,
    /undefined: not_defined_anywhere, used by a-undefined\.o in main \(\.text\+0x[0-9a-f]+\) where nm shows U, .* no library on the link's search path defines it/,
  );
});

test("a library left out: the explanation names the one on the search path that defines the symbol", async () => {
  const r = await build(fixture("math.c"));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /undefined reference to `sqrt'/);
  assert.match(
    r.stdout,
    /undefined: sqrt, used by a-math\.o in main .* libm\.so \(-lm\) defines it: add -lm/,
  );
});

test("a symbol defined twice: both definitions named, with what nm calls each", async () => {
  const r = await build(fixture("two-a.c"), fixture("two-b.c"), fixture("dup.c"));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /multiple definition of `shared_counter'/);
  const lines = r.stdout.split("\n").filter((l) => l.includes("defined twice:"));
  assert.deepEqual(
    lines.map((l) => l.trim().replace(/ \(\.[a-z]+\+0x[0-9a-f]+\)/g, "")),
    [
      "defined twice: shared_counter is zero-initialised data (B, in .bss) in a-two-b.o and initialised data (D, in .data) in a-dup.o; keep one, and make the other static or declare it extern",
      "defined twice: helper is a function (T, in .text) in a-two-b.o and a function (T, in .text) in a-dup.o; keep one, and make the other static or declare it extern",
    ],
  );
});

test("a missing compiler, a missing source: one line each", async () => {
  const r = await build("--cc", "no-such-compiler-here", fixture("hello.c"));
  assert.equal(r.status, 127);
  assert.equal(r.stderr, "anatomy: build: no-such-compiler-here: not found\n");
  const m = await build("no-such-source.c");
  assert.equal(m.status, 1);
  assert.equal(m.stderr, "anatomy: no-such-source.c: no such file\n");
});
