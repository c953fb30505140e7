import { statSync } from "node:fs";
import {
  type ByteSource,
  describeElfError,
  ElfFile,
  EM_386,
  EM_X86_64,
  ET_CORE,
  isArchive,
  isElfError,
  isElfMagic,
  parseArchive,
  SHT_DYNSYM,
  STB_WEAK,
} from "../elf/index.js";
import { pltTrail } from "../link/plt.js";
import {
  defaultNmOptions,
  filterSymbols,
  type NmOptions,
  printSymbols,
  readNmTable,
  type SyntheticSymbol,
  sortSymbols,
  withSynthetic,
} from "../render/nm.js";
import { expandArgs } from "./argfile.js";
import { loadDemangler } from "./demangle.js";
import { FatalError, getoptLong, type LongOption, reportParseFailure, UnsupportedError } from "./getopt.js";
import type { CommandIO } from "./io.js";

/** GNU nm 2.40's usage text (nm.c usage), as Debian's x86-64 build prints it. */
const USAGE_BODY = `Usage: nm [option(s)] [file(s)]
 List symbols in [file(s)] (a.out by default).
 The options are:
  -a, --debug-syms       Display debugger-only symbols
  -A, --print-file-name  Print name of the input file before every symbol
  -B                     Same as --format=bsd
  -C, --demangle[=STYLE] Decode mangled/processed symbol names
                           STYLE can be "none", "auto", "gnu-v3", "java",
                           "gnat", "dlang", "rust"
      --no-demangle      Do not demangle low-level symbol names
      --recurse-limit    Enable a demangling recursion limit.  (default)
      --no-recurse-limit Disable a demangling recursion limit.
  -D, --dynamic          Display dynamic symbols instead of normal symbols
  -e                     (ignored)
  -f, --format=FORMAT    Use the output format FORMAT.  FORMAT can be \`bsd',
                           \`sysv', \`posix' or 'just-symbols'.
                           The default is \`bsd'
  -g, --extern-only      Display only external symbols
    --ifunc-chars=CHARS  Characters to use when displaying ifunc symbols
  -j, --just-symbols     Same as --format=just-symbols
  -l, --line-numbers     Use debugging information to find a filename and
                           line number for each symbol
  -n, --numeric-sort     Sort symbols numerically by address
  -o                     Same as -A
  -p, --no-sort          Do not sort the symbols
  -P, --portability      Same as --format=posix
  -r, --reverse-sort     Reverse the sense of the sort
      --plugin NAME      Load the specified plugin
  -S, --print-size       Print size of defined symbols
  -s, --print-armap      Include index for symbols from archive members
      --quiet            Suppress "no symbols" diagnostic
      --size-sort        Sort symbols by size
      --special-syms     Include special symbols in the output
      --synthetic        Display synthetic symbols as well
  -t, --radix=RADIX      Use RADIX for printing symbol values
      --target=BFDNAME   Specify the target object format as BFDNAME
  -u, --undefined-only   Display only undefined symbols
  -U, --defined-only     Display only defined symbols
      --unicode={default|show|invalid|hex|escape|highlight}
                         Specify how to treat UTF-8 encoded unicode characters
  -W, --no-weak          Ignore weak symbols
      --with-symbol-versions  Display version strings after symbol names
  -X 32_64               (ignored)
  @FILE                  Read options from FILE
  -h, --help             Display this information
  -V, --version          Display this program's version number
nm: supported targets: elf64-x86-64 elf32-i386 elf32-iamcu elf32-x86-64 pei-i386 pe-x86-64 pei-x86-64 elf64-little elf64-big elf32-little elf32-big pe-bigobj-x86-64 pe-i386 pdb srec symbolsrec verilog tekhex binary ihex plugin
`;

declare const ANATOMY_VERSION: string | undefined;

const VERSION_TEXT = `anatomy nm (GNU binutils-compatible, 2.40) ${typeof ANATOMY_VERSION === "string" ? ANATOMY_VERSION : "dev"}\n`;

/** nm.c long_options, in its order (getopt lists ambiguous matches in this order). */
const LONG_OPTIONS: LongOption[] = [
  ["debug-syms", "none", "a"],
  ["demangle", "optional", "C"],
  ["dynamic", "none", "D"],
  ["extern-only", "none", "g"],
  ["format", "required", "f"],
  ["help", "none", "h"],
  ["ifunc-chars", "required", "ifunc-chars"],
  ["just-symbols", "none", "j"],
  ["line-numbers", "none", "l"],
  ["no-cplus", "none", "no-demangle"],
  ["no-demangle", "none", "no-demangle"],
  ["no-recurse-limit", "none", "no-recurse-limit"],
  ["no-recursion-limit", "none", "no-recurse-limit"],
  ["no-sort", "none", "p"],
  ["numeric-sort", "none", "n"],
  ["plugin", "required", "plugin"],
  ["portability", "none", "P"],
  ["print-armap", "none", "s"],
  ["print-file-name", "none", "o"],
  ["print-size", "none", "S"],
  ["quiet", "none", "quiet"],
  ["radix", "required", "t"],
  ["recurse-limit", "none", "recurse-limit"],
  ["recursion-limit", "none", "recurse-limit"],
  ["reverse-sort", "none", "r"],
  ["size-sort", "none", "size-sort"],
  ["special-syms", "none", "special-syms"],
  ["synthetic", "none", "synthetic"],
  ["target", "required", "target"],
  ["defined-only", "none", "U"],
  ["undefined-only", "none", "u"],
  ["unicode", "required", "unicode"],
  ["version", "none", "V"],
  ["no-weak", "none", "W"],
  ["with-symbol-versions", "none", "with-symbol-versions"],
  ["without-symbol-versions", "none", "without-symbol-versions"],
];

/** nm 2.40's getopt string "aABCDef:gHhjJlnopPrSst:uU:vVvWX:" (yes: -U takes an argument there). */
const SHORT_WITH_ARG = new Set(["f", "t", "U", "X"]);
const SHORT_NO_ARG = new Set("aABCDegHhjJlnopPrSsuvVW".split(""));

/** Those options, by LONG_OPTIONS key: -l would need DWARF line tables. */
const UNSUPPORTED = new Set(["l", "ifunc-chars", "no-recurse-limit"]);

interface Parsed {
  opts: NmOptions;
  files: string[];
  help: boolean;
  version: boolean;
  demangleRequested: boolean;
  quiet: boolean;
  printArmap: boolean;
}

/** GNU getopt_long, permuting: options and file names may be mixed; "--" ends the options. */
function parseArgs(rawArgs: string[], err: (m: string) => void): Parsed {
  const args = expandArgs(rawArgs);
  const opts = defaultNmOptions();
  const files: string[] = [];
  const p: Parsed = {
    opts,
    files,
    help: false,
    version: false,
    demangleRequested: false,
    quiet: false,
    printArmap: false,
  };
  const apply = (key: string, value: string | undefined) => {
    switch (key) {
      case "a":
        opts.debugSyms = true;
        break;
      case "A":
      case "o":
        opts.fileNamePerSymbol = true;
        break;
      case "B":
        opts.format = "bsd";
        break;
      case "C":
        p.demangleRequested = true;
        if (
          value !== undefined &&
          !["none", "auto", "gnu-v3", "java", "gnat", "dlang", "rust"].includes(value)
        )
          throw new FatalError(`unknown demangling style \`${value}'`);
        break;
      case "no-demangle":
        p.demangleRequested = false;
        break;
      case "D":
        opts.dynamic = true;
        break;
      case "f":
        opts.format = outputFormat(value ?? "");
        break;
      case "g":
        opts.externOnly = true;
        break;
      case "h":
      case "H":
        p.help = true;
        break;
      case "j":
        opts.format = "just-symbols";
        break;
      case "n":
      case "v":
        opts.sort = "numeric";
        break;
      case "p":
        opts.sort = "none";
        break;
      case "size-sort":
        opts.sort = "size";
        break;
      case "P":
        opts.format = "posix";
        break;
      case "r":
        opts.reverse = true;
        break;
      case "S":
        opts.printSize = true;
        break;
      case "t":
        if (value?.[0] === "x") opts.radix = 16;
        else if (value?.[0] === "d") opts.radix = 10;
        else if (value?.[0] === "o") opts.radix = 8;
        else throw new FatalError(`${value}: invalid radix`);
        break;
      case "u":
        opts.undefinedOnly = true;
        opts.definedOnly = false;
        break;
      case "U":
        opts.definedOnly = true;
        opts.undefinedOnly = false;
        break;
      case "V":
        p.version = true;
        break;
      case "W":
        opts.noWeak = true;
        break;
      case "X":
        if (value !== "32_64") throw new FatalError("Only -X 32_64 is supported");
        break;
      case "quiet":
        p.quiet = true;
        break;
      case "s":
        p.printArmap = true;
        break;
      case "special-syms":
        opts.specialSyms = true;
        break;
      case "synthetic":
        opts.synthetic = true;
        break;
      case "with-symbol-versions":
        opts.withVersions = true;
        break;
      case "without-symbol-versions":
        opts.withVersions = false;
        break;
      case "unicode":
        if (
          ![
            "default",
            "d",
            "locale",
            "l",
            "escape",
            "e",
            "invalid",
            "i",
            "hex",
            "x",
            "highlight",
            "h",
          ].includes(value ?? "")
        )
          throw new FatalError(`invalid argument to -U/--unicode: ${value}`);
        // Only the default treatment (names' bytes as they are) is implemented.
        if (value !== "default" && value !== "d") throw new UnsupportedError(`--unicode=${value}`);
        break;
      default:
        // -e, -J, --target, --plugin, --recurse-limit: accepted, no effect here (as -e and -X in GNU nm).
        break;
    }
  };

  getoptLong(
    args,
    {
      program: "nm",
      long: LONG_OPTIONS,
      shortWithArg: SHORT_WITH_ARG,
      shortNoArg: SHORT_NO_ARG,
      refuse: (key, spelled) => {
        if (UNSUPPORTED.has(key))
          throw new UnsupportedError(spelled === "-l" ? "-l (--line-numbers)" : spelled);
      },
    },
    err,
    apply,
    files,
  );
  return p;
}

function outputFormat(f: string): NmOptions["format"] {
  switch (f[0]) {
    case "b":
    case "B":
      return "bsd";
    case "p":
    case "P":
      return "posix";
    case "s":
    case "S":
      return "sysv";
    case "j":
    case "J":
      return "just-symbols";
    default:
      throw new FatalError(`${f}: invalid output format`);
  }
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const err = (m: string) => io.stderr.write(m);
  let parsed: Parsed;
  try {
    parsed = parseArgs(args, err);
  } catch (e) {
    return reportParseFailure("nm", USAGE_BODY, e, err);
  }
  if (parsed.help) {
    io.stdout.write(`${USAGE_BODY}Report bugs to <https://sourceware.org/bugzilla/>.\n`);
    return 0;
  }
  if (parsed.version) {
    io.stdout.write(VERSION_TEXT);
    return 0;
  }
  const opts = parsed.opts;
  if (opts.sort === "size" && opts.undefinedOnly) {
    err("nm: Using the --size-sort and --undefined-only options together\n");
    err("nm: will produce no output, since undefined symbols have no size.\n");
    return 0;
  }
  if (parsed.demangleRequested) opts.demangle = await loadDemangler();
  const files = parsed.files.length === 0 ? ["a.out"] : parsed.files;
  opts.fileNamePerFile = files.length > 1;
  const nm = new NmRun(io, opts, parsed.quiet, parsed.printArmap);
  let failures = 0;
  for (const f of files) if (!nm.displayFile(f)) failures++;
  return failures & 0xff;
}

/** One nm invocation: display_file / display_archive / display_rel_file of nm.c. */
class NmRun {
  constructor(
    private readonly io: CommandIO,
    private readonly opts: NmOptions,
    private readonly quiet: boolean,
    private readonly printArmap: boolean,
  ) {}

  private err(m: string): void {
    this.io.stderr.write(`nm: ${m}\n`);
  }

  /** bucomm.c get_file_size, then the format checks. False when the file counts as a failure. */
  displayFile(path: string): boolean {
    try {
      const st = statSync(path);
      if (st.isDirectory()) {
        this.err(`Warning: '${path}' is a directory`);
        return false;
      }
      if (!st.isFile()) {
        this.err(`Warning: '${path}' is not an ordinary file`);
        return false;
      }
      if (st.size < 1) return false;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") this.err(`'${path}': No such file`);
      else this.err(`Warning: could not locate '${path}'.  reason: ${(e as Error).message}`);
      return false;
    }
    let source: ByteSource & { close?(): void };
    try {
      source = this.io.openFile(path);
    } catch (e) {
      this.err(
        `${path}: ${(e as Error).message.includes("not readable") ? "Permission denied" : (e as Error).message}`,
      );
      return false;
    }
    try {
      if (isArchive(source)) {
        this.displayArchive(path, source);
        return true;
      }
      if (!this.isElf(source)) {
        this.err(`${path}: file format not recognized`);
        return false;
      }
      const file = ElfFile.open(source);
      const fmt = this.opts.format;
      if (this.opts.fileNamePerFile && !this.opts.fileNamePerSymbol && (fmt === "bsd" || fmt === "posix")) {
        this.io.stdout.write(this.opts.format === "posix" ? `${path}:\n` : `\n${path}:\n`);
      }
      const prefix = this.opts.fileNamePerSymbol && fmt !== "just-symbols" ? `${path}:` : "";
      this.displayRelFile(file, path, prefix, path, undefined);
      return true;
    } catch (e) {
      if (isElfError(e)) {
        this.err(`${path}: ${describeElfError(e)}`);
        return false;
      }
      throw e;
    } finally {
      source.close?.();
    }
  }

  private isElf(source: ByteSource): boolean {
    if (source.size < 16) return false;
    if (!isElfMagic(source.read(0, 16))) return false;
    try {
      // A core file is bfd_core, not bfd_object: nm does not recognize it.
      return ElfFile.open(source).header.e_type !== ET_CORE;
    } catch {
      return false;
    }
  }

  private displayArchive(path: string, source: ByteSource): void {
    const o = this.opts;
    if (o.fileNamePerFile && o.format === "bsd") this.io.stdout.write(`\n${path}:\n`);
    const archive = parseArchive(source);
    if (this.printArmap && archive.symbols && archive.symbols.length > 0) {
      // print_symdef_entry: the armap, each name with the member that defines it.
      const byOffset = new Map(archive.members.map((m) => [m.headerOffset, m.name]));
      const lines = ["\nArchive index:\n"];
      for (const s of archive.symbols) {
        let name = s.name;
        if (!o.withVersions && name.includes("@")) name = name.slice(0, name.indexOf("@"));
        if (o.demangle && name !== "") name = o.demangle(name);
        const member = byOffset.get(s.memberOffset);
        lines.push(member === undefined ? `${name}\n` : `${name} in ${member}\n`);
      }
      this.io.stdout.write(lines.join(""));
    }
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
    for (const m of archive.members) {
      let member: ByteSource & { close?(): void };
      if (m.source) member = m.source;
      else {
        try {
          member = this.io.openFile(m.name.startsWith("/") ? m.name : dir + m.name);
        } catch {
          this.err(`${m.name}: No such file or directory`);
          continue;
        }
      }
      try {
        if (!this.isElf(member)) {
          this.err(`${m.name}: file format not recognized`);
          continue;
        }
        const file = ElfFile.open(member);
        if (o.format === "bsd" && !o.fileNamePerSymbol) this.io.stdout.write(`\n${m.name}:\n`);
        else if (o.format === "posix" && !o.fileNamePerSymbol) this.io.stdout.write(`${path}[${m.name}]:\n`);
        const prefix =
          o.fileNamePerSymbol && o.format !== "just-symbols"
            ? o.format === "posix"
              ? `${path}[${m.name}]: `
              : `${path}:${m.name}:`
            : "";
        this.displayRelFile(file, m.name, prefix, path, m.name);
      } catch (e) {
        if (isElfError(e)) this.err(`${m.name}: ${describeElfError(e)}`);
        else throw e;
      } finally {
        if (!m.source) member.close?.();
      }
    }
  }

  private displayRelFile(
    file: ElfFile,
    name: string,
    prefix: string,
    path: string,
    member: string | undefined,
  ): void {
    const o = this.opts;
    if (o.format === "sysv") {
      const what = o.undefinedOnly ? "Undefined symbols" : "Symbols";
      const where = member === undefined ? path : `${path}[${member}]`;
      this.io.stdout.write(
        `\n\n${what} from ${where}:\n\n${
          file.is64
            ? "Name                  Value           Class        Type         Size             Line  Section\n\n"
            : "Name                  Value   Class        Type         Size     Line  Section\n\n"
        }`,
      );
    }
    let table = readNmTable(file, o.dynamic);
    if (!table) {
      if (!this.quiet) this.err(`${name}: no symbols`);
      return;
    }
    if (o.synthetic) table = withSynthetic(table, syntheticSymbols(file));
    if (o.format === "posix" && prefix !== "" && member === undefined) prefix = `${path}: `;
    const order = sortSymbols(table, filterSymbols(table, o), o);
    printSymbols(table, order, o, prefix, this.io.stdout);
  }
}

/**
 * bfd's synthetic symbols for nm --synthetic: one `name@plt` per PLT stub (.plt, .plt.sec, .plt.got),
 * named after the symbol of the relocation on the GOT slot it jumps through (`*ABS*+0xADDR@plt` for an
 * IRELATIVE one), in stub order. x86 only, as bfd's elf_x86_64/i386 get_synthetic_symtab.
 */
function syntheticSymbols(file: ElfFile): SyntheticSymbol[] {
  const m = file.header.e_machine;
  if (m !== EM_X86_64 && m !== EM_386) return [];
  let trail: ReturnType<typeof pltTrail>;
  try {
    trail = pltTrail(file);
  } catch (e) {
    if (isElfError(e)) return [];
    throw e;
  }
  // The class comes from the relocation's own symbol (bfd copies it into the synthetic one).
  const weak = new Set<number>();
  const dynsym = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM);
  if (dynsym) for (const s of file.symbols(dynsym)) if (s.st_info >> 4 === STB_WEAK) weak.add(s.index);
  return trail.entries
    .filter((e) => e.stub)
    .sort((a, b) => (a.stub!.address < b.stub!.address ? -1 : 1))
    .map((e) => ({
      name: `${e.kind === "IRELATIVE" ? `*ABS*+0x${e.addend.toString(16)}` : (e.symbol ?? "")}@plt`,
      value: e.stub!.address,
      weak: e.symbolIndex !== 0 && weak.has(e.symbolIndex),
      section: e.stub!.section,
    }));
}
