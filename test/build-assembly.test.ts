// parseAssembly on what gcc -S writes here, for x86-64 and (cross) AArch64, at -O0 and -O2: the functions,
// objects and calls against what the source says, and against the object file GNU as makes of the same
// .s (readelf's symbols and sections, objdump's instruction count); then hand-written snippets for the
// escapes, comments and statement forms gcc seldom writes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type Assembly, parseAssembly } from "../src/build/assembly.js";

const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const x86 = process.arch === "x64" && have("gcc") && have("readelf") && have("objdump");
const x86opts = { skip: x86 ? false : "x86-64 gcc and binutils needed" };
const cross = have("aarch64-linux-gnu-gcc") && have("aarch64-linux-gnu-objdump") && have("readelf");
const crossOpts = { skip: cross ? false : "aarch64-linux-gnu-gcc and binutils needed" };
const dir = mkdtempSync(join(tmpdir(), "anatomy-"));

const SOURCE = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int counter = 3;
static int hidden = 7;
const char *name = "tab\\there \\"quoted\\" \\\\ back";
int table[16];
static char buffer[4096];
static long zero;
char big[100] = "x";
const unsigned char bytes[] = "\\001caf\\303\\251";
const char nul[] = "a\\0b";
char three[3] = "abc";

static int helper(int x) { return x * counter + hidden; }
int twice(int x) { return helper(x) + helper(x + 1); }
void shout(const char *s) { printf("%s!\\n", s); }
int last(int x) { return abs(x); }
int tail(const char *s) { return puts(s); }

int main(int argc, char **argv) {
  char local[64];
  strcpy(local, argc > 1 ? argv[1] : "none");
  shout(local);
  buffer[0] = (char)twice(argc);
  table[1] = (int)strlen(buffer) + (int)zero;
  puts("# not a comment // nor /* this */");
  printf("%d %s\\n", last(argc), name);
  return tail("done");
}
`;
writeFileSync(join(dir, "prog.c"), SOURCE);

/** The string literals of SOURCE as C sees them (abs, helper and the rest have none). */
const LITERALS = ["%s!\n", "none", "# not a comment // nor /* this */", "%d %s\n", "done"];

/** At -O0 every call in SOURCE is made, in source order (abs is a builtin, expanded inline). */
const CALLS_AT_O0 = [
  ["twice", "helper"],
  ["twice", "helper"],
  ["shout", "printf"],
  ["tail", "puts"],
  ["main", "strcpy"],
  ["main", "shout"],
  ["main", "twice"],
  ["main", "strlen"],
  ["main", "puts"],
  ["main", "last"],
  ["main", "printf"],
  ["main", "tail"],
];

function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, `${command} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Compiles prog.c (or another source) to a .s with `cc -S`, and returns its name and text. */
function compile(cc: string, flags: string[], name: string, source = "prog.c") {
  const output = `${name}.s`;
  run(cc, ["-S", ...flags, "-o", output, source]);
  return { path: output, text: readFileSync(join(dir, output), "utf8") };
}

interface ElfSection {
  name: string;
  size: number;
  align: number;
}

/** readelf -SW and -sW of the object GNU as makes from the .s. */
function assembled(cc: string, assembly: string) {
  const object = assembly.replace(/\.s$/, ".o");
  run(cc, ["-c", "-o", object, assembly]);
  const sections = new Map<string, ElfSection>();
  const byIndex = new Map<string, string>([["COM", "COMMON"]]);
  for (const line of run("readelf", ["-SW", object]).split("\n")) {
    const match = /^\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s.*\s(\d+)$/.exec(
      line,
    );
    if (!match) continue;
    byIndex.set(match[1]!, match[2]!);
    sections.set(match[2]!, {
      name: match[2]!,
      size: Number.parseInt(match[3]!, 16),
      align: Number(match[4]),
    });
  }
  const symbols: { name: string; size: number; type: string; bind: string; section: string }[] = [];
  for (const line of run("readelf", ["-sW", object]).split("\n")) {
    const match = /^\s*\d+:\s+[0-9a-f]+\s+(\d+)\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s+(\S+)$/.exec(line);
    if (!match) continue;
    const [, size, type, bind, index, name] = match;
    symbols.push({
      name: name!,
      size: Number(size),
      type: type!,
      bind: bind!,
      section: byIndex.get(index!) ?? index!,
    });
  }
  return { object, sections, symbols };
}

const bindingOf = (symbol: { global: boolean; weak: boolean }) =>
  symbol.weak ? "WEAK" : symbol.global ? "GLOBAL" : "LOCAL";

/** What the parse says about symbols, checked against the symbol table of the assembled object. */
function checkAgainstObject(parsed: Assembly, cc: string, assembly: string) {
  const elf = assembled(cc, assembly);
  const functions = elf.symbols.filter((symbol) => symbol.type === "FUNC");
  assert.deepEqual(
    parsed.functions.map((fn) => [fn.name, fn.section, bindingOf(fn)]).sort(),
    functions.map((symbol) => [symbol.name, symbol.section, symbol.bind]).sort(),
  );
  const objects = elf.symbols.filter((symbol) => symbol.type === "OBJECT" || symbol.type === "TLS");
  assert.deepEqual(
    parsed.objects.map((object) => [object.name, object.section, bindingOf(object), object.size]).sort(),
    objects.map((symbol) => [symbol.name, symbol.section, symbol.bind, symbol.size]).sort(),
  );
  // A call to a symbol defined elsewhere leaves it undefined in the object, and nothing else does here.
  const defined = new Set(parsed.functions.map((fn) => fn.name));
  const external = parsed.calls.filter((call) => !defined.has(call.target)).map((call) => call.target);
  // GNU as adds _GLOBAL_OFFSET_TABLE_ itself once anything is GOT-relative (-fno-plt's GOTPCREL).
  const undefinedSymbols = elf.symbols.filter(
    (symbol) => symbol.section === "UND" && symbol.name !== "" && symbol.name !== "_GLOBAL_OFFSET_TABLE_",
  );
  assert.deepEqual([...new Set(external)].sort(), undefinedSymbols.map((symbol) => symbol.name).sort());
  // Each data section's alignment is that of its most aligned object, when nothing else sits in it.
  for (const section of [".data.rel.local", ".bss", ".tdata", ".tbss"]) {
    const inIt = parsed.objects.filter((object) => object.section === section);
    if (inIt.length === 0 || !inIt.every((object) => object.align !== undefined)) continue;
    const widest = Math.max(...inIt.map((object) => object.align!));
    assert.equal(elf.sections.get(section)!.align, widest, section);
  }
  return elf;
}

function instructionsInObject(objdump: string, object: string): number {
  const listing = run(objdump, ["-d", "--no-show-raw-insn", object]);
  return listing.split("\n").filter((line) => /^\s+[0-9a-f]+:\s+\S/.test(line)).length;
}

const callPairs = (parsed: Assembly) => parsed.calls.map((call) => [call.from, call.target]);

/** The literals the source wrote, found among the parsed strings (with their labels). */
function checkLiterals(parsed: Assembly) {
  const values = parsed.strings.map((literal) => literal.value);
  for (const literal of [...LITERALS, 'tab\there "quoted" \\ back'])
    assert.ok(values.includes(literal), literal);
  const byLabel = new Map(parsed.strings.map((literal) => [literal.label, literal]));
  assert.deepEqual(
    [byLabel.get("bytes")?.value, byLabel.get("bytes")?.bytes],
    ["\u0001café", 7],
    "octal escapes are bytes of UTF-8",
  );
  assert.deepEqual([byLabel.get("nul")?.value, byLabel.get("nul")?.pieces], ["a\u0000b", 2]);
  assert.deepEqual([byLabel.get("three")?.value, byLabel.get("three")?.directive], ["abc", ".ascii"]);
  const sizes = new Map(parsed.objects.map((object) => [object.name, object.size]));
  for (const name of ["bytes", "nul", "three"]) assert.equal(byLabel.get(name)!.bytes, sizes.get(name), name);
}

test(
  "x86-64 -O0: every call of the source, @PLT on exactly the external ones, as the object file agrees",
  x86opts,
  () => {
    const { path, text } = compile("gcc", ["-O0"], "x86-O0");
    const parsed = parseAssembly(text);
    assert.equal(parsed.machine, "x86-64");
    assert.deepEqual(
      parsed.functions.map((fn) => [fn.name, fn.global, fn.size]),
      [
        ["helper", false, ".-helper"],
        ["twice", true, ".-twice"],
        ["shout", true, ".-shout"],
        ["last", true, ".-last"],
        ["tail", true, ".-tail"],
        ["main", true, ".-main"],
      ],
    );
    assert.ok(parsed.functions.every((fn) => fn.section === ".text"));
    assert.deepEqual(callPairs(parsed), CALLS_AT_O0);
    const defined = new Set(parsed.functions.map((fn) => fn.name));
    for (const call of parsed.calls) {
      assert.equal(call.instruction, "call");
      assert.equal(call.plt, !defined.has(call.target), `${call.target}: @PLT when not defined here`);
      assert.match(text.split("\n")[call.line - 1]!, new RegExp(`\\bcall\\s+${call.target}\\b`));
    }
    const elf = checkAgainstObject(parsed, "gcc", path);
    assert.equal(parsed.instructions, instructionsInObject("objdump", elf.object));
    checkLiterals(parsed);
    // Without -fmerge-constants (on from -O1) the literals go in plain .rodata.
    assert.ok(
      parsed.strings.every((literal) => literal.section === ".rodata" || literal.section === ".data"),
    );
    const objects = new Map(parsed.objects.map((object) => [object.name, object]));
    assert.deepEqual(objects.get("buffer"), {
      name: "buffer",
      section: ".bss",
      line: objects.get("buffer")!.line,
      global: false,
      weak: false,
      size: 4096,
      align: 32,
      common: true,
    });
    assert.equal(objects.get("zero")!.common, true, "static long zero: .local + .comm");
    assert.deepEqual([objects.get("counter")!.section, objects.get("counter")!.align], [".data", 4]);
    assert.deepEqual([objects.get("name")!.section, objects.get("name")!.align], [".data.rel.local", 8]);
    assert.equal(parsed.directives[".cfi_startproc"], parsed.functions.length);
    assert.equal(parsed.directives[".type"], parsed.functions.length + parsed.objects.length - 2);
  },
);

test(
  "x86-64 -O2: tail calls are jmp, main moves to .text.startup, literals to .rodata.str1.1",
  x86opts,
  () => {
    const { path, text } = compile("gcc", ["-O2"], "x86-O2");
    const parsed = parseAssembly(text);
    const elf = checkAgainstObject(parsed, "gcc", path);
    const fns = new Map(parsed.functions.map((fn) => [fn.name, fn]));
    assert.equal(fns.has("helper"), false, "inlined into twice, and no longer emitted");
    assert.equal(fns.get("main")!.section, ".text.startup");
    assert.deepEqual(
      parsed.calls
        .filter((call) => call.from !== "main")
        .map((call) => [call.from, call.instruction, call.target, call.plt]),
      [
        ["shout", "jmp", "printf", true],
        ["tail", "jmp", "puts", true],
      ],
    );
    const fromMain = new Set(parsed.calls.filter((call) => call.from === "main").map((call) => call.target));
    assert.deepEqual(
      [...fromMain].sort(),
      ["printf", "puts", "strcpy", "strlen"],
      "shout, twice, last and tail inlined",
    );
    checkLiterals(parsed);
    // A mergeable string section holds the literals and nothing else: their bytes add up to its size.
    const merged = parsed.strings.filter((literal) => literal.section === ".rodata.str1.1");
    assert.ok(merged.length >= 4);
    assert.ok(merged.every((literal) => literal.label?.startsWith(".LC")));
    assert.equal(
      merged.reduce((total, literal) => total + literal.bytes, 0),
      elf.sections.get(".rodata.str1.1")!.size,
    );
    const stringSection = parsed.sections.find((section) => section.flags === "aMS")!;
    assert.deepEqual(
      [stringSection.name, stringSection.type, stringSection.entsize],
      [".rodata.str1.1", "@progbits", 1],
    );
    const last = parsed.sections[parsed.sections.length - 1]!;
    assert.deepEqual([last.name, last.flags, last.type], [".note.GNU-stack", "", "@progbits"]);
  },
);

test("AArch64 (cross gcc) -O0 and -O2: bl calls, b tail calls, .align as a power of two", crossOpts, () => {
  const cc = "aarch64-linux-gnu-gcc";
  const low = compile(cc, ["-O0"], "a64-O0");
  const parsedLow = parseAssembly(low.text);
  assert.equal(parsedLow.machine, "aarch64");
  assert.deepEqual(callPairs(parsedLow), CALLS_AT_O0);
  assert.ok(parsedLow.calls.every((call) => call.instruction === "bl" && !call.plt && !call.got));
  const elfLow = checkAgainstObject(parsedLow, cc, low.path);
  assert.equal(parsedLow.instructions, instructionsInObject("aarch64-linux-gnu-objdump", elfLow.object));
  checkLiterals(parsedLow);

  const high = compile(cc, ["-O2"], "a64-O2");
  const parsed = parseAssembly(high.text);
  checkAgainstObject(parsed, cc, high.path);
  assert.deepEqual(
    parsed.calls
      .filter((call) => call.from !== "main")
      .map((call) => [call.from, call.instruction, call.target]),
    [
      ["shout", "b", "printf"],
      ["tail", "b", "puts"],
    ],
  );
  assert.ok(parsed.calls.filter((call) => call.from === "main").every((call) => call.instruction === "bl"));
  checkLiterals(parsed);
  assert.ok(parsed.strings.some((literal) => literal.section === ".rodata.str1.8"));
  // `.align 3` before `name` is 8 bytes here, as `.align 8` is on x86.
  const name = parsed.objects.find((object) => object.name === "name")!;
  assert.deepEqual([name.section, name.align], [".data.rel.local", 8]);
  // `big` follows counter's data in .data with no alignment of its own (gcc's section anchors).
  const big = parsed.objects.find((object) => object.name === "big")!;
  assert.deepEqual([big.section, big.align], [".data", undefined]);
});

test("-fverbose-asm comments (# on x86, // on AArch64) change nothing but line numbers", () => {
  const withoutLines = (parsed: Assembly) =>
    JSON.stringify(parsed, (key, value) => (key === "line" ? undefined : value));
  const targets: [string, boolean][] = [
    ["gcc", x86],
    ["aarch64-linux-gnu-gcc", cross],
  ];
  let compared = 0;
  for (const [cc, usable] of targets) {
    if (!usable) continue;
    const plain = compile(cc, ["-O2"], `${cc}-plain`);
    const verbose = compile(cc, ["-O2", "-fverbose-asm"], `${cc}-verbose`);
    assert.ok(verbose.text.length > plain.text.length * 1.2, "the comments are there");
    assert.equal(withoutLines(parseAssembly(verbose.text)), withoutLines(parseAssembly(plain.text)), cc);
    compared++;
  }
  assert.ok(compared > 0 || !have("gcc"));
});

test("-fno-plt calls through the GOT; -fcommon, __thread and weak symbols", x86opts, () => {
  writeFileSync(
    join(dir, "kinds.c"),
    `#include <stdio.h>
int shared_count;
__thread int per_thread;
__thread int per_thread_set = 5;
int weak_value __attribute__((weak)) = 1;
void __attribute__((weak)) weak_hook(void) {}
int main(void) { weak_hook(); puts("hi"); return shared_count + per_thread + per_thread_set + weak_value; }
`,
  );
  const { path, text } = compile("gcc", ["-O1", "-fno-plt", "-fcommon"], "kinds", "kinds.c");
  const parsed = parseAssembly(text);
  checkAgainstObject(parsed, "gcc", path);
  const puts = parsed.calls.find((call) => call.target === "puts")!;
  assert.deepEqual([puts.instruction, puts.plt, puts.got], ["call", false, true]);
  const objects = new Map(parsed.objects.map((object) => [object.name, object]));
  assert.deepEqual(
    [
      objects.get("shared_count")!.section,
      objects.get("shared_count")!.size,
      objects.get("shared_count")!.align,
    ],
    ["COMMON", 4, 4],
  );
  assert.equal(objects.get("shared_count")!.global, true);
  assert.equal(objects.get("per_thread")!.section, ".tbss");
  assert.equal(objects.get("per_thread_set")!.section, ".tdata");
  assert.equal(objects.get("weak_value")!.weak, true);
  assert.equal(parsed.functions.find((fn) => fn.name === "weak_hook")!.weak, true);
});

test("a literal split into .ascii pieces is one string", x86opts, () => {
  const long = "x".repeat(300) + "\\n" + "y".repeat(400);
  writeFileSync(join(dir, "long.c"), `const char *text = "${long}";\nconst char empty[] = "";\n`);
  const parsed = parseAssembly(compile("gcc", ["-O2"], "long", "long.c").text);
  const literal = parsed.strings.find((found) => found.label === ".LC0")!;
  assert.equal(literal.value, `${"x".repeat(300)}\n${"y".repeat(400)}`);
  assert.ok(literal.pieces > 1, `${literal.pieces} directives`);
  assert.deepEqual([literal.directive, literal.bytes], [".string", 702]);
  // gcc writes "" as `.zero 1`: an object, not a string directive.
  assert.equal(parsed.strings.length, 1);
  assert.equal(parsed.objects.find((object) => object.name === "empty")!.size, 1);
});

test("escapes: named, octal (8 and 9 too), hex with every digit, and a backslash before anything else", () => {
  const parsed = parseAssembly(
    [
      "\t.section\t.rodata",
      '.LC0:\t.string\t"a\\tb\\n\\101\\x41\\x1234\\q\\\\\\"\\008\\b\\f\\r"',
      '.LC1:\t.ascii\t"caf\\303\\251", "!"',
      '\t.string\t"é"',
      'odd:\t.asciz\t"#x" # a comment',
      '\t.string16 "ab"',
    ].join("\n"),
  );
  assert.deepEqual(
    parsed.strings.map((literal) => [literal.label, literal.value, literal.bytes, literal.pieces]),
    [
      [".LC0", 'a\tb\nAA4q\\"\b\b\f\r', 15, 1],
      [".LC1", "café!é", 9, 2],
      ["odd", "#x\u0000ab", 9, 2],
    ],
  );
});

test("x86 statements: comments, labels with code after them, `;`, sections pushed and popped", () => {
  const parsed = parseAssembly(
    [
      "# a line comment, then a block comment over two lines",
      "/* .globl hidden",
      "   call hidden */ .text",
      '\t.globl\tstart, "quoted name"',
      "\t.type\tstart, @function",
      '\t.type\t"quoted name", @function',
      "start: pushq %rbp; movq %rsp, %rbp # frame",
      '"quoted name": first: call\tfirst_helper@PLT',
      "\tcall\t*%rax",
      "\tcall\t*8(%rbx)",
      "\tjmp\t.L3",
      ".L3:\tnotrack jmp\t*%rdx",
      "\tjmp\tfar_away",
      "1:\tjmp 1b",
      '\t.pushsection .text.hot,"axG",@progbits,start,comdat',
      "\t.my_own_directive 1, 2",
      "\t.popsection",
      "\t.section .data",
      '\t.section .rodata,"a"',
      "\t.previous",
      "\t.balign 16",
      "\t.type\tblock, @object",
      "\t.size\tblock, 2*8",
      "block:\t.zero 16",
      "\t.lcomm\tscratch, 32, 8",
      "\t.comm\tshared, 4, 4",
      "\tvalue = 3",
      "\t.data",
      "\t.p2align 3",
      "\t.quad 0",
      "\t.type\tafter_data, @object",
      "after_data:\t.byte 1",
    ].join("\n"),
  );
  assert.equal(parsed.machine, "x86-64");
  assert.deepEqual(
    parsed.functions.map((fn) => [fn.name, fn.line, fn.global]),
    [
      ["start", 7, true],
      ["quoted name", 8, true],
    ],
  );
  assert.deepEqual(
    parsed.calls.map((call) => [call.from, call.instruction, call.target, call.plt, call.line]),
    [
      ["quoted name", "call", "first_helper", true, 8],
      ["quoted name", "jmp", "far_away", false, 13],
    ],
    "`first` has no .type, and this file types its functions: it is a label inside one",
  );
  assert.equal(parsed.instructions, 9);
  // Where nothing is typed, any label but a .L one starts a routine.
  const untyped = parseAssembly("entry:\n\tcall\tsetup\n.L1:\n\tjmp\tloop\nother: call finish\n");
  assert.deepEqual(
    untyped.calls.map((call) => [call.from, call.target]),
    [
      ["entry", "setup"],
      ["entry", "loop"],
      ["other", "finish"],
    ],
  );
  assert.deepEqual(
    parsed.sections.map((section) => [section.directive, section.name, section.group]),
    [
      [".text", ".text", undefined],
      [".pushsection", ".text.hot", "start"],
      [".popsection", ".text", undefined],
      [".section", ".data", undefined],
      [".section", ".rodata", undefined],
      [".previous", ".data", undefined],
      [".data", ".data", undefined],
    ],
  );
  assert.deepEqual(parsed.objects, [
    {
      name: "block",
      section: ".data",
      line: 24,
      global: false,
      weak: false,
      size: "2*8",
      align: 16,
      common: false,
    },
    {
      name: "scratch",
      section: ".bss",
      line: 25,
      global: false,
      weak: false,
      size: 32,
      align: 8,
      common: true,
    },
    {
      name: "shared",
      section: "COMMON",
      line: 26,
      global: true,
      weak: false,
      size: 4,
      align: 4,
      common: true,
    },
    // The .p2align was for the .quad before it.
    { name: "after_data", section: ".data", line: 32, global: false, weak: false, common: false },
  ]);
  assert.equal(parsed.directives[".my_own_directive"], 1);
  assert.equal(parsed.directives["="], 1);
  assert.equal(parsed.directives[".globl"], 1, "the one inside /* */ is not counted");
});

test("AArch64 statements: # is an immediate, // a comment; .align 3 is 8 bytes", () => {
  const text = [
    "\t.arch armv8-a",
    "\t.text",
    "\t.global\tf",
    "\t.type\tf, %function",
    "f:\tadd\tx0, x0, #16 // not a comment before the //",
    "\tadrp\tx1, :got:puts",
    "\tldr\tx1, [x1, #:got_lo12:puts]",
    "\tblr\tx1",
    "\tbl\tg",
    "\tmov\tx0, #1; bl\tafter_immediate",
    "\tb.ne\t.L2",
    "\tcbz\tx0, .L2",
    ".L2:\tb\th",
    '# 12 "f.s" a line marker is a comment',
    "\t.data",
    "\t.align\t3",
    "\t.type\tv, %object",
    "\t.size\tv, 8",
    "v:\t.xword\t1",
  ].join("\n");
  const parsed = parseAssembly(text);
  assert.equal(parsed.machine, "aarch64");
  assert.deepEqual(
    parsed.calls.map((call) => [call.from, call.instruction, call.target, call.line]),
    [
      ["f", "bl", "g", 9],
      ["f", "bl", "after_immediate", 10],
      ["f", "b", "h", 13],
    ],
  );
  assert.equal(parsed.instructions, 10);
  assert.deepEqual(
    parsed.objects.map((object) => [object.name, object.align, object.size]),
    [["v", 8, 8]],
  );
  // Read as x86, the same `.align 3` is 3 bytes and `#16 //...` is a comment.
  const asX86 = parseAssembly(text, { machine: "x86-64" });
  assert.equal(asX86.objects[0]!.align, 3);
  assert.equal(asX86.machine, "x86-64");
});
