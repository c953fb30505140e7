/**
 * The names readelf 2.40 prints for header fields: e_machine, EI_OSABI, e_type, sh_type and p_type, each
 * resolved per machine and OS/ABI the way binutils/readelf.c does it (get_machine_name, get_osabi_name,
 * get_file_type, get_section_type_name, get_segment_type). Shared by the readelf views and the overview.
 */

/** C's `%#x`: "0x" before the digits, except that zero prints as a bare "0". */
export function cHexAlt(n: number | bigint): string {
  return n === 0 || n === 0n ? "0" : `0x${n.toString(16)}`;
}

// e_machine values with names or per-machine rules below (include/elf/common.h).
export const EM = {
  SPARC: 2,
  M386: 3,
  IAMCU: 6,
  MIPS: 8,
  MIPS_RS3_LE: 10,
  OLD_SPARCV9: 11,
  PARISC: 15,
  SPARC32PLUS: 18,
  PPC: 20,
  PPC64: 21,
  S390: 22,
  V800: 36,
  ARM: 40,
  SH: 42,
  SPARCV9: 43,
  ARC: 45,
  IA_64: 50,
  X86_64: 62,
  ARC_COMPACT: 93,
  MSP430: 105,
  TI_C6000: 140,
  L1OM: 180,
  K1OM: 181,
  AARCH64: 183,
  ARC_COMPACT2: 195,
  AMDGPU: 224,
  RISCV: 243,
  NFP: 250,
  CSKY: 252,
  LOONGARCH: 258,
  VISIUM: 221,
  MSP430_OLD: 0x1059,
  S390_OLD: 0xa390,
  CYGNUS_V850: 0x9080,
  V850: 87,
} as const;

/**
 * readelf 2.40's e_machine names (get_machine_name in binutils/readelf.c); aliases such as EM_CYGNUS_*
 * share the name of the number they stand for.
 */
const MACHINE_NAMES = new Map<number, string>([
  [0, "None"],
  [1, "WE32100"],
  [2, "Sparc"],
  [3, "Intel 80386"],
  [4, "MC68000"],
  [5, "MC88000"],
  [6, "Intel MCU"],
  [7, "Intel 80860"],
  [8, "MIPS R3000"],
  [9, "IBM System/370"],
  [10, "MIPS R4000 big-endian"],
  [11, "Sparc v9 (old)"],
  [15, "HPPA"],
  [17, "Fujitsu VPP500"],
  [18, "Sparc v8+"],
  [19, "Intel 80960"],
  [20, "PowerPC"],
  [21, "PowerPC64"],
  [22, "IBM S/390"],
  [23, "SPU"],
  [36, "Renesas V850 (using RH850 ABI)"],
  [37, "Fujitsu FR20"],
  [38, "TRW RH32"],
  [39, "MCORE"],
  [40, "ARM"],
  [41, "Digital Alpha (old)"],
  [42, "Renesas / SuperH SH"],
  [43, "Sparc v9"],
  [44, "Siemens Tricore"],
  [45, "ARC"],
  [46, "Renesas H8/300"],
  [47, "Renesas H8/300H"],
  [48, "Renesas H8S"],
  [49, "Renesas H8/500"],
  [50, "Intel IA-64"],
  [51, "Stanford MIPS-X"],
  [52, "Motorola Coldfire"],
  [53, "Motorola MC68HC12 Microcontroller"],
  [54, "Fujitsu Multimedia Accelerator"],
  [55, "Siemens PCP"],
  [56, "Sony nCPU embedded RISC processor"],
  [57, "Denso NDR1 microprocesspr"],
  [58, "Motorola Star*Core processor"],
  [59, "Toyota ME16 processor"],
  [60, "STMicroelectronics ST100 processor"],
  [61, "Advanced Logic Corp. TinyJ embedded processor"],
  [62, "Advanced Micro Devices X86-64"],
  [63, "Sony DSP processor"],
  [64, "Digital Equipment Corp. PDP-10"],
  [65, "Digital Equipment Corp. PDP-11"],
  [66, "Siemens FX66 microcontroller"],
  [67, "STMicroelectronics ST9+ 8/16 bit microcontroller"],
  [68, "STMicroelectronics ST7 8-bit microcontroller"],
  [69, "Motorola MC68HC16 Microcontroller"],
  [70, "Motorola MC68HC11 Microcontroller"],
  [71, "Motorola MC68HC08 Microcontroller"],
  [72, "Motorola MC68HC05 Microcontroller"],
  [73, "Silicon Graphics SVx"],
  [74, "STMicroelectronics ST19 8-bit microcontroller"],
  [75, "Digital VAX"],
  [76, "Axis Communications 32-bit embedded processor"],
  [77, "Infineon Technologies 32-bit embedded cpu"],
  [78, "Element 14 64-bit DSP processor"],
  [79, "LSI Logic's 16-bit DSP processor"],
  [80, "Donald Knuth's educational 64-bit processor"],
  [81, "Harvard Universitys's machine-independent object format"],
  [82, "Vitesse Prism"],
  [83, "Atmel AVR 8-bit microcontroller"],
  [84, "Fujitsu FR30"],
  [85, "d10v"],
  [86, "d30v"],
  [87, "Renesas V850"],
  [88, "Renesas M32R (formerly Mitsubishi M32r)"],
  [89, "mn10300"],
  [90, "mn10200"],
  [91, "picoJava"],
  [92, "OpenRISC 1000"],
  [93, "ARCompact"],
  [94, "Tensilica Xtensa Processor"],
  [95, "Alphamosaic VideoCore processor"],
  [96, "Thompson Multimedia General Purpose Processor"],
  [97, "National Semiconductor 32000 series"],
  [98, "Tenor Network TPC processor"],
  [99, "Trebia SNP 1000 processor"],
  [100, "STMicroelectronics ST200 microcontroller"],
  [101, "Ubicom IP2xxx 8-bit microcontrollers"],
  [102, "MAX Processor"],
  [103, "National Semiconductor CompactRISC"],
  [104, "Fujitsu F2MC16"],
  [105, "Texas Instruments msp430 microcontroller"],
  [106, "Analog Devices Blackfin"],
  [107, "S1C33 Family of Seiko Epson processors"],
  [108, "Sharp embedded microprocessor"],
  [109, "Arca RISC microprocessor"],
  [110, "Unicore"],
  [111, "eXcess 16/32/64-bit configurable embedded CPU"],
  [112, "Icera Semiconductor Inc. Deep Execution Processor"],
  [113, "Altera Nios II"],
  [114, "National Semiconductor CRX microprocessor"],
  [115, "Motorola XGATE embedded processor"],
  [116, "Infineon Technologies xc16x"],
  [117, "Renesas M16C series microprocessors"],
  [118, "Microchip Technology dsPIC30F Digital Signal Controller"],
  [119, "Freescale Communication Engine RISC core"],
  [120, "Renesas M32c"],
  [131, "Altium TSK3000 core"],
  [132, "Freescale RS08 embedded processor"],
  [134, "Cyan Technology eCOG2 microprocessor"],
  [135, "SUNPLUS S+Core"],
  [136, "New Japan Radio (NJR) 24-bit DSP Processor"],
  [137, "Broadcom VideoCore III processor"],
  [138, "Lattice Mico32"],
  [139, "Seiko Epson C17 family"],
  [140, "Texas Instruments TMS320C6000 DSP family"],
  [141, "Texas Instruments TMS320C2000 DSP family"],
  [142, "Texas Instruments TMS320C55x DSP family"],
  [144, "TI PRU I/O processor"],
  [160, "STMicroelectronics 64bit VLIW Data Signal Processor"],
  [161, "Cypress M8C microprocessor"],
  [162, "Renesas R32C series microprocessors"],
  [163, "NXP Semiconductors TriMedia architecture family"],
  [164, "QUALCOMM DSP6 Processor"],
  [165, "Intel 8051 and variants"],
  [166, "STMicroelectronics STxP7x family"],
  [167, "Andes Technology compact code size embedded RISC processor family"],
  [168, "Cyan Technology eCOG1X family"],
  [169, "Dallas Semiconductor MAXQ30 Core microcontrollers"],
  [170, "New Japan Radio (NJR) 16-bit DSP Processor"],
  [171, "M2000 Reconfigurable RISC Microprocessor"],
  [172, "Cray Inc. NV2 vector architecture"],
  [173, "Renesas RX"],
  [174, "Imagination Technologies Meta processor architecture"],
  [175, "MCST Elbrus general purpose hardware architecture"],
  [176, "Cyan Technology eCOG16 family"],
  [177, "Xilinx MicroBlaze"],
  [178, "Freescale Extended Time Processing Unit"],
  [179, "Infineon Technologies SLE9X core"],
  [180, "Intel L1OM"],
  [181, "Intel K1OM"],
  [182, "Intel (reserved)"],
  [183, "AArch64"],
  [184, "ARM (reserved)"],
  [185, "Atmel Corporation 32-bit microprocessor"],
  [186, "STMicroeletronics STM8 8-bit microcontroller"],
  [187, "Tilera TILE64 multicore architecture family"],
  [188, "Tilera TILEPro multicore architecture family"],
  [189, "Xilinx MicroBlaze"],
  [190, "NVIDIA CUDA architecture"],
  [191, "Tilera TILE-Gx multicore architecture family"],
  [192, "CloudShield architecture family"],
  [193, "KIPO-KAIST Core-A 1st generation processor family"],
  [194, "KIPO-KAIST Core-A 2nd generation processor family"],
  [195, "ARCv2"],
  [196, "Open8 8-bit RISC soft processor core"],
  [197, "Renesas RL78"],
  [198, "Broadcom VideoCore V processor"],
  [199, "Renesas 78K0R"],
  [200, "Freescale 56800EX Digital Signal Controller (DSC)"],
  [201, "Beyond BA1 CPU architecture"],
  [202, "Beyond BA2 CPU architecture"],
  [203, "XMOS xCORE processor family"],
  [204, "Microchip 8-bit PIC(r) family"],
  [205, "Intel Graphics Technology"],
  [210, "KM211 KM32 32-bit processor"],
  [211, "KM211 KMX32 32-bit processor"],
  [212, "KM211 KMX16 16-bit processor"],
  [213, "KM211 KMX8 8-bit processor"],
  [214, "KM211 KVARC processor"],
  [215, "Paneve CDP architecture family"],
  [216, "Cognitive Smart Memory Processor"],
  [217, "Bluechip Systems CoolEngine"],
  [218, "Nanoradio Optimized RISC"],
  [219, "CSR Kalimba architecture family"],
  [220, "Zilog Z80"],
  [221, "CDS VISIUMcore processor"],
  [222, "FTDI Chip FT32"],
  [223, "Moxie"],
  [224, "AMD GPU"],
  [243, "RISC-V"],
  [244, "Lanai 32-bit processor"],
  [245, "CEVA Processor Architecture Family"],
  [246, "CEVA X2 Processor Family"],
  [247, "Linux BPF"],
  [248, "Graphcore Intelligent Processing Unit"],
  [249, "Imagination Technologies"],
  [250, "Netronome Flow Processor"],
  [251, "NEC Vector Engine"],
  [252, "C-SKY"],
  [253, "Synopsys ARCv2.3 64-bit"],
  [254, "MOS Technology MCS 6502 processor"],
  [255, "Synopsys ARCv2.3 32-bit"],
  [256, "Kalray VLIW core of the MPPA processor family"],
  [257, "WDC 65816/65C816"],
  [258, "LoongArch"],
  [259, "ChipON KungFu32"],
  [4183, "Atmel AVR 8-bit microcontroller"],
  [4643, "Adapteva EPIPHANY"],
  [9520, "Morpho Techologies MT processor"],
  [13104, "Fujitsu FR30"],
  [16727, "Web Assembly"],
  [18056, "Infineon Technologies xc16x"],
  [19951, "Freescale S12Z"],
  [21569, "Fujitsu FR-V"],
  [23205, "OpenDLX"],
  [30288, "d10v"],
  [30326, "d30v"],
  [33303, "Ubicom IP2xxx 8-bit microcontrollers"],
  [36902, "Alpha"],
  [36929, "Renesas M32R (formerly Mitsubishi M32r)"],
  [36992, "Renesas V850"],
  [41872, "IBM S/390"],
  [43975, "Tensilica Xtensa Processor"],
  [44357, "Sanyo XStormy16 CPU core"],
  [47787, "Xilinx MicroBlaze"],
  [48879, "mn10300"],
  [57005, "mn10200"],
  [61453, "Toshiba MeP Media Engine"],
  [65200, "Altera Nios"],
  [65210, "Vitesse IQ2000"],
  [65211, "Altera Nios"],
]);

/** readelf's Machine: line for an e_machine value. */
export function machineName(e_machine: number): string {
  return MACHINE_NAMES.get(e_machine) ?? `<unknown>: 0x${e_machine.toString(16)}`;
}

export function elfClassName(ei_class: number): string {
  if (ei_class === 0) return "none";
  if (ei_class === 1) return "ELF32";
  if (ei_class === 2) return "ELF64";
  return `<unknown: ${ei_class.toString(16)}>`;
}

export function dataEncodingName(ei_data: number): string {
  if (ei_data === 0) return "none";
  if (ei_data === 1) return "2's complement, little endian";
  if (ei_data === 2) return "2's complement, big endian";
  return `<unknown: ${ei_data.toString(16)}>`;
}

const OSABI_NAMES = [
  "UNIX - System V",
  "UNIX - HP-UX",
  "UNIX - NetBSD",
  "UNIX - GNU",
  undefined,
  undefined,
  "UNIX - Solaris",
  "UNIX - AIX",
  "UNIX - IRIX",
  "UNIX - FreeBSD",
  "UNIX - TRU64",
  "Novell - Modesto",
  "UNIX - OpenBSD",
  "VMS - OpenVMS",
  "HP - Non-Stop Kernel",
  "AROS",
  "FenixOS",
  "Nuxi CloudABI",
  "Stratus Technologies OpenVOS",
];

/** EI_OSABI as readelf names it; values of 64 and up are machine-specific (get_osabi_name). */
export function osabiName(osabi: number, e_machine: number): string {
  const generic = OSABI_NAMES[osabi];
  if (generic) return generic;
  if (osabi >= 64) {
    switch (e_machine) {
      case EM.AMDGPU:
        if (osabi === 64) return "AMD HSA";
        if (osabi === 65) return "AMD PAL";
        if (osabi === 66) return "AMD Mesa3D";
        break;
      case EM.ARM:
        if (osabi === 97) return "ARM";
        if (osabi === 65) return "ARM FDPIC";
        break;
      case EM.MSP430:
      case EM.MSP430_OLD:
      case EM.VISIUM:
        if (osabi === 255) return "Standalone App";
        break;
      case EM.TI_C6000:
        if (osabi === 64) return "Bare-metal C6000";
        if (osabi === 65) return "Linux C6000";
        break;
    }
  }
  return `<unknown: ${osabi.toString(16)}>`;
}

/**
 * The e_type text. readelf 2.40 calls an ET_DYN file a PIE exactly when its dynamic table has DT_FLAGS_1
 * with DF_1_PIE (is_pie); the caller decides that, since it needs the file.
 */
export function fileTypeName(e_type: number, isPie = false): string {
  switch (e_type) {
    case 0:
      return "NONE (None)";
    case 1:
      return "REL (Relocatable file)";
    case 2:
      return "EXEC (Executable file)";
    case 3:
      return isPie ? "DYN (Position-Independent Executable file)" : "DYN (Shared object file)";
    case 4:
      return "CORE (Core file)";
  }
  if (e_type >= 0xff00) return `Processor Specific: (${e_type.toString(16)})`;
  if (e_type >= 0xfe00) return `OS Specific: (${e_type.toString(16)})`;
  return `<unknown>: ${e_type.toString(16)}`;
}

// --- program header types (get_segment_type) -------------------------------------------------------

const PT_NAMES = new Map<number, string>([
  [0, "NULL"],
  [1, "LOAD"],
  [2, "DYNAMIC"],
  [3, "INTERP"],
  [4, "NOTE"],
  [5, "SHLIB"],
  [6, "PHDR"],
  [7, "TLS"],
  [0x6474e550, "GNU_EH_FRAME"],
  [0x6474e551, "GNU_STACK"],
  [0x6474e552, "GNU_RELRO"],
  [0x6474e553, "GNU_PROPERTY"],
  [0x6474e554, "GNU_SFRAME"],
  [0x65a3dbe6, "OPENBSD_RANDOMIZE"],
  [0x65a3dbe7, "OPENBSD_WXNEEDED"],
  [0x65a41be6, "OPENBSD_BOOTDATA"],
]);

function procSegmentType(p_type: number, e_machine: number): string | undefined {
  const n = p_type - 0x70000000;
  switch (e_machine) {
    case EM.AARCH64:
      return n === 0 ? "AARCH64_ARCHEXT" : n === 2 ? "AARCH64_MEMTAG_MTE" : undefined;
    case EM.ARM:
      return n === 1 ? "EXIDX" : undefined;
    case EM.MIPS:
    case EM.MIPS_RS3_LE:
      return ["REGINFO", "RTPROC", "OPTIONS", "ABIFLAGS"][n];
    case EM.PARISC:
      return ["PARISC_ARCHEXT", "PARISC_UNWIND", "PARISC_WEAKORDER"][n];
    case EM.IA_64:
      return ["IA_64_ARCHEXT", "IA_64_UNWIND"][n];
    case EM.TI_C6000:
      return n === 0 ? "C6000_PHATTR" : undefined;
    case EM.S390:
    case EM.S390_OLD:
      return n === 0 ? "S390_PGSTE" : undefined;
    case EM.RISCV:
      return n === 3 ? "RISCV_ATTRIBUTES" : undefined;
  }
  return undefined;
}

const HPUX_PARISC_SEGMENTS = new Map<number, string>([
  [0x60000000, "HP_TLS"],
  [0x60000001, "HP_CORE_NONE"],
  [0x60000002, "HP_CORE_VERSION"],
  [0x60000003, "HP_CORE_KERNEL"],
  [0x60000004, "HP_CORE_COMM"],
  [0x60000005, "HP_CORE_PROC"],
  [0x60000006, "HP_CORE_LOADABLE"],
  [0x60000007, "HP_CORE_STACK"],
  [0x60000008, "HP_CORE_SHM"],
  [0x60000009, "HP_CORE_MMF"],
  [0x60000010, "HP_PARALLEL"],
  [0x60000011, "HP_FASTBIND"],
  [0x60000012, "HP_OPT_ANNOT"],
  [0x60000013, "HP_HSL_ANNOT"],
  [0x60000014, "HP_STACK"],
  [0x60000015, "HP_CORE_UTSNAME"],
]);

const HPUX_IA64_SEGMENTS = new Map<number, string>([
  [0x60000000, "HP_TLS"],
  [0x60000012, "HP_OPT_ANNOT"],
  [0x60000013, "HP_HSL_ANNOT"],
  [0x60000014, "HP_STACK"],
]);

const SOLARIS_SEGMENTS = new Map<number, string>([
  [0x6464e550, "PT_SUNW_UNWIND"],
  [0x6474e550, "PT_SUNW_EH_FRAME"],
  [0x6ffffff7, "PT_LOSUNW"],
  [0x6ffffffa, "PT_SUNWBSS"],
  [0x6ffffffb, "PT_SUNWSTACK"],
  [0x6ffffffc, "PT_SUNWDTRACE"],
  [0x6ffffffd, "PT_SUNWCAP"],
  [0x6fffffff, "PT_HISUNW"],
]);

const PT_GNU_MBIND_LO = 0x6474e555;
const PT_GNU_MBIND_HI = PT_GNU_MBIND_LO + 4095;

/** A p_type's name, as in readelf's program header table. */
export function segmentTypeName(p_type: number, e_machine: number, osabi: number): string {
  const known = PT_NAMES.get(p_type);
  if (known) return known;
  if (p_type >= 0x70000000 && p_type <= 0x7fffffff) {
    return procSegmentType(p_type, e_machine) ?? `LOPROC+${cHexAlt(p_type - 0x70000000)}`;
  }
  if (p_type >= 0x60000000 && p_type <= 0x6fffffff) {
    let name: string | undefined;
    if (osabi === 3 || osabi === 9) {
      if (p_type >= PT_GNU_MBIND_LO && p_type <= PT_GNU_MBIND_HI)
        name = `GNU_MBIND+${cHexAlt(p_type - PT_GNU_MBIND_LO)}`;
    } else if (osabi === 1) {
      if (e_machine === EM.PARISC) name = HPUX_PARISC_SEGMENTS.get(p_type);
      else if (e_machine === EM.IA_64) name = HPUX_IA64_SEGMENTS.get(p_type);
    } else if (osabi === 6) {
      name = SOLARIS_SEGMENTS.get(p_type);
    }
    return name ?? `LOOS+${cHexAlt(p_type - 0x60000000)}`;
  }
  return `<unknown>: ${p_type.toString(16)}`;
}

// --- section header types (get_section_type_name) --------------------------------------------------

const SHT_NAMES = new Map<number, string>([
  [0, "NULL"],
  [1, "PROGBITS"],
  [2, "SYMTAB"],
  [3, "STRTAB"],
  [4, "RELA"],
  [19, "RELR"],
  [5, "HASH"],
  [6, "DYNAMIC"],
  [7, "NOTE"],
  [8, "NOBITS"],
  [9, "REL"],
  [10, "SHLIB"],
  [11, "DYNSYM"],
  [14, "INIT_ARRAY"],
  [15, "FINI_ARRAY"],
  [16, "PREINIT_ARRAY"],
  [0x6ffffff6, "GNU_HASH"],
  [17, "GROUP"],
  [18, "SYMTAB SECTION INDICES"],
  [0x6ffffffd, "VERDEF"],
  [0x6ffffffe, "VERNEED"],
  [0x6fffffff, "VERSYM"],
  [0x6ffffff0, "VERSYM"],
  [0x6ffffffc, "VERDEF"],
  [0x7ffffffd, "AUXILIARY"],
  [0x7fffffff, "FILTER"],
  [0x6ffffff7, "GNU_LIBLIST"],
]);

const MIPS_SECTIONS = [
  "MIPS_LIBLIST",
  "MIPS_MSYM",
  "MIPS_CONFLICT",
  "MIPS_GPTAB",
  "MIPS_UCODE",
  "MIPS_DEBUG",
  "MIPS_REGINFO",
  "MIPS_PACKAGE",
  "MIPS_PACKSYM",
  "MIPS_RELD",
  undefined,
  "MIPS_IFACE",
  "MIPS_CONTENT",
  "MIPS_OPTIONS",
  undefined,
  undefined,
  "MIPS_SHDR",
  "MIPS_FDESC",
  "MIPS_EXTSYM",
  "MIPS_DENSE",
  "MIPS_PDESC",
  "MIPS_LOCSYM",
  "MIPS_AUXSYM",
  "MIPS_OPTSYM",
  "MIPS_LOCSTR",
  "MIPS_LINE",
  "MIPS_RFDESC",
  "MIPS_DELTASYM",
  "MIPS_DELTAINST",
  "MIPS_DELTACLASS",
  "MIPS_DWARF",
  "MIPS_DELTADECL",
  "MIPS_SYMBOL_LIB",
  "MIPS_EVENTS",
  "MIPS_TRANSLATE",
  "MIPS_PIXIE",
  "MIPS_XLATE",
  "MIPS_XLATE_DEBUG",
  "MIPS_WHIRL",
  "MIPS_EH_REGION",
  "MIPS_XLATE_OLD",
  "MIPS_PDR_EXCEPTION",
  "MIPS_ABIFLAGS",
  "MIPS_XHASH",
];

const IA64_SECTIONS = new Map<number, string>([
  [0x70000000, "IA_64_EXT"],
  [0x70000001, "IA_64_UNWIND"],
  [0x79000000, "IA_64_PRIORITY_INIT"],
  [0x60000000, "VMS_TRACE"],
  [0x60000001, "VMS_TIE_SIGNATURES"],
  [0x60000002, "VMS_DEBUG"],
  [0x60000003, "VMS_DEBUG_STR"],
  [0x60000004, "VMS_LINKAGES"],
  [0x60000005, "VMS_SYMBOL_VECTOR"],
  [0x60000006, "VMS_FIXUP"],
]);

function ia64SectionType(sh_type: number, e_machine: number): string | undefined {
  // SHT_IA_64_LOPSREG..: the top byte 0x78 says the next byte is an OS/ABI.
  if ((sh_type & 0xff000000) >>> 0 === 0x78000000) return osabiName((sh_type >>> 16) & 0xff, e_machine);
  return IA64_SECTIONS.get(sh_type);
}

const TIC6X_SECTIONS = new Map<number, string>([
  [0x70000001, "C6000_UNWIND"],
  [0x70000002, "C6000_PREEMPTMAP"],
  [0x70000003, "C6000_ATTRIBUTES"],
  [0x7f000000, "TI_ICODE"],
  [0x7f000001, "TI_XREF"],
  [0x7f000002, "TI_HANDLER"],
  [0x7f000003, "TI_INITINFO"],
  [0x7f000004, "TI_PHATTRS"],
]);

const V850_SECTIONS = new Map<number, string>([
  [0x70000000, "V850 Small Common"],
  [0x70000001, "V850 Tiny Common"],
  [0x70000002, "V850 Zero Common"],
  [0x80000000, "RENESAS IOP"],
  [0xa0000000, "RENESAS INFO"],
]);

function procSectionType(sh_type: number, e_machine: number): string | undefined {
  const n = sh_type - 0x70000000;
  switch (e_machine) {
    case EM.ARC:
    case EM.ARC_COMPACT:
    case EM.ARC_COMPACT2:
      return n === 1 ? "ARC_ATTRIBUTES" : undefined;
    case EM.MIPS:
    case EM.MIPS_RS3_LE:
      return MIPS_SECTIONS[n];
    case EM.PARISC:
      return [
        "PARISC_EXT",
        "PARISC_UNWIND",
        "PARISC_DOC",
        "PARISC_ANNOT",
        "PARISC_DLKM",
        undefined,
        undefined,
        undefined,
        "PARISC_SYMEXTN",
        "PARISC_STUBS",
      ][n];
    case EM.IA_64:
      return ia64SectionType(sh_type, e_machine);
    case EM.X86_64:
    case EM.L1OM:
    case EM.K1OM:
      return n === 1 ? "X86_64_UNWIND" : undefined;
    case EM.AARCH64:
      return n === 3 ? "AARCH64_ATTRIBUTES" : undefined;
    case EM.ARM:
      return [
        undefined,
        "ARM_EXIDX",
        "ARM_PREEMPTMAP",
        "ARM_ATTRIBUTES",
        "ARM_DEBUGOVERLAY",
        "ARM_OVERLAYSECTION",
      ][n];
    case EM.TI_C6000:
      return TIC6X_SECTIONS.get(sh_type);
    case EM.MSP430:
      if (n === 3) return "MSP430_ATTRIBUTES";
      if (sh_type === 0x7f000005) return "MSP430_SEC_FLAGS";
      if (sh_type === 0x7f000006) return "MSP430_SYM_ALIASES";
      return undefined;
    case EM.NFP:
      return n === 1 ? "NFP_MECONFIG" : n === 2 ? "NFP_INITREG" : undefined;
    case EM.V800:
    case EM.V850:
    case EM.CYGNUS_V850:
      return V850_SECTIONS.get(sh_type);
    case EM.RISCV:
      return n === 3 ? "RISCV_ATTRIBUTES" : undefined;
    case EM.CSKY:
      return n === 1 ? "CSKY_ATTRIBUTES" : undefined;
  }
  return undefined;
}

const SOLARIS_SECTIONS = new Map<number, string>([
  [0x6fffffee, "SUNW_ancillary"],
  [0x6fffffef, "SUNW_capchain"],
  [0x6ffffff0, "SUNW_capinfo"],
  [0x6ffffff1, "SUNW_symsort"],
  [0x6ffffff2, "SUNW_tlssort"],
  [0x6ffffff3, "SUNW_LDYNSYM"],
  [0x6ffffff4, "SUNW_dof"],
  [0x6ffffff5, "SUNW_cap"],
  [0x6ffffff6, "SUNW_SIGNATURE"],
  [0x6ffffff7, "SUNW_ANNOTATE"],
  [0x6ffffff8, "SUNW_DEBUGSTR"],
  [0x6ffffff9, "SUNW_DEBUG"],
  [0x6ffffffa, "SUNW_move"],
  [0x6ffffffb, "SUNW_COMDAT"],
  [0x6ffffffc, "SUNW_syminfo"],
  [0x6ffffffd, "SUNW_verdef"],
  [0x6ffffffe, "SUNW_verneed"],
  [0x6fffffff, "SUNW_versym"],
  [0x70000000, "SPARC_GOTDATA"],
]);

const GNU_OS_SECTIONS = new Map<number, string>([
  [0x6fff4700, "GNU_INCREMENTAL_INPUTS"],
  [0x6ffffff5, "GNU_ATTRIBUTES"],
  [0x6ffffff6, "GNU_HASH"],
  [0x6ffffff7, "GNU_LIBLIST"],
]);

/** An sh_type's name, as in readelf's section header table (not padded or cut). */
export function sectionTypeName(sh_type: number, e_machine: number, osabi: number): string {
  const known = SHT_NAMES.get(sh_type);
  if (known) return known;
  if (sh_type >= 0x70000000 && sh_type <= 0x7fffffff) {
    return procSectionType(sh_type, e_machine) ?? `LOPROC+${cHexAlt(sh_type - 0x70000000)}`;
  }
  if (sh_type >= 0x60000000 && sh_type <= 0x6fffffff) {
    let name: string | undefined;
    if (e_machine === EM.IA_64) name = ia64SectionType(sh_type, e_machine);
    else if (osabi === 6) name = SOLARIS_SECTIONS.get(sh_type);
    else name = GNU_OS_SECTIONS.get(sh_type);
    return name ?? `LOOS+${cHexAlt(sh_type - 0x60000000)}`;
  }
  if (sh_type >= 0x80000000) {
    let name: string | undefined;
    if (e_machine === EM.V800 || e_machine === EM.V850 || e_machine === EM.CYGNUS_V850)
      name = V850_SECTIONS.get(sh_type);
    return name ?? `LOUSER+${cHexAlt(sh_type - 0x80000000)}`;
  }
  return `${sh_type.toString(16).padStart(8, "0")}: <unknown>`;
}
