// The target's part of objdump -p: after the generic ELF headers, the AArch64, ARM and MIPS targets
// print "private flags = ..." (e_flags, decoded), and MIPS adds its .MIPS.abiflags block. Each word and
// its order were measured by running objdump 2.40 (multiarch) over fixtures with e_flags patched bit by
// bit; the other targets (x86, RISC-V, s390, generic ELF) print nothing here.
import { type ElfFile, EM_AARCH64, EM_ARM, EM_MIPS } from "../../elf/index.js";
import { mipsAbiFlagsText } from "../readelf/mips-specific.js";

const SHT_MIPS_ABIFLAGS = 0x7000002a;
/** Elf_External_ABIFlags_v0. */
const MIPS_ABIFLAGS_SIZE = 24n;

/** The text objdump -p prints after the version references, "" for targets without any. */
export function privateFlagsText(file: ElfFile): string {
  const flags = file.header.e_flags >>> 0;
  switch (file.header.e_machine) {
    case EM_AARCH64:
      return `private flags = 0x${flags.toString(16)}:\n`;
    case EM_ARM:
      return file.is64 ? "" : `private flags = 0x${flags.toString(16)}: ${armFlagWords(flags).join(" ")}\n`;
    case EM_MIPS:
      return `private flags = ${flags.toString(16)}: ${mipsFlagWords(flags).join(" ")}\n${mipsAbiFlags(file)}`;
  }
  return "";
}

type FlagWords = [bit: number, word: string][];

/** Flags every ARM EABI version shares, printed after the version's own. */
const ARM_RELEXEC: FlagWords = [[0x1, "[relocatable executable]"]];
const ARM_PIC: FlagWords = [[0x20, "[position independent]"]];

/** EF_ARM_EABIMASK (the top byte) selects which bits mean what. */
function armFlagWords(flags: number): string[] {
  const version = flags >>> 24;
  const words: string[] = [];
  let known = 0;
  const add = (list: FlagWords) => {
    for (const [bit, word] of list) {
      known |= bit;
      if (flags & bit) words.push(word);
    }
  };
  switch (version) {
    case 0:
      // The old APCS flags.
      add([[0x4, "[interworking enabled]"]]);
      known |= 0x8 | 0x400 | 0x800;
      words.push(flags & 0x8 ? "[APCS-26]" : "[APCS-32]");
      words.push(
        flags & 0x400
          ? "[VFP float format]"
          : flags & 0x800
            ? "[Maverick float format]"
            : "[FPA float format]",
      );
      add([
        [0x10, "[floats passed in float registers]"],
        [0x20, "[position independent]"],
        [0x80, "[new ABI]"],
        [0x100, "[old ABI]"],
        [0x200, "[software FP]"],
      ]);
      add(ARM_RELEXEC);
      break;
    case 1:
    case 2:
      words.push(`[Version${version} EABI]`);
      known |= 0x4;
      words.push(flags & 0x4 ? "[sorted symbol table]" : "[unsorted symbol table]");
      if (version === 2)
        add([
          [0x8, "[dynamic symbols use segment index]"],
          [0x10, "[mapping symbols precede others]"],
        ]);
      add(ARM_PIC);
      add(ARM_RELEXEC);
      break;
    case 3:
    case 4:
    case 5:
      words.push(`[Version${version} EABI]`);
      if (version === 5)
        add([
          [0x200, "[soft-float ABI]"],
          [0x400, "[hard-float ABI]"],
        ]);
      if (version >= 4)
        add([
          [0x800000, "[BE8]"],
          [0x400000, "[LE8]"],
        ]);
      add(ARM_RELEXEC);
      add(ARM_PIC);
      break;
    default:
      words.push("<EABI version unrecognised>");
      add(ARM_RELEXEC);
      add(ARM_PIC);
      return words;
  }
  if ((flags & 0xffffff & ~known) !== 0) words.push("<Unrecognised flag bits set>");
  return words;
}

/** EF_MIPS_ARCH names, indexed by e_flags bits 28-31. */
const MIPS_ISA = [
  "[mips1]",
  "[mips2]",
  "[mips3]",
  "[mips4]",
  "[mips5]",
  "[mips32]",
  "[mips64]",
  "[mips32r2]",
  "[mips64r2]",
  "[mips32r6]",
  "[mips64r6]",
];

/** EF_MIPS_ABI (bits 12-15); 0 means none unless EF_MIPS_ABI2 (n32) is set. */
const MIPS_ABI: Record<number, string> = {
  4096: "[abi=O32]",
  8192: "[abi=O64]",
  12288: "[abi=EABI32]",
  16384: "[abi=EABI64]",
};

function mipsFlagWords(flags: number): string[] {
  const abi = flags & 0xf000;
  const words = [
    abi === 0 ? (flags & 0x20 ? "[abi=N32]" : "[no abi set]") : (MIPS_ABI[abi] ?? "[abi unknown]"),
    MIPS_ISA[flags >>> 28] ?? "[unknown ISA]",
  ];
  const bits: FlagWords = [
    [0x8000000, "[mdmx]"],
    [0x4000000, "[mips16]"],
    [0x2000000, "[micromips]"],
    [0x400, "[nan2008]"],
    [0x200, "[old fp64]"],
  ];
  for (const [bit, word] of bits) if (flags & bit) words.push(word);
  words.push(flags & 0x100 ? "[32bitmode]" : "[not 32bitmode]");
  const tail: FlagWords = [
    [0x1, "[noreorder]"],
    [0x2, "[PIC]"],
    [0x4, "[CPIC]"],
    [0x8, "[XGOT]"],
    [0x10, "[UCODE]"],
  ];
  for (const [bit, word] of tail) if (flags & bit) words.push(word);
  return words;
}

function mipsAbiFlags(file: ElfFile): string {
  const sh = file.sectionHeaders.find((s) => s.sh_type === SHT_MIPS_ABIFLAGS);
  if (!sh || sh.sh_size !== MIPS_ABIFLAGS_SIZE) return "";
  try {
    return mipsAbiFlagsText(
      file.readerOver(file.sectionData(sh), file.describeSection(sh), Number(sh.sh_offset)),
    );
  } catch {
    return "";
  }
}
