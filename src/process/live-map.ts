import { fieldValue, hasField, type SmapsEntry } from "./proc-maps.js";

/** What a mapping of a live process holds, as `anatomy maps` groups them. */
export type LiveKind =
  | "text"
  | "rodata"
  | "data"
  | "bss"
  | "heap"
  | "stack"
  | "thread-stack"
  | "guard"
  | "anon"
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

/**
 * The smaps numbers of one mapping, in KiB as the kernel reports them. smaps_rollup has Pss_Anon,
 * Pss_File and Pss_Shmem; a single mapping does not, so there they are derived: all of a shared
 * mapping's PSS is shmem, an anonymous mapping's is anon, and a private file mapping's anonymous
 * (copied-on-write) pages count as anon, the rest as file.
 */
export function usageOf(e: SmapsEntry): Usage {
  const has = (name: string): boolean => hasField(e, name);
  const f = (name: string): bigint => BigInt(fieldValue(e, name));
  const pss = f("Pss");
  let pssAnon = f("Pss_Anon");
  let pssFile = f("Pss_File");
  let pssShmem = f("Pss_Shmem");
  if (!has("Pss_Anon")) {
    if (e.perms[3] === "s") pssShmem = pss;
    else if (!e.path.startsWith("/")) pssAnon = pss;
    else {
      const anon = f("Anonymous");
      pssAnon = anon < pss ? anon : pss;
      pssFile = pss - pssAnon;
    }
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
 * Classifies each mapping: file segments by permission, the anonymous mapping right after a file's
 * writable segment as its bss, thread stacks by the stack pointers of the process's threads.
 */
export function classify(entries: SmapsEntry[], threadStackPointers: Map<number, bigint>): LiveMapping[] {
  const out: LiveMapping[] = [];
  let previous: LiveMapping | undefined;
  for (const e of entries) {
    let kind: LiveKind;
    let object = objectName(e.path);
    let tid: number | undefined;
    const special = SPECIAL[e.path];
    if (special) kind = special;
    else if (
      e.perms[3] === "s" ||
      e.path.startsWith("/dev/shm/") ||
      e.path.startsWith("/SYSV") ||
      e.path.startsWith("/memfd:")
    ) {
      kind = "shmem";
    } else if (e.path.startsWith("/")) {
      kind =
        e.perms[2] === "x" ? "text" : e.perms[1] === "w" ? "data" : e.perms[0] === "r" ? "rodata" : "guard";
    } else {
      // Anonymous (or [anon:NAME]): a thread's stack, the bss after a file's data, a guard page, or plain anon.
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
      } else kind = "anon";
      if (kind !== "bss") object = e.path || "[anon]";
    }
    const m: LiveMapping = { entry: e, kind, object, ...(tid === undefined ? {} : { tid }) };
    out.push(m);
    previous = m;
  }
  return out;
}
