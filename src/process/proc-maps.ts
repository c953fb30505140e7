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
  values: number[];
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

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)(?: +(.*))?$/;

export class ProcFormatError extends Error {
  override readonly name = "ProcFormatError";
  constructor(
    readonly file: string,
    readonly lineNumber: number,
    message: string,
  ) {
    super(message);
  }
}

export function parseMapsLine(line: string): MapsEntry | undefined {
  const m = MAPS_LINE.exec(line);
  if (!m) return undefined;
  return {
    start: BigInt(`0x${m[1]}`),
    end: BigInt(`0x${m[2]}`),
    startText: m[1]!,
    perms: m[3]!,
    offset: BigInt(`0x${m[4]}`),
    offsetText: m[4]!,
    devMajor: Number.parseInt(m[5]!, 16),
    devMinor: Number.parseInt(m[6]!, 16),
    devText: `${m[5]}:${m[6]}`,
    inode: BigInt(m[7]!),
    inodeText: m[7]!,
    path: m[8] ?? "",
    line,
  };
}

function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

export function parseMaps(text: string, file = "maps"): MapsEntry[] {
  return lines(text).map((line, i) => {
    const entry = parseMapsLine(line);
    if (!entry) throw new ProcFormatError(file, i + 1, `unrecognised maps line: ${JSON.stringify(line)}`);
    return entry;
  });
}

const isKeyStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * Parses smaps text in place, by positions: a process with 10,000 mappings has 250,000 field lines,
 * and a string or an object per line would keep the garbage collector busier than the parsing.
 */
export function parseSmaps(text: string, file = "smaps"): SmapsEntry[] {
  const out: SmapsEntry[] = [];
  let current: SmapsEntry | undefined;
  let names: string[] = [];
  let previous: readonly string[] = [];
  const finish = (): void => {
    if (!current) return;
    // Share the previous mapping's name list when it is the same (it nearly always is).
    const same = names.length === previous.length && names.every((n, k) => n === previous[k]);
    current.names = same ? previous : names;
    previous = current.names;
  };
  let lineNumber = 0;
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    lineNumber++;
    if (current && isKeyStart(text.charCodeAt(pos))) {
      if (text.startsWith("VmFlags:", pos)) {
        current.vmFlags = text.slice(pos + 8, end).trim();
        pos = end + 1;
        continue;
      }
      // Most lines repeat the previous mapping's key at the same position: compare without slicing.
      const expected = previous[names.length];
      const colon =
        expected !== undefined &&
        text.startsWith(expected, pos) &&
        text.charCodeAt(pos + expected.length) === 58
          ? pos + expected.length
          : text.indexOf(":", pos);
      if (colon > pos && colon < end) {
        let i = colon + 1;
        while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
        const digits = i;
        let value = 0;
        for (let c = text.charCodeAt(i); i < end && c >= 48 && c <= 57; c = text.charCodeAt(++i))
          value = value * 10 + (c - 48);
        if (i > digits && (i === end || (end - i === 3 && text.startsWith(" kB", i)))) {
          names.push(
            expected !== undefined && colon === pos + expected.length ? expected : text.slice(pos, colon),
          );
          current.values.push(value);
          pos = end + 1;
          continue;
        }
      }
    }
    const line = text.slice(pos, end);
    const entry = parseMapsLine(line);
    if (!entry)
      throw new ProcFormatError(file, lineNumber, `unrecognised smaps line: ${JSON.stringify(line)}`);
    finish();
    names = [];
    current = { ...entry, names, values: [], vmFlags: undefined };
    out.push(current);
    pos = end + 1;
  }
  finish();
  return out;
}
