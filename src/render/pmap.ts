import { fieldValue, type MapsEntry, type SmapsEntry } from "../process/proc-maps.js";
import type { Output } from "./output.js";

/** procps-ng pmap 4.0.2's output formats (src/pmap.c), for one process. */
export interface PmapProcess {
  pid: number;
  /** /proc/PID/cmdline with NULs as spaces, or `[comm]` for kernel threads. */
  command: string;
  /** startstack from /proc/PID/stat: the mapping that holds it is labelled `[ stack ]`. */
  startStack: bigint;
}

export interface PmapOptions {
  mode: "default" | "x" | "d" | "X" | "XX";
  quiet: boolean;
  showPath: boolean;
  /** -k: print the kernel's `[heap]`-style names instead of `[ anon ]`. */
  kernelNames: boolean;
  rangeLow: bigint;
  rangeHigh: bigint;
  /** pmap replaces bytes that are not valid characters in the locale with `?` (mblen < 0). */
  utf8Locale: boolean;
}

export const defaultPmapOptions = (): PmapOptions => ({
  mode: "default",
  quiet: false,
  showPath: false,
  kernelNames: false,
  rangeLow: 0n,
  rangeHigh: 0xffffffffffffffffn,
  utf8Locale: false,
});

const hex = (v: bigint, width: number): string => v.toString(16).padStart(width, "0");
const right = (s: string, w: number): string => s.padStart(w);
const left = (s: string, w: number): string => s.padEnd(w);

/** pmap's justify_print: the field at least `width` wide, then a space; returns the width used. */
function justify(out: string[], text: string, width: number, alignRight: boolean): number {
  if (width < 1) {
    out.push(`${text}\n`);
    return width;
  }
  const w = Math.max(width, text.length);
  out.push(`${alignRight ? right(text, w) : left(text, w)} `);
  return w;
}

/** Invalid multibyte sequences become '?' (pmap cleans each line with mblen before printing). */
function cleanLine(line: string, utf8: boolean): string {
  if (!utf8) return line.replace(/[\x80-\xff]/g, "?");
  let out = "";
  for (let i = 0; i < line.length; ) {
    const c = line.charCodeAt(i);
    const need =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    let ok = need >= 0 && i + need < line.length;
    for (let k = 1; ok && k <= need; k++) ok = (line.charCodeAt(i + k) & 0xc0) === 0x80;
    if (!ok) {
      out += "?";
      i++;
    } else {
      out += line.slice(i, i + need + 1);
      i += need + 1;
    }
  }
  return out;
}

/** pmap's mapping_name(): SysV shm, file basename (or path with -p), kernel name with -k, else anon/stack. */
function mappingName(e: MapsEntry, line: string, proc: PmapProcess, opts: PmapOptions): string {
  if (e.devMajor === 0 && line.includes("/SYSV") && e.perms[3] === "s")
    return `  [ shmid=0x${e.inode.toString(16)} ]`;
  const slash = line.lastIndexOf("/");
  if (slash >= 0) {
    if (opts.showPath) return line.slice(line.indexOf("/"));
    return slash + 1 < line.length ? line.slice(slash + 1) : line.slice(slash);
  }
  if (opts.kernelNames && line.endsWith("]") && line.includes("[")) return line.slice(line.indexOf("["));
  const len = e.end - e.start;
  return proc.startStack >= e.start && proc.startStack <= e.start + len ? "  [ stack ]" : "  [ anon ]";
}

const inRange = (e: MapsEntry, o: PmapOptions): boolean =>
  !(e.end - 1n < o.rangeLow || o.rangeHigh < e.start);

/** Permissions as pmap shows them: private `p` becomes `-`, and a fifth column that is always `-`. */
const pmapPerms = (perms: string): string => `${perms.slice(0, 3)}${perms[3] === "p" ? "-" : perms[3]}-`;

export function renderPmap(
  proc: PmapProcess,
  entries: MapsEntry[] | SmapsEntry[],
  opts: PmapOptions,
  out: Output,
  pointerBytes: 4 | 8 = 8,
): void {
  const parts: string[] = [`${proc.pid}:   ${proc.command}\n`];
  if (opts.mode === "X" || opts.mode === "XX") renderExtended(entries as SmapsEntry[], opts, parts);
  else renderClassic(proc, entries, opts, parts, pointerBytes);
  out.write(parts.join(""));
}

function renderClassic(
  proc: PmapProcess,
  entries: MapsEntry[] | SmapsEntry[],
  opts: PmapOptions,
  parts: string[],
  pointerBytes: 4 | 8,
): void {
  const addrWidth = pointerBytes * 2;
  let shared = 0n;
  let privateWritable = 0n;
  let privateReadonly = 0n;
  let totalRss = 0n;
  let totalDirty = 0n;
  let w1 = addrWidth;
  let w2 = 7;
  let w3 = 7;
  let w4 = 7;
  let w5 = 5;
  if (opts.mode === "x" && !opts.quiet) {
    w1 = justify(parts, "Address", w1, false);
    w2 = justify(parts, "Kbytes", w2, true);
    w3 = justify(parts, "RSS", w3, true);
    w4 = justify(parts, "Dirty", w4, true);
    w5 = justify(parts, "Mode", w5, false);
    justify(parts, "Mapping", 0, false);
  }
  if (opts.mode === "d") {
    w3 = 5;
    w4 = 16;
    w5 = 9;
    if (!opts.quiet) {
      w1 = justify(parts, "Address", w1, false);
      w2 = justify(parts, "Kbytes", w2, true);
      w3 = justify(parts, "Mode", w3, false);
      w4 = justify(parts, "Offset", w4, false);
      w5 = justify(parts, "Device", w5, false);
      justify(parts, "Mapping", 0, false);
    }
  }
  for (const e of entries) {
    const field = (name: string): bigint => ("names" in e ? BigInt(fieldValue(e, name)) : 0n);
    // pmap stops reading at the first mapping above the range, but still sums the smaps values of
    // mappings below it into the -x totals.
    if (opts.rangeHigh < e.start) break;
    const rss = field("Rss");
    const dirty = field("Private_Dirty") + field("Shared_Dirty");
    totalRss += rss;
    totalDirty += dirty;
    if (e.end - 1n < opts.rangeLow) continue;
    const line = cleanLine(e.line, opts.utf8Locale);
    const diff = e.end - e.start;
    if (e.perms[3] === "s") shared += diff;
    if (e.perms[3] === "p") {
      if (e.perms[1] === "w") privateWritable += diff;
      else privateReadonly += diff;
    }
    const perms = pmapPerms(e.perms);
    const name = mappingName(e, line, proc, opts);
    const kb = (diff >> 10n).toString();
    if (opts.mode === "x") {
      parts.push(
        `${hex(e.start, w1)} ${right(kb, w2)} ${right(rss.toString(), w3)} ${right(dirty.toString(), w4)} ${right(perms, w5)} ${name}\n`,
      );
    } else if (opts.mode === "d") {
      const dev = `${e.devMajor.toString(16).padStart(3, "0")}:${e.devMinor.toString(16).padStart(5, "0")}`;
      parts.push(
        `${hex(e.start, w1)} ${right(kb, w2)} ${right(perms, w3)} ${hex(e.offset, w4)} ${" ".repeat(Math.max(0, w5 - 9))}${dev} ${name}\n`,
      );
    } else {
      parts.push(`${hex(e.start, addrWidth)} ${right(kb, 6)}K ${perms} ${name}\n`);
    }
  }
  if (opts.quiet) return;
  const mapped = (shared + privateWritable + privateReadonly) >> 10n;
  if (opts.mode === "x") {
    justify(parts, "-".repeat(addrWidth), w1, false);
    justify(parts, "-------", w2, true);
    justify(parts, "-------", w3, true);
    justify(parts, "-------", w4, true);
    parts.push("\n");
    parts.push(
      `${left("total kB", w1)} ${right(mapped.toString(), w2)} ${right(totalRss.toString(), w3)} ${right(totalDirty.toString(), w4)}\n`,
    );
  } else if (opts.mode === "d") {
    parts.push(
      `mapped: ${mapped}K    writeable/private: ${privateWritable >> 10n}K    shared: ${shared >> 10n}K\n`,
    );
  } else {
    parts.push(` total ${right(`${mapped}`, addrWidth)}K\n`);
  }
}

/** Decimal digits of a non-negative integer, without making its string. */
function digits(v: number): number {
  let n = 1;
  while (v >= 10) {
    v = Math.floor(v / 10);
    n++;
  }
  return n;
}

/** Fields -X leaves out (pmap's is_unimportant); -XX shows everything, VmFlags included. */
const UNIMPORTANT = new Set([
  "AnonHugePages",
  "KernelPageSize",
  "MMUPageSize",
  "Shared_Dirty",
  "Private_Dirty",
  "Shared_Clean",
  "Private_Clean",
  "VmFlags",
]);

function renderExtended(entries: SmapsEntry[], opts: PmapOptions, parts: string[]): void {
  const enabled = (name: string): boolean => opts.mode === "XX" || !UNIMPORTANT.has(name);
  // First pass: widths (pmap reads the file twice: once to measure, once to print).
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  let w4 = 0;
  let w5 = 0;
  let wv = 0;
  let hasVmFlags = false;
  const columns: { name: string; width: number; total: number }[] = [];
  // The kernel prints the same fields in the same order for every mapping: pick the shown ones once.
  const shown: number[] = [];
  const first = entries[0];
  if (first) {
    first.names.forEach((name, i) => {
      if (!enabled(name)) return;
      shown.push(i);
      columns.push({ name, width: opts.quiet ? 0 : name.length, total: 0 });
    });
  }
  for (const e of entries) {
    if (e.startText.length > w1) w1 = e.startText.length;
    if (e.perms.length > w2) w2 = e.perms.length;
    if (e.offsetText.length > w3) w3 = e.offsetText.length;
    if (e.devText.length > w4) w4 = e.devText.length;
    if (e.inodeText.length > w5) w5 = e.inodeText.length;
    if (inRange(e, opts)) {
      for (let c = 0; c < shown.length; c++) {
        const value = e.values[shown[c]!];
        if (value === undefined) continue;
        const col = columns[c]!;
        col.total += value;
        if (opts.quiet && digits(value) > col.width) col.width = digits(value);
      }
    }
    if (e.vmFlags !== undefined) {
      hasVmFlags = true;
      if (e.vmFlags.length > wv) wv = e.vmFlags.length;
    }
  }
  if (!opts.quiet) for (const c of columns) c.width = Math.max(c.width, c.total.toString().length);
  const showVmFlags = hasVmFlags && enabled("VmFlags");
  if (!opts.quiet) {
    w1 = justify(parts, "Address", w1, true);
    w2 = justify(parts, "Perm", w2, true);
    w3 = justify(parts, "Offset", w3, true);
    w4 = justify(parts, "Device", w4, true);
    w5 = justify(parts, "Inode", w5, true);
    for (const c of columns) justify(parts, c.name, c.width, true);
    if (showVmFlags) wv = justify(parts, "VmFlags", wv, true);
    justify(parts, "Mapping", 0, false);
  }
  for (const e of entries) {
    if (!inRange(e, opts)) continue;
    let row = `${right(e.startText, w1)} ${right(e.perms, w2)} ${right(e.offsetText, w3)} ${right(e.devText, w4)} ${right(e.inodeText, w5)}`;
    for (let c = 0; c < shown.length; c++)
      row += ` ${right(String(e.values[shown[c]!] ?? ""), columns[c]!.width)}`;
    if (showVmFlags) row += ` ${right(e.vmFlags ?? "", wv)}`;
    // print_extended_maps reads the description with %127[^\n] and does not clean it.
    const desc = e.path.slice(0, 127);
    const slash = desc.lastIndexOf("/");
    row += ` ${opts.showPath || slash < 0 ? desc : desc.slice(slash + 1)}`;
    parts.push(`${row}\n`);
  }
  if (opts.quiet || columns.length === 0) return;
  const gap = " ".repeat(w1 + w2 + w3 + w4 + w5 + 5);
  parts.push(gap);
  for (const c of columns) parts.push(`${"=".repeat(c.width)} `);
  parts.push(`\n${gap}`);
  for (const c of columns) parts.push(`${right(c.total.toString(), c.width)} `);
  parts.push("KB \n");
}
