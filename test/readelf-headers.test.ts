import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { BufferSource, ElfFile, type ProgramHeader, type SectionHeader } from "../src/elf/index.js";
import { StringOutput } from "../src/render/output.js";
import {
  defaultReadelfOptions,
  type ReadelfContext,
  type ReadelfOptions,
} from "../src/render/readelf/context.js";
import { machineFlags, printFileHeader } from "../src/render/readelf/file-header.js";
import {
  cHexAlt,
  fileTypeName,
  machineName,
  osabiName,
  sectionTypeName,
  segmentTypeName,
} from "../src/render/readelf/names.js";
import { printProgramHeaders, sectionInSegmentStrict } from "../src/render/readelf/program-headers.js";
import {
  printSectionGroups,
  printSectionHeaders,
  printSymbolPadded,
  sectionFlagLetters,
} from "../src/render/readelf/section-headers.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);

/** Runs the views readelf would for these options (header, sections, groups, segments) into a string. */
function render(path: string, opts: Partial<ReadelfOptions>): { out: string; err: string } {
  const file = ElfFile.open(new BufferSource(readFileSync(path)));
  const out = new StringOutput();
  let err = "";
  const ctx: ReadelfContext = {
    file,
    fileName: path,
    out,
    opts: { ...defaultReadelfOptions(), ...opts },
    warn: (m) => {
      err += `readelf: Warning: ${m}\n`;
    },
    error: (m) => {
      err += `readelf: Error: ${m}\n`;
    },
    demangle: (n) => n,
  };
  if (ctx.opts.fileHeader) printFileHeader(ctx);
  if (ctx.opts.sectionHeaders) printSectionHeaders(ctx);
  if (ctx.opts.sectionGroups) printSectionGroups(ctx);
  if (ctx.opts.programHeaders) printProgramHeaders(ctx);
  return { out: out.toString(), err };
}

const fixture = (name: string) => new URL(name, FIXTURES).pathname;

test("machine, OS/ABI and type names follow readelf's tables", () => {
  assert.equal(machineName(62), "Advanced Micro Devices X86-64");
  assert.equal(machineName(0x9026), "Alpha");
  assert.equal(machineName(0x5aa4), "<unknown>: 0x5aa4");
  assert.equal(osabiName(3, 62), "UNIX - GNU");
  assert.equal(osabiName(97, 40), "ARM");
  assert.equal(osabiName(97, 62), "<unknown: 61>");
  assert.equal(fileTypeName(3, true), "DYN (Position-Independent Executable file)");
  assert.equal(fileTypeName(3, false), "DYN (Shared object file)");
  assert.equal(fileTypeName(0xff01), "Processor Specific: (ff01)");
  assert.equal(fileTypeName(0xfe00), "OS Specific: (fe00)");
  assert.equal(fileTypeName(9), "<unknown>: 9");
});

test("section and segment types resolve per machine, with LOOS/LOPROC fallbacks", () => {
  assert.equal(sectionTypeName(0x70000001, 40, 0), "ARM_EXIDX");
  assert.equal(sectionTypeName(0x70000001, 62, 0), "X86_64_UNWIND");
  assert.equal(sectionTypeName(0x7000002a, 8, 0), "MIPS_ABIFLAGS");
  assert.equal(sectionTypeName(0x70000003, 243, 0), "RISCV_ATTRIBUTES");
  assert.equal(sectionTypeName(0x70000000, 62, 0), "LOPROC+0");
  assert.equal(sectionTypeName(0x70000005, 62, 0), "LOPROC+0x5");
  assert.equal(sectionTypeName(0x6ffffff5, 62, 0), "GNU_ATTRIBUTES");
  assert.equal(sectionTypeName(0x6abcdef0, 62, 0), "LOOS+0xabcdef0");
  assert.equal(sectionTypeName(0x80000001, 62, 0), "LOUSER+0x1");
  assert.equal(sectionTypeName(0x12345, 62, 0), "00012345: <unknown>");
  assert.equal(segmentTypeName(0x70000001, 40, 0), "EXIDX");
  assert.equal(segmentTypeName(0x70000003, 8, 0), "ABIFLAGS");
  assert.equal(segmentTypeName(0x6474e553, 62, 0), "GNU_PROPERTY");
  assert.equal(segmentTypeName(0x6474e556, 62, 3), "GNU_MBIND+0x1");
  assert.equal(segmentTypeName(0x6474e556, 62, 0), "LOOS+0x474e556");
  assert.equal(cHexAlt(0), "0");
  assert.equal(cHexAlt(16n), "0x10");
});

test("e_flags decode like get_machine_flags", () => {
  assert.equal(machineFlags(0x5000400, 40, 0), ", Version5 EABI, hard-float ABI");
  assert.equal(machineFlags(0x70001007, 8, 0), ", noreorder, pic, cpic, o32, mips32r2");
  assert.equal(machineFlags(0x5, 243, 0), ", RVC, double-float ABI");
  assert.equal(machineFlags(0x1, 22, 0), ", highgprs");
  assert.equal(machineFlags(0x2, 21, 0), ", abiv2");
  assert.equal(machineFlags(0, 40, 0), "");
});

test("flag letters: x86-64 large, one o and one p for unknown OS and processor bits", () => {
  assert.equal(sectionFlagLetters(0x10000002n, 62, 0), "Al");
  assert.equal(sectionFlagLetters(0x10000002n, 40, 0), "Ap");
  // 'p' clears every bit from 28 up, as C's unsigned ~SHF_MASKPROC does.
  assert.equal(sectionFlagLetters(0x1_3000_0001n, 62, 0), "Wlp");
  assert.equal(sectionFlagLetters(0x0ff00000n, 62, 6), "o");
  assert.equal(sectionFlagLetters(0x200000n, 62, 3), "R");
});

test("names longer than 17 are cut to 12 chars and [...] unless -W", () => {
  assert.equal(printSymbolPadded(".text", 17, false), ".text            ");
  assert.equal(printSymbolPadded(".note.gnu.build-id", 17, false), ".note.gnu.bu[...]");
  assert.equal(printSymbolPadded(".note.gnu.build-id", 17, true), ".note.gnu.build-id");
  assert.equal(printSymbolPadded("a\u0001b", 17, false), `a^Ab${" ".repeat(13)}`);
});

test("section-in-segment: .tbss only in PT_TLS, empty sections not at a PT_NOTE's end", () => {
  const sec = (o: Partial<SectionHeader>): SectionHeader => ({
    index: 1,
    sh_name: 0,
    sh_type: 1,
    sh_flags: 2n,
    sh_addr: 0x1000n,
    sh_offset: 0x1000n,
    sh_size: 0x10n,
    sh_link: 0,
    sh_info: 0,
    sh_addralign: 1n,
    sh_entsize: 0n,
    ...o,
  });
  const seg = (o: Partial<ProgramHeader>): ProgramHeader => ({
    index: 0,
    p_type: 1,
    p_flags: 4,
    p_offset: 0x1000n,
    p_vaddr: 0x1000n,
    p_paddr: 0x1000n,
    p_filesz: 0x10n,
    p_memsz: 0x10n,
    p_align: 0x1000n,
    ...o,
  });
  assert.ok(sectionInSegmentStrict(sec({}), seg({})));
  assert.ok(!sectionInSegmentStrict(sec({ sh_offset: 0x1008n }), seg({})));
  const tbss = sec({ sh_type: 8, sh_flags: 0x402n, sh_addr: 0x1010n });
  assert.ok(sectionInSegmentStrict(tbss, seg({ p_type: 7, p_memsz: 0x20n })));
  assert.ok(!sectionInSegmentStrict(sec({ sh_flags: 0n }), seg({})));
  assert.ok(
    !sectionInSegmentStrict(sec({ sh_size: 0n, sh_offset: 0x1010n, sh_addr: 0x1010n }), seg({ p_type: 4 })),
  );
});

test("x86-64 PIE: -h, -l and -S pieces", () => {
  const { out, err } = render(fixture("x86_64/pie"), {
    fileHeader: true,
    programHeaders: true,
    sectionHeaders: true,
  });
  assert.equal(err, "");
  assert.match(out, /^ELF Header:\n {2}Magic: {3}7f 45 4c 46 02 01 01 00 /);
  assert.match(out, /Type: +DYN \(Position-Independent Executable file\)\n/);
  assert.match(out, /\n\nSection Headers:\n/);
  assert.doesNotMatch(out, /There are \d+ section headers/); // only printed without -h
  assert.doesNotMatch(out, /Elf file type is/);
  assert.match(out, /l \(large\), p \(processor specific\)\n/);
  assert.match(out, /\[Requesting program interpreter: \/lib64\/ld-linux-x86-64\.so\.2\]\n/);
  assert.match(
    out,
    /\n Section to Segment mapping:\n {2}Segment Sections\.\.\.\n {3}00 {5}\n {3}01 {5}\.interp \n/,
  );
});

test("-l alone introduces itself; a file without section headers has no mapping", () => {
  const { out } = render(fixture("x86_64/noshdrs"), { programHeaders: true, wide: true });
  assert.match(out, /^\nElf file type is DYN \(Position-Independent Executable file\)\nEntry point 0x/);
  assert.doesNotMatch(out, /Section to Segment mapping/);
  const s = render(fixture("x86_64/noshdrs"), { sectionHeaders: true, sectionGroups: true });
  assert.equal(s.out, "\nThere are no sections in this file.\n\nThere are no section groups in this file.\n");
});

test("-g lists COMDAT groups with their signature", () => {
  const { out, err } = render(fixture("x86_64/cxx.o"), { sectionGroups: true });
  assert.equal(err, "");
  assert.match(
    out,
    /^\nCOMDAT group section \[ {4}1\] `\.group' \[_Z\w+\] contains \d+ sections:\n {3}\[Index\] {4}Name\n/,
  );
});

// When binutils' readelf is on this machine, every fixture must match it byte for byte.
const readelf = spawnSync("readelf", ["--version"], { encoding: "latin1" });
const haveReadelf = readelf.status === 0 && readelf.stdout.includes("2.40");
const FIXTURE_FILES = [
  "x86_64/pie",
  "x86_64/nopie",
  "x86_64/libdemo.so",
  "x86_64/demo.o",
  "x86_64/cxx.o",
  "x86_64/core",
  "x86_64/static-pie",
  "x86_64/debug-zlib",
  "x86_64/noshdrs",
  "arm/pie",
  "arm/demo.o",
  "mips/nopie",
  "mips/libdemo.so",
  "aarch64/pie",
  "aarch64/cxx.o",
  "riscv64/pie",
  "s390x/pie",
  "i386/pie",
];
const CASES: [string[], Partial<ReadelfOptions>][] = [
  [["-h"], { fileHeader: true }],
  [["-S"], { sectionHeaders: true }],
  [["-W", "-S"], { sectionHeaders: true, wide: true }],
  [["-l"], { programHeaders: true }],
  [["-W", "-l"], { programHeaders: true, wide: true }],
  [["-e"], { fileHeader: true, programHeaders: true, sectionHeaders: true }],
  [["-t"], { sectionHeaders: true, sectionDetails: true }],
  [["-W", "-t"], { sectionHeaders: true, sectionDetails: true, wide: true }],
  [["-g"], { sectionGroups: true }],
];

test("fixtures match GNU readelf 2.40", { skip: !haveReadelf && "readelf 2.40 is not installed" }, () => {
  for (const name of FIXTURE_FILES) {
    const path = fixture(name);
    if (!existsSync(path)) continue;
    for (const [args, opts] of CASES) {
      const gnu = spawnSync("readelf", [...args, path], {
        encoding: "latin1",
        env: { ...process.env, LC_ALL: "C" },
      });
      assert.equal(render(path, opts).out, gnu.stdout, `readelf ${args.join(" ")} ${name}`);
    }
  }
});
