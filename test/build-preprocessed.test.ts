// parsePreprocessed on .i files gcc makes here: the header tree against gcc -H (same paths, depths and
// order), every includedFrom against the #include line it names in the includer, and the line counts
// against the .i counted another way.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join } from "node:path";
import { test } from "node:test";
import { type HeaderNode, parseIncludeTrace, parsePreprocessed } from "../src/build/preprocessed.js";

const haveGcc = spawnSync("sh", ["-c", "command -v gcc"]).status === 0;
const opts = { skip: haveGcc ? false : "gcc needed" };
const dir = mkdtempSync(join(tmpdir(), "anatomy-"));

function write(name: string, text: string): string {
  mkdirSync(join(dir, name, ".."), { recursive: true });
  writeFileSync(join(dir, name), text);
  return name;
}

/** Runs gcc in the temporary directory, so that paths in its output are relative as given. */
function gcc(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync("gcc", args, { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

const preprocess = (source: string, flags: string[] = []) => gcc(["-E", ...flags, source]).stdout;
const includeTrace = (source: string, flags: string[] = []) =>
  parseIncludeTrace(gcc(["-H", "-E", "-o", "/dev/null", ...flags, source]).stderr);

/** The tree in the order gcc -H prints it: depth first, each header before what it includes. */
function flatten(node: HeaderNode): { depth: number; path: string }[] {
  return node.includes.flatMap((child) => [{ depth: child.depth, path: child.path }, ...flatten(child)]);
}

function everyNode(node: HeaderNode): HeaderNode[] {
  return [node, ...node.includes.flatMap(everyNode)];
}

const sum = (nodes: readonly HeaderNode[]) => nodes.reduce((total, node) => total + node.totalLines, 0);

/** The checks every .i must pass, whatever it holds. */
function checkCounts(text: string, parsed: ReturnType<typeof parsePreprocessed>) {
  assert.equal(parsed.lines, text.split("\n").length - 1, "one line per newline (gcc ends the .i with one)");
  const markers = text.split("\n").filter((line) => /^# \d+ "/.test(line)).length;
  assert.equal(parsed.markerLines, markers);
  assert.equal(parsed.blankLines, text.split("\n").filter((line) => /^[ \t]*$/.test(line)).length - 1);
  assert.equal(parsed.codeLines, parsed.lines - parsed.markerLines - parsed.blankLines);
  assert.equal(
    parsed.headers.totalLines +
      sum(parsed.preincluded) +
      parsed.builtinLines +
      parsed.markerLines +
      parsed.blankLines,
    parsed.lines,
  );
  for (const node of [...everyNode(parsed.headers), ...parsed.preincluded.flatMap(everyNode)]) {
    assert.equal(node.totalLines, node.lines + sum(node.includes), node.path);
    for (const child of node.includes) assert.equal(child.depth, node.depth + 1, child.path);
  }
}

/** Each includedFrom names a line of its includer that holds an #include of the header's file name. */
function checkIncludeSites(root: HeaderNode) {
  let checked = 0;
  for (const node of everyNode(root).slice(1)) {
    const site = node.includedFrom!;
    const includer = isAbsolute(site.path) ? site.path : join(dir, site.path);
    assert.ok(existsSync(includer), includer);
    const line = readFileSync(includer, "utf8").split("\n")[site.line - 1]!;
    assert.match(line, /^\s*#\s*include\b/, `${site.path}:${site.line} brings in ${node.path}`);
    assert.ok(line.includes(basename(node.path)), `${site.path}:${site.line}: ${line}`);
    checked++;
  }
  return checked;
}

test("hello.c with <stdio.h>: the tree is gcc -H's, the user's code is the last four lines", opts, () => {
  const source = write(
    "hello.c",
    '#include <stdio.h>\n#define GREETING "hello"\n\nint main(void) {\n  printf("%s\\n", GREETING);\n  return 0;\n}\n',
  );
  const text = preprocess(source);
  const parsed = parsePreprocessed(text, source);
  assert.deepEqual(flatten(parsed.headers), includeTrace(source));
  assert.ok(parsed.order.length > 10, "stdio.h pulls in a dozen headers or more");
  checkCounts(text, parsed);
  assert.ok(checkIncludeSites(parsed.headers) > 10);

  const root = parsed.headers;
  assert.equal(root.path, "hello.c");
  assert.equal(root.depth, 0);
  assert.equal(root.system, false);
  assert.equal(root.lines, 4);
  assert.equal(root.includes.length, 1);
  const stdio = root.includes[0]!;
  assert.equal(stdio.path, "/usr/include/stdio.h");
  assert.equal(stdio.system, true);
  assert.deepEqual(stdio.includedFrom, { path: "hello.c", line: 1 });
  assert.equal(root.totalLines, root.lines + stdio.totalLines);
  // stdc-predef.h comes in from <command-line>; gcc -H does not list it.
  assert.deepEqual(
    parsed.preincluded.map((node) => node.path),
    ["/usr/include/stdc-predef.h"],
  );
  assert.equal(parsed.builtinLines, 0);

  const lines = text.split("\n");
  assert.equal(lines[parsed.own!.firstLine - 1], "int main(void) {");
  assert.equal(lines[parsed.own!.lastLine - 1], "}");
  assert.equal(parsed.own!.lastLine, parsed.lines);
  assert.equal(lines[parsed.own!.firstLine], '  printf("%s\\n", "hello");', "the macro is expanded");
  assert.equal(parsed.own!.lines, 4);
});

test("a local header twice: the guarded one is entered once, the unguarded one twice", opts, () => {
  write("sub/guarded.h", "#ifndef GUARDED_H\n#define GUARDED_H\nint guarded(void);\n#endif\n");
  write("sub/plain.h", "int plain_count;\nextern int plain_more;\n");
  const source = write(
    "two.c",
    "/* a comment first */\nint before = 1;\n" +
      '#include "sub/guarded.h"\n#include "sub/plain.h"\n#include "sub/guarded.h"\n#include "sub/plain.h"\n' +
      "int main(void) {\n  return guarded() + plain_count;\n}\n",
  );
  const text = preprocess(source);
  const parsed = parsePreprocessed(text, source);
  const trace = includeTrace(source);
  assert.deepEqual(flatten(parsed.headers), trace);
  checkCounts(text, parsed);
  checkIncludeSites(parsed.headers);

  const root = parsed.headers;
  assert.deepEqual(
    root.includes.map((node) => [node.path, node.includedFrom!.line]),
    [
      ["sub/guarded.h", 3],
      ["sub/plain.h", 4],
      ["sub/plain.h", 6],
    ],
  );
  // Counted from the headers themselves: the lines that are neither blank nor directives.
  const codeOf = (name: string) =>
    readFileSync(join(dir, name), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#")).length;
  assert.deepEqual(
    root.includes.map((node) => node.lines),
    [codeOf("sub/guarded.h"), codeOf("sub/plain.h"), codeOf("sub/plain.h")],
  );
  assert.ok(root.includes.every((node) => !node.system && node.depth === 1));
  assert.deepEqual(parsed.order, ["sub/guarded.h", "sub/plain.h"]);
  assert.equal(root.lines, 4, "int before, and main's three lines");
  assert.equal(root.totalLines, 4 + 1 + 2 + 2);

  // The user's code starts after the include run, not at `int before` above it.
  const lines = text.split("\n");
  assert.equal(lines[parsed.own!.firstLine - 1], "int main(void) {");
  assert.ok(lines.indexOf("int before = 1;") < parsed.own!.firstLine - 1);
  assert.equal(parsed.own!.lines, 4);
});

test("<stdlib.h> and <string.h> with -save-temps -g: gcc -H's tree, and the working directory", opts, () => {
  const source = write(
    "both.c",
    '#include <stdlib.h>\n#include <string.h>\nint main(void) { return (int)strlen(getenv("HOME")); }\n',
  );
  gcc(["-g", "-save-temps", "-c", "-o", "both.o", source]);
  const text = readFileSync(join(dir, "both.i"), "utf8");
  const parsed = parsePreprocessed(text, source);
  const trace = includeTrace(source);
  assert.deepEqual(flatten(parsed.headers), trace);
  checkCounts(text, parsed);
  checkIncludeSites(parsed.headers);
  assert.equal(parsed.workingDirectory, dir);
  assert.deepEqual(
    parsed.headers.includes.map((node) => [node.path, node.includedFrom!.line]),
    [
      ["/usr/include/stdlib.h", 1],
      ["/usr/include/string.h", 2],
    ],
  );
  // Headers both of them include (features.h) are entered once, under stdlib.h: their guards hold.
  assert.deepEqual(parsed.order, [...new Set(trace.map((entry) => entry.path))]);
  assert.ok(
    everyNode(parsed.headers)
      .slice(1)
      .every((node) => node.system),
  );
  assert.equal(parsed.own!.lines, 1);
  assert.equal(parsed.own!.firstLine, parsed.own!.lastLine);
});

test("-include and -dD: pre-included headers and predefined macros stay out of the tree", opts, () => {
  write("sub/plain.h", "int plain_count;\nextern int plain_more;\n");
  write("pre.h", '#include "sub/plain.h"\nint pre;\n');
  const source = write("uses.c", '#include "sub/plain.h"\nint main(void) { return pre; }\n');
  const flags = ["-include", "pre.h", "-dD"];
  const text = preprocess(source, flags);
  const parsed = parsePreprocessed(text, source);
  assert.deepEqual(flatten(parsed.headers), includeTrace(source, flags));
  checkCounts(text, parsed);
  const pre = parsed.preincluded.find((node) => node.path === "./pre.h")!;
  assert.deepEqual(pre.includedFrom, { path: "<command-line>", line: 0 });
  assert.deepEqual(
    pre.includes.map((node) => [node.path, node.depth, node.lines]),
    [["./sub/plain.h", 2, 2]],
  );
  assert.equal(pre.lines, 1);
  // -dD writes every predefined macro as a #define in <built-in>: count them from the text.
  let inBuiltin = false;
  let builtinDefines = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("# ")) inBuiltin = /^# \d+ "<(built-in|command-line)>"/.test(line);
    else if (inBuiltin && line.trim() !== "") builtinDefines++;
  }
  assert.ok(builtinDefines > 100, `${builtinDefines} predefined macros`);
  assert.equal(parsed.builtinLines, builtinDefines);
  assert.deepEqual(parsed.order, ["sub/plain.h"]);
  assert.equal(parsed.headers.includes[0]!.lines, 2);
});

test("line markers: escaped file names, a jump over blank lines, and -P output without markers", () => {
  const text = [
    '# 0 "dir\\\\we\\"ird.c"',
    '# 0 "<built-in>"',
    '# 0 "<command-line>"',
    '# 1 "dir\\\\we\\"ird.c"',
    '# 1 "caf\\303\\251 \\"q\\".h" 1',
    "int a;",
    '# 2 "dir\\\\we\\"ird.c" 2',
    "",
    '# 20 "dir\\\\we\\"ird.c"',
    // g++ marks a C++ system header 3 alone: it is not wrapped in extern "C".
    '# 1 "/usr/include/c++/12/second" 1 3',
    "int b;",
    '# 21 "dir\\\\we\\"ird.c" 2',
    "int c;",
    "",
  ].join("\n");
  const parsed = parsePreprocessed(text, 'dir\\we"ird.c');
  assert.deepEqual(
    parsed.headers.includes.map((node) => [node.path, node.includedFrom]),
    [
      ['café "q".h', { path: 'dir\\we"ird.c', line: 1 }],
      ["/usr/include/c++/12/second", { path: 'dir\\we"ird.c', line: 20 }],
    ],
  );
  assert.deepEqual(
    parsed.headers.includes.map((node) => node.system),
    [false, true],
  );
  assert.deepEqual(parsed.own, { firstLine: 13, lastLine: 13, lines: 1 });
  assert.deepEqual([parsed.lines, parsed.markerLines, parsed.blankLines, parsed.codeLines], [13, 9, 1, 3]);
  assert.equal(parsed.preincluded.length, 0);

  const plain = parsePreprocessed("int x;\n\nint main(void) { return x; }\n", "p.c");
  assert.deepEqual(plain.own, { firstLine: 1, lastLine: 3, lines: 2 });
  assert.deepEqual([plain.markerLines, plain.blankLines, plain.headers.lines], [0, 1, 2]);
  assert.equal(parsePreprocessed("", "empty.c").own, undefined);
});

test("parseIncludeTrace reads the dotted lines only", () => {
  const stderr = [
    "hello.c:3:2: warning: #warning careful [-Wcpp]",
    ". /usr/include/stdio.h",
    ".. /usr/include/x86_64-linux-gnu/bits/libc-header-start.h",
    "... /usr/include/features.h",
    ". sub/with space.h",
    "Multiple include guards may be useful for:",
    "/usr/include/x86_64-linux-gnu/gnu/stubs.h",
    "./pre.h",
  ].join("\n");
  assert.deepEqual(parseIncludeTrace(stderr), [
    { depth: 1, path: "/usr/include/stdio.h" },
    { depth: 2, path: "/usr/include/x86_64-linux-gnu/bits/libc-header-start.h" },
    { depth: 3, path: "/usr/include/features.h" },
    { depth: 1, path: "sub/with space.h" },
  ]);
});
