import type { Output } from "./output.js";

/** What `anatomy addr` found for one address: the data --json prints, and the text renders. */
export interface AddrAnswer {
  address: string;
  /** The /proc/PID/maps line it is in (PID mode). */
  mapping?: { start: string; end: string; perms: string; path: string; offsetInMapping: string };
  /** For an anonymous mapping that is the zero-filled tail (.bss) of the file mapped just below it. */
  object?: string;
  /** "link-time": the file's own virtual address; "runtime": the file's address plus a load bias. */
  interpretation?: "link-time" | "runtime";
  loadBias?: string;
  fileOffset?: string;
  vaddr?: string;
  /** The PT_LOAD whose memory image holds it: program header index and its permissions. */
  segment?: { index: number; perms: string };
  section?: string | null;
  symbol?: string | null;
  symbolOffset?: string | null;
  exact?: boolean;
  /** Why the address is not (fully) explained, phrased to follow the address ("is in no segment of X"). */
  error?: string;
}

/**
 * One line per address, after the lines that say how the addresses were read (which interpretation and
 * which load bias), each said once.
 */
export function renderAddrText(out: Output, notes: string[], answers: AddrAnswer[]): void {
  for (const n of notes) out.write(`${n}\n`);
  for (const a of answers) {
    const parts = [a.address];
    if (a.mapping)
      parts.push(
        `${a.mapping.path || "[anonymous]"} (${a.mapping.perms} ${a.mapping.start}-${a.mapping.end} +${a.mapping.offsetInMapping})`,
      );
    if (a.object) parts.push(`zero-filled memory of ${a.object}`);
    if (a.fileOffset) parts.push(`file offset ${a.fileOffset}`);
    if (a.vaddr && a.vaddr !== a.address) parts.push(`vaddr ${a.vaddr}`);
    if (a.section) parts.push(a.section);
    else if (a.segment) parts.push(`segment ${a.segment.index} (PT_LOAD ${a.segment.perms})`);
    if (a.symbol) parts.push(`${a.symbol}+${a.symbolOffset}${a.exact ? "" : " (nearest preceding symbol)"}`);
    let line = parts.join("  ");
    if (a.error) line += parts.length === 1 ? ` ${a.error}` : `: ${a.error}`;
    out.write(`${line}\n`);
  }
}
