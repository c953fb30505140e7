import type { DataReader } from "./data-reader.js";

/** Elf32_Shdr / Elf64_Shdr plus its index in the table. */
export interface SectionHeader {
  index: number;
  sh_name: number;
  sh_type: number;
  sh_flags: bigint;
  sh_addr: bigint;
  sh_offset: bigint;
  sh_size: bigint;
  sh_link: number;
  sh_info: number;
  sh_addralign: bigint;
  sh_entsize: bigint;
}

export const SHDR32_SIZE = 40;
export const SHDR64_SIZE = 64;

export function parseSectionHeader(r: DataReader, at: number, is64: boolean, index: number): SectionHeader {
  if (is64) {
    return {
      index,
      sh_name: r.u32(at),
      sh_type: r.u32(at + 4),
      sh_flags: r.u64(at + 8),
      sh_addr: r.u64(at + 16),
      sh_offset: r.u64(at + 24),
      sh_size: r.u64(at + 32),
      sh_link: r.u32(at + 40),
      sh_info: r.u32(at + 44),
      sh_addralign: r.u64(at + 48),
      sh_entsize: r.u64(at + 56),
    };
  }
  return {
    index,
    sh_name: r.u32(at),
    sh_type: r.u32(at + 4),
    sh_flags: BigInt(r.u32(at + 8)),
    sh_addr: BigInt(r.u32(at + 12)),
    sh_offset: BigInt(r.u32(at + 16)),
    sh_size: BigInt(r.u32(at + 20)),
    sh_link: r.u32(at + 24),
    sh_info: r.u32(at + 28),
    sh_addralign: BigInt(r.u32(at + 32)),
    sh_entsize: BigInt(r.u32(at + 36)),
  };
}
