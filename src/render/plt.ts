// `anatomy plt`: the trail from each call of an imported function through its PLT stub and GOT slot to
// what the slot is bound to, as a table, or as JSON.
import { EM_386, EM_AARCH64, EM_X86_64 } from "../elf/constants.js";
import type { GotEntry, PltTrail } from "../link/plt.js";
import type { Output } from "./output.js";

/** One entry with what the binding and the code around it say. */
export interface PltRow extends GotEntry {
  /** The object the symbol is bound to (its path), or undefined when nothing defines it. */
  library: string | undefined;
  /** The definition's st_value in `library`. */
  value: bigint | undefined;
  /** Where the slot points once bound, at run time (ASLR off, or the live process's). */
  target: bigint | undefined;
  /** The instructions that call or jump to the stub, or read the slot (link-time addresses). */
  callers: { from: bigint; kind: "call" | "jump" | "memory"; via: "stub" | "slot"; where: string }[];
  /** A weak reference nothing defines: ld.so leaves the slot 0, silently. */
  weakUnresolved?: boolean;
  /** The stub's instructions as objdump prints them (x86). */
  stubInstructions?: string[];
  /** Live process only: the slot no longer points into the PLT (or was filled at start-up). */
  resolved?: boolean;
  /** Live process only: the slot's current contents. */
  live?: bigint;
}

export interface PltReport {
  file: string;
  trail: PltTrail;
  rows: PltRow[];
  /** The program's load bias at run time (ASLR off, or the live process's). */
  loadBias: bigint | undefined;
  pid?: number;
}

const hex = (v: bigint | undefined): string => (v === undefined ? "-" : `0x${v.toString(16)}`);
const MACHINE: Record<number, string> = { [EM_X86_64]: "x86-64", [EM_386]: "i386", [EM_AARCH64]: "AArch64" };
const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

export function pltModel(r: PltReport): object {
  return {
    file: r.file,
    ...(r.pid !== undefined ? { pid: r.pid } : {}),
    machine: MACHINE[r.trail.machine] ?? r.trail.machine,
    bindNow: r.trail.bindNow,
    relro: r.trail.relro ? (r.trail.bindNow ? "full" : "partial") : "none",
    loadBias: r.loadBias === undefined ? null : hex(r.loadBias),
    problems: r.trail.problems,
    entries: r.rows.map((e) => ({
      symbol: e.symbol ?? null,
      version: e.version ?? null,
      stub: e.stub ? hex(e.stub.address) : null,
      section: e.stub?.section ?? null,
      lazyEntry: e.stub?.lazyEntry !== undefined ? hex(e.stub.lazyEntry) : null,
      stubInstructions: e.stubInstructions ?? null,
      got: hex(e.got),
      gotSection: e.gotSection ?? null,
      onDisk: e.onDisk === undefined ? null : hex(e.onDisk),
      relocation: e.relocation,
      kind: e.kind,
      addend: hex(e.addend),
      library: e.library ?? null,
      value: e.value === undefined ? null : hex(e.value),
      target: e.target === undefined ? null : hex(e.target),
      lazy: e.lazy,
      relro: e.relro,
      weakUnresolved: e.weakUnresolved ?? false,
      callers: e.callers.filter((c) => c.kind !== "memory").map((c) => hex(c.from)),
      callSites: e.callers.map((c) => ({ address: hex(c.from), kind: c.kind, via: c.via, where: c.where })),
      ...(e.resolved !== undefined ? { resolved: e.resolved, live: hex(e.live) } : {}),
    })),
  };
}

function when(e: PltRow): string {
  if (e.kind === "COPY") return "copied at start-up";
  if (e.kind === "IRELATIVE") return "resolver at start-up";
  if (e.kind === "TLSDESC") return "descriptor at start-up";
  return e.lazy ? "lazily, first call" : "at start-up";
}

export function renderPlt(r: PltReport, out: Output, showCallers: boolean): void {
  const t = r.trail;
  const lines: string[] = [];
  const binding = t.bindNow
    ? "immediate binding (BIND_NOW): ld.so fills every slot at start-up"
    : "lazy binding: each PLT slot is filled at its function's first call (LD_BIND_NOW=1 changes that)";
  const relro = !t.relro
    ? "no RELRO: the GOT stays writable"
    : t.bindNow
      ? "full RELRO: the GOT is read-only after start-up"
      : "partial RELRO: .got is read-only after start-up, .got.plt stays writable";
  lines.push(
    `${r.file}${r.pid !== undefined ? ` (process ${r.pid})` : ""}: ${MACHINE[t.machine] ?? `machine ${t.machine}`}, ${binding}; ${relro}`,
  );
  const where =
    r.pid !== undefined
      ? `slots read from the live process, load bias ${hex(r.loadBias)}`
      : r.loadBias !== undefined
        ? `targets as ld.so would bind them on this machine, ASLR off (program load bias ${hex(r.loadBias)})`
        : "targets as ld.so would bind them on this machine";
  lines.push(`${r.rows.length} GOT slots with a dynamic relocation; ${where}`, "");
  const symbolText = (e: PltRow): string =>
    e.kind === "IRELATIVE"
      ? `*ABS*+${hex(e.addend)}`
      : `${e.symbol ?? "?"}${e.version ? `@${e.version}` : ""}`;
  const boundText = (e: PltRow): string => {
    if (e.kind === "IRELATIVE") return `resolver ${hex(e.addend)} in the program`;
    if (!e.library) return e.weakUnresolved ? "nothing (weak: stays 0)" : "not found";
    // A thread-local variable has no one address: its place is an offset in the module's TLS block.
    if (e.kind === "TLSDESC") return `${basename(e.library)} TLS+${hex(e.value)}`;
    return `${basename(e.library)} ${hex(e.target)}`;
  };
  const rows = r.rows.map((e) => [
    symbolText(e),
    e.stub ? `${e.stub.address.toString(16)} ${e.stub.section}` : "-",
    `${e.got.toString(16)} ${e.gotSection ?? ""}`.trim(),
    e.onDisk === undefined ? "-" : e.onDisk.toString(16),
    e.kind,
    boundText(e),
    ...(r.pid !== undefined
      ? [e.resolved ? `bound ${hex(e.live)}` : `unresolved ${hex(e.live)}`]
      : [when(e)]),
    e.relro ? "read-only" : "writable",
    String(e.callers.length),
  ]);
  const head = [
    "symbol",
    "stub",
    "GOT slot",
    "on disk",
    "relocation",
    "binds to",
    r.pid !== undefined ? "now" : "when",
    "after start-up",
    "uses",
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  lines.push(fmt(head));
  r.rows.forEach((e, i) => {
    lines.push(fmt(rows[i]!));
    if (showCallers && e.stubInstructions?.length)
      lines.push(`    stub ${e.stub!.address.toString(16)}: ${e.stubInstructions.join("; ")}`);
    if (showCallers)
      for (const c of e.callers)
        lines.push(
          `    ${c.kind === "memory" ? "reads the slot" : `${c.kind} ${c.via === "stub" ? "to the stub" : "through the slot"}`} at ${hex(c.from)} (${c.where})`,
        );
  });
  out.write(`${lines.join("\n")}\n`);
}
