import {
  DT_GNU_HASH,
  DT_HASH,
  DT_STRSZ,
  DT_STRTAB,
  DT_SYMTAB,
  EM_S390,
  SHN_UNDEF,
  SHT_DYNSYM,
  SHT_GNU_HASH,
  SHT_HASH,
} from "./constants.js";
import { dynamicTable, dynamicValue } from "./dynamic.js";
import { ElfError, ElfErrorCode } from "./errors.js";
import type { ElfFile } from "./file.js";
import { StringTable } from "./strings.js";
import { type ElfSymbol, parseSymbol, SYM32_SIZE, SYM64_SIZE } from "./symbol.js";

const EM_ALPHA = 0x9026;
const EM_S390_OLD = 0xa390;

/** SysV ELF hash (gABI "Hash Table"): the hash of a byte string. */
export function elfHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    h = ((h << 4) + (name.charCodeAt(i) & 0xff)) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h >>> 0;
}

/** GNU hash (glibc dl_new_hash): h = h * 33 + c, from 5381, modulo 2^32. */
export function gnuHash(name: string): number {
  let h = 5381;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 33) + (name.charCodeAt(i) & 0xff)) >>> 0;
  return h >>> 0;
}

/**
 * Entries of a SysV hash table are Elf_Word (4 bytes) except on 64-bit s390 and Alpha, whose ABIs use
 * 8-byte entries (readelf.c get_num_dynamic_syms; bfd's hash_entry_size).
 */
export function sysvHashEntrySize(file: ElfFile): 4 | 8 {
  const m = file.header.e_machine;
  return file.is64 && (m === EM_ALPHA || m === EM_S390 || m === EM_S390_OLD) ? 8 : 4;
}

/** DT_HASH / SHT_HASH: nbucket, nchain, bucket[nbucket], chain[nchain]. */
export interface SysvHashTable {
  nbucket: number;
  nchain: number;
  buckets: Uint32Array;
  chains: Uint32Array;
}

/** DT_GNU_HASH / SHT_GNU_HASH: header, bloom filter (class-sized words), buckets, hash-value chain. */
export interface GnuHashTable {
  nbuckets: number;
  symoffset: number;
  bloom_size: number;
  bloom_shift: number;
  bloom: bigint[];
  buckets: Uint32Array;
  /** Hash values of symbols symoffset.. (low bit set on the last of each bucket's run). */
  chain: Uint32Array;
}

function readWords(file: ElfFile, offset: bigint, count: number, size: 4 | 8, what: string): Uint32Array {
  const r = file.reader(offset, BigInt(count) * BigInt(size), what);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = size === 8 ? Number(r.u64(i * 8) & 0xffffffffn) : r.u32(i * 4);
  return out;
}

/** Reads a SysV hash table at a file offset; counts are checked against the file's size. */
export function parseSysvHash(
  file: ElfFile,
  offset: bigint,
  entrySize: 4 | 8 = sysvHashEntrySize(file),
): SysvHashTable {
  const head = file.reader(offset, 2 * entrySize, "hash table");
  const nbucket = Number(head.word(0, entrySize === 8));
  const nchain = Number(head.word(entrySize, entrySize === 8));
  if ((nbucket + nchain) * entrySize > file.size) {
    throw new ElfError(
      ElfErrorCode.BadCount,
      "hash table",
      offset,
      `nbucket ${nbucket} / nchain ${nchain} exceed the file`,
    );
  }
  const at = offset + BigInt(2 * entrySize);
  return {
    nbucket,
    nchain,
    buckets: readWords(file, at, nbucket, entrySize, "hash table buckets"),
    chains: readWords(file, at + BigInt(nbucket * entrySize), nchain, entrySize, "hash table chains"),
  };
}

/**
 * Reads a GNU hash table at a file offset. The chain array has no stored length: it runs from the
 * highest bucket start to the first entry with the low bit set (as readelf and ld.so find it).
 */
export function parseGnuHash(file: ElfFile, offset: bigint): GnuHashTable {
  const head = file.reader(offset, 16, "GNU hash table");
  const nbuckets = head.u32(0);
  const symoffset = head.u32(4);
  const bloom_size = head.u32(8);
  const bloom_shift = head.u32(12);
  const wordSize = file.is64 ? 8 : 4;
  if (nbuckets * 4 + bloom_size * wordSize > file.size) {
    throw new ElfError(
      ElfErrorCode.BadCount,
      "GNU hash table",
      offset,
      `nbuckets ${nbuckets} / bloom_size ${bloom_size} exceed the file`,
    );
  }
  const bloomAt = offset + 16n;
  const br = file.reader(bloomAt, bloom_size * wordSize, "GNU hash bloom filter");
  const bloom: bigint[] = new Array(bloom_size);
  for (let i = 0; i < bloom_size; i++) bloom[i] = br.word(i * wordSize, file.is64);
  const bucketsAt = bloomAt + BigInt(bloom_size * wordSize);
  const buckets = readWords(file, bucketsAt, nbuckets, 4, "GNU hash buckets");
  let max = -1;
  for (const b of buckets) if (b !== 0 && b >= symoffset && b > max) max = b;
  const chainAt = bucketsAt + BigInt(nbuckets * 4);
  let count = 0;
  if (max >= 0) {
    // Walk forward from the last chain start to its terminating entry, a page at a time.
    const limit = Math.floor((file.size - Number(chainAt)) / 4);
    count = max - symoffset;
    let done = false;
    while (!done) {
      if (count >= limit) {
        throw new ElfError(
          ElfErrorCode.Truncated,
          "GNU hash chain",
          chainAt,
          "the last hash chain has no end",
        );
      }
      const n = Math.min(1024, limit - count);
      const r = file.reader(chainAt + BigInt(count * 4), n * 4, "GNU hash chain");
      for (let i = 0; i < n; i++, count++) {
        if (r.u32(i * 4) & 1) {
          done = true;
          break;
        }
      }
    }
    count++;
  }
  return {
    nbuckets,
    symoffset,
    bloom_size,
    bloom_shift,
    bloom,
    buckets,
    chain: readWords(file, chainAt, count, 4, "GNU hash chain"),
  };
}

/** Bucket-length statistics, as readelf -I prints them. */
export interface BucketHistogram {
  nbuckets: number;
  /** counts[len] = number of buckets whose chain has `len` symbols. */
  counts: number[];
  /** Symbols reached through all buckets. */
  nsyms: number;
  /** The chain walk met a loop or an out-of-range index (readelf: "histogram chain is corrupt"). */
  corrupt: boolean;
}

/** readelf.c process_symbol_table's SysV histogram: chains are followed until index 0, each visited once. */
export function sysvHistogram(t: SysvHashTable): BucketHistogram {
  const lengths = new Uint32Array(t.nbucket);
  const visited = new Uint8Array(t.nchain);
  let nsyms = 0;
  let max = 0;
  let corrupt = false;
  for (let hn = 0; hn < t.nbucket; hn++) {
    for (let si = t.buckets[hn]!; si > 0; si = t.chains[si]!) {
      nsyms++;
      if (max < ++lengths[hn]!) max++;
      if (si >= t.nchain || visited[si]) {
        corrupt = true;
        break;
      }
      visited[si] = 1;
    }
  }
  const counts = new Array<number>(max + 1).fill(0);
  for (let hn = 0; hn < t.nbucket; hn++) counts[lengths[hn]!]!++;
  return { nbuckets: t.nbucket, counts, nsyms, corrupt };
}

/** readelf.c process_symbol_table's GNU histogram: a bucket's run ends at the chain entry with bit 0 set. */
export function gnuHistogram(t: GnuHashTable): BucketHistogram {
  const lengths = new Uint32Array(t.nbuckets);
  let nsyms = 0;
  let max = 0;
  for (let hn = 0; hn < t.nbuckets; hn++) {
    const b = t.buckets[hn]!;
    if (b === 0) continue;
    let length = 1;
    for (let off = b - t.symoffset; off < t.chain.length && (t.chain[off]! & 1) === 0; off++) length++;
    lengths[hn] = length;
    if (length > max) max = length;
    nsyms += length;
  }
  const counts = new Array<number>(max + 1).fill(0);
  for (let hn = 0; hn < t.nbuckets; hn++) counts[lengths[hn]!]!++;
  return { nbuckets: t.nbuckets, counts, nsyms, corrupt: false };
}

/** The dynamic symbol table and the hash tables that index it, found through sections or DT_* entries. */
export interface DynamicSymbolIndex {
  /** File offset of the first Elf_Sym. */
  symtabOffset: bigint;
  strings: StringTable;
  gnu: GnuHashTable | undefined;
  sysv: SysvHashTable | undefined;
}

const indexCache = new WeakMap<ElfFile, DynamicSymbolIndex | null>();

function vaddrOffset(file: ElfFile, vaddr: bigint, what: string): bigint {
  const off = file.vaddrToOffset(vaddr);
  if (off === undefined) {
    throw new ElfError(
      ElfErrorCode.BadValue,
      what,
      undefined,
      `address 0x${vaddr.toString(16)} is not in any PT_LOAD segment`,
    );
  }
  return off;
}

/**
 * Locates .dynsym, its strings and its hash tables: from the section headers when present (SHT_DYNSYM,
 * SHT_GNU_HASH / SHT_HASH linked to it), else from DT_SYMTAB, DT_STRTAB, DT_GNU_HASH and DT_HASH.
 */
export function dynamicSymbolIndex(file: ElfFile): DynamicSymbolIndex | undefined {
  const cached = indexCache.get(file);
  if (cached !== undefined) return cached ?? undefined;
  let result: DynamicSymbolIndex | undefined;
  const dynsym = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM);
  if (dynsym) {
    const gnuSh = file.sectionHeaders.find((s) => s.sh_type === SHT_GNU_HASH && s.sh_link === dynsym.index);
    const sysvSh = file.sectionHeaders.find((s) => s.sh_type === SHT_HASH && s.sh_link === dynsym.index);
    result = {
      symtabOffset: dynsym.sh_offset,
      strings: file.stringTable(dynsym.sh_link),
      gnu: gnuSh ? parseGnuHash(file, gnuSh.sh_offset) : undefined,
      sysv: sysvSh ? parseSysvHash(file, sysvSh.sh_offset) : undefined,
    };
  } else {
    const dyn = dynamicTable(file);
    const symtab = dyn && dynamicValue(dyn.entries, DT_SYMTAB);
    const strtab = dyn && dynamicValue(dyn.entries, DT_STRTAB);
    const strsz = dyn && dynamicValue(dyn.entries, DT_STRSZ);
    if (dyn && symtab !== undefined && strtab !== undefined && strsz !== undefined) {
      const gnuAddr = dynamicValue(dyn.entries, DT_GNU_HASH);
      const sysvAddr = dynamicValue(dyn.entries, DT_HASH);
      const strOff = vaddrOffset(file, strtab, "DT_STRTAB");
      const max = BigInt(file.size) - strOff;
      result = {
        symtabOffset: vaddrOffset(file, symtab, "DT_SYMTAB"),
        strings: new StringTable(file.read(strOff, strsz < max ? strsz : max, "dynamic string table")),
        gnu:
          gnuAddr !== undefined ? parseGnuHash(file, vaddrOffset(file, gnuAddr, "DT_GNU_HASH")) : undefined,
        sysv:
          sysvAddr !== undefined ? parseSysvHash(file, vaddrOffset(file, sysvAddr, "DT_HASH")) : undefined,
      };
    }
  }
  indexCache.set(file, result ?? null);
  return result;
}

function symbolAt(file: ElfFile, index: DynamicSymbolIndex, i: number): ElfSymbol {
  const size = file.is64 ? SYM64_SIZE : SYM32_SIZE;
  const r = file.reader(index.symtabOffset + BigInt(i * size), size, "dynamic symbol table");
  return parseSymbol(r, 0, file.is64, i, index.strings);
}

/**
 * Finds a defined dynamic symbol by name through the GNU hash table if present, else the SysV one, as
 * glibc's do_lookup_x does (bloom filter first, then the bucket's chain). Undefined entries are skipped.
 * `accept` may reject a candidate (a version mismatch, say) so the walk goes on.
 */
export function lookupSymbol(
  file: ElfFile,
  name: string,
  accept: (sym: ElfSymbol) => boolean = () => true,
): ElfSymbol | undefined {
  const index = dynamicSymbolIndex(file);
  if (!index) return undefined;
  const matches = (i: number): ElfSymbol | undefined => {
    const sym = symbolAt(file, index, i);
    return sym.name === name && sym.st_shndx !== SHN_UNDEF && accept(sym) ? sym : undefined;
  };
  const gnu = index.gnu;
  if (gnu) {
    if (gnu.nbuckets === 0) return undefined;
    const h = gnuHash(name);
    if (gnu.bloom_size > 0) {
      const bits = file.is64 ? 64 : 32;
      const word = gnu.bloom[Math.floor(h / bits) % gnu.bloom_size]!;
      const b1 = BigInt(h % bits);
      const b2 = BigInt((h >>> gnu.bloom_shift) % bits);
      if (((word >> b1) & (word >> b2) & 1n) === 0n) return undefined;
    }
    let si = gnu.buckets[h % gnu.nbuckets]!;
    if (si === 0 || si < gnu.symoffset) return undefined;
    for (let off = si - gnu.symoffset; off < gnu.chain.length; off++, si++) {
      const ch = gnu.chain[off]!;
      if ((ch | 1) === (h | 1)) {
        const sym = matches(si);
        if (sym) return sym;
      }
      if (ch & 1) break;
    }
    return undefined;
  }
  const sysv = index.sysv;
  if (!sysv || sysv.nbucket === 0) return undefined;
  const seen = new Uint8Array(sysv.nchain);
  for (
    let si = sysv.buckets[elfHash(name) % sysv.nbucket]!;
    si !== 0 && si < sysv.nchain && !seen[si];
    si = sysv.chains[si]!
  ) {
    seen[si] = 1;
    const sym = matches(si);
    if (sym) return sym;
  }
  return undefined;
}
