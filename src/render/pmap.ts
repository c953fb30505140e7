import { latin1 } from "../elf/strings.js";
import { fieldValue, type MapsEntry, type SmapsEntry } from "../process/proc-maps.js";
import { MARK, MARKS, type SmapsTable } from "../process/smaps-table.js";
import { ByteWriter, decimalDigits } from "./byte-writer.js";
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
  renderClassic(proc, entries, opts, parts, pointerBytes);
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

/**
 * pmap's is_enabled for -X and -XX; -c/-C pass the rc file's entries instead. It answers for smaps
 * fields and for the Perm, Offset, Device, Inode, VmFlags and Mapping columns (Address always shows).
 */
export const extendedFields = (mode: "X" | "XX"): ((name: string) => boolean) =>
  mode === "XX" ? () => true : (name) => !UNIMPORTANT.has(name);

/** One shown smaps field: print_extended_maps' listnode. */
interface ExtendedColumn {
  name: string;
  width: number;
  total: number;
  /** The last value read for it (NaN before any): a mapping without the field prints the previous one. */
  value: number;
}

/**
 * What procps 4.0.2 keeps from one PID to the next in one command: the column list (built from the
 * first mapping that has fields), widths that only grow, and totals that are never reset (a second
 * PID's footer includes the first's). Pass the same run for every PID.
 */
export interface ExtendedRun {
  columns: ExtendedColumn[];
}

export const newExtendedRun = (): ExtendedRun => ({ columns: [] });

/** smaps held a mapping whose fields differ from the first one's (pmap stops there). */
export class InconsistentSmapsError extends Error {
  override readonly name = "InconsistentSmapsError";
}

/** print_extended_maps reads the mapping's description with %127[^\n]. */
const DESCRIPTION_MAX = 127;
const SLASH = 47;

/**
 * pmap -X, -XX and -c/-C (print_extended_maps): smaps columns copied from the file's bytes, numbers
 * right-aligned to the widest value or total. pmap reads smaps twice, once to measure the columns
 * and once to print; so do we. procps 4.0.2 applies no -A range here (checked against /usr/bin/pmap).
 */
export function renderPmapExtended(
  proc: PmapProcess,
  t: SmapsTable,
  opts: PmapOptions,
  out: Output,
  enabled: (name: string) => boolean = extendedFields(opts.mode === "XX" ? "XX" : "X"),
  run: ExtendedRun = newExtendedRun(),
): void {
  // Written once the widths are known (so the buffer is sized once); until then, only the title.
  const title = `${proc.pid}:   ${proc.command}\n`;
  const columns = run.columns;
  // Per field list (nearly always one): the positions of its shown fields, matched to the columns
  // in order, as pmap walks its list; new columns are added while there are more shown fields.
  const shownBySchema = t.schemas.map((names, k) => {
    const shown: number[] = [];
    names.forEach((name, i) => {
      if (!enabled(name)) return;
      const column = columns[shown.length];
      if (!column) columns.push({ name, width: opts.quiet ? 0 : name.length, total: 0, value: Number.NaN });
      else if (column.name !== name) {
        const first = firstMappingOf(t, k);
        out.write(title);
        throw new InconsistentSmapsError(
          `ERROR: inconsistent detail field in smaps file, line:\n ${fieldLine(t, first, i)}\n`,
        );
      }
      shown.push(i);
    });
    return shown;
  });
  const layout: ExtendedLayout = {
    w1: 0,
    w2: 0,
    w3: 0,
    w4: 0,
    w5: 0,
    wv: 0,
    perm: enabled("Perm"),
    offset: enabled("Offset"),
    device: enabled("Device"),
    inode: enabled("Inode"),
    vmFlags: false,
    mapping: enabled("Mapping"),
    showPath: opts.showPath,
  };
  const hasVmFlags = measureExtended(t, layout, shownBySchema, columns, opts.quiet);
  if (!opts.quiet)
    for (const column of columns) column.width = Math.max(column.width, decimalDigits(column.total));
  layout.vmFlags = hasVmFlags && enabled("VmFlags");
  const { w1, w2, w3, w4, w5, wv } = layout;
  let rowBytes = w1 + w2 + w3 + w4 + w5 + wv + DESCRIPTION_MAX + 16;
  for (const column of columns) rowBytes += Math.max(column.width, column.name.length) + 1;
  const w = new ByteWriter(title.length + (t.count + 4) * rowBytes);
  w.text(title);
  // The header is printed with the first mapping: a process without mappings has none.
  if (!opts.quiet && t.count > 0) {
    const heading = (text: string, width: number): number => {
      const used = Math.max(width, text.length);
      w.spaces(used - text.length);
      w.text(`${text} `);
      return used;
    };
    layout.w1 = heading("Address", w1);
    if (layout.perm) layout.w2 = heading("Perm", w2);
    if (layout.offset) layout.w3 = heading("Offset", w3);
    if (layout.device) layout.w4 = heading("Device", w4);
    if (layout.inode) layout.w5 = heading("Inode", w5);
    for (const column of columns) heading(column.name, column.width);
    if (layout.vmFlags) layout.wv = heading("VmFlags", wv);
    w.text(layout.mapping ? "Mapping\n" : "\n");
  }
  // One call per row: V8 optimises a small function long before it would a loop in this one.
  for (let i = 0; i < t.count; i++) {
    w.reserve(rowBytes);
    writeExtendedRow(w, t, i, layout, shownBySchema[t.schemaOf[i]!]!, columns);
  }
  // The footer, when any field is shown (in this PID or an earlier one).
  if (!opts.quiet && columns.length > 0) {
    let gap = layout.w1 + 1;
    if (layout.perm) gap += layout.w2 + 1;
    if (layout.offset) gap += layout.w3 + 1;
    if (layout.device) gap += layout.w4 + 1;
    if (layout.inode) gap += layout.w5 + 1;
    w.spaces(gap);
    for (const column of columns) {
      w.repeat(61, column.width); // '='
      w.byte(32);
    }
    w.byte(10);
    w.spaces(gap);
    for (const column of columns) {
      w.numberRight(column.total, column.width);
      w.byte(32);
    }
    w.text("KB \n");
  }
  w.flushTo(out);
}

/** Column widths (pmap's maxw1..maxw5, maxwv) and which columns print. */
interface ExtendedLayout {
  w1: number;
  w2: number;
  w3: number;
  w4: number;
  w5: number;
  wv: number;
  perm: boolean;
  offset: boolean;
  device: boolean;
  inode: boolean;
  vmFlags: boolean;
  mapping: boolean;
  showPath: boolean;
}

/** The first pass: widths, and totals added to the columns. Returns whether any VmFlags line was seen. */
function measureExtended(
  t: SmapsTable,
  layout: ExtendedLayout,
  shownBySchema: number[][],
  columns: ExtendedColumn[],
  quiet: boolean,
): boolean {
  const { marks, values, valueBase, vmFlags } = t;
  let hasVmFlags = false;
  for (let i = 0; i < t.count; i++) {
    const at = i * MARKS;
    layout.w1 = Math.max(layout.w1, marks[at + MARK.DASH]! - marks[at + MARK.LINE]!);
    layout.w2 = Math.max(layout.w2, marks[at + MARK.OFFSET]! - marks[at + MARK.PERMS]! - 1);
    layout.w3 = Math.max(layout.w3, marks[at + MARK.DEVICE]! - marks[at + MARK.OFFSET]! - 1);
    layout.w4 = Math.max(layout.w4, marks[at + MARK.INODE]! - marks[at + MARK.DEVICE]! - 1);
    layout.w5 = Math.max(layout.w5, inodeEnd(t, i) - marks[at + MARK.INODE]!);
    const base = valueBase[i]!;
    const shown = shownBySchema[t.schemaOf[i]!]!;
    for (let c = 0; c < shown.length; c++) {
      const value = values[base + shown[c]!]!;
      const column = columns[c]!;
      column.total += value;
      if (quiet) column.width = Math.max(column.width, decimalDigits(value));
    }
    if (vmFlags[i * 2]! >= 0) {
      hasVmFlags = true;
      layout.wv = Math.max(layout.wv, vmFlags[i * 2 + 1]! - vmFlags[i * 2]!);
    }
  }
  return hasVmFlags;
}

/** One mapping's row: columns copied from the smaps bytes, values right-aligned. */
function writeExtendedRow(
  w: ByteWriter,
  t: SmapsTable,
  i: number,
  layout: ExtendedLayout,
  shown: number[],
  columns: ExtendedColumn[],
): void {
  const { bytes, marks, values, vmFlags } = t;
  const at = i * MARKS;
  w.copyRight(bytes, marks[at + MARK.LINE]!, marks[at + MARK.DASH]!, layout.w1);
  if (layout.perm) {
    w.byte(32);
    w.copyRight(bytes, marks[at + MARK.PERMS]!, marks[at + MARK.OFFSET]! - 1, layout.w2);
  }
  if (layout.offset) {
    w.byte(32);
    w.copyRight(bytes, marks[at + MARK.OFFSET]!, marks[at + MARK.DEVICE]! - 1, layout.w3);
  }
  if (layout.device) {
    w.byte(32);
    w.copyRight(bytes, marks[at + MARK.DEVICE]!, marks[at + MARK.INODE]! - 1, layout.w4);
  }
  if (layout.inode) {
    w.byte(32);
    w.copyRight(bytes, marks[at + MARK.INODE]!, inodeEnd(t, i), layout.w5);
  }
  const base = t.valueBase[i]!;
  for (let c = 0; c < shown.length; c++) columns[c]!.value = values[base + shown[c]!]!;
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c]!;
    w.byte(32);
    if (Number.isNaN(column.value)) w.spaces(column.width);
    else w.numberRight(column.value, column.width);
  }
  if (layout.vmFlags) {
    w.byte(32);
    const from = vmFlags[i * 2]!;
    if (from >= 0) w.copyRight(bytes, from, vmFlags[i * 2 + 1]!, layout.wv);
    else w.spaces(layout.wv);
  }
  if (layout.mapping) {
    w.byte(32);
    // The description is not cleaned; without -p only its last path component is shown.
    const path = marks[at + MARK.PATH]!;
    const end = Math.min(marks[at + MARK.END]!, path + DESCRIPTION_MAX);
    let from = path;
    if (!layout.showPath)
      for (let p = end - 1; p >= path; p--)
        if (bytes[p] === SLASH) {
          from = p + 1;
          break;
        }
    w.copy(bytes, from, end);
  }
  w.byte(10);
}

/** Where the inode number ends (the digits after MARK.INODE). */
function inodeEnd(t: SmapsTable, i: number): number {
  let p = t.marks[i * MARKS + MARK.INODE]!;
  while (t.bytes[p]! >= 48 && t.bytes[p]! <= 57) p++;
  return p;
}

function firstMappingOf(t: SmapsTable, schema: number): number {
  for (let i = 0; i < t.count; i++) if (t.schemaOf[i] === schema) return i;
  return 0;
}

/** The text of field line k of mapping i (the k-th line after its maps line). */
function fieldLine(t: SmapsTable, i: number, k: number): string {
  let p = t.marks[i * MARKS + MARK.END]! + 1;
  for (let n = 0; n < k; n++) while (p < t.bytes.length && t.bytes[p++] !== 10);
  let end = p;
  while (end < t.bytes.length && t.bytes[end] !== 10) end++;
  return latin1(t.bytes, p, end);
}
