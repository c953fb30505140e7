import { EM_AARCH64, EM_ARM, EM_MIPS, EM_RISCV } from "../elf/index.js";

/**
 * What a machine's BFD backend changes in nm's listing, as the target-aware nm 2.40 (binutils-multiarch
 * and the cross nms) prints it. Each rule was measured on assembled and patched files
 * (scripts/compat-nm-foreign.mjs); machines not listed (x86, s390x, ...) have none.
 */
export interface NmTarget {
  /**
   * bfd_is_target_special_symbol: nm leaves the symbol out unless --special-syms (-a does not bring
   * it back). `name` is the NUL-terminated name at `at`.
   */
  isSpecial?: (name: Uint8Array, at: number) => boolean;
  /** elf32-arm: an STT_FUNC or STT_GNU_IFUNC value has its Thumb bit (bit 0) cleared; commons keep theirs. */
  clearsThumbBit?: boolean;
  /**
   * elfxx-mips: an odd STT_FUNC value is taken for a MIPS16 or microMIPS function and shown one lower
   * (the ISA bit is not part of the address); other types keep theirs.
   */
  clearsIsaBit?: boolean;
  /** Processor-specific st_shndx values (SHN_LOPROC..SHN_HIPROC) the backend gives a section of its own. */
  processorSections?: ReadonlyMap<number, ProcessorSection>;
}

/**
 * Where a processor-specific section index puts a symbol: a common section (value = size, class
 * letter `letter` whatever the binding), the undefined section, or a section of that name whose class
 * letter (`letter`, upper case for a global) is that of a local symbol in it.
 */
export interface ProcessorSection {
  role: "common" | "undefined" | "section";
  name: string;
  letter: number;
}

const DOLLAR = 0x24;
const DOT = 0x2e;

/** `$` + one of `letters` + (end or `.`): an ARM/AArch64 mapping symbol (`$x`, `$d.17`). */
function mappingSymbol(letters: string): (name: Uint8Array, at: number) => boolean {
  const allowed = new Uint8Array(256);
  for (let i = 0; i < letters.length; i++) allowed[letters.charCodeAt(i)] = 1;
  return (name, at) => {
    if (name[at] !== DOLLAR || allowed[name[at + 1]!] !== 1) return false;
    const next = name[at + 2];
    return next === 0 || next === DOT;
  };
}

/**
 * A local label as the ELF backends of MIPS and RISC-V see one: `.L...`, `..`..., `_.L_`..., and the
 * assembler's `L<digit>\x01`... names (measured: `L12\x01` and `L0\x02` are not).
 */
function isLocalLabel(name: Uint8Array, at: number): boolean {
  const a = name[at];
  const b = name[at + 1];
  if (a === DOT) return b === 0x4c || b === DOT; // .L, ..
  if (a === 0x5f) return b === DOT && name[at + 2] === 0x4c && name[at + 3] === 0x5f; // _.L_
  if (a === 0x4c) return b !== undefined && b >= 0x30 && b <= 0x39 && name[at + 2] === 1; // L<digit>\x01
  return false;
}

const armMapping = mappingSymbol("abcdefghijklmnopqrstuvwxyz");
const aarch64Mapping = mappingSymbol("dfmpx");

/** RISC-V: `$x` and `$d` with any suffix (`$xrv64i2p1_m2p0...`), local labels, and empty names. */
function riscvSpecial(name: Uint8Array, at: number): boolean {
  const a = name[at];
  if (a === 0) return true;
  if (a === DOLLAR && (name[at + 1] === 0x78 || name[at + 1] === 0x64)) return true;
  return isLocalLabel(name, at);
}

/** elf32/elfn32/elf64-mips: SHN_MIPS_ACOMMON, _TEXT, _DATA, _SCOMMON, _SUNDEFINED (0xff00-0xff04). */
const MIPS_SECTIONS = new Map<number, ProcessorSection>([
  [0xff00, { role: "section", name: ".acommon", letter: 0x62 }], // b
  [0xff01, { role: "section", name: ".text", letter: 0x74 }], // t
  [0xff02, { role: "section", name: ".data", letter: 0x64 }], // d
  [0xff03, { role: "common", name: ".scommon", letter: 0x63 }], // c
  [0xff04, { role: "undefined", name: "*UND*", letter: 0x55 }], // U (w, v when weak)
]);

const TARGETS = new Map<number, NmTarget>([
  [EM_AARCH64, { isSpecial: aarch64Mapping }],
  [EM_ARM, { isSpecial: armMapping, clearsThumbBit: true }],
  [EM_RISCV, { isSpecial: riscvSpecial }],
  [EM_MIPS, { isSpecial: isLocalLabel, processorSections: MIPS_SECTIONS, clearsIsaBit: true }],
]);

const NONE: NmTarget = {};

/** The rules for an ELF file's e_machine. */
export function nmTarget(machine: number): NmTarget {
  return TARGETS.get(machine) ?? NONE;
}
