import type { DataReader } from "./data-reader.js";
import type { StringTable } from "./strings.js";

/** Elf32_Sym / Elf64_Sym, its index, its name, and the section index after SHN_XINDEX resolution. */
export interface ElfSymbol {
  index: number;
  st_name: number;
  st_info: number;
  st_other: number;
  st_shndx: number;
  st_value: bigint;
  st_size: bigint;
  /** The name from the linked string table; undefined when st_name lies outside it. */
  name: string | undefined;
  /** st_shndx, or the SHT_SYMTAB_SHNDX entry when st_shndx is SHN_XINDEX. */
  shndx: number;
}

export const SYM32_SIZE = 16;
export const SYM64_SIZE = 24;

export const symBind = (s: ElfSymbol): number => s.st_info >> 4;
export const symType = (s: ElfSymbol): number => s.st_info & 0xf;
export const symVisibility = (s: ElfSymbol): number => s.st_other & 0x3;

export function parseSymbol(
  r: DataReader,
  at: number,
  is64: boolean,
  index: number,
  strings: StringTable | undefined,
): ElfSymbol {
  let st_name: number;
  let st_info: number;
  let st_other: number;
  let st_shndx: number;
  let st_value: bigint;
  let st_size: bigint;
  if (is64) {
    st_name = r.u32(at);
    st_info = r.u8(at + 4);
    st_other = r.u8(at + 5);
    st_shndx = r.u16(at + 6);
    st_value = r.u64(at + 8);
    st_size = r.u64(at + 16);
  } else {
    st_name = r.u32(at);
    st_value = BigInt(r.u32(at + 4));
    st_size = BigInt(r.u32(at + 8));
    st_info = r.u8(at + 12);
    st_other = r.u8(at + 13);
    st_shndx = r.u16(at + 14);
  }
  const name = strings ? strings.get(st_name) : undefined;
  return { index, st_name, st_info, st_other, st_shndx, st_value, st_size, name, shndx: st_shndx };
}
