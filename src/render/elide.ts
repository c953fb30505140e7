/**
 * Shortening names to a column at their boundaries: a path loses leading directories, a list loses
 * trailing items, and what was dropped is marked. Only a single part too long for the column on its
 * own is cut inside, in the middle, so that its start and its suffix (`.so.6`) stay.
 *
 * Text is a byte string (see output.ts), so widths are counted in characters as a terminal shows them:
 * a UTF-8 sequence is one column, and the marker `…` is its three UTF-8 bytes.
 */

/** U+2026 as UTF-8 bytes. */
export const ELLIPSIS = "\u00e2\u0080\u00a6";

export interface ElideOptions {
  /** What marks the cut (`…` unless the output counts bytes, not columns: then `...`). */
  ellipsis?: string;
}

const isContinuation = (s: string, i: number): boolean => (s.charCodeAt(i) & 0xc0) === 0x80;

/** Terminal columns of a byte string: bytes that do not continue a UTF-8 sequence. */
export function columns(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (!isContinuation(s, i)) n++;
  return n;
}

/** padEnd by columns. */
export function padColumns(s: string, width: number): string {
  const n = columns(s);
  return n >= width ? s : s + " ".repeat(width - n);
}

/** The first `n` columns of s (whole UTF-8 sequences). */
function head(s: string, n: number): string {
  let i = 0;
  for (let seen = 0; i < s.length; i++) if (!isContinuation(s, i) && seen++ === n) break;
  return s.slice(0, i);
}

/** The last `n` columns of s (whole UTF-8 sequences). */
function tail(s: string, n: number): string {
  let i = s.length;
  for (let seen = 0; i > 0 && seen < n; ) if (!isContinuation(s, --i)) seen++;
  return s.slice(i);
}

/** One word cut in the middle to `width` columns: `_struct.cp…nux-gnu.so`. */
function elideWord(word: string, width: number, mark: string): string {
  if (columns(word) <= width) return word;
  const room = width - columns(mark);
  if (room < 2) return head(word, width);
  const end = Math.floor(room / 2);
  return `${head(word, room - end)}${mark}${tail(word, end)}`;
}

/**
 * A path in at most `width` columns, keeping whole trailing components after a leading `…/`:
 * `/usr/lib/x86_64-linux-gnu/libc.so.6` in 28 is `…/x86_64-linux-gnu/libc.so.6`.
 */
export function elidePath(path: string, width: number, opts: ElideOptions = {}): string {
  if (columns(path) <= width) return path;
  const mark = opts.ellipsis ?? ELLIPSIS;
  const parts = path.split("/");
  const last = parts[parts.length - 1]!;
  let kept = parts.length - 1;
  let text = last;
  // Prepend whole components while the marker, a slash and the tail still fit.
  while (kept > 1 && columns(`${mark}/${parts[kept - 1]}/${text}`) <= width)
    text = `${parts[--kept]}/${text}`;
  if (kept > 0) text = `${mark}/${text}`;
  return columns(text) <= width ? text : elideWord(last, width, mark);
}

/**
 * Items joined by `separator` in at most `width` columns, keeping whole leading items and saying how
 * many were left out: `.tdata .tbss .init_array +4 more` (the marker when not even `+N more` fits).
 */
export function elideList(
  items: readonly string[],
  width: number,
  separator = " ",
  opts: ElideOptions = {},
): string {
  const all = items.join(separator);
  if (columns(all) <= width) return all;
  for (let kept = items.length - 1; kept >= 0; kept--) {
    const more = `+${items.length - kept} more`;
    const text = kept > 0 ? `${items.slice(0, kept).join(separator)}${separator}${more}` : more;
    if (columns(text) <= width) return text;
  }
  const mark = opts.ellipsis ?? ELLIPSIS;
  return columns(mark) <= width ? mark : "";
}
