import {
  DT_JMPREL,
  DT_PLTREL,
  DT_PLTRELSZ,
  DT_REL,
  DT_RELA,
  DT_RELASZ,
  DT_RELR,
  DT_RELRSZ,
  DT_RELSZ,
  EM_MIPS,
  EM_SPARCV9,
  SHT_REL,
  SHT_RELA,
  SHT_RELR,
} from "./constants.js";
import type { DataReader } from "./data-reader.js";
import type { DynamicEntry } from "./dynamic.js";
import type { ElfFile } from "./file.js";
import type { SectionHeader } from "./section.js";

export type RelocationKind = "rel" | "rela" | "relr";

/**
 * Elf32_Rel/Elf32_Rela/Elf64_Rel/Elf64_Rela with r_info split. For MIPS64 little-endian, whose r_info
 * is a 32-bit little-endian symbol index followed by four single bytes (r_ssym, r_type3, r_type2,
 * r_type), r_info is stored in the big-endian layout (as readelf's slurp_rela_relocs reorders it), so
 * that the fields decode the same way for both byte orders.
 */
export interface Relocation {
  r_offset: bigint;
  r_info: bigint;
  /** 0 for REL entries (their addend is in the relocated field). */
  r_addend: bigint;
  r_sym: number;
  r_type: number;
  /** MIPS64 only: the second and third operations and the special symbol (ELF64_MIPS_R_*). */
  r_type2: number;
  r_type3: number;
  r_ssym: number;
}

export const REL32_SIZE = 8;
export const RELA32_SIZE = 12;
export const REL64_SIZE = 16;
export const RELA64_SIZE = 24;

/** sizeof(Elf_Rel) or sizeof(Elf_Rela) for the file's class. */
export function relocationEntrySize(file: ElfFile, kind: "rel" | "rela"): number {
  if (file.is64) return kind === "rela" ? RELA64_SIZE : REL64_SIZE;
  return kind === "rela" ? RELA32_SIZE : REL32_SIZE;
}

/**
 * Decodes the REL or RELA entries in `r` (whole entries only; a trailing partial entry is ignored, as
 * readelf does). r_info is split per class: ELF32_R_SYM = info >> 8, ELF32_R_TYPE = info & 0xff;
 * ELF64_R_SYM = info >> 32, ELF64_R_TYPE = info & 0xffffffff (SPARC V9: & 0xff, the rest is data).
 */
export function parseRelocations(file: ElfFile, r: DataReader, kind: "rel" | "rela"): Relocation[] {
  const entsize = relocationEntrySize(file, kind);
  const count = Math.floor(r.length / entsize);
  const out: Relocation[] = new Array(count);
  const machine = file.header.e_machine;
  const mips64le = file.is64 && machine === EM_MIPS && file.littleEndian;
  const rela = kind === "rela";
  for (let i = 0; i < count; i++) {
    const at = i * entsize;
    if (!file.is64) {
      const info = r.u32(at + 4);
      out[i] = {
        r_offset: BigInt(r.u32(at)),
        r_info: BigInt(info),
        r_addend: rela ? BigInt(r.i32(at + 8)) : 0n,
        r_sym: info >>> 8,
        r_type: info & 0xff,
        r_type2: 0,
        r_type3: 0,
        r_ssym: 0,
      };
      continue;
    }
    let info = r.u64(at + 8);
    if (mips64le) {
      // slurp_rela_relocs: the symbol index word first, then the four type bytes in reverse order.
      info =
        ((info & 0xffffffffn) << 32n) |
        ((info >> 56n) & 0xffn) |
        ((info >> 40n) & 0xff00n) |
        ((info >> 24n) & 0xff0000n) |
        ((info >> 8n) & 0xff000000n);
    }
    const low = Number(info & 0xffffffffn);
    let type = low >>> 0;
    let type2 = 0;
    let type3 = 0;
    let ssym = 0;
    if (machine === EM_MIPS) {
      type = low & 0xff;
      type2 = (low >>> 8) & 0xff;
      type3 = (low >>> 16) & 0xff;
      ssym = (low >>> 24) & 0xff;
    } else if (machine === EM_SPARCV9) {
      type = low & 0xff;
    }
    out[i] = {
      r_offset: r.u64(at),
      r_info: info,
      r_addend: rela ? r.i64(at + 16) : 0n,
      r_sym: Number(info >> 32n),
      r_type: type,
      r_type2: type2,
      r_type3: type3,
      r_ssym: ssym,
    };
  }
  return out;
}

/**
 * Decodes a SHT_RELR / DT_RELR table into the addresses it relocates (gABI "Relative relocations"): an
 * even entry is an address (and the next base is one word past it); an odd entry is a bitmap whose bit
 * i (from 1) marks base + (i-1) words, after which the base moves 63 (or 31) words on.
 */
export function decodeRelr(file: ElfFile, r: DataReader): bigint[] {
  const word = file.is64 ? 8 : 4;
  const wordn = BigInt(word);
  const bits = word * 8 - 1;
  const count = Math.floor(r.length / word);
  const out: bigint[] = [];
  let base = 0n;
  const mask = file.is64 ? 0xffffffffffffffffn : 0xffffffffn;
  for (let i = 0; i < count; i++) {
    const entry = file.is64 ? r.u64(i * word) : BigInt(r.u32(i * word));
    if ((entry & 1n) === 0n) {
      out.push(entry);
      base = (entry + wordn) & mask;
      continue;
    }
    let e = entry >> 1n;
    let addr = base;
    while (e !== 0n) {
      if ((e & 1n) !== 0n) out.push(addr);
      e >>= 1n;
      addr = (addr + wordn) & mask;
    }
    base = (base + wordn * BigInt(bits)) & mask;
  }
  return out;
}

/** The relocation kind of a SHT_REL, SHT_RELA or SHT_RELR section, else undefined. */
export function sectionRelocationKind(sh: SectionHeader): RelocationKind | undefined {
  if (sh.sh_type === SHT_RELA) return "rela";
  if (sh.sh_type === SHT_REL) return "rel";
  if (sh.sh_type === SHT_RELR) return "relr";
  return undefined;
}

/** REL/RELA entries of a relocation section. */
export function sectionRelocations(file: ElfFile, sh: SectionHeader): Relocation[] {
  const kind = sectionRelocationKind(sh);
  if (kind !== "rel" && kind !== "rela") return [];
  const r = file.readerOver(file.sectionData(sh), file.describeSection(sh), Number(sh.sh_offset));
  return parseRelocations(file, r, kind);
}

/**
 * Only the r_sym of each REL/RELA entry of a relocation section, as sectionRelocations would give them
 * (empty for RELR): for scans over every relocation that need nothing else, without a bigint per entry.
 */
export function sectionRelocationSymbols(file: ElfFile, sh: SectionHeader): Uint32Array {
  const kind = sectionRelocationKind(sh);
  if (kind !== "rel" && kind !== "rela") return new Uint32Array(0);
  const r = file.readerOver(file.sectionData(sh), file.describeSection(sh), Number(sh.sh_offset));
  const entsize = relocationEntrySize(file, kind);
  const out = new Uint32Array(Math.floor(r.length / entsize));
  if (!file.is64) {
    for (let i = 0; i < out.length; i++) out[i] = r.u32(i * entsize + 4) >>> 8; // ELF32_R_SYM
    return out;
  }
  // ELF64_R_SYM is the high word of r_info: its second u32 when little-endian, its first when big. MIPS64
  // little-endian stores the symbol index as r_info's first u32 (see parseRelocations).
  const mips64le = file.header.e_machine === EM_MIPS && file.littleEndian;
  const at = file.littleEndian && !mips64le ? 12 : 8;
  for (let i = 0; i < out.length; i++) out[i] = r.u32(i * entsize + at);
  return out;
}

/** One relocation table named by the dynamic section (readelf -D -r's dynamic_relocations). */
export interface DynamicRelocationTable {
  /** readelf's label: REL, RELA, RELR or PLT (DT_JMPREL). */
  name: "REL" | "RELA" | "RELR" | "PLT";
  /** rel/rela/relr; for PLT from DT_PLTREL, undefined when DT_PLTREL is neither DT_REL nor DT_RELA. */
  kind: RelocationKind | undefined;
  /** The table's virtual address (DT_REL, DT_RELA, DT_RELR, DT_JMPREL) and size in bytes. */
  vaddr: bigint;
  size: bigint;
}

/**
 * The relocation tables a dynamic array names, in readelf's order (REL, RELA, RELR, PLT). Like readelf,
 * the last occurrence of each tag wins and a table with size 0 is left out.
 */
export function dynamicRelocationTables(entries: DynamicEntry[]): DynamicRelocationTable[] {
  const last = (tag: bigint): bigint => {
    let v = 0n;
    for (const e of entries) if (e.d_tag === tag) v = e.d_val;
    return v;
  };
  const pltrel = last(DT_PLTREL);
  const specs: [DynamicRelocationTable["name"], bigint, bigint, RelocationKind | undefined][] = [
    ["REL", DT_REL, DT_RELSZ, "rel"],
    ["RELA", DT_RELA, DT_RELASZ, "rela"],
    ["RELR", DT_RELR, DT_RELRSZ, "relr"],
    ["PLT", DT_JMPREL, DT_PLTRELSZ, pltrel === DT_REL ? "rel" : pltrel === DT_RELA ? "rela" : undefined],
  ];
  const out: DynamicRelocationTable[] = [];
  for (const [name, addrTag, sizeTag, kind] of specs) {
    const size = last(sizeTag);
    if (size !== 0n) out.push({ name, kind, vaddr: last(addrTag), size });
  }
  return out;
}
