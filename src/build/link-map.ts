/**
 * The link map GNU ld (ld.bfd, binutils 2.40) writes for `-Map=FILE`: which archive members it pulled
 * in and why, which input sections it threw away, and where every input section landed in the output.
 * The layout is ld's own printing code (ld/ldlang.c print_statement and friends, ld/ldmain.c
 * add_archive_element): names are padded to column 16, or 30 in the archive list, and a name too
 * long for its column is printed alone with the rest of the entry on the next line.
 */

/** An archive member ld loaded ("Archive member included to satisfy reference by file (symbol)"). */
export interface ArchiveMember {
  /** The member as ld names it: `ARCHIVE(MEMBER)`, or a thin archive member's own path. */
  readonly file: string;
  /** The archive's path; undefined for a thin archive's member, which ld names by its own path. */
  readonly archive: string | undefined;
  readonly member: string;
  /** The file whose reference pulled the member in, as ld names it; undefined when ld knew none. */
  readonly by: string | undefined;
  readonly symbol: string;
}

/** A shared library --as-needed kept ("As-needed library included to satisfy reference by file"). */
export interface AsNeededLibrary {
  readonly library: string;
  readonly by: string | undefined;
  readonly symbol: string;
}

/** A common symbol ld allocated itself ("Allocating common symbols"; only with -fcommon objects). */
export interface CommonSymbol {
  readonly name: string;
  readonly size: bigint;
  readonly file: string;
}

/** A MEMORY region ("Memory Configuration"); without a MEMORY command only `*default*`. */
export interface MemoryRegion {
  readonly name: string;
  readonly origin: bigint;
  readonly length: bigint;
  readonly attributes: string;
}

/** One input section as ld prints it: its name, where it went, and the file it came from. */
export interface InputSection {
  /** The input section's name (`.text`, `.text.startup`, `COMMON`). */
  readonly section: string;
  readonly address: bigint;
  readonly size: bigint;
  /** The file as ld wrote it; an archive member is `ARCHIVE(MEMBER)`. */
  readonly file: string;
  readonly archive?: string;
  readonly member?: string;
  /** The size before ld shrank it (merged strings, .eh_frame with duplicate CIEs removed). */
  readonly sizeBeforeRelaxing?: bigint;
}

/** A global symbol ld printed under the input section that defines it. */
export interface MapSymbol {
  readonly name: string;
  readonly address: bigint;
}

/** An input section placed in an output section, with the global symbols it defines. */
export interface Contribution extends InputSection {
  readonly symbols: readonly MapSymbol[];
  /**
   * True when the section takes no room although it has a size: ld gave it the location counter
   * without advancing it (ldlang.c size_input_section, SEC_EXCLUDE), which is what happens to a
   * SEC_MERGE section whose strings all merged into an earlier one. The map does not say so; it
   * shows as an entry that the next entry, or the end of the output section, starts at.
   */
  readonly excluded: boolean;
}

/** Padding ld inserted to align the next input section (`*fill*`). */
export interface Fill {
  readonly address: bigint;
  readonly size: bigint;
  /** The fill bytes in hex when the script set a FILL pattern. */
  readonly pattern?: string;
}

/** A linker script assignment (`_edata = .`, `PROVIDE (__bss_start = .)`, `. = ALIGN (0x8)`). */
export interface Assignment {
  /** The symbol assigned, `.` for the location counter; undefined for an ASSERT. */
  readonly name: string | undefined;
  /**
   * The value ld computed (for an ASSERT, its condition's); undefined when it printed none:
   * `[!provide]` is a PROVIDE nothing referenced, so the symbol was never defined; `[unresolved]`
   * and `*undef*` are the others.
   */
  readonly address: bigint | undefined;
  /** The statement as ld printed it. */
  readonly expression: string;
}

/** A BYTE/SHORT/LONG/QUAD/SQUAD statement of the script: bytes the script itself put in a section. */
export interface DataStatement {
  readonly address: bigint;
  readonly size: bigint;
  readonly kind: string;
  readonly value: bigint;
}

/** One output section statement of the linker script, and what ld put in it. */
export interface OutputSection {
  readonly name: string;
  /** Undefined when ld made no section for it (nothing matched its patterns). */
  readonly address: bigint | undefined;
  readonly size: bigint | undefined;
  /** The LMA, when it differs from the address (AT or a load region in the script). */
  readonly loadAddress?: bigint;
  readonly contributions: readonly Contribution[];
  readonly fills: readonly Fill[];
  readonly data: readonly DataStatement[];
  /**
   * Assignments printed after the section's name. ld prints one inside the section's braces and one
   * that follows them the same way, so both belong to the section they follow.
   */
  readonly assignments: readonly Assignment[];
  /** The script's input section descriptions, in order (`*(.text .stub .text.* .gnu.linkonce.t.*)`). */
  readonly patterns: readonly string[];
}

/** A line of the map this parser did not understand, kept so a view can say something was skipped. */
export interface UnparsedLine {
  /** 1-based. */
  readonly line: number;
  readonly text: string;
}

/** Everything a link map says, in ld's order. */
export interface LinkMap {
  readonly archiveMembers: readonly ArchiveMember[];
  readonly asNeeded: readonly AsNeededLibrary[];
  readonly commonSymbols: readonly CommonSymbol[];
  readonly discarded: readonly InputSection[];
  readonly memory: readonly MemoryRegion[];
  /** The LOAD lines: every input file in the order ld opened it, as written (repeats included). */
  readonly inputs: readonly string[];
  /** Assignments before the first output section (`. = SEGMENT_START (...) + SIZEOF_HEADERS`). */
  readonly assignments: readonly Assignment[];
  readonly outputSections: readonly OutputSection[];
  /** `OUTPUT(FILE FORMAT)`, the last line of the memory map. */
  readonly output?: { readonly file: string; readonly format?: string };
  readonly unparsed: readonly UnparsedLine[];
}

// The headings ld prints at column 0 (ldmain.c, ldlang.c, ldcref.c, elflink.c); text under headings
// not listed here (property merging notes, the cross reference table) is left alone.
const ARCHIVE_MEMBERS = "Archive member included to satisfy reference by file (symbol)";
const AS_NEEDED = "As-needed library included to satisfy reference by file (symbol)";
const COMMON_SYMBOLS = "Allocating common symbols";
const DISCARDED = "Discarded input sections";
const MEMORY = "Memory Configuration";
const MEMORY_MAP = "Linker script and memory map";
const HEADINGS = new Set([
  ARCHIVE_MEMBERS,
  AS_NEEDED,
  COMMON_SYMBOLS,
  DISCARDED,
  MEMORY,
  MEMORY_MAP,
  "Merging program properties",
  "Cross Reference Table",
]);

/** A line and its 1-based number in the map. */
interface Line {
  readonly number: number;
  readonly text: string;
}

/** Parses the text of a `-Map` file. Never throws: lines it cannot read end up in `unparsed`. */
export function parseLinkMap(text: string): LinkMap {
  const parts = splitByHeading(text);
  const unparsed: UnparsedLine[] = [];
  const memoryMap = parseMemoryMap(parts.get(MEMORY_MAP) ?? [], unparsed);
  return {
    archiveMembers: parseReasons(parts.get(ARCHIVE_MEMBERS) ?? [], unparsed).map(archiveMember),
    asNeeded: parseReasons(parts.get(AS_NEEDED) ?? [], unparsed).map(({ file, by, symbol }) => ({
      library: file,
      by,
      symbol,
    })),
    commonSymbols: parseCommonSymbols(parts.get(COMMON_SYMBOLS) ?? [], unparsed),
    discarded: parseDiscarded(parts.get(DISCARDED) ?? [], unparsed),
    memory: parseMemory(parts.get(MEMORY) ?? [], unparsed),
    ...memoryMap,
    unparsed: unparsed.sort((a, b) => a.line - b.line),
  };
}

/** The lines under each heading, blank lines dropped. */
function splitByHeading(text: string): Map<string, Line[]> {
  const parts = new Map<string, Line[]>();
  let current: Line[] | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    if (HEADINGS.has(line)) {
      current = [];
      parts.set(line, current);
    } else if (current && line.trim() !== "") {
      current.push({ number: i + 1, text: line });
    }
  });
  return parts;
}

// --- the archive member and as-needed lists ----------------------------------------------------

/** The column ld pads the included file to before `FILE (SYMBOL)` (ldmain.c add_archive_element). */
const REASON_COLUMN = 30;

interface Reason {
  readonly file: string;
  readonly by: string | undefined;
  readonly symbol: string;
}

/**
 * `INCLUDED  FILE (SYMBOL)` entries: the reason starts at column 30, or on the next line indented
 * that far when the included name reaches column 29.
 */
function parseReasons(lines: readonly Line[], unparsed: UnparsedLine[]): Reason[] {
  const out: Reason[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const next = lines[i + 1];
    let file: string;
    let reason: string;
    if (next && /^ {30}\S/.test(next.text) && !/^\s/.test(line.text)) {
      file = line.text.trimEnd();
      reason = next.text.slice(REASON_COLUMN);
      i++;
    } else if (line.text.length > REASON_COLUMN && line.text[REASON_COLUMN - 1] === " ") {
      file = line.text.slice(0, REASON_COLUMN).trimEnd();
      reason = line.text.slice(REASON_COLUMN);
    } else {
      unparsed.push({ line: line.number, text: line.text });
      continue;
    }
    const split = splitTrailingParens(reason.trimEnd());
    if (!split || file === "") {
      unparsed.push({ line: line.number, text: line.text });
      continue;
    }
    out.push({ file, by: split.before === "" ? undefined : split.before, symbol: split.inside });
  }
  return out;
}

/**
 * `TEXT (INSIDE)` split at the parenthesis that closes the line, counting nesting, so a demangled
 * symbol such as `f(int)` stays whole. TEXT may itself be `ARCHIVE(MEMBER)`.
 */
function splitTrailingParens(text: string): { before: string; inside: string } | undefined {
  if (!text.endsWith(")")) return undefined;
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === ")") depth++;
    else if (text[i] === "(" && --depth === 0) {
      if (i > 0 && text[i - 1] !== " ") return undefined;
      return { before: text.slice(0, i).trimEnd(), inside: text.slice(i + 1, -1) };
    }
  }
  return undefined;
}

function archiveMember({ file, by, symbol }: Reason): ArchiveMember {
  const split = splitArchiveMember(file);
  return { file, archive: split?.archive, member: split?.member ?? file, by, symbol };
}

/** `ARCHIVE(MEMBER)` as bfd's %pB prints a member; undefined for a plain file. */
function splitArchiveMember(file: string): { archive: string; member: string } | undefined {
  const m = /^(.*\S)\(([^()]+)\)$/.exec(file);
  return m ? { archive: m[1]!, member: m[2]! } : undefined;
}

// --- common symbols, discarded sections, memory regions ----------------------------------------

/** `NAME  0xSIZE  FILE`, NAME alone on its line when it reaches column 19 (ldlang.c lang_one_common). */
function parseCommonSymbols(lines: readonly Line[], unparsed: UnparsedLine[]): CommonSymbol[] {
  const out: CommonSymbol[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (/^Common symbol\s+size\s+file$/.test(text)) continue;
    const one = /^(\S+) +0x([0-9a-f]+) +(.+)$/.exec(text);
    const rest =
      /^\S+$/.test(text) && lines[i + 1] ? /^ +0x([0-9a-f]+) +(.+)$/.exec(lines[i + 1]!.text) : null;
    if (one) out.push({ name: one[1]!, size: hex(one[2]!), file: one[3]!.trimEnd() });
    else if (rest) {
      out.push({ name: text, size: hex(rest[1]!), file: rest[2]!.trimEnd() });
      i++;
    } else unparsed.push({ line: lines[i]!.number, text });
  }
  return out;
}

function parseDiscarded(lines: readonly Line[], unparsed: UnparsedLine[]): InputSection[] {
  const out: InputSection[] = [];
  for (let i = 0; i < lines.length; i++) {
    const read = readInputSection(lines, i);
    if (read) {
      i = read.last;
      const relaxed = readSizeBeforeRelaxing(lines[i + 1]);
      if (relaxed !== undefined) i++;
      out.push(relaxed === undefined ? read.section : { ...read.section, sizeBeforeRelaxing: relaxed });
    } else unparsed.push({ line: lines[i]!.number, text: lines[i]!.text });
  }
  return out;
}

function parseMemory(lines: readonly Line[], unparsed: UnparsedLine[]): MemoryRegion[] {
  const out: MemoryRegion[] = [];
  for (const { number, text } of lines) {
    if (/^Name\s+Origin\s+Length\s+Attributes$/.test(text)) continue;
    const m = /^(\S+) +0x([0-9a-f]+) +0x([0-9a-f]+)(?: +(\S+))?\s*$/.exec(text);
    if (m) out.push({ name: m[1]!, origin: hex(m[2]!), length: hex(m[3]!), attributes: m[4] ?? "" });
    else unparsed.push({ line: number, text });
  }
  return out;
}

// --- the memory map -----------------------------------------------------------------------------

/** The second half of an input section's entry: ` NAME` pads its address to column 16. */
const INPUT_SECTION_REST = /^ +0x([0-9a-f]+) +0x([0-9a-f]+) (.+)$/;
/** A data statement, which would otherwise pass for the address half of an input section. */
const DATA_STATEMENT =
  /^ {16}0x([0-9a-f]+) +0x([0-9a-f]+) (BYTE|SHORT|LONG|QUAD|SQUAD) 0x([0-9a-f]+)(?: .*)?$/;
const OUTPUT_SECTION_REST = /^ +0x([0-9a-f]+) +0x([0-9a-f]+)(?: load address 0x([0-9a-f]+))?$/;
/** What ld prints in the value column of an assignment (ldlang.c print_assignment). */
const ASSIGNMENT_VALUE = /^ {16}(0x[0-9a-f]+|\[0x[0-9a-f]+\]|\[unresolved\]|\[!provide\]|\*undef\*) +(\S.*)$/;
/** exp_print_tree's forms of an assignment: `NAME OP EXPR`, `PROVIDE (NAME = EXPR)`, `ASSERT (...)`. */
const ASSIGNMENT_EXPRESSION =
  /^(?:(?:PROVIDE|PROVIDE_HIDDEN|HIDDEN) \((\S+) = .*\)|ASSERT \(.*|(\S+) (?:[-+*/%&|]|<<|>>)?= .*)$/;

/** An output section while its statements are read. */
interface OutputSectionBuilder {
  name: string;
  address: bigint | undefined;
  size: bigint | undefined;
  loadAddress?: bigint;
  contributions: { section: InputSection; symbols: MapSymbol[] }[];
  fills: Fill[];
  data: DataStatement[];
  assignments: Assignment[];
  patterns: string[];
  /** Addresses of the contributions, fills and data in print order, for `excluded`. */
  layout: { address: bigint; contribution?: number }[];
}

interface MemoryMap {
  inputs: string[];
  assignments: Assignment[];
  outputSections: OutputSection[];
  output?: { file: string; format?: string };
}

/** "Linker script and memory map": LOAD lines, then the output sections with their contents. */
function parseMemoryMap(lines: readonly Line[], unparsed: UnparsedLine[]): MemoryMap {
  const map: MemoryMap = { inputs: [], assignments: [], outputSections: [] };
  let current: OutputSectionBuilder | undefined;
  const finish = () => {
    if (current) map.outputSections.push(finishOutputSection(current));
    current = undefined;
  };
  const skip = (line: Line) => unparsed.push({ line: line.number, text: line.text });
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const text = line.text;
    if (!/^\s/.test(text)) {
      const top = readTopLevel(text);
      if (top.kind === "load") map.inputs.push(top.file);
      else if (top.kind === "output") {
        finish();
        map.output = top.output;
      } else if (top.kind === "ignored") {
        // START GROUP / END GROUP, TARGET(), INSERT: the script's structure, not the output's.
      } else {
        finish();
        const header = readOutputSectionHeader(lines, i);
        if (!header) {
          skip(line);
          continue;
        }
        i = header.last;
        current = header.builder;
      }
      continue;
    }
    const relaxed = readSizeBeforeRelaxing(line);
    const last = current?.contributions.at(-1);
    if (relaxed !== undefined && last && current?.layout.at(-1)?.contribution !== undefined) {
      last.section = { ...last.section, sizeBeforeRelaxing: relaxed };
      continue;
    }
    const value = ASSIGNMENT_VALUE.exec(text);
    if (value && !DATA_STATEMENT.test(text) && !INPUT_SECTION_REST.test(text)) {
      const assignment = readAssignment(value[1]!, value[2]!);
      if (assignment) (current?.assignments ?? map.assignments).push(assignment);
      else if (current && last && value[1]!.startsWith("0x") && isAfterContribution(current)) {
        last.symbols.push({ name: value[2]!, address: hex(value[1]!.slice(2)) });
      } else skip(line);
      continue;
    }
    if (!current) {
      skip(line);
      continue;
    }
    const taken = readSectionStatement(lines, i, current);
    if (taken === undefined) skip(line);
    else i = taken;
  }
  finish();
  return map;
}

type TopLevel =
  | { kind: "load"; file: string }
  | { kind: "output"; output: { file: string; format?: string } }
  | { kind: "ignored" }
  | { kind: "section" };

/** A column-0 line of the memory map (ldlang.c print_statement). */
function readTopLevel(text: string): TopLevel {
  if (text.startsWith("LOAD ")) return { kind: "load", file: text.slice(5) };
  const output = /^OUTPUT\((.*)\)$/.exec(text);
  if (output) {
    // OUTPUT(NAME TARGET); ld leaves the target out when there is none.
    const m = /^(.*) (\S+)$/.exec(output[1]!);
    return { kind: "output", output: m ? { file: m[1]!, format: m[2]! } : { file: output[1]! } };
  }
  if (/^(?:START GROUP|END GROUP|TARGET\(.*\)|INSERT .*)$/.test(text)) return { kind: "ignored" };
  return { kind: "section" };
}

/** `NAME ADDRESS SIZE [load address LMA]`, or NAME alone when it reaches column 15 and the rest below. */
function readOutputSectionHeader(
  lines: readonly Line[],
  i: number,
): { builder: OutputSectionBuilder; last: number } | undefined {
  const m = /^(\S+)(?: +0x([0-9a-f]+) +0x([0-9a-f]+)(?: load address 0x([0-9a-f]+))?)?$/.exec(lines[i]!.text);
  if (!m) return undefined;
  let [address, size, load] = [m[2], m[3], m[4]];
  let last = i;
  const rest = address === undefined && lines[i + 1] ? OUTPUT_SECTION_REST.exec(lines[i + 1]!.text) : null;
  if (rest) {
    [address, size, load] = [rest[1], rest[2], rest[3]];
    last = i + 1;
  }
  const builder: OutputSectionBuilder = {
    name: m[1]!,
    address: address === undefined ? undefined : hex(address),
    size: size === undefined ? undefined : hex(size),
    contributions: [],
    fills: [],
    data: [],
    assignments: [],
    patterns: [],
    layout: [],
  };
  if (load !== undefined) builder.loadAddress = hex(load);
  return { builder, last };
}

/** An assignment from its value column and statement; undefined when the statement is a symbol name. */
function readAssignment(value: string, expression: string): Assignment | undefined {
  const m = ASSIGNMENT_EXPRESSION.exec(expression);
  if (!m) return undefined;
  const number = /^\[?0x([0-9a-f]+)\]?$/.exec(value);
  return { name: m[1] ?? m[2], address: number ? hex(number[1]!) : undefined, expression };
}

/** Symbol lines follow their input section directly, or another symbol line. */
function isAfterContribution(current: OutputSectionBuilder): boolean {
  return current.layout.at(-1)?.contribution !== undefined;
}

/**
 * An indented statement inside an output section: fill, data, input section, or pattern. Returns the
 * index of the last line it took, undefined when the line is none of these.
 */
function readSectionStatement(
  lines: readonly Line[],
  i: number,
  current: OutputSectionBuilder,
): number | undefined {
  const text = lines[i]!.text;
  const fill = /^ \*fill\* +0x([0-9a-f]+) +0x([0-9a-f]+) ?([0-9a-f]*)$/.exec(text);
  if (fill) {
    const entry: Fill = { address: hex(fill[1]!), size: hex(fill[2]!) };
    current.fills.push(fill[3] ? { ...entry, pattern: fill[3] } : entry);
    current.layout.push({ address: entry.address });
    return i;
  }
  const data = DATA_STATEMENT.exec(text);
  if (data) {
    const entry = { address: hex(data[1]!), size: hex(data[2]!), kind: data[3]!, value: hex(data[4]!) };
    current.data.push(entry);
    current.layout.push({ address: entry.address });
    return i;
  }
  const input = readInputSection(lines, i);
  if (input) {
    current.layout.push({ address: input.section.address, contribution: current.contributions.length });
    current.contributions.push({ section: input.section, symbols: [] });
    return input.last;
  }
  // print_wild_statement: ` FILESPEC(SECTIONS)`, always ending in the closing parenthesis.
  if (/^ \S.*\)$/.test(text)) {
    current.patterns.push(text.slice(1));
    return i;
  }
  // CONSTRUCTORS, CREATE_OBJECT_SYMBOLS, FILL mask: script statements that place nothing themselves.
  return /^ (?:CONSTRUCTORS|CREATE_OBJECT_SYMBOLS|FILL mask 0x[0-9a-f]+)$/.test(text) ? i : undefined;
}

/**
 * ` NAME  0xADDRESS  0xSIZE FILE` (ldlang.c print_input_section), with the address half on the next
 * line when NAME reaches column 15. A pattern line never continues that way: it ends in `)`.
 */
function readInputSection(
  lines: readonly Line[],
  i: number,
): { section: InputSection; last: number } | undefined {
  const text = lines[i]!.text;
  const one = /^ ([^\s*]\S*) +0x([0-9a-f]+) +0x([0-9a-f]+) (.+)$/.exec(text);
  if (one) return { section: inputSection(one[1]!, one[2]!, one[3]!, one[4]!), last: i };
  const name = /^ ([^\s*]\S*)$/.exec(text);
  const next = lines[i + 1]?.text;
  if (!name || name[1]!.endsWith(")") || next === undefined || DATA_STATEMENT.test(next)) return undefined;
  const rest = INPUT_SECTION_REST.exec(next);
  if (!rest || !/^ {16}0x/.test(next)) return undefined;
  return { section: inputSection(name[1]!, rest[1]!, rest[2]!, rest[3]!), last: i + 1 };
}

function inputSection(section: string, address: string, size: string, written: string): InputSection {
  const file = written.trimEnd();
  const split = splitArchiveMember(file);
  const base = { section, address: hex(address), size: hex(size), file };
  return split ? { ...base, ...split } : base;
}

/** `                      0xSIZE (size before relaxing)` under an input section whose size changed. */
function readSizeBeforeRelaxing(line: Line | undefined): bigint | undefined {
  const m = line && /^ +0x([0-9a-f]+) \(size before relaxing\)$/.exec(line.text);
  return m ? hex(m[1]!) : undefined;
}

function finishOutputSection(b: OutputSectionBuilder): OutputSection {
  const excluded = excludedContributions(b);
  const section: OutputSection = {
    name: b.name,
    address: b.address,
    size: b.size,
    contributions: b.contributions.map(({ section, symbols }, i) => ({
      ...section,
      symbols,
      excluded: excluded.has(i),
    })),
    fills: b.fills,
    data: b.data,
    assignments: b.assignments,
    patterns: b.patterns,
  };
  return b.loadAddress === undefined ? section : { ...section, loadAddress: b.loadAddress };
}

/** Contributions with a size that the next placed entry (or the section's end) starts at. */
function excludedContributions(b: OutputSectionBuilder): Set<number> {
  const out = new Set<number>();
  if (b.address === undefined || b.size === undefined) return out;
  const end = b.address + b.size;
  b.layout.forEach((entry, i) => {
    if (entry.contribution === undefined) return;
    const next = b.layout[i + 1]?.address ?? end;
    if (b.contributions[entry.contribution]!.section.size > 0n && next === entry.address) {
      out.add(entry.contribution);
    }
  });
  return out;
}

function hex(digits: string): bigint {
  return BigInt(`0x${digits}`);
}

// --- views of the map ---------------------------------------------------------------------------

/** One input section of a file, and the output section it went to. */
export interface FileSection {
  readonly output: string;
  readonly input: string;
  readonly address: bigint;
  readonly size: bigint;
  /** Takes no room in the output (see Contribution.excluded); left out of the file's total. */
  readonly excluded: boolean;
}

/** What one input file put into the output. */
export interface FileContributions {
  readonly file: string;
  readonly sections: readonly FileSection[];
  /** The bytes its sections occupy, excluded ones left out. Non-allocated sections (.comment) count. */
  readonly total: bigint;
}

/** The contributions grouped by input file as ld wrote it, files in order of first appearance. */
export function contributionsByFile(map: LinkMap): Map<string, FileContributions> {
  const out = new Map<string, { file: string; sections: FileSection[]; total: bigint }>();
  for (const output of map.outputSections) {
    for (const c of output.contributions) {
      let entry = out.get(c.file);
      if (!entry) out.set(c.file, (entry = { file: c.file, sections: [], total: 0n }));
      entry.sections.push({
        output: output.name,
        input: c.section,
        address: c.address,
        size: c.size,
        excluded: c.excluded,
      });
      if (!c.excluded) entry.total += c.size;
    }
  }
  return out;
}

/** An output section whose listed pieces do not add up to its size. */
export interface SizeMismatch {
  readonly name: string;
  readonly size: bigint;
  /** Contributions (excluded ones left out), fills and data statements. */
  readonly listed: bigint;
  /** size - listed. */
  readonly difference: bigint;
}

/**
 * The output sections whose size is not the sum of what the map lists in them: the proof that the
 * map accounts for every byte. Sections ld did not create are skipped.
 */
export function sizeMismatches(map: LinkMap): SizeMismatch[] {
  const out: SizeMismatch[] = [];
  for (const s of map.outputSections) {
    if (s.size === undefined) continue;
    const listed = listedSize(s);
    if (listed !== s.size) out.push({ name: s.name, size: s.size, listed, difference: s.size - listed });
  }
  return out;
}

function listedSize(s: OutputSection): bigint {
  let sum = 0n;
  for (const c of s.contributions) if (!c.excluded) sum += c.size;
  for (const f of s.fills) sum += f.size;
  for (const d of s.data) sum += d.size;
  return sum;
}
