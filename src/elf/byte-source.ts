/**
 * Where ELF bytes come from. Synchronous range reads, so the reader stays lazy without async plumbing:
 * the Node implementation (src/cli/file-source.ts) reads ranges of a descriptor on demand, the browser
 * wraps an in-memory buffer.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Bytes [offset, offset + length). Callers check bounds first (see ElfFile.read); a source may return
   * fewer bytes only if the underlying file shrank.
   */
  read(offset: number, length: number): Uint8Array;
}

/** A source over bytes already in memory (browser uploads, tests, archive members of small files). */
export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
}

/** A window [base, base + size) of another source: how an `ar` member is read without copying. */
export class SliceSource implements ByteSource {
  constructor(
    private readonly parent: ByteSource,
    readonly base: number,
    readonly size: number,
  ) {}
  read(offset: number, length: number): Uint8Array {
    return this.parent.read(this.base + offset, Math.min(length, Math.max(0, this.size - offset)));
  }
}
