/**
 * ELF strings are bytes, not UTF-8: decode each byte to the char code of the same value (Latin-1), so
 * renderers that must be byte-identical to binutils write them back unchanged.
 */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const CHUNK = 8192;
  if (end - start <= CHUNK)
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  let out = "";
  for (let i = start; i < end; i += CHUNK) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[],
    );
  }
  return out;
}

/** A string table section (SHT_STRTAB): NUL-terminated strings addressed by byte offset. */
export class StringTable {
  constructor(readonly bytes: Uint8Array) {}

  /** The string at `offset`, or undefined when the offset lies outside the table. */
  get(offset: number): string | undefined {
    if (offset < 0 || offset >= this.bytes.length) return undefined;
    let end = this.bytes.indexOf(0, offset);
    if (end < 0) end = this.bytes.length;
    return latin1(this.bytes, offset, end);
  }
}
