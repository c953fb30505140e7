// `anatomy objdump`: GNU objdump 2.40's header, symbol, relocation and contents views, byte for byte.
// Per file objdump prints, in this order: the file-format line, then -a, -f, -p, -h, -t, -T, -r, -R, -s
// and -d (found by running objdump with every combination); options are parsed as its getopt_long does.

import type { DisassembleOptions } from "../disasm/listing.js";
import type { ListingThreads } from "../disasm/pieces.js";
import {
  type ByteSource,
  describeElfError,
  ElfFile,
  ET_DYN,
  isArchive,
  isElfError,
  isElfMagic,
  latin1,
  parseArchive,
} from "../elf/index.js";
import { type BfdSymbol, bfdSections, bfdSymbols, formatName } from "../render/objdump/bfd-view.js";
import { printContents } from "../render/objdump/contents.js";
import { printFileHeader, printPrivateHeaders, printSectionHeaders } from "../render/objdump/headers.js";
import { printDynamicRelocations, printRelocations } from "../render/objdump/relocations.js";
import { printSymbolTable } from "../render/objdump/symbols.js";
import { expandArgs } from "./argfile.js";
import { nodeDecompressors } from "./decompressors.js";
import { loadDemangler } from "./demangle.js";
import { FatalError, getoptLong, type LongOption, reportParseFailure, UnsupportedError } from "./getopt.js";
import { type CommandIO, isInputError, sourceDescriptor } from "./io.js";

declare const ANATOMY_VERSION: string | undefined;

/** Our usage: only the options that work (objdump's own lists many more). */
const USAGE = `Usage: objdump <option(s)> <file(s)>
 Display information from object <file(s)>.
 At least one of the following switches must be given:
  -a, --archive-headers    Display archive header information
  -f, --file-headers       Display the contents of the overall file header
  -p, --private-headers    Display object format specific file header contents
  -h, --[section-]headers  Display the contents of the section headers
  -x, --all-headers        Display the contents of all headers
  -d, --disassemble        Display assembler contents of executable sections
  -D, --disassemble-all    Display assembler contents of all sections
      --disassemble=<sym>  Display assembler contents from <sym>
  -s, --full-contents      Display the full contents of all sections requested
  -t, --syms               Display the contents of the symbol table(s)
  -T, --dynamic-syms       Display the contents of the dynamic symbol table
  -r, --reloc              Display the relocation entries in the file
  -R, --dynamic-reloc      Display the dynamic relocation entries in the file
  @<file>                  Read options from <file>
  -v, --version            Display this program's version number
  -H, --help               Display this information

 The following switches are optional:
  -j, --section=NAME             Only display information for section NAME
  -C, --demangle[=STYLE]         Decode mangled/processed symbol names
  -M, --disassembler-options=OPT Pass text OPT on to the disassembler (att, intel, suffix)
  -w, --wide                     Format output for more than 80 columns
  -z, --disassemble-zeroes       Do not skip blocks of zeroes when disassembling
      --start-address=ADDR       Only process data whose address is >= ADDR
      --stop-address=ADDR        Only process data whose address is < ADDR
      --no-addresses             Do not print address alongside disassembly
      --[no-]show-raw-insn       Display hex alongside symbolic disassembly
`;

/** objdump 2.40's long options in its table's order (getopt lists ambiguous matches in this order). */
const LONG_OPTIONS: LongOption[] = [
  ["adjust-vma", "required", "adjust-vma"],
  ["all-headers", "none", "x"],
  ["architecture", "required", "m"],
  ["archive-headers", "none", "a"],
  ["ctf", "optional", "ctf"],
  ["ctf-parent", "required", "ctf-parent"],
  ["debugging", "none", "g"],
  ["debugging-tags", "none", "e"],
  ["demangle", "optional", "C"],
  ["disassemble", "optional", "d"],
  ["disassemble-all", "none", "D"],
  ["disassemble-zeroes", "none", "z"],
  ["disassembler-options", "required", "M"],
  ["dwarf", "optional", "W"],
  ["dwarf-check", "none", "dwarf-check"],
  ["dwarf-depth", "required", "dwarf-depth"],
  ["dwarf-start", "required", "dwarf-start"],
  ["dynamic-reloc", "none", "R"],
  ["dynamic-syms", "none", "T"],
  ["endian", "required", "endian"],
  ["file-headers", "none", "f"],
  ["file-offsets", "none", "F"],
  ["file-start-context", "none", "file-start-context"],
  ["full-contents", "none", "s"],
  ["headers", "none", "h"],
  ["help", "none", "H"],
  ["include", "required", "I"],
  ["info", "none", "i"],
  ["inlines", "none", "inlines"],
  ["insn-width", "required", "insn-width"],
  ["line-numbers", "none", "l"],
  ["no-addresses", "none", "no-addresses"],
  ["no-recurse-limit", "none", "no-recurse-limit"],
  ["no-recursion-limit", "none", "no-recurse-limit"],
  ["no-show-raw-insn", "none", "no-show-raw-insn"],
  ["prefix", "required", "prefix"],
  ["prefix-addresses", "none", "prefix-addresses"],
  ["prefix-strip", "required", "prefix-strip"],
  ["private", "required", "P"],
  ["private-headers", "none", "p"],
  ["process-links", "none", "L"],
  ["recurse-limit", "none", "recurse-limit"],
  ["reloc", "none", "r"],
  ["section", "required", "j"],
  ["section-headers", "none", "h"],
  ["sframe", "optional", "sframe"],
  ["show-all-symbols", "none", "show-all-symbols"],
  ["show-raw-insn", "none", "show-raw-insn"],
  ["source", "none", "S"],
  ["source-comment", "optional", "source-comment"],
  ["special-syms", "none", "special-syms"],
  ["stabs", "none", "G"],
  ["start-address", "required", "start-address"],
  ["stop-address", "required", "stop-address"],
  ["syms", "none", "t"],
  ["target", "required", "b"],
  ["unicode", "required", "U"],
  ["version", "none", "v"],
  ["visualize-jumps", "optional", "visualize-jumps"],
  ["wide", "none", "w"],
  ["disassembler-color", "required", "disassembler-color"],
];

/** objdump's short options: those that take an argument, and those that do not (W takes an optional one). */
const SHORT_WITH_ARG = new Set("bmMjIPEU".split(""));
const SHORT_NO_ARG = new Set("aCdDeFfgGHhilLprRsStTvVwxz".split(""));

/** Options objdump has that anatomy does not implement yet: refused with one line, never ignored. */
const UNSUPPORTED = new Set([
  "adjust-vma",
  "m",
  "b",
  "ctf",
  "ctf-parent",
  "g",
  "e",
  "W",
  "dwarf-check",
  "dwarf-depth",
  "dwarf-start",
  "endian",
  "E",
  "F",
  "file-start-context",
  "I",
  "i",
  "inlines",
  "l",
  "prefix",
  "prefix-strip",
  "P",
  "L",
  "sframe",
  "S",
  "source-comment",
  "special-syms",
  "G",
  "U",
  "visualize-jumps",
  "show-all-symbols",
  "prefix-addresses",
  "insn-width",
  "disassembler-color",
  "no-recurse-limit",
]);

interface Options {
  archiveHeaders: boolean;
  fileHeaders: boolean;
  privateHeaders: boolean;
  sectionHeaders: boolean;
  syms: boolean;
  dynamicSyms: boolean;
  reloc: boolean;
  dynamicReloc: boolean;
  contents: boolean;
  /** -d, -D (all), --disassemble=SYMBOL. */
  disassemble: boolean;
  disassembleAll: boolean;
  disassembleSymbol?: string;
  zeros: boolean;
  showRaw: boolean;
  showAddresses: boolean;
  syntax: "att" | "intel";
  suffix: boolean;
  wide: boolean;
  demangle: boolean;
  sections: string[];
  start?: bigint;
  stop?: bigint;
  help: boolean;
  version: boolean;
  files: string[];
}

/** Thrown after a fatal message: objdump stops at once. */
class FatalStop extends Error {}

/** bfd_scan_vma with base 0: 0x hex, leading 0 octal, else decimal; the whole text must be a number. */
function parseAddress(option: string, text: string): bigint {
  const t = text.trim();
  const ok = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(t);
  if (!ok) throw new FatalError(`${option}: bad number: ${text}`);
  const v =
    t.length > 1 && t[0] === "0" && t[1] !== "x" && t[1] !== "X" ? BigInt(`0o${t.slice(1)}`) : BigInt(t);
  return BigInt.asUintN(64, v);
}

function parseArgs(rawArgs: string[], err: (m: string) => void): Options {
  const args = expandArgs(rawArgs);
  const o: Options = {
    archiveHeaders: false,
    fileHeaders: false,
    privateHeaders: false,
    sectionHeaders: false,
    syms: false,
    dynamicSyms: false,
    reloc: false,
    dynamicReloc: false,
    contents: false,
    disassemble: false,
    disassembleAll: false,
    zeros: false,
    showRaw: true,
    showAddresses: true,
    syntax: "att",
    suffix: false,
    wide: false,
    demangle: false,
    sections: [],
    help: false,
    version: false,
    files: [],
  };
  const apply = (key: string, value: string | undefined, spelled: string) => {
    if (UNSUPPORTED.has(key)) throw new UnsupportedError(spelled);
    switch (key) {
      case "a":
        o.archiveHeaders = true;
        break;
      case "f":
        o.fileHeaders = true;
        break;
      case "p":
        o.privateHeaders = true;
        break;
      case "h":
        o.sectionHeaders = true;
        break;
      case "x":
        o.archiveHeaders = o.fileHeaders = o.privateHeaders = o.sectionHeaders = o.reloc = o.syms = true;
        break;
      case "t":
        o.syms = true;
        break;
      case "T":
        o.dynamicSyms = true;
        break;
      case "r":
        o.reloc = true;
        break;
      case "R":
        o.dynamicReloc = true;
        break;
      case "s":
        o.contents = true;
        break;
      case "w":
        o.wide = true;
        break;
      case "d":
        o.disassemble = true;
        if (value !== undefined) o.disassembleSymbol = value;
        break;
      case "D":
        o.disassemble = o.disassembleAll = true;
        break;
      case "z":
        o.zeros = true;
        break;
      case "show-raw-insn":
        o.showRaw = true;
        break;
      case "no-show-raw-insn":
        o.showRaw = false;
        break;
      case "no-addresses":
        o.showAddresses = false;
        break;
      case "M":
        for (const m of (value ?? "").split(",")) {
          if (m === "att" || m === "intel") o.syntax = m;
          else if (m === "suffix") o.suffix = true;
          else if (m !== "") throw new UnsupportedError(`-M ${m}`);
        }
        break;
      case "C":
        if (
          value !== undefined &&
          !["none", "auto", "gnu-v3", "java", "gnat", "dlang", "rust"].includes(value)
        )
          throw new FatalError(`unknown demangling style \`${value}'`);
        o.demangle = value !== "none";
        break;
      case "j":
        o.sections.push(value ?? "");
        break;
      case "start-address":
        o.start = parseAddress("--start-address", value ?? "");
        break;
      case "stop-address":
        o.stop = parseAddress("--stop-address", value ?? "");
        break;
      case "H":
        o.help = true;
        break;
      case "v":
      case "V":
        o.version = true;
        break;
      default:
        // --recurse-limit: the default already.
        break;
    }
  };
  getoptLong(
    args,
    {
      program: "objdump",
      long: LONG_OPTIONS,
      shortWithArg: SHORT_WITH_ARG,
      shortNoArg: SHORT_NO_ARG,
      shortOptionalArg: new Set(["W"]),
    },
    err,
    apply,
    o.files,
  );
  return o;
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const err = (m: string) => io.stderr.write(m);
  let o: Options;
  try {
    o = parseArgs(args, err);
  } catch (e) {
    return reportParseFailure("objdump", USAGE, e, err);
  }
  if (o.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (o.version) {
    io.stdout.write(
      `anatomy objdump (GNU binutils-compatible, 2.40) ${typeof ANATOMY_VERSION === "string" ? ANATOMY_VERSION : "dev"}\n`,
    );
    return 0;
  }
  const any =
    o.archiveHeaders ||
    o.fileHeaders ||
    o.privateHeaders ||
    o.sectionHeaders ||
    o.syms ||
    o.dynamicSyms ||
    o.reloc ||
    o.dynamicReloc ||
    o.contents ||
    o.disassemble;
  if (!any) {
    err(USAGE);
    return 2;
  }
  const demangle = o.demangle ? await loadDemangler() : undefined;
  const dump = new ObjdumpRun(io, o, demangle);
  try {
    for (const f of o.files.length === 0 ? ["a.out"] : o.files) await dump.displayFile(f);
  } catch (e) {
    if (e instanceof FatalStop) return 1;
    throw e;
  }
  if (o.sections.length > 0) {
    for (const name of o.sections)
      if (!dump.sectionsSeen.has(name)) {
        dump.error(`section '${name}' mentioned in a -j option, but not found in any input file`);
      }
  }
  return dump.status;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** An ar member header as `objdump -a` prints it: mode, uid/gid, size, date, name. */
function archiveHeaderLine(source: ByteSource, headerOffset: number, name: string, size: number): string {
  const h = latin1(source.read(headerOffset, 60));
  const field = (at: number, len: number) => h.slice(at, at + len).trim();
  const mode = Number.parseInt(field(40, 8) || "0", 8) || 0;
  let perms = "";
  for (let shift = 6; shift >= 0; shift -= 3) {
    perms += mode & (4 << shift) ? "r" : "-";
    perms += mode & (2 << shift) ? "w" : "-";
    perms += mode & (1 << shift) ? "x" : "-";
  }
  const date = new Date((Number.parseInt(field(16, 12) || "0", 10) || 0) * 1000);
  const pad2 = (n: number) => String(n).padStart(2, "0");
  const when = `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2)} ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())} ${date.getUTCFullYear()}`;
  const uid = Number.parseInt(field(28, 6) || "0", 10) || 0;
  const gid = Number.parseInt(field(34, 6) || "0", 10) || 0;
  return `${perms} ${uid}/${gid} ${String(size).padStart(6)} ${when} ${name}\n`;
}

class ObjdumpRun {
  status = 0;
  readonly sectionsSeen = new Set<string>();
  private readonly decompressors = nodeDecompressors();
  constructor(
    private readonly io: CommandIO,
    private readonly o: Options,
    private readonly demangle: ((name: string) => string) | undefined,
  ) {}

  /** bfd_fatal: the message, then objdump exits with status 1. */
  fatal(m: string): never {
    this.error(m);
    throw new FatalStop();
  }

  error(m: string): undefined {
    this.io.stderr.write(`objdump: ${m}\n`);
    this.status = 1;
  }

  async displayFile(path: string): Promise<undefined> {
    // Through io.openFile only (tests and the fuzzer hand in bytes held in memory); its reasons map
    // onto bucomm.c get_file_size's messages.
    let source: ByteSource & { close?(): void };
    try {
      source = this.io.openFile(path);
    } catch (e) {
      const reason = isInputError(e) ? e.reason : "";
      if (reason === "no such file or directory" || reason === "a component of the path is not a directory")
        return this.error(`'${path}': No such file`);
      if (reason === "is a directory, not a file") return this.error(`Warning: '${path}' is a directory`);
      if (reason === "is not a regular file") return this.error(`Warning: '${path}' is not an ordinary file`);
      if (reason === "permission denied") return this.error(`${path}: Permission denied`);
      return this.error(`Warning: could not locate '${path}'.  reason: ${reason || (e as Error).message}`);
    }
    if (source.size < 1) {
      source.close?.();
      this.status = 1;
      return;
    }
    try {
      if (isArchive(source)) return await this.displayArchive(path, source);
      await this.displayObject(path, source, undefined);
    } finally {
      source.close?.();
    }
  }

  private async displayArchive(path: string, source: ByteSource): Promise<undefined> {
    let archive: ReturnType<typeof parseArchive>;
    try {
      archive = parseArchive(source);
    } catch (e) {
      if (isElfError(e)) return this.error(`${path}: ${describeElfError(e)}`);
      throw e;
    }
    this.io.stdout.write(`In archive ${path}:\n`);
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
    for (const m of archive.members) {
      let member: ByteSource & { close?(): void };
      if (m.source) member = m.source;
      else {
        try {
          member = this.io.openFile(m.name.startsWith("/") ? m.name : dir + m.name);
        } catch {
          this.error(`${m.name}: No such file or directory`);
          continue;
        }
      }
      try {
        await this.displayObject(m.name, member, archiveHeaderLine(source, m.headerOffset, m.name, m.size));
      } finally {
        if (!m.source) member.close?.();
      }
    }
  }

  /** dump_bfd: one ELF file or archive member. `arHeader`: the member's -a line. */
  private async displayObject(
    name: string,
    source: ByteSource,
    arHeader: string | undefined,
  ): Promise<undefined> {
    let file: ElfFile;
    try {
      if (source.size < 16 || !isElfMagic(source.read(0, 16)))
        return this.error(`${name}: file format not recognized`);
      file = ElfFile.open(source);
      file.sectionHeaders;
    } catch (e) {
      if (isElfError(e)) return this.error(`${name}: file format not recognized`);
      throw e;
    }
    const out = this.io.stdout;
    const o = this.o;
    try {
      out.write(`\n${name}:     file format ${formatName(file)}\n`);
      if (o.archiveHeaders) out.write(arHeader ?? `${name}\n`);
      if (o.fileHeaders) printFileHeader(file, out);
      // The target's private flags line follows the file header directly; the blank line comes after.
      if (o.privateHeaders) printPrivateHeaders(file, out);
      out.write("\n");
      if (o.sectionHeaders) printSectionHeaders(file, o.wide, o.sections, out);
      const sections = bfdSections(file);
      // -j names count as found when a view that walks the sections (-h, -r, -s, -d) saw them.
      if (o.sectionHeaders || o.reloc || o.contents || o.disassemble)
        for (const s of sections) this.sectionsSeen.add(s.name);
      const needSyms = o.syms || o.reloc;
      const syms = needSyms ? bfdSymbols(file, false) : undefined;
      const needDyn = o.dynamicSyms || o.dynamicReloc;
      const dynsyms = needDyn ? bfdSymbols(file, true) : undefined;
      if (needDyn && !dynsyms) {
        // BFD: no dynamic symbol table in a DYNAMIC file is an error that ends objdump.
        if (file.header.e_type === ET_DYN) this.fatal(`${name}: invalid operation`);
        this.error(`${name}: not a dynamic object`);
      }
      // -j limits the symbol tables to the symbols of those sections.
      const inSections = (list: BfdSymbol[] | undefined) => {
        if (!list || list.length === 0 || o.sections.length === 0) return list;
        const kept = list.filter((s) => o.sections.includes(s.sectionName));
        for (const s of kept) this.sectionsSeen.add(s.sectionName);
        return kept;
      };
      if (o.syms) printSymbolTable(file, syms, inSections(syms), false, this.demangle, out);
      if (o.dynamicSyms) printSymbolTable(file, dynsyms, inSections(dynsyms), true, this.demangle, out);
      // With -d the relocations go inline into the listing instead.
      if (o.reloc && !o.disassemble) printRelocations(file, syms, o.sections, this.demangle, out);
      // Without a dynamic symbol table -R ends objdump, with -d too (the listing would need them).
      if (o.dynamicReloc && !dynsyms) this.fatal(`${name}: invalid operation`);
      if (o.dynamicReloc && !o.disassemble) printDynamicRelocations(file, dynsyms, this.demangle, out);
      if (o.contents)
        printContents(
          file,
          sections,
          { sections: o.sections, start: o.start, stop: o.stop },
          this.decompressors,
          out,
        );
      if (o.disassemble) await this.disassemble(file, name, source);
    } catch (e) {
      if (isElfError(e)) return this.error(`${name}: ${describeElfError(e)}`);
      throw e;
    }
  }

  /** -d/-D/--disassemble: the listing of src/disasm, loaded only when asked for. */
  private async disassemble(file: ElfFile, name: string, source: ByteSource): Promise<void> {
    const o = this.o;
    const { disassemble } = await import("../disasm/listing.js");
    const options: DisassembleOptions = {
      all: o.disassembleAll,
      sections: o.sections,
      ...(o.disassembleSymbol !== undefined ? { symbol: o.disassembleSymbol } : {}),
      ...(o.start !== undefined ? { start: o.start } : {}),
      ...(o.stop !== undefined ? { stop: o.stop } : {}),
      showRaw: o.showRaw,
      showAddresses: o.showAddresses,
      wide: o.wide,
      zeros: o.zeros,
      syntax: o.syntax,
      suffix: o.suffix,
      inlineRelocs: o.reloc,
      inlineDynRelocs: o.dynamicReloc,
      ...(this.demangle ? { demangle: this.demangle } : {}),
      decompressors: this.decompressors,
    };
    // A file read from disk can be read by worker threads too, which list pieces of long sections.
    let threads: ListingThreads | undefined;
    const fd = sourceDescriptor(source);
    if (fd !== undefined) {
      const { listingThreadCount, listingThreads } = await import("./listing-threads.js");
      const { demangle: _, decompressors: __, ...rest } = options;
      threads = listingThreads(
        {
          fd,
          size: source.size,
          options: { ...rest, demangle: this.demangle !== undefined },
        },
        listingThreadCount(this.io.env),
      );
    }
    const status = await disassemble(file, name, options, this.io.stdout, this.io.stderr, threads);
    if (status !== 0) this.status = 1;
  }
}
