// The listing's output, built as bytes: a disassembly is millions of short lines (an address, a few
// hex bytes, an instruction), and joining them as strings costs more than decoding them. Text is in
// byte strings (one char per byte, as everywhere in anatomy), so names reach the output as stored.

export interface Writer {
  write(s: string): void;
  /** Raw bytes, when the output takes them (the CLI's file descriptors), used before it returns. */
  writeBytes?(bytes: Uint8Array): void;
}

const HEX_DIGITS = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const SPACE = 32;

export class LineBuffer {
  private buf = new Uint8Array(1 << 17);
  private pos = 0;

  /** Whether enough is built to hand to the output. */
  get full(): boolean {
    return this.pos >= 1 << 16;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  text(s: string): void {
    this.reserve(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Text kept in a pool (TextPool). */
  pooled(t: PooledText): void {
    const n = t.length;
    this.reserve(n);
    const buf = this.buf;
    const pool = t.pool;
    let p = this.pos;
    for (let i = t.start, end = t.start + n; i < end; i++) buf[p++] = pool[i] as number;
    this.pos = p;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.pos++] = c;
  }

  spaces(n: number): void {
    if (n <= 0) return;
    this.reserve(n);
    const buf = this.buf;
    let p = this.pos;
    for (const end = p + n; p < end; p++) buf[p] = SPACE;
    this.pos = p;
  }

  /** A byte as two hex digits and a space, as objdump's raw-bytes column shows it. */
  rawByte(b: number): void {
    this.reserve(3);
    const buf = this.buf;
    buf[this.pos] = HEX_DIGITS[b >> 4] as number;
    buf[this.pos + 1] = HEX_DIGITS[b & 15] as number;
    buf[this.pos + 2] = SPACE;
    this.pos += 3;
  }

  /**
   * The raw column of an instruction's first line: `count` bytes of `data` from `at` as two hex digits
   * and a space each, blanks up to `width` bytes, then a tab.
   */
  rawColumn(data: Uint8Array, at: number, count: number, width: number): void {
    const n = Math.max(count, width) * 3 + 1;
    this.reserve(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = at, end = at + count; i < end; i++) {
      const b = data[i] as number;
      buf[p] = HEX_DIGITS[b >> 4] as number;
      buf[p + 1] = HEX_DIGITS[b & 15] as number;
      buf[p + 2] = SPACE;
      p += 3;
    }
    for (let k = count; k < width; k++, p += 3) buf[p] = buf[p + 1] = buf[p + 2] = SPACE;
    buf[p++] = 9;
    this.pos = p;
  }

  /**
   * The raw column of an instruction of `length` bytes of which only `shown` are printed (the rest are
   * past the next label): each missing byte leaves just its separating space.
   */
  rawColumnCut(data: Uint8Array, at: number, shown: number, length: number, width: number): void {
    this.rawColumn(data, at, shown, 0);
    this.pos--; // rawColumn ended with the tab
    this.spaces(length - shown + (width - length) * 3);
    this.byte(9);
  }

  /** A non-negative integer below 2^53 in hex, right-aligned in `width` columns with spaces. */
  hexRight(v: number, width: number): void {
    let digits = 1;
    for (let rest = Math.floor(v / 16); rest > 0; rest = Math.floor(rest / 16)) digits++;
    this.spaces(width - digits);
    this.reserve(digits);
    const buf = this.buf;
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      const q = Math.floor(v / 16);
      buf[i] = HEX_DIGITS[v - q * 16] as number;
      v = q;
    }
    this.pos += digits;
  }

  /** Hands what is built to `out` and starts again. */
  flushTo(out: Writer): void {
    if (this.pos === 0) return;
    const bytes = this.buf.subarray(0, this.pos);
    if (out.writeBytes) {
      out.writeBytes(bytes);
    } else {
      out.write(latin1String(bytes));
    }
    this.pos = 0;
  }
}

/** Text kept as bytes: `length` bytes of `pool` from `start`. */
export interface PooledText {
  readonly pool: Uint8Array;
  readonly start: number;
  readonly length: number;
}

/**
 * Texts kept as bytes in one block: a cache of millions of short texts as one typed array each would
 * cost V8 far more than the bytes (a typed array is a heap object and a buffer). When the block is
 * full, `full` is called (its owner forgets every text it kept) and a new block starts, so the pool
 * never holds more than a block and the text being written.
 */
export class TextPool {
  private block = new Uint8Array(POOL_BLOCK);
  private used = 0;

  constructor(private readonly full: () => void) {}

  add(s: string): PooledText {
    if (this.used + s.length > this.block.length) {
      this.full();
      this.block = new Uint8Array(Math.max(POOL_BLOCK, s.length));
      this.used = 0;
    }
    const block = this.block;
    const start = this.used;
    for (let i = 0; i < s.length; i++) block[start + i] = s.charCodeAt(i);
    this.used += s.length;
    return { pool: block, start, length: s.length };
  }
}

const POOL_BLOCK = 1 << 22;

/** A pooled text as a string. */
export function pooledString(t: PooledText): string {
  return latin1String(t.pool.subarray(t.start, t.start + t.length));
}

export function latin1String(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192)
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  return s;
}
