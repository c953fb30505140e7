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

/** A mapping of /proc/PID/smaps: the maps line plus its `Key: value kB` fields in kernel order. */
export interface SmapsEntry extends MapsEntry {
  fields: { name: string; valueText: string; value: bigint }[];
  /** The VmFlags line's two-letter flags, when the kernel prints it. */
  vmFlags: string | undefined;
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

const FIELD_LINE = /^([A-Za-z_][A-Za-z0-9_]*):\s+(\d+) kB$/;

export function parseSmaps(text: string, file = "smaps"): SmapsEntry[] {
  const out: SmapsEntry[] = [];
  let current: SmapsEntry | undefined;
  lines(text).forEach((line, i) => {
    const field = FIELD_LINE.exec(line);
    if (field && current) {
      current.fields.push({ name: field[1]!, valueText: field[2]!, value: BigInt(field[2]!) });
      return;
    }
    if (line.startsWith("VmFlags:") && current) {
      current.vmFlags = line.slice(8).trim();
      return;
    }
    const entry = parseMapsLine(line);
    if (entry) {
      current = { ...entry, fields: [], vmFlags: undefined };
      out.push(current);
      return;
    }
    // Other `Key: value` lines (THPeligible: 0, ProtectionKey: 0) carry no kB unit.
    const plain = /^([A-Za-z_][A-Za-z0-9_]*):\s+(\d+)$/.exec(line);
    if (plain && current) {
      current.fields.push({ name: plain[1]!, valueText: plain[2]!, value: BigInt(plain[2]!) });
      return;
    }
    throw new ProcFormatError(file, i + 1, `unrecognised smaps line: ${JSON.stringify(line)}`);
  });
  return out;
}
