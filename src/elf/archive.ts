import { type ByteSource, SliceSource } from "./byte-source.js";
import { ElfError, ElfErrorCode } from "./errors.js";
import { latin1 } from "./strings.js";

/** `ar` archives (System V / GNU format): the container of static libraries. */
export const ARMAG = "!<arch>\n";
export const ARMAG_THIN = "!<thin>\n";
const AR_HDR_SIZE = 60;

export interface ArchiveMember {
  /** Resolved name (long names looked up, trailing `/` removed). */
  name: string;
  /** File offset of the member's 60-byte header. */
  headerOffset: number;
  /** File offset of the member's data; for a thin archive the data lives in the file named `name`. */
  dataOffset: number;
  size: number;
  /** The member's bytes, or undefined for a thin archive's members. */
  source: ByteSource | undefined;
}

export interface ArchiveSymbol {
  name: string;
  /** Header offset of the member that defines it. */
  memberOffset: number;
}

export interface Archive {
  thin: boolean;
  members: ArchiveMember[];
  /** The armap ("/" or "/SYM64/" member), if present. */
  symbols: ArchiveSymbol[] | undefined;
  /** Size in bytes of the armap member's data. */
  symbolTableSize: number;
}

export function isArchive(source: ByteSource): boolean {
  if (source.size < 8) return false;
  const magic = latin1(source.read(0, 8));
  return magic === ARMAG || magic === ARMAG_THIN;
}

function field(hdr: Uint8Array, start: number, len: number): string {
  return latin1(hdr, start, start + len).trimEnd();
}

/** Reads the member headers (not their contents). Every step is bounded by the archive's size. */
export function parseArchive(source: ByteSource): Archive {
  if (!isArchive(source)) {
    throw new ElfError(ElfErrorCode.NotElf, "archive header", 0, "not an archive");
  }
  const thin = latin1(source.read(0, 8)) === ARMAG_THIN;
  const members: ArchiveMember[] = [];
  let longNames: Uint8Array | undefined;
  let symbols: ArchiveSymbol[] | undefined;
  let symbolTableSize = 0;
  let pos = 8;
  while (pos + AR_HDR_SIZE <= source.size) {
    const hdr = source.read(pos, AR_HDR_SIZE);
    if (hdr[58] !== 0x60 || hdr[59] !== 0x0a) {
      throw new ElfError(
        ElfErrorCode.BadValue,
        "archive member header",
        pos,
        "malformed archive header: bad terminator",
      );
    }
    const rawName = field(hdr, 0, 16);
    const sizeText = field(hdr, 48, 10);
    const size = /^\d+$/.test(sizeText) ? Number(sizeText) : Number.NaN;
    if (!Number.isFinite(size)) {
      throw new ElfError(
        ElfErrorCode.BadValue,
        "archive member header",
        pos,
        `malformed archive header: size '${sizeText}'`,
      );
    }
    const dataOffset = pos + AR_HDR_SIZE;
    const special = rawName === "/" || rawName === "/SYM64/" || rawName === "//";
    // Thin archives store the armap and long-name table inline but no member data.
    const stored = thin && !special ? 0 : size;
    if (dataOffset + stored > source.size) {
      throw new ElfError(
        ElfErrorCode.Truncated,
        "archive member",
        pos,
        `member of ${size} bytes runs past the end of the archive`,
      );
    }
    if (rawName === "/" || rawName === "/SYM64/") {
      symbols = parseArmap(source.read(dataOffset, size), rawName === "/SYM64/" ? 8 : 4, dataOffset);
      symbolTableSize = size;
    } else if (rawName === "//") {
      longNames = source.read(dataOffset, size);
    } else {
      members.push({
        name: memberName(rawName, longNames, pos),
        headerOffset: pos,
        dataOffset,
        size,
        source: thin ? undefined : new SliceSource(source, dataOffset, size),
      });
    }
    pos = dataOffset + stored + (stored & 1);
  }
  return { thin, members, symbols, symbolTableSize };
}

function memberName(raw: string, longNames: Uint8Array | undefined, at: number): string {
  const m = /^\/(\d+)/.exec(raw);
  if (m) {
    const off = Number(m[1]);
    if (!longNames || off >= longNames.length) {
      throw new ElfError(
        ElfErrorCode.BadIndex,
        "archive long name table",
        at,
        `long name offset ${off} is out of range`,
      );
    }
    let end = off;
    while (end < longNames.length && longNames[end] !== 0x0a && longNames[end] !== 0) end++;
    let name = latin1(longNames, off, end);
    if (name.endsWith("/")) name = name.slice(0, -1);
    return name;
  }
  return raw.endsWith("/") ? raw.slice(0, -1) : raw;
}

/** The armap: big-endian count, count member offsets, then count NUL-terminated names. */
function parseArmap(bytes: Uint8Array, width: 4 | 8, base: number): ArchiveSymbol[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (at: number): number => (width === 8 ? Number(view.getBigUint64(at)) : view.getUint32(at));
  if (bytes.length < width)
    throw new ElfError(ElfErrorCode.Truncated, "archive symbol table", base, "too short");
  const count = read(0);
  if (count > (bytes.length - width) / width) {
    throw new ElfError(
      ElfErrorCode.BadCount,
      "archive symbol table",
      base,
      `${count} entries do not fit in ${bytes.length} bytes`,
    );
  }
  const out: ArchiveSymbol[] = [];
  let s = width + count * width;
  for (let i = 0; i < count; i++) {
    let end = bytes.indexOf(0, s);
    if (end < 0) end = bytes.length;
    out.push({ name: latin1(bytes, s, end), memberOffset: read(width + i * width) });
    s = end + 1;
  }
  return out;
}
