// `name@plt` for the stubs of a lazy PLT whose header and stubs have fixed sizes, as bfd's synthetic
// symbols name them: the n-th relocation of .rel(a).plt owns the n-th stub after the header. ARM's ld.bfd
// PLT: a 20-byte header, 12-byte stubs, 16 where a Thumb caller's `bx pc` prefix (0x4778) comes first
// (measured on the committed fixtures and the armhf libc).
import { type ElfFile, SHF_ALLOC, SHT_REL, SHT_RELA, sectionRelocations } from "../elf/index.js";
import type { DisasmSymbol } from "./symbols.js";

export function lazyPltSymbols(
  file: ElfFile,
  headerSize: bigint,
  entrySize: bigint,
  demangle?: (name: string) => string,
  thumbPrefix = false,
): DisasmSymbol[] {
  const plt = file.findSection(".plt");
  if (!plt || plt.sh_size === 0n) return [];
  const rel = file.sectionHeaders.find(
    (s) =>
      (s.sh_type === SHT_RELA || s.sh_type === SHT_REL) &&
      (s.sh_flags & SHF_ALLOC) !== 0n &&
      (file.sectionName(s) === ".rel.plt" || file.sectionName(s) === ".rela.plt"),
  );
  if (!rel || rel.sh_link <= 0 || rel.sh_link >= file.sectionCount) return [];
  const syms = file.symbols(file.section(rel.sh_link));
  const dem = demangle ?? ((n: string) => n);
  const out: DisasmSymbol[] = [];
  const data = thumbPrefix ? file.sectionData(plt) : undefined;
  let address = plt.sh_addr + headerSize;
  for (const r of sectionRelocations(file, rel)) {
    const at = Number(address - plt.sh_addr);
    const prefixed = data !== undefined && data[at] === 0x78 && data[at + 1] === 0x47;
    const sym = r.r_sym === 0 ? undefined : syms[r.r_sym];
    const base = sym?.name !== undefined ? dem(sym.name) : "*ABS*";
    const name = `${base}@plt`;
    out.push({ address, name, section: plt.index, rank: 0, base: name, size: 0n, index: 0, synthetic: true });
    address += prefixed ? entrySize + 4n : entrySize;
  }
  return out;
}
