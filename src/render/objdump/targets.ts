// What the target-aware (multiarch) objdump 2.40 knows about each machine beyond generic ELF: the BFD
// target name, the architecture name, which symbols -t leaves out as "special", and how function
// symbols' values are adjusted. Every fact here was measured by running that objdump over the fixtures
// and over copies of them with one field patched (e_flags, an attribute value); machines not listed are
// read as BFD's generic elf32/elf64-little/big targets.
import {
  type ElfFile,
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_MIPS,
  EM_RISCV,
  EM_S390,
  EM_X86_64,
  type SectionHeader,
} from "../../elf/index.js";

const SHT_ARM_ATTRIBUTES = 0x70000003;
const EF_MIPS_ABI2 = 0x20;

function endian(file: ElfFile): "little" | "big" {
  return file.littleEndian ? "little" : "big";
}

/** bfd_get_target's name for the file. */
export function targetFormatName(file: ElfFile): string {
  const bits = file.is64 ? 64 : 32;
  switch (file.header.e_machine) {
    case EM_X86_64:
      return file.is64 ? "elf64-x86-64" : "elf32-x86-64";
    case EM_386:
      if (!file.is64) return "elf32-i386";
      break;
    case EM_AARCH64:
      return `elf${bits}-${endian(file)}aarch64`;
    case EM_ARM:
      if (!file.is64) return `elf32-${endian(file)}arm`;
      break;
    case EM_RISCV:
      return `elf${bits}-${endian(file)}riscv`;
    case EM_S390:
      return `elf${bits}-s390`;
    case EM_MIPS: {
      // An n32 object (EF_MIPS_ABI2) is read by the "ntrad" target.
      const n32 = !file.is64 && (file.header.e_flags & EF_MIPS_ABI2) !== 0;
      return `elf${bits}-${n32 ? "n" : ""}trad${endian(file)}mips`;
    }
  }
  return `elf${bits}-${endian(file)}`;
}

/** MIPS EF_MIPS_ARCH (e_flags bits 28-31) to BFD's architecture; other values read as mips:3000. */
const MIPS_ARCH: Record<number, string> = {
  0: "mips:3000",
  1: "mips:6000",
  2: "mips:4000",
  3: "mips:8000",
  4: "mips:mips5",
  5: "mips:isa32",
  6: "mips:isa64",
  7: "mips:isa32r2",
  8: "mips:isa64r2",
  9: "mips:isa32r6",
  10: "mips:isa64r6",
};

/** MIPS EF_MIPS_MACH (e_flags bits 16-23), which when known wins over EF_MIPS_ARCH. */
const MIPS_MACH: Record<number, string> = {
  129: "mips:3900",
  130: "mips:4010",
  131: "mips:4100",
  133: "mips:4650",
  135: "mips:4120",
  136: "mips:4111",
  138: "mips:sb1",
  139: "mips:octeon",
  140: "mips:xlr",
  141: "mips:octeon2",
  142: "mips:octeon3",
  145: "mips:5400",
  146: "mips:5900",
  147: "mips:interaptiv-mr2",
  152: "mips:5500",
  153: "mips:9000",
  160: "mips:loongson_2e",
  161: "mips:loongson_2f",
  162: "mips:gs464",
  163: "mips:gs464e",
};

/** ARM Tag_CPU_arch to BFD's architecture; a value not listed reads as plain "arm". */
const ARM_CPU_ARCH: readonly string[] = [
  "armv3m", // 0 (pre-v4), also what a file without the attribute gets
  "armv4",
  "armv4t",
  "armv5t",
  "armv5te",
  "armv5tej",
  "armv6",
  "armv6kz",
  "armv6t2",
  "armv6k",
  "armv7",
  "armv6-m",
  "armv6s-m",
  "armv7e-m",
  "armv8-a",
  "armv8-r",
  "armv8-m.base",
  "armv8-m.main",
  "arm",
  "arm",
  "arm",
  "armv8.1-m.main",
  "armv9-a",
];

export function targetArchitectureName(file: ElfFile): string {
  const f = file.header.e_flags;
  switch (targetFormatName(file)) {
    case "elf64-x86-64":
      return "i386:x86-64";
    case "elf32-x86-64":
      return "i386:x64-32";
    case "elf32-i386":
      return "i386";
  }
  switch (file.header.e_machine) {
    case EM_AARCH64:
      return file.is64 ? "aarch64" : "aarch64:ilp32";
    case EM_ARM:
      return file.is64 ? "UNKNOWN!" : (ARM_CPU_ARCH[armCpuArch(file)] ?? "arm");
    case EM_RISCV:
      return file.is64 ? "riscv:rv64" : "riscv:rv32";
    case EM_S390:
      return file.is64 ? "s390:64-bit" : "s390:31-bit";
    case EM_MIPS:
      return MIPS_MACH[(f >>> 16) & 0xff] ?? MIPS_ARCH[f >>> 28] ?? "mips:3000";
  }
  return "UNKNOWN!";
}

/** Tag_CPU_arch of the "aeabi" file attributes (ARM IHI 0045, build attributes), 0 when absent. */
function armCpuArch(file: ElfFile): number {
  const sh = file.sectionHeaders.find((s) => s.sh_type === SHT_ARM_ATTRIBUTES);
  if (!sh) return 0;
  let bytes: Uint8Array;
  try {
    bytes = file.sectionData(sh);
  } catch {
    return 0;
  }
  if (bytes[0] !== 0x41) return 0; // format-version 'A'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, file.littleEndian);
  let pos = 1;
  while (pos + 4 <= bytes.length) {
    const length = u32(pos);
    if (length < 4) break;
    const end = Math.min(bytes.length, pos + length);
    let p = pos + 4;
    const vendorEnd = bytes.indexOf(0, p);
    if (vendorEnd < 0 || vendorEnd >= end) break;
    const vendor = new TextDecoder("latin1").decode(bytes.subarray(p, vendorEnd));
    p = vendorEnd + 1;
    if (vendor === "aeabi") {
      while (p + 5 <= end) {
        const tag = bytes[p]!;
        const size = u32(p + 1);
        if (size < 5) break;
        const subEnd = Math.min(end, p + size);
        if (tag === 1) return fileAttribute(bytes, p + 5, subEnd, 6) ?? 0;
        p = subEnd;
      }
    }
    pos = end;
  }
  return 0;
}

/** The integer value of attribute `wanted` in a Tag_File sub-subsection. */
function fileAttribute(bytes: Uint8Array, start: number, end: number, wanted: number): number | undefined {
  let p = start;
  const uleb = (): number => {
    let v = 0;
    let shift = 0;
    while (p < end) {
      const b = bytes[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    return v;
  };
  const skipString = () => {
    const z = bytes.indexOf(0, p);
    p = z < 0 || z >= end ? end : z + 1;
  };
  while (p < end) {
    const tag = uleb();
    if (tag === wanted) return uleb();
    // Tag_CPU_raw_name, Tag_CPU_name, Tag_also_compatible_with, Tag_conformance and odd tags past 32
    // hold strings; Tag_compatibility an integer then a string; the rest one integer.
    if (tag === 4 || tag === 5 || tag === 65 || tag === 67 || (tag > 32 && tag % 2 === 1)) skipString();
    else if (tag === 32) {
      uleb();
      skipString();
    } else uleb();
  }
  return undefined;
}

/**
 * BFD's target-special symbols, which -t and -T leave out (objdump's --special-syms would keep them).
 * Measured by renaming symbols of assembled objects; binding and type do not matter, only the name.
 * ARM: the mapping symbols $a $t $d (and $x $m), alone or followed by ".anything".
 * AArch64: $x $d $m likewise. RISC-V: any name starting $x or $d (which may carry an ISA string),
 * and the local labels: a name starting ".L", ".." or "_.L_", holding a \x01, or empty.
 */
export function isSpecialSymbol(file: ElfFile, name: string): boolean {
  switch (file.header.e_machine) {
    case EM_ARM:
      return /^\$[atdxm](\.|$)/.test(name);
    case EM_AARCH64:
      return /^\$[xdm](\.|$)/.test(name);
    case EM_RISCV:
      return name === "" || /^(\$[xd]|\.L|\.\.|_\.L_)/.test(name) || name.includes("\x01");
  }
  return false;
}

/** ARM keeps the Thumb bit in a function symbol's st_value; BFD shows the address without it. */
export function symbolValue(file: ElfFile, value: bigint, isFunction: boolean): bigint {
  if (file.header.e_machine === EM_ARM && isFunction) return value & ~1n;
  return value;
}

const SHT_MIPS_REGINFO = 0x70000006;
const SHT_MIPS_ABIFLAGS = 0x7000002a;

/** The MIPS target marks .reginfo and .MIPS.abiflags sections LINK_ONCE_SAME_SIZE (seen in -h). */
export function hasSameSizeLinkOnce(file: ElfFile, sh: SectionHeader): boolean {
  return (
    file.header.e_machine === EM_MIPS && (sh.sh_type === SHT_MIPS_REGINFO || sh.sh_type === SHT_MIPS_ABIFLAGS)
  );
}
