// A process's address space replayed from its system calls, as the kernel changes it (mm/mmap.c,
// mm/vma.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c): each mapping's range, flags, file and offset,
// split and merged where the kernel splits and merges them, so the maps printed at any point are the
// lines /proc/PID/maps would print. Pure: events and maps text in, mappings out.
//
// What no system call shows comes from /proc/PID/maps read at the execve's return (the program's
// segments, the interpreter, [stack], [vvar], [vdso], [vsyscall]: the kernel's exec), and the stack's
// growth from the maps read at exit_group (the stack grows on a fault, not by a call).
//
// Each mapping is cut into pieces that remember which change made them (a merge joins pieces, it does
// not forget them), so every byte has an owner even when the kernel shows one line for it.
import { parseMaps } from "../process/proc-maps.js";
import {
  CLONE_THREAD,
  CLONE_VM,
  type DecodedCall,
  MAP,
  MAP_TYPE,
  MREMAP,
  PROT,
  PROT_GROWSDOWN,
  type SyscallEvent,
  type TraceEvent,
} from "./strace-parse.js";

export const PAGE = 4096n;
/** The note `trace --pid` adds when strace let the process go (its maps read then, as an exit snapshot). */
export const DETACHED = "detached";
const pageDown = (v: bigint) => v & ~(PAGE - 1n);
const pageUp = (v: bigint) => (v + PAGE - 1n) & ~(PAGE - 1n);

/** The vm_flags the merge rules compare (include/linux/mm.h), in bits of our own numbering. */
export const VM = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  EXEC: 1 << 2,
  SHARED: 1 << 3,
  MAYREAD: 1 << 4,
  MAYWRITE: 1 << 5,
  MAYEXEC: 1 << 6,
  MAYSHARE: 1 << 7,
  GROWSDOWN: 1 << 8,
  LOCKED: 1 << 9,
  LOCKONFAULT: 1 << 10,
  SEQ_READ: 1 << 11,
  RAND_READ: 1 << 12,
  DONTCOPY: 1 << 13,
  DONTEXPAND: 1 << 14,
  ACCOUNT: 1 << 15,
  NORESERVE: 1 << 16,
  HUGETLB: 1 << 17,
  WIPEONFORK: 1 << 18,
  DONTDUMP: 1 << 19,
  HUGEPAGE: 1 << 20,
  NOHUGEPAGE: 1 << 21,
  MERGEABLE: 1 << 22,
  /** A mapping the kernel installs itself ([vdso], [vvar], [vsyscall]): never merged. */
  SPECIAL: 1 << 23,
} as const;

const PROT_BITS = VM.READ | VM.WRITE | VM.EXEC;

/** What differs between kernels in the rules replayed here. */
export interface KernelRules {
  /** MAP_STACK sets VM_NOHUGEPAGE (6.7, c4608d1bf7c6). */
  mapStackNoHugepage: boolean;
  /** mprotect drops VM_ACCOUNT from an anonymous mapping never touched (6.4, 2a3f8e3c0f7c). */
  unaccountUntouched: boolean;
  /** vm.overcommit_memory = 2: MAP_NORESERVE is ignored. */
  overcommitNever: boolean;
}

/** The rules of a kernel from its `uname -r`. */
export function kernelRules(release: string, overcommitNever = false): KernelRules {
  const m = /^(\d+)\.(\d+)/.exec(release);
  const v = m ? Number(m[1]) * 1000 + Number(m[2]) : 0;
  return { mapStackNoHugepage: v >= 6007, unaccountUntouched: v >= 6004, overcommitNever };
}

/** A file as the mapping holds it: the path /proc/PID/maps prints, and its device and inode when known. */
export interface MappedFile {
  path: string;
  dev: string | undefined;
  inode: string | undefined;
  /**
   * Which open file it came through: the kernel merges mappings of one `struct file` only. Without
   * open and close traced, a descriptor number and path stand for it.
   */
  identity: string;
}

/** A run of pages made by one change. */
export interface Piece {
  start: bigint;
  end: bigint;
  /** The change (its index) that mapped these pages. */
  origin: number;
}

/** One VMA: one line of /proc/PID/maps. */
export interface Vma {
  start: bigint;
  end: bigint;
  flags: number;
  /** vm_pgoff in pages: the file offset, or for anonymous memory the address it was first mapped at. */
  pgoff: bigint;
  file: MappedFile | undefined;
  /** A name the kernel gives: [vdso], [vvar], [vvar_vclock], [vsyscall] ([heap] and [stack] are computed). */
  name: string | undefined;
  /**
   * Its anon_vma, the kernel's record of its private pages: none until a write fault, which no call
   * shows, so a mapping is taken to have one once it is writable (and so, presumably, written).
   * Mappings split from one share it. Numbered per address space.
   */
  anonVma: number | undefined;
  /** It came through fork with pages: its anon_vma_chain links the parent's (vma_had_uncowed_parents). */
  inherited: boolean;
  pieces: Piece[];
}

export type ChangeKind =
  | "exec"
  | "mmap"
  | "munmap"
  | "mprotect"
  | "mremap"
  | "brk"
  | "madvise"
  | "mlock"
  | "shmat"
  | "shmdt"
  | "fork"
  | "stack-growth"
  | "exit";

/** One change to an address space, in the order it happened. */
export interface MemoryChange {
  index: number;
  kind: ChangeKind;
  pid: number;
  /** The address space it changed (processes that share one, threads, name the same). */
  mm: number;
  time: number;
  event: SyscallEvent | undefined;
  /** The range asked for (page aligned); for exec the whole image's span. */
  start: bigint;
  end: bigint;
  /** Bytes that became mapped and that stopped being mapped. */
  mapped: bigint;
  unmapped: bigint;
  /** The call failed: nothing changed. */
  failed: boolean;
  /** The mapping was a file's (its path as the maps print it). */
  path: string | undefined;
  /** Protections after the change, for mmap and mprotect (`rw-p`). */
  perms: string | undefined;
  /** Anonymous memory that became executable by this change (mapped so, or mprotect'ed to it). */
  madeExecutable: boolean;
  /** The maps name of the mapping the call's instruction pointer was in, before the change. */
  ipObject: string | undefined;
  /** For exec: the image the kernel made, by name (the program, the interpreter, [stack] ...). */
  image?: { name: string; mappings: number; bytes: bigint }[];
}

/** Where the bytes each change mapped are counted (Replay keeps them by change and by owner). */
export interface Ledger {
  add(origin: number, mm: number, delta: bigint): void;
}

/** One address space: its VMAs in address order and the brk and stack the kernel names by. */
export class AddressSpace {
  vmas: Vma[] = [];
  startBrk: bigint | undefined;
  brk: bigint | undefined;
  startStack: bigint | undefined;
  /** mlockall(MCL_FUTURE): mm->def_flags. */
  defFlags = 0;
  private nextAnonVma = 1;
  constructor(
    readonly id: number,
    private readonly rules: KernelRules,
    private readonly ledger: Ledger,
  ) {}

  clone(id: number): AddressSpace {
    const copy = new AddressSpace(id, this.rules, this.ledger);
    // fork copies every VMA but those marked MADV_DONTFORK (dup_mmap); the child's pages are its own
    // from now on, owned by the change that first mapped them in the parent.
    copy.vmas = this.vmas
      .filter((v) => !(v.flags & VM.DONTCOPY))
      .map((v) => ({ ...v, inherited: v.anonVma !== undefined, pieces: v.pieces.map((p) => ({ ...p })) }));
    copy.nextAnonVma = this.nextAnonVma;
    for (const v of copy.vmas) for (const p of v.pieces) copy.count(p, 1n);
    copy.startBrk = this.startBrk;
    copy.brk = this.brk;
    copy.startStack = this.startStack;
    copy.defFlags = this.defFlags;
    return copy;
  }

  /** Total mapped bytes. */
  size(): bigint {
    return this.vmas.reduce((s, v) => s + (v.end - v.start), 0n);
  }

  /** Counts a piece's bytes as mapped (sign 1) or gone (-1). */
  count(p: Piece, sign: bigint): void {
    this.ledger.add(p.origin, this.id, sign * (p.end - p.start));
  }

  /** The VMA containing addr. */
  find(addr: bigint): Vma | undefined {
    let lo = 0;
    let hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vmas[mid] as Vma;
      if (v.end <= addr) lo = mid + 1;
      else if (v.start > addr) hi = mid;
      else return v;
    }
    return undefined;
  }

  /** Splits the VMA that straddles addr into two (__split_vma). */
  private splitAt(addr: bigint): void {
    const i = this.vmas.findIndex((v) => v.start < addr && v.end > addr);
    if (i < 0) return;
    const v = this.vmas[i] as Vma;
    const left: Piece[] = [];
    const right: Piece[] = [];
    for (const p of v.pieces) {
      if (p.end <= addr) left.push(p);
      else if (p.start >= addr) right.push(p);
      else {
        left.push({ ...p, end: addr });
        right.push({ ...p, start: addr });
      }
    }
    const after: Vma = { ...v, start: addr, pgoff: v.pgoff + (addr - v.start) / PAGE, pieces: right };
    this.vmas.splice(i, 1, { ...v, end: addr, pieces: left }, after);
  }

  /** The VMAs within [start, end), split at both ends. */
  private range(start: bigint, end: bigint): Vma[] {
    this.splitAt(start);
    this.splitAt(end);
    return this.vmas.filter((v) => v.start >= start && v.end <= end);
  }

  /** Removes [start, end) (do_vmi_munmap); returns the bytes that were mapped there. */
  unmap(start: bigint, end: bigint): bigint {
    let freed = 0n;
    const gone = new Set(this.range(start, end));
    for (const v of gone) {
      freed += v.end - v.start;
      for (const p of v.pieces) this.count(p, -1n);
    }
    this.vmas = this.vmas.filter((v) => !gone.has(v));
    return freed;
  }

  /** Inserts a new VMA over a free range, merged with its neighbours where the kernel would. */
  insert(v: Vma): void {
    for (const p of v.pieces) this.count(p, 1n);
    let i = this.vmas.findIndex((w) => w.start >= v.end);
    if (i < 0) i = this.vmas.length;
    this.vmas.splice(i, 0, v);
    this.mergeAround(v.start, v.end);
    // It merges as it is made, with no pages yet; a writable one has them soon after.
    const made = this.find(v.start);
    if (made && made.flags & VM.WRITE && !(made.flags & VM.SHARED)) this.touch(made);
  }

  /** Gives a private mapping its anon_vma, as its first write fault would. */
  touch(v: Vma): void {
    if (v.anonVma === undefined && !(v.flags & VM.SHARED)) v.anonVma = this.nextAnonVma++;
  }

  /**
   * Merges each pair of neighbours in and at the edges of [start, end) that the kernel would join
   * (vma_merge_new_range, vma_merge_existing_range): touching, the same flags, the same file with
   * contiguous offsets (or both anonymous at contiguous first addresses), nothing special.
   */
  mergeAround(start: bigint, end: bigint): void {
    for (let i = 1; i < this.vmas.length; i++) {
      const a = this.vmas[i - 1] as Vma;
      const b = this.vmas[i] as Vma;
      if (b.start < start || a.end > end) {
        if (!(a.end === start || b.start === end)) continue;
      }
      if (!mergeable(a, b)) continue;
      this.vmas.splice(i - 1, 2, {
        ...a,
        end: b.end,
        anonVma: a.anonVma ?? b.anonVma,
        inherited: a.inherited || b.inherited,
        pieces: [...a.pieces, ...b.pieces],
      });
      i--;
    }
  }

  /** Changes the flags of [start, end) as `change` says (mprotect_fixup, madvise_update_vma, mlock_fixup). */
  modify(start: bigint, end: bigint, change: (v: Vma) => number): void {
    for (const v of this.range(start, end)) v.flags = change(v);
    this.mergeAround(start, end);
    // Pages come after the merge, at the first write.
    for (const v of this.vmas) if (v.end > start && v.start < end && v.flags & VM.WRITE) this.touch(v);
  }

  /** Makes change `origin` the owner of the pages in [start, end) (memory made executable is the JIT's). */
  reown(start: bigint, end: bigint, origin: number): void {
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) continue;
      const pieces: Piece[] = [];
      for (const p of v.pieces) {
        const s = p.start > start ? p.start : start;
        const e = p.end < end ? p.end : end;
        if (s >= e || p.origin === origin) {
          pieces.push(p);
          continue;
        }
        if (p.start < s) pieces.push({ ...p, end: s });
        const taken = { start: s, end: e, origin: p.origin };
        this.count(taken, -1n);
        taken.origin = origin;
        this.count(taken, 1n);
        pieces.push(taken);
        if (p.end > e) pieces.push({ ...p, start: e });
      }
      v.pieces = pieces;
    }
  }

  mprotect(start: bigint, end: bigint, prot: number): void {
    const bits = protBits(prot);
    this.modify(start, end, (v) => {
      let flags = (v.flags & ~PROT_BITS) | bits;
      // mprotect_fixup: making a private mapping writable charges it (VM_ACCOUNT); making it read-only
      // again does not uncharge it, except an anonymous one never touched (6.4).
      if (flags & VM.WRITE) {
        if (!(v.flags & (VM.ACCOUNT | VM.WRITE | VM.HUGETLB | VM.SHARED | VM.NORESERVE))) flags |= VM.ACCOUNT;
      } else if (this.rules.unaccountUntouched && v.flags & VM.ACCOUNT && !v.file && v.anonVma === undefined)
        flags &= ~VM.ACCOUNT;
      return flags;
    });
  }

  /** A new mapping's flags (do_mmap, mmap_region). */
  mmapFlags(prot: number, flags: number): number {
    let vm = protBits(prot) | VM.MAYREAD | VM.MAYWRITE | VM.MAYEXEC | this.defFlags;
    const type = flags & MAP_TYPE;
    if (type === MAP.MAP_SHARED || type === MAP.MAP_SHARED_VALIDATE) vm |= VM.SHARED | VM.MAYSHARE;
    if (flags & MAP.MAP_GROWSDOWN || prot & PROT_GROWSDOWN) vm |= VM.GROWSDOWN;
    if (flags & MAP.MAP_LOCKED) vm |= VM.LOCKED;
    if (flags & MAP.MAP_NORESERVE && !this.rules.overcommitNever) vm |= VM.NORESERVE;
    if (flags & MAP.MAP_STACK && this.rules.mapStackNoHugepage) vm |= VM.NOHUGEPAGE;
    if (flags & MAP.MAP_HUGETLB) vm |= VM.HUGETLB;
    // accountable_mapping: private and writable, not NORESERVE.
    if ((vm & (VM.NORESERVE | VM.SHARED | VM.WRITE)) === VM.WRITE && !(vm & VM.HUGETLB)) vm |= VM.ACCOUNT;
    return vm;
  }
}

function protBits(prot: number): number {
  return (
    (prot & PROT.PROT_READ ? VM.READ : 0) |
    (prot & PROT.PROT_WRITE ? VM.WRITE : 0) |
    (prot & PROT.PROT_EXEC ? VM.EXEC : 0)
  );
}

/** is_mergeable_vma, is_mergeable_anon_vma and the offset check of can_vma_merge_before/after. */
function mergeable(a: Vma, b: Vma): boolean {
  if (a.end !== b.start) return false;
  if ((a.flags | b.flags) & VM.SPECIAL) return false;
  if (a.flags !== b.flags || a.name !== b.name) return false;
  if (a.file?.identity !== b.file?.identity) return false;
  // Shared anonymous memory is a shmem file of its own each time.
  if (!a.file && a.flags & VM.SHARED) return false;
  // A mapping that came through fork with pages joins no other (vma_had_uncowed_parents). Two
  // different anon_vmas do not join either, but which mappings have pages is a guess (no call shows a
  // write), and the guess is wrong too often to refuse on it: a mapping not yet written has none.
  if ((a.anonVma !== undefined && a.inherited) || (b.anonVma !== undefined && b.inherited)) {
    if (a.anonVma !== b.anonVma) return false;
  }
  return a.pgoff + (a.end - a.start) / PAGE === b.pgoff;
}

/** The perms column: r, w, x, then s (VM_MAYSHARE) or p. */
export function permsOf(flags: number): string {
  return (
    (flags & VM.READ ? "r" : "-") +
    (flags & VM.WRITE ? "w" : "-") +
    (flags & VM.EXEC ? "x" : "-") +
    (flags & VM.MAYSHARE ? "s" : "p")
  );
}

/** A snapshot's perms as flags, for the mappings the kernel's exec made. */
function flagsOfPerms(perms: string): number {
  let f = VM.MAYREAD | VM.MAYWRITE | VM.MAYEXEC;
  if (perms[0] === "r") f |= VM.READ;
  if (perms[1] === "w") f |= VM.WRITE;
  if (perms[2] === "x") f |= VM.EXEC;
  if (perms[3] === "s") f |= VM.SHARED | VM.MAYSHARE;
  else if (f & VM.WRITE) f |= VM.ACCOUNT;
  return f;
}

/** The hex text of an address as the maps print it (at least 8 digits). */
export const hex8 = (v: bigint) => v.toString(16).padStart(8, "0");

/** One line of /proc/PID/maps for a VMA (show_map_vma: the prefix padded to 72 columns, then the name). */
export function mapsLine(mm: AddressSpace, v: Vma, withDevice = true): string {
  const offset = v.file ? v.pgoff * PAGE : 0n;
  const dev = v.file ? (v.file.dev ?? "00:00") : "00:00";
  const inode = v.file ? (v.file.inode ?? "0") : "0";
  const prefix = `${hex8(v.start)}-${hex8(v.end)} ${permsOf(v.flags)} ${hex8(offset)} ${withDevice ? dev : "??:??"} ${withDevice ? inode : "?"} `;
  const name = vmaName(mm, v);
  return name === "" ? prefix : `${prefix.padEnd(72)} ${name}`;
}

/** The name column: the file's path (a newline as \012), or the kernel's name for the mapping. */
export function vmaName(mm: AddressSpace, v: Vma): string {
  if (v.file) return v.file.path.replace(/\n/g, "\\012");
  if (v.name) return v.name;
  // vma_is_initial_heap, vma_is_initial_stack (fs/proc/task_mmu.c).
  if (mm.startBrk !== undefined && mm.brk !== undefined && v.start <= mm.brk && v.end >= mm.startBrk)
    return "[heap]";
  if (mm.startStack !== undefined && v.start <= mm.startStack && v.end >= mm.startStack) return "[stack]";
  return "";
}

/** The whole maps text of an address space. */
export function mapsText(mm: AddressSpace, withDevice = true): string {
  return mm.vmas.map((v) => `${mapsLine(mm, v, withDevice)}\n`).join("");
}

/** /proc/PID/maps (and the stat line, for start_brk and start_stack) read at an execve's return or at exit. */
export interface Snapshot {
  pid: number;
  at: "exec" | "exit";
  /** Which execve of the pid it follows (0 = the first in the trace). */
  execIndex: number;
  maps: string;
  stat: string | undefined;
  /** At exit: /proc/PID/smaps read then too, for each mapping's resident size. */
  smaps?: string;
}

/** start_stack (field 28) and start_brk (47) of /proc/PID/stat. */
function statFields(stat: string | undefined): { startStack?: bigint; startBrk?: bigint } {
  if (!stat) return {};
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields are numbered from 1 with pid and comm first: field N is fields[N - 3].
  const at = (n: number) =>
    fields[n - 3] && /^\d+$/.test(fields[n - 3] as string) ? BigInt(fields[n - 3] as string) : undefined;
  const startStack = at(28);
  const startBrk = at(47);
  return {
    ...(startStack ? { startStack } : {}),
    ...(startBrk ? { startBrk } : {}),
  };
}

/** Where a file mapped later is on disk (the runner stats the paths); maps print `dev inode`. */
export type FileIdentity = (path: string) => { dev: string; inode: string } | undefined;

export interface ReplayOptions {
  rules: KernelRules;
  snapshots: Snapshot[];
  fileIdentity?: FileIdentity;
  /** Execves of the root pid before the program's (a trampoline's own): their images are not kept. */
  skipExecs?: number;
  /**
   * The owner a change's bytes count under (attribute.ts), asked once the change is applied; the
   * address space is as the change left it. Without it, each change's kind.
   */
  classify?: (change: MemoryChange, mm: AddressSpace, process: ProcessInfo) => string;
}

/** A process and the address spaces it had, one per exec. */
export interface ProcessInfo {
  pid: number;
  /** The process (thread group leader) a thread belongs to. */
  leader: number;
  parent: number | undefined;
  isThread: boolean;
  /** Its clone has been replayed. */
  born: boolean;
  /** Its address space now. */
  mm: AddressSpace | undefined;
  /** The program of each exec, in order. */
  programs: string[];
  exit: { status: number | undefined; signal: string | undefined; time: number } | undefined;
}

/** How the maps replayed at an exit compare with the maps read there. */
export interface ExitComparison {
  pid: number;
  mm: number;
  lines: number;
  identical: number;
  /**
   * Lines identical but for the device and inode of a file no call names: shared anonymous memory's
   * shmem file (`/dev/zero (deleted)`), made inside mmap. Not counted in `identical`.
   */
  identicalButInode: number;
  /** The differing lines: what the replay has and what the kernel printed. */
  differences: { replayed: string | undefined; real: string | undefined }[];
}

/**
 * Replays every change in order. The pieces' owners are decided elsewhere (attribute.ts): each piece
 * names the change that made it.
 */
export class Replay implements Ledger {
  readonly changes: MemoryChange[] = [];
  readonly processes = new Map<number, ProcessInfo>();
  readonly spaces: AddressSpace[] = [];
  /** Bytes mapped now per change that made them. */
  readonly live = new Map<number, bigint>();
  /** The owner each change's bytes count under (ReplayOptions.classify), by change index. */
  readonly keyOf: string[] = [];
  /** Per address space, per owner: the bytes mapped now and the most ever mapped at once. */
  readonly owners = new Map<number, Map<string, { now: bigint; peak: bigint }>>();
  /** Per address space, all its bytes: now and at most. */
  readonly totals = new Map<number, { now: bigint; peak: bigint }>();
  readonly comparisons: ExitComparison[] = [];
  /** Calls on an address space the replay does not know. */
  unknown = 0;
  /** Calls of the trampoline that started the program (env's own, before its execve of it). */
  skipped = 0;
  private readonly execCount = new Map<number, number>();
  /** Each child's clone, found before the replay: a child's first line can come before its clone returns. */
  private readonly births = new Map<number, SyscallEvent>();

  constructor(
    private readonly options: ReplayOptions,
    events: TraceEvent[] = [],
  ) {
    for (const e of events)
      if (e.type === "syscall" && e.call?.call === "clone" && e.result.kind === "value")
        this.births.set(Number(e.result.value), e);
  }

  add(origin: number, mm: number, delta: bigint): void {
    this.live.set(origin, (this.live.get(origin) ?? 0n) + delta);
    const total = this.totals.get(mm) ?? { now: 0n, peak: 0n };
    total.now += delta;
    if (total.now > total.peak) total.peak = total.now;
    this.totals.set(mm, total);
    const key = this.keyOf[origin];
    if (key !== undefined) this.addOwned(mm, key, delta);
  }

  private addOwned(mm: number, key: string, delta: bigint): void {
    let byKey = this.owners.get(mm);
    if (!byKey) this.owners.set(mm, (byKey = new Map()));
    const t = byKey.get(key) ?? { now: 0n, peak: 0n };
    t.now += delta;
    if (t.now > t.peak) t.peak = t.now;
    byKey.set(key, t);
  }

  /** Feeds one event (in the parser's order: each call where it finished). */
  apply(e: TraceEvent): void {
    const from = this.changes.length;
    this.applyEvent(e);
    // Each new change gets its owner once it is done (what it replaced is already counted off).
    for (let i = from; i < this.changes.length; i++) {
      const c = this.changes[i] as MemoryChange;
      const mm = this.spaces[c.mm] as AddressSpace;
      const key = this.options.classify?.(c, mm, this.process(c.pid)) ?? c.kind;
      this.keyOf[c.index] = key;
      const bytes = this.live.get(c.index) ?? 0n;
      this.addOwned(c.mm, key, bytes);
    }
  }

  private applyEvent(e: TraceEvent): void {
    if (e.type === "exit") {
      const p = this.process(e.pid);
      p.exit = { status: e.status, signal: e.signal, time: e.time };
      return;
    }
    if (e.type === "note" && e.text === DETACHED) {
      this.onDetach(e);
      return;
    }
    if (e.type !== "syscall" || !e.call) return;
    const call = e.call;
    if (call.call === "clone") {
      this.onClone(e, call.flags);
      return;
    }
    if (call.call === "execve") {
      this.onExec(e, call.path);
      return;
    }
    if (call.call === "exit") {
      if (call.group) this.onExitGroup(e);
      return;
    }
    const p = this.process(e.pid);
    const mm = p.mm;
    if (!mm) {
      if (p.pid === this.rootPid() && (this.execCount.get(p.pid) ?? 0) <= (this.options.skipExecs ?? 0))
        this.skipped++;
      else this.unknown++;
      return;
    }
    if (call.call === "arch_prctl") return;
    this.onMemoryCall(e, call, mm);
  }

  process(pid: number): ProcessInfo {
    let p = this.processes.get(pid);
    if (!p) {
      p = {
        pid,
        leader: pid,
        parent: undefined,
        isThread: false,
        born: false,
        mm: undefined,
        programs: [],
        exit: undefined,
      };
      this.processes.set(pid, p);
      // The child runs before its parent's clone returns: it was born with the parent's memory then.
      const clone = this.births.get(pid);
      if (clone?.call?.call === "clone" && clone.pid !== pid)
        this.birth(p, this.process(clone.pid), clone.call.flags, clone);
    }
    return p;
  }

  private newChange(
    kind: ChangeKind,
    e: SyscallEvent | undefined,
    pid: number,
    mm: AddressSpace,
    start: bigint,
    end: bigint,
    time: number,
  ): MemoryChange {
    const c: MemoryChange = {
      index: this.changes.length,
      kind,
      pid,
      mm: mm.id,
      time,
      event: e,
      start,
      end,
      mapped: 0n,
      unmapped: 0n,
      failed: false,
      path: undefined,
      perms: undefined,
      madeExecutable: false,
      ipObject: undefined,
    };
    const at = e?.ip !== undefined ? mm.find(e.ip) : undefined;
    if (at) c.ipObject = vmaName(mm, at);
    this.changes.push(c);
    return c;
  }

  private newSpace(): AddressSpace {
    const mm = new AddressSpace(this.spaces.length, this.options.rules, this);
    this.spaces.push(mm);
    return mm;
  }

  private onClone(e: SyscallEvent, flags: number): void {
    if (e.result.kind !== "value") return;
    const childPid = Number(e.result.value);
    const parent = this.process(e.pid);
    const child = this.process(childPid);
    if (!child.born) this.birth(child, parent, flags, e);
  }

  /** A new process or thread: the parent's address space shared (CLONE_VM) or copied (fork). */
  private birth(child: ProcessInfo, parent: ProcessInfo, flags: number, e: SyscallEvent): void {
    child.born = true;
    child.parent = parent.pid;
    child.isThread = (flags & CLONE_THREAD) !== 0;
    child.leader = child.isThread ? parent.leader : child.pid;
    child.programs = [...parent.programs.slice(-1)];
    if (flags & CLONE_VM) child.mm = parent.mm;
    else if (parent.mm) {
      const mm = parent.mm.clone(this.spaces.length);
      this.spaces.push(mm);
      child.mm = mm;
      const c = this.newChange("fork", e, child.pid, mm, 0n, 0n, e.endTime);
      c.mapped = mm.size();
    }
  }

  private onExec(e: SyscallEvent, path: string): void {
    if (e.result.kind !== "value") return;
    const p = this.process(e.pid);
    const n = this.execCount.get(e.pid) ?? 0;
    this.execCount.set(e.pid, n + 1);
    if (p.pid === this.rootPid() && n < (this.options.skipExecs ?? 0)) return;
    const snap = this.options.snapshots.find((s) => s.pid === e.pid && s.at === "exec" && s.execIndex === n);
    const mm = this.newSpace();
    p.mm = mm;
    p.programs.push(path);
    const c = this.newChange("exec", e, e.pid, mm, 0n, 0n, e.endTime);
    if (!snap) return;
    const entries = parseMaps(snap.maps);
    const stat = statFields(snap.stat);
    mm.startStack = stat.startStack;
    mm.startBrk = stat.startBrk;
    mm.brk = stat.startBrk;
    for (const m of entries) {
      const file = m.inode !== 0n || (m.path.startsWith("/") && m.devText !== "00:00");
      const special = /^\[(vdso|vvar|vvar_vclock|vsyscall|uprobes)\]$/.test(m.path);
      let flags = flagsOfPerms(m.perms);
      if (special) flags |= VM.SPECIAL;
      if (m.path === "[stack]") {
        flags |= VM.GROWSDOWN;
        // Without stat, the line the kernel named [stack] holds start_stack.
        mm.startStack ??= m.end - 1n;
      }
      const piece: Piece = { start: m.start, end: m.end, origin: c.index };
      mm.vmas.push({
        start: m.start,
        end: m.end,
        flags,
        pgoff: file ? m.offset / PAGE : m.start / PAGE,
        file: file
          ? {
              path: m.path.replace(/\\012/g, "\n"),
              dev: m.devText,
              inode: m.inodeText,
              identity: `exec:${m.path}`,
            }
          : undefined,
        name: special ? m.path : undefined,
        anonVma: undefined,
        inherited: false,
        pieces: [piece],
      });
      if (flags & VM.WRITE) mm.touch(mm.vmas[mm.vmas.length - 1] as Vma);
      mm.count(piece, 1n);
    }
    // Attached to a running process: its brk is where its [heap] ends now, not where it began.
    const heap = e.attached ? entries.find((m) => m.path === "[heap]") : undefined;
    if (heap) mm.brk = heap.end;
    c.mapped = mm.size();
    const image = new Map<string, { name: string; mappings: number; bytes: bigint }>();
    let prev: { end: bigint; name: string } | undefined;
    for (const v of mm.vmas) {
      // A bss (an anonymous line right after its file's last) counts with its file.
      const name = vmaName(mm, v) || (prev && prev.end === v.start ? prev.name : "[anonymous]");
      prev = { end: v.end, name };
      const entry = image.get(name) ?? { name, mappings: 0, bytes: 0n };
      entry.mappings++;
      entry.bytes += v.end - v.start;
      image.set(name, entry);
    }
    c.image = [...image.values()];
    const first = mm.vmas[0];
    const last = mm.vmas[mm.vmas.length - 1];
    if (first && last) [c.start, c.end] = [first.start, last.end];
  }

  private rootPid(): number | undefined {
    return this.processes.keys().next().value;
  }

  private onExitGroup(e: SyscallEvent): void {
    const p = this.process(e.pid);
    const mm = p.mm;
    if (!mm) return;
    const snap = this.options.snapshots.find((s) => s.pid === e.pid && s.at === "exit");
    if (snap) {
      this.growStack(e, mm, snap);
      this.comparisons.push(compareMaps(e.pid, mm, snap.maps));
    }
    const c = this.newChange("exit", e, e.pid, mm, 0n, 0n, e.time);
    c.unmapped = 0n;
  }

  /** The stack's growth, seen only in the maps: its lowest address at exit against the replay's. */
  /** `trace --pid` let the process go on: its maps then (the exit snapshot's place) are the check. */
  private onDetach(e: { pid: number; time: number }): void {
    const mm = this.process(e.pid).mm;
    const snap = this.options.snapshots.find((s) => s.pid === e.pid && s.at === "exit");
    if (!mm || !snap) return;
    this.growStack(e, mm, snap);
    this.comparisons.push(compareMaps(e.pid, mm, snap.maps));
  }

  private growStack(e: { pid: number; time: number }, mm: AddressSpace, snap: Snapshot): void {
    const stack = mm.vmas.find((v) => v.flags & VM.GROWSDOWN && vmaName(mm, v) === "[stack]");
    if (!stack) return;
    const real = parseMaps(snap.maps).find((m) => m.path === "[stack]" && m.end === stack.end);
    if (!real || real.start >= stack.start) return;
    const c = this.newChange("stack-growth", undefined, e.pid, mm, real.start, stack.start, e.time);
    c.mapped = stack.start - real.start;
    c.perms = permsOf(stack.flags);
    const piece: Piece = { start: real.start, end: stack.start, origin: c.index };
    mm.count(piece, 1n);
    stack.pieces.unshift(piece);
    stack.pgoff -= c.mapped / PAGE;
    stack.start = real.start;
  }

  private onMemoryCall(e: SyscallEvent, call: DecodedCall, mm: AddressSpace): void {
    const ok = e.result.kind === "value";
    const value = e.result.kind === "value" ? e.result.value : 0n;
    switch (call.call) {
      case "mmap": {
        const length = pageUp(call.length);
        const start = ok ? value : pageDown(call.addr);
        const c = this.newChange("mmap", e, e.pid, mm, start, start + length, e.endTime);
        const anonymous = (call.flags & MAP.MAP_ANONYMOUS) !== 0 || call.fd.fd < 0;
        c.path = anonymous ? undefined : call.fd.path;
        const flags = mm.mmapFlags(call.prot, call.flags);
        c.perms = permsOf(flags);
        c.madeExecutable = anonymous && (flags & VM.EXEC) !== 0;
        if (!ok) {
          c.failed = true;
          return;
        }
        // MAP_FIXED replaces what was there (do_vmi_munmap inside mmap_region).
        c.unmapped = mm.unmap(start, start + length);
        c.mapped = length;
        const shared = (flags & VM.SHARED) !== 0;
        const file = anonymous
          ? shared
            ? { path: "/dev/zero (deleted)", dev: undefined, inode: undefined, identity: `shm:${c.index}` }
            : undefined
          : this.mappedFile(e.pid, call.fd.fd, call.fd.path ?? `fd ${call.fd.fd}`);
        mm.insert({
          start,
          end: start + length,
          flags,
          pgoff: !anonymous ? call.offset / PAGE : shared ? 0n : start / PAGE,
          file,
          name: undefined,
          anonVma: undefined,
          inherited: false,
          pieces: [{ start, end: start + length, origin: c.index }],
        });
        return;
      }
      case "munmap": {
        const start = pageDown(call.addr);
        const end = pageUp(call.addr + call.length);
        const c = this.newChange("munmap", e, e.pid, mm, start, end, e.endTime);
        c.path = mm.find(start)?.file?.path;
        if (!ok) c.failed = true;
        else c.unmapped = mm.unmap(start, end);
        return;
      }
      case "mprotect": {
        const start = pageDown(call.addr);
        const end = pageUp(call.addr + call.length);
        const c = this.newChange("mprotect", e, e.pid, mm, start, end, e.endTime);
        c.path = mm.find(start)?.file?.path;
        const bits = protBits(call.prot);
        c.perms = permsOf(bits | ((mm.find(start)?.flags ?? 0) & VM.MAYSHARE));
        if (!ok) {
          c.failed = true;
          return;
        }
        const before = mm.find(start);
        c.madeExecutable =
          !before?.file && (bits & VM.EXEC) !== 0 && before !== undefined && !(before.flags & VM.EXEC);
        mm.mprotect(start, end, call.prot);
        if (c.madeExecutable) mm.reown(start, end, c.index);
        return;
      }
      case "mremap":
        this.mremap(e, call, mm, ok, value);
        return;
      case "brk":
        this.onBrk(e, call.addr, mm, ok, value);
        return;
      case "madvise": {
        const start = pageDown(call.addr);
        const end = pageUp(call.addr + call.length);
        const change = adviceFlags(call.advice);
        if (!change) return;
        const c = this.newChange("madvise", e, e.pid, mm, start, end, e.endTime);
        if (!ok) c.failed = true;
        else mm.modify(start, end, (v) => (v.flags & ~change.clear) | change.set);
        return;
      }
      case "mlock": {
        const start = pageDown(call.addr);
        const end = pageUp(call.addr + call.length);
        const c = this.newChange("mlock", e, e.pid, mm, start, end, e.endTime);
        const bits = VM.LOCKED | (call.onFault ? VM.LOCKONFAULT : 0);
        if (!ok) c.failed = true;
        else
          mm.modify(start, end, (v) =>
            call.lock ? v.flags | bits : v.flags & ~(VM.LOCKED | VM.LOCKONFAULT),
          );
        return;
      }
      case "mlockall": {
        if (!ok) return;
        const onFault = call.flags.includes("MCL_ONFAULT") ? VM.LOCKONFAULT : 0;
        if (call.flags.includes("MCL_FUTURE")) mm.defFlags |= VM.LOCKED | onFault;
        if (call.flags.includes("MCL_CURRENT")) {
          const c = this.newChange("mlock", e, e.pid, mm, 0n, 0n, e.endTime);
          c.start = mm.vmas[0]?.start ?? 0n;
          c.end = mm.vmas.at(-1)?.end ?? 0n;
          mm.modify(c.start, c.end, (v) => (v.flags & VM.SPECIAL ? v.flags : v.flags | VM.LOCKED | onFault));
        }
        return;
      }
      case "munlockall": {
        if (!ok) return;
        mm.defFlags &= ~(VM.LOCKED | VM.LOCKONFAULT);
        const start = mm.vmas[0]?.start ?? 0n;
        const end = mm.vmas.at(-1)?.end ?? 0n;
        this.newChange("mlock", e, e.pid, mm, start, end, e.endTime);
        mm.modify(start, end, (v) => v.flags & ~(VM.LOCKED | VM.LOCKONFAULT));
        return;
      }
      case "shmat": {
        const c = this.newChange("shmat", e, e.pid, mm, value, value, e.endTime);
        // The segment's size is not in the call: only the maps at exit would tell it.
        c.failed = !ok;
        return;
      }
      case "shmdt": {
        const c = this.newChange("shmdt", e, e.pid, mm, call.addr, call.addr, e.endTime);
        const v = mm.find(call.addr);
        if (ok && v) c.unmapped = mm.unmap(v.start, v.end);
        return;
      }
    }
  }

  /** A file mapped through a descriptor, with its device and inode from the runner. */
  private mappedFile(pid: number, fd: number, path: string): MappedFile {
    const id = this.options.fileIdentity?.(path);
    const leader = this.process(pid).leader;
    return { path, dev: id?.dev, inode: id?.inode, identity: `${leader}:${fd}:${path}` };
  }

  /** mremap: shrink in place, grow in place, or move (the old pages keep their owner and offset). */
  private mremap(
    e: SyscallEvent,
    call: Extract<DecodedCall, { call: "mremap" }>,
    mm: AddressSpace,
    ok: boolean,
    value: bigint,
  ): void {
    const oldStart = pageDown(call.oldAddr);
    const oldLength = pageUp(call.oldLength);
    const newLength = pageUp(call.newLength);
    const target = ok ? value : oldStart;
    const c = this.newChange("mremap", e, e.pid, mm, target, target + newLength, e.endTime);
    if (!ok) {
      c.failed = true;
      return;
    }
    const source = mm.find(oldStart);
    if (!source) return;
    c.path = source.file?.path;
    c.perms = permsOf(source.flags);
    const kept = newLength < oldLength ? newLength : oldLength;
    if (target === oldStart) {
      if (newLength < oldLength) c.unmapped = mm.unmap(oldStart + newLength, oldStart + oldLength);
      else if (newLength > oldLength) {
        // vma_expand: the VMA that ends at the old end grows over the new pages.
        const tail = mm.find(oldStart + oldLength - 1n);
        if (!tail) return;
        const grown = oldStart + newLength - tail.end;
        mm.unmap(tail.end, oldStart + newLength);
        const piece = { start: tail.end, end: oldStart + newLength, origin: c.index };
        tail.pieces.push(piece);
        tail.end = oldStart + newLength;
        mm.count(piece, 1n);
        c.mapped = grown;
        mm.mergeAround(tail.start, tail.end);
      }
      return;
    }
    // A move (move_vma, copy_vma): the VMAs of the old range go to the new place with their flags,
    // offsets and pieces; what grows is new, owned by this call.
    if (call.flags & MREMAP.MREMAP_FIXED || target !== oldStart) mm.unmap(target, target + newLength);
    const delta = target - oldStart;
    const moved = mm.vmas
      .filter((v) => v.end > oldStart && v.start < oldStart + kept)
      .map((v) => clip(v, oldStart, oldStart + kept));
    if (!(call.flags & MREMAP.MREMAP_DONTUNMAP)) mm.unmap(oldStart, oldStart + oldLength);
    c.unmapped = oldLength - kept;
    for (const v of moved) {
      mm.insert({
        ...v,
        start: v.start + delta,
        end: v.end + delta,
        pieces: v.pieces.map((p) => ({ ...p, start: p.start + delta, end: p.end + delta })),
      });
    }
    if (newLength > oldLength) {
      const last = mm.find(target + kept - 1n);
      if (last) {
        const piece = { start: target + kept, end: target + newLength, origin: c.index };
        last.pieces.push(piece);
        last.end = target + newLength;
        mm.count(piece, 1n);
        c.mapped = newLength - oldLength;
      }
    }
  }

  /** brk: grow the heap's VMA or make it, or unmap its top (SYSCALL_DEFINE1(brk), do_brk_flags). */
  private onBrk(e: SyscallEvent, asked: bigint, mm: AddressSpace, ok: boolean, value: bigint): void {
    if (!ok) return;
    // The first brk(NULL) says where the heap starts, when the exec's snapshot did not.
    if (mm.startBrk === undefined) mm.startBrk = value;
    const oldBrk = mm.brk ?? mm.startBrk;
    mm.brk = value;
    if (asked === 0n || value === oldBrk) return;
    const oldTop = pageUp(oldBrk);
    const newTop = pageUp(value);
    const c = this.newChange(
      "brk",
      e,
      e.pid,
      mm,
      oldTop < newTop ? oldTop : newTop,
      oldTop < newTop ? newTop : oldTop,
      e.endTime,
    );
    c.perms = "rw-p";
    if (newTop < oldTop) {
      c.unmapped = mm.unmap(newTop, oldTop);
      return;
    }
    if (newTop === oldTop) return;
    c.mapped = newTop - oldTop;
    const flags = VM.READ | VM.WRITE | VM.MAYREAD | VM.MAYWRITE | VM.MAYEXEC | VM.ACCOUNT | mm.defFlags;
    const piece = { start: oldTop, end: newTop, origin: c.index };
    const prev = mm.find(oldTop - 1n);
    if (prev && prev.end === oldTop && prev.flags === flags && !prev.file && !prev.name) {
      // do_brk_flags expands the VMA below when it can merge after it.
      if (prev.pgoff + (prev.end - prev.start) / PAGE === oldTop / PAGE) {
        prev.pieces.push(piece);
        prev.end = newTop;
        mm.count(piece, 1n);
        mm.mergeAround(prev.start, prev.end);
        return;
      }
    }
    mm.insert({
      start: oldTop,
      end: newTop,
      flags,
      pgoff: oldTop / PAGE,
      file: undefined,
      name: undefined,
      anonVma: undefined,
      inherited: false,
      pieces: [piece],
    });
  }
}

/** A copy of a VMA cut to [start, end). */
function clip(v: Vma, start: bigint, end: bigint): Vma {
  const s = v.start > start ? v.start : start;
  const e = v.end < end ? v.end : end;
  return {
    ...v,
    start: s,
    end: e,
    pgoff: v.pgoff + (s - v.start) / PAGE,
    pieces: v.pieces
      .filter((p) => p.end > s && p.start < e)
      .map((p) => ({ ...p, start: p.start > s ? p.start : s, end: p.end < e ? p.end : e })),
  };
}

/** The vm_flags an madvise sets and clears (madvise_vma_behavior); undefined when it changes none. */
function adviceFlags(advice: number): { set: number; clear: number } | undefined {
  switch (advice) {
    case 0:
      return { set: 0, clear: VM.SEQ_READ | VM.RAND_READ };
    case 1:
      return { set: VM.RAND_READ, clear: VM.SEQ_READ };
    case 2:
      return { set: VM.SEQ_READ, clear: VM.RAND_READ };
    case 10:
      return { set: VM.DONTCOPY, clear: 0 };
    case 11:
      return { set: 0, clear: VM.DONTCOPY };
    case 12:
      return { set: VM.MERGEABLE, clear: 0 };
    case 13:
      return { set: 0, clear: VM.MERGEABLE };
    case 14:
      return { set: VM.HUGEPAGE, clear: VM.NOHUGEPAGE };
    case 15:
      return { set: VM.NOHUGEPAGE, clear: VM.HUGEPAGE };
    case 16:
      return { set: VM.DONTDUMP, clear: 0 };
    case 17:
      return { set: 0, clear: VM.DONTDUMP };
    case 18:
      return { set: VM.WIPEONFORK, clear: 0 };
    case 19:
      return { set: 0, clear: VM.WIPEONFORK };
    default:
      return undefined;
  }
}

/**
 * The replayed maps against the real ones, line by line on every column: range, perms, offset, path,
 * and device and inode where the replay knows them (a file's comes from the runner's stat of it).
 */
export function compareMaps(pid: number, mm: AddressSpace, real: string): ExitComparison {
  const actual = real.split("\n").filter((l) => l !== "");
  const differences: ExitComparison["differences"] = [];
  const key = (l: string) => l.slice(0, l.indexOf("-"));
  const byStart = new Map(actual.map((l) => [key(l), l]));
  // Every column but device and inode (the fourth and fifth).
  const withoutInode = (l: string) => l.replace(/^(\S+ \S+ \S+) \S+ \S+ */, "$1 ");
  let identical = 0;
  let identicalButInode = 0;
  for (const v of mm.vmas) {
    const l = mapsLine(mm, v);
    const r = byStart.get(key(l));
    byStart.delete(key(l));
    if (r === l) identical++;
    else if (r && v.file && v.file.dev === undefined && withoutInode(r) === withoutInode(l))
      identicalButInode++;
    else differences.push({ replayed: l, real: r });
  }
  for (const r of byStart.values()) differences.push({ replayed: undefined, real: r });
  return { pid, mm: mm.id, lines: actual.length, identical, identicalButInode, differences };
}

/** Replays a whole trace. */
export function replayTrace(events: TraceEvent[], options: ReplayOptions): Replay {
  const replay = new Replay(options, events);
  for (const e of events) replay.apply(e);
  return replay;
}
