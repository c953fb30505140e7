import type { ExecLayout, Mapping } from "../process/exec-layout.js";
import { mapsLine } from "../process/exec-layout.js";
import { type DiagramRow, humanSize, renderDiagram } from "./diagram.js";
import { elideList, elidePath } from "./elide.js";
import type { Output } from "./output.js";

export interface LayoutRenderOptions {
  format: "annotated" | "maps";
  json: boolean;
  diagram: boolean;
  stage?: "exec" | "entry";
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

function describe(m: Mapping): string {
  const who = m.object ? basename(m.object) : m.path;
  const what = m.kind === "bss" ? "bss" : m.kind;
  const sections = m.sections.length ? `  ${m.sections.join(" ")}` : "";
  return `${what}${who && who !== m.path ? ` ${who}` : ""}${sections}`;
}

export function layoutModel(layout: ExecLayout, stage: "exec" | "entry" = "exec"): object {
  const objects = (layout as { objects?: Array<{ name: string; path: string; bias: bigint }> }).objects;
  return {
    stage,
    is64: layout.is64,
    taskSize: hex(layout.taskSize),
    mmapBase: hex(layout.mmapBase),
    stackTop: hex(layout.stackTop),
    loadBias: hex(layout.loadBias),
    interpBias: layout.interpBias === undefined ? null : hex(layout.interpBias),
    entry: hex(layout.entry),
    startPc: hex(layout.startPc),
    brk: hex(layout.brk),
    ...(objects ? { objects: objects.map((o) => ({ name: o.name, path: o.path, bias: hex(o.bias) })) } : {}),
    mappings: layout.mappings.map((m) => ({
      start: hex(m.start),
      end: hex(m.end),
      size: hex(m.end - m.start),
      perms: m.perms,
      offset: hex(m.offset),
      dev: `${m.devMajor.toString(16).padStart(2, "0")}:${m.devMinor.toString(16).padStart(2, "0")}`,
      inode: m.inode.toString(),
      path: m.path,
      kind: m.kind,
      object: m.object ?? null,
      segment: m.segment ?? null,
      sections: m.sections,
    })),
  };
}

export function renderLayout(layout: ExecLayout, opts: LayoutRenderOptions, out: Output): void {
  if (opts.json) {
    out.write(`${JSON.stringify(layoutModel(layout, opts.stage), null, 2)}\n`);
    return;
  }
  if (opts.diagram) {
    out.write(layoutDiagram(layout));
    return;
  }
  if (opts.format === "maps") {
    out.write(layout.mappings.map((m) => `${mapsLine(m)}\n`).join(""));
    return;
  }
  const w = layout.is64 ? 16 : 8;
  const lines = [
    `Process image ${opts.stage === "entry" ? "at the entry point, after ld.so" : "at execve"} (ASLR off), ${layout.is64 ? "64" : "32"}-bit task`,
    `  task size ${hex(layout.taskSize)}   mmap base ${hex(layout.mmapBase)}   stack top ${hex(layout.stackTop)}`,
    `  load bias ${hex(layout.loadBias)}   entry ${hex(layout.entry)}   first instruction ${hex(layout.startPc)}   brk ${hex(layout.brk)}`,
    "",
    `${"start".padStart(w)}  ${"end".padStart(w)} perm ${"size".padStart(9)}  what`,
  ];
  for (const m of layout.mappings) {
    lines.push(
      `${m.start.toString(16).padStart(w, "0")}  ${m.end.toString(16).padStart(w, "0")} ${m.perms} ${humanSize(m.end - m.start).padStart(9)}  ${describe(m)}`,
    );
  }
  out.write(`${lines.join("\n")}\n`);
}

/** The diagram rows of a layout (terminal and SVG): one per mapping, plus the empty heap at mm->start_brk. */
export function layoutRows(layout: ExecLayout): DiagramRow[] {
  const rows: DiagramRow[] = layout.mappings.map((m) => ({
    start: m.start,
    end: m.end,
    kind: m.kind,
    name: m.object ? basename(m.object) : m.path || "anonymous",
    perms: m.perms,
    ...(m.sections.length ? { detail: m.sections.join(" ") } : {}),
  }));
  // Where the heap will begin: mm->start_brk, empty until the program's first brk().
  rows.push({ start: layout.brk, end: layout.brk, kind: "heap", name: "(brk; empty)", perms: "rw-p" });
  return rows;
}

/**
 * renderDiagram's box is 50 characters inside: a row is `kind` padded to 12, its name, then size and
 * perms in 13; a detail line is indented by 2. What does not fit is cut there at any character, and
 * it pads by bytes, so the marker here is ASCII.
 */
const DIAGRAM_ELIDE = { ellipsis: "..." };
const BOX_TEXT = 48;
const BOX_SIZE_PERMS = 13;
const KIND_WIDTH = 12;

/**
 * A diagram row whose name and detail fit the terminal box, shortened at their boundaries: the name
 * as a path, the detail as the list of `sections` (the row's detail split at spaces when not given).
 */
export function terminalRow(row: DiagramRow, sections?: readonly string[]): DiagramRow {
  const nameWidth = BOX_TEXT - BOX_SIZE_PERMS - 1 - Math.max(KIND_WIDTH, row.kind.length) - 1;
  const out: DiagramRow = { ...row, name: elidePath(row.name, nameWidth, DIAGRAM_ELIDE) };
  if (row.detail !== undefined) {
    out.detail = elideList(sections ?? row.detail.split(" "), BOX_TEXT - 2, " ", DIAGRAM_ELIDE);
  }
  return out;
}

export function layoutDiagram(layout: ExecLayout): string {
  const rows = layoutRows(layout).map((r, i) => terminalRow(r, layout.mappings[i]?.sections));
  return renderDiagram(rows, layout.is64);
}
