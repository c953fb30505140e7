// What `anatomy trace --malloc` recorded, summed up: the malloc family's calls by size class, where
// each allocation went (the brk heap, a mapping of its own, a thread's arena: read from the chunk's
// own size-word bits, not guessed from its size), what was still allocated at exit, and the call
// sites that allocated most, named from the process's maps at exit. The counts are kept by
// native/malloc-shim.c, preloaded into the program, per thread in a shared mapping of its output
// file; its layout is mirrored here.

import type { ElfFile } from "../elf/file.js";
import { mappedLoadBias } from "../process/addr-resolve.js";
import { type MapsEntry, parseMaps } from "../process/proc-maps.js";
import { locateInFile } from "../process/symbolize.js";

export const MALLOC_MAGIC = "ANTMALC2";
const HEADER = 40;

export type MallocCall = "malloc" | "calloc" | "realloc" | "free" | "memalign" | "failed";
const CALLS: MallocCall[] = ["malloc", "calloc", "realloc", "free", "memalign", "failed"];

/** Where glibc's malloc put a chunk, from the bits of its size word (IS_MMAPPED 0x2, NON_MAIN_ARENA 0x4). */
export type ChunkHome = "heap" | "mmap" | "arena";
const HOMES: ChunkHome[] = ["heap", "mmap", "arena"];

export interface Tally {
  count: number;
  bytes: bigint;
}

export interface SizeClass extends Tally {
  /** The class holds requests up to this many bytes (and over the previous class's); undefined: above all. */
  upTo: number | undefined;
  /** Its allocations by where they went. */
  homes: Record<ChunkHome, Tally>;
}

export interface CallSite extends Tally {
  caller: bigint;
  /** `libc.so.6 strdup+0x1a`, `prog main+0x2c`, or the address alone when no mapping holds it. */
  where: string;
}

export interface MallocReport {
  /** The process whose file it is (a forked child has its own). */
  pid: number;
  /** Calls by name; `failed`: allocations that returned NULL. */
  calls: Record<MallocCall, number>;
  /** Allocations (malloc, calloc, realloc, memalign) by the size asked for. */
  classes: SizeClass[];
  /** Allocations by where they went (bytes: as asked for). */
  homes: Record<ChunkHome, Tally>;
  /** Frees (and blocks a realloc let go) by where the chunk was (bytes: the chunks' sizes). */
  freed: Record<ChunkHome, Tally>;
  /** Allocated and not freed when the counts were last written: the chunks' sizes, glibc's header included. */
  live: Tally;
  threads: number;
  sites: CallSite[];
  /** Allocations from call sites beyond a thread's table (512 sites each). */
  otherSites: Tally;
}

/** The classes: powers of two from 16 bytes to 1 KiB, 4, 16, 64, 128 KiB (glibc's default M_MMAP_THRESHOLD), then above. */
const CLASS_LIMITS = [16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536, 131072];
const OPS = 8;

const tally = (): Tally => ({ count: 0, bytes: 0n });
const homes = (): Record<ChunkHome, Tally> => ({ heap: tally(), mmap: tally(), arena: tally() });

/**
 * The counts of a shim's output file (`OUT.PID`): each thread's block summed. `symbolize` names a
 * call site (from the maps at exit); `sites` is how many call sites to keep. A string: why the file
 * is not one.
 */
export function readMallocCounts(
  bytes: Uint8Array,
  symbolize: ((address: bigint) => string | undefined) | undefined,
  sites = 10,
): MallocReport | string {
  if (bytes.length < HEADER)
    return `the file is ${bytes.length} bytes, shorter than its ${HEADER}-byte header`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== MALLOC_MAGIC) return `magic ${JSON.stringify(magic)} at offset 0 is not ${MALLOC_MAGIC}`;
  const u32 = (o: number) => view.getUint32(o, true);
  const u64 = (o: number) => view.getBigUint64(o, true);
  const [blockSize, blocksAt, classCount, homeCount, siteCount, pid] = [8, 12, 16, 20, 24, 28].map(
    u32,
  ) as number[];
  const blockCount = u64(32);
  if (classCount !== CLASS_LIMITS.length + 1 || homeCount !== HOMES.length)
    return `${classCount} size classes and ${homeCount} homes at offset 16 are not ${CLASS_LIMITS.length + 1} and ${HOMES.length}`;
  const needed =
    8 + OPS * 8 + (classCount * homeCount + homeCount) * 16 + 16 + 16 + (siteCount as number) * 24;
  if ((blockSize as number) < needed)
    return `block size ${blockSize} at offset 8 is below the ${needed} bytes of a block`;
  const fits = Math.max(0, Math.floor((bytes.length - (blocksAt as number)) / (blockSize as number)));
  const count = Math.min(fits, Number(blockCount > BigInt(fits) ? BigInt(fits) : blockCount));
  const report: MallocReport = {
    pid: pid as number,
    calls: { malloc: 0, calloc: 0, realloc: 0, free: 0, memalign: 0, failed: 0 },
    classes: [...CLASS_LIMITS, undefined].map((upTo) => ({ upTo, ...tally(), homes: homes() })),
    homes: homes(),
    freed: homes(),
    live: tally(),
    threads: 0,
    sites: [],
    otherSites: tally(),
  };
  const bySite = new Map<bigint, Tally>();
  let allocated = 0n;
  let released = 0n;
  for (let b = 0; b < count; b++) {
    const at = (blocksAt as number) + b * (blockSize as number);
    if (u32(at + 4) !== 1) continue;
    report.threads++;
    let o = at + 8;
    for (let k = 0; k < OPS; k++, o += 8) {
      const name = CALLS[k];
      if (name) report.calls[name] += Number(u64(o));
    }
    for (const cls of report.classes)
      for (const home of HOMES) {
        const [n, bytesOf] = [Number(u64(o)), u64(o + 8)];
        o += 16;
        cls.count += n;
        cls.bytes += bytesOf;
        cls.homes[home].count += n;
        cls.homes[home].bytes += bytesOf;
        report.homes[home].count += n;
        report.homes[home].bytes += bytesOf;
      }
    for (const home of HOMES) {
      report.freed[home].count += Number(u64(o));
      report.freed[home].bytes += u64(o + 8);
      o += 16;
    }
    allocated += u64(o);
    released += u64(o + 8);
    report.otherSites.count += Number(u64(o + 16));
    report.otherSites.bytes += u64(o + 24);
    o += 32;
    for (let k = 0; k < (siteCount as number); k++, o += 24) {
      const caller = u64(o);
      if (caller === 0n) continue;
      const t = bySite.get(caller) ?? tally();
      t.count += Number(u64(o + 8));
      t.bytes += u64(o + 16);
      bySite.set(caller, t);
    }
  }
  const allocations = report.classes.reduce((n, c) => n + c.count, 0);
  const frees = HOMES.reduce((n, h) => n + report.freed[h].count, 0);
  report.live = {
    count: Math.max(0, allocations - frees),
    bytes: allocated > released ? allocated - released : 0n,
  };
  report.sites = [...bySite]
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .slice(0, sites)
    .map(([caller, t]) => ({ caller, where: symbolize?.(caller) ?? `0x${caller.toString(16)}`, ...t }));
  return report;
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
