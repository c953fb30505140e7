// The compiler driver's own account of a build: `gcc -v` prints each program it runs (cc1 for the
// preprocessor and the compiler, as, collect2 for the link) with its arguments on stderr, one line
// each, indented by a space. Parsed here into phases, with the files each phase read and wrote.

/** The four phases of a C build, in the order the driver runs them for one source. */
export type Phase = "preprocess" | "compile" | "assemble" | "link";

/** One program the driver ran. */
export interface DriverCommand {
  phase: Phase;
  /** The program as the driver named it (`/usr/lib/gcc/x86_64-linux-gnu/12/cc1`, `as`). */
  program: string;
  args: string[];
  /** The file it wrote (its `-o`). */
  output: string | undefined;
  /** The files it read: for cc1 and as the source, for the link the objects and archives in order. */
  inputs: string[];
}

/** What the link command says beyond its inputs. */
export interface LinkCommand {
  /** The program's interpreter (`-dynamic-linker`), absent for a static link. */
  interpreter: string | undefined;
  /** Library search directories (`-L`), in order. */
  searchDirs: string[];
  /** Libraries asked for by name (`-lc`, `-lm`), in order, repeats kept. */
  libraries: string[];
  /** The C runtime's start files (crt1.o, crti.o, crtbegin.o, crtend.o, crtn.o) among the inputs. */
  startFiles: string[];
  static: boolean;
  pie: boolean;
  shared: boolean;
}

/** Words split as the driver printed them: quoted words (`"a b"`, `'a b'`) keep their spaces. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = "";
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The part of a path after its last slash. */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Which phase a program runs, from its name and arguments; undefined for other lines of -v. */
function phaseOf(program: string, args: string[]): Phase | undefined {
  const name = baseName(program);
  if (/^cc1(plus|obj|objplus)?$/.test(name)) return args.includes("-E") ? "preprocess" : "compile";
  if (name === "as" || name.endsWith("-as")) return "assemble";
  if (name === "collect2" || name === "ld" || /-ld(\.bfd|\.gold)?$/.test(name) || name === "ld.bfd")
    return "link";
  return undefined;
}

/** Options of cc1 that take the next word as their value. */
const CC1_VALUE = new Set([
  "-o",
  "-dumpbase",
  "-dumpbase-ext",
  "-dumpdir",
  "-auxbase",
  "-auxbase-strip",
  "-imultiarch",
  "-iprefix",
  "-isystem",
  "-include",
  "-imacros",
  "-idirafter",
  "-iquote",
  "-MF",
  "-MT",
  "-MQ",
  "-D",
  "-U",
  "-I",
]);

/** Options of ld (as collect2 passes them) that take the next word as their value. */
const LD_VALUE = new Set([
  "-o",
  "-m",
  "-plugin",
  "-dynamic-linker",
  "-z",
  "-T",
  "-e",
  "-soname",
  "-h",
  "-rpath",
  "-rpath-link",
  "-L",
  "-l",
  "-u",
  "--sysroot",
  "-Map",
  "--hash-style",
  "-y",
  "--version-script",
]);

/** The files a command read: the words that are neither options nor option values. */
function operands(args: string[], valued: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (valued.has(a)) i++;
    else if (!a.startsWith("-") || a === "-") out.push(a);
  }
  return out;
}

/** The value of option `name` (`-o x`), the last one given. */
function optionValue(args: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length - 1; i++) if (args[i] === name) value = args[i + 1];
  return value;
}

/** The programs `CC -v` ran, from its stderr, in order. */
export function parseDriverTrace(stderr: string): DriverCommand[] {
  const commands: DriverCommand[] = [];
  for (const line of stderr.split("\n")) {
    if (!line.startsWith(" ")) continue;
    const words = splitCommandLine(line.trim());
    const program = words[0];
    if (program === undefined) continue;
    const args = words.slice(1);
    const phase = phaseOf(program, args);
    if (phase === undefined) continue;
    const valued = phase === "link" ? LD_VALUE : phase === "assemble" ? new Set(["-o", "-I"]) : CC1_VALUE;
    commands.push({ phase, program, args, output: optionValue(args, "-o"), inputs: operands(args, valued) });
  }
  return commands;
}

/** The C runtime's start and end files among a link's inputs. */
const START_FILE = /(^|\/)(S?crt1|[gM]?crt1|rcrt1|crti|crtn|crtbegin[ST]?|crtend[S]?|crtfastmath)\.o$/;

/** What the link command asks for, from its arguments. */
export function linkDetails(link: DriverCommand): LinkCommand {
  const args = link.args;
  const searchDirs: string[] = [];
  const libraries: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-L" && i + 1 < args.length) searchDirs.push(args[++i] as string);
    else if (a.startsWith("-L")) searchDirs.push(a.slice(2));
    else if (a === "-l" && i + 1 < args.length) libraries.push(args[++i] as string);
    else if (a.startsWith("-l")) libraries.push(a.slice(2));
  }
  return {
    interpreter: optionValue(args, "-dynamic-linker"),
    searchDirs,
    libraries,
    startFiles: link.inputs.filter((f) => START_FILE.test(f)),
    static: args.includes("-static") || args.includes("-Bstatic") || args.includes("--no-dynamic-linker"),
    pie: args.includes("-pie"),
    shared: args.includes("-shared"),
  };
}
