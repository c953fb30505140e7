import { latin1 } from "../elf/strings.js";
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
  rangeLow: bigint;
  rangeHigh: bigint;
}

export const defaultPmapOptions = (): PmapOptions => ({
  mode: "default",
  quiet: false,
  showPath: false,
  rangeLow: 0n,
  rangeHigh: 0xffffffffffffffffn,
});

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

/**
 * pmap replaces every byte of a maps line that isprint() rejects with '?' (one per byte, so positions
 * do not move). It asks isprint() of each byte as a (signed) char, so in the C and UTF-8 locales all
 * bytes above 0x7e are '?', UTF-8 sequences included, as are control characters (a tab in a path).
 * Returns `bytes` itself when there is nothing to replace, else a cleaned copy.
 */
function cleanBytes(bytes: Uint8Array): Uint8Array {
  const printable = (c: number): boolean => (c >= 0x20 && c < 0x7f) || c === 10;
  let i = 0;
  while (i < bytes.length && printable(bytes[i]!)) i++;
  if (i === bytes.length) return bytes;
  const out = bytes.slice();
  for (; i < out.length; i++) if (!printable(out[i]!)) out[i] = 63; // '?'
  return out;
}

/** A hex column as two exact halves (the 8 digits at the end, and the rest): addresses pass 2^53. */
let hexHigh = 0;
let hexLow = 0;
function readHex(b: Uint8Array, start: number, end: number): void {
  let high = 0;
  let low = 0;
  const split = Math.max(start, end - 8);
  for (let i = start; i < split; i++) high = high * 16 + hexDigit(b[i]!);
  for (let i = split; i < end; i++) low = low * 16 + hexDigit(b[i]!);
  hexHigh = high;
  hexLow = low;
}
const hexDigit = (c: number): number => (c <= 57 ? c - 48 : c - 87);
const TWO_32 = 2 ** 32;
/** (aHigh, aLow) <= (bHigh, bLow). */
const atMost = (aHigh: number, aLow: number, bHigh: number, bLow: number): boolean =>
  aHigh < bHigh || (aHigh === bHigh && aLow <= bLow);

/** What one classic row needs besides the row itself; sums kept across rows. */
interface ClassicRun {
  mode: PmapOptions["mode"];
  opts: PmapOptions;
  bytes: Uint8Array;
  w1: number;
  w2: number;
  w3: number;
  w4: number;
  w5: number;
  stackHigh: number;
  stackLow: number;
  /** Per field list: the positions of Rss, Private_Dirty and Shared_Dirty (-1 when absent). */
  fieldAt: number[][];
  shared: number;
  privateWritable: number;
  privateReadonly: number;
  totalRss: number;
  totalDirty: number;
}

/** procps pmap 4.0.2's default, -x and -d formats (the classic ones), from /proc/PID/maps or smaps. */
export function renderPmap(
  proc: PmapProcess,
  t: SmapsTable,
  opts: PmapOptions,
  out: Output,
  pointerBytes: 4 | 8 = 8,
): void {
  const parts: string[] = [`${proc.pid}:   ${proc.command}\n`];
  const addrWidth = pointerBytes * 2;
  const run: ClassicRun = {
    mode: opts.mode,
    opts,
    bytes: cleanBytes(t.bytes),
    w1: addrWidth,
    w2: 7,
    w3: 7,
    w4: 7,
    w5: 5,
    stackHigh: Number(proc.startStack >> 32n),
    stackLow: Number(proc.startStack & 0xffffffffn),
    fieldAt: t.schemas.map((names) => ["Rss", "Private_Dirty", "Shared_Dirty"].map((n) => names.indexOf(n))),
    shared: 0,
    privateWritable: 0,
    privateReadonly: 0,
    totalRss: 0,
    totalDirty: 0,
  };
  if (opts.mode === "x" && !opts.quiet) {
    run.w1 = justify(parts, "Address", run.w1, false);
    run.w2 = justify(parts, "Kbytes", run.w2, true);
    run.w3 = justify(parts, "RSS", run.w3, true);
    run.w4 = justify(parts, "Dirty", run.w4, true);
    run.w5 = justify(parts, "Mode", run.w5, false);
    justify(parts, "Mapping", 0, false);
  }
  if (opts.mode === "d") {
    run.w3 = 5;
    run.w4 = 16;
    run.w5 = 9;
    if (!opts.quiet) {
      run.w1 = justify(parts, "Address", run.w1, false);
      run.w2 = justify(parts, "Kbytes", run.w2, true);
      run.w3 = justify(parts, "Mode", run.w3, false);
      run.w4 = justify(parts, "Offset", run.w4, false);
      run.w5 = justify(parts, "Device", run.w5, false);
      justify(parts, "Mapping", 0, false);
    }
  }
  const w = new ByteWriter(t.count * 96 + 4096);
  w.text(parts.join(""));
  const ranged = opts.rangeLow !== 0n || opts.rangeHigh !== MAX_ADDRESS;
  for (let i = 0; i < t.count; i++) {
    // pmap stops reading at the first mapping above the range, but still sums the smaps values of
    // mappings below it into the -x totals.
    const at = i * MARKS;
    const start = ranged
      ? BigInt(`0x${latin1(t.bytes, t.marks[at + MARK.LINE]!, t.marks[at + MARK.DASH]!)}`)
      : 0n;
    if (ranged && opts.rangeHigh < start) break;
    const [rss, dirty] = usageOf(t, i, run);
    run.totalRss += rss;
    run.totalDirty += dirty;
    if (ranged) {
      const end = BigInt(`0x${latin1(t.bytes, t.marks[at + MARK.DASH]! + 1, t.marks[at + MARK.PERMS]! - 1)}`);
      if (end - 1n < opts.rangeLow) continue;
    }
    writeClassicRow(w, t, i, run, rss, dirty);
  }
  if (!opts.quiet) {
    const footer: string[] = [];
    const mapped = Math.floor((run.shared + run.privateWritable + run.privateReadonly) / 1024);
    if (opts.mode === "x") {
      justify(footer, "-".repeat(addrWidth), run.w1, false);
      justify(footer, "-------", run.w2, true);
      justify(footer, "-------", run.w3, true);
      justify(footer, "-------", run.w4, true);
      footer.push("\n");
      footer.push(
        `${left("total kB", run.w1)} ${right(String(mapped), run.w2)} ${right(String(run.totalRss), run.w3)} ${right(String(run.totalDirty), run.w4)}\n`,
      );
    } else if (opts.mode === "d") {
      footer.push(
        `mapped: ${mapped}K    writeable/private: ${Math.floor(run.privateWritable / 1024)}K    shared: ${Math.floor(run.shared / 1024)}K\n`,
      );
    } else {
      footer.push(` total ${right(`${mapped}`, addrWidth)}K\n`);
    }
    w.text(footer.join(""));
  }
  w.flushTo(out);
}

const MAX_ADDRESS = 0xffffffffffffffffn;

/** The mapping's Rss and dirty pages (Private_Dirty + Shared_Dirty) from smaps; 0 from maps. */
function usageOf(t: SmapsTable, i: number, run: ClassicRun): [rss: number, dirty: number] {
  const [rss, privateDirty, sharedDirty] = run.fieldAt[t.schemaOf[i]!] ?? [-1, -1, -1];
  const base = t.valueBase[i]!;
  const value = (k: number | undefined): number => (k === undefined || k < 0 ? 0 : t.values[base + k]!);
  return [value(rss), value(privateDirty) + value(sharedDirty)];
}

function writeClassicRow(
  w: ByteWriter,
  t: SmapsTable,
  i: number,
  run: ClassicRun,
  rss: number,
  dirty: number,
): void {
  const { bytes, marks } = t;
  const line = run.bytes; // the cleaned bytes: same positions
  const at = i * MARKS;
  const lineStart = marks[at + MARK.LINE]!;
  const dash = marks[at + MARK.DASH]!;
  const permsAt = marks[at + MARK.PERMS]!;
  readHex(bytes, lineStart, dash);
  const startHigh = hexHigh;
  const startLow = hexLow;
  readHex(bytes, dash + 1, permsAt - 1);
  const endHigh = hexHigh;
  const endLow = hexLow;
  const diff = (endHigh - startHigh) * TWO_32 + (endLow - startLow);
  const sharing = bytes[permsAt + 3];
  if (sharing === 115) run.shared += diff; // 's'
  if (sharing === 112) {
    // 'p'
    if (bytes[permsAt + 1] === 119) run.privateWritable += diff;
    else run.privateReadonly += diff;
  }
  const kb = Math.floor(diff / 1024);
  const mode = run.mode;
  w.copyRight(bytes, lineStart, dash, run.w1, 48);
  w.byte(32);
  w.numberRight(kb, mode === "default" ? 6 : run.w2);
  if (mode === "default") w.byte(75); // 'K'
  w.byte(32);
  const permsWidth = mode === "x" ? run.w5 : mode === "d" ? run.w3 : 5;
  if (mode === "x") {
    w.numberRight(rss, run.w3);
    w.byte(32);
    w.numberRight(dirty, run.w4);
    w.byte(32);
  }
  // Permissions: private 'p' shows as '-', and a fifth column that is always '-'.
  w.spaces(permsWidth - 5);
  w.copy(bytes, permsAt, permsAt + 3);
  w.byte(sharing === 112 ? 45 : sharing!);
  w.byte(45);
  w.byte(32);
  if (mode === "d") {
    w.copyRight(bytes, marks[at + MARK.OFFSET]!, marks[at + MARK.DEVICE]! - 1, run.w4, 48);
    w.byte(32);
    w.spaces(run.w5 - 9);
    const device = marks[at + MARK.DEVICE]!;
    let colon = device;
    while (bytes[colon] !== 58) colon++;
    w.copyRight(bytes, firstSignificant(bytes, device, colon), colon, 3, 48);
    w.byte(58);
    w.copyRight(
      bytes,
      firstSignificant(bytes, colon + 1, marks[at + MARK.INODE]! - 1),
      marks[at + MARK.INODE]! - 1,
      5,
      48,
    );
    w.byte(32);
  }
  writeMappingName(w, t, i, line, run, startHigh, startLow, endHigh, endLow);
  w.byte(10);
}

/** Leading zeros dropped (as a number printed again with %x), keeping one digit. */
function firstSignificant(b: Uint8Array, start: number, end: number): number {
  while (start < end - 1 && b[start] === 48) start++;
  return start;
}

/** pmap's mapping_name(): SysV shm, file basename (or path with -p), else anon or stack. */
function writeMappingName(
  w: ByteWriter,
  t: SmapsTable,
  i: number,
  line: Uint8Array,
  run: ClassicRun,
  startHigh: number,
  startLow: number,
  endHigh: number,
  endLow: number,
): void {
  const at = i * MARKS;
  const lineStart = t.marks[at + MARK.LINE]!;
  const end = t.marks[at + MARK.END]!;
  const device = t.marks[at + MARK.DEVICE]!;
  const majorZero = line[device] === 48 && line[device + 1] === 48 && line[device + 2] === 58; // "00:"
  if (majorZero && line[t.marks[at + MARK.PERMS]! + 3] === 115 && includes(line, lineStart, end, SYSV)) {
    const inode = BigInt(latin1(line, t.marks[at + MARK.INODE]!, inodeEnd(t, i)));
    w.text(`  [ shmid=0x${inode.toString(16)} ]`);
    return;
  }
  let slash = -1;
  for (let p = end - 1; p >= lineStart; p--)
    if (line[p] === SLASH) {
      slash = p;
      break;
    }
  if (slash >= 0) {
    if (run.opts.showPath) {
      let first = lineStart;
      while (line[first] !== SLASH) first++;
      w.copy(line, first, end);
    } else w.copy(line, slash + 1 < end ? slash + 1 : slash, end);
    return;
  }
  const inStack =
    atMost(startHigh, startLow, run.stackHigh, run.stackLow) &&
    atMost(run.stackHigh, run.stackLow, endHigh, endLow);
  w.text(inStack ? "  [ stack ]" : "  [ anon ]");
}

const SYSV = [47, 83, 89, 83, 86]; // "/SYSV"

function includes(b: Uint8Array, start: number, end: number, needle: number[]): boolean {
  outer: for (let p = start; p + needle.length <= end; p++) {
    for (let k = 0; k < needle.length; k++) if (b[p + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
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
