/**
 * On-disk constants from the System V gABI and the GNU/Linux extensions (glibc's elf.h names).
 * Only numbers live here; the logic that reads them is in the files beside this one, and the
 * readelf-compatible names in src/render/.
 */

// e_ident
export const ELFMAG = [0x7f, 0x45, 0x4c, 0x46] as const;
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_OSABI = 7;
export const EI_ABIVERSION = 8;
export const EI_NIDENT = 16;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;

// e_type
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

// e_machine (the ones this project names; render/ has the full readelf list)
export const EM_386 = 3;
export const EM_MIPS = 8;
export const EM_PPC = 20;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;
export const EM_LOONGARCH = 258;

// Special section indexes
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_LOPROC = 0xff00;
export const SHN_HIPROC = 0xff1f;
export const SHN_LOOS = 0xff20;
export const SHN_HIOS = 0xff3f;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;
export const PN_XNUM = 0xffff;

// sh_type
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_SHLIB = 10;
export const SHT_DYNSYM = 11;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;
export const SHT_RELR = 19;
export const SHT_GNU_ATTRIBUTES = 0x6ffffff5;
export const SHT_GNU_HASH = 0x6ffffff6;
export const SHT_GNU_LIBLIST = 0x6ffffff7;
export const SHT_GNU_verdef = 0x6ffffffd;
export const SHT_GNU_verneed = 0x6ffffffe;
export const SHT_GNU_versym = 0x6fffffff;

// sh_flags
export const SHF_WRITE = 0x1n;
export const SHF_ALLOC = 0x2n;
export const SHF_EXECINSTR = 0x4n;
export const SHF_MERGE = 0x10n;
export const SHF_STRINGS = 0x20n;
export const SHF_INFO_LINK = 0x40n;
export const SHF_LINK_ORDER = 0x80n;
export const SHF_OS_NONCONFORMING = 0x100n;
export const SHF_GROUP = 0x200n;
export const SHF_TLS = 0x400n;
export const SHF_COMPRESSED = 0x800n;
export const SHF_GNU_RETAIN = 0x200000n;
export const SHF_EXCLUDE = 0x80000000n;

// Compression (Elf_Chdr ch_type)
export const ELFCOMPRESS_ZLIB = 1;
export const ELFCOMPRESS_ZSTD = 2;

// p_type
export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_SHLIB = 5;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;
export const PT_GNU_PROPERTY = 0x6474e553;
export const PT_GNU_SFRAME = 0x6474e554;

// p_flags
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

// Symbols: st_info, st_other
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STB_GNU_UNIQUE = 10;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;
export const STT_GNU_IFUNC = 10;
export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

// Dynamic tags (d_tag); bigint because d_tag is an Elf64_Sxword
export const DT_NULL = 0n;
export const DT_NEEDED = 1n;
export const DT_PLTRELSZ = 2n;
export const DT_PLTGOT = 3n;
export const DT_HASH = 4n;
export const DT_STRTAB = 5n;
export const DT_SYMTAB = 6n;
export const DT_RELA = 7n;
export const DT_RELASZ = 8n;
export const DT_RELAENT = 9n;
export const DT_STRSZ = 10n;
export const DT_SYMENT = 11n;
export const DT_INIT = 12n;
export const DT_FINI = 13n;
export const DT_SONAME = 14n;
export const DT_RPATH = 15n;
export const DT_SYMBOLIC = 16n;
export const DT_REL = 17n;
export const DT_RELSZ = 18n;
export const DT_RELENT = 19n;
export const DT_PLTREL = 20n;
export const DT_DEBUG = 21n;
export const DT_TEXTREL = 22n;
export const DT_JMPREL = 23n;
export const DT_BIND_NOW = 24n;
export const DT_INIT_ARRAY = 25n;
export const DT_FINI_ARRAY = 26n;
export const DT_INIT_ARRAYSZ = 27n;
export const DT_FINI_ARRAYSZ = 28n;
export const DT_RUNPATH = 29n;
export const DT_FLAGS = 30n;
export const DT_PREINIT_ARRAY = 32n;
export const DT_PREINIT_ARRAYSZ = 33n;
export const DT_SYMTAB_SHNDX = 34n;
export const DT_RELRSZ = 35n;
export const DT_RELR = 36n;
export const DT_RELRENT = 37n;
export const DT_GNU_HASH = 0x6ffffef5n;
export const DT_VERSYM = 0x6ffffff0n;
export const DT_RELACOUNT = 0x6ffffff9n;
export const DT_RELCOUNT = 0x6ffffffan;
export const DT_FLAGS_1 = 0x6ffffffbn;
export const DT_VERDEF = 0x6ffffffcn;
export const DT_VERDEFNUM = 0x6ffffffdn;
export const DT_VERNEED = 0x6ffffffen;
export const DT_VERNEEDNUM = 0x6fffffffn;
export const DT_AUXILIARY = 0x7ffffffdn;
export const DT_FILTER = 0x7fffffffn;

// DT_FLAGS and DT_FLAGS_1 bits
export const DF_ORIGIN = 0x1n;
export const DF_SYMBOLIC = 0x2n;
export const DF_TEXTREL = 0x4n;
export const DF_BIND_NOW = 0x8n;
export const DF_STATIC_TLS = 0x10n;
export const DF_1_NOW = 0x1n;
export const DF_1_NODEFLIB = 0x800n;
export const DF_1_PIE = 0x8000000n;

// Note types (n_type) in the "GNU" namespace
export const NT_GNU_ABI_TAG = 1;
export const NT_GNU_HWCAP = 2;
export const NT_GNU_BUILD_ID = 3;
export const NT_GNU_GOLD_VERSION = 4;
export const NT_GNU_PROPERTY_TYPE_0 = 5;
export const GNU_PROPERTY_X86_FEATURE_1_AND = 0xc0000002;
export const GNU_PROPERTY_AARCH64_FEATURE_1_AND = 0xc0000000;

// Symbol versioning
export const VER_NDX_LOCAL = 0;
export const VER_NDX_GLOBAL = 1;
export const VERSYM_HIDDEN = 0x8000;
export const VER_FLG_BASE = 0x1;
export const VER_FLG_WEAK = 0x2;

// e_machine: SPARC V9 (its ELF64 r_info keeps the type in the low 8 bits, data above)
export const EM_SPARCV9 = 43;

// e_ident[EI_OSABI] values glibc's ld.so accepts (elf/dl-load.c open_verify)
export const ELFOSABI_NONE = 0;
export const ELFOSABI_GNU = 3;
