import { DataReader } from "../elf/data-reader.js";
import { ElfError, ElfErrorCode } from "../elf/errors.js";
import { latin1 } from "../elf/strings.js";

/**
 * /etc/ld.so.cache as written by glibc's ldconfig (sysdeps/generic/dl-cache.h): the old `ld.so-1.7.0`
 * table, the new `glibc-ld.so.cache1.1` table (alone, or after the old one at an 8-byte aligned offset),
 * and the new format's extension directory (generator string, glibc-hwcaps subdirectory names).
 */

const OLD_MAGIC = "ld.so-1.7.0";
const NEW_MAGIC = "glibc-ld.so.cache1.1";
const OLD_HEADER = 16; // char magic[11], pad to 12, u32 nlibs
const OLD_ENTRY = 12; // i32 flags, u32 key, u32 value
const NEW_HEADER = 48;
const NEW_ENTRY = 24; // i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap
const EXTENSION_MAGIC = 0xeaa42174;
const EXTENSION_TAG_GENERATOR = 0;
const EXTENSION_TAG_GLIBC_HWCAPS = 1;

/** DL_CACHE_HWCAP_EXTENSION: the entry lives in a glibc-hwcaps subdirectory (low 32 bits index the names). */
export const DL_CACHE_HWCAP_EXTENSION = 1n << 62n;
/** Number of ISA level bits just above bit 32 (DL_CACHE_HWCAP_ISA_LEVEL_COUNT). */
const ISA_LEVEL_MASK = (1n << 10n) - 1n;

/** ldconfig's FLAG_* values (elf/ldconfig.h, sysdeps/generic/ldconfig.h). Low byte: type; next: arch. */
export const CacheFlag = {
  ELF: 0x0001,
  ELF_LIBC5: 0x0002,
  ELF_LIBC6: 0x0003,
  TYPE_MASK: 0x00ff,
  SPARC_LIB64: 0x0100,
  IA64_LIB64: 0x0200,
  X8664_LIB64: 0x0300,
  S390_LIB64: 0x0400,
  POWERPC_LIB64: 0x0500,
  MIPS64_LIBN32: 0x0600,
  MIPS64_LIBN64: 0x0700,
  X8664_LIBX32: 0x0800,
  ARM_LIBHF: 0x0900,
  AARCH64_LIB64: 0x0a00,
  ARM_LIBSF: 0x0b00,
  MIPS_LIB32_NAN2008: 0x0c00,
  MIPS64_LIBN32_NAN2008: 0x0d00,
  MIPS64_LIBN64_NAN2008: 0x0e00,
  RISCV_FLOAT_ABI_SOFT: 0x0f00,
  RISCV_FLOAT_ABI_DOUBLE: 0x1000,
  LARCH_FLOAT_ABI_SOFT: 0x1100,
  LARCH_FLOAT_ABI_DOUBLE: 0x1200,
} as const;

const ARCH_NAMES: Record<number, string> = {
  256: "64bit",
  512: "IA-64",
  768: "x86-64",
  1024: "64bit",
  1280: "64bit",
  1536: "N32",
  1792: "64bit",
  2048: "x32",
  2304: "hard-float",
  2560: "AArch64",
  2816: "soft-float",
  3072: "nan2008",
  3328: "N32,nan2008",
  3584: "64bit,nan2008",
  3840: "soft-float",
  4096: "double-float",
  4352: "soft-float",
  4608: "double-float",
};

/** The words `ldconfig -p` prints for an entry's flags (elf/cache.c print_entry). */
export function describeCacheFlags(flags: number): string {
  const type = flags & CacheFlag.TYPE_MASK;
  let text =
    type === 0 ? "libc4" : type === 1 ? "ELF" : type === 2 ? "libc5" : type === 3 ? "libc6" : "unknown";
  const arch = flags & 0xff00;
  if (arch !== 0) text += `,${ARCH_NAMES[arch] ?? `unknown(0x${arch.toString(16)})`}`;
  return text;
}

export interface LdCacheEntry {
  flags: number;
  /** The library name looked up (a SONAME). */
  key: string;
  /** The file to open. */
  value: string;
  /** New format only. */
  osversion: number | undefined;
  hwcap: bigint | undefined;
  /** For entries of a glibc-hwcaps subdirectory: its name ("x86-64-v3"). */
  hwcapsSubdir: string | undefined;
}

export interface LdCache {
  format: "old" | "new" | "old+new";
  littleEndian: boolean;
  /** Entries of the table ld.so searches (the new one when present), in file order (sorted by name). */
  entries: LdCacheEntry[];
  /** cache_extension_tag_generator: the glibc version that wrote the file ("ldconfig (GNU libc) 2.36"). */
  generator: string | undefined;
  /** cache_extension_tag_glibc_hwcaps: subdirectory names, sorted by strcmp. */
  hwcapsSubdirs: string[];
}

function startsWith(bytes: Uint8Array, at: number, magic: string): boolean {
  if (at + magic.length > bytes.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic.charCodeAt(i)) return false;
  return true;
}

/** A NUL-terminated byte string at `offset`, or undefined when it is out of range or unterminated. */
function cString(bytes: Uint8Array, offset: number): string | undefined {
  if (offset < 0 || offset >= bytes.length) return undefined;
  const end = bytes.indexOf(0, offset);
  if (end < 0) return undefined;
  return latin1(bytes.subarray(offset, end));
}

function fail(offset: number, message: string): never {
  throw new ElfError(ElfErrorCode.BadValue, "ld.so.cache", offset, message);
}

/**
 * A cache file's table as stored: the header checked, the extension directory read, entries decoded one
 * at a time. parseLdCache decodes them all; CacheIndex.over only the ones a lookup asks for.
 */
interface CacheTable {
  format: LdCache["format"];
  littleEndian: boolean;
  generator: string | undefined;
  hwcapsSubdirs: string[];
  count: number;
  /** Entry `i`, or undefined when its key or value is not a string in the file (_dl_cache_verify_ptr). */
  entry(i: number): LdCacheEntry | undefined;
  /** The bytes string offsets count from. */
  strings: Uint8Array;
  /** Entry `i`'s key offset into `strings`. */
  keyOffset(i: number): number;
}

/**
 * Parses a cache file. `littleEndian` is the target's byte order: the old format carries none, and a
 * new-format file whose flags disagree is rejected, as _dl_load_cache_lookup does.
 */
export function parseLdCache(bytes: Uint8Array, littleEndian = true): LdCache {
  const t = openCacheTable(bytes, littleEndian);
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < t.count; i++) {
    const e = t.entry(i);
    if (e) entries.push(e);
  }
  return {
    format: t.format,
    littleEndian: t.littleEndian,
    entries,
    generator: t.generator,
    hwcapsSubdirs: t.hwcapsSubdirs,
  };
}

function openCacheTable(bytes: Uint8Array, littleEndian: boolean): CacheTable {
  if (startsWith(bytes, 0, NEW_MAGIC)) return openNew(bytes, 0, littleEndian, "new");
  if (!startsWith(bytes, 0, OLD_MAGIC)) fail(0, "not an ld.so.cache file (unknown magic)");
  const r = new DataReader(bytes, littleEndian, 0, "ld.so.cache");
  const nlibs = r.u32(12);
  if (nlibs > (bytes.length - OLD_HEADER) / OLD_ENTRY) fail(12, `nlibs ${nlibs} exceeds the file`);
  // ALIGN_CACHE: the new table follows the old entries at the next multiple of 8.
  const newAt = (OLD_HEADER + nlibs * OLD_ENTRY + 7) & ~7;
  if (newAt + NEW_HEADER <= bytes.length && startsWith(bytes, newAt, NEW_MAGIC)) {
    return openNew(bytes, newAt, littleEndian, "old+new");
  }
  // Old format: string offsets count from the end of the entry array.
  const strings = bytes.subarray(OLD_HEADER + nlibs * OLD_ENTRY);
  return {
    format: "old",
    littleEndian,
    generator: undefined,
    hwcapsSubdirs: [],
    count: nlibs,
    entry(i) {
      const at = OLD_HEADER + i * OLD_ENTRY;
      const key = cString(strings, r.u32(at + 4));
      const value = cString(strings, r.u32(at + 8));
      if (key === undefined || value === undefined) return undefined;
      return {
        flags: r.i32(at),
        key,
        value,
        osversion: undefined,
        hwcap: undefined,
        hwcapsSubdir: undefined,
      };
    },
    strings,
    keyOffset: (i) => r.u32(OLD_HEADER + i * OLD_ENTRY + 4),
  };
}

function openNew(bytes: Uint8Array, base: number, targetLE: boolean, format: LdCache["format"]): CacheTable {
  const flagsByte = bytes[base + 28] ?? 0;
  // cache_file_new_flags_endian_*: 0 unset (assume the target's), 1 invalid, 2 little, 3 big.
  const endian = flagsByte & 3;
  if (endian === 1) fail(base + 28, "the cache is marked invalid (endian flags 1)");
  const le = endian === 0 ? targetLE : endian === 2;
  const r = new DataReader(bytes, le, 0, "ld.so.cache");
  const nlibs = r.u32(base + 20);
  if (nlibs > (bytes.length - base - NEW_HEADER) / NEW_ENTRY)
    fail(base + 20, `nlibs ${nlibs} exceeds the file`);
  const extensionOffset = r.u32(base + 32);

  // Strings are offsets from the start of the new header (in the combined format too).
  const strings = bytes.subarray(base);
  const hwcapsSubdirs: string[] = [];
  let generator: string | undefined;
  if (extensionOffset !== 0 && extensionOffset % 4 === 0 && extensionOffset + 8 <= bytes.length) {
    // cache_extension_load: the offset is from the start of the file.
    if (r.u32(extensionOffset) === EXTENSION_MAGIC) {
      const count = r.u32(extensionOffset + 4);
      if (count > (bytes.length - extensionOffset - 8) / 16)
        fail(extensionOffset + 4, "extension count exceeds the file");
      for (let i = 0; i < count; i++) {
        const at = extensionOffset + 8 + i * 16;
        const tag = r.u32(at);
        const offset = r.u32(at + 8);
        const size = r.u32(at + 12);
        if (offset + size > bytes.length) continue; // a section past the end is ignored
        if (tag === EXTENSION_TAG_GENERATOR) {
          generator = latin1(bytes.subarray(offset, offset + size));
        } else if (tag === EXTENSION_TAG_GLIBC_HWCAPS && size > 0 && size % 4 === 0 && offset % 4 === 0) {
          for (let j = 0; j < size; j += 4) {
            // Each u32 is a string offset from the start of the file (cache_extension_tag_glibc_hwcaps).
            hwcapsSubdirs.push(cString(bytes, r.u32(offset + j)) ?? "");
          }
        }
      }
    }
  }

  return {
    format,
    littleEndian: le,
    generator,
    hwcapsSubdirs,
    count: nlibs,
    entry(i) {
      const at = base + NEW_HEADER + i * NEW_ENTRY;
      const key = cString(strings, r.u32(at + 4));
      const value = cString(strings, r.u32(at + 8));
      if (key === undefined || value === undefined) return undefined;
      const hwcap = r.u64(at + 16);
      return {
        flags: r.i32(at),
        key,
        value,
        osversion: r.u32(at + 12),
        hwcap,
        hwcapsSubdir: isHwcapExtension(hwcap) ? hwcapsSubdirs[Number(hwcap & 0xffffffffn)] : undefined,
      };
    },
    strings,
    keyOffset: (i) => r.u32(base + NEW_HEADER + i * NEW_ENTRY + 4),
  };
}

/** dl_cache_hwcap_extension: only bit 62 set above the low 32 bits, ignoring the ISA level bits. */
export function isHwcapExtension(hwcap: bigint): boolean {
  return ((hwcap >> 32n) & ~ISA_LEVEL_MASK) === DL_CACHE_HWCAP_EXTENSION >> 32n;
}

/**
 * _dl_cache_libcmp: runs of digits compare numerically, digits sort after other characters.
 * Returns <0, 0 or >0.
 */
export function cacheLibcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const isDigit = (c: number) => c >= 48 && c <= 57;
  while (i < a.length) {
    const c1 = a.charCodeAt(i);
    const c2 = j < b.length ? b.charCodeAt(j) : 0;
    if (isDigit(c1)) {
      if (!isDigit(c2)) return 1;
      let v1 = 0;
      let v2 = 0;
      while (i < a.length && isDigit(a.charCodeAt(i))) v1 = v1 * 10 + a.charCodeAt(i++) - 48;
      while (j < b.length && isDigit(b.charCodeAt(j))) v2 = v2 * 10 + b.charCodeAt(j++) - 48;
      if (v1 !== v2) return v1 - v2;
    } else if (isDigit(c2)) {
      return -1;
    } else if (c1 !== c2) {
      return c1 - c2;
    } else {
      i++;
      j++;
    }
  }
  return 0 - (j < b.length ? b.charCodeAt(j) : 0);
}

/** How ld.so chooses among the entries for one name (search_cache in elf/dl-cache.c, glibc 2.36). */
export interface CacheLookupOptions {
  /** _dl_cache_check_flags: which entry flags this ld.so accepts. */
  acceptFlags: readonly number[];
  /** _DL_CACHE_DEFAULT_ID: an exact match that ends the search. */
  defaultId: number;
  /** Priority of a glibc-hwcaps subdirectory (lower is preferred); 0 means this CPU cannot use it. */
  hwcapsPriority(name: string): number;
  /** ISA level bits (bits 32..41 of hwcap) this CPU supports; entries asking for others are skipped. */
  isaLevels?: bigint;
}

/**
 * The entries for one name (under cacheLibcmp equality), in file order. Built from a parsed cache, it
 * groups all entries by name; over the file's bytes (CacheIndex.over), each lookup scans the keys' bytes
 * and decodes only the entries that match: a program needs a handful of the cache's hundreds of names.
 */
export class CacheIndex {
  private constructor(private readonly entriesFor: (name: string) => LdCacheEntry[] | undefined) {}

  /** An index over a parsed cache: all entries grouped by name. */
  static of(cache: LdCache): CacheIndex {
    const byName = new Map<string, LdCacheEntry[]>();
    for (const e of cache.entries) {
      const k = normalize(e.key);
      const list = byName.get(k);
      if (list) list.push(e);
      else byName.set(k, [e]);
    }
    return new CacheIndex((name) => byName.get(normalize(name)));
  }

  /**
   * An index over the cache file's bytes, which throws where parseLdCache does: only the keys are read
   * up front (as slices of the string table decoded once), an entry is decoded when a lookup finds it.
   */
  static over(bytes: Uint8Array, littleEndian = true): CacheIndex {
    const t = openCacheTable(bytes, littleEndian);
    const text = latin1(t.strings);
    const byName = new Map<string, number[]>();
    for (let i = 0; i < t.count; i++) {
      const at = t.keyOffset(i);
      const end = at < text.length ? text.indexOf("\0", at) : -1;
      if (end < 0) continue; // no key: cString's undefined, an entry parseLdCache leaves out
      const key = text.slice(at, end);
      // normalize() changes only digit runs with a leading zero (a 0 followed by a digit).
      const k = LEADING_ZERO.test(key) ? normalize(key) : key;
      const list = byName.get(k);
      if (list) list.push(i);
      else byName.set(k, [i]);
    }
    return new CacheIndex((name) => {
      const run: LdCacheEntry[] = [];
      for (const i of byName.get(normalize(name)) ?? []) {
        const e = t.entry(i);
        if (e) run.push(e);
      }
      return run.length > 0 ? run : undefined;
    });
  }

  /** The path ld.so takes from the cache for `name`, or undefined. */
  lookup(name: string, opts: CacheLookupOptions): LdCacheEntry | undefined {
    const run = this.entriesFor(name);
    if (!run) return undefined;
    let best: LdCacheEntry | undefined;
    let bestPriority = 0;
    for (const e of run) {
      if (!opts.acceptFlags.includes(e.flags)) continue;
      const hwcap = e.hwcap;
      const named = hwcap !== undefined && isHwcapExtension(hwcap);
      if (named) {
        const isa = (hwcap >> 32n) & ISA_LEVEL_MASK;
        if (opts.isaLevels !== undefined && (isa & opts.isaLevels) !== isa) continue;
      }
      // Entries with named hwcaps are listed first: once they are exhausted, a found one wins.
      if (!named && best !== undefined) break;
      if (named) {
        const priority = opts.hwcapsPriority(e.hwcapsSubdir ?? "");
        if (priority === 0) continue;
        if (best === undefined || priority < bestPriority) bestPriority = priority;
        else continue;
      } else if (hwcap !== undefined && (hwcap & 0x0000ffffffffffffn) !== 0n) {
        // Legacy hwcap entries (tls/, x86_64/ subdirectories of old caches): not chosen by name.
        continue;
      }
      best = e;
      if (!named && e.flags === opts.defaultId) break;
    }
    return best;
  }
}

const LEADING_ZERO = /0\d/;

/** A key under which names equal by cacheLibcmp collide: digit runs without leading zeros. */
function normalize(name: string): string {
  return name.replace(/\d+/g, (d) => d.replace(/^0+(?=\d)/, ""));
}
