import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  type ByteSource,
  ElfFile,
  ET_CORE,
  isArchive,
  isElfError,
  isElfMagic,
  parseArchive,
} from "../elf/index.js";
import type { Output } from "../render/output.js";
import {
  bfdSections,
  commonSize,
  defaultSizeOptions,
  type SizeOptions,
  SizePrinter,
} from "../render/size.js";
import { coreImage } from "../render/size-core.js";
import { expandArgs } from "./argfile.js";
import type { CommandIO } from "./io.js";

const TARGETS =
  "elf64-x86-64 elf32-i386 elf32-iamcu elf32-x86-64 pei-i386 pe-x86-64 pei-x86-64 elf64-little elf64-big elf32-little elf32-big pe-bigobj-x86-64 pe-i386 pdb srec symbolsrec verilog tekhex binary ihex plugin";

/** size.c usage(): the same text on stdout (--help, status 0) or stderr (errors, status 1). */
function usage(status: number): string {
  let text = `Usage: size [option(s)] [file(s)]
 Displays the sizes of sections inside binary files
 If no input file(s) are specified, a.out is assumed
 The options are:
  -A|-B|-G  --format={sysv|berkeley|gnu}  Select output style (default is berkeley)
  -o|-d|-x  --radix={8|10|16}         Display numbers in octal, decimal or hex
  -t        --totals                  Display the total sizes (Berkeley only)
  -f                                  Ignored.
            --common                  Display total size for *COM* syms
            --target=<bfdname>        Set the binary file format
            @<file>                   Read options from <file>
  -h|-H|-?  --help                    Display this information
  -v|-V     --version                 Display the program's version

size: supported targets: ${TARGETS}
`;
  if (status === 0) text += "Report bugs to <https://sourceware.org/bugzilla/>\n";
  return text;
}

declare const ANATOMY_VERSION: string | undefined;

const VERSION = `anatomy size (GNU binutils-compatible, 2.40) ${typeof ANATOMY_VERSION === "string" ? ANATOMY_VERSION : "dev"}\n`;

const LONG_OPTIONS: Record<string, boolean> = {
  // name: takes an argument
  common: false,
  format: true,
  radix: true,
  target: true,
  totals: false,
  version: false,
  help: false,
};

interface ParsedSizeArgs {
  opts: SizeOptions;
  files: string[];
  target: string | undefined;
  exit?: { stdout: string; stderr: string; status: number };
}

/** getopt_long over "ABGHhVvdfotx" and size.c's long options (unique prefixes accepted, permuting). */
export function parseSizeArgs(rawArgs: string[]): ParsedSizeArgs {
  const args = expandArgs(rawArgs);
  const opts = defaultSizeOptions();
  const files: string[] = [];
  let target: string | undefined;
  let showVersion = false;
  let showHelp = false;
  const fail = (msg: string): ParsedSizeArgs => ({
    opts,
    files,
    target,
    exit: { stdout: "", stderr: `${msg}${usage(1)}`, status: 1 },
  });
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      files.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const given = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      let name: string | undefined = Object.hasOwn(LONG_OPTIONS, given) ? given : undefined;
      if (!name) {
        const matches = Object.keys(LONG_OPTIONS).filter((n) => n.startsWith(given));
        if (matches.length > 1) {
          return fail(
            `size: option '${arg.slice(0, eq < 0 ? arg.length : eq)}' is ambiguous; possibilities:${matches.map((m) => ` '--${m}'`).join("")}\n`,
          );
        }
        name = matches[0];
      }
      if (!name) return fail(`size: unrecognized option '${arg.slice(0, eq < 0 ? arg.length : eq)}'\n`);
      let value: string | undefined;
      if (LONG_OPTIONS[name]) {
        value = eq < 0 ? args[++i] : arg.slice(eq + 1);
        if (value === undefined) return fail(`size: option '--${name}' requires an argument\n`);
      } else if (eq >= 0) {
        return fail(`size: option '--${name}' doesn't allow an argument\n`);
      }
      switch (name) {
        case "common":
          opts.common = true;
          break;
        case "totals":
          opts.totals = true;
          break;
        case "version":
          showVersion = true;
          break;
        case "help":
          showHelp = true;
          break;
        case "target":
          target = value;
          break;
        case "format": {
          const c = value![0];
          if (c === "B" || c === "b") opts.format = "berkeley";
          else if (c === "S" || c === "s") opts.format = "sysv";
          else if (c === "G" || c === "g") opts.format = "gnu";
          else return fail(`size: invalid argument to --format: ${value}\n`);
          break;
        }
        case "radix": {
          const n = atol(value!);
          if (n === 10 || n === 8 || n === 16) opts.radix = n;
          else return fail(`size: Invalid radix: ${value}\n\n`);
          break;
        }
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (const c of arg.slice(1)) {
        switch (c) {
          case "A":
            opts.format = "sysv";
            break;
          case "B":
            opts.format = "berkeley";
            break;
          case "G":
            opts.format = "gnu";
            break;
          case "v":
          case "V":
            showVersion = true;
            break;
          case "d":
            opts.radix = 10;
            break;
          case "x":
            opts.radix = 16;
            break;
          case "o":
            opts.radix = 8;
            break;
          case "t":
            opts.totals = true;
            break;
          case "f":
            break;
          case "h":
          case "H":
            return fail("");
          default:
            return fail(`size: invalid option -- '${c}'\n`);
        }
      }
      continue;
    }
    files.push(arg);
  }
  if (showVersion) return { opts, files, target, exit: { stdout: VERSION, stderr: "", status: 0 } };
  if (showHelp) return { opts, files, target, exit: { stdout: usage(0), stderr: "", status: 0 } };
  if (files.length === 0) files.push("a.out");
  return { opts, files, target };
}

/** C atol: optional white space and sign, then decimal digits. */
function atol(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Runs `size` for one command line: returns the exit status size.c would (0, 1, 2 or 3). */
export function run(args: string[], io: CommandIO): number {
  const parsed = parseSizeArgs(args);
  if (parsed.exit) {
    io.stdout.write(parsed.exit.stdout);
    io.stderr.write(parsed.exit.stderr);
    return parsed.exit.status;
  }
  const printer = new SizePrinter(io.stdout, parsed.opts);
  let status = 0;
  const targetOk = parsed.target === undefined || ` ${TARGETS} `.includes(` ${parsed.target} `);
  for (const file of parsed.files) {
    // size.c keeps the code of the last error: a later good file does not clear it.
    status = displayFile(file, io, printer, parsed.opts, targetOk) || status;
  }
  printer.finish();
  return status;
}

/** size.c display_file: checks the path (get_file_size), then one object or an archive's members. */
function displayFile(
  path: string,
  io: CommandIO,
  printer: SizePrinter,
  opts: SizeOptions,
  targetOk: boolean,
): number {
  const err = io.stderr;
  try {
    const st = statSync(path);
    if (st.isDirectory()) {
      err.write(`size: Warning: '${path}' is a directory\n`);
      return 1;
    }
    if (!st.isFile()) {
      err.write(`size: Warning: '${path}' is not an ordinary file\n`);
      return 1;
    }
    if (st.size === 0) return 1;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") err.write(`size: '${path}': No such file\n`);
    else err.write(`size: Warning: could not locate '${path}'.  reason: ${(e as Error).message}\n`);
    return 1;
  }
  if (!targetOk) {
    err.write(`size: ${path}: invalid bfd target\n`);
    return 1;
  }
  let source: ByteSource & { close?(): void };
  try {
    source = io.openFile(path);
  } catch (e) {
    err.write(`size: ${path}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  try {
    if (isArchive(source)) return displayArchive(source, path, io, printer, opts);
    return displayObject(source, path, undefined, err, printer, opts);
  } finally {
    source.close?.();
  }
}

/** size.c display_archive: each member in order; archives inside archives are skipped silently. */
function displayArchive(
  source: ByteSource,
  path: string,
  io: CommandIO,
  printer: SizePrinter,
  opts: SizeOptions,
): number {
  let archive: ReturnType<typeof parseArchive>;
  try {
    archive = parseArchive(source);
  } catch (e) {
    if (!isElfError(e)) throw e;
    io.stderr.write(`size: ${path}: malformed archive\n`);
    return 2;
  }
  let status = 0;
  for (const m of archive.members) {
    let member: (ByteSource & { close?(): void }) | undefined = m.source;
    const name = m.name;
    if (!member) {
      // A thin archive names its members by path, relative to the archive's directory.
      const where = m.name.startsWith("/") ? m.name : resolve(dirname(path), m.name);
      try {
        member = io.openFile(where);
      } catch {
        io.stderr.write(`size: ${name}: No such file or directory\n`);
        status = 2;
        continue;
      }
    }
    try {
      if (isArchive(member)) continue;
      status = displayObject(member, name, path, io.stderr, printer, opts) || status;
    } finally {
      if (member !== m.source) member.close?.();
    }
  }
  return status;
}

/** size.c display_bfd: an ELF object is printed; anything else is "file format not recognized". */
function displayObject(
  source: ByteSource,
  name: string,
  archive: string | undefined,
  err: Output,
  printer: SizePrinter,
  opts: SizeOptions,
): number {
  let elf: ElfFile;
  let sections: ReturnType<typeof bfdSections>;
  let common = 0n;
  let core: { command: string | undefined } | undefined;
  const warnings: string[] = [];
  try {
    if (source.size < 16 || !isElfMagic(source.read(0, 4))) throw new Error("not ELF");
    elf = ElfFile.open(source);
    if (elf.header.e_type === ET_CORE) {
      // BFD's elf_object_p rejects a core file; size then reads it as a core (elf_core_file_p).
      const image = coreImage(elf, warnings);
      sections = image.sections;
      core = { command: image.command };
    } else {
      sections = bfdSections(elf, warnings);
      if (opts.common) common = commonSize(elf);
    }
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    if (!isElfError(e) && e.name !== "BfdFormatError" && e.message !== "not ELF") throw e;
    const who = archive !== undefined ? `${archive}(${name})` : name;
    for (const w of warnings) err.write(`size: warning: ${who} ${w}\n`);
    err.write(`size: ${name}: file format not recognized\n`);
    return 3;
  }
  const who = archive !== undefined ? `${archive}(${name})` : name;
  for (const w of warnings) err.write(`size: warning: ${who} ${w}\n`);
  printer.object(sections, name, archive, common, core);
  return 0;
}
