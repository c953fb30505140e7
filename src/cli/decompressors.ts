import * as zlib from "node:zlib";
import { decompress as zstdDecompress } from "fzstd";
import { type Decompressors, ElfError, ElfErrorCode } from "../elf/index.js";

type ZlibWithZstd = { zstdDecompressSync?: (data: Uint8Array, options?: object) => Uint8Array };

/**
 * zlib streams may be concatenated inside one section (readelf.c's uncompress_section_contents
 * inflates, resets and goes on while input remains), so inflate one stream at a time and count the
 * input each consumed. The output may never exceed the size the header promised.
 */
function inflateAll(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let filled = 0;
  let input = data;
  while (input.length > 0) {
    const room = size - filled;
    const opts: zlib.ZlibOptions & { info: true } = { info: true, maxOutputLength: Math.max(room, 1) };
    const { buffer, engine } = zlib.inflateSync(input, opts) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    if (buffer.length > room) throw new Error("more data than the header says");
    out.set(buffer, filled);
    filled += buffer.length;
    const used = engine.bytesWritten;
    if (used <= 0 || used > input.length) break;
    input = input.subarray(used);
  }
  if (filled !== size) throw new Error(`decompressed ${filled} bytes, expected ${size}`);
  return out;
}

/** The Node decompressors: zlib from node:zlib; zstd only where this Node has it (22.15+). */
export function nodeDecompressors(): Decompressors {
  const zstd = (zlib as ZlibWithZstd).zstdDecompressSync;
  return {
    zlib: inflateAll,
    zstd(data, size) {
      // Node 22.15+ has zstd in node:zlib; Node 20 does not, so fzstd (pure JS) decodes it there.
      const out = zstd
        ? zstd(data, { maxOutputLength: Math.max(size, 1) })
        : zstdDecompress(data, new Uint8Array(size));
      if (out.length !== size) {
        throw new ElfError(
          ElfErrorCode.BadSize,
          "compressed section",
          undefined,
          `decompressed ${out.length} bytes, expected ${size}`,
        );
      }
      return out instanceof Uint8Array ? out : new Uint8Array(out);
    },
  };
}
