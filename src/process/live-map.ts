import { fieldValue, hasField, type SmapsEntry } from "./proc-maps.js";

/**
 * What a mapping of a live process holds, as `anatomy maps` groups them. The words are `anatomy
 * layout`'s (MappingKind) wherever both name a part: text, rodata, relro, data, bss, heap, stack,
 * mmap (anonymous memory), hole (PROT_NONE inside a file's span), vvar, vdso, vsyscall.
 */
export type LiveKind =
  | "text"
  | "rodata"
  | "relro"
  | "data"
  | "bss"
  | "heap"
  | "stack"
  | "thread-stack"
  | "hole"
  | "guard"
  | "mmap"
  | "file"
  | "shmem"
  | "vdso"
  | "vvar"
  | "vsyscall";

export interface LiveMapping {
  entry: SmapsEntry;
  kind: LiveKind;
  /** The file (or special name) the mapping belongs to; bss belongs to the file it follows. */
  object: string;
  /** For thread stacks: the thread's id. */
  tid?: number;
  /** Its smaps numbers, with PSS split as smaps_rollup splits it (usageOf). */
  usage: Usage;
}

export interface Usage {
  size: bigint;
  rss: bigint;
  pss: bigint;
  pssAnon: bigint;
  pssFile: bigint;
  pssShmem: bigint;
  swap: bigint;
  dirty: bigint;
}

export const zeroUsage = (): Usage => ({
  size: 0n,
  rss: 0n,
  pss: 0n,
  pssAnon: 0n,
  pssFile: 0n,
  pssShmem: 0n,
  swap: 0n,
  dirty: 0n,
});

/** Devices as `major:minor` in decimal, the way mountinfo prints them. */
const deviceKey = (e: SmapsEntry): string => `${e.devMajor}:${e.devMinor}`;

/**
 * The devices of tmpfs mounts in /proc/PID/mountinfo (proc(5): `id parent major:minor root point
 * options [tags] - fstype source super-options`): files there are shmem, their pages swap-backed.
 */
export function tmpfsDevices(mountinfo: string): Set<string> {
  const out = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-", 6);
    if (dash > 0 && fields[dash + 1] === "tmpfs") out.add(fields[2]!);
  }
  return out;
}

/** Objects of the kernel's internal shm mount: memfd, SysV segments, shared anonymous memory. */
const INTERNAL_SHMEM = /^(\/memfd:|\/SYSV[0-9a-f]{8}( \(deleted\))?$|\/dev\/zero \(deleted\)$|\[anon_shmem:)/;

/**
 * Is the mapping backed by shmem (the pages the kernel counts as Pss_Shmem)? A file on a tmpfs mount
 * (when the mounts are not known, one under /dev/shm) or an internal shmem object. A MAP_SHARED
 * mapping of a regular file is not: its pages are page cache (Pss_File).
 */
export function isShmemBacked(e: SmapsEntry, tmpfs?: ReadonlySet<string>): boolean {
  if (INTERNAL_SHMEM.test(e.path)) return true;
  if (!e.path.startsWith("/")) return false;
  return tmpfs ? tmpfs.has(deviceKey(e)) : e.path.startsWith("/dev/shm/");
}

/**
 * The smaps numbers of one mapping, in KiB as the kernel reports them. smaps_rollup has Pss_Anon,
 * Pss_File and Pss_Shmem (task_mmu.c, smaps_page_accumulate: an anonymous page's PSS is anon, a
 * swap-backed one's shmem, any other's file); a mapping in smaps does not, so here they come from
 * its other fields. Its anonymous pages (Anonymous; in a private file mapping, those copied on write)
 * are anon, less what sharing with forked processes takes off their PSS, which is the dirty pages'
 * (Private_Dirty + Shared_Dirty - Pss_Dirty); the rest is shmem when the mapping is shmem-backed,
 * file otherwise. Each mapping's PSS is rounded down to a KiB, smaps_rollup's only once.
 */
export function usageOf(e: SmapsEntry, shmemBacked = isShmemBacked(e)): Usage {
  const has = (name: string): boolean => hasField(e, name);
  const f = (name: string): bigint => BigInt(fieldValue(e, name));
  const pss = f("Pss");
  let pssAnon = f("Pss_Anon");
  let pssFile = f("Pss_File");
  let pssShmem = f("Pss_Shmem");
  if (!has("Pss_Anon")) {
    // Without an Anonymous line (a hand-made smaps), a private mapping of no file is all anon.
    const anon = has("Anonymous") || e.path.startsWith("/") ? f("Anonymous") : f("Rss");
    if (anon === 0n) pssAnon = 0n;
    else if (anon >= f("Rss")) pssAnon = pss;
    else {
      const shared = has("Pss_Dirty") ? f("Private_Dirty") + f("Shared_Dirty") - f("Pss_Dirty") : 0n;
      pssAnon = anon - shared;
      if (pssAnon < 0n) pssAnon = 0n;
      if (pssAnon > pss) pssAnon = pss;
    }
    if (shmemBacked) pssShmem = pss - pssAnon;
    else pssFile = pss - pssAnon;
  }
  return {
    size: (e.end - e.start) >> 10n,
    rss: f("Rss"),
    pss,
    pssAnon,
    pssFile,
    pssShmem,
    swap: f("Swap"),
    dirty: f("Private_Dirty") + f("Shared_Dirty"),
  };
}

export function addUsage(a: Usage, b: Usage): void {
  a.size += b.size;
  a.rss += b.rss;
  a.pss += b.pss;
  a.pssAnon += b.pssAnon;
  a.pssFile += b.pssFile;
  a.pssShmem += b.pssShmem;
  a.swap += b.swap;
  a.dirty += b.dirty;
}

const SPECIAL: Record<string, LiveKind> = {
  "[heap]": "heap",
  "[stack]": "stack",
  "[vdso]": "vdso",
  "[vvar]": "vvar",
  "[vvar_vclock]": "vvar",
  "[vsyscall]": "vsyscall",
};

/** The maps path with ` (deleted)` removed: the object a mapping belongs to. */
const objectName = (path: string): string => path.replace(/ \(deleted\)$/, "");

/**
 * The r--p mapping ld.so's _dl_protect_relro split off the front of a writable segment: the same
 * file's rw-p mapping follows it at the next address and the next file offset.
 */
function isRelro(e: SmapsEntry, next: SmapsEntry | undefined): boolean {
  return (
    e.perms === "r--p" &&
    next !== undefined &&
    next.perms === "rw-p" &&
    next.start === e.end &&
    next.path === e.path &&
    next.inode === e.inode &&
    next.devMajor === e.devMajor &&
    next.devMinor === e.devMinor &&
    next.offset === e.offset + (e.end - e.start)
  );
}

/**
 * Classifies each mapping: file segments by permission (RELRO by how ld.so split it), shmem-backed
 * files and MAP_SHARED files apart, the anonymous mapping right after a file's writable segment as
 * its bss, thread stacks by the stack pointers of the process's threads. `tmpfs` is the devices of
 * tmpfs mounts (tmpfsDevices), when known.
 */
export function classify(
  entries: SmapsEntry[],
  threadStackPointers: Map<number, bigint>,
  tmpfs?: ReadonlySet<string>,
): LiveMapping[] {
  const out: LiveMapping[] = [];
  let previous: LiveMapping | undefined;
  entries.forEach((e, i) => {
    let kind: LiveKind;
    let object = objectName(e.path);
    let tid: number | undefined;
    const special = SPECIAL[e.path];
    const shmem = isShmemBacked(e, tmpfs);
    if (special) kind = special;
    else if (shmem) kind = "shmem";
    else if (e.path.startsWith("/")) {
      if (e.perms[3] === "s") kind = "file";
      else if (e.perms[2] === "x") kind = "text";
      else if (e.perms[1] === "w") kind = "data";
      else if (e.perms[0] !== "r") kind = "hole";
      else kind = isRelro(e, entries[i + 1]) ? "relro" : "rodata";
    } else {
      // Anonymous (or [anon:NAME]): a thread's stack, the bss after a file's data, a guard page, or plain mmap.
      for (const [t, sp] of threadStackPointers) if (sp >= e.start && sp < e.end) tid = t;
      if (tid !== undefined) kind = "thread-stack";
      else if (e.perms === "---p") kind = "guard";
      else if (
        previous &&
        previous.kind === "data" &&
        previous.entry.end === e.start &&
        e.path === "" &&
        e.perms[1] === "w"
      ) {
        kind = "bss";
        object = previous.object;
      } else kind = "mmap";
      if (kind !== "bss") object = e.path || "[anon]";
    }
    const usage = usageOf(e, shmem);
    const m: LiveMapping = { entry: e, kind, object, ...(tid === undefined ? {} : { tid }), usage };
    out.push(m);
    previous = m;
  });
  return out;
}
