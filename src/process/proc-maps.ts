import { latin1 } from "../elf/strings.js";
import {
  MARK,
  MARKS,
  ProcFormatError,
  parseSmapsTable,
  type SmapsTable,
  stringBytes,
} from "./smaps-table.js";

/**
 * Parsers for /proc/PID/maps and /proc/PID/smaps text (Documentation/filesystems/proc.rst). Pure: the
 * CLI reads the files. Text is a byte string (Latin-1), as paths are bytes.
 */

/** One line of /proc/PID/maps: `start-end perms offset major:minor inode   path`. */
export interface MapsEntry {
  start: bigint;
  end: bigint;
  /** The hex text of start as the kernel printed it (pmap -X prints it verbatim). */
  startText: string;
  perms: string;
  offset: bigint;
  offsetText: string;
  devMajor: number;
  devMinor: number;
  devText: string;
  inode: bigint;
  inodeText: string;
  /** The path column: a file path (may hold spaces, `\012` for a newline, ` (deleted)`), `[heap]`, `[anon:NAME]`, or "". */
  path: string;
  /** The whole line as read, without its newline. */
  line: string;
}

/**
 * A mapping of /proc/PID/smaps: the maps line plus its `Key: value kB` fields in kernel order, as
 * two parallel arrays (a process can have 10,000 mappings of 25 fields: no object per field). `names`
 * is shared between mappings that list the same fields.
 */
export interface SmapsEntry extends MapsEntry {
  names: readonly string[];
  /** Each field's value as printed (kB for most); numbers are exact up to 8 ZiB of kB. */
  values: ArrayLike<number>;
  /** The VmFlags line's two-letter flags, when the kernel prints it. */
  vmFlags: string | undefined;
}

/** A field's value (0 when the kernel did not print it). kB counts: a number is exact up to 8 ZiB. */
export function fieldValue(e: SmapsEntry, name: string): number {
  const i = e.names.indexOf(name);
  return i < 0 ? 0 : (e.values[i] ?? 0);
}

export function hasField(e: SmapsEntry, name: string): boolean {
  return e.names.includes(name);
}

export { ProcFormatError };

/** The MapsEntry of mapping i of a table (its line decoded; the table keeps only positions). */
export function mapsEntryAt(t: SmapsTable, i: number): MapsEntry {
  const m = t.marks;
  const at = i * MARKS;
  const base = m[at + MARK.LINE]!;
  const line = latin1(t.bytes, base, m[at + MARK.END]!);
  const col = (mark: number, next: number): string =>
    line.slice(m[at + mark]! - base, m[at + next]! - base - 1);
  const startText = line.slice(0, m[at + MARK.DASH]! - base);
  const devText = col(MARK.DEVICE, MARK.INODE);
  const colon = devText.indexOf(":");
  const inodeText = /^\d+/.exec(line.slice(m[at + MARK.INODE]! - base))![0];
  const offsetText = col(MARK.OFFSET, MARK.DEVICE);
  return {
    start: BigInt(`0x${startText}`),
    end: BigInt(`0x${col(MARK.DASH, MARK.PERMS).slice(1)}`),
    startText,
    perms: col(MARK.PERMS, MARK.OFFSET),
    offset: BigInt(`0x${offsetText}`),
    offsetText,
    devMajor: Number.parseInt(devText.slice(0, colon), 16),
    devMinor: Number.parseInt(devText.slice(colon + 1), 16),
    devText,
    inode: BigInt(inodeText),
    inodeText,
    path: line.slice(m[at + MARK.PATH]! - base),
    line,
  };
}

/** maps text (a byte string) as one MapsEntry per mapping. */
export function parseMaps(text: string, file = "maps"): MapsEntry[] {
  return mapsEntries(parseSmapsTable(stringBytes(text), file, "maps"));
}

export function mapsEntries(t: SmapsTable): MapsEntry[] {
  const out: MapsEntry[] = [];
  for (let i = 0; i < t.count; i++) out.push(mapsEntryAt(t, i));
  return out;
}

/** smaps text (a byte string) as one SmapsEntry per mapping; see parseSmapsTable for the fast path. */
export function parseSmaps(text: string, file = "smaps"): SmapsEntry[] {
  return smapsEntries(parseSmapsTable(stringBytes(text), file));
}

export function smapsEntries(t: SmapsTable): SmapsEntry[] {
  const out: SmapsEntry[] = [];
  for (let i = 0; i < t.count; i++) {
    const names = t.schemas[t.schemaOf[i]!]!;
    const base = t.valueBase[i]!;
    const flags = t.vmFlags[i * 2]!;
    out.push({
      ...mapsEntryAt(t, i),
      names,
      // A view, not a copy: 10,000 mappings of 25 fields would be 250,000 array elements.
      values: t.values.subarray(base, base + names.length),
      vmFlags: flags < 0 ? undefined : latin1(t.bytes, flags, t.vmFlags[i * 2 + 1]!),
    });
  }
  return out;
}
