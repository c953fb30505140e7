// `anatomy build FILE.c... [-o OUT] [--keep DIR] [--cc CC] [--json] [--full] [-- FLAGS]`: runs the
// compiler driver once (this command exists to run it) and explains what each phase made, then
// follows every relocation of the user's objects into the program.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseAssembly } from "../build/assembly.js";
import { runsHere, type StaticComparison, summarise, timeStartUp } from "../build/compare.js";
import { type DriverCommand, linkDetails } from "../build/driver.js";
import { followRelocations, unplacedRelocations } from "../build/follow.js";
import { explainLinkErrors, parseLinkErrors } from "../build/link-errors.js";
import { parseLinkMap } from "../build/link-map.js";
import { parsePreprocessed } from "../build/preprocessed.js";
import {
  type BuildReport,
  buildModel,
  type LinkReport,
  type ObjectSymbol,
  type OutputSection,
  renderBuild,
  type SourceReport,
} from "../build/report.js";
import { type BuildRequest, runBuild } from "../build/run.js";
import { loadIced } from "../disasm/x86.js";
import { x86InstructionBounds } from "../disasm/x86-refs.js";
import { BufferSource } from "../elf/byte-source.js";
import { EM_X86_64, SHF_ALLOC, SHF_EXECINSTR, SHT_DYNSYM, SHT_NOBITS } from "../elf/constants.js";
import { describeElfError, isElfError } from "../elf/errors.js";
import { ElfFile } from "../elf/file.js";
import { pltTrail } from "../link/plt.js";
import { defaultNmOptions, filterSymbols, readNmTable, sortSymbols } from "../render/nm.js";
import { machineName } from "../render/readelf/names.js";
import { type CommandIO, closeOpenFiles, openFile } from "./io.js";

const USAGE = `Usage: anatomy build [OPTIONS] FILE.c... [-- COMPILER FLAGS]
  Runs the compiler driver once over the sources, keeping every phase's file, and explains each phase:
  preprocess (.i: headers pulled in, where your code sits), compile (.s: functions, data, strings,
  calls), assemble (.o: sections, symbols as nm lists them, relocations) and link (the linker command
  the driver ran, which input gave each section, and every relocation of your objects followed into
  the program: its address, the bytes written, what they reach, the PLT stub and GOT slot of a call
  into a shared library and the library it binds to; x86-64 and AArch64 objects).
  -o OUT      the program to write (default: a.out in the build directory)
  --keep DIR  keep the phases' files in DIR (default: a temporary directory, named in the report)
  --cc CC     the driver to run (default: gcc; clang, aarch64-linux-gnu-gcc, ...)
  --static    also link with -static and set the two programs side by side: sizes, what each needs
              at run time, the archive members pulled in and why, start-up time over many runs
  --runs N    start-up runs of each program for --static (default 200)
  --full      every header, section and archive member, not the first ones
  --json      the model as JSON
`;

interface Options extends BuildRequest {
  json: boolean;
  full: boolean;
  static: boolean;
  runs: number;
}

function parseArgs(args: string[], io: CommandIO): Options | number {
  const o: Options = {
    sources: [],
    output: undefined,
    keep: undefined,
    cc: "gcc",
    flags: [],
    json: false,
    full: false,
    static: false,
    runs: 200,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const value = (): string | undefined => {
      const v = args[++i];
      if (v === undefined) io.stderr.write(`anatomy build: ${a} needs a value\n`);
      return v;
    };
    if (a === "--") {
      o.flags = args.slice(i + 1);
      break;
    }
    if (a === "--help" || a === "-h") {
      io.stdout.write(USAGE);
      return 0;
    }
    if (a === "--json") o.json = true;
    else if (a === "--full") o.full = true;
    else if (a === "--static") o.static = true;
    else if (a === "--runs") {
      const v = value();
      if (v === undefined) return 1;
      o.runs = Number(v);
      if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 100_000) {
        io.stderr.write(`anatomy build: --runs needs a whole number from 1 to 100000, not ${v}\n`);
        return 1;
      }
    } else if (a === "-o" || a === "--keep" || a === "--cc") {
      const v = value();
      if (v === undefined) return 1;
      if (a === "-o") o.output = v;
      else if (a === "--keep") o.keep = v;
      else o.cc = v;
    } else if (a.startsWith("-l") && a.length > 2) o.flags.push(a);
    else if (a.startsWith("-")) {
      io.stderr.write(`anatomy build: unknown option ${a} (compiler flags go after --)\n`);
      return 1;
    } else o.sources.push(a);
  }
  if (o.sources.length === 0) {
    io.stderr.write(USAGE);
    return 1;
  }
  if (o.static && o.flags.includes("-static")) {
    io.stderr.write("anatomy build: --static links the program both ways; leave -static out of the flags\n");
    return 1;
  }
  for (const s of o.sources) {
    const st = statSync(s, { throwIfNoEntry: false });
    const wrong = !st
      ? "no such file"
      : st.isDirectory()
        ? "is a directory, not a file"
        : st.isFile()
          ? ""
          : "is not a regular file";
    if (wrong) {
      io.stderr.write(`anatomy: ${s}: ${wrong}\n`);
      return 1;
    }
  }
  return o;
}

function openElf(path: string): ElfFile {
  return ElfFile.open(new BufferSource(new Uint8Array(readFileSync(path))));
}

/** The symbols nm lists for an object, in nm's order. */
function nmSymbols(file: ElfFile): ObjectSymbol[] {
  const table = readNmTable(file, false);
  if (!table) return [];
  const o = defaultNmOptions();
  const order = sortSymbols(table, filterSymbols(table, o), o);
  const out: ObjectSymbol[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const value = (BigInt(table.valueHi[i] as number) << 32n) | BigInt(table.valueLo[i] as number);
    out.push({ letter: String.fromCharCode(table.classes[i] as number), name: table.name(i), value });
  }
  return out;
}

/** How many macros the preprocessor ends with for a source (its -dM list), or undefined. */
function macroCount(o: Options, source: string): Promise<number | undefined> {
  return new Promise((done) => {
    const args = ["-E", "-dM", resolve(source), ...o.flags.filter((f) => !f.startsWith("-l"))];
    const child = spawn(o.cc, args, { stdio: ["ignore", "pipe", "ignore"] });
    let defines = 0;
    let rest = "";
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) if (l.startsWith("#define ")) defines++;
    });
    child.on("error", () => done(undefined));
    child.on("close", (code) => done(code === 0 ? defines : undefined));
  });
}

/** An ELF relocatable file (what the assembler writes), by its header's first bytes. */
function isRelocatable(path: string): boolean {
  const head = readFileSync(path).subarray(0, 18);
  const elf =
    head.length === 18 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  return elf && (head[5] === 2 ? head[17] === 0 && head[16] === 1 : head[16] === 1 && head[17] === 0);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const o = parseArgs(args, io);
  if (typeof o === "number") return o;
  const building = runBuild(o);
  // While the driver runs: the x86 decoder (WASM, tens of milliseconds to load) that finds where each
  // instruction of the program ends, unless the driver is a cross compiler for another machine.
  if (!/^(aarch64|arm|riscv|mips|s390|powerpc|sparc|alpha|m68k|sh4|hppa|loongarch)/.test(basename(o.cc)))
    await loadIced();
  // The macro counts (-dM) then run beside the driver and the analysis on the core left over: they
  // are read at the end.
  const macros = o.sources.map((source) => macroCount(o, source));
  const b = await building;
  if (b.notRun) {
    io.stderr.write(`anatomy: build: ${b.notRun}\n`);
    return 127;
  }
  const report: BuildReport = {
    compiler: o.cc,
    argv: b.argv,
    dir: b.dir,
    keep: o.keep,
    temporary: b.temporary,
    status: b.status,
    failedPhase: b.failedPhase,
    diagnostics: b.diagnostics,
    sources: [],
    link: undefined,
    problems: [],
  };
  const inDir = (p: string) => resolve(b.dir, p);
  const by = (phase: string, input: string) =>
    b.commands.find((c) => c.phase === phase && c.inputs.some((i) => inDir(i) === input));
  for (const source of o.sources.map((s) => resolve(s))) {
    const s: SourceReport = { source, preprocessed: undefined, compiled: undefined, assembled: undefined };
    report.sources.push(s);
    const pre = by("preprocess", source);
    const iFile = pre?.output ? inDir(pre.output) : undefined;
    const iText = iFile ? readText(iFile) : undefined;
    if (iFile)
      s.preprocessed = {
        file: iFile,
        lines:
          iText !== undefined
            ? parsePreprocessed(iText, pre?.inputs.find((i) => inDir(i) === source) ?? source)
            : undefined,
        macros: undefined,
      };
    const cc = iFile ? by("compile", iFile) : undefined;
    const sFile = cc?.output ? inDir(cc.output) : undefined;
    const sText = sFile ? readText(sFile) : undefined;
    if (sFile && sText !== undefined) {
      const asm = parseAssembly(sText);
      s.compiled = {
        file: sFile,
        functions: asm.functions.map((f) => ({
          name: f.name,
          section: f.section,
          global: f.global,
          weak: f.weak,
        })),
        objects: asm.objects.map((x) => ({
          name: x.name,
          section: x.section,
          size: typeof x.size === "number" ? x.size : undefined,
          global: x.global,
          weak: x.weak,
        })),
        strings: asm.strings.map((x) => ({ label: x.label, section: x.section, value: x.value })),
        calls: asm.calls.map((x) => ({
          from: x.from,
          target: x.target,
          plt: x.plt,
          instruction: x.instruction,
        })),
        instructions: asm.instructions,
      };
    }
    const as = sFile ? by("assemble", sFile) : undefined;
    // A source the driver did not compile (an object given as is) goes to the link as it is.
    const oFile = as?.output ? inDir(as.output) : pre === undefined ? source : undefined;
    if (oFile && existsSync(oFile) && isRelocatable(oFile)) {
      try {
        const obj = openElf(oFile);
        s.assembled = {
          file: oFile,
          sections: obj.sectionHeaders
            .filter((sh) => (sh.sh_flags & SHF_ALLOC) !== 0n)
            .map((sh) => ({
              name: obj.sectionName(sh) ?? "",
              size: sh.sh_size,
              nobits: sh.sh_type === SHT_NOBITS,
            })),
          symbols: nmSymbols(obj),
          // Followed into the program after the link; listed unplaced if there is none.
          relocations: unplacedRelocations(obj),
        };
      } catch (e) {
        report.problems.push(`${oFile}: ${isElfError(e) ? describeElfError(e) : (e as Error).message}`);
      }
    }
  }
  const linkCmd = b.commands.find((c) => c.phase === "link");
  if (linkCmd && b.status === 0 && existsSync(b.output)) {
    try {
      report.link = await linkReport(linkCmd, b.output, b.map, b.dir, report, io);
    } catch (e) {
      if (!isElfError(e)) throw e;
      report.problems.push(`${b.output}: ${describeElfError(e)}`);
    }
  }
  if (b.failedPhase === "link" && linkCmd) {
    const errors = parseLinkErrors(b.diagnostics);
    const wanted = new Set(errors.filter((e) => e.kind === "undefined").map((e) => e.symbol));
    const providers = wanted.size ? librariesDefining(wanted, linkDetails(linkCmd).searchDirs) : new Map();
    const letters = (object: string, symbol: string) =>
      report.sources
        .find((x) => x.assembled && basename(x.assembled.file) === basename(object))
        ?.assembled?.symbols.find((y) => y.name === symbol)?.letter;
    const explained = explainLinkErrors(errors, letters, providers);
    report.linkErrors = errors.map((error, i) => ({ error, explanation: explained[i] ?? "" }));
  }
  for (const [i, s] of report.sources.entries()) if (s.preprocessed) s.preprocessed.macros = await macros[i];
  if (o.static && report.link) report.static = await staticBeside(o, b.output, report);
  if (o.json) io.stdout.write(`${JSON.stringify(buildModel(report), null, 2)}\n`);
  else io.stdout.write(renderBuild(report, o.full));
  for (const p of report.problems) io.stderr.write(`anatomy: ${p}\n`);
  return b.status !== 0 ? b.status : report.problems.length ? 1 : 0;
}

/** The names of `wanted` that an ELF shared library exports; none if it is not ELF or unreadable. */
function exportedOf(path: string, wanted: Set<string>): string[] {
  const found: string[] = [];
  try {
    const file = ElfFile.open(openFile(path));
    for (const table of file.sectionHeaders.filter((sh) => sh.sh_type === SHT_DYNSYM))
      for (const sym of file.symbols(table))
        if (sym.name !== undefined && sym.shndx !== 0 && sym.st_info >> 4 !== 0 && wanted.has(sym.name))
          found.push(sym.name);
  } catch {
    // not ELF or unreadable: it exports nothing we can read
  } finally {
    closeOpenFiles();
  }
  return found;
}

/** The absolute paths a small linker script's GROUP ( ... ) or INPUT ( ... ) names. */
function scriptInputs(path: string): string[] {
  try {
    if (statSync(path).size > 65536) return [];
    const text = readFileSync(path, "latin1");
    if (!/^\s*(\/\*|GROUP|INPUT|OUTPUT_FORMAT)/m.test(text)) return [];
    return [...text.matchAll(/(?:^|[\s(])(\/[^\s()]+)/g)].map((m) => m[1] as string);
  } catch {
    return [];
  }
}

/**
 * For symbols a link could not find: the shared libraries on its search path (`lib*.so`, what `-lNAME`
 * finds) that export each, read from their dynamic symbol tables.
 */
function librariesDefining(wanted: Set<string>, searchDirs: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const dir of searchDirs) {
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((n) => /^lib.+\.so$/.test(n))
        .sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        continue; // a dangling link
      }
      if (seen.has(real)) continue;
      seen.add(real);
      // libc.so and libm.so are linker scripts naming the real libraries: GROUP ( /lib/.../libm.so.6 ... ).
      for (const library of [path, ...scriptInputs(path)])
        for (const name of exportedOf(library, wanted)) {
          const list = out.get(name) ?? [];
          if (!list.includes(path)) list.push(path);
          out.set(name, list);
        }
    }
  }
  return out;
}

/**
 * Where each instruction of an x86-64 object's code ends in the program: its code sections decoded
 * where the link placed them. A pc-relative field counts from there.
 */
async function instructionEnds(
  object: ElfFile,
  program: ElfFile,
  place: (section: string) => bigint | undefined,
): Promise<(address: bigint) => bigint | undefined> {
  const bounds: { start: bigint; end: bigint }[] = [];
  for (const sh of object.sectionHeaders) {
    if ((sh.sh_flags & SHF_EXECINSTR) === 0n || sh.sh_type === SHT_NOBITS || sh.sh_size === 0n) continue;
    const address = place(object.sectionName(sh) ?? "");
    const offset = address === undefined ? undefined : program.vaddrToOffset(address);
    if (address === undefined || offset === undefined) continue;
    const code = program.read(offset, Number(sh.sh_size), "the object's code in the program");
    bounds.push(...(await x86InstructionBounds(code, address, 64)));
  }
  bounds.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return (address) => {
    let lo = 0;
    let hi = bounds.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = bounds[mid] as { start: bigint; end: bigint };
      if (address < b.start) hi = mid - 1;
      else if (address >= b.end) lo = mid + 1;
      else return b.end;
    }
    return undefined;
  };
}

/** The same sources linked again with -static, and the two programs set side by side. */
async function staticBeside(
  o: Options,
  dynamicOutput: string,
  report: BuildReport,
): Promise<StaticComparison | undefined> {
  const output = `${dynamicOutput}-static`;
  // The objects the first build made, linked again: only the link differs.
  const objects = report.sources.map((s) => s.assembled?.file ?? s.source);
  const b = await runBuild({
    ...o,
    sources: objects,
    output,
    keep: report.dir,
    flags: [...o.flags, "-static"],
  });
  if (b.status !== 0 || !existsSync(output)) {
    const why = b.notRun ?? (b.diagnostics.trim().split("\n").at(-1) || `exit status ${b.status}`);
    report.problems.push(`${output}: the -static link failed: ${why}`);
    return undefined;
  }
  try {
    const dynamicFile = openElf(dynamicOutput);
    const staticFile = openElf(output);
    const members = parseLinkMap(readText(b.map) ?? "").archiveMembers.map((m) => ({
      archive: m.archive ?? "",
      member: m.member,
      by: resolve(b.dir, m.by ?? ""),
      symbol: m.symbol,
    }));
    const dynamic = summarise(
      dynamicOutput,
      dynamicFile,
      statSync(dynamicOutput).size,
      report.link?.archiveMembers ?? [],
    );
    const linkedStatic = summarise(output, staticFile, statSync(output).size, members);
    const notTimed = runsHere(dynamicFile.header.e_machine)
      ? undefined
      : `${machineName(dynamicFile.header.e_machine)} programs do not run on this ${process.arch} machine`;
    if (!notTimed) [dynamic.startUp, linkedStatic.startUp] = timeStartUp([dynamicOutput, output], o.runs);
    return { dynamic, static: linkedStatic, pulled: members, notTimed };
  } catch (e) {
    if (!isElfError(e)) throw e;
    report.problems.push(`${output}: ${describeElfError(e)}`);
    return undefined;
  }
}

async function linkReport(
  command: DriverCommand,
  output: string,
  mapPath: string,
  dir: string,
  report: BuildReport,
  io: CommandIO,
): Promise<LinkReport> {
  const program = openElf(output);
  const mapText = readText(mapPath) ?? "";
  const map = parseLinkMap(mapText);
  const allocatedNames = new Set(
    program.sectionHeaders
      .filter((sh) => (sh.sh_flags & SHF_ALLOC) !== 0n)
      .map((sh) => program.sectionName(sh)),
  );
  const nobits = new Set(
    program.sectionHeaders.filter((sh) => sh.sh_type === SHT_NOBITS).map((sh) => program.sectionName(sh)),
  );
  // Output sections with an address: the default script names many that ld never makes.
  // ld files what it makes itself (.interp, .dynsym, .plt, .got, .rela.dyn, the PLT's .eh_frame, ...)
  // under its first input (Scrt1.o): an input past the file's own allocated sections of that name is
  // the linker's.
  const given = new Map<string, number>();
  const inputSections = new Map<string, Map<string, number>>();
  const madeByLinker = (file: string, section: string): boolean => {
    if (file.endsWith(")") || !existsSync(file)) return false; // an archive member: its own section
    let counts = inputSections.get(file);
    if (!counts) {
      counts = new Map();
      try {
        const f = openElf(file);
        for (const sh of f.sectionHeaders) {
          if ((sh.sh_flags & SHF_ALLOC) === 0n) continue;
          const name = f.sectionName(sh) ?? "";
          counts.set(name, (counts.get(name) ?? 0) + 1);
        }
      } catch {
        return false; // not an object we can read: take the map at its word
      }
      inputSections.set(file, counts);
    }
    const key = `${file}\0${section}`;
    const n = (given.get(key) ?? 0) + 1;
    given.set(key, n);
    return n > (counts.get(section) ?? 0);
  };
  const sections: OutputSection[] = [];
  for (const s of map.outputSections) {
    if (s.address === undefined) continue;
    // Not the merged strings a file gave that were all duplicates (ld lists them past the section's end).
    const inputs = s.contributions
      .filter((c) => !c.excluded)
      .map((c) => {
        const file = resolve(dir, c.file);
        return {
          file,
          section: c.section,
          address: c.address,
          size: c.size,
          byLinker: madeByLinker(file, c.section),
        };
      });
    const size = s.size ?? 0n;
    sections.push({
      name: s.name,
      address: s.address,
      size,
      nobits: nobits.has(s.name),
      allocated: allocatedNames.has(s.name),
      inputs,
      // Alignment gaps between the inputs and at the end (the map's *fill* and ALIGN).
      padding: size - inputs.reduce((n, i) => n + i.size, 0n),
    });
  }
  const trail = program.programHeaders.some((p) => p.p_type === 2) ? pltTrail(program) : undefined;
  const libraries = new Map<string, string | undefined>();
  if (trail) {
    const { fileReport } = await import("./plt.js");
    // A program for another machine binds on that machine: to the cross toolchain's libraries, the
    // directories its link searched (/usr/aarch64-linux-gnu/lib), as LD_LIBRARY_PATH would find them.
    const env = runsHere(program.header.e_machine)
      ? io.env
      : {
          ...io.env,
          LD_LIBRARY_PATH: linkDetails(command)
            .searchDirs.map((d) => resolve(d))
            .join(":"),
        };
    const quiet = { ...io, env, stdout: { write: () => {} }, stderr: { write: () => {} } } as CommandIO;
    const plt = await fileReport(output, program, quiet, {
      code: false,
      addresses: false,
      programOnly: true,
    });
    if (typeof plt !== "number")
      for (const row of plt.rows) if (row.symbol) libraries.set(row.symbol, row.library);
  }
  let disagreements = 0;
  for (const s of report.sources) {
    const a = s.assembled;
    if (!a) continue;
    const place = (section: string) =>
      sections.flatMap((x) => x.inputs).find((i) => i.file === a.file && i.section === section)?.address;
    try {
      const object = openElf(a.file);
      const ends =
        object.header.e_machine === EM_X86_64 ? await instructionEnds(object, program, place) : undefined;
      a.relocations = followRelocations(object, program, place, trail, ends);
    } catch (e) {
      report.problems.push(`${a.file}: ${isElfError(e) ? describeElfError(e) : (e as Error).message}`);
    }
    disagreements += a.relocations.filter((r) => r.agrees === false).length;
  }
  return {
    command,
    details: linkDetails(command),
    program: output,
    sections,
    archiveMembers: map.archiveMembers.map((m) => ({
      archive: m.archive ?? "",
      member: m.member,
      by: m.by ?? "",
      symbol: m.symbol,
    })),
    libraries,
    disagreements,
  };
}
