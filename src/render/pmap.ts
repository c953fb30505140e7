import { fieldValue, type MapsEntry, type SmapsEntry } from "../process/proc-maps.js";
import {
  MARK_DASH,
  MARK_DEVICE,
  MARK_END,
  MARK_INODE,
  MARK_LINE,
  MARK_OFFSET,
  MARK_PATH,
  MARK_PERMS,
  MARKS,
  type SmapsTable,
} from "../process/smaps-table.js";
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

/** print_extended_maps reads the mapping's description with %127[^\n]. */
const DESCRIPTION_MAX = 127;
const SLASH = 47;

/**
 * pmap -X and -XX: smaps columns copied from the file's bytes, numbers right-aligned to the widest
 * value or total. pmap reads smaps twice, once to measure the columns and once to print; so do we.
 * procps 4.0.2 applies no -A range to these formats (checked against /usr/bin/pmap): neither do we.
 */
export function renderPmapExtended(proc: PmapProcess, t: SmapsTable, opts: PmapOptions, out: Output): void {
  const w = new ByteWriter(t.count * 160 + 4096);
  w.text(`${proc.pid}:   ${proc.command}\n`);
  const enabled = (name: string): boolean => opts.mode === "XX" || !UNIMPORTANT.has(name);
  const { bytes, marks, values, valueBase, vmFlags } = t;
  const span = (i: number, from: number, to: number): number =>
    marks[i * MARKS + to]! - marks[i * MARKS + from]! - 1;
  // The kernel prints the same fields in the same order for every mapping: pick the shown ones once,
  // from the first mapping, and take each mapping's values by position (as pmap does).
  const names = t.count > 0 ? t.schemas[t.schemaOf[0]!]! : [];
  const shown: number[] = [];
  names.forEach((name, k) => {
    if (enabled(name)) shown.push(k);
  });
  const widths = shown.map((k) => (opts.quiet ? 0 : names[k]!.length));
  const totals = shown.map(() => 0);
  const fieldCount = (i: number): number => t.schemas[t.schemaOf[i]!]!.length;

  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  let w4 = 0;
  let w5 = 0;
  let wv = 0;
  let hasVmFlags = false;
  for (let i = 0; i < t.count; i++) {
    const at = i * MARKS;
    w1 = Math.max(w1, marks[at + MARK_DASH]! - marks[at + MARK_LINE]!);
    w2 = Math.max(w2, span(i, MARK_PERMS, MARK_OFFSET));
    w3 = Math.max(w3, span(i, MARK_OFFSET, MARK_DEVICE));
    w4 = Math.max(w4, span(i, MARK_DEVICE, MARK_INODE));
    w5 = Math.max(w5, inodeEnd(t, i) - marks[at + MARK_INODE]!);
    const base = valueBase[i]!;
    const have = fieldCount(i);
    for (let c = 0; c < shown.length; c++) {
      if (shown[c]! >= have) continue;
      const value = values[base + shown[c]!]!;
      totals[c]! += value;
      if (opts.quiet) widths[c] = Math.max(widths[c]!, decimalDigits(value));
    }
    if (vmFlags[i * 2]! >= 0) {
      hasVmFlags = true;
      wv = Math.max(wv, vmFlags[i * 2 + 1]! - vmFlags[i * 2]!);
    }
  }
  if (!opts.quiet)
    for (let c = 0; c < shown.length; c++) widths[c] = Math.max(widths[c]!, decimalDigits(totals[c]!));
  const showVmFlags = hasVmFlags && enabled("VmFlags");
  if (!opts.quiet) {
    const heading = (text: string, width: number): number => {
      const used = Math.max(width, text.length);
      w.spaces(used - text.length);
      w.text(`${text} `);
      return used;
    };
    w1 = heading("Address", w1);
    w2 = heading("Perm", w2);
    w3 = heading("Offset", w3);
    w4 = heading("Device", w4);
    w5 = heading("Inode", w5);
    shown.forEach((k, c) => {
      heading(names[k]!, widths[c]!);
    });
    if (showVmFlags) wv = heading("VmFlags", wv);
    w.text("Mapping\n");
  }
  let rowBytes = w1 + w2 + w3 + w4 + w5 + wv + DESCRIPTION_MAX + 16;
  for (const width of widths) rowBytes += width + 1;
  for (let i = 0; i < t.count; i++) {
    const at = i * MARKS;
    w.reserve(rowBytes);
    w.copyRight(bytes, marks[at + MARK_LINE]!, marks[at + MARK_DASH]!, w1);
    w.byte(32);
    w.copyRight(bytes, marks[at + MARK_PERMS]!, marks[at + MARK_OFFSET]! - 1, w2);
    w.byte(32);
    w.copyRight(bytes, marks[at + MARK_OFFSET]!, marks[at + MARK_DEVICE]! - 1, w3);
    w.byte(32);
    w.copyRight(bytes, marks[at + MARK_DEVICE]!, marks[at + MARK_INODE]! - 1, w4);
    w.byte(32);
    w.copyRight(bytes, marks[at + MARK_INODE]!, inodeEnd(t, i), w5);
    const base = valueBase[i]!;
    const have = fieldCount(i);
    for (let c = 0; c < shown.length; c++) {
      w.byte(32);
      if (shown[c]! < have) w.numberRight(values[base + shown[c]!]!, widths[c]!);
      else w.spaces(widths[c]!);
    }
    if (showVmFlags) {
      w.byte(32);
      const from = vmFlags[i * 2]!;
      if (from >= 0) w.copyRight(bytes, from, vmFlags[i * 2 + 1]!, wv);
      else w.spaces(wv);
    }
    w.byte(32);
    // The description is not cleaned; without -p only its last path component is shown.
    const path = marks[at + MARK_PATH]!;
    const end = Math.min(marks[at + MARK_END]!, path + DESCRIPTION_MAX);
    let from = path;
    if (!opts.showPath)
      for (let p = end - 1; p >= path; p--)
        if (bytes[p] === SLASH) {
          from = p + 1;
          break;
        }
    w.copy(bytes, from, end);
    w.byte(10);
  }
  if (!opts.quiet && shown.length > 0) {
    const gap = w1 + w2 + w3 + w4 + w5 + 5;
    w.spaces(gap);
    for (const width of widths) {
      w.repeat(61, width); // '='
      w.byte(32);
    }
    w.byte(10);
    w.spaces(gap);
    for (let c = 0; c < shown.length; c++) {
      w.numberRight(totals[c]!, widths[c]!);
      w.byte(32);
    }
    w.text("KB \n");
  }
  w.flushTo(out);
}

/** Where the inode number ends (the digits after MARK_INODE). */
function inodeEnd(t: SmapsTable, i: number): number {
  let p = t.marks[i * MARKS + MARK_INODE]!;
  while (t.bytes[p]! >= 48 && t.bytes[p]! <= 57) p++;
  return p;
}
