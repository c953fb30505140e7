import { latin1 } from "../elf/strings.js";

/**
 * /proc/PID/smaps as a table over its own bytes: a process with 10,000 mappings prints 7 MB of smaps
 * (250,000 `Key: value kB` lines). Reading it into objects and strings keeps the garbage collector
 * busier than the parsing, so this keeps positions and numbers in typed arrays, and renderers copy
 * the text they print straight from the bytes (pmap -X prints most columns verbatim).
 */

/** Positions kept per mapping (offsets into the bytes), in `marks[i * MARKS + MARK.*]`. */
export const MARKS = 8;
export const MARK = {
  LINE: 0,
  /** The `-` between start and end. */
  DASH: 1,
  PERMS: 2,
  OFFSET: 3,
  DEVICE: 4,
  INODE: 5,
  /** Where the path column starts (== END when there is none). */
  PATH: 6,
  /** The line's end (its newline or the end of the text). */
  END: 7,
} as const;

export interface SmapsTable {
  bytes: Uint8Array;
  count: number;
  marks: Int32Array;
  /** The field name lists seen, in kernel order; nearly always one list for every mapping. */
  schemas: string[][];
  schemaOf: Int32Array;
  /** Mapping i's values are values[valueBase[i] ... + schemas[schemaOf[i]].length]. */
  valueBase: Int32Array;
  values: Float64Array;
  /** VmFlags text as [start, end) byte positions, trimmed; -1 when the kernel did not print it. */
  vmFlags: Int32Array;
}

/** A line the parser does not understand, with its 1-based number. */
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

const SPACE = 32;
const TAB = 9;
const NEWLINE = 10;
const COLON = 58;
const DASH = 45;

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isKeyStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** A byte string's bytes (the inverse of byteString). */
export function stringBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Returns the position after a run of hex digits starting at `p` (p itself when there is none). */
function hexRun(b: Uint8Array, p: number, end: number): number {
  while (p < end && isHex(b[p]!)) p++;
  return p;
}

/**
 * Checks a maps line (`start-end perms offset major:minor inode   path`, proc(5)) and records its
 * column positions at marks[at ...]; false when the line is not one.
 */
export function markMapsLine(
  b: Uint8Array,
  start: number,
  end: number,
  marks: Int32Array,
  at: number,
): boolean {
  let p = hexRun(b, start, end);
  if (p === start || b[p] !== DASH) return false;
  const dash = p;
  p = hexRun(b, dash + 1, end);
  if (p === dash + 1 || b[p] !== SPACE) return false;
  const perms = ++p;
  while (p < end && b[p] !== SPACE) p++;
  if (p === perms || p === end) return false;
  const offset = ++p;
  p = hexRun(b, offset, end);
  if (p === offset || b[p] !== SPACE) return false;
  const device = ++p;
  p = hexRun(b, device, end);
  if (p === device || b[p] !== COLON) return false;
  const minor = ++p;
  p = hexRun(b, minor, end);
  if (p === minor || b[p] !== SPACE) return false;
  const inode = ++p;
  while (p < end && isDigit(b[p]!)) p++;
  if (p === inode || (p < end && b[p] !== SPACE)) return false;
  while (p < end && b[p] === SPACE) p++;
  marks[at + MARK.LINE] = start;
  marks[at + MARK.DASH] = dash;
  marks[at + MARK.PERMS] = perms;
  marks[at + MARK.OFFSET] = offset;
  marks[at + MARK.DEVICE] = device;
  marks[at + MARK.INODE] = inode;
  marks[at + MARK.PATH] = p;
  marks[at + MARK.END] = end;
  return true;
}

function grow<T extends Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const bigger = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  bigger.set(a);
  return bigger;
}

/** The position of the newline ending the line at p (or the text's end). */
function lineEnd(b: Uint8Array, p: number): number {
  while (p < b.length && b[p] !== NEWLINE) p++;
  return p;
}

/** Does a maps line (not a field line) start at p? Only the `hex-hex ` prefix is checked. */
function isMapsLine(b: Uint8Array, p: number): boolean {
  const dash = hexRun(b, p, b.length);
  if (dash === p || b[dash] !== DASH) return false;
  const space = hexRun(b, dash + 1, b.length);
  return space > dash + 1 && b[space] === SPACE;
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((n, k) => n === b[k]);

/** The value of the field line readField last accepted. */
let fieldRead = 0;

/**
 * A field line `Key:   123 kB` (or without " kB") whose key ends at `colon` (the caller has read the
 * key). Returns the position after the line, with the value in fieldRead, or -1 when it is not one.
 */
function readField(b: Uint8Array, key: number, colon: number): number {
  if (b[colon] !== COLON || colon === key) return -1;
  let i = colon + 1;
  // The kernel pads values to a column: skip the spaces four at a time.
  const words = wordView;
  if (words) while (i + 4 <= b.length && words.getUint32(i, true) === FOUR_SPACES) i += 4;
  while (b[i] === SPACE || b[i] === TAB) i++;
  const digits = i;
  let value = 0;
  for (let c = b[i]!; c >= 48 && c <= 57; c = b[++i]!) value = value * 10 + (c - 48);
  if (i === digits) return -1;
  if (b[i] === SPACE && b[i + 1] === 107 && b[i + 2] === 66) i += 3; // " kB"
  if (i < b.length && b[i] !== NEWLINE) return -1;
  fieldRead = value;
  return i + 1;
}

/** The bytes being parsed, read four at a time where that is worth it (set by parseSmapsTable). */
let wordView: DataView | undefined;
const FOUR_SPACES = 0x20202020;

/** Where readKnownFields stopped. */
let runEnd = 0;

/**
 * Reads consecutive field lines named names[from], names[from + 1] ... into values[at ...]; returns
 * how many (0 when the first line is another field), with the position after them in runEnd.
 */
function readKnownFields(
  b: Uint8Array,
  pos: number,
  names: readonly string[],
  from: number,
  values: Float64Array,
  at: number,
): number {
  let k = from;
  for (; k < names.length; k++) {
    const name = names[k]!;
    if (!keyIs(b, pos, name)) break;
    const next = readField(b, pos, pos + name.length);
    if (next < 0) break;
    values[at++] = fieldRead;
    pos = next;
  }
  runEnd = pos;
  return k - from;
}

/** Does bytes[p ...] spell `name` followed by a colon? */
function keyIs(b: Uint8Array, p: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) if (b[p + k] !== name.charCodeAt(k)) return false;
  return b[p + name.length] === COLON;
}

/**
 * `kind` names the file in errors: /proc/PID/maps is read by the same parser (maps lines without
 * field lines).
 */
export function parseSmapsTable(
  bytes: Uint8Array,
  file = "smaps",
  kind: "maps" | "smaps" = "smaps",
): SmapsTable {
  const n = bytes.length;
  wordView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Sized from the text so they rarely grow: the kernel prints about 800 bytes per mapping, and no
  // field line is shorter than 16 bytes.
  let capacity = Math.max(64, n >> 9);
  let marks = new Int32Array(capacity * MARKS);
  let schemaOf = new Int32Array(capacity);
  let valueBase = new Int32Array(capacity);
  let vmFlags = new Int32Array(capacity * 2);
  let values = new Float64Array(Math.max(256, n >> 4));
  const schemas: string[][] = [];
  let count = 0;
  let nValues = 0;
  // The previous mapping's field names: the current one is compared with it as it is read.
  let schema: string[] = [];
  let schemaIndex = -1;
  let seen = 0;
  let diverged: string[] | undefined;

  const finish = (): void => {
    if (count === 0) return;
    if (diverged || seen !== schema.length || schemaIndex < 0) {
      const names = diverged ?? schema.slice(0, seen);
      schemaIndex = schemas.findIndex((s) => sameNames(s, names));
      if (schemaIndex < 0) schemaIndex = schemas.push(names) - 1;
      schema = schemas[schemaIndex]!;
    }
    schemaOf[count - 1] = schemaIndex;
    seen = 0;
    diverged = undefined;
  };

  let lineNumber = 0;
  for (let pos = 0; pos < n; ) {
    lineNumber++;
    const first = bytes[pos]!;
    // Field lines (`Rss:   4 kB`): 25 of every 26 lines. Those that repeat the previous mapping's
    // fields are read in a run by a small function, which V8 optimises early (this large loop would
    // run unoptimised while it compiles).
    if (count > 0 && isKeyStart(first) && !(isHex(first) && isMapsLine(bytes, pos))) {
      if (!diverged && seen < schema.length) {
        if (nValues + schema.length > values.length) values = grow(values, nValues + schema.length);
        const read = readKnownFields(bytes, pos, schema, seen, values, nValues);
        if (read > 0) {
          seen += read;
          nValues += read;
          lineNumber += read - 1;
          pos = runEnd;
          continue;
        }
      }
      if (keyIs(bytes, pos, "VmFlags")) {
        const end = lineEnd(bytes, pos);
        let a = pos + 8;
        let z = end;
        while (a < z && (bytes[a] === SPACE || bytes[a] === TAB)) a++;
        while (z > a && (bytes[z - 1] === SPACE || bytes[z - 1] === TAB)) z--;
        vmFlags[(count - 1) * 2] = a;
        vmFlags[(count - 1) * 2 + 1] = z;
        pos = end + 1;
        continue;
      }
      // Not the field the previous mapping had here: find its colon and remember its name.
      let colon = pos;
      while (colon < n && bytes[colon] !== COLON && bytes[colon] !== NEWLINE) colon++;
      const next = readField(bytes, pos, colon);
      if (next >= 0) {
        diverged ??= schema.slice(0, seen);
        diverged.push(latin1(bytes, pos, colon));
        seen++;
        if (nValues === values.length) values = grow(values, nValues + 1);
        values[nValues++] = fieldRead;
        pos = next;
        continue;
      }
    }
    const end = lineEnd(bytes, pos);
    if (count >= capacity) {
      capacity *= 2;
      marks = grow(marks, capacity * MARKS);
      schemaOf = grow(schemaOf, capacity);
      valueBase = grow(valueBase, capacity);
      vmFlags = grow(vmFlags, capacity * 2);
    }
    if (!markMapsLine(bytes, pos, end, marks, count * MARKS)) {
      wordView = undefined;
      throw new ProcFormatError(
        file,
        lineNumber,
        `unrecognised ${kind} line: ${JSON.stringify(latin1(bytes, pos, Math.min(end, pos + 200)))}`,
      );
    }
    finish();
    valueBase[count] = nValues;
    vmFlags[count * 2] = -1;
    vmFlags[count * 2 + 1] = -1;
    count++;
    pos = end + 1;
  }
  finish();
  wordView = undefined;
  return { bytes, count, marks, schemas, schemaOf, valueBase, values, vmFlags };
}
