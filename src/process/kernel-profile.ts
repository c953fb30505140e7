/**
 * What the process layout depends on that the ELF file does not say: the kernel's choices for one
 * release (arch/x86/mm/mmap.c, fs/binfmt_elf.c, arch/x86/entry/vdso/). Detected from `uname -r` and,
 * for the vDSO sizes that depend on the kernel build, measured from a live process of the same kernel.
 */
export interface KernelProfile {
  release: string;
  pageSize: number;
  /** Sizes in bytes of the special mappings placed together below the mmap area: [vvar] [vvar_vclock] [vdso]. */
  vvarSize: number;
  /** 0 before 6.13, where the vclock pages were part of [vvar]. */
  vvarVclockSize: number;
  vdsoSize: number;
  /** The 32-bit vDSO image's size, for i386 tasks. */
  vdso32Size: number;
  /** stack_guard_gap: 256 pages by default. */
  stackGuardGap: bigint;
  /** [vsyscall] at 0xffffffffff600000 for 64-bit tasks (vsyscall=xonly, the default). */
  vsyscall: boolean;
  /** Whether mmap of files of 2 MiB or more is THP-aligned (thp_get_unmapped_area; 5.18 and later). */
  thpAlignedFiles: boolean;
}

export function parseRelease(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

const atLeast = (release: string, major: number, minor: number): boolean => {
  const [a, b] = parseRelease(release);
  return a > major || (a === major && b >= minor);
};

/** Special mapping sizes as seen in a live /proc/PID/maps of this kernel. */
export interface MeasuredSpecials {
  vvar?: number;
  vvarVclock?: number;
  vdso?: number;
}

export function kernelProfile(release: string, measured: MeasuredSpecials = {}): KernelProfile {
  const vclock = atLeast(release, 6, 13);
  return {
    release,
    pageSize: 4096,
    // Defaults are what x86-64 kernels of that era map; a measurement of the running kernel wins.
    vvarSize: measured.vvar ?? (vclock ? 0x4000 : 0x4000),
    vvarVclockSize: measured.vvarVclock ?? (vclock ? 0x2000 : 0),
    vdsoSize: measured.vdso ?? 0x2000,
    vdso32Size: measured.vdso ?? 0x2000,
    stackGuardGap: 256n * 4096n,
    vsyscall: true,
    thpAlignedFiles: atLeast(release, 5, 18),
  };
}

/** Reads [vvar], [vvar_vclock] and [vdso] sizes from /proc/self/maps text. */
export function measureSpecials(mapsText: string): MeasuredSpecials {
  const out: MeasuredSpecials = {};
  for (const line of mapsText.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) .*\s(\[vvar\]|\[vvar_vclock\]|\[vdso\])$/.exec(line);
    if (!m) continue;
    const size = Number.parseInt(m[2]!, 16) - Number.parseInt(m[1]!, 16);
    if (m[3] === "[vvar]") out.vvar = size;
    else if (m[3] === "[vvar_vclock]") out.vvarVclock = size;
    else out.vdso = size;
  }
  return out;
}
