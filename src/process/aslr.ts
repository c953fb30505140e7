/**
 * The ranges a new process's regions can take with ASLR on: the kernel's random choices at execve
 * (fs/binfmt_elf.c load_elf_binary, arch/x86/mm/mmap.c arch_pick_mmap_layout / arch_mmap_rnd,
 * mm/util.c randomize_stack_top / randomize_page, fs/exec.c setup_arg_pages, arch/x86/kernel/process.c
 * arch_align_stack / arch_randomize_brk), applied to the ASLR-off prediction of exec-layout.ts.
 */
import { ET_DYN, type ProgramHeader } from "../elf/index.js";
import {
  type ExecLayout,
  type ExecLayoutOptions,
  loadSegments,
  type MappedFile,
  type Mapping,
  type MappingKind,
} from "./exec-layout.js";
import { parseRelease } from "./kernel-profile.js";

/** The sysctls that decide how much is randomized. */
export interface AslrSettings {
  /** kernel.randomize_va_space: 0 off, 1 stack/mmap/vdso/PIE, 2 also brk. */
  level: 0 | 1 | 2;
  /** vm.mmap_rnd_bits (64-bit tasks; x86-64 default 28). */
  mmapRndBits: number;
  /** vm.mmap_rnd_compat_bits (i386 tasks; default 8). */
  mmapRndCompatBits: number;
}

export const DEFAULT_ASLR: AslrSettings = { level: 2, mmapRndBits: 28, mmapRndCompatBits: 8 };

/** Which random draw moves a region: each draw is independent of the others. */
export type AslrSource = "none" | "pie" | "mmap" | "stack" | "brk" | "pie+brk" | "mmap+brk";

/** The addresses one region (or one edge of it) can start at. */
export interface AslrRange {
  /** Short name: "program", "interpreter", "[vdso]", "[heap]", "[stack]", "stack top", "mmap_base". */
  region: string;
  kind: MappingKind | "mmap_base" | "stack_top";
  /** The mapped object, for file-backed regions. */
  object?: string;
  perms?: string;
  /** Size of the region (constant under ASLR). */
  size: bigint;
  /** Lowest and highest possible start address (for "stack top": end address). */
  low: bigint;
  high: bigint;
  /** Granularity of the possible values. */
  step: bigint;
  /** How many distinct values are possible. */
  count: bigint;
  /** log2(count): the entropy when the values are equally likely. */
  bits: number;
  source: AslrSource;
  /** Where the range comes from, in the kernel's terms. */
  how: string;
}

export interface AslrLayout {
  /** The moment the ranges describe: execve, or ld.so's jump to the entry point (libraries mapped too). */
  stage: "exec" | "entry";
  is64: boolean;
  settings: AslrSettings;
  taskSize: bigint;
  ranges: AslrRange[];
}

const PAGE = 4096n;
const pageDown = (v: bigint): bigint => v & ~(PAGE - 1n);
const pageUp = (v: bigint): bigint => (v + PAGE - 1n) & ~(PAGE - 1n);
const alignDown = (v: bigint, a: bigint): bigint => (a > PAGE ? v - (v % a) : v);
const alignUp = (v: bigint, a: bigint): bigint => (a > PAGE && v % a !== 0n ? v + a - (v % a) : v);
const SIZE_128M = 128n << 20n;
const SIZE_32M = 32n << 20n;
const SIZE_1G = 1n << 30n;
/** __STACK_RND_MASK(is32bit) in arch/x86/include/asm/elf.h: pages of stack (and mmap gap) randomization. */
const STACK_RND_MASK_64 = 0x3fffffn;
const STACK_RND_MASK_32 = 0x7ffn;

/** log2 of a count, for entropy bits; exact for powers of two, one decimal otherwise. */
export function entropyBits(count: bigint): number {
  if (count <= 1n) return 0;
  const bitLen = count.toString(2).length;
  if ((count & (count - 1n)) === 0n) return bitLen - 1;
  // Scale into double range without losing the leading digits.
  const shift = bitLen > 52 ? BigInt(bitLen - 52) : 0n;
  return Math.round((Math.log2(Number(count >> shift)) + Number(shift)) * 10) / 10;
}

/** maximum_alignment() in fs/binfmt_elf.c: the largest power-of-two p_align, page rounded. */
function maxAlign(loads: ProgramHeader[]): bigint {
  let max = 0n;
  for (const ph of loads) {
    const a = ph.p_align;
    if (a > 0n && (a & (a - 1n)) === 0n && a > max) max = a;
  }
  return pageUp(max);
}

/** ELF_ET_DYN_BASE: DEFAULT_MAP_WINDOW/3*2 for 64-bit; COMPAT_ELF_ET_DYN_BASE = TASK_UNMAPPED_BASE + 16 MiB for i386. */
export function elfEtDynBase(is64: boolean, taskSize: bigint): bigint {
  return is64 ? (0x7ffffffff000n / 3n) * 2n : pageUp(taskSize / 3n) + 0x1000000n;
}

const atLeast = (release: string, major: number, minor: number): boolean => {
  const [a, b] = parseRelease(release);
  return a > major || (a === major && b >= minor);
};

interface Span {
  low: bigint;
  high: bigint;
  step: bigint;
}

const countOf = (s: Span): bigint => (s.high - s.low) / s.step + 1n;

function range(
  region: string,
  kind: AslrRange["kind"],
  size: bigint,
  span: Span,
  source: AslrSource,
  how: string,
  extra: { object?: string; perms?: string; count?: bigint } = {},
): AslrRange {
  const count = extra.count ?? countOf(span);
  const r: AslrRange = {
    region,
    kind,
    size,
    low: span.low,
    high: span.high,
    step: span.step,
    count,
    bits: entropyBits(count),
    source,
    how,
  };
  if (extra.object !== undefined) r.object = extra.object;
  if (extra.perms !== undefined) r.perms = extra.perms;
  return r;
}

const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

/**
 * The ASLR ranges for the process `layout` (the ASLR-off prediction of the same exec) describes.
 * Every region moves with exactly one random draw (two for a PIE's heap): the PIE load bias, the
 * mmap base, the stack top or the brk offset; relative placement inside the mmap area is unchanged.
 * Given the entry-point layout, the libraries and ld.so's anonymous blocks are placed top-down below
 * the interpreter by mmap(NULL, ...), so they move with the mmap base as well.
 */
export function predictAslr(
  layout: ExecLayout,
  exe: MappedFile,
  interp: MappedFile | undefined,
  opts: ExecLayoutOptions,
  settings: AslrSettings,
): AslrLayout {
  const { is64, taskSize } = layout;
  const level = settings.level;
  const on = level > 0;
  const release = opts.profile.release;
  const rndBits = BigInt(is64 ? settings.mmapRndBits : settings.mmapRndCompatBits);
  // arch_rnd(): (random & ((1 << bits) - 1)) << PAGE_SHIFT.
  const rndMax = on ? ((1n << rndBits) - 1n) << 12n : 0n;
  const isStaticPie = exe.file.header.e_type === ET_DYN && !interp;
  const ranges: AslrRange[] = [];

  // --- The program: ET_EXEC fixed; a PIE at ELF_ET_DYN_BASE + arch_mmap_rnd(), aligned to its max p_align.
  const exeLoads = loadSegments(exe.file);
  const etDynBase = elfEtDynBase(is64, taskSize);
  let bias: Span = { low: layout.loadBias, high: layout.loadBias, step: PAGE };
  let biasHow = "ET_EXEC: loaded at its p_vaddr";
  if (exe.file.header.e_type === ET_DYN && interp) {
    const align = maxAlign(exeLoads);
    const first = exeLoads[0]?.p_vaddr ?? 0n;
    const f = (r: bigint): bigint => {
      let base = etDynBase + r;
      if (align > 0n) base &= ~(align - 1n);
      return pageDown(base - first);
    };
    bias = { low: f(0n), high: f(rndMax), step: align > PAGE ? align : PAGE };
    biasHow = on
      ? `ELF_ET_DYN_BASE 0x${etDynBase.toString(16)} + arch_mmap_rnd() (${rndBits} bits of pages)${align > PAGE ? `, aligned to p_align 0x${align.toString(16)}` : ""}`
      : "ELF_ET_DYN_BASE (randomization off)";
  }

  // --- mmap_base: arch_pick_mmap_layout, with stack_maxrandom_size in the gap when randomizing.
  const rndMask = is64 ? STACK_RND_MASK_64 : STACK_RND_MASK_32;
  const legacy = opts.legacy;
  const mmapBaseAt = (r: bigint): bigint => {
    if (legacy) return pageUp(taskSize / 3n) + r; // mmap_legacy_base: TASK_UNMAPPED_BASE + rnd
    const pad = (on ? rndMask << 12n : 0n) + opts.profile.stackGuardGap;
    let gap = opts.stackLimit === undefined ? taskSize : opts.stackLimit + pad;
    const gapMax = (taskSize / 6n) * 5n;
    if (gap < SIZE_128M) gap = SIZE_128M;
    else if (gap > gapMax) gap = gapMax;
    return pageUp(taskSize - gap - r);
  };
  // Top-down the base falls as the random offset grows; bottom-up it rises.
  const mmapSpan: Span = legacy
    ? { low: mmapBaseAt(0n), high: mmapBaseAt(rndMax), step: PAGE }
    : { low: mmapBaseAt(rndMax), high: mmapBaseAt(0n), step: PAGE };
  ranges.push(
    range(
      "mmap_base",
      "mmap_base",
      0n,
      mmapSpan,
      on ? "mmap" : "none",
      legacy
        ? "mmap_legacy_base: TASK_UNMAPPED_BASE + arch_rnd()"
        : `mmap_base(): TASK_SIZE - clamp(RLIMIT_STACK + stack_guard_gap${on ? " + stack_maxrandom_size" : ""}) - arch_rnd()`,
    ),
  );

  // The first object placed in the mmap area anchors all of it: everything else keeps its distance.
  let anchorTotal: bigint;
  let anchorAlign = 0n;
  const anchorObj = isStaticPie ? exe : interp;
  if (anchorObj) {
    const loads = loadSegments(anchorObj.file);
    const first = loads[0]!;
    const last = loads[loads.length - 1]!;
    anchorTotal = pageUp(last.p_vaddr + last.p_memsz - pageDown(first.p_vaddr));
    anchorAlign = maxAlign(loads);
  } else {
    anchorTotal = layout.mappings
      .filter((m) => m.kind === "vvar" || m.kind === "vdso")
      .reduce((n, m) => n + (m.end - m.start), 0n);
  }
  const anchorAt = (base: bigint): bigint =>
    legacy ? alignUp(base, anchorAlign) : alignDown(base - anchorTotal, anchorAlign);
  const anchor0 = anchorAt(layout.mmapBase);
  const aLow = anchorAt(mmapSpan.low);
  const aHigh = anchorAt(mmapSpan.high);
  const mmapStep = anchorAlign > PAGE ? anchorAlign : PAGE;
  const mmapHow = `placed ${legacy ? "bottom-up from" : "top-down below"} the random mmap_base`;
  const inMmap = (m: Mapping): Span => ({
    low: m.start + aLow - anchor0,
    high: m.start + aHigh - anchor0,
    step: mmapStep,
  });

  // --- The stack: randomize_stack_top, then setup_arg_pages' arch_align_stack + PAGE_ALIGN.
  const topSpan: Span = on
    ? { low: layout.stackTop - (rndMask << 12n) - 2n * PAGE, high: layout.stackTop, step: PAGE }
    : { low: layout.stackTop, high: layout.stackTop, step: PAGE };
  const stackHow = on
    ? `STACK_TOP - (random & 0x${rndMask.toString(16)}) pages, then arch_align_stack's 0-8 KiB rounded up to a page`
    : "STACK_TOP (randomization off)";

  // --- brk: follows the bss (level 1), or randomize_page() above it (level 2).
  const brkRange = is64 && atLeast(release, 6, 9) ? SIZE_1G : SIZE_32M;
  const brkGap = atLeast(release, 6, 8) ? PAGE : 0n; // "Leave a gap between .bss and brk"
  const staticPieBrkMoved = isStaticPie && atLeast(release, 6, 15); // brk moved even with ASLR off
  let heap: { span: Span; source: AslrSource; how: string; count?: bigint };
  if (level >= 2 && isStaticPie) {
    const start = pageUp(etDynBase);
    const n = (brkRange - (start - etDynBase)) >> 12n;
    heap = {
      span: { low: start, high: start + (n - 1n) * PAGE, step: PAGE },
      source: "brk",
      how: `static PIE: randomize_page(ELF_ET_DYN_BASE, ${brkRange >> 20n} MiB)`,
    };
  } else if (level >= 2) {
    const n = brkRange >> 12n;
    const base = layout.brk - layout.loadBias + brkGap;
    heap = {
      span: { low: bias.low + base, high: bias.high + base + (n - 1n) * PAGE, step: PAGE },
      source: bias.low === bias.high ? "brk" : "pie+brk",
      how: `randomize_page(end of bss${brkGap ? " + 1 page" : ""}, ${brkRange >> 20n} MiB)${bias.low === bias.high ? "" : ", plus the PIE bias"}`,
    };
  } else if (staticPieBrkMoved) {
    const at = pageUp(etDynBase);
    heap = { span: { low: at, high: at, step: PAGE }, source: "none", how: "static PIE: ELF_ET_DYN_BASE" };
  } else if (isStaticPie) {
    const end = layout.brk;
    heap = {
      span: { low: end + aLow - anchor0, high: end + aHigh - anchor0, step: mmapStep },
      source: on ? "mmap" : "none",
      how: "follows the bss, in the mmap area",
    };
  } else {
    const base = layout.brk - layout.loadBias;
    heap = {
      span: { low: bias.low + base, high: bias.high + base, step: bias.step },
      source: bias.low === bias.high ? "none" : "pie",
      how: "follows the bss (brk not randomized)",
    };
  }

  // One row per mapping, in address order, each with the draw that moves it.
  for (const m of layout.mappings) {
    const size = m.end - m.start;
    const ext = { perms: m.perms, ...(m.object ? { object: m.object } : {}) };
    const label = m.object ? basename(m.object) : m.path || "anonymous";
    if (m.kind === "stack") {
      const span = { low: topSpan.low - size, high: topSpan.high - size, step: PAGE };
      ranges.push(range("[stack]", "stack", size, span, on ? "stack" : "none", stackHow, ext));
    } else if (m.kind === "vsyscall") {
      ranges.push(
        range(m.path, m.kind, size, { low: m.start, high: m.start, step: PAGE }, "none", "fixed", ext),
      );
    } else if (m.kind === "vvar" || m.kind === "vdso") {
      ranges.push(range(m.path, m.kind, size, inMmap(m), on ? "mmap" : "none", mmapHow, ext));
    } else if (m.object === exe.path && !isStaticPie) {
      const off = m.start - layout.loadBias;
      const span = { low: bias.low + off, high: bias.high + off, step: bias.step };
      ranges.push(range(label, m.kind, size, span, bias.low === bias.high ? "none" : "pie", biasHow, ext));
    } else if (m.object !== undefined) {
      // The interpreter, a static PIE, or (entry stage) a library: all placed by the mmap layout.
      ranges.push(range(label, m.kind, size, inMmap(m), on ? "mmap" : "none", mmapHow, ext));
    } else if (m.kind === "mmap") {
      // ld.so's own anonymous blocks (TLS and link maps, its minimal malloc), entry stage only.
      ranges.push(range("anonymous", m.kind, size, inMmap(m), on ? "mmap" : "none", mmapHow, ext));
    }
  }
  ranges.push(range("[heap]", "heap", 0n, heap.span, heap.source, heap.how, { perms: "rw-p" }));
  ranges.push(range("stack top", "stack_top", 0n, topSpan, on ? "stack" : "none", stackHow));
  const stage = "objects" in layout ? "entry" : "exec";
  return { stage, is64, settings, taskSize, ranges };
}
