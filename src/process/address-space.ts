/**
 * A model of one mm's VMAs, enough to place new mappings as the kernel's get_unmapped_area does
 * (mm/mmap.c: unmapped_area_topdown / unmapped_area), including the stack's guard gap.
 */
export interface Vma {
  start: bigint;
  end: bigint;
  /** A stack VMA grows down: nothing may be placed within stack_guard_gap below it. */
  growsDown?: boolean;
}

export class AddressSpace {
  readonly vmas: Vma[] = [];
  constructor(
    /** vm.mmap_min_addr: nothing is placed below it. */
    readonly minAddr: bigint,
    readonly taskSize: bigint,
    readonly guardGap: bigint,
  ) {}

  insert(vma: Vma): void {
    // MAP_FIXED replaces whatever was there.
    this.remove(vma.start, vma.end);
    this.vmas.push(vma);
    this.vmas.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  remove(start: bigint, end: bigint): void {
    const kept: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) kept.push(v);
      else {
        if (v.start < start) kept.push({ ...v, end: start });
        if (v.end > end) kept.push({ ...v, start: end });
      }
    }
    this.vmas.splice(0, this.vmas.length, ...kept);
  }

  /** Free gaps [lo, hi) in address order, with the guard gap below grows-down VMAs taken out. */
  private gaps(): [bigint, bigint][] {
    const out: [bigint, bigint][] = [];
    let lo = this.minAddr;
    for (const v of this.vmas) {
      const hi = v.growsDown ? v.start - this.guardGap : v.start;
      if (hi > lo) out.push([lo, hi]);
      if (v.end > lo) lo = v.end;
    }
    if (this.taskSize > lo) out.push([lo, this.taskSize]);
    return out;
  }

  /** Highest address below `highLimit` where `length` bytes fit (top-down layout). */
  topDown(length: bigint, highLimit: bigint, align = 0n): bigint | undefined {
    const gaps = this.gaps().reverse();
    for (const [lo, hiRaw] of gaps) {
      const hi = hiRaw < highLimit ? hiRaw : highLimit;
      if (hi - lo < length) continue;
      let addr = hi - length;
      if (align > 0n) addr -= addr % align;
      if (addr >= lo) return addr;
    }
    return undefined;
  }

  /** Lowest address at or above `lowLimit` where `length` bytes fit (legacy bottom-up layout). */
  bottomUp(length: bigint, lowLimit: bigint, align = 0n): bigint | undefined {
    for (const [loRaw, hi] of this.gaps()) {
      let lo = loRaw > lowLimit ? loRaw : lowLimit;
      if (align > 0n && lo % align !== 0n) lo += align - (lo % align);
      if (hi > lo && hi - lo >= length) return lo;
    }
    return undefined;
  }
}
