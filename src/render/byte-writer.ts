import { latin1 } from "../elf/strings.js";
import type { Output } from "./output.js";

/**
 * Output built as bytes: for renderers that copy most of their text from input bytes (pmap -X prints
 * smaps columns verbatim), so 10,000 rows cost no strings.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;
  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }
  /** Makes room for n more bytes (the writers below also check, so this is only an optimisation). */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }
  /** A byte string (one char per byte). */
  text(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }
  byte(c: number): void {
    this.reserve(1);
    this.buf[this.pos++] = c;
  }
  spaces(n: number): void {
    this.repeat(32, n);
  }
  repeat(c: number, n: number): void {
    if (n <= 0) return;
    this.reserve(n);
    // Columns are a few bytes wide: a loop beats a call into fill().
    const buf = this.buf;
    let p = this.pos;
    for (const end = p + n; p < end; p++) buf[p] = c;
    this.pos = p;
  }
  /** from[start, end), copied (a loop: no subarray view per short column). */
  copy(from: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.reserve(end - start);
    const buf = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) buf[p++] = from[i]!;
    this.pos = p;
  }
  /** from[start, end) right-aligned in `width` columns, padded with `pad` (a space, or '0' for hex). */
  copyRight(from: Uint8Array, start: number, end: number, width: number, pad = 32): void {
    this.repeat(pad, width - (end - start));
    this.copy(from, start, end);
  }
  /** A non-negative integer (exact below 2^53) right-aligned in `width` columns. */
  numberRight(v: number, width: number): void {
    if (v < 10) {
      // Most smaps values are 0: one digit.
      this.spaces(width - 1);
      this.byte(48 + v);
      return;
    }
    const n = decimalDigits(v);
    this.spaces(width - n);
    this.reserve(n);
    for (let i = this.pos + n - 1; i >= this.pos; i--) {
      const q = Math.floor(v / 10);
      this.buf[i] = 48 + (v - q * 10);
      v = q;
    }
    this.pos += n;
  }
  /** Writes what was built to `out` and starts again. */
  flushTo(out: Output): void {
    const bytes = this.buf.subarray(0, this.pos);
    if (out.writeBytes) out.writeBytes(bytes);
    else out.write(latin1(bytes));
    this.buf = new Uint8Array(1 << 16);
    this.pos = 0;
  }
}

/** Decimal digits of a non-negative integer, without making its string. */
export function decimalDigits(v: number): number {
  let n = 1;
  while (v >= 10) {
    v = Math.floor(v / 10);
    n++;
  }
  return n;
}
