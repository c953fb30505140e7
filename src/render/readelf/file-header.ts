import {
  type ElfFile,
  PN_XNUM,
  type ProgramHeader,
  PT_DYNAMIC,
  SHN_XINDEX,
  SHT_NOBITS,
} from "../../elf/index.js";
import { parseProgramHeader } from "../../elf/segment.js";
import type { ReadelfContext } from "./context.js";
import { dataEncodingName, EM, elfClassName, fileTypeName, machineName, osabiName } from "./names.js";

/** `readelf -h`: the ELF header, as process_file_header in binutils/readelf.c prints it. */
export function printFileHeader(ctx: ReadelfContext): void {
  const { file } = ctx;
  const h = file.header;
  const zero = firstSectionHeader(file);
  let s = "ELF Header:\n  Magic:   ";
  for (let i = 0; i < 16; i++) s += `${h.e_ident[i]!.toString(16).padStart(2, "0")} `;
  const version = h.ei_version === 1 ? " (current)" : h.ei_version !== 0 ? " <unknown>" : "";
  s += "\n";
  s += `  Class:                             ${elfClassName(h.ei_class)}\n`;
  s += `  Data:                              ${dataEncodingName(h.ei_data)}\n`;
  s += `  Version:                           ${h.ei_version}${version}\n`;
  s += `  OS/ABI:                            ${osabiName(h.ei_osabi, h.e_machine)}\n`;
  s += `  ABI Version:                       ${h.ei_abiversion}\n`;
  s += `  Type:                              ${fileTypeName(h.e_type, isPie(file, false))}\n`;
  s += `  Machine:                           ${machineName(h.e_machine)}\n`;
  s += `  Version:                           0x${h.e_version.toString(16)}\n`;
  s += `  Entry point address:               0x${h.e_entry.toString(16)}\n`;
  // print_vma's DEC mode is a signed PRId64.
  s += `  Start of program headers:          ${BigInt.asIntN(64, h.e_phoff)} (bytes into file)\n`;
  s += `  Start of section headers:          ${BigInt.asIntN(64, h.e_shoff)} (bytes into file)\n`;
  s += `  Flags:                             0x${h.e_flags.toString(16)}${machineFlags(h.e_flags, h.e_machine, h.ei_osabi)}\n`;
  s += `  Size of this header:               ${h.e_ehsize} (bytes)\n`;
  s += `  Size of program headers:           ${h.e_phentsize} (bytes)\n`;
  s += `  Number of program headers:         ${h.e_phnum}`;
  if (zero && h.e_phnum === PN_XNUM && zero.sh_info !== 0) s += ` (${zero.sh_info})`;
  s += "\n";
  s += `  Size of section headers:           ${h.e_shentsize} (bytes)\n`;
  s += `  Number of section headers:         ${h.e_shnum}`;
  let shnum = h.e_shnum;
  if (zero && shnum === 0) {
    shnum = Number(BigInt.asUintN(32, zero.sh_size));
    s += ` (${shnum})`;
  }
  s += "\n";
  s += `  Section header string table index: ${h.e_shstrndx}`;
  let shstrndx = h.e_shstrndx;
  if (zero && shstrndx === SHN_XINDEX) {
    shstrndx = zero.sh_link;
    s += ` (${shstrndx})`;
  }
  if (shstrndx !== 0 && shstrndx >= shnum) s += " <corrupt: out of range>";
  s += "\n";
  ctx.out.write(s);
}

/**
 * Section header 0 as readelf's probe reads it before the header is printed (get_section_headers with
 * probe set): undefined when there is no table or it cannot be read, never an error.
 */
function firstSectionHeader(file: ElfFile) {
  const h = file.header;
  const min = file.is64 ? 64 : 40;
  if (h.e_shoff === 0n || h.e_shentsize < min) return undefined;
  try {
    const r = file.reader(h.e_shoff, min, "section header 0");
    return {
      sh_size: file.is64 ? r.u64(32) : BigInt(r.u32(20)),
      sh_link: r.u32(file.is64 ? 40 : 24),
      sh_info: r.u32(file.is64 ? 44 : 28),
    };
  } catch {
    return undefined;
  }
}

/**
 * readelf's is_pie: an ET_DYN file is a PIE when its dynamic table has DT_FLAGS_1 with DF_1_PIE. The table
 * is found as locate_dynamic_section does: the PT_DYNAMIC segment, or the .dynamic section instead when the
 * section headers (and their names) are loaded, which is the case for every view after the file header.
 */
export function isPie(file: ElfFile, useSections: boolean): boolean {
  const h = file.header;
  if (h.e_phnum === 0) return false;
  // readelf reads e_phnum headers as stored (PN_XNUM is not resolved yet when the header prints), at
  // the struct's own stride.
  const entsize = file.is64 ? 56 : 32;
  if (h.e_phnum * entsize >= file.size || h.e_phentsize < entsize) return false;
  const amount = BigInt(h.e_phnum) * BigInt(h.e_phentsize);
  if (h.e_phoff > BigInt(file.size) || amount > BigInt(file.size) - h.e_phoff) return false;
  const pr = file.reader(h.e_phoff, amount, "program headers");
  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < h.e_phnum; i++) phdrs.push(parseProgramHeader(pr, i * entsize, file.is64, i));
  const dyn = phdrs.find((p) => p.p_type === PT_DYNAMIC);
  if (!dyn) return false;
  let addr = dyn.p_offset;
  let size = dyn.p_filesz;
  if (useSections) {
    try {
      const sec = file.findSection(".dynamic");
      if (sec) {
        if (sec.sh_size === 0n || sec.sh_type === SHT_NOBITS) return false;
        addr = sec.sh_offset;
        size = sec.sh_size;
      }
    } catch {
      // no usable section headers: the segment stands
    }
  }
  const fileSize = BigInt(file.size);
  if (addr > fileSize || size > fileSize - addr) return false;
  const ent = file.is64 ? 16 : 8;
  if (size <= 1n) return false;
  const count = Number(size / BigInt(ent));
  if (count === 0) return false;
  const r = file.reader(addr, BigInt(count * ent), "dynamic section");
  for (let i = 0; i < count; i++) {
    const tag = r.sword(i * ent, file.is64);
    if (tag === 0n) return false;
    if (tag === 0x6ffffffbn) return (r.word(i * ent + ent / 2, file.is64) & 0x8000000n) !== 0n;
  }
  return false;
}

// --- e_flags (get_machine_flags and its decode_* helpers) ------------------------------------------

function armFlags(e_flags: number): string {
  let s = "";
  const eabi = (e_flags & 0xff000000) >>> 0;
  let flags = e_flags & 0x00ffffff;
  let unknown = false;
  if (flags & 0x01) {
    s += ", relocatable executable";
    flags &= ~0x01;
  }
  if (flags & 0x20) {
    s += ", position independent";
    flags &= ~0x20;
  }
  // Each EABI version gives the remaining bits its own meanings, taken lowest bit first.
  const eachBit = (names: Record<number, string>) => {
    while (flags) {
      const bit = flags & -flags;
      flags &= ~bit;
      const name = names[bit];
      if (name) s += name;
      else unknown = true;
    }
  };
  switch (eabi) {
    case 0x01000000:
      s += ", Version1 EABI";
      eachBit({ 4: ", sorted symbol tables" });
      break;
    case 0x02000000:
      s += ", Version2 EABI";
      eachBit({
        4: ", sorted symbol tables",
        8: ", dynamic symbols use segment index",
        16: ", mapping symbols precede others",
      });
      break;
    case 0x03000000:
      s += ", Version3 EABI";
      break;
    case 0x04000000:
      s += ", Version4 EABI";
      eachBit({ 8388608: ", BE8", 4194304: ", LE8" });
      break;
    case 0x05000000:
      s += ", Version5 EABI";
      eachBit({
        8388608: ", BE8",
        4194304: ", LE8",
        512: ", soft-float ABI",
        1024: ", hard-float ABI",
      });
      break;
    case 0:
      s += ", GNU EABI";
      eachBit({
        4: ", interworking enabled",
        8: ", uses APCS/26",
        16: ", uses APCS/float",
        32: ", position independent",
        64: ", 8 bit structure alignment",
        128: ", uses new ABI",
        256: ", uses old ABI",
        512: ", software FP",
        1024: ", VFP",
        2048: ", Maverick FP",
      });
      break;
    default:
      s += ", <unrecognized EABI>";
      if (flags) unknown = true;
  }
  if (unknown) s += ", <unknown>";
  return s;
}

const MIPS_MACH: Record<number, string> = {
  129: ", 3900",
  130: ", 4010",
  131: ", 4100",
  136: ", 4111",
  135: ", 4120",
  133: ", 4650",
  145: ", 5400",
  152: ", 5500",
  146: ", 5900",
  138: ", sb1",
  153: ", 9000",
  160: ", loongson-2e",
  161: ", loongson-2f",
  162: ", gs464",
  163: ", gs464e",
  164: ", gs264e",
  139: ", octeon",
  141: ", octeon2",
  142: ", octeon3",
  140: ", xlr",
  147: ", interaptiv-mr2",
};

const MIPS_ARCH = [
  ", mips1",
  ", mips2",
  ", mips3",
  ", mips4",
  ", mips5",
  ", mips32",
  ", mips64",
  ", mips32r2",
  ", mips64r2",
  ", mips32r6",
  ", mips64r6",
];

function mipsFlags(f: number): string {
  let s = "";
  if (f & 0x1) s += ", noreorder";
  if (f & 0x2) s += ", pic";
  if (f & 0x4) s += ", cpic";
  if (f & 0x10) s += ", ugen_reserved";
  if (f & 0x20) s += ", abi2";
  if (f & 0x80) s += ", odk first";
  if (f & 0x100) s += ", 32bitmode";
  if (f & 0x400) s += ", nan2008";
  if (f & 0x200) s += ", fp64";
  const mach = (f >>> 16) & 0xff;
  if (mach !== 0) s += MIPS_MACH[mach] ?? ", unknown CPU";
  const abi = (f >>> 12) & 0xf;
  if (abi !== 0) s += [undefined, ", o32", ", o64", ", eabi32", ", eabi64"][abi] ?? ", unknown ABI";
  if (f & 0x08000000) s += ", mdmx";
  if (f & 0x04000000) s += ", mips16";
  if (f & 0x02000000) s += ", micromips";
  s += MIPS_ARCH[f >>> 28] ?? ", unknown ISA";
  return s;
}

const SH_MACH: Record<number, string> = {
  1: ", sh1",
  2: ", sh2",
  3: ", sh3",
  4: ", sh-dsp",
  5: ", sh3-dsp",
  6: ", sh4al-dsp",
  8: ", sh3e",
  9: ", sh4",
  10: ", sh5",
  11: ", sh2e",
  12: ", sh4a",
  13: ", sh2a",
  16: ", sh4-nofpu",
  17: ", sh4a-nofpu",
  19: ", sh2a-nofpu",
  20: ", sh3-nommu",
  18: ", sh4-nommu-nofpu",
  21: ", sh2a-nofpu-or-sh4-nommu-nofpu",
  22: ", sh2a-nofpu-or-sh3-nommu",
  23: ", sh2a-or-sh4",
  24: ", sh2a-or-sh3e",
};

/** The text readelf appends to "Flags: 0x..." for this machine (empty when it decodes nothing). */
export function machineFlags(e_flags: number, e_machine: number, osabi: number): string {
  if (e_flags === 0) return "";
  const f = e_flags >>> 0;
  let s = "";
  switch (e_machine) {
    case EM.ARM:
      return armFlags(f);
    case EM.MIPS:
    case EM.MIPS_RS3_LE:
      return mipsFlags(f);
    case EM.PPC:
      if (f & 0x80000000) s += ", emb";
      if (f & 0x00010000) s += ", relocatable";
      if (f & 0x00008000) s += ", relocatable-lib";
      return s;
    case EM.PPC64:
      return f & 3 ? `, abiv${f & 3}` : "";
    case EM.RISCV:
      if (f & 0x1) s += ", RVC";
      if (f & 0x8) s += ", RVE";
      if (f & 0x10) s += ", TSO";
      return (
        s +
        [", soft-float ABI", ", single-float ABI", ", double-float ABI", ", quad-float ABI"][(f >>> 1) & 3]
      );
    case EM.S390:
      return f & 1 ? ", highgprs" : "";
    case EM.SH:
      s += SH_MACH[f & 0x1f] ?? ", unknown ISA";
      if (f & 0x100) s += ", pic";
      if (f & 0x8000) s += ", fdpic";
      return s;
    case EM.SPARCV9:
      if (f & 0x100) s += ", v8+";
      if (f & 0x200) s += ", ultrasparcI";
      if (f & 0x800) s += ", ultrasparcIII";
      if (f & 0x400) s += ", halr1";
      if (f & 0x800000) s += ", ledata";
      s += [", tso", ", pso", ", rmo", ""][f & 3];
      return s;
    case EM.IA_64:
      s += f & 0x10 ? ", 64-bit" : ", 32-bit";
      if (f & 0x20) s += ", reduced fp model";
      if (f & 0x80) s += ", no function descriptors, constant gp";
      else if (f & 0x40) s += ", constant gp";
      if (f & 0x100) s += ", absolute";
      if (osabi === 13) {
        if (f & 0x4) s += ", vms_linkages";
        s += ["", ", warning", ", error", ", abort"][f & 3];
      }
      return s;
    case EM.LOONGARCH: {
      const abi = f & 7;
      if (abi === 1) s += ", SOFT-FLOAT";
      else if (abi === 2) s += ", SINGLE-FLOAT";
      else if (abi === 3) s += ", DOUBLE-FLOAT";
      const obj = f & 0xc0;
      if (obj === 0) s += ", OBJ-v0";
      else if (obj === 0x40) s += ", OBJ-v1";
      return s;
    }
  }
  return s;
}
