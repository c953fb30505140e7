// The GNU ld link map parser, checked against the program ld wrote alongside the map: every section's
// address and size, every symbol's value, and the input objects' own section sizes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  contributionsByFile,
  type LinkMap,
  type OutputSection,
  parseLinkMap,
  sizeMismatches,
} from "../src/build/link-map.js";
import { BufferSource, ElfFile, PT_TLS, SHF_ALLOC, SHN_UNDEF, STT_TLS } from "../src/elf/index.js";

const HELLO = '#include <stdio.h>\nint c; int g=3; int main(void){printf("%d\\n",g);c++;return 0;}\n';

const A_C = `#include <stdio.h>
#include <math.h>
int helper(int);
extern const char *msg;
int main(int argc, char **argv) {
  printf("%s %d %f\\n", msg, helper(argc), cbrt(argc));
  return 0;
}
`;

const B_C = `const char *msg = "hello world";
int helper(int x) { return x * 2; }
int a_function_with_a_rather_long_name(int x) { return x + 1; }
int unused_function(int x) { return x - 1; }
`;

interface Linked {
  readonly dir: string;
  readonly text: string;
  readonly map: LinkMap;
  readonly elf: ElfFile;
}

function openElf(path: string): ElfFile {
  return ElfFile.open(new BufferSource(new Uint8Array(readFileSync(path))));
}

/** Compiles each source to NAME.o (so the map names them plainly), then links them with `-Map`. */
function link(sources: Record<string, string>, compile: string[], linkFlags: string[]): Linked {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-"));
  const objects: string[] = [];
  for (const [name, source] of Object.entries(sources)) {
    writeFileSync(join(dir, name), source);
    const object = name.replace(/\.c$/, ".o");
    execFileSync("gcc", [...compile, "-c", "-o", object, name], { cwd: dir });
    objects.push(object);
  }
  execFileSync("gcc", [...compile, "-Wl,-Map=out.map", "-o", "out", ...objects, ...linkFlags], { cwd: dir });
  const text = readFileSync(join(dir, "out.map"), "utf8");
  return { dir, text, map: parseLinkMap(text), elf: openElf(join(dir, "out")) };
}

function sectionsOf(elf: ElfFile) {
  return elf.sectionHeaders.filter((sh) => sh.index !== 0).map((sh) => ({ name: elf.sectionName(sh)!, sh }));
}

function outputSection(map: LinkMap, name: string): OutputSection {
  const found = map.outputSections.filter((s) => s.name === name && s.address !== undefined);
  assert.equal(found.length, 1, `one ${name} with an address in the map`);
  return found[0]!;
}

/**
 * The facts every map must agree with: each allocated section of the program has the map's address
 * and size; each section of the map with bytes in it is in the program with that size; each symbol
 * the map prints has that value in .symtab; the contributions, fills and data add up; nothing was
 * left unread.
 */
function assertAgreesWithElf({ map, elf }: Linked): void {
  assert.deepEqual(map.unparsed, []);
  const sections = sectionsOf(elf);
  for (const { name, sh } of sections) {
    if ((sh.sh_flags & SHF_ALLOC) === 0n) continue;
    const s = outputSection(map, name);
    assert.equal(s.address, sh.sh_addr, `${name} address`);
    assert.equal(s.size, sh.sh_size, `${name} size`);
  }
  for (const s of map.outputSections) {
    if (s.size === undefined || s.size === 0n) continue;
    const inElf = sections.find((e) => e.name === s.name);
    assert.ok(inElf, `${s.name} of the map is in the program`);
    assert.equal(s.size, inElf.sh.sh_size, `${s.name} size`);
  }
  const symtab = elf.sectionHeaders.find((sh) => elf.sectionName(sh) === ".symtab")!;
  // A TLS symbol's st_value is its offset in the TLS image; the map gives its address there.
  const tls = elf.programHeaders.find((p) => p.p_type === PT_TLS)?.p_vaddr ?? 0n;
  const values = new Map<string, bigint[]>();
  for (const sym of elf.symbols(symtab)) {
    if (sym.name === undefined || sym.st_shndx === SHN_UNDEF) continue;
    const value = (sym.st_info & 0xf) === STT_TLS ? sym.st_value + tls : sym.st_value;
    values.set(sym.name, [...(values.get(sym.name) ?? []), value]);
  }
  let checked = 0;
  for (const s of map.outputSections) {
    for (const c of s.contributions) {
      for (const sym of c.symbols) {
        // A versioned name (printf@@GLIBC_2.2.5) is a PLT entry's address, not a .symtab definition.
        if (sym.name.includes("@")) continue;
        assert.ok(values.get(sym.name)?.includes(sym.address), `${sym.name} = 0x${sym.address.toString(16)}`);
        checked++;
      }
    }
  }
  // Script symbols too: `_edata = .`, and the PROVIDEs something referenced.
  for (const s of map.outputSections) {
    for (const a of s.assignments) {
      if (a.name === undefined || a.name === "." || a.address === undefined) continue;
      assert.ok(values.get(a.name)?.includes(a.address), `${a.expression} = 0x${a.address.toString(16)}`);
      checked++;
    }
  }
  assert.ok(checked > 0);
  assert.deepEqual(sizeMismatches(map), []);
}

test("hello world: sections, symbols and the wrapped .note.gnu.property agree with the program", () => {
  const linked = link({ "h.c": HELLO }, [], []);
  assertAgreesWithElf(linked);
  const { map, elf } = linked;
  // Its name reaches column 15, so ld puts the address and size on the next line.
  assert.match(linked.text, /\n\.note\.gnu\.property\n {16}0x/);
  const property = outputSection(map, ".note.gnu.property");
  assert.equal(property.size, elf.findSection(".note.gnu.property")!.sh_size);
  assert.equal(property.contributions[0]!.section, ".note.gnu.property");

  const text = outputSection(map, ".text");
  const main = text.contributions.find((c) => c.file === "h.o")!;
  assert.deepEqual(
    main.symbols.map((s) => s.name),
    ["main"],
  );
  assert.ok(text.patterns.includes("*(.text.unlikely .text.*_unlikely .text.unlikely.*)"));
  assert.ok(text.contributions.every((c) => !c.section.startsWith("*")));
  assert.ok(text.fills.length > 0);

  const bss = outputSection(map, ".bss");
  assert.deepEqual(
    bss.contributions.find((c) => c.file === "h.o")!.symbols.map((s) => s.name),
    ["c"],
  );
  assert.deepEqual(map.output, { file: "out", format: "elf64-x86-64" });
  assert.ok(map.inputs.includes("h.o"));
  assert.match(map.inputs[0]!, /\/Scrt1\.o$/);
  assert.deepEqual(
    map.asNeeded.find((l) => l.library === "libc.so.6"),
    { library: "libc.so.6", by: map.inputs[0], symbol: "__libc_start_main@@GLIBC_2.34" },
  );
  // `_edata = .` follows .data1's braces; __bss_start too, with the value .symtab gives it.
  const all = map.outputSections.flatMap((s) => s.assignments);
  const edata = all.find((a) => a.name === "_edata")!;
  assert.equal(edata.expression, "_edata = .");
  const symtab = elf.symbols(elf.findSection(".symtab")!);
  assert.equal(edata.address, symtab.find((s) => s.name === "_edata")!.st_value);
  // A PROVIDE nothing referenced has no value: ld prints [!provide].
  const etext = all.find((a) => a.name === "etext")!;
  assert.equal(etext.address, undefined);
  assert.equal(etext.expression, "PROVIDE (etext = .)");
  assert.ok(map.assignments.length > 0, "assignments before the first output section");
});

test("each input file's contributions have the sizes of its own sections", () => {
  const linked = link({ "a.c": A_C, "b.c": B_C }, ["-O0"], ["-lm"]);
  assertAgreesWithElf(linked);
  const byFile = contributionsByFile(linked.map);
  for (const name of ["a.o", "b.o"]) {
    const object = openElf(join(linked.dir, name));
    const mine = byFile.get(name)!;
    let total = 0n;
    for (const { name: section, sh } of sectionsOf(object)) {
      if ((sh.sh_flags & SHF_ALLOC) === 0n || sh.sh_size === 0n || section === ".eh_frame") continue;
      const listed = mine.sections.filter((s) => s.input === section);
      assert.equal(listed.length, 1, `${name} ${section}`);
      assert.equal(listed[0]!.size, sh.sh_size, `${name} ${section} size`);
      total += sh.sh_size;
    }
    // .eh_frame shrinks when ld drops the CIE it already has; the map adds the size before that.
    const eh = outputSection(linked.map, ".eh_frame").contributions.find((c) => c.file === name)!;
    assert.ok(eh.size < object.findSection(".eh_frame")!.sh_size);
    assert.equal(eh.sizeBeforeRelaxing, object.findSection(".eh_frame")!.sh_size);
    const comment = mine.sections.find((s) => s.input === ".comment")!;
    assert.equal(mine.total, total + eh.size + (comment.excluded ? 0n : comment.size));
  }
  // Both objects' code is in .text, in command-line order.
  const text = outputSection(linked.map, ".text").contributions.map((c) => c.file);
  assert.ok(text.indexOf("a.o") >= 0 && text.indexOf("a.o") < text.indexOf("b.o"));
  assert.ok(linked.map.inputs.indexOf("a.o") < linked.map.inputs.indexOf("b.o"));
  assert.ok(linked.map.inputs.some((i) => i.endsWith("/libm.so.6")));
  assert.deepEqual(
    linked.map.asNeeded.find((l) => l.library === "libm.so.6"),
    { library: "libm.so.6", by: "a.o", symbol: "cbrt@@GLIBC_2.2.5" },
  );
});

test("-static: archive members, who pulled them in, and where their code went", () => {
  const linked = link({ "h.c": HELLO }, [], ["-static"]);
  assertAgreesWithElf(linked);
  const { map, elf } = linked;
  const printf = map.archiveMembers.find((m) => m.member === "printf.o")!;
  assert.match(printf.archive!, /\/libc\.a$/);
  assert.equal(printf.file, `${printf.archive}(printf.o)`);
  assert.deepEqual([printf.by, printf.symbol], ["h.o", "printf"]);
  assert.ok(map.inputs.includes(printf.archive!));
  // A member pulled in by another member names it as ARCHIVE(MEMBER).
  const vfprintf = map.archiveMembers.find((m) => m.member === "vfprintf-internal.o")!;
  assert.equal(vfprintf.by, printf.file);
  // Every member that was loaded is one the list explains, and it sits in the list's archive.
  const explained = new Set(map.archiveMembers.map((m) => m.file));
  const placed = map.outputSections.flatMap((s) => s.contributions).filter((c) => c.member !== undefined);
  assert.ok(placed.length > 100);
  for (const c of placed) {
    if (c.archive!.endsWith("/libc.a")) assert.ok(explained.has(c.file), c.file);
  }
  const code = outputSection(map, ".text").contributions.find((c) => c.file === printf.file)!;
  assert.equal(code.archive, printf.archive);
  const symbol = elf.symbols(elf.findSection(".symtab")!).find((s) => s.name === "printf")!;
  assert.equal(code.symbols.find((s) => s.name === "printf")!.address, symbol.st_value);
  // Archive-member string sections merged whole into earlier ones take no room.
  const excluded = map.outputSections.flatMap((s) => s.contributions).filter((c) => c.excluded);
  assert.ok(excluded.some((c) => c.section.startsWith(".rodata.str")));
});

test("-O2 -ffunction-sections --gc-sections: wrapped input section names and discarded functions", () => {
  const linked = link(
    { "a.c": A_C, "b.c": B_C.replace("return x * 2;", "return a_function_with_a_rather_long_name(x) * 2;") },
    ["-O2", "-ffunction-sections", "-fdata-sections", "-fno-inline"],
    ["-Wl,--gc-sections", "-lm"],
  );
  assertAgreesWithElf(linked);
  const { map, text } = linked;
  const all = outputSection(map, ".text").contributions;
  // .text.startup.main reaches column 15: ld wraps it, and the address goes on the next line.
  assert.match(text, /\n \.text\.startup\.main\n {16}0x[0-9a-f]+ +0x[0-9a-f]+ a\.o\n/);
  const main = all.find((c) => c.section === ".text.startup.main")!;
  assert.equal(main.file, "a.o");
  assert.deepEqual(
    main.symbols.map((s) => s.name),
    ["main"],
  );
  const long = all.find((c) => c.section === ".text.a_function_with_a_rather_long_name")!;
  assert.equal(long.file, "b.o");
  const object = openElf(join(linked.dir, "b.o"));
  assert.equal(long.size, object.findSection(".text.a_function_with_a_rather_long_name")!.sh_size);
  // The function nothing calls is in the discarded list, with its size in b.o, and not in the program.
  const unused = map.discarded.find((d) => d.section === ".text.unused_function")!;
  assert.deepEqual([unused.file, unused.size], ["b.o", object.findSection(".text.unused_function")!.sh_size]);
  assert.ok(!all.some((c) => c.section === ".text.unused_function"));
  assert.ok(map.discarded.some((d) => d.section === ".note.GNU-stack" && d.size === 0n));
});

test("-O2 puts main in .text.startup", () => {
  const linked = link({ "h.c": HELLO }, ["-O2"], []);
  assertAgreesWithElf(linked);
  const main = outputSection(linked.map, ".text").contributions.find((c) => c.section === ".text.startup")!;
  assert.equal(main.file, "h.o");
  assert.deepEqual(
    main.symbols.map((s) => s.name),
    ["main"],
  );
});

test("a string merged whole into another file's is excluded, and only then do the sizes add up", () => {
  const same = '#include <stdio.h>\nvoid f(void){puts("the same string in both");}\n';
  const main = '#include <stdio.h>\nvoid f(void);\nint main(void){puts("the same string in both");f();}\n';
  const linked = link({ "m1.c": same, "m2.c": main }, ["-O2"], []);
  assertAgreesWithElf(linked);
  const rodata = outputSection(linked.map, ".rodata");
  const strings = rodata.contributions.filter((c) => c.section === ".rodata.str1.1");
  assert.deepEqual(
    strings.map((c) => [c.file, c.excluded]),
    [
      ["m1.o", false],
      ["m2.o", true],
    ],
  );
  // ld prints the merged-away section with its full size, just past the end of .rodata.
  assert.equal(strings[1]!.size, BigInt("the same string in both".length + 1));
  assert.equal(strings[1]!.address, rodata.address! + rodata.size!);
  const everything =
    rodata.contributions.reduce((n, c) => n + c.size, 0n) + rodata.fills.reduce((n, f) => n + f.size, 0n);
  assert.notEqual(everything, rodata.size);
  assert.equal(
    contributionsByFile(linked.map)
      .get("m2.o")!
      .sections.find((s) => s.input === ".rodata.str1.1")!.excluded,
    true,
  );
});

test("-fcommon: the common symbols ld allocated, a long name wrapped", () => {
  const source =
    "int common_counter;\nchar a_common_symbol_with_a_long_name[100];\nint main(void){return common_counter;}\n";
  const linked = link({ "cm.c": source }, ["-fcommon"], []);
  assertAgreesWithElf(linked);
  assert.deepEqual(linked.map.commonSymbols, [
    { name: "a_common_symbol_with_a_long_name", size: 100n, file: "cm.o" },
    { name: "common_counter", size: 4n, file: "cm.o" },
  ]);
  const common = outputSection(linked.map, ".bss").contributions.find((c) => c.section === "COMMON")!;
  assert.equal(common.file, "cm.o");
  assert.deepEqual(common.symbols.map((s) => s.name).sort(), [
    "a_common_symbol_with_a_long_name",
    "common_counter",
  ]);
});

test("-shared -fPIC: a library's map", () => {
  const linked = link({ "b.c": B_C }, ["-fPIC"], ["-shared"]);
  assertAgreesWithElf(linked);
  const text = outputSection(linked.map, ".text").contributions.find((c) => c.file === "b.o")!;
  assert.ok(text.symbols.some((s) => s.name === "helper"));
  assert.deepEqual(linked.map.archiveMembers, []);
});

test("archive members with short names share the line with their reason; thin archives name the member", () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-"));
  writeFileSync(join(dir, "a.c"), A_C);
  writeFileSync(join(dir, "b.c"), B_C);
  const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { cwd: dir });
  run(["gcc", "-c", "a.c", "b.c"]);
  run(["ar", "rcs", "libx.a", "b.o"]);
  run(["ar", "rcsT", "libthin.a", "b.o"]);
  run(["gcc", "-Wl,-Map=x.map", "-o", "x", "a.o", "libx.a", "-lm"]);
  run(["gcc", "-Wl,-Map=thin.map", "-o", "thin", "a.o", "libthin.a", "-lm"]);
  const x = readFileSync(join(dir, "x.map"), "utf8");
  // a.o wants both msg and helper from b.o; ld names the first it met in the archive's index.
  const reason = /\nlibx\.a\(b\.o\) {19}a\.o \((msg|helper)\)\n/.exec(x);
  assert.ok(reason);
  const map = parseLinkMap(x);
  assertAgreesWithElf({ dir, text: x, map, elf: openElf(join(dir, "x")) });
  assert.deepEqual(map.archiveMembers, [
    { file: "libx.a(b.o)", archive: "libx.a", member: "b.o", by: "a.o", symbol: reason[1] },
  ]);
  const helper = outputSection(map, ".text").contributions.find((c) => c.file === "libx.a(b.o)")!;
  assert.deepEqual([helper.archive, helper.member], ["libx.a", "b.o"]);
  const thin = parseLinkMap(readFileSync(join(dir, "thin.map"), "utf8"));
  assert.deepEqual(thin.archiveMembers, [
    { file: "b.o", archive: undefined, member: "b.o", by: "a.o", symbol: reason[1] },
  ]);
});

test("a linker script's data statements, load address, fill pattern, ASSERT and long output name", () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-"));
  writeFileSync(
    join(dir, "k.c"),
    'int counter = 5;\nconst char greeting[] = "hi";\nint entry(void){return counter;}\n',
  );
  writeFileSync(
    join(dir, "k.ld"),
    `MEMORY { rom (rx) : ORIGIN = 0x10000, LENGTH = 64K
         ram (rwx) : ORIGIN = 0x80000, LENGTH = 16K }
ENTRY(entry)
SECTIONS {
  .text : { *(.text .text.*) LONG(0xdeadbeef) BYTE(7) . = ALIGN(16); } > rom
  .rodata : { *(.rodata .rodata.*) FILL(0x90909090) . = ALIGN(32); PROVIDE(unused_sym = .); rodata_end = .; } > rom
  .data : AT(ADDR(.rodata) + SIZEOF(.rodata)) { data_start = .; *(.data) QUAD(0x1122334455667788) } > ram
  .a_long_output_section_name : { SHORT(0x1234) } > ram
  .bss : { *(.bss) *(COMMON) } > ram
  ASSERT(SIZEOF(.text) > 0, "text is empty")
  /DISCARD/ : { *(.comment) *(.note.GNU-stack) *(.eh_frame) *(.note.gnu.property) }
}
`,
  );
  execFileSync("gcc", ["-O2", "-c", "k.c"], { cwd: dir });
  execFileSync("ld", ["-T", "k.ld", "-Map=k.map", "-o", "k", "k.o"], { cwd: dir, stdio: "ignore" });
  const text = readFileSync(join(dir, "k.map"), "utf8");
  const map = parseLinkMap(text);
  const elf = openElf(join(dir, "k"));
  assertAgreesWithElf({ dir, text, map, elf });
  assert.deepEqual(
    map.memory.map((r) => [r.name, r.origin, r.length, r.attributes]),
    [
      ["rom", 0x10000n, 0x10000n, "xr"],
      ["ram", 0x80000n, 0x4000n, "xrw"],
      ["*default*", 0n, 0xffffffffffffffffn, ""],
    ],
  );
  const code = outputSection(map, ".text");
  assert.deepEqual(
    code.data.map((d) => [d.kind, d.size, d.value]),
    [
      ["LONG", 4n, 0xdeadbeefn],
      ["BYTE", 1n, 7n],
    ],
  );
  const rodata = outputSection(map, ".rodata");
  assert.deepEqual(
    rodata.fills.map((f) => f.pattern),
    ["90909090"],
  );
  assert.deepEqual(
    rodata.assignments.map((a) => [a.name, a.address]),
    [
      [".", 0x10020n],
      ["unused_sym", undefined],
      ["rodata_end", 0x10020n],
    ],
  );
  // The .data PT_LOAD segment is loaded at the LMA the map gives.
  const data = outputSection(map, ".data");
  const segment = elf.programHeaders.find((p) => p.p_vaddr === data.address)!;
  assert.equal(data.loadAddress, segment.p_paddr);
  assert.deepEqual(
    data.data.map((d) => d.value),
    [0x1122334455667788n],
  );
  const long = outputSection(map, ".a_long_output_section_name");
  assert.deepEqual([long.contributions.length, long.data[0]!.kind], [0, "SHORT"]);
  const assertion = map.outputSections
    .flatMap((s) => s.assignments)
    .find((a) => a.expression.startsWith("ASSERT"))!;
  assert.equal(assertion.name, undefined);
  const discard = map.outputSections.find((s) => s.name === "/DISCARD/")!;
  assert.deepEqual([discard.address, discard.patterns[0]], [undefined, "*(.comment)"]);
  assert.ok(map.discarded.some((d) => d.section === ".comment" && d.file === "k.o"));
  assert.deepEqual(map.inputs, ["k.o"]);
});

test("sizeMismatches finds a section whose pieces do not add up", () => {
  const linked = link({ "h.c": HELLO }, [], []);
  const main = outputSection(linked.map, ".text").contributions.find((c) => c.file === "h.o")!;
  const line = ` .text          0x${main.address.toString(16).padStart(16, "0")} ${`0x${main.size.toString(16)}`.padStart(10)} h.o`;
  assert.ok(linked.text.includes(line), line);
  const grown = `${line.slice(0, -4 - 10)}${`0x${(main.size + 3n).toString(16)}`.padStart(10)} h.o`;
  const map = parseLinkMap(linked.text.replace(line, grown));
  assert.deepEqual(sizeMismatches(map), [
    {
      name: ".text",
      size: outputSection(map, ".text").size,
      listed: outputSection(map, ".text").size! + 3n,
      difference: -3n,
    },
  ]);
});
