// What `anatomy trace --malloc` recorded, summed up: the malloc family's calls by size class, where
// each allocation went (the brk heap, a mapping of its own, a thread's arena: read from the chunk's
// own size-word bits, not guessed from its size), what was still allocated at exit, and the call
// sites that allocated most, named from the process's maps at exit. The records are written by
// native/malloc-shim.c, preloaded into the program; its layout is mirrored here.

import type { ElfFile } from "../elf/file.js";
import { mappedLoadBias } from "../process/addr-resolve.js";
import { type MapsEntry, parseMaps } from "../process/proc-maps.js";
import { locateInFile } from "../process/symbolize.js";

export const MALLOC_MAGIC = "ANTMALC1";
const RECORD_SIZE = 40;

export type MallocCall = "malloc" | "calloc" | "realloc" | "free" | "memalign";
const CALLS: (MallocCall | undefined)[] = [undefined, "malloc", "calloc", "realloc", "free", "memalign"];

/** Where glibc's malloc put a chunk, from the bits of its size word (IS_MMAPPED 0x2, NON_MAIN_ARENA 0x4). */
export type ChunkHome = "heap" | "mmap" | "arena";

export interface MallocRecord {
  call: MallocCall;
  home: ChunkHome;
  tid: number;
  size: bigint;
  ptr: bigint;
  old: bigint;
  caller: bigint;
}

/** The records of a shim output file; `unfinished` counts slots taken but never written (a killed thread). */
export function readMallocRecords(
  bytes: Uint8Array,
): { records: MallocRecord[]; unfinished: number } | string {
  if (bytes.length < 24) return `the file is ${bytes.length} bytes, shorter than its 24-byte header`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== MALLOC_MAGIC) return `magic ${JSON.stringify(magic)} at offset 0 is not ${MALLOC_MAGIC}`;
  const recordSize = view.getUint32(8, true);
  const at = view.getUint32(12, true);
  if (recordSize !== RECORD_SIZE) return `record size ${recordSize} at offset 8 is not ${RECORD_SIZE}`;
  const taken = view.getBigUint64(16, true);
  // Slots past the file's end were taken but their window never mapped (the file could not grow).
  const fits = BigInt(Math.max(0, Math.floor((bytes.length - at) / RECORD_SIZE)));
  const count = Number(taken < fits ? taken : fits);
  const records: MallocRecord[] = [];
  let unfinished = Number(taken) - count;
  for (let i = 0; i < count; i++) {
    const o = at + i * RECORD_SIZE;
    const call = CALLS[bytes[o] as number];
    if (!call) {
      unfinished++;
      continue;
    }
    const bits = (bytes[o + 1] as number) & 0x6;
    records.push({
      call,
      home: bits & 0x2 ? "mmap" : bits & 0x4 ? "arena" : "heap",
      tid: view.getUint32(o + 4, true),
      size: view.getBigUint64(o + 8, true),
      ptr: view.getBigUint64(o + 16, true),
      old: view.getBigUint64(o + 24, true),
      caller: view.getBigUint64(o + 32, true),
    });
  }
  return { records, unfinished };
}

export interface Tally {
  count: number;
  bytes: bigint;
}

export interface SizeClass extends Tally {
  /** The class holds requests up to this many bytes (and over the previous class's); undefined: above all. */
  upTo: number | undefined;
}

export interface CallSite extends Tally {
  caller: bigint;
  /** `libc.so.6 strdup+0x1a`, `prog main+0x2c`, or the address alone when no mapping holds it. */
  where: string;
}

export interface MallocReport {
  calls: Record<MallocCall, number>;
  /** Allocations (malloc, calloc, realloc, memalign) by the size asked for. */
  classes: SizeClass[];
  /** Allocations by where they went. */
  homes: Record<ChunkHome, Tally>;
  /** Allocated and never freed by the end of the records. */
  live: Tally;
  /** Frees of a pointer the records never saw allocated (allocated before the shim was loaded). */
  unknownFrees: number;
  threads: number;
  sites: CallSite[];
  unfinished: number;
}

/** The classes: powers of two from 16 bytes to 128 KiB (glibc's default M_MMAP_THRESHOLD), then above. */
const CLASS_LIMITS = [16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536, 131072];

const tally = (): Tally => ({ count: 0, bytes: 0n });

/**
 * The summary of the records. `symbolize` names a call site from the maps at exit (undefined: the
 * program ended without writing them, by _exit); `sites` is how many call sites to keep.
 */
export function summariseMalloc(
  records: MallocRecord[],
  unfinished: number,
  symbolize: ((address: bigint) => string | undefined) | undefined,
  sites = 10,
): MallocReport {
  const calls: Record<MallocCall, number> = { malloc: 0, calloc: 0, realloc: 0, free: 0, memalign: 0 };
  const classes: SizeClass[] = [
    ...CLASS_LIMITS.map((upTo) => ({ upTo, ...tally() })),
    { upTo: undefined, ...tally() },
  ];
  const homes: Record<ChunkHome, Tally> = { heap: tally(), mmap: tally(), arena: tally() };
  const live = new Map<bigint, bigint>();
  const bySite = new Map<bigint, Tally>();
  const threads = new Set<number>();
  let unknownFrees = 0;
  for (const r of records) {
    calls[r.call]++;
    threads.add(r.tid);
    if (r.call === "free" || (r.call === "realloc" && r.old !== 0n)) {
      const freed = r.call === "free" ? r.ptr : r.old;
      if (live.has(freed)) live.delete(freed);
      else if (r.call === "free") unknownFrees++;
      if (r.call === "free") continue;
    }
    if (r.ptr === 0n) continue; // a failed allocation, or realloc(p, 0) freeing p
    live.set(r.ptr, r.size);
    const cls = classes.find((c) => c.upTo === undefined || r.size <= BigInt(c.upTo)) as SizeClass;
    cls.count++;
    cls.bytes += r.size;
    homes[r.home].count++;
    homes[r.home].bytes += r.size;
    const site = bySite.get(r.caller) ?? tally();
    site.count++;
    site.bytes += r.size;
    bySite.set(r.caller, site);
  }
  let liveBytes = 0n;
  for (const size of live.values()) liveBytes += size;
  const top = [...bySite]
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .slice(0, sites)
    .map(([caller, t]) => ({ caller, where: symbolize?.(caller) ?? `0x${caller.toString(16)}`, ...t }));
  return {
    calls,
    classes,
    homes,
    live: { count: live.size, bytes: liveBytes },
    unknownFrees,
    threads: threads.size,
    sites: top,
    unfinished,
  };
}

/**
 * A symbolizer over the maps at exit: the mapping that holds an address, the ELF file mapped there
 * (opened by `open`, which may fail), and the symbol around the address in it.
 */
export function mapsSymbolizer(
  mapsText: string,
  open: (path: string) => ElfFile | undefined,
): (address: bigint) => string | undefined {
  const maps: MapsEntry[] = parseMaps(mapsText);
  const files = new Map<string, ElfFile | undefined>();
  return (address) => {
    const index = maps.findIndex((m) => address >= m.start && address < m.end);
    const m = maps[index];
    if (!m?.path.startsWith("/"))
      return m ? `${m.path || "anonymous memory"} 0x${address.toString(16)}` : undefined;
    const name = m.path.slice(m.path.lastIndexOf("/") + 1);
    if (!files.has(m.path)) files.set(m.path, open(m.path));
    const file = files.get(m.path);
    const bias = file ? mappedLoadBias(maps, index, file) : undefined;
    if (!file || bias === undefined) return `${name} 0x${(address - m.start + m.offset).toString(16)}`;
    const at = locateInFile(file, address - bias);
    if (!at.symbol) return `${name} 0x${(address - bias).toString(16)}`;
    const off = at.symbolOffset ? `+0x${at.symbolOffset.toString(16)}` : "";
    return `${name} ${at.symbol}${off}`;
  };
}
