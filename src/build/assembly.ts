/**
 * The compiler's output (a `.s` file in GNU as syntax, as gcc writes it for x86-64 and AArch64) read
 * back: the functions and data objects it defines, the sections it switches between, its string
 * literals, the calls it makes, and a count of every directive and instruction.
 *
 * This reads the text only; nothing is assembled. The syntax followed is the GNU as manual's:
 * "Statements" (labels, `;` between statements), "Comments", "Strings" (the escapes) and the
 * pseudo-op pages (`.section`, `.type`, `.size`, `.comm`, `.align`).
 */

/** The two dialects gcc writes; they differ in comments, `.align` and calls. */
export type AssemblyMachine = "x86-64" | "aarch64";

export interface AsmFunction {
  readonly name: string;
  /** The section in force at the label (`.text`, `.text.startup` for main at -O2, `.text.unlikely`). */
  readonly section: string;
  /** 1-based line of the label. */
  readonly line: number;
  /** Named by `.globl`/`.global`. */
  readonly global: boolean;
  /** Named by `.weak`. */
  readonly weak: boolean;
  /** The `.size` expression as written, e.g. `.-main`. */
  readonly size?: string;
}

export interface AsmObject {
  readonly name: string;
  /** The section at the label; `COMMON` for a `.comm` symbol, `.bss` for a `.lcomm` or `.local` one. */
  readonly section: string;
  /** 1-based line of the label, or of the `.comm`/`.lcomm` directive. */
  readonly line: number;
  readonly global: boolean;
  readonly weak: boolean;
  /** From `.size` (or `.comm`): a number when written as one, else the expression's text. */
  readonly size?: number | string;
  /** In bytes, from the `.align`/`.p2align`/`.balign` just before the label (or `.comm`'s third operand). */
  readonly align?: number;
  /** Defined by `.comm` or `.lcomm` rather than by a label. */
  readonly common: boolean;
}

export interface AsmSection {
  /** `.section`, `.pushsection`, `.text`, `.data`, `.bss`, `.popsection` or `.previous`. */
  readonly directive: string;
  /** The section in force after the directive. */
  readonly name: string;
  /** The flags string's contents (`aMS`, or `""` for .note.GNU-stack), when given. */
  readonly flags?: string;
  /** The type as written, `@progbits` or `%nobits`. */
  readonly type?: string;
  /** The entry size of a mergeable (`M`) section: 1 for `.rodata.str1.1`. */
  readonly entsize?: number;
  /** The group (COMDAT) signature of a `G` section. */
  readonly group?: string;
  readonly line: number;
}

/** One string literal: a run of string directives, as gcc splits a long literal into `.ascii` pieces. */
export interface AsmString {
  /** The label just before it, e.g. `.LC0`, or an object's name for a `char[]`. */
  readonly label?: string;
  readonly section: string;
  /**
   * The bytes decoded as UTF-8 (gcc writes é as `\303\251`); NULs inside the literal are kept, the
   * terminating one is not.
   */
  readonly value: string;
  /** The last directive of the run, which says whether a NUL ends it (`.string`) or not (`.ascii`). */
  readonly directive: string;
  /** How many directives the literal was written in. */
  readonly pieces: number;
  /** Bytes emitted, terminators included: what the literal takes in its section. */
  readonly bytes: number;
  /** 1-based line of its first directive. */
  readonly line: number;
}

export interface AsmCall {
  /** The function whose code holds the call ("" when before any label). */
  readonly from: string;
  /** The symbol called, without `@PLT`. */
  readonly target: string;
  /** Written `sym@PLT`: the linker is told to route it through a PLT stub if the symbol is not local. */
  readonly plt: boolean;
  /** Written `*sym@GOTPCREL(%rip)` (-fno-plt): an indirect call through the symbol's GOT slot. */
  readonly got: boolean;
  readonly line: number;
  /** As written: `call`, `jmp` (a tail call), `bl`, `b` (a tail call). */
  readonly instruction: string;
}

export interface Assembly {
  /** Given, or recognised from the text (`.arch armv8-a`, `%function`). */
  readonly machine: AssemblyMachine;
  /** In the order of their labels. */
  readonly functions: readonly AsmFunction[];
  /** In the order of their labels (or `.comm` lines). */
  readonly objects: readonly AsmObject[];
  readonly sections: readonly AsmSection[];
  readonly strings: readonly AsmString[];
  readonly calls: readonly AsmCall[];
  /** How many times each directive appears, by name (`.cfi_startproc`); `=` for assignments. */
  readonly directives: Readonly<Record<string, number>>;
  /** Instruction statements: what is neither a label, a directive, a comment nor blank. */
  readonly instructions: number;
}

export interface AssemblyOptions {
  /** Which dialect to read; recognised from the text when not given. */
  readonly machine?: AssemblyMachine;
}

/** One statement of the source, comments gone and labels split off. */
type Statement =
  | { readonly kind: "label"; readonly name: string; readonly line: number }
  | { readonly kind: "directive"; readonly name: string; readonly operands: string; readonly line: number }
  | {
      readonly kind: "instruction";
      readonly mnemonic: string;
      readonly operands: string;
      readonly line: number;
    };

const STRING_DIRECTIVES = new Map([
  // [terminated by a NUL, bytes per character]
  [".ascii", { terminated: false, width: 1 }],
  [".asciz", { terminated: true, width: 1 }],
  [".string", { terminated: true, width: 1 }],
  [".string8", { terminated: true, width: 1 }],
  [".string16", { terminated: true, width: 2 }],
  [".string32", { terminated: true, width: 4 }],
  [".string64", { terminated: true, width: 8 }],
]);

/** Directives that emit bytes: an `.align` before one of them is not the next label's. */
const DATA_DIRECTIVES = new Set([
  ...STRING_DIRECTIVES.keys(),
  ...[".byte", ".2byte", ".4byte", ".8byte", ".short", ".hword", ".value", ".word", ".int", ".long"],
  ...[".quad", ".xword", ".dword", ".octa", ".zero", ".skip", ".space", ".fill", ".uleb128", ".sleb128"],
  ...[".float", ".single", ".double", ".incbin", ".inst"],
]);

const SECTION_SHORTHANDS = new Set([".text", ".data", ".bss"]);

/** x86 prefixes written before a call or jump (`notrack jmp *%rax` under -fcf-protection). */
const BRANCH_PREFIXES = new Set(["notrack", "bnd", "rep", "repz", "repnz", "ds", "cs"]);

/** `.arch armv8-a` heads gcc's AArch64 output; `%function` is ARM's spelling of `@function`. */
function recogniseMachine(text: string): AssemblyMachine {
  return /^\s*\.arch\s+armv/m.test(text) || /^\s*\.type\s+[^,\n]+,\s*%(function|object)/m.test(text)
    ? "aarch64"
    : "x86-64";
}

/**
 * Removes comments from one line: `/* *\/` (which may span lines: `inBlock` carries over), `#` at the
 * start of a line, and to the end of the line `#` on x86 (GNU as treats it so anywhere) or `//` on
 * AArch64 (where `#` marks an immediate). Nothing inside a string literal counts.
 */
function stripComments(
  line: string,
  machine: AssemblyMachine,
  inBlock: boolean,
): { code: string; inBlock: boolean } {
  let code = "";
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (inBlock) {
      if (char === "*" && line[i + 1] === "/") {
        inBlock = false;
        i++;
      }
    } else if (inString) {
      code += char;
      if (char === "\\" && i + 1 < line.length) code += line[++i];
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      code += char;
    } else if (char === "/" && line[i + 1] === "*") {
      inBlock = true;
      code += " ";
      i++;
    } else if (char === "#" && (machine === "x86-64" || code.trim() === "")) {
      break;
    } else if (char === "/" && line[i + 1] === "/" && machine === "aarch64") {
      break;
    } else {
      code += char;
    }
  }
  return { code, inBlock };
}

/** Splits on a character outside string literals and brackets: `;` between statements, `,` between operands. */
function splitOutside(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "(" || char === "[") {
      depth++;
    } else if (char === ")" || char === "]") {
      depth--;
    } else if (char === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const SYMBOL = String.raw`(?:[A-Za-z_.$][\w.$]*|"(?:[^"\\]|\\.)*")`;
const LABEL = new RegExp(String.raw`^\s*(${SYMBOL}|\d+)\s*:(?!:)`);
const DIRECTIVE = /^\s*(\.[A-Za-z_][\w.]*)(?:\s+(.*)|\s*)$/;
const ASSIGNMENT = new RegExp(String.raw`^\s*${SYMBOL}\s*=[^=]`);
const THROUGH_GOT = new RegExp(String.raw`^\*(${SYMBOL})@GOTPCREL\(%rip\)$`, "i");
const DIRECT_TARGET = new RegExp(`^(${SYMBOL})(@plt)?$`, "i");

function unquote(symbol: string): string {
  const trimmed = symbol.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2
    ? trimmed.slice(1, -1).replace(/\\(.)/g, "$1")
    : trimmed;
}

/** One line's statements: labels first (`main: pushq %rbp` is two), then a directive or an instruction each. */
function statementsOf(code: string, line: number): Statement[] {
  const statements: Statement[] = [];
  for (let part of splitOutside(code, ";")) {
    for (let label = LABEL.exec(part); label; label = LABEL.exec(part)) {
      statements.push({ kind: "label", name: unquote(label[1]!), line });
      part = part.slice(label[0].length);
    }
    if (part.trim() === "") continue;
    const directive = DIRECTIVE.exec(part);
    if (directive) {
      statements.push({
        kind: "directive",
        name: directive[1]!,
        operands: (directive[2] ?? "").trim(),
        line,
      });
    } else if (ASSIGNMENT.test(part)) {
      statements.push({ kind: "directive", name: "=", operands: part.trim(), line });
    } else {
      const [, mnemonic, operands] = /^\s*(\S+)\s*(.*)$/.exec(part)!;
      statements.push({ kind: "instruction", mnemonic: mnemonic!, operands: operands!.trim(), line });
    }
  }
  return statements;
}

function parseStatements(text: string, machine: AssemblyMachine): Statement[] {
  const statements: Statement[] = [];
  let inBlock = false;
  text.split("\n").forEach((raw, index) => {
    const stripped = stripComments(raw.replace(/\r$/, ""), machine, inBlock);
    inBlock = stripped.inBlock;
    statements.push(...statementsOf(stripped.code, index + 1));
  });
  return statements;
}

const operandsOf = (operands: string) => splitOutside(operands, ",").map((operand) => operand.trim());

/** A number as GNU as writes one (decimal, 0x hex, 0 octal, 0b binary), or undefined for an expression. */
function numberOf(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9]\d*)$/i.test(trimmed)) {
    return /^0[0-7]+$/.test(trimmed) ? Number.parseInt(trimmed, 8) : Number(trimmed);
  }
  return undefined;
}

const ESCAPE = /\\(?:([0-9]{1,3})|[xX]([0-9a-fA-F]+)|(.))/gsu;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * The bytes a string literal stands for, escapes decoded as GNU as does ("Strings"): `\b \f \n \r \t`,
 * up to three octal digits (8 and 9 accepted), `\x` and every hex digit after it (the low byte kept),
 * and a backslash before anything else dropped.
 */
function decodeAsmString(literal: string): number[] {
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  let done = 0;
  for (const match of literal.matchAll(ESCAPE)) {
    bytes.push(...encoder.encode(literal.slice(done, match.index)));
    const [, octal, hex, other] = match;
    if (octal !== undefined) {
      bytes.push([...octal].reduce((value, digit) => value * 8 + Number(digit), 0) & 0xff);
    } else if (hex !== undefined) {
      bytes.push([...hex].reduce((value, digit) => (value * 16 + Number.parseInt(digit, 16)) & 0xff, 0));
    } else {
      bytes.push(...encoder.encode(NAMED_ESCAPES[other!] ?? other!));
    }
    done = match.index + match[0].length;
  }
  bytes.push(...encoder.encode(literal.slice(done)));
  return bytes;
}

/** The string literals among a directive's operands (`.ascii "a", "b"` has two). */
function literalsOf(operands: string): string[] {
  return operandsOf(operands)
    .filter((operand) => operand.startsWith('"') && operand.endsWith('"') && operand.length >= 2)
    .map((operand) => operand.slice(1, -1));
}

/** `.align`'s operand is bytes on x86 but a power of two on ARM (GNU as, ".align"); `.p2align` always the latter. */
function alignmentOf(directive: string, operands: string, machine: AssemblyMachine): number | undefined {
  const [amount, , limit] = operandsOf(operands);
  const value = numberOf(amount ?? "");
  // With a limit (`.p2align 4,,11`) the padding may be skipped: no promise about the address.
  if (value === undefined || (limit !== undefined && limit !== "")) return undefined;
  if (directive.startsWith(".p2align")) return 2 ** value;
  if (directive.startsWith(".balign")) return value;
  if (directive === ".align") return machine === "aarch64" ? 2 ** value : value;
  return undefined;
}

/** `.type NAME, @function` in any of its spellings (`%function`, `STT_FUNC`, `"function"`). */
function symbolTypeOf(operand: string): "function" | "object" | undefined {
  const type = operand.replace(/^[@%#"]/, "").replace(/"$/, "");
  if (type === "function" || type === "STT_FUNC" || type === "gnu_indirect_function") return "function";
  if (type === "object" || type === "STT_OBJECT" || type === "tls_object" || type === "STT_TLS")
    return "object";
  return undefined;
}

/** What the whole file says about symbols, wherever it says it (gcc puts `.globl` far from the label). */
interface SymbolFacts {
  readonly types: Map<string, "function" | "object">;
  readonly sizes: Map<string, string>;
  readonly global: Set<string>;
  readonly weak: Set<string>;
  readonly local: Set<string>;
}

function symbolFacts(statements: readonly Statement[]): SymbolFacts {
  const facts: SymbolFacts = {
    types: new Map(),
    sizes: new Map(),
    global: new Set(),
    weak: new Set(),
    local: new Set(),
  };
  for (const statement of statements) {
    if (statement.kind !== "directive") continue;
    const operands = operandsOf(statement.operands);
    const names = operands.map(unquote);
    if (statement.name === ".type" && operands.length >= 2) {
      const type = symbolTypeOf(operands[1]!);
      if (type) facts.types.set(names[0]!, type);
    } else if (statement.name === ".size" && operands.length >= 2) {
      facts.sizes.set(names[0]!, operands.slice(1).join(", "));
    } else if (statement.name === ".globl" || statement.name === ".global") {
      for (const name of names) facts.global.add(name);
    } else if (statement.name === ".weak") {
      for (const name of names) facts.weak.add(name);
    } else if (statement.name === ".local") {
      for (const name of names) facts.local.add(name);
    }
  }
  return facts;
}

/** Which section is in force: `.pushsection` stacks the one it leaves, `.previous` swaps back. */
interface SectionState {
  current: string;
  previous: string;
  readonly stack: string[];
  readonly sections: AsmSection[];
}

/** Follows a section directive (and lists it); false for any other directive. */
function applySection(state: SectionState, statement: Statement & { kind: "directive" }): boolean {
  const { name: directive, line } = statement;
  const switchTo = (name: string) => {
    state.previous = state.current;
    state.current = name;
  };
  if (SECTION_SHORTHANDS.has(directive)) {
    switchTo(directive);
    state.sections.push({ directive, name: directive, line });
  } else if (directive === ".section" || directive === ".pushsection") {
    const [name, flags, type, ...rest] = operandsOf(statement.operands);
    if (directive === ".pushsection") state.stack.push(state.current);
    switchTo(unquote(name ?? ""));
    state.sections.push({ directive, name: state.current, ...describeSection(flags, type, rest), line });
  } else if (directive === ".previous") {
    switchTo(state.previous);
    state.sections.push({ directive, name: state.current, line });
  } else if (directive === ".popsection") {
    switchTo(state.stack.pop() ?? state.current);
    state.sections.push({ directive, name: state.current, line });
  } else {
    return false;
  }
  return true;
}

/** `.section NAME,"FLAGS",@TYPE[,ENTSIZE][,GROUP[,comdat]]`: what follows the name. */
function describeSection(
  flags: string | undefined,
  type: string | undefined,
  rest: readonly string[],
): Pick<AsmSection, "flags" | "type" | "entsize" | "group"> {
  if (flags === undefined) return {};
  const flagText = flags.startsWith('"') ? unquote(flags) : flags;
  const description: { flags: string; type?: string; entsize?: number; group?: string } = { flags: flagText };
  if (type !== undefined) description.type = type;
  let next = 0;
  if (flagText.includes("M") && rest[next] !== undefined) {
    const entsize = numberOf(rest[next++]!);
    if (entsize !== undefined) description.entsize = entsize;
  }
  if (flagText.includes("G") && rest[next] !== undefined) description.group = unquote(rest[next]!);
  return description;
}

/** Where a call or jump goes, if to a named symbol: `printf@PLT`, `helper`, `*puts@GOTPCREL(%rip)`. */
function callTarget(
  operands: string,
  machine: AssemblyMachine,
): { target: string; plt: boolean; got: boolean } | undefined {
  const operand = operands.trim();
  const through = THROUGH_GOT.exec(operand);
  if (machine === "x86-64" && through) return { target: unquote(through[1]!), plt: false, got: true };
  const direct = DIRECT_TARGET.exec(operand);
  if (!direct) return undefined;
  const target = unquote(direct[1]!);
  // .L labels are the assembler's own, local to this file: branches inside a function.
  if (target.startsWith(".L")) return undefined;
  return { target, plt: direct[2] !== undefined, got: false };
}

function isCall(mnemonic: string, machine: AssemblyMachine): boolean {
  if (machine === "aarch64") return mnemonic === "bl" || mnemonic === "b";
  return /^(call|jmp)[lqw]?$/.test(mnemonic);
}

/** The mnemonic and operands behind any x86 prefixes (`notrack jmp *%rax`). */
function withoutPrefixes(statement: { mnemonic: string; operands: string }): {
  mnemonic: string;
  operands: string;
} {
  let { mnemonic, operands } = statement;
  while (BRANCH_PREFIXES.has(mnemonic.toLowerCase())) {
    const [, next, rest] = /^(\S+)\s*(.*)$/.exec(operands) ?? [];
    if (next === undefined) break;
    mnemonic = next;
    operands = rest ?? "";
  }
  return { mnemonic, operands };
}

/** A string literal while its directives are still coming. */
interface OpenString {
  readonly label: string | undefined;
  readonly section: string;
  readonly line: number;
  /** The characters' bytes, with the NUL after each terminated piece. */
  readonly content: number[];
  /** Bytes emitted: `content` times the directive's character width. */
  size: number;
  directive: string;
  pieces: number;
  terminated: boolean;
}

function closeString(open: OpenString): AsmString {
  // Pieces before the last keep their NULs (`"a\0b"` is `.string "a"` + `.string "b"`); the last one's goes.
  const content = open.terminated ? open.content.slice(0, -1) : open.content;
  const value = new TextDecoder().decode(Uint8Array.from(content));
  const literal = {
    section: open.section,
    value,
    directive: open.directive,
    pieces: open.pieces,
    bytes: open.size,
    line: open.line,
  };
  return open.label === undefined ? literal : { label: open.label, ...literal };
}

/** Everything gathered so far, and what the statements just read leave in force. */
interface Reading {
  readonly machine: AssemblyMachine;
  readonly facts: SymbolFacts;
  /** The file types its functions: then only those start one (an inline asm label does not). */
  readonly typesFunctions: boolean;
  readonly sections: SectionState;
  readonly directives: Record<string, number>;
  readonly functions: AsmFunction[];
  readonly objects: AsmObject[];
  readonly strings: AsmString[];
  readonly calls: AsmCall[];
  instructions: number;
  /** The function whose code is being read. */
  enclosing: string;
  /** From the alignment directives since the last label, data or section change. */
  alignment: number | undefined;
  openString: OpenString | undefined;
  previous: Statement | undefined;
}

function endString(reading: Reading) {
  if (reading.openString) reading.strings.push(closeString(reading.openString));
  reading.openString = undefined;
}

function readLabel(reading: Reading, label: Statement & { kind: "label" }) {
  endString(reading);
  const { facts } = reading;
  const type = facts.types.get(label.name);
  const size = facts.sizes.get(label.name);
  const found = { name: label.name, section: reading.sections.current, line: label.line };
  const binding = { global: facts.global.has(label.name), weak: facts.weak.has(label.name) };
  if (type === "function") {
    reading.functions.push({ ...found, ...binding, ...(size === undefined ? {} : { size }) });
  } else if (type === "object") {
    reading.objects.push(dataObject({ ...found, ...binding }, size, reading.alignment, false));
  }
  // The code after a function's label is its own until the next function's; `.L` labels are inside.
  const local = label.name.startsWith(".L") || /^\d/.test(label.name);
  if (type === "function" || (!reading.typesFunctions && type === undefined && !local)) {
    reading.enclosing = label.name;
  }
  reading.alignment = undefined;
}

function readDirective(reading: Reading, directive: Statement & { kind: "directive" }) {
  const { name } = directive;
  reading.directives[name] = (reading.directives[name] ?? 0) + 1;
  const stringKind = STRING_DIRECTIVES.get(name);
  if (stringKind) {
    reading.openString = continueString(reading, directive, stringKind);
  } else {
    endString(reading);
  }
  if (applySection(reading.sections, directive)) {
    reading.alignment = undefined;
  } else if (/^\.(p2align|balign)[wl]?$|^\.align$/.test(name)) {
    const bytes = alignmentOf(name, directive.operands, reading.machine);
    if (bytes !== undefined) reading.alignment = Math.max(reading.alignment ?? 1, bytes);
  } else if (name === ".comm" || name === ".lcomm") {
    reading.objects.push(commonObject(directive, reading.facts));
  } else if (DATA_DIRECTIVES.has(name)) {
    reading.alignment = undefined;
  }
}

function readInstruction(reading: Reading, instruction: Statement & { kind: "instruction" }) {
  endString(reading);
  reading.instructions++;
  reading.alignment = undefined;
  const { mnemonic, operands } = withoutPrefixes(instruction);
  const target = isCall(mnemonic, reading.machine) ? callTarget(operands, reading.machine) : undefined;
  if (target) {
    reading.calls.push({ from: reading.enclosing, ...target, line: instruction.line, instruction: mnemonic });
  }
}

/** Reads a `.s` file as gcc writes it (also hand-written GNU as: unknown directives are counted, no more). */
export function parseAssembly(text: string, options: AssemblyOptions = {}): Assembly {
  const machine = options.machine ?? recogniseMachine(text);
  const statements = parseStatements(text, machine);
  const facts = symbolFacts(statements);
  const reading: Reading = {
    machine,
    facts,
    typesFunctions: [...facts.types.values()].includes("function"),
    sections: { current: ".text", previous: ".text", stack: [], sections: [] },
    directives: {},
    functions: [],
    objects: [],
    strings: [],
    calls: [],
    instructions: 0,
    enclosing: "",
    alignment: undefined,
    openString: undefined,
    previous: undefined,
  };
  for (const statement of statements) {
    if (statement.kind === "label") readLabel(reading, statement);
    else if (statement.kind === "directive") readDirective(reading, statement);
    else readInstruction(reading, statement);
    reading.previous = statement;
  }
  endString(reading);
  const { functions, objects, strings, calls, directives, instructions } = reading;
  return {
    machine,
    functions,
    objects,
    sections: reading.sections.sections,
    strings,
    calls,
    directives,
    instructions,
  };
}

/** Adds a string directive to the literal being read, or starts one (labelled if a label came just before). */
function continueString(
  reading: Reading,
  statement: Statement & { kind: "directive" },
  kind: { terminated: boolean; width: number },
): OpenString {
  const { previous } = reading;
  const literal: OpenString = reading.openString ?? {
    label: previous?.kind === "label" ? previous.name : undefined,
    section: reading.sections.current,
    line: statement.line,
    content: [],
    size: 0,
    directive: statement.name,
    pieces: 0,
    terminated: false,
  };
  for (const text of literalsOf(statement.operands)) {
    const bytes = decodeAsmString(text);
    if (kind.terminated) bytes.push(0);
    literal.content.push(...bytes);
    // .string16 and wider give each character `width` bytes; the value is still read from the escapes.
    literal.size += bytes.length * kind.width;
  }
  literal.directive = statement.name;
  literal.pieces++;
  literal.terminated = kind.terminated;
  return literal;
}

/** `.comm NAME, SIZE[, ALIGN]`: common (the linker merges and places it), or in .bss when `.local`. */
function commonObject(statement: Statement & { kind: "directive" }, facts: SymbolFacts): AsmObject {
  const [name, size, align] = operandsOf(statement.operands);
  const symbol = unquote(name ?? "");
  const local = statement.name === ".lcomm" || facts.local.has(symbol);
  const found = { name: symbol, section: local ? ".bss" : "COMMON", line: statement.line };
  // ELF's .comm alignment operand is in bytes on every machine (GNU as, ".comm").
  const bytes = numberOf(align ?? "");
  return dataObject({ ...found, global: !local, weak: facts.weak.has(symbol) }, size, bytes, true);
}

/** An object's fields in one order, the ones not known left out. */
function dataObject(
  where: { name: string; section: string; line: number; global: boolean; weak: boolean },
  size: string | undefined,
  align: number | undefined,
  common: boolean,
): AsmObject {
  return {
    ...where,
    ...(size === undefined ? {} : { size: numberOf(size) ?? size }),
    ...(align === undefined ? {} : { align }),
    common,
  };
}
