// The symbols an AArch64 listing adds to and takes from the symbol table's: `name@plt` for each PLT stub
// (bfd's synthetic symbols, one per .rela.plt relocation), and the mapping symbols `$x`/`$d`, which never label or
// name anything in objdump's listing but say where a code section holds data.
import { type ElfFile, SHF_ALLOC, SHT_RELA, SHT_SYMTAB, sectionRelocations, symType } from "../elf/index.js";
import type { MappingSymbol } from "./decoder.js";
import type { DisasmSymbol } from "./symbols.js";

/** The lazy PLT's header (PLT0) before the first stub, and each stub's size (AArch64 ELF ABI, ld.bfd). */
const PLT0_SIZE = 32n;
const PLT_ENTRY_SIZE = 16n;

/**
 * `name@plt` for the .plt stubs as bfd's synthetic symbols name them: the n-th relocation of .rela.plt
 * owns the n-th stub after PLT0 (a TLSDESC relocation too, whose trampoline ld.bfd puts after the stubs),
 * named after the relocation's symbol, or `*ABS*+0xADDEND` (`*ABS*` for a 0 addend: a TLSDESC without symbol) when it has no symbol.
 */
export function aarch64PltSymbols(file: ElfFile, demangle?: (name: string) => string): DisasmSymbol[] {
  const plt = file.findSection(".plt");
  if (!plt || plt.sh_size === 0n) return [];
  const rela = file.sectionHeaders.find(
    (s) => s.sh_type === SHT_RELA && (s.sh_flags & SHF_ALLOC) !== 0n && file.sectionName(s) === ".rela.plt",
  );
  if (!rela || rela.sh_link <= 0 || rela.sh_link >= file.sectionCount) return [];
  const syms = file.symbols(file.section(rela.sh_link));
  const dem = demangle ?? ((n: string) => n);
  const out: DisasmSymbol[] = [];
  let address = plt.sh_addr + PLT0_SIZE;
  for (const r of sectionRelocations(file, rela)) {
    const sym = r.r_sym === 0 ? undefined : syms[r.r_sym];
    const base =
      sym?.name !== undefined
        ? dem(sym.name)
        : r.r_addend === 0n
          ? "*ABS*"
          : `*ABS*+0x${r.r_addend.toString(16)}`;
    const name = `${base}@plt`;
    out.push({ address, name, section: plt.index, rank: 0, base: name, size: 0n, index: 0, synthetic: true });
    address += PLT_ENTRY_SIZE;
  }
  return out;
}

const mappingCache = new WeakMap<ElfFile, Map<number, MappingSymbol[]>>();
const addressCache = new WeakMap<ElfFile, bigint[]>();

/**
 * The addresses of all the file's mapping symbols, in order. Observed: data in a code section is cut
 * at the next of these whichever section it belongs to (a .o's sections all start at 0).
 */
export function mappingAddresses(file: ElfFile): bigint[] {
  let list = addressCache.get(file);
  if (!list) {
    list = [];
    const symtab = file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB && s.sh_size > 0n);
    for (const sym of symtab ? file.symbols(symtab) : [])
      if (sym.name !== undefined && isMappingSymbol(sym.name) && symType(sym) === 0) list.push(sym.st_value);
    list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    addressCache.set(file, list);
  }
  return list;
}

/** The mapping symbols of each section, by offset in it, in address order. */
export function mappingSymbols(file: ElfFile, section: number): MappingSymbol[] {
  let bySection = mappingCache.get(file);
  if (!bySection) {
    bySection = new Map();
    mappingCache.set(file, bySection);
    const symtab = file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB && s.sh_size > 0n);
    for (const sym of symtab ? file.symbols(symtab) : []) {
      if (sym.name === undefined || !isMappingSymbol(sym.name) || symType(sym) !== 0) continue;
      if (sym.shndx <= 0 || sym.shndx >= file.sectionCount) continue;
      const sh = file.section(sym.shndx);
      if (sym.st_value < sh.sh_addr) continue;
      const list = bySection.get(sym.shndx) ?? [];
      list.push({ offset: Number(sym.st_value - sh.sh_addr), data: sym.name[1] === "d" });
      bySection.set(sym.shndx, list);
    }
    // Stable: at one address the later symbol table entry wins, as the last one read.
    for (const list of bySection.values()) list.sort((a, b) => a.offset - b.offset);
  }
  return bySection.get(section) ?? [];
}

/** `$x`, `$d` and their numbered forms (`$x.12`): AAELF64's mapping symbols. */
export function isMappingSymbol(name: string): boolean {
  return (
    name.length >= 2 &&
    name[0] === "$" &&
    (name[1] === "x" || name[1] === "d") &&
    (name.length === 2 || name[2] === ".")
  );
}
