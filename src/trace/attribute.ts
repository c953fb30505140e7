// Who asked for each change of an address space, from where the call was made: the object of its
// instruction pointer and its call stack (-k), never from its size. Pure.
//
// - the kernel: the exec image, a fork's copy, the stack's growth;
// - ld.so at start-up (every frame in the interpreter): per library the whole-span reservation, the
//   MAP_FIXED segments, the bss (anonymous MAP_FIXED), the holes (PROT_NONE), each RELRO mprotect;
//   /etc/ld.so.cache mapped and unmapped; the static TLS block (the mapping ARCH_SET_FS points into);
//   its own early allocations (rtld's minimal malloc);
// - dlopen: the same work of ld.so with a caller outside it (the stack goes through libc's dl*);
// - libc's malloc (a malloc-family function in the stack): brk's heap, a block mapped on its own
//   (above M_MMAP_THRESHOLD) and its munmap on free, a thread arena's reservation (2 * HEAP_MAX_SIZE,
//   PROT_NONE, MAP_NORESERVE), its alignment trims and growth by mprotect;
// - pthread_create: each thread's stack and guard page (the thread found by clone's stack pointer);
// - the program or a library itself (a call to mmap from its own code), and anonymous memory made
//   executable (a JIT's pattern).
import { type ElfFile, PT_LOAD } from "../elf/index.js";
import { locateInFile } from "../process/symbolize.js";
import {
  type AddressSpace,
  type MemoryChange,
  type ProcessInfo,
  Replay,
  type ReplayOptions,
} from "./address-space.js";
import { MAP, PROT, type StackFrame, type SyscallEvent, type TraceEvent } from "./strace-parse.js";

export type OwnerKind = "kernel" | "ld.so" | "dlopen" | "malloc" | "pthread" | "program" | "library" | "libc";

export type Phase = "attach" | "exec" | "loader" | "main" | "exit";

export interface Owner {
  kind: OwnerKind;
  /** The part of its work this change is: "segment", "RELRO", "arena reservation", "thread stack"... */
  role: string;
  /** What it is about: the library ld.so maps, the program or library that asked, the thread's id. */
  object: string | undefined;
  /** The first frame outside libc and ld.so (`life(main+0x3e)`): who called. */
  caller: string | undefined;
  /** The libc function the call came through (malloc, free, pthread_create, dlopen). */
  via: string | undefined;
  /** Anonymous memory that is or became executable: generated code. */
  jit: boolean;
  /** The thread a stack is for. */
  thread: number | undefined;
}

/** The group an owner's bytes are summed under: `ld.so: libc.so.6`, `malloc: thread arenas`. */
export function ownerGroup(o: Owner): string {
  const base = (p: string | undefined) => (p ? p.slice(p.lastIndexOf("/") + 1) : "");
  switch (o.kind) {
    case "kernel":
      return o.role === "stack growth" ? "kernel: stack growth" : `kernel: ${o.role}`;
    case "ld.so":
    case "dlopen":
      if (o.object) return `${o.kind}: ${base(o.object)}`;
      return `${o.kind}: ${o.role.startsWith("ld.so.cache") ? "ld.so.cache" : o.role}`;
    case "malloc":
      return `malloc: ${o.role.startsWith("arena") ? "thread arenas" : o.role === "heap" ? "heap (brk)" : "large blocks"}`;
    case "pthread":
      return "pthread: thread stacks";
    default:
      return `${o.kind}: ${base(o.object ?? "") || "?"}${o.jit ? " (executable anonymous memory)" : ""}`;
  }
}

/** The function a frame is in, if known for sure; by default the symbol strace's unwinder named. */
export type FrameNamer = (frame: StackFrame) => string | undefined;

/**
 * Names frames from the objects' own symbol tables, only where a symbol's size covers the address:
 * strace's unwinder names the nearest dynamic symbol, which for a static function of libc (sysmalloc,
 * new_heap) is some unrelated exported one (`timer_settime+0x1125`).
 */
export function elfFrameNamer(open: (path: string) => ElfFile | undefined): FrameNamer {
  const files = new Map<string, ElfFile | undefined>();
  const names = new Map<string, string | undefined>();
  return (frame) => {
    const key = `${frame.object}:${frame.fileOffset}`;
    if (names.has(key)) return names.get(key);
    if (!files.has(frame.object)) files.set(frame.object, open(frame.object));
    const file = files.get(frame.object);
    let name: string | undefined = frame.symbol;
    if (file) {
      name = undefined;
      try {
        // -k's offset is in the file: the PT_LOAD that holds it gives the virtual address.
        const load = file.programHeaders.find(
          (ph) =>
            ph.p_type === PT_LOAD &&
            frame.fileOffset >= ph.p_offset &&
            frame.fileOffset < ph.p_offset + ph.p_filesz,
        );
        if (load) {
          const at = locateInFile(file, frame.fileOffset - load.p_offset + load.p_vaddr);
          if (at.exact) name = at.symbol;
        }
      } catch {
        name = undefined;
      }
    }
    names.set(key, name);
    return name;
  };
}

// The families by name, aliases included (`__libc_malloc`, `__pthread_create_2_1`, `___dlopen`).
const MALLOC =
  /^_*(libc_)?(malloc|calloc|realloc|reallocarray|free|cfree|posix_memalign|memalign|aligned_alloc|valloc|pvalloc|malloc_trim)$/;
const PTHREAD = /^_*pthread_(create|join|detach|exit)(_2_\d+)?$/;
const DL = /^_*(libc_)?(dlopen|dlmopen|dlclose|dl_open|dl_close|dlopen_mode)$/;
/** The system calls' own wrappers: a caller of these asked for the change itself. */
const WRAPPER =
  /^_*(mmap|mmap64|munmap|mprotect|pkey_mprotect|mremap|brk|sbrk|madvise|mlock2?|munlock|mlockall|munlockall|shmat|shmdt|syscall)$/;
const EXIT = /^_*(exit|run_exit_handlers|dl_fini|libc_csu_fini)$/;

/** A libc function by the name its callers use: `__libc_malloc` malloc, `cfree` free, `__pthread_create_2_1` pthread_create. */
function plainName(name: string): string {
  const plain = name.replace(/^_+(libc_)?/, "").replace(/_2_\d+$/, "");
  return plain === "cfree" ? "free" : plain;
}

const isLibc = (path: string) => /\/lib(c|pthread|dl)[.-][^/]*$/.test(path) || /\/ld-musl-[^/]*$/.test(path);
const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** What attribution remembers of one address space as it goes. */
interface SpaceState {
  program: string | undefined;
  interp: string | undefined;
  /** The library ld.so is mapping: its path and the span of its reservation. */
  loading: { path: string; start: bigint; end: bigint } | undefined;
  cache: { start: bigint; end: bigint } | undefined;
  blocks: Set<bigint>;
  arenas: { start: bigint; end: bigint }[];
  stacks: { start: bigint; end: bigint; thread: number | undefined }[];
  phase: Phase;
  /** The exec change this state belongs to. */
  exec: number;
}

export class Attributor {
  readonly owners: Owner[] = [];
  readonly phases: Phase[] = [];
  private readonly states = new Map<number, SpaceState>();
  /** ARCH_SET_FS addresses per pid: where each TLS block is. */
  private readonly tls = new Map<number, bigint[]>();
  /** Each clone's stack pointer and the thread it made, per calling pid, in order. */
  private readonly clones = new Map<number, { line: number; stack: bigint; tid: number }[]>();
  /** The first call after each exec, per pid: its ip's object is the interpreter when there is one. */
  private readonly firstAfterExec = new Map<string, SyscallEvent>();

  constructor(
    events: TraceEvent[],
    private readonly namer: FrameNamer = (f) => f.symbol,
  ) {
    const lastExec = new Map<number, number>();
    for (const e of events) {
      if (e.type !== "syscall" || !e.call) continue;
      if (e.call.call === "arch_prctl" && e.call.code === "ARCH_SET_FS" && e.call.addr !== undefined) {
        const list = this.tls.get(e.pid) ?? [];
        list.push(e.call.addr);
        this.tls.set(e.pid, list);
      } else if (e.call.call === "clone" && e.call.stack !== undefined && e.result.kind === "value") {
        const list = this.clones.get(e.pid) ?? [];
        list.push({ line: e.line, stack: e.call.stack, tid: Number(e.result.value) });
        this.clones.set(e.pid, list);
      } else if (e.call.call === "execve" && e.result.kind === "value") lastExec.set(e.pid, e.line);
      else {
        const key = `${e.pid}:${lastExec.get(e.pid) ?? 0}`;
        if (!this.firstAfterExec.has(key)) this.firstAfterExec.set(key, e);
      }
    }
  }

  /** ReplayOptions.classify: decides the change's owner and phase, and names its group. */
  classify = (c: MemoryChange, mm: AddressSpace, p: ProcessInfo): string => {
    const owner = this.attribute(c, mm, p);
    this.owners[c.index] = owner;
    return ownerGroup(owner);
  };

  private state(c: MemoryChange, mm: AddressSpace): SpaceState {
    let s = this.states.get(mm.id);
    if (!s) {
      s = {
        program: undefined,
        interp: undefined,
        loading: undefined,
        cache: undefined,
        blocks: new Set(),
        arenas: [],
        stacks: [],
        phase: "main",
        exec: -1,
      };
      this.states.set(mm.id, s);
    }
    if (c.kind === "exec") {
      s.exec = c.index;
      // Attached to a running process: its loader's work was done long ago.
      s.phase = c.event?.attached ? "main" : "exec";
      const files = mm.vmas.filter((v) => v.file).map((v) => v.file?.path as string);
      const first = c.event ? this.firstAfterExec.get(`${c.pid}:${c.event.line}`) : undefined;
      const firstAt = first?.ip !== undefined ? mm.find(first.ip)?.file?.path : undefined;
      s.program = files.find((f) => f !== firstAt) ?? files[0];
      s.interp = firstAt !== s.program ? firstAt : undefined;
    }
    return s;
  }

  attribute(c: MemoryChange, mm: AddressSpace, p: ProcessInfo): Owner {
    const s = this.state(c, mm);
    const owner = this.decide(c, s, p);
    // Phases: the loader's start-up, then the program, then its exit; each exec begins again.
    if (c.kind === "exec") this.phases[c.index] = c.event?.attached ? "attach" : "exec";
    else {
      if (owner.kind === "ld.so" && (s.phase === "exec" || s.phase === "loader")) s.phase = "loader";
      else if (owner.via !== undefined && EXIT.test(owner.via)) s.phase = "exit";
      else if (c.kind === "exit") s.phase = "exit";
      else if (s.phase !== "exit" && c.kind !== "stack-growth") s.phase = "main";
      this.phases[c.index] = c.kind === "stack-growth" ? "exit" : s.phase;
    }
    return owner;
  }

  private decide(c: MemoryChange, s: SpaceState, p: ProcessInfo): Owner {
    const none: Owner = {
      kind: "kernel",
      role: c.kind,
      object: undefined,
      caller: undefined,
      via: undefined,
      jit: false,
      thread: undefined,
    };
    if (c.kind === "exec")
      return { ...none, role: c.event?.attached ? "as found at attach" : "exec image", object: s.program };
    if (c.kind === "stack-growth") return { ...none, role: "stack growth", object: "[stack]" };
    if (c.kind === "fork")
      return { ...none, role: "fork (a copy of the parent's)", object: p.programs.at(-1) };
    if (c.kind === "exit") return { ...none, role: "exit" };
    const e = c.event as SyscallEvent;
    const frames = e.frames;
    const innerObject = frames[0]?.object ?? c.ipObject;
    const callerIndex = frames.findIndex((f) => f.object !== s.interp && !isLibc(f.object));
    const callerFrame = callerIndex >= 0 ? frames[callerIndex] : undefined;
    const caller = callerFrame ? frameText(callerFrame) : undefined;
    const entry = callerIndex > 0 ? frames[callerIndex - 1] : frames.at(-1);
    const entryName = entry && isLibc(entry.object) ? this.namer(entry) : undefined;
    const via = entryName !== undefined ? plainName(entryName) : undefined;
    const jit = c.madeExecutable;
    const base: Owner = { ...none, caller, via, jit };

    if (innerObject !== undefined && innerObject === s.interp) {
      // ld.so's own mmap: at start-up every frame is ld.so's; dlopen has a caller beyond it.
      // Without stacks (--no-stacks): ld.so working after the program began is dlopen's work.
      const outside = frames.length ? frames.some((f) => f.object !== s.interp) : s.phase === "main";
      return this.loaderRole(c, s, { ...base, kind: outside ? "dlopen" : "ld.so" });
    }
    if (frames.length === 0 && innerObject !== undefined && isLibc(innerObject)) {
      const guess = this.withoutStack(c, s, base);
      if (guess) return guess;
    }
    // Inside libc: the innermost function of a family says whose work it is.
    for (const f of frames.slice(0, callerIndex >= 0 ? callerIndex : frames.length)) {
      if (!isLibc(f.object)) break;
      const name = this.namer(f);
      if (name === undefined) continue;
      const via = plainName(name);
      if (MALLOC.test(name)) return this.mallocRole(c, s, { ...base, kind: "malloc", via });
      if (PTHREAD.test(name)) return this.pthreadRole(c, s, { ...base, kind: "pthread", via });
      if (DL.test(name)) return this.loaderRole(c, s, { ...base, kind: "dlopen", via });
      if (EXIT.test(name)) return ownRole(c, { ...base, kind: "libc", via, object: via });
    }
    // A libc function other than the call's own wrapper did it for its caller: setlocale maps the
    // locale files, fopen's stdio buffers, qsort's scratch.
    if (via !== undefined && !WRAPPER.test(via)) return ownRole(c, { ...base, kind: "libc", object: via });
    const asker = callerFrame?.object ?? (innerObject && !isLibc(innerObject) ? innerObject : undefined);
    if (asker === undefined) return ownRole(c, { ...base, kind: "libc", object: innerObject });
    return ownRole(c, { ...base, kind: asker === s.program ? "program" : "library", object: asker });
  }

  /**
   * A call from libc with no stack: only what glibc's own callers do alone is told apart (brk is
   * malloc's sbrk; MAP_STACK is pthread's allocate_stack; PROT_NONE with MAP_NORESERVE is new_heap).
   */
  private withoutStack(c: MemoryChange, s: SpaceState, base: Owner): Owner | undefined {
    const call = c.event?.call;
    const inArena = s.arenas.some((a) => c.start >= a.start && c.end <= a.end);
    if (c.kind === "brk") return this.mallocRole(c, s, { ...base, kind: "malloc" });
    if (call?.call === "mmap" && call.flags & MAP.MAP_STACK)
      return this.pthreadRole(c, s, { ...base, kind: "pthread" });
    if (call?.call === "mmap" && call.prot === PROT.PROT_NONE && call.flags & MAP.MAP_NORESERVE)
      return this.mallocRole(c, s, { ...base, kind: "malloc" });
    if (inArena) return this.mallocRole(c, s, { ...base, kind: "malloc" });
    if (s.stacks.some((k) => c.start >= k.start && c.end <= k.end))
      return this.pthreadRole(c, s, { ...base, kind: "pthread" });
    return undefined;
  }

  /** ld.so's work (dl-map-segments.h, dl-load.c, rtld.c), at start-up or for dlopen. */
  private loaderRole(c: MemoryChange, s: SpaceState, o: Owner): Owner {
    const call = c.event?.call;
    const within = (r: { start: bigint; end: bigint } | undefined) =>
      r && c.start >= r.start && c.end <= r.end;
    if (call?.call === "mmap") {
      const anonymous = (call.flags & MAP.MAP_ANONYMOUS) !== 0 || call.fd.fd < 0;
      const fixed = (call.flags & MAP.MAP_FIXED) !== 0;
      if (!anonymous && c.path === "/etc/ld.so.cache") {
        s.cache = { start: c.start, end: c.end };
        return { ...o, role: "ld.so.cache" };
      }
      if (!anonymous && !fixed) {
        s.loading = { path: c.path ?? "?", start: c.start, end: c.end };
        return { ...o, role: "reservation (the whole span)", object: c.path };
      }
      if (!anonymous) return { ...o, role: "segment", object: c.path };
      if (fixed && within(s.loading)) return { ...o, role: "bss", object: s.loading?.path };
      const tls = (this.tls.get(c.pid) ?? []).some((a) => a >= c.start && a < c.end);
      if (tls) return { ...o, role: "TLS block" };
      return { ...o, role: "its own allocation" };
    }
    if (call?.call === "munmap") {
      if (s.cache && c.start === s.cache.start) return { ...o, role: "ld.so.cache unmapped" };
      return { ...o, role: "unmap", object: c.path };
    }
    if (call?.call === "mprotect") {
      if (call.prot === PROT.PROT_NONE) return { ...o, role: "hole between segments", object: c.path };
      if (call.prot === PROT.PROT_READ && c.path) return { ...o, role: "RELRO", object: c.path };
      return { ...o, role: "protection change", object: c.path };
    }
    return { ...o, role: c.kind, object: c.path };
  }

  /** glibc malloc's work (malloc/malloc.c sysmalloc, munmap_chunk; malloc/arena.c new_heap, grow_heap). */
  private mallocRole(c: MemoryChange, s: SpaceState, o: Owner): Owner {
    const call = c.event?.call;
    const inArena = s.arenas.some((a) => c.start >= a.start && c.end <= a.end);
    if (c.kind === "brk") return { ...o, role: "heap" };
    if (call?.call === "mmap") {
      if (call.prot === PROT.PROT_NONE && call.flags & MAP.MAP_NORESERVE) {
        s.arenas.push({ start: c.start, end: c.end });
        return { ...o, role: "arena reservation" };
      }
      if (inArena) return { ...o, role: "arena shrink" };
      s.blocks.add(c.start);
      return { ...o, role: "large block, mapped on its own (above M_MMAP_THRESHOLD)" };
    }
    if (call?.call === "munmap") {
      if (inArena) return { ...o, role: "arena trim" };
      if (s.blocks.delete(c.start)) return { ...o, role: "large block freed (munmap_chunk)" };
      return { ...o, role: "unmap" };
    }
    if (call?.call === "mprotect") return { ...o, role: inArena ? "arena growth" : "protection change" };
    if (call?.call === "mremap") {
      s.blocks.delete(call.oldAddr);
      s.blocks.add(c.start);
      return { ...o, role: "large block moved (mremap_chunk)" };
    }
    return { ...o, role: c.kind };
  }

  /** pthread_create's allocate_stack (nptl/allocatestack.c): the stack with its guard below. */
  private pthreadRole(c: MemoryChange, s: SpaceState, o: Owner): Owner {
    const call = c.event?.call;
    const line = c.event?.line ?? 0;
    if (call?.call === "mmap") {
      const next = (this.clones.get(c.pid) ?? []).find(
        (k) => k.line > line && k.stack > c.start && k.stack <= c.end,
      );
      s.stacks.push({ start: c.start, end: c.end, thread: next?.tid });
      return {
        ...o,
        role: "thread stack",
        thread: next?.tid,
        object: next ? `thread ${next.tid}` : undefined,
      };
    }
    const stack = s.stacks.find((k) => c.start >= k.start && c.end <= k.end);
    const thread = stack?.thread;
    const object = thread !== undefined ? `thread ${thread}` : undefined;
    if (call?.call === "mprotect")
      return { ...o, role: "thread stack (above its guard page)", thread, object };
    if (call?.call === "munmap") return { ...o, role: "thread stack freed", thread, object };
    return { ...o, role: c.kind, thread, object };
  }
}

/** A call the program or a library made for itself. */
function ownRole(c: MemoryChange, o: Owner): Owner {
  const call = c.event?.call;
  if (call?.call === "mmap") {
    const anonymous = (call.flags & MAP.MAP_ANONYMOUS) !== 0 || call.fd.fd < 0;
    return {
      ...o,
      role: anonymous ? (o.jit ? "executable anonymous mapping" : "anonymous mapping") : "file mapping",
    };
  }
  if (call?.call === "mprotect")
    return { ...o, role: o.jit ? "anonymous memory made executable" : "protection change" };
  if (call?.call === "mremap") return { ...o, role: "mremap (resized or moved)" };
  return { ...o, role: c.kind };
}

/** `life(main+0x3e)`, or the object and file offset when no symbol is known. */
export function frameText(f: StackFrame): string {
  const sym = f.symbol
    ? `${f.symbol}${f.symbolOffset ? `+0x${f.symbolOffset.toString(16)}` : ""}`
    : `+0x${f.fileOffset.toString(16)}`;
  return `${base(f.object)}(${sym})`;
}

/** The replay with every change attributed. */
export interface AttributedTrace {
  replay: Replay;
  owners: Owner[];
  phases: Phase[];
}

export function attributeTrace(
  events: TraceEvent[],
  options: Omit<ReplayOptions, "classify">,
  namer?: FrameNamer,
  /** Called after each event with the replay as it stands; returning false stops the replay there. */
  visit?: (e: TraceEvent, t: AttributedTrace) => boolean | undefined,
): AttributedTrace {
  const attributor = new Attributor(events, namer);
  const replay = new Replay({ ...options, classify: attributor.classify }, events);
  const t = { replay, owners: attributor.owners, phases: attributor.phases };
  for (const e of events) {
    replay.apply(e);
    if (visit && visit(e, t) === false) break;
  }
  return t;
}
