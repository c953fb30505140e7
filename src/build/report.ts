// The build explained, as a model (JSON) and as text: each phase with the files it read and wrote,
// and for the link each relocation of the user's objects followed into the program.
import type { ProgramSummary, StaticComparison } from "./compare.js";
import type { DriverCommand, LinkCommand, Phase } from "./driver.js";
import type { FollowedRelocation } from "./follow.js";
import type { LinkError } from "./link-errors.js";
import type { HeaderNode, Preprocessed } from "./preprocessed.js";

/** A symbol of an object as nm lists it. */
export interface ObjectSymbol {
  letter: string;
  name: string;
  value: bigint;
}

export interface ObjectSection {
  name: string;
  size: bigint;
  /** SHT_NOBITS: it takes no space in the file (.bss). */
  nobits: boolean;
}

/** One source's path through the first three phases. */
export interface SourceReport {
  source: string;
  preprocessed: { file: string; lines: Preprocessed | undefined; macros: number | undefined } | undefined;
  compiled:
    | {
        file: string;
        functions: { name: string; section: string; global: boolean; weak: boolean }[];
        objects: {
          name: string;
          section: string;
          size: number | undefined;
          global: boolean;
          weak: boolean;
        }[];
        strings: { label: string | undefined; section: string; value: string }[];
        calls: { from: string; target: string; plt: boolean; instruction: string }[];
        instructions: number;
      }
    | undefined;
  assembled:
    | {
        file: string;
        sections: ObjectSection[];
        symbols: ObjectSymbol[];
        relocations: FollowedRelocation[];
      }
    | undefined;
}

/** An output section and what each input gave it. */
export interface OutputSection {
  name: string;
  address: bigint;
  size: bigint;
  nobits: boolean;
  /** SHF_ALLOC: part of the program's image. */
  allocated: boolean;
  /** `byLinker`: made by the linker itself (.plt, .got, .dynsym ...), though the map files it under an input. */
  inputs: { file: string; section: string; address: bigint; size: bigint; byLinker: boolean }[];
  /** Bytes between and after the inputs, for alignment. */
  padding: bigint;
}

export interface LinkReport {
  command: DriverCommand;
  details: LinkCommand;
  program: string;
  sections: OutputSection[];
  archiveMembers: { archive: string; member: string; by: string; symbol: string }[];
  /** For each imported symbol the user's code refers to: the library ld.so binds it to here. */
  libraries: Map<string, string | undefined>;
  /** Relocation fields whose bytes disagree with what the symbol's placement says (should be none). */
  disagreements: number;
}

export interface BuildReport {
  compiler: string;
  argv: string[];
  dir: string;
  /** --keep as given. */
  keep: string | undefined;
  temporary: boolean;
  status: number;
  failedPhase: Phase | undefined;
  diagnostics: string;
  sources: SourceReport[];
  link: LinkReport | undefined;
  /** A failed link's symbol errors, each read from the linker's message and explained. */
  linkErrors?: { error: LinkError; explanation: string }[];
  /** With --static: the same sources linked with -static, beside the dynamic program. */
  static?: StaticComparison | undefined;
  /** What could not be read or explained; the rest of the report stands. */
  problems: string[];
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** A byte count as people read it. */
function bytes(n: bigint | number): string {
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  if (v < 1 << 20) return `${(v / 1024).toFixed(1)} KiB`;
  return `${(v / (1 << 20)).toFixed(1)} MiB`;
}

function shortPath(path: string, dir: string): string {
  if (path.startsWith(`${dir}/`)) return path.slice(dir.length + 1);
  return path.replace(/\/usr\/lib\/gcc\/[^/]+\/\d+\/(\.\.\/)+/, "/usr/lib/").replace(/\/[^/]+\/\.\.\//g, "/");
}

function headerLines(node: HeaderNode, depth: number, out: string[], limit: number): void {
  for (const h of node.includes) {
    if (out.length >= limit) return;
    out.push(
      `${"  ".repeat(depth)}${h.path}  ${h.totalLines} lines${h.includes.length ? ` (${h.lines} itself)` : ""}`,
    );
    headerLines(h, depth + 1, out, limit);
  }
}

function countHeaders(node: HeaderNode): number {
  return node.includes.reduce((n, h) => n + 1 + countHeaders(h), 0);
}

/** The text report: one block per phase. `full` lists every header, symbol and relocation. */
export function renderBuild(r: BuildReport, full: boolean): string {
  const out: string[] = [];
  const where = r.temporary
    ? `files in ${r.dir} (temporary; --keep DIR to choose)`
    : `files kept in ${r.keep ?? r.dir}`;
  out.push(
    `anatomy build: ${r.compiler}, ${r.sources.length} source${r.sources.length === 1 ? "" : "s"}; ${where}`,
  );
  for (const s of r.sources) renderSource(s, r, full, out);
  if (r.link) renderLink(r.link, r, full, out);
  if (r.static) renderStatic(r.static, r, full, out);
  if (r.status !== 0) {
    out.push(
      "",
      `${r.compiler} failed${r.failedPhase ? ` in the ${r.failedPhase} phase` : ""} (exit status ${r.status}):`,
    );
    out.push(r.diagnostics.trimEnd());
    if (r.linkErrors?.length) {
      out.push("", "what the linker is saying:");
      for (const e of r.linkErrors) out.push(`   ${e.explanation}`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** A definition's binding as the source gave it: global (said by nothing), weak, or static. */
function binding(d: { global: boolean; weak: boolean }): string {
  return d.weak ? " (weak)" : d.global ? "" : " (static)";
}

function renderSource(s: SourceReport, r: BuildReport, full: boolean, out: string[]): void {
  out.push("", `== ${shortPath(s.source, r.dir)}`);
  const p = s.preprocessed;
  if (p) {
    const pre = p.lines;
    out.push(`1. preprocess -> ${shortPath(p.file, r.dir)}`);
    if (pre) {
      const headers = countHeaders(pre.headers);
      out.push(
        `   ${pre.lines} lines out (${pre.codeLines} of code, ${pre.blankLines} blank, ${pre.markerLines} line markers); ${headers} headers${p.macros !== undefined ? `, ${p.macros} macros defined` : ""}`,
      );
      if (pre.own)
        out.push(
          `   your code: ${pre.own.lines} lines, at lines ${pre.own.firstLine}-${pre.own.lastLine} of the .i`,
        );
      const tree: string[] = [];
      headerLines(pre.headers, 2, tree, full ? Number.POSITIVE_INFINITY : 8);
      out.push(...tree.map((l) => `  ${l}`));
      if (!full && tree.length < headers) out.push(`      ... ${headers - tree.length} more (--full)`);
    }
  }
  const c = s.compiled;
  if (c) {
    out.push(`2. compile -> ${shortPath(c.file, r.dir)}: ${c.instructions} instructions`);
    for (const f of c.functions) out.push(`   function ${f.name} in ${f.section}${binding(f)}`);
    for (const o of c.objects)
      out.push(
        `   data ${o.name} in ${o.section}${o.size !== undefined ? `, ${o.size} bytes` : ""}${binding(o)}`,
      );
    for (const str of c.strings)
      out.push(
        `   string ${JSON.stringify(str.value)} in ${str.section}${str.label ? ` (${str.label})` : ""}`,
      );
    for (const call of c.calls)
      out.push(`   ${call.from} ${call.instruction}s ${call.target}${call.plt ? "@PLT" : ""}`);
  }
  const a = s.assembled;
  if (a) {
    out.push(`3. assemble -> ${shortPath(a.file, r.dir)}`);
    out.push(
      `   sections: ${a.sections.map((x) => `${x.name} ${bytes(x.size)}${x.nobits ? " (no file space)" : ""}`).join(", ")}`,
    );
    out.push(`   symbols: ${a.symbols.map((x) => `${x.letter} ${x.name}`).join(", ")}`);
    out.push(`   relocations: ${a.relocations.length}${r.link ? " (each followed below, under link)" : ""}`);
    if (!r.link)
      for (const x of a.relocations)
        out.push(`     ${x.section}+${hex(x.offset)} ${x.type} ${x.symbol}: ${x.meaning}`);
  }
}

/** Relocations listed in the one-screen summary; --full lists them all. */
const RELOCATIONS_SHOWN = 10;

function renderLink(l: LinkReport, r: BuildReport, full: boolean, out: string[]): void {
  out.push("", `== link -> ${shortPath(l.program, r.dir)}`);
  // The whole command is long (a screen of -L and -plugin options): --full and the JSON have it.
  const objects = r.sources.flatMap((s) => (s.assembled ? [shortPath(s.assembled.file, r.dir)] : []));
  out.push(
    full
      ? `4. link: ${[l.command.program, ...l.command.args].join(" ")}`
      : `4. link: ${l.command.program.slice(l.command.program.lastIndexOf("/") + 1)} (the linker, run by the driver) with ${l.command.args.length} arguments (--full shows them): ${objects.join(" ")} -o ${shortPath(l.program, r.dir)}`,
  );
  out.push(`   start files: ${l.details.startFiles.map((f) => f.slice(f.lastIndexOf("/") + 1)).join(" ")}`);
  out.push(`   libraries: ${[...new Set(l.details.libraries)].map((x) => `-l${x}`).join(" ") || "none"}`);
  out.push(
    `   interpreter: ${l.details.interpreter ?? (l.details.shared ? "none (a shared library)" : "none (static)")}${l.details.pie ? "; position-independent (PIE)" : ""}`,
  );
  if (l.archiveMembers.length) {
    out.push(`   archive members pulled in: ${l.archiveMembers.length}`);
    for (const m of full ? l.archiveMembers : l.archiveMembers.slice(0, 10))
      out.push(
        `     ${m.archive.slice(m.archive.lastIndexOf("/") + 1)}(${m.member}) for ${m.symbol}, needed by ${shortPath(m.by, r.dir)}`,
      );
  }
  out.push("   sections of the program, by input:");
  for (const s of l.sections) {
    // Not loaded (.comment, debug info): no address in the program.
    if (s.size === 0n || !s.allocated) continue;
    const users = s.inputs.filter((i) => i.size > 0n && r.sources.some((x) => x.assembled?.file === i.file));
    if (!full && users.length === 0) continue;
    // Adjacent pieces from the same giver are one: the linker's five .rela.dyn inputs, say.
    const givers: { who: string; size: bigint }[] = [];
    for (const i of s.inputs) {
      if (i.size === 0n) continue;
      const who = i.byLinker ? "the linker" : shortPath(i.file, r.dir);
      const last = givers.at(-1);
      if (last?.who === who) last.size += i.size;
      else givers.push({ who, size: i.size });
    }
    const parts = givers.map((g) => `${g.who} ${bytes(g.size)}`);
    if (s.padding > 0n) parts.push(`padding ${bytes(s.padding)}`);
    out.push(
      `     ${s.name} ${hex(s.address)} ${bytes(s.size)}${s.nobits ? ", no file space" : ""}: ${parts.join(", ")}`,
    );
  }
  const all = r.sources.flatMap((s) => (s.assembled?.relocations ?? []).map((x) => ({ s, x })));
  const agree = all.filter(({ x }) => x.agrees === true).length;
  const shown = full ? all : all.slice(0, RELOCATIONS_SHOWN);
  out.push(
    `   relocations followed into the program: ${all.length}, ${agree} agreeing with the symbols' placement`,
  );
  for (const { s, x } of shown) {
    const file = shortPath(s.assembled?.file ?? "", r.dir);
    const at = x.address !== undefined ? hex(x.address) : "not placed";
    const lib = x.imported ? l.libraries.get(x.imported.symbol) : undefined;
    const check = x.agrees === true ? "ok" : x.agrees === false ? `EXPECTED ${hex(x.expected ?? 0n)}` : "";
    out.push(`     ${file} ${x.section}+${hex(x.offset)} ${x.type} ${x.symbol}: ${x.meaning}`);
    if (x.bytes !== undefined)
      out.push(
        `       at ${at}: ${x.bytes} -> ${x.reaches !== undefined ? hex(x.reaches) : "?"} ${x.targetName ?? ""}${x.imported ? `, GOT slot ${hex(x.imported.got)}${lib ? `, bound to ${lib}` : ""}` : ""}  ${check}`.trimEnd(),
      );
    if (x.note) out.push(`       ${x.note}`);
  }
  if (shown.length < all.length) out.push(`     ... ${all.length - shown.length} more (--full)`);
  if (l.disagreements) out.push(`   ${l.disagreements} field(s) disagree with the symbols' placement`);
}

function startUp(p: ProgramSummary): string {
  const t = p.startUp;
  if (!t) return "not run";
  const status = t.status === 0 ? "" : `, exit status ${t.status ?? "none (killed)"}`;
  return `${t.medianMs.toFixed(2)} ms (fastest ${t.minMs.toFixed(2)})${status}`;
}

function renderStatic(c: StaticComparison, r: BuildReport, full: boolean, out: string[]): void {
  const rows: [string, (p: ProgramSummary) => string][] = [
    ["program", (p) => shortPath(p.program, r.dir)],
    ["file size", (p) => bytes(p.fileSize)],
    ["text (code, read-only)", (p) => bytes(p.text)],
    ["data", (p) => bytes(p.data)],
    ["bss (no file space)", (p) => bytes(p.bss)],
    ["interpreter", (p) => p.interpreter ?? "none"],
    ["needs at run time", (p) => p.needed.join(" ") || "nothing"],
    ["archive members", (p) => p.members.map((m) => `${m.archive} ${m.count}`).join(", ") || "none"],
  ];
  if (c.dynamic.startUp) rows.push([`start-up, median of ${c.dynamic.startUp.runs} runs`, startUp]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const left = Math.max(...rows.map(([, f]) => f(c.dynamic).length), "dynamic".length);
  out.push("", "== static beside dynamic (the same objects linked again with -static)");
  out.push(`   ${"".padEnd(width)}  ${"dynamic".padEnd(left)}  static`);
  for (const [label, f] of rows)
    out.push(`   ${label.padEnd(width)}  ${f(c.dynamic).padEnd(left)}  ${f(c.static)}`);
  if (c.notTimed) out.push(`   start-up not timed: ${c.notTimed}`);
  else if (c.dynamic.startUp && c.static.startUp) {
    const d = c.dynamic.startUp.medianMs - c.static.startUp.medianMs;
    out.push(
      `   the static program starts ${Math.abs(d).toFixed(2)} ms ${d >= 0 ? "sooner" : "later"} (median; a run is fork, exec and exit from a shell loop, in batches taking turns)`,
    );
  }
  out.push(`   archive members pulled in by the static link: ${c.pulled.length}`);
  for (const m of full ? c.pulled : c.pulled.slice(0, 12))
    out.push(
      `     ${m.archive.slice(m.archive.lastIndexOf("/") + 1)}(${m.member}) for ${m.symbol}, needed by ${shortPath(m.by, r.dir)}`,
    );
  if (!full && c.pulled.length > 12) out.push(`     ... ${c.pulled.length - 12} more (--full)`);
}

/** The model as JSON: bigints as hex strings. */
export function buildModel(r: BuildReport): unknown {
  return JSON.parse(
    JSON.stringify(r, (_k, v) =>
      typeof v === "bigint"
        ? v < 0n
          ? `-${hex(-v)}`
          : hex(v)
        : v instanceof Map
          ? Object.fromEntries(v)
          : v,
    ),
  );
}
