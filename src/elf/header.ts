import {
  EI_ABIVERSION,
  EI_CLASS,
  EI_DATA,
  EI_NIDENT,
  EI_OSABI,
  EI_VERSION,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ELFMAG,
} from "./constants.js";
import { DataReader } from "./data-reader.js";
import { ElfError, ElfErrorCode } from "./errors.js";

/** Elf32_Ehdr / Elf64_Ehdr, field names as in the gABI. */
export interface ElfHeader {
  e_ident: Uint8Array;
  ei_class: number;
  ei_data: number;
  ei_version: number;
  ei_osabi: number;
  ei_abiversion: number;
  e_type: number;
  e_machine: number;
  e_version: number;
  e_entry: bigint;
  e_phoff: bigint;
  e_shoff: bigint;
  e_flags: number;
  e_ehsize: number;
  e_phentsize: number;
  e_phnum: number;
  e_shentsize: number;
  e_shnum: number;
  e_shstrndx: number;
}

export const EHDR32_SIZE = 52;
export const EHDR64_SIZE = 64;

export function isElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELFMAG.every((b, i) => bytes[i] === b);
}

/** Decodes the file header from the first bytes of the file. */
export function parseElfHeader(bytes: Uint8Array): ElfHeader {
  if (!isElfMagic(bytes)) {
    throw new ElfError(
      ElfErrorCode.NotElf,
      "ELF header",
      0,
      "not an ELF file - it has the wrong magic bytes at the start",
    );
  }
  if (bytes.length < EI_NIDENT) {
    throw new ElfError(ElfErrorCode.Truncated, "ELF header", 0, "file too short for e_ident");
  }
  const ei_class = bytes[EI_CLASS]!;
  const ei_data = bytes[EI_DATA]!;
  if (ei_class !== ELFCLASS32 && ei_class !== ELFCLASS64) {
    throw new ElfError(ElfErrorCode.Unsupported, "ELF header", EI_CLASS, `unknown EI_CLASS ${ei_class}`);
  }
  if (ei_data !== ELFDATA2LSB && ei_data !== ELFDATA2MSB) {
    throw new ElfError(ElfErrorCode.Unsupported, "ELF header", EI_DATA, `unknown EI_DATA ${ei_data}`);
  }
  const is64 = ei_class === ELFCLASS64;
  const size = is64 ? EHDR64_SIZE : EHDR32_SIZE;
  if (bytes.length < size) {
    throw new ElfError(
      ElfErrorCode.Truncated,
      "ELF header",
      0,
      `file too short for the ${size}-byte ELF header`,
    );
  }
  const r = new DataReader(bytes.subarray(0, size), ei_data === ELFDATA2LSB, 0, "ELF header");
  const w = is64 ? 8 : 4;
  const o = 24 + 3 * w; // offset of e_flags
  return {
    e_ident: bytes.slice(0, EI_NIDENT),
    ei_class,
    ei_data,
    ei_version: bytes[EI_VERSION]!,
    ei_osabi: bytes[EI_OSABI]!,
    ei_abiversion: bytes[EI_ABIVERSION]!,
    e_type: r.u16(16),
    e_machine: r.u16(18),
    e_version: r.u32(20),
    e_entry: r.word(24, is64),
    e_phoff: r.word(24 + w, is64),
    e_shoff: r.word(24 + 2 * w, is64),
    e_flags: r.u32(o),
    e_ehsize: r.u16(o + 4),
    e_phentsize: r.u16(o + 6),
    e_phnum: r.u16(o + 8),
    e_shentsize: r.u16(o + 10),
    e_shnum: r.u16(o + 12),
    e_shstrndx: r.u16(o + 14),
  };
}
