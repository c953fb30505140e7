import {
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_MIPS,
  EM_PPC64,
  EM_RISCV,
  EM_S390,
  EM_X86_64,
} from "../elf/constants.js";
import type { ElfHeader } from "../elf/header.js";
import { CacheFlag } from "./ld-cache.js";
import type { LinkFs } from "./link-fs.js";

/**
 * What one dynamic linker build assumes: the facts elf/dl-load.c and elf/dl-cache.c take from the
 * configuration (system directories, $LIB, $PLATFORM, accepted cache flags). Values are Debian 12's
 * glibc 2.36 builds, checked with LD_DEBUG=libs on x86-64.
 */
export interface LinkProfile {
  /** Debian's multiarch triplet, also the name used in messages. */
  triplet: string;
  machine: number;
  is64: boolean;
  littleEndian: boolean;
  /** The ld.so that `ldd` runs on this kind of file (RTLDLIST in ldd) and its usual PT_INTERP. */
  rtld: string;
  /** The kernel's vDSO soname, or undefined when it has none. */
  vdso: string | undefined;
  /** SYSTEM_DIRS, searched last ("default"); without trailing slashes. */
  systemDirs: string[];
  /** DL_DST_LIB, the $LIB expansion. */
  lib: string;
  /** AT_PLATFORM as the kernel passes it, the $PLATFORM expansion. */
  platform: string;
  /** _dl_cache_check_flags and _DL_CACHE_DEFAULT_ID. */
  cacheFlags: number[];
  cacheDefaultId: number;
  /** glibc-hwcaps subdirectories this ld.so knows, best first (filtered by the CPU's level). */
  hwcaps: string[];
  /** Legacy hwcaps subdirectories tried after glibc-hwcaps ones (glibc < 2.37), best first. */
  legacySubdirs: string[];
  /** musl's name for the architecture (/lib/ld-musl-ARCH.so.1, /etc/ld-musl-ARCH.path). */
  muslArch: string;
}

const EF_ARM_ABI_FLOAT_HARD = 0x400;
const EF_RISCV_FLOAT_ABI = 0x6;
const EF_RISCV_FLOAT_ABI_DOUBLE = 0x4;
const EF_MIPS_ABI2 = 0x20;
const EF_MIPS_NAN2008 = 0x400;

function debian(
  triplet: string,
  extra: Omit<LinkProfile, "triplet" | "systemDirs" | "lib" | "hwcaps" | "legacySubdirs">,
): LinkProfile {
  return {
    triplet,
    systemDirs: [`/lib/${triplet}`, `/usr/lib/${triplet}`, "/lib", "/usr/lib"],
    lib: `lib/${triplet}`,
    hwcaps: [],
    legacySubdirs: [],
    ...extra,
  };
}

/** The profile for a file's class, byte order and machine, or undefined for machines not modelled. */
export function profileFor(h: ElfHeader): LinkProfile | undefined {
  const is64 = h.ei_class === 2;
  const littleEndian = h.ei_data === 1;
  const base = { machine: h.e_machine, is64, littleEndian };
  switch (h.e_machine) {
    case EM_X86_64:
      if (!is64) {
        return {
          ...debian("x86_64-linux-gnux32", {
            ...base,
            rtld: "/libx32/ld-linux-x32.so.2",
            vdso: "linux-vdso.so.1",
            platform: "x86_64",
            cacheFlags: [CacheFlag.X8664_LIBX32 | CacheFlag.ELF_LIBC6],
            cacheDefaultId: CacheFlag.X8664_LIBX32 | CacheFlag.ELF_LIBC6,
            muslArch: "x32",
          }),
          systemDirs: ["/libx32", "/usr/libx32"],
          lib: "libx32",
        };
      }
      return {
        ...debian("x86_64-linux-gnu", {
          ...base,
          rtld: "/lib64/ld-linux-x86-64.so.2",
          vdso: "linux-vdso.so.1",
          platform: "x86_64",
          cacheFlags: [CacheFlag.X8664_LIB64 | CacheFlag.ELF_LIBC6],
          cacheDefaultId: CacheFlag.X8664_LIB64 | CacheFlag.ELF_LIBC6,
          muslArch: "x86_64",
        }),
        hwcaps: ["x86-64-v4", "x86-64-v3", "x86-64-v2"],
        // _dl_important_hwcaps in glibc 2.36: "tls" and the platform/hwcap name "x86_64" combined.
        legacySubdirs: [
          "tls/x86_64/x86_64",
          "tls/x86_64",
          "tls/x86_64",
          "tls",
          "x86_64/x86_64",
          "x86_64",
          "x86_64",
        ],
      };
    case EM_386:
      // Debian's libc6-i386 on a 64-bit system (slibdir /lib32, libdir /usr/lib32).
      return {
        ...debian("i386-linux-gnu", {
          ...base,
          rtld: "/lib/ld-linux.so.2",
          vdso: "linux-gate.so.1",
          platform: "i686",
          cacheFlags: [CacheFlag.ELF, CacheFlag.ELF_LIBC6],
          cacheDefaultId: CacheFlag.ELF_LIBC6,
          muslArch: "i386",
        }),
        systemDirs: ["/lib32", "/usr/lib32"],
        lib: "lib32",
      };
    case EM_AARCH64:
      return debian("aarch64-linux-gnu", {
        ...base,
        rtld: "/lib/ld-linux-aarch64.so.1",
        vdso: "linux-vdso.so.1",
        platform: "aarch64",
        cacheFlags: [CacheFlag.AARCH64_LIB64 | CacheFlag.ELF_LIBC6],
        cacheDefaultId: CacheFlag.AARCH64_LIB64 | CacheFlag.ELF_LIBC6,
        muslArch: "aarch64",
      });
    case EM_ARM: {
      const hard = (h.e_flags & EF_ARM_ABI_FLOAT_HARD) !== 0;
      const id = (hard ? CacheFlag.ARM_LIBHF : CacheFlag.ARM_LIBSF) | CacheFlag.ELF_LIBC6;
      return debian(hard ? "arm-linux-gnueabihf" : "arm-linux-gnueabi", {
        ...base,
        rtld: hard ? "/lib/ld-linux-armhf.so.3" : "/lib/ld-linux.so.3",
        vdso: "linux-vdso.so.1",
        platform: "v7l",
        cacheFlags: [id, CacheFlag.ELF_LIBC6],
        cacheDefaultId: id,
        muslArch: hard ? "armhf" : "arm",
      });
    }
    case EM_RISCV: {
      const double = (h.e_flags & EF_RISCV_FLOAT_ABI) === EF_RISCV_FLOAT_ABI_DOUBLE;
      const id =
        (double ? CacheFlag.RISCV_FLOAT_ABI_DOUBLE : CacheFlag.RISCV_FLOAT_ABI_SOFT) | CacheFlag.ELF_LIBC6;
      return debian("riscv64-linux-gnu", {
        ...base,
        rtld: double ? "/lib/ld-linux-riscv64-lp64d.so.1" : "/lib/ld-linux-riscv64-lp64.so.1",
        vdso: "linux-vdso.so.1",
        platform: "",
        cacheFlags: [id],
        cacheDefaultId: id,
        muslArch: "riscv64",
      });
    }
    case EM_S390:
      if (!is64) return undefined;
      return debian("s390x-linux-gnu", {
        ...base,
        rtld: "/lib/ld64.so.1",
        vdso: "linux-vdso64.so.1",
        platform: "z900",
        cacheFlags: [CacheFlag.S390_LIB64 | CacheFlag.ELF_LIBC6],
        cacheDefaultId: CacheFlag.S390_LIB64 | CacheFlag.ELF_LIBC6,
        muslArch: "s390x",
      });
    case EM_PPC64:
      return debian(littleEndian ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu", {
        ...base,
        rtld: littleEndian ? "/lib64/ld64.so.2" : "/lib64/ld64.so.1",
        vdso: "linux-vdso64.so.1",
        platform: "power8",
        cacheFlags: [CacheFlag.POWERPC_LIB64 | CacheFlag.ELF_LIBC6],
        cacheDefaultId: CacheFlag.POWERPC_LIB64 | CacheFlag.ELF_LIBC6,
        muslArch: littleEndian ? "powerpc64le" : "powerpc64",
      });
    case EM_MIPS: {
      if (is64) return undefined;
      const nan2008 = (h.e_flags & EF_MIPS_NAN2008) !== 0;
      if ((h.e_flags & EF_MIPS_ABI2) !== 0) return undefined; // n32 is not modelled
      const id = nan2008 ? CacheFlag.MIPS_LIB32_NAN2008 | CacheFlag.ELF_LIBC6 : CacheFlag.ELF_LIBC6;
      return debian(littleEndian ? "mipsel-linux-gnu" : "mips-linux-gnu", {
        ...base,
        rtld: nan2008 ? "/lib/ld-linux-mipsn8.so.1" : "/lib/ld.so.1",
        vdso: "linux-vdso.so.1",
        platform: "",
        cacheFlags: nan2008 ? [id] : [CacheFlag.ELF, CacheFlag.ELF_LIBC6],
        cacheDefaultId: id,
        muslArch: littleEndian ? "mipsel" : "mips",
      });
    }
    default:
      return undefined;
  }
}

/** x86-64 micro-architecture levels by /proc/cpuinfo flags (the psABI's x86-64-v2/v3/v4 lists). */
const X86_LEVELS: Array<[string, string[]]> = [
  ["x86-64-v2", ["cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3", "pni"]],
  ["x86-64-v3", ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]],
  ["x86-64-v4", ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]],
];

/**
 * The x86-64 level of the CPU (1 baseline .. 4), from the first processor's flags in /proc/cpuinfo; 1
 * when the file cannot be read. Read through the injected fs, so tests choose the CPU.
 */
export function detectX86Level(fs: LinkFs): number {
  const bytes = fs.readFile("/proc/cpuinfo");
  if (!bytes) return 1;
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  const line = /^flags\s*:(.*)$/m.exec(text);
  if (!line) return 1;
  const flags = new Set(line[1]!.trim().split(/\s+/));
  let level = 1;
  for (const [, needs] of X86_LEVELS) {
    if (!needs.every((f) => flags.has(f))) break;
    level++;
  }
  return level;
}

/** The glibc-hwcaps subdirectories ld.so uses at `level` (best first). */
export function x86HwcapsFor(level: number): string[] {
  return ["x86-64-v4", "x86-64-v3", "x86-64-v2"].filter((_, i) => level >= 4 - i);
}
