/**
 * The preprocessor's output (a `.i` file) read back: which headers came in, in what order and how deep,
 * which `#include` brought each one, how many lines each added, and where the program's own code sits
 * after them.
 *
 * cpp marks every change of file with a line marker, `# LINENUM "FILENAME" FLAGS` (GCC cpp manual,
 * "Preprocessor Output"): flag 1 enters an included file, 2 returns to the includer, 3 says the file
 * is a system header, 4 that it is wrapped in extern "C". Every other line is output of the file on
 * top of the include stack.
 */

/** The `#include` directive that brought a file in. */
export interface IncludeSite {
  /** The includer, as its line markers name it (`<command-line>` for a pre-included header). */
  readonly path: string;
  /** The directive's line in the includer. */
  readonly line: number;
}

/** One file the preprocessor read, with what it included in turn. */
export interface HeaderNode {
  /** The path as the preprocessor opened it (`/usr/include/stdio.h`, `sub/local.h`), as gcc -H prints it. */
  readonly path: string;
  /** Flag 3: found in a system include directory, where GCC silences most warnings. */
  readonly system: boolean;
  /** 0 for the main source, 1 for what it includes (one dot in gcc -H), and so on. */
  readonly depth: number;
  /** Non-blank lines of output from this file itself (line markers not counted). */
  readonly lines: number;
  /** `lines` plus those of everything it included. */
  readonly totalLines: number;
  /** In the order they were entered; a header entered twice (no include guard) is here twice. */
  readonly includes: readonly HeaderNode[];
  /** Absent for the main source. */
  readonly includedFrom?: IncludeSite;
}

/** Where the user's own code sits in the `.i`. */
export interface OwnCode {
  /** 1-based `.i` line of the main source's first non-blank line after its first run of includes. */
  readonly firstLine: number;
  /** 1-based `.i` line of the main source's last non-blank line. */
  readonly lastLine: number;
  /** Non-blank lines the main source contributed (the root's `lines`). */
  readonly lines: number;
}

export interface Preprocessed {
  /** Lines of the `.i` in all: markerLines + blankLines + codeLines. */
  readonly lines: number;
  readonly markerLines: number;
  /** Empty or whitespace-only lines (what directives and comments leave behind). */
  readonly blankLines: number;
  /** The rest: the text the compiler proper reads. */
  readonly codeLines: number;
  /** Code lines output while in `<built-in>` or `<command-line>` (predefined macros under -dD). */
  readonly builtinLines: number;
  /** The tree rooted at the main source; it lists what gcc -H lists, in the same order and depths. */
  readonly headers: HeaderNode;
  /**
   * Headers entered from `<command-line>` before the main source: the stdc-predef.h GCC pre-includes on
   * glibc systems, and any `-include FILE`. gcc -H lists none of them (nor what they include), so they
   * stay out of the tree; their lines count here.
   */
  readonly preincluded: readonly HeaderNode[];
  /** Undefined when the main source produced no code at all. */
  readonly own: OwnCode | undefined;
  /** The paths of the tree's headers (the main source not among them), each once, in the order first entered. */
  readonly order: readonly string[];
  /** With -g, cpp names the directory it ran in (`# 1 "/home/me//"`) right after the first marker. */
  readonly workingDirectory?: string;
}

/** cpp's pseudo-files: predefined macros and command-line -D/-U/-include. Not files, not headers. */
const PSEUDO_FILES = new Set(["<built-in>", "<command-line>"]);

const ENTER = 1;
const RETURN = 2;
const SYSTEM_HEADER = 3;

interface LineMarker {
  readonly line: number;
  readonly path: string | undefined;
  readonly flags: readonly number[];
}

/** A node while it is being filled in. */
interface OpenNode {
  readonly path: string;
  readonly system: boolean;
  readonly depth: number;
  lines: number;
  readonly includes: OpenNode[];
  readonly includedFrom: IncludeSite | undefined;
}

/** A file on the include stack: a real one (with its node) or a pseudo-file (node undefined). */
interface Frame {
  readonly path: string;
  readonly node: OpenNode | undefined;
  /** The line number in this file of the next output line, kept in step with the markers. */
  nextLine: number;
}

const MARKER = /^#\s*(?:line\s+)?(\d+)(?:\s+"((?:[^"\\]|\\.)*)")?((?:\s+\d+)*)\s*$/;

/** A line marker, or undefined for any other line (`#pragma` lines pass through cpp as code). */
function parseMarker(text: string): LineMarker | undefined {
  const match = MARKER.exec(text);
  if (!match) return undefined;
  const flags = match[3]!.trim() === "" ? [] : match[3]!.trim().split(/\s+/).map(Number);
  const path = match[2] === undefined ? undefined : unescapeFileName(match[2]);
  return { line: Number(match[1]), path, flags };
}

/** cpp writes `\` and `"` in a file name as `\\` and `\"`, and unprintable bytes as `\ooo`. */
function unescapeFileName(text: string): string {
  if (!text.includes("\\")) return text;
  // An octal escape is one byte of a possibly longer UTF-8 sequence: gather bytes, decode once.
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  let done = 0;
  for (const match of text.matchAll(/\\([0-7]{1,3}|.)/gs)) {
    bytes.push(...encoder.encode(text.slice(done, match.index)));
    const escaped = match[1]!;
    if (/^[0-7]/.test(escaped)) {
      bytes.push(Number.parseInt(escaped, 8) & 0xff);
    } else {
      bytes.push(...encoder.encode(escaped));
    }
    done = match.index + match[0].length;
  }
  bytes.push(...encoder.encode(text.slice(done)));
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

/** The finished node: `totalLines` summed up its subtree. */
function close(node: OpenNode): HeaderNode {
  const includes = node.includes.map(close);
  const totalLines = includes.reduce((sum, child) => sum + child.totalLines, node.lines);
  const closed = { path: node.path, system: node.system, depth: node.depth, lines: node.lines, totalLines };
  return node.includedFrom
    ? { ...closed, includes, includedFrom: node.includedFrom }
    : { ...closed, includes };
}

/** Everything gathered so far, and the include stack the markers have built. */
interface Reading {
  readonly root: OpenNode;
  /** `source`, and the first marker's spelling of it should that differ. */
  readonly mainNames: Set<string>;
  readonly preincluded: OpenNode[];
  readonly order: string[];
  /** The bottom frame is the main source or a pseudo-file; the frames above it, the headers open. */
  stack: Frame[];
  markerLines: number;
  blankLines: number;
  builtinLines: number;
  workingDirectory: string | undefined;
  /** The main source has entered a header: its code from here on is after its includes. */
  rootHasIncluded: boolean;
  firstRootLine: number | undefined;
  firstRootLineAfterIncludes: number | undefined;
  lastRootLine: number | undefined;
}

/** A line of output: blank, or code of the file on top of the stack. */
function readOutputLine(reading: Reading, text: string, lineNumber: number) {
  const top = reading.stack[reading.stack.length - 1]!;
  top.nextLine++;
  if (text.trim() === "") {
    reading.blankLines++;
  } else if (!top.node) {
    reading.builtinLines++;
  } else {
    top.node.lines++;
    if (top.node !== reading.root) return;
    reading.firstRootLine ??= lineNumber;
    if (reading.rootHasIncluded) reading.firstRootLineAfterIncludes ??= lineNumber;
    reading.lastRootLine = lineNumber;
  }
}

function readMarker(reading: Reading, marker: LineMarker, lineNumber: number) {
  reading.markerLines++;
  const { stack } = reading;
  const top = stack[stack.length - 1]!;
  const path = marker.path ?? top.path;
  if (lineNumber === 1) reading.mainNames.add(path);
  if (marker.flags.includes(ENTER)) {
    enterFile(reading, path, marker);
  } else if (marker.flags.includes(RETURN)) {
    if (stack.length > 1) stack.pop();
    stack[stack.length - 1]!.nextLine = marker.line;
  } else if (lineNumber === 2 && path.endsWith("//")) {
    // -fworking-directory (on with -g): the directory cpp ran in, not a change of file.
    reading.workingDirectory = path.slice(0, -2) || "/";
  } else if (stack.length === 1 && PSEUDO_FILES.has(path)) {
    reading.stack = [{ path, node: undefined, nextLine: marker.line }];
  } else if (stack.length === 1 && reading.mainNames.has(path)) {
    reading.stack = [{ path, node: reading.root, nextLine: marker.line }];
  } else {
    // A jump ahead over blank lines, or a #line directive: same file, new line number.
    top.nextLine = marker.line;
  }
}

/** Flag 1: the `#include` on the includer's current line opened `path`. */
function enterFile(reading: Reading, path: string, marker: LineMarker) {
  const { stack, root } = reading;
  const top = stack[stack.length - 1]!;
  const node: OpenNode = {
    path,
    system: marker.flags.includes(SYSTEM_HEADER),
    depth: stack.length,
    lines: 0,
    includes: [],
    includedFrom: { path: top.path, line: top.nextLine },
  };
  if (top.node) top.node.includes.push(node);
  else reading.preincluded.push(node);
  if (top.node === root) reading.rootHasIncluded = true;
  // What hangs under a pre-included header is outside the tree too.
  if (stack[0]!.node === root && !reading.order.includes(path)) reading.order.push(path);
  stack.push({ path, node, nextLine: marker.line });
}

/**
 * Reads a `.i` file. `source` is the main `.c` file as given to gcc; the first line marker names it
 * the same way, and the output is attributed to it until a marker says otherwise (so `gcc -E -P`
 * output, which has no markers, is all the main source's).
 */
export function parsePreprocessed(text: string, source: string): Preprocessed {
  const root: OpenNode = {
    path: source,
    system: false,
    depth: 0,
    lines: 0,
    includes: [],
    includedFrom: undefined,
  };
  const reading: Reading = {
    root,
    mainNames: new Set([source]),
    preincluded: [],
    order: [],
    stack: [{ path: source, node: root, nextLine: 1 }],
    markerLines: 0,
    blankLines: 0,
    builtinLines: 0,
    workingDirectory: undefined,
    rootHasIncluded: false,
    firstRootLine: undefined,
    firstRootLineAfterIncludes: undefined,
    lastRootLine: undefined,
  };
  const lines = splitLines(text);
  lines.forEach((line, index) => {
    const marker = line.startsWith("#") ? parseMarker(line) : undefined;
    if (marker) readMarker(reading, marker, index + 1);
    else readOutputLine(reading, line, index + 1);
  });

  const { markerLines, blankLines, builtinLines, lastRootLine, workingDirectory } = reading;
  const ownFirst = reading.firstRootLineAfterIncludes ?? reading.firstRootLine;
  const own =
    ownFirst === undefined || lastRootLine === undefined
      ? undefined
      : { firstLine: ownFirst, lastLine: lastRootLine, lines: root.lines };
  const result: Preprocessed = {
    lines: lines.length,
    markerLines,
    blankLines,
    codeLines: lines.length - markerLines - blankLines,
    builtinLines,
    headers: close(root),
    preincluded: reading.preincluded.map(close),
    own,
    order: reading.order,
  };
  return workingDirectory === undefined ? result : { ...result, workingDirectory };
}

/**
 * Reads what `gcc -H` writes on stderr: one line per header opened, as dots (one per depth) and a
 * space before the path. Everything else is passed over: the "Multiple include guards may be useful
 * for:" list (bare paths), `!`/`x` lines for precompiled headers, diagnostics, `-v` output.
 */
export function parseIncludeTrace(stderr: string): { depth: number; path: string }[] {
  const trace: { depth: number; path: string }[] = [];
  for (const line of splitLines(stderr)) {
    const match = /^(\.+) (.+)$/.exec(line);
    if (match) trace.push({ depth: match[1]!.length, path: match[2]! });
  }
  return trace;
}
