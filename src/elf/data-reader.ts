import { ElfError, ElfErrorCode } from "./errors.js";

/**
 * Positional, endian-aware reads over one chunk of the file. Every read is bounds-checked here, in one
 * place; `base` is the chunk's file offset so errors report real file offsets.
 */
export class DataReader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    readonly base: number,
    readonly structure: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  private check(offset: number, size: number): void {
    if (offset < 0 || offset + size > this.bytes.length) {
      throw new ElfError(
        ElfErrorCode.Truncated,
        this.structure,
        this.base + offset,
        `read of ${size} bytes past the end (${this.bytes.length} bytes available)`,
      );
    }
  }

  u8(offset: number): number {
    this.check(offset, 1);
    return this.bytes[offset]!;
  }
  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, this.littleEndian);
  }
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, this.littleEndian);
  }
  i32(offset: number): number {
    this.check(offset, 4);
    return this.view.getInt32(offset, this.littleEndian);
  }
  u64(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset, this.littleEndian);
  }
  i64(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigInt64(offset, this.littleEndian);
  }
  /** An ELF "word of the class": Elf32_Addr/Off/Word as u32, Elf64 as u64; always a bigint. */
  word(offset: number, is64: boolean): bigint {
    return is64 ? this.u64(offset) : BigInt(this.u32(offset));
  }
  /** Signed class word (Elf32_Sword / Elf64_Sxword), e.g. d_tag and r_addend. */
  sword(offset: number, is64: boolean): bigint {
    return is64 ? this.i64(offset) : BigInt(this.i32(offset));
  }
}
