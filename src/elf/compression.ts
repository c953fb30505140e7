import { ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD, SHF_COMPRESSED, SHT_NOBITS } from "./constants.js";
import { ElfError, ElfErrorCode } from "./errors.js";
import type { ElfFile } from "./file.js";
import type { SectionHeader } from "./section.js";

/**
 * Decompressors are injected: src/elf runs in browsers and may not import node:zlib. Each takes the
 * compressed stream and the exact expected output size and returns exactly that many bytes, or
 * throws. The CLI's implementation is src/cli/decompressors.ts.
 */
export interface Decompressors {
  zlib(data: Uint8Array, size: number): Uint8Array;
  zstd?(data: Uint8Array, size: number): Uint8Array;
}

/** Elf32_Chdr / Elf64_Chdr (gABI "Section Compression"). */
export interface CompressionHeader {
  ch_type: number;
  ch_size: bigint;
  ch_addralign: bigint;
  /** Bytes taken by the header: 12 (ELFCLASS32) or 24 (ELFCLASS64). */
  headerSize: number;
}

/** Refuse outputs above this size, or above this ratio to the compressed size: a hostile ch_size must not allocate. */
export const MAX_DECOMPRESSED_SIZE = 1n << 30n;
export const MAX_COMPRESSION_RATIO = 1000n;

/** Parses the compression header at the start of a SHF_COMPRESSED section's bytes; undefined when too short. */
export function parseCompressionHeader(
  bytes: Uint8Array,
  is64: boolean,
  littleEndian: boolean,
): CompressionHeader | undefined {
  const size = is64 ? 24 : 12;
  if (bytes.length < size) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  if (is64) {
    // Elf64_Chdr: ch_type (Word), ch_reserved (Word), ch_size (Xword), ch_addralign (Xword)
    return {
      ch_type: view.getUint32(0, littleEndian),
      ch_size: view.getBigUint64(8, littleEndian),
      ch_addralign: view.getBigUint64(16, littleEndian),
      headerSize: size,
    };
  }
  return {
    ch_type: view.getUint32(0, littleEndian),
    ch_size: BigInt(view.getUint32(4, littleEndian)),
    ch_addralign: BigInt(view.getUint32(8, littleEndian)),
    headerSize: size,
  };
}

/** The legacy GNU ".zdebug" form: "ZLIB" then the size as 8 big-endian bytes, then a zlib stream. */
export function parseZlibGnuHeader(bytes: Uint8Array): bigint | undefined {
  if (bytes.length <= 12 || bytes[0] !== 0x5a || bytes[1] !== 0x4c || bytes[2] !== 0x49 || bytes[3] !== 0x42)
    return undefined;
  if (bytes[4] !== 0) return undefined; // readelf compares the C string "ZLIB": the 5th byte must end it
  let size = 0n;
  for (let i = 4; i < 12; i++) size = (size << 8n) | BigInt(bytes[i]!);
  return size;
}

function checkSize(size: bigint, compressed: number, structure: string): number {
  if (size > MAX_DECOMPRESSED_SIZE || size > BigInt(Math.max(compressed, 1)) * MAX_COMPRESSION_RATIO) {
    throw new ElfError(
      ElfErrorCode.BadSize,
      structure,
      undefined,
      `decompressed size ${size} is not plausible for ${compressed} compressed bytes`,
    );
  }
  return Number(size);
}

/** Runs one decompressor and checks that it produced exactly `size` bytes. */
export function decompress(
  ch_type: number,
  data: Uint8Array,
  size: bigint,
  decompressors: Decompressors,
  structure: string,
): Uint8Array {
  const n = checkSize(size, data.length, structure);
  let out: Uint8Array;
  if (ch_type === ELFCOMPRESS_ZLIB) {
    out = decompressors.zlib(data, n);
  } else if (ch_type === ELFCOMPRESS_ZSTD) {
    if (!decompressors.zstd)
      throw new ElfError(ElfErrorCode.Unsupported, structure, undefined, "zstd decompression unavailable");
    out = decompressors.zstd(data, n);
  } else {
    throw new ElfError(
      ElfErrorCode.Unsupported,
      structure,
      undefined,
      `unsupported compression type ${ch_type}`,
    );
  }
  if (out.length !== n) {
    throw new ElfError(
      ElfErrorCode.BadSize,
      structure,
      undefined,
      `decompressed to ${out.length} bytes, the header says ${n}`,
    );
  }
  return out;
}

/**
 * A section's contents as a program would see them: SHF_COMPRESSED sections (and legacy "ZLIB"
 * .zdebug sections) decompressed; others as stored. Throws ElfError on any failure.
 */
export function sectionContents(file: ElfFile, sh: SectionHeader, decompressors: Decompressors): Uint8Array {
  if (sh.sh_type === SHT_NOBITS) return new Uint8Array(0);
  const raw = file.sectionData(sh);
  const structure = file.describeSection(sh);
  if ((sh.sh_flags & SHF_COMPRESSED) !== 0n) {
    const chdr = parseCompressionHeader(raw, file.is64, file.littleEndian);
    if (!chdr) {
      throw new ElfError(
        ElfErrorCode.Truncated,
        structure,
        sh.sh_offset,
        "compressed section is too small even for a compression header",
      );
    }
    return decompress(chdr.ch_type, raw.subarray(chdr.headerSize), chdr.ch_size, decompressors, structure);
  }
  const legacy = parseZlibGnuHeader(raw);
  if (legacy !== undefined)
    return decompress(ELFCOMPRESS_ZLIB, raw.subarray(12), legacy, decompressors, structure);
  return raw;
}
