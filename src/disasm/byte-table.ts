// A hash table keyed by short byte strings (one instruction's bytes, at most 15), read without making
// a key object: the disassembler looks up every instruction, millions per file, and a Map keyed by
// strings or large numbers allocates one per lookup. Open addressing over typed arrays; when it is
// full it starts again empty, which bounds its memory.

const NONE = -1;

export class ByteTable<T> {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly starts: Int32Array;
  private readonly lengths: Uint8Array;
  private readonly pool: Uint8Array;
  private readonly values: T[] = [];
  private used = 0;
  private poolUsed = 0;

  /** `capacity` entries of up to `maxKey` bytes each. */
  constructor(
    private readonly capacity: number,
    private readonly maxKey = 16,
  ) {
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.slots = new Int32Array(size).fill(NONE);
    this.mask = size - 1;
    this.starts = new Int32Array(capacity);
    this.lengths = new Uint8Array(capacity);
    this.pool = new Uint8Array(capacity * maxKey);
  }

  get size(): number {
    return this.used;
  }

  get(bytes: Uint8Array, from: number, to: number): T | undefined {
    let slot = hash(bytes, from, to) & this.mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === NONE) return undefined;
      if (this.matches(entry, bytes, from, to)) return this.values[entry];
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds a key not in the table (the caller looked it up first). */
  add(bytes: Uint8Array, from: number, to: number, value: T): void {
    const length = to - from;
    if (length > this.maxKey) return;
    if (this.used === this.capacity) this.clear();
    let slot = hash(bytes, from, to) & this.mask;
    while (this.slots[slot] !== NONE) slot = (slot + 1) & this.mask;
    const entry = this.used++;
    this.slots[slot] = entry;
    this.starts[entry] = this.poolUsed;
    this.lengths[entry] = length;
    this.pool.set(bytes.subarray(from, to), this.poolUsed);
    this.poolUsed += length;
    this.values[entry] = value;
  }

  clear(): void {
    this.slots.fill(NONE);
    this.values.length = 0;
    this.used = 0;
    this.poolUsed = 0;
  }

  private matches(entry: number, bytes: Uint8Array, from: number, to: number): boolean {
    if (this.lengths[entry] !== to - from) return false;
    let at = this.starts[entry] as number;
    for (let i = from; i < to; i++, at++) if (this.pool[at] !== bytes[i]) return false;
    return true;
  }
}

/** FNV-1a over the bytes. */
function hash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
