import type { ObjectHardening, ProcessHardening } from "../link/hardening.js";
import type { Output } from "./output.js";

/** One checked file: its own hardening and, when it could be linked, the process it would start. */
export interface CheckResult {
  file: string;
  object: ObjectHardening;
  process: ProcessHardening | undefined;
}

/** Text as the UTF-8 byte string the CLI writes back byte for byte (Latin-1 output). */
function utf8(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = "";
  for (const b of new TextEncoder().encode(s)) out += String.fromCharCode(b);
  return out;
}

// --- checksec 2.6's shapes -------------------------------------------------------------------------

const PIE_WORD: Record<ObjectHardening["pie"], string> = {
  pie: "yes",
  dso: "dso",
  exec: "no",
  rel: "rel",
  other: "not_elf",
  unknown: "unknown",
};

/** The ten fields of checksec's filecheck(), in its order, with its words. */
export function checksecFields(h: ObjectHardening): Array<[string, string]> {
  const fortified = h.fortify.fortified.length;
  return [
    ["relro", h.relro === "none" ? "no" : h.relro], // "unknown" when the dynamic table is unreadable
    ["canary", h.canary ? "yes" : "no"],
    ["nx", h.nx ? "yes" : "no"],
    ["pie", PIE_WORD[h.pie]],
    // An empty DT_RPATH/DT_RUNPATH string adds no directory (ld.so skips it): "no", as checksec says.
    ["rpath", h.rpath ? "yes" : "no"],
    ["runpath", h.runpath ? "yes" : "no"],
    ["symbols", h.symbols !== undefined ? "yes" : "no"],
    ["fortify_source", fortified > 0 ? "yes" : "no"],
    ["fortified", String(fortified)],
    ["fortify-able", String(fortified + h.fortify.unfortified.length)],
  ];
}

/** A JSON string literal (checksec pastes names raw; escaping only differs for quotes and controls). */
const q = (s: string): string => utf8(JSON.stringify(s));

/** ` "F": { "relro":"full",...,"fortify-able":"N"`: the part filecheck() prints. */
function checksecEntry(h: ObjectHardening): string {
  return ` ${q(h.path)}: { ${checksecFields(h)
    .map(([k, v]) => `"${k}":"${v}"`)
    .join(",")}`;
}

/** `checksec --output=json --file=F`, byte for byte (it ends without a newline). */
export function checksecFileJson(h: ObjectHardening): string {
  return `{${checksecEntry(h)} } }`;
}

/** `checksec --output=json --dir=D`: the directory name, then every ELF file in find's order. */
export function checksecDirJson(dir: string, objects: ObjectHardening[]): string {
  const parts = [`{ "dir": { "name":${q(dir)} }`];
  if (objects.length > 0) parts.push(",");
  objects.forEach((h, i) => {
    parts.push(`${checksecEntry(h)}, "filename":${q(h.path)}}`);
    if (i < objects.length - 1) parts.push(",");
  });
  parts.push("}");
  return parts.join("");
}

// --- our table ---------------------------------------------------------------------------------------

function cetText(h: ObjectHardening): string {
  const c = h.cet;
  if (c.arch === "x86") return [c.ibt ? "IBT" : "", c.shstk ? "SHSTK" : ""].filter(Boolean).join(" ") || "-";
  if (c.arch === "aarch64") return [c.bti ? "BTI" : "", c.pac ? "PAC" : ""].filter(Boolean).join(" ") || "-";
  return "n/a";
}

function processText(p: ProcessHardening | undefined): string {
  if (!p) return "?";
  const on: string[] = [];
  if (p.ibt) on.push("IBT");
  if (p.shstk) on.push("SHSTK");
  if (p.bti) on.push("BTI");
  if (p.pac) on.push("PAC");
  on.push(p.execStack ? "execstack" : "NX");
  if (p.missing.length > 0) on.push("missing-libs");
  return on.join(" ");
}

const RELRO_TEXT = { full: "full", partial: "partial", none: "none", unknown: "?" } as const;
const PIE_TEXT = { pie: "PIE", dso: "DSO", exec: "no", rel: "REL", other: "other", unknown: "?" } as const;

function row(r: CheckResult): string[] {
  const h = r.object;
  const f = h.fortify;
  const fortified = f.fortified.length;
  return [
    RELRO_TEXT[h.relro],
    h.canary ? "yes" : "no",
    h.nx ? "yes" : h.stack === "missing" ? "no (none)" : "no",
    PIE_TEXT[h.pie],
    h.rpath === undefined ? "-" : h.rpath === "" ? "empty" : "yes",
    h.runpath === undefined ? "-" : h.runpath === "" ? "empty" : "yes",
    h.symbols === undefined ? "stripped" : String(h.symbols),
    f.libc === undefined ? "?" : `${fortified}/${fortified + f.unfortified.length}`,
    cetText(h),
    processText(r.process),
    utf8(r.file),
  ];
}

const HEADER = [
  "RELRO",
  "CANARY",
  "NX",
  "PIE",
  "RPATH",
  "RUNPATH",
  "SYMBOLS",
  "FORTIFY",
  "CET",
  "PROCESS",
  "FILE",
];

/**
 * Our table: one row per file. FORTIFY is fortified/fortifiable imports; CET is the file's own marks,
 * PROCESS what the whole process gets once every library is loaded. With `details`, each file's
 * process-level shortfalls are listed under the table (which libraries switch a feature off).
 */
export function renderCheckTable(results: CheckResult[], out: Output, details: boolean): void {
  const rows = results.map(row);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const chunks = [line(HEADER)];
  for (const r of rows) chunks.push(line(r));
  out.write(`${chunks.join("\n")}\n`);
  if (!details) return;
  for (const r of results) {
    const p = r.process;
    if (!p) continue;
    const notes: string[] = [];
    const list = (names: string[]): string =>
      names.length > 1 && names.length === p.objects.length
        ? `any of the ${names.length} objects`
        : names.map(utf8).join(", ");
    if (p.missing.length > 0) notes.push(`  not found: ${p.missing.map(utf8).join(", ")}`);
    if (p.ibt === false) notes.push(`  IBT off: not marked in ${list(p.lacking.ibt)}`);
    if (p.shstk === false) notes.push(`  SHSTK off: not marked in ${list(p.lacking.shstk)}`);
    if (p.bti === false) notes.push(`  BTI off: not marked in ${list(p.lacking.bti)}`);
    if (p.pac === false) notes.push(`  PAC not everywhere: not marked in ${list(p.lacking.pac)}`);
    if (p.execStack) notes.push(`  executable stack: asked for by ${list(p.lacking.nx)}`);
    if (notes.length > 0) out.write(`${utf8(r.file)} (${p.objects.length} objects):\n${notes.join("\n")}\n`);
  }
}

/** The JSON model of one result: the file's checks and the process verdict with each object's. */
export function checkModel(r: CheckResult): unknown {
  return {
    file: r.file,
    ...r.object,
    process: r.process && {
      ibt: r.process.ibt,
      shstk: r.process.shstk,
      bti: r.process.bti,
      pac: r.process.pac,
      execStack: r.process.execStack,
      missing: r.process.missing,
      lacking: r.process.lacking,
      objects: r.process.objects.map((o) => ({ kind: o.kind, name: o.name, ...o.hardening })),
    },
  };
}
