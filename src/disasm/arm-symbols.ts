// What a 32-bit ARM listing takes from the symbol table besides names: function symbols' Thumb bit
// (AAELF 5.5.3: an odd STT_FUNC value marks Thumb code at the even address below it), cleared for
// labels and used, where a section has no mapping symbols (a stripped library), to choose the state.
import { type ElfFile, SHT_DYNSYM, SHT_SYMTAB, symType } from "../elf/index.js";
import type { MappingSymbol } from "./decoder.js";
import type { DisasmSymbol } from "./symbols.js";

const STT_FUNC = 2;

const cache = new WeakMap<ElfFile, { thumb: Set<number>; arm: Set<number>; table: number }>();

/** The indexes of the function symbols in the table objdump reads (.symtab, else .dynsym), by state. */
function functionStates(file: ElfFile): { thumb: Set<number>; arm: Set<number>; table: number } {
  let states = cache.get(file);
  if (!states) {
    const table =
      file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB && s.sh_size > 0n) ??
      file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM);
    states = { thumb: new Set(), arm: new Set(), table: table?.index ?? -1 };
    for (const sym of table ? file.symbols(table) : []) {
      if (symType(sym) !== STT_FUNC || sym.shndx === 0) continue;
      (sym.st_value & 1n ? states.thumb : states.arm).add(sym.index);
    }
    cache.set(file, states);
  }
  return states;
}

/** The symbols with Thumb functions at their even addresses, as objdump labels them. */
export function clearThumbBits(file: ElfFile, symbols: DisasmSymbol[]): DisasmSymbol[] {
  const { thumb } = functionStates(file);
  return symbols.map((s) => (!s.synthetic && thumb.has(s.index) ? { ...s, address: s.address & ~1n } : s));
}

/**
 * The state of each function a section's labels start, as mapping symbols would give it: Thumb for an
 * odd value, ARM for an even one. `labels` are the section's labels (bits cleared), in order.
 */
export function functionMapping(file: ElfFile, labels: DisasmSymbol[], start: bigint): MappingSymbol[] {
  const { thumb, arm } = functionStates(file);
  const out: MappingSymbol[] = [];
  for (const s of labels) {
    if (s.synthetic) continue;
    const isThumb = thumb.has(s.index);
    if (!isThumb && !arm.has(s.index)) continue;
    out.push({ offset: Number(s.address - start), data: false, thumb: isThumb });
  }
  return out;
}
