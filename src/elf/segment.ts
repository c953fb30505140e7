import type { DataReader } from "./data-reader.js";

/** Elf32_Phdr / Elf64_Phdr plus its index in the table. */
export interface ProgramHeader {
  index: number;
  p_type: number;
  p_flags: number;
  p_offset: bigint;
  p_vaddr: bigint;
  p_paddr: bigint;
  p_filesz: bigint;
  p_memsz: bigint;
  p_align: bigint;
}

export const PHDR32_SIZE = 32;
export const PHDR64_SIZE = 56;

export function parseProgramHeader(r: DataReader, at: number, is64: boolean, index: number): ProgramHeader {
  if (is64) {
    return {
      index,
      p_type: r.u32(at),
      p_flags: r.u32(at + 4),
      p_offset: r.u64(at + 8),
      p_vaddr: r.u64(at + 16),
      p_paddr: r.u64(at + 24),
      p_filesz: r.u64(at + 32),
      p_memsz: r.u64(at + 40),
      p_align: r.u64(at + 48),
    };
  }
  // Elf32_Phdr puts p_flags after p_memsz.
  return {
    index,
    p_type: r.u32(at),
    p_offset: BigInt(r.u32(at + 4)),
    p_vaddr: BigInt(r.u32(at + 8)),
    p_paddr: BigInt(r.u32(at + 12)),
    p_filesz: BigInt(r.u32(at + 16)),
    p_memsz: BigInt(r.u32(at + 20)),
    p_flags: r.u32(at + 24),
    p_align: BigInt(r.u32(at + 28)),
  };
}
