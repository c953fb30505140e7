import {
  type ByteSource,
  describeElfError,
  ElfFile,
  ET_DYN,
  isArchive,
  isElfError,
  isElfMagic,
  parseArchive,
} from "../elf/index.js";
import { printArchSpecific } from "../render/readelf/arch-specific.js";
import { printArchiveIndex } from "../render/readelf/archive-index.js";
import {
  defaultReadelfOptions,
  type ReadelfContext,
  type ReadelfOptions,
} from "../render/readelf/context.js";
import { printSectionDumps } from "../render/readelf/dumps.js";
import { printDynamic } from "../render/readelf/dynamic.js";
import { printFileHeader } from "../render/readelf/file-header.js";
import { printNotes } from "../render/readelf/notes.js";
import {
  checkProgramHeaders,
  printProgramHeaders,
  programHeadersReadable,
} from "../render/readelf/program-headers.js";
import { printRelocations } from "../render/readelf/relocations.js";
import {
  checkSectionHeaders,
  printSectionGroups,
  printSectionHeaders,
  readelfSections,
} from "../render/readelf/section-headers.js";
import { printSymbols } from "../render/readelf/symbols.js";
import { printUnwind } from "../render/readelf/unwind.js";
import { printVersionInfo } from "../render/readelf/version-info.js";
import { expandArgs } from "./argfile.js";
import { nodeDecompressors } from "./decompressors.js";
import { loadDemangler } from "./demangle.js";
import type { CommandIO } from "./io.js";
import { readelfUsage } from "./readelf-usage.js";

type Flag = keyof {
  [K in keyof ReadelfOptions as ReadelfOptions[K] extends boolean ? K : never]: true;
};

const SHORT_FLAGS: Record<string, Flag[]> = {
  h: ["fileHeader"],
  l: ["programHeaders"],
  S: ["sectionHeaders"],
  g: ["sectionGroups"],
  t: ["sectionDetails", "sectionHeaders"],
  e: ["fileHeader", "programHeaders", "sectionHeaders"],
  s: ["symbols"],
  n: ["notes"],
  r: ["relocs"],
  u: ["unwind"],
  d: ["dynamic"],
  V: ["versionInfo"],
  A: ["archSpecific"],
  c: ["archiveIndex"],
  D: ["useDynamic"],
  I: ["histogram"],
  W: ["wide"],
  C: ["demangle"],
  T: ["silentTruncation"],
  z: ["decompress"],
  a: [
    "symbols",
    "relocs",
    "unwind",
    "dynamic",
    "fileHeader",
    "sectionHeaders",
    "sectionGroups",
    "programHeaders",
    "versionInfo",
    "histogram",
    "archSpecific",
    "notes",
  ],
};

const LONG_FLAGS: Record<string, string> = {
  all: "a",
  "file-header": "h",
  "program-headers": "l",
  segments: "l",
  "section-headers": "S",
  sections: "S",
  "section-groups": "g",
  "section-details": "t",
  headers: "e",
  syms: "s",
  symbols: "s",
  notes: "n",
  relocs: "r",
  unwind: "u",
  dynamic: "d",
  "version-info": "V",
  "arch-specific": "A",
  "archive-index": "c",
  "use-dynamic": "D",
  histogram: "I",
  wide: "W",
  demangle: "C",
  "silent-truncation": "T",
  decompress: "z",
};

const DUMPS = { x: "hexDump", p: "stringDump", R: "relocatedDump" } as const;
const LONG_DUMPS: Record<string, keyof typeof DUMPS> = {
  "hex-dump": "x",
  "string-dump": "p",
  "relocated-dump": "R",
};

/**
 * Options readelf --help lists that anatomy does not implement: refused with one line rather than
 * ignored, so no output is mistaken for GNU's. Keyed by long name; the value is how the message names it.
 */
const UNSUPPORTED_LONG: Record<string, string> = {
  "debug-dump": "--debug-dump",
  lint: "--lint",
  "enable-checks": "--enable-checks",
  "process-links": "--process-links",
  "lto-syms": "--lto-syms",
  sframe: "--sframe",
  ctf: "--ctf",
  "ctf-parent": "--ctf-parent",
  "ctf-symbols": "--ctf-symbols",
  "ctf-strings": "--ctf-strings",
  "no-recurse-limit": "--no-recurse-limit",
};
const UNSUPPORTED_SHORT: Record<string, string> = {
  w: "-w (--debug-dump)",
  L: "-L (--lint)",
  P: "-P (--process-links)",
};
/** Long options that only shape the -w output, which is refused: accepted, as GNU accepts them alone. */
const DWARF_ONLY = new Set(["dwarf-depth", "dwarf-start"]);

const notSupported = (what: string) => `anatomy: readelf: ${what} is not supported yet\n`;

interface ParsedArgs {
  opts: ReadelfOptions;
  files: string[];
  /** Set when the command line asks for help, the version, or is wrong: print it and exit. */
  exit?: { text: string; toStderr: boolean; status: number };
}

export function parseReadelfArgs(rawArgs: string[]): ParsedArgs {
  const args = expandArgs(rawArgs);
  const opts = defaultReadelfOptions();
  const files: string[] = [];
  let any = false;
  const bad = (msg: string): ParsedArgs => ({
    opts,
    files,
    exit: { text: `readelf: ${msg}\n${readelfUsage}`, toStderr: true, status: 1 },
  });
  const refuse = (what: string): ParsedArgs => ({
    opts,
    files,
    exit: { text: notSupported(what), toStderr: true, status: 1 },
  });
  // -U/--unicode: only the default treatment (bytes as they are, in the C locale) is implemented.
  const unicode = (v: string): ParsedArgs | undefined =>
    v === "default" || v === "d" ? undefined : refuse(`--unicode=${v}`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      files.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (name === "help") return { opts, files, exit: { text: readelfUsage, toStderr: false, status: 0 } };
      if (name === "version")
        return { opts, files, exit: { text: READELF_VERSION, toStderr: false, status: 0 } };
      if (Object.hasOwn(UNSUPPORTED_LONG, name)) return refuse(UNSUPPORTED_LONG[name]!);
      if (name === "unicode") {
        const v = value ?? args[++i];
        if (v === undefined) return bad(`option '--${name}' requires an argument`);
        const refused = unicode(v);
        if (refused) return refused;
      } else if (DWARF_ONLY.has(name)) {
        if (value === undefined && args[++i] === undefined)
          return bad(`option '--${name}' requires an argument`);
      } else if (name === "recurse-limit") {
        // The default: demangling keeps its recursion limit.
      } else if (name === "dyn-syms") {
        opts.dynSyms = any = true;
      } else if (name === "no-demangle") {
        opts.demangle = false;
      } else if (name === "sym-base") {
        if (value === "0" || value === "8" || value === "10" || value === "16")
          opts.symBase = Number(value) as 0;
      } else if (name === "demangle") {
        opts.demangle = value !== "none";
      } else if (Object.hasOwn(LONG_DUMPS, name)) {
        const v = value ?? args[++i];
        if (v === undefined) return bad(`option '--${name}' requires an argument`);
        opts[DUMPS[LONG_DUMPS[name]!]].push(v);
        any = true;
      } else if (Object.hasOwn(LONG_FLAGS, name)) {
        for (const f of SHORT_FLAGS[LONG_FLAGS[name]!]!) opts[f] = true;
        if (!["W", "C", "T", "z", "D"].includes(LONG_FLAGS[name]!)) any = true;
      } else {
        return bad(`unrecognized option '${arg}'`);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        if (c === "H") return { opts, files, exit: { text: readelfUsage, toStderr: false, status: 0 } };
        if (c === "v") return { opts, files, exit: { text: READELF_VERSION, toStderr: false, status: 0 } };
        if (Object.hasOwn(UNSUPPORTED_SHORT, c)) return refuse(UNSUPPORTED_SHORT[c]!);
        if (c === "U") {
          const v = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
          if (v === undefined) return bad(`option requires an argument -- '${c}'`);
          const refused = unicode(v);
          if (refused) return refused;
          break;
        }
        if (Object.hasOwn(DUMPS, c)) {
          const v = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
          if (v === undefined) return bad(`option requires an argument -- '${c}'`);
          opts[DUMPS[c as keyof typeof DUMPS]].push(v);
          any = true;
          break;
        }
        const flags = SHORT_FLAGS[c];
        if (!flags) return bad(`invalid option -- '${c}'`);
        for (const f of flags) opts[f] = true;
        if (!"WCTzD".includes(c)) any = true;
      }
      continue;
    }
    files.push(arg);
  }
  if (!any || files.length === 0) {
    const text = any ? `readelf: Warning: Nothing to do.\n${readelfUsage}` : readelfUsage;
    return { opts, files, exit: { text, toStderr: true, status: 1 } };
  }
  return { opts, files };
}

declare const ANATOMY_VERSION: string | undefined;

const READELF_VERSION = `anatomy readelf (GNU binutils-compatible, 2.40) ${typeof ANATOMY_VERSION === "string" ? ANATOMY_VERSION : "dev"}\n`;

/** The views, in the order readelf.c's process_object runs them. */
const VIEWS: [string, (ctx: ReadelfContext) => void, (o: ReadelfOptions) => boolean][] = [
  ["file header", printFileHeader, (o) => o.fileHeader],
  ["section headers", printSectionHeaders, (o) => o.sectionHeaders],
  // readelf reads (and warns about) the section and program headers even when it does not print them.
  ["section headers", checkSectionHeaders, (o) => !o.sectionHeaders],
  ["section groups", printSectionGroups, (o) => o.sectionGroups],
  ["program headers", printProgramHeaders, (o) => o.programHeaders],
  ["program headers", checkProgramHeaders, (o) => !o.programHeaders],
  ["dynamic section", printDynamic, (o) => o.dynamic],
  ["relocations", printRelocations, (o) => o.relocs],
  ["unwind info", printUnwind, (o) => o.unwind],
  ["symbols", printSymbols, (o) => o.symbols || o.dynSyms || o.histogram],
  ["version info", printVersionInfo, (o) => o.versionInfo],
  [
    "section dumps",
    printSectionDumps,
    (o) => o.hexDump.length + o.stringDump.length + o.relocatedDump.length > 0,
  ],
  ["notes", printNotes, (o) => o.notes],
  ["arch specific", printArchSpecific, (o) => o.archSpecific],
];

/** The views whose result readelf.c's process_object throws away (file header, sections, groups, segments). */
const HEADER_VIEWS = new Set<(ctx: ReadelfContext) => void>([
  printFileHeader,
  printSectionHeaders,
  checkSectionHeaders,
  printSectionGroups,
  printProgramHeaders,
  checkProgramHeaders,
]);

/**
 * Whether readelf.c's get_program_headers can load the table, reporting as it does when it cannot:
 * readelf caches the table once read but not a failure, so every caller reports it again. An oversized
 * e_phentsize is warned about once, by the read that succeeds (the program-header view).
 */
function readProgramHeaders(ctx: ReadelfContext, phnum: number): boolean {
  return phnum !== 0 && programHeadersReadable(ctx, phnum, false);
}

/** e_phnum after extended numbering, as far as section 0 can be read. */
function segmentCount(file: ElfFile): number {
  try {
    return file.segmentCount;
  } catch {
    return file.header.e_phnum;
  }
}

/** process_section_headers failed: the table could not be read, or e_shoff points at no sections. */
function sectionHeadersLost(ctx: ReadelfContext): boolean {
  const { shnum, headers } = readelfSections(ctx, false);
  return ctx.file.header.e_shoff !== 0n && (shnum === 0 || headers === undefined);
}

/**
 * process_object, when process_section_headers fails: "Without loaded section headers we cannot process
 * lots of things". readelf clears these do_* flags globally, so later files on the command line (and
 * later archive members) lose those views too.
 */
function dropSectionViews(opts: ReadelfOptions): void {
  opts.unwind = opts.versionInfo = opts.archSpecific = false;
  opts.hexDump = [];
  opts.stringDump = [];
  opts.relocatedDump = [];
  if (!opts.useDynamic) opts.symbols = opts.dynSyms = opts.relocs = false;
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const parsed = parseReadelfArgs(args);
  if (parsed.exit) {
    (parsed.exit.toStderr ? io.stderr : io.stdout).write(parsed.exit.text);
    return parsed.exit.status;
  }
  const { opts, files } = parsed;
  const demangle = opts.demangle ? await loadDemangler() : (name: string) => name;
  const decompressors = nodeDecompressors();
  let status = 0;
  const warn = (m: string) => io.stderr.write(`readelf: Warning: ${m}\n`);
  const error = (m: string) => {
    io.stderr.write(`readelf: Error: ${m}\n`);
    status = 1;
  };

  const processObject = (source: ByteSource, fileName: string): void => {
    let file: ElfFile;
    try {
      file = ElfFile.open(source);
    } catch (e) {
      if (!isElfError(e)) throw e;
      if (e.code === "not-elf") error("Not an ELF file - it has the wrong magic bytes at the start");
      else if (e.structure === "ELF header") error(`${fileName}: Failed to read file header`);
      else error(describeElfError(e));
      return;
    }
    const ctx: ReadelfContext = {
      file,
      fileName,
      out: io.stdout,
      opts,
      warn,
      error,
      demangle,
      fail: () => {
        status = 1;
      },
      decompressors,
    };
    // process_object ignores what the header views return: their errors leave the exit status alone.
    const headerCtx: ReadelfContext = {
      ...ctx,
      error: (m) => io.stderr.write(`readelf: Error: ${m}\n`),
      fail: () => {},
    };
    let sectionsLost = false;
    for (const [view, print, wanted] of VIEWS) {
      if (!wanted(opts)) continue;
      const isHeaderView = HEADER_VIEWS.has(print);
      try {
        // get_file_type's is_pie reads the program headers for an ET_DYN file's "Type:" line (and the
        // "Elf file type is" line of -l without -h), reporting each time they fail to load.
        if (
          file.header.e_type === ET_DYN &&
          (print === printFileHeader || (print === printProgramHeaders && !opts.fileHeader))
        )
          readProgramHeaders(headerCtx, file.header.e_phnum);
        if (isHeaderView) print(headerCtx);
        else if (print === printNotes && sectionsLost) {
          // process_note_sections finds no sections and reads the PT_NOTE segments instead, as
          // process_corefile_note_segments, which goes on quietly when the segments cannot be read.
          if (readProgramHeaders(headerCtx, segmentCount(file)))
            print({ ...ctx, file: file.withoutSectionHeaders() });
        } else print(ctx);
        if ((print === printSectionHeaders || print === checkSectionHeaders) && sectionHeadersLost(ctx)) {
          sectionsLost = true;
          dropSectionViews(opts);
        }
      } catch (e) {
        // One broken table fails only its own view; the others still print. Our own bugs always fail.
        if (isElfError(e)) (isHeaderView ? headerCtx.error : error)(`${fileName}: ${describeElfError(e)}`);
        else
          error(
            `${fileName}: internal error while printing the ${view}: ${e instanceof Error ? e.message : String(e)}`,
          );
      }
    }
  };

  for (const path of files) {
    let source: ByteSource & { close?(): void };
    try {
      source = io.openFile(path);
    } catch (e) {
      error(e instanceof Error ? e.message : String(e));
      continue;
    }
    try {
      if (isArchive(source)) {
        processArchive(source, path, opts, io, processObject, error);
      } else {
        // readelf's error() prints without changing the exit status here.
        if (opts.archiveIndex)
          io.stderr.write(
            `readelf: Error: File ${path} is not an archive so its index cannot be displayed.\n`,
          );
        if (files.length > 1) io.stdout.write(`\nFile: ${path}\n`);
        if (source.size < 8) error(`${path}: Failed to read file's magic number`);
        else if (isElfMagic(source.read(0, 4))) processObject(source, path);
        else error("Not an ELF file - it has the wrong magic bytes at the start");
      }
    } finally {
      source.close?.();
    }
  }
  return status;
}

function processArchive(
  source: ByteSource,
  path: string,
  opts: ReadelfOptions,
  io: CommandIO,
  processObject: (s: ByteSource, name: string) => void,
  error: (m: string) => void,
): void {
  let archive: ReturnType<typeof parseArchive>;
  try {
    archive = parseArchive(source);
  } catch (e) {
    if (isElfError(e)) error(`${path}: ${describeElfError(e)}`);
    else throw e;
    return;
  }
  // readelf reports a missing or broken index with error(), which leaves the exit status alone.
  if (opts.archiveIndex)
    printArchiveIndex(archive, path, io.stdout, (m) => io.stderr.write(`readelf: Error: ${m}\n`));
  // process_archive: when only the index was asked for, the members are not opened at all.
  const memberViews = VIEWS.filter(
    ([, print, wanted]) => print !== checkSectionHeaders && print !== checkProgramHeaders && wanted(opts),
  );
  if (memberViews.length === 0) return;
  for (const member of archive.members) {
    const name = `${path}(${member.name})`;
    if (!member.source) {
      // Thin archive: the member is a separate file, named relative to the archive's directory.
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
      const memberPath = member.name.startsWith("/") ? member.name : dir + member.name;
      let ext: ByteSource & { close?(): void };
      try {
        ext = io.openFile(memberPath);
      } catch (e) {
        error(e instanceof Error ? e.message : String(e));
        continue;
      }
      io.stdout.write(`\nFile: ${path}(${memberPath})\n`);
      try {
        processObject(ext, name);
      } finally {
        ext.close?.();
      }
      continue;
    }
    io.stdout.write(`\nFile: ${name}\n`);
    processObject(member.source, name);
  }
}
