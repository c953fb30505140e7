// The names objdump -d puts on addresses: the symbol table (.symtab, else .dynsym with `@@VER`/`@VER`
// version suffixes), synthetic `name@plt` symbols for the PLT stubs, and the dynamic relocations' GOT
// slots. Lookups follow objdump's observed rules: the nearest symbol at or before the address, else the
// first one after it (`<sym-0x10>`); labels only from the section being listed.
import {
  type ElfFile,
  type ElfSymbol,
  EM_386,
  EM_X86_64,
  type SectionHeader,
  SHF_ALLOC,
  SHN_UNDEF,
  SHT_DYNSYM,
  SHT_REL,
  SHT_RELA,
  SHT_SYMTAB,
  type SymbolVersion,
  sectionRelocations,
  symBind,
  symbolVersions,
  symType,
} from "../elf/index.js";

export interface DisasmSymbol {
  address: bigint;
  name: string;
  /** The section the symbol is defined in (st_shndx), or -1 for a GOT-slot name. */
  section: number;
  /** Among symbols at one address: 0 for STB_GLOBAL (preferred), 1 otherwise. */
  rank: number;
  /** The name before any version suffix: ties go to the lowest (strcmp), then the lowest index. */
  base: string;
  /** A `name@plt` made from the PLT, not read from a symbol table. */
  synthetic?: boolean;
  /** st_size: among one name's versions the largest wins (libc's _sys_errlist@GLIBC_2.12). */
  size: bigint;
  index: number;
}

const STT_SECTION = 3;
const STT_FILE = 4;
const STB_GLOBAL = 1;
const SHN_LORESERVE = 0xff00;
const SHN_ABS = 0xfff1;
const SHN_COMMON = 0xfff2;

/** The version suffix objdump appends to a dynamic symbol's name. */
export function versionSuffix(v: SymbolVersion | undefined, defined: boolean): string {
  if (!v || v.kind === "local") return "";
  const name = v.kind === "global" ? "Base" : v.name;
  if (name === undefined) return "";
  // `@@` marks the default version of a definition; a copy-relocated import (a need) keeps `@`.
  return defined && !v.hidden && v.kind !== "need" ? `@@${name}` : `@${name}`;
}

/** Measured on libc's aliases: a global symbol beats a weak one, then the name sorts, then the index. */
function rankOf(sym: ElfSymbol): number {
  return symBind(sym) === STB_GLOBAL ? 0 : 1;
}

function compareSymbols(a: DisasmSymbol, b: DisasmSymbol): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.base !== b.base) return a.base < b.base ? -1 : 1;
  if (a.size !== b.size) return a.size > b.size ? -1 : 1;
  return a.index - b.index;
}

export class SymbolIndex {
  readonly sorted: DisasmSymbol[];
  /** The dynamic relocations' symbols, by the address relocated. */
  readonly slots: Map<bigint, SlotName>;

  /** Section index -> [start, end) of its addresses, for ties between sections (see describe). */
  private readonly sectionRanges: Map<number, [bigint, bigint]>;

  constructor(
    symbols: DisasmSymbol[],
    slots: Map<bigint, SlotName> = new Map(),
    sectionRanges: Map<number, [bigint, bigint]> = new Map(),
  ) {
    this.slots = slots;
    this.sorted = symbols.sort(compareSymbols);
    this.sectionRanges = sectionRanges;
  }

  /**
   * Among the symbols at the address of sorted[i], one whose section holds `address`, if the preferred
   * one's does not: a symbol at the end of .data (`__TMC_END__`) loses to one at the start of the .bss
   * that follows (`completed.0`), as objdump shows.
   */
  private inSection(i: number, address: bigint): DisasmSymbol {
    const first = this.firstAt(i);
    const holds = (sym: DisasmSymbol) => {
      const r = this.sectionRanges.get(sym.section);
      return r !== undefined && address >= r[0] && address < r[1];
    };
    if (this.sectionRanges.size === 0 || holds(first)) return first;
    for (let k = i; k >= 0 && (this.sorted[k] as DisasmSymbol).address === first.address; k--)
      if (holds(this.sorted[k] as DisasmSymbol)) return this.sorted[k] as DisasmSymbol;
    return first;
  }

  /** Index of the first symbol with address > `address`. */
  private upperBound(address: bigint, list: DisasmSymbol[] = this.sorted): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as DisasmSymbol).address <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The preferred symbol among those at the address of sorted[i]. */
  private firstAt(i: number, list: DisasmSymbol[] = this.sorted): DisasmSymbol {
    const address = (list[i] as DisasmSymbol).address;
    while (i > 0 && (list[i - 1] as DisasmSymbol).address === address) i--;
    return list[i] as DisasmSymbol;
  }

  /**
   * `<sym+0x10>` for an operand address: the nearest symbol at or before it in any section, else the
   * next one. Observed: when no symbol sits exactly there and a dynamic relocation does (a GOT slot),
   * objdump names the relocation's symbol instead, unless the nearest symbol is in the section being
   * listed (`section`) or is a synthetic `@plt` one.
   */
  describe(address: bigint, section = -2): string {
    const list = this.sorted;
    const i = this.upperBound(address);
    const sym =
      list.length === 0 ? undefined : i > 0 ? this.inSection(i - 1, address) : (list[0] as DisasmSymbol);
    const slot = this.slots.get(address);
    if (slot?.full && sym?.section !== section && !sym?.synthetic)
      return ` <${slot.defined ? withOffset(slot.full, address - slot.value) : slot.full}>`;
    if (!sym) return "";
    return ` <${withOffset(sym.name, address - sym.address)}>`;
  }
}

export function withOffset(name: string, offset: bigint): string {
  if (offset === 0n) return name;
  return offset > 0n ? `${name}+0x${offset.toString(16)}` : `${name}-0x${(-offset).toString(16)}`;
}

/** The symbols of the file as objdump -d sees them. */
export function disasmSymbols(file: ElfFile, demangle?: (name: string) => string): DisasmSymbol[] {
  const sections = file.sectionHeaders;
  const symtab = sections.find((s) => s.sh_type === SHT_SYMTAB && s.sh_size > 0n);
  const dynsym = sections.find((s) => s.sh_type === SHT_DYNSYM);
  const out: DisasmSymbol[] = [];
  const dem = demangle ?? ((n: string) => n);
  const table = symtab ?? dynsym;
  if (table) {
    const versions = table === dynsym ? symbolVersions(file, table) : [];
    for (const sym of file.symbols(table)) {
      if (sym.index === 0 || sym.name === undefined) continue;
      const type = symType(sym);
      if (type === STT_SECTION || type === STT_FILE) continue;
      if (sym.shndx === SHN_UNDEF || sym.shndx === SHN_COMMON) continue;
      if (sym.shndx >= SHN_LORESERVE && sym.shndx !== SHN_ABS) continue;
      const base = dem(sym.name);
      const name = base + versionSuffix(versions[sym.index], true);
      out.push({
        address: sym.st_value,
        name,
        section: sym.shndx,
        rank: rankOf(sym),
        base,
        size: sym.st_size,
        index: sym.index,
      });
    }
  }
  if (dynsym) out.push(...pltSymbols(file, dynsym, dem));
  return out;
}

export interface SlotName {
  /** The dynamic symbol's name (no version), or `*ABS*+0xADDR` for IRELATIVE. */
  base: string;
  /** With its version suffix, as objdump names the slot; "" for IRELATIVE. */
  full: string;
  defined: boolean;
  value: bigint;
}

/** The dynamic relocations that name a symbol (and IRELATIVE ones), by the address relocated. */
export function slotNames(file: ElfFile, demangle?: (name: string) => string): Map<bigint, SlotName> {
  const dynsym = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM);
  if (!dynsym) return new Map();
  return relocationNames(file, dynsym, demangle ?? ((n: string) => n));
}

function relocationNames(
  file: ElfFile,
  dynsym: SectionHeader,
  dem: (n: string) => string,
): Map<bigint, SlotName> {
  const map = new Map<bigint, SlotName>();
  const syms = file.symbols(dynsym);
  const versions = symbolVersions(file, dynsym);
  const irelative = file.header.e_machine === EM_X86_64 ? 37 : file.header.e_machine === EM_386 ? 42 : -1;
  for (const sh of file.sectionHeaders) {
    if ((sh.sh_type !== SHT_RELA && sh.sh_type !== SHT_REL) || (sh.sh_flags & SHF_ALLOC) === 0n) continue;
    if (sh.sh_link !== dynsym.index) continue;
    let relocs: ReturnType<typeof sectionRelocations>;
    try {
      relocs = sectionRelocations(file, sh);
    } catch {
      continue;
    }
    for (const r of relocs) {
      if (map.has(r.r_offset)) continue;
      if (r.r_sym === 0) {
        if (r.r_type === irelative) {
          const name = `*ABS*+0x${r.r_addend.toString(16)}`;
          map.set(r.r_offset, { base: name, full: "", defined: true, value: 0n });
        }
        continue;
      }
      const sym = syms[r.r_sym];
      if (!sym?.name) continue;
      const base = dem(sym.name);
      const defined = sym.shndx !== SHN_UNDEF;
      map.set(r.r_offset, {
        base,
        full: base + versionSuffix(versions[r.r_sym], defined),
        defined,
        value: sym.st_value,
      });
    }
  }
  return map;
}

/**
 * `name@plt` for each PLT stub (bfd's x86 synthetic symbols): the stub's `jmp *slot` names the GOT slot,
 * the relocation on the slot names the symbol. With IBT the lazy .plt stubs carry no names; .plt.sec does.
 */
function pltSymbols(file: ElfFile, dynsym: SectionHeader, dem: (n: string) => string): DisasmSymbol[] {
  const machine = file.header.e_machine;
  if (machine !== EM_X86_64 && machine !== EM_386) return [];
  const slots = relocationNames(file, dynsym, dem);
  const out: DisasmSymbol[] = [];
  const gotPlt = file.findSection(".got.plt") ?? file.findSection(".got");
  const hasSec = file.findSection(".plt.sec") !== undefined;
  for (const name of [".plt", ".plt.sec", ".plt.got"]) {
    const sh = file.findSection(name);
    if (!sh || sh.sh_size === 0n) continue;
    if (name === ".plt" && hasSec) continue;
    const data = file.sectionData(sh);
    const entry =
      name === ".plt.got" && sh.sh_entsize > 0n ? Number(sh.sh_entsize) : name === ".plt.got" ? 8 : 16;
    const first = name === ".plt" ? 16 : 0;
    for (let at = first; at + 6 <= data.length; at += entry) {
      const slot = stubSlot(
        data,
        at,
        Math.min(data.length, at + entry),
        sh.sh_addr + BigInt(at),
        machine,
        gotPlt,
      );
      if (slot === undefined) continue;
      const n = slots.get(slot);
      if (!n) continue;
      const name = `${n.base}@plt`;
      out.push({
        address: sh.sh_addr + BigInt(at),
        name,
        section: sh.index,
        rank: 0,
        base: name,
        size: 0n,
        index: 0,
        synthetic: true,
      });
    }
  }
  return out;
}

/** The GOT slot a PLT stub jumps through: `ff 25 disp32` (RIP-relative, or absolute on i386), `ff a3 disp32(%ebx)`. */
function stubSlot(
  data: Uint8Array,
  start: number,
  end: number,
  address: bigint,
  machine: number,
  gotPlt: SectionHeader | undefined,
): bigint | undefined {
  for (let i = start; i + 6 <= end; i++) {
    if (data[i] !== 0xff) continue;
    const modrm = data[i + 1];
    if (modrm !== 0x25 && modrm !== 0xa3) continue;
    const disp =
      (data[i + 2] as number) |
      ((data[i + 3] as number) << 8) |
      ((data[i + 4] as number) << 16) |
      ((data[i + 5] as number) << 24) |
      0;
    if (machine === EM_X86_64 && modrm === 0x25) return address + BigInt(i - start + 6) + BigInt(disp);
    if (machine === EM_386 && modrm === 0x25) return BigInt(disp >>> 0);
    if (machine === EM_386 && modrm === 0xa3 && gotPlt) return (gotPlt.sh_addr + BigInt(disp)) & 0xffff_ffffn;
  }
  return undefined;
}
