// Mapping symbols on the 32-bit ARM and RISC-V (AArch64's are aarch64-symbols.ts): `$a` ARM code,
// `$t` Thumb code, `$d` data (AAELF 5.5.5); RISC-V's `$x` (with an ISA string after it since binutils 2.40,
// `$xrv64i2p1_m2p0...`) and `$d`. objdump never labels or names anything with them; they say what the bytes
// from their address on are.
import { type ElfFile, SHT_SYMTAB, symType } from "../elf/index.js";
import type { MappingSymbol } from "./decoder.js";

/** `$a`, `$t`, `$d` and their numbered forms (`$d.12`). */
export function isArmMappingSymbol(name: string): boolean {
  return (
    name.length >= 2 &&
    name[0] === "$" &&
    (name[1] === "a" || name[1] === "t" || name[1] === "d") &&
    (name.length === 2 || name[2] === ".")
  );
}

/** `$x`, `$d`, and either followed by anything (an ISA string, a `.N` suffix). */
export function isRiscvMappingSymbol(name: string): boolean {
  return name.length >= 2 && name[0] === "$" && (name[1] === "x" || name[1] === "d");
}

const cache = new WeakMap<ElfFile, Map<number, MappingSymbol[]>>();
const addresses = new WeakMap<ElfFile, bigint[]>();

/** The file's mapping symbols (as `isMapping` says) of one section, by offset in it, in address order. */
export function sectionMappingSymbols(
  file: ElfFile,
  section: number,
  isMapping: (name: string) => boolean,
): MappingSymbol[] {
  let bySection = cache.get(file);
  if (!bySection) {
    bySection = new Map();
    cache.set(file, bySection);
    const symtab = file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB && s.sh_size > 0n);
    for (const sym of symtab ? file.symbols(symtab) : []) {
      if (sym.name === undefined || !isMapping(sym.name) || symType(sym) !== 0) continue;
      if (sym.shndx <= 0 || sym.shndx >= file.sectionCount) continue;
      const sh = file.section(sym.shndx);
      if (sym.st_value < sh.sh_addr) continue;
      const list = bySection.get(sym.shndx) ?? [];
      const kind = sym.name[1];
      // ARM code symbols' Thumb bit is clear (AAELF: mapping symbols carry no interworking bit).
      list.push({ offset: Number(sym.st_value - sh.sh_addr), data: kind === "d", thumb: kind === "t" });
      bySection.set(sym.shndx, list);
    }
    // Stable: at one address the later symbol table entry wins, as the last one read.
    for (const list of bySection.values()) list.sort((a, b) => a.offset - b.offset);
  }
  return bySection.get(section) ?? [];
}

/** The addresses of all the file's mapping symbols, in order: data is cut at the next of them. */
export function allMappingAddresses(file: ElfFile, isMapping: (name: string) => boolean): bigint[] {
  let list = addresses.get(file);
  if (!list) {
    list = [];
    const symtab = file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB && s.sh_size > 0n);
    for (const sym of symtab ? file.symbols(symtab) : [])
      if (sym.name !== undefined && isMapping(sym.name) && symType(sym) === 0) list.push(sym.st_value);
    list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    addresses.set(file, list);
  }
  return list;
}

/** Binary search: the mapping symbol in force at `offset`, if any. */
export function mappingAt(mapping: MappingSymbol[], offset: number): MappingSymbol | undefined {
  let lo = 0;
  let hi = mapping.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((mapping[mid] as MappingSymbol).offset <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? mapping[lo - 1] : undefined;
}

/** Binary search: the first bound past `offset`, -1 for none. */
export function boundAfter(bounds: number[], offset: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((bounds[mid] as number) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo < bounds.length ? (bounds[lo] as number) : -1;
}

/**
 * Data under a `$d` as objdump prints it: the largest unit (4, 2, 1 bytes) that ends by the next mapping
 * bound, and is aligned when `aligned` (ARM; RISC-V's are not); past the last bound, 4 bytes.
 */
export function dataUnit(offset: number, next: number, aligned: boolean): number {
  if (next < 0) return 4;
  if (offset + 4 <= next && (!aligned || offset % 4 === 0)) return 4;
  return offset + 2 <= next && (!aligned || offset % 2 === 0) ? 2 : 1;
}

/** `.word 0x00001a70`, `.short 0x0000`, `.byte 0x00`: a data unit read in the file's byte order. */
export function dataDirective(bytes: Uint8Array, offset: number, size: number, bigEndian: boolean): string {
  let value = 0;
  for (let i = 0; i < size; i++)
    value = value * 256 + (bytes[offset + (bigEndian ? i : size - 1 - i)] as number);
  const directive = size === 4 ? ".word" : size === 2 ? ".short" : ".byte";
  return `${directive}\t0x${value.toString(16).padStart(size * 2, "0")}`;
}
