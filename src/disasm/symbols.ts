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
  /** Among symbols at one address, lower is preferred (see rankOf). */
  rank: number;
  /** The name before any version suffix: ties go to the lowest (strcmp), then the lowest index. */
  base: string;
  /** A `name@plt` made from the PLT, not read from a symbol table. */
  synthetic?: boolean;
  /** st_size: at one address the largest wins (libc's _sys_errlist@GLIBC_2.12 among its versions). */
  size: bigint;
  index: number;
  /** STT_OBJECT: in a code section, objdump -d dumps the bytes it labels instead of decoding them. */
  object?: boolean;
  /** STT_SECTION: names an address only in its own section (see SymbolIndex.describe). */
  sectionSymbol?: boolean;
  /**
   * Where it sits in its section: 0 inside; 1 in an empty section; 2 at or past the end of its
   * (non-empty) section, as `__TMC_END__` at the end of .data, which loses to `completed.0` at the
   * start of the .bss that follows (see compareSymbols).
   */
  placement?: number;
}

const ET_REL = 1;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_SECTION = 3;
const STT_FILE = 4;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STB_GNU_UNIQUE = 10;
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

/**
 * Which of several symbols at one address objdump shows, measured with crafted tables (every pair of
 * type and binding at one address, executables and .o files): a function beats an object, which beats
 * anything else (NOTYPE, and IFUNC too); then global (and unique) beats weak, which beats local; a section
 * symbol loses to all of them (the remaining ties: see compareSymbols).
 */
function rankOf(sym: ElfSymbol): number {
  const type = symType(sym);
  if (type === STT_SECTION) return 9;
  const bind = symBind(sym);
  const byBind = bind === STB_GLOBAL || bind === STB_GNU_UNIQUE ? 0 : bind === STB_WEAK ? 1 : 2;
  return (type === STT_FUNC ? 0 : type === STT_OBJECT ? 3 : 6) + byBind;
}

/**
 * objdump's order of symbols at one address (the first names the address), measured: one past the end
 * of its section sorts last, then by rankOf, then one in an empty section sorts after, then a name that
 * starts with `.` (`.annobin_*`), then the largest size, then names by strcmp, the table index.
 */
function compareSymbols(a: DisasmSymbol, b: DisasmSymbol): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  if (a.rank !== b.rank) return a.rank - b.rank;
  const pastEndA = a.placement === PAST_END;
  if (pastEndA !== (b.placement === PAST_END)) return pastEndA ? 1 : -1;
  if ((a.placement ?? 0) !== (b.placement ?? 0)) return (a.placement ?? 0) - (b.placement ?? 0);
  const dotA = a.base.startsWith(".");
  if (dotA !== b.base.startsWith(".")) return dotA ? 1 : -1;
  if (a.size !== b.size) return a.size > b.size ? -1 : 1;
  if (a.base !== b.base) return a.base < b.base ? -1 : 1;
  return a.index - b.index;
}

/** The largest address a number holds exactly. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

const IN_EMPTY_SECTION = 1;
const PAST_END = 2;

export interface SymbolIndexOptions {
  /** The dynamic relocations' symbols, by the address relocated. */
  slots?: Map<bigint, SlotName>;
  /** Section index -> [start, end) of its addresses. */
  sectionRanges?: Map<number, [bigint, bigint]>;
  /**
   * The file has relocations against its symbol table (a .o, or a program linked with --emit-relocs):
   * then an address inside the section being listed is named only by that section's symbols.
   */
  sectionLocal?: boolean;
  /** Section index -> name, for an address of a sectionLocal file's section that has no symbol. */
  sectionNames?: Map<number, string>;
}

export class SymbolIndex {
  readonly sorted: DisasmSymbol[];
  /** The dynamic relocations' symbols, by the address relocated. */
  readonly slots: Map<bigint, SlotName>;

  private readonly sectionRanges: Map<number, [bigint, bigint]>;
  private readonly sectionLocal: boolean;
  private readonly sectionNames: Map<number, string>;
  /** Each section's symbols in sorted order, made on first use (sectionLocal files). */
  private readonly bySection = new Map<number, DisasmSymbol[]>();
  /**
   * Each list's addresses as numbers, when they are all below 2^53 (every file but a kernel's): the
   * binary search behind every `<sym+off>` then compares numbers, not bigints.
   */
  private readonly addresses = new Map<DisasmSymbol[], Float64Array | null>();

  constructor(symbols: DisasmSymbol[], options: SymbolIndexOptions = {}) {
    this.sorted = symbols.sort(compareSymbols);
    this.slots = options.slots ?? new Map();
    this.sectionRanges = options.sectionRanges ?? new Map();
    this.sectionLocal = options.sectionLocal ?? false;
    this.sectionNames = options.sectionNames ?? new Map();
  }

  /** A section listed at another size than its header's (a compressed one, decompressed). */
  resizeSection(section: number, start: bigint, end: bigint): void {
    if (this.sectionRanges.has(section)) this.sectionRanges.set(section, [start, end]);
  }

  /** Index of the first symbol with address > `address`. */
  private upperBound(address: bigint, list: DisasmSymbol[]): number {
    let numbers = this.addresses.get(list);
    if (numbers === undefined) {
      const safe = list.every((s) => s.address <= MAX_EXACT);
      numbers = safe ? Float64Array.from(list, (s) => Number(s.address)) : null;
      this.addresses.set(list, numbers);
    }
    let lo = 0;
    let hi = list.length;
    if (numbers !== null && address <= MAX_EXACT) {
      const at = Number(address);
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((numbers[mid] as number) <= at) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as DisasmSymbol).address <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The symbol objdump names `address` by, from `list`: the nearest at or before it, else the first
   * after it. A section symbol counts only in the section being listed. Among the symbols at the
   * address found, one of the listed section is preferred (crti.o's `_init` over `_fini`, both at 0).
   */
  private nearest(address: bigint, section: number, list: DisasmSymbol[]): DisasmSymbol | undefined {
    const usable = (s: DisasmSymbol) => !s.sectionSymbol || s.section === section;
    let i = this.upperBound(address, list) - 1;
    while (i >= 0 && !usable(list[i] as DisasmSymbol)) i--;
    if (i < 0) {
      i = this.upperBound(address, list);
      while (i < list.length && !usable(list[i] as DisasmSymbol)) i++;
      if (i === list.length) return undefined;
      // The first after: the preferred one at its address.
      const at = (list[i] as DisasmSymbol).address;
      for (let k = i; k < list.length && (list[k] as DisasmSymbol).address === at; k++)
        if ((list[k] as DisasmSymbol).section === section && usable(list[k] as DisasmSymbol))
          return list[k] as DisasmSymbol;
      return list[i] as DisasmSymbol;
    }
    const at = (list[i] as DisasmSymbol).address;
    let first = i;
    for (let k = i; k >= 0 && (list[k] as DisasmSymbol).address === at; k--) {
      const s = list[k] as DisasmSymbol;
      if (!usable(s)) continue;
      first = k;
      if (s.section === section) i = k;
    }
    const chosen = list[i] as DisasmSymbol;
    return chosen.section === section ? chosen : (list[first] as DisasmSymbol);
  }

  private sectionSymbols(section: number): DisasmSymbol[] {
    let list = this.bySection.get(section);
    if (!list) {
      list = this.sorted.filter((s) => s.section === section);
      this.bySection.set(section, list);
    }
    return list;
  }

  /**
   * `<sym+0x10>` for an operand address, listing section `section`. Observed: when no symbol sits
   * exactly there and a dynamic relocation does (a GOT slot), objdump names the relocation's symbol
   * instead, unless the nearest symbol is in the section being listed or is a synthetic `@plt` one.
   */
  describe(address: bigint, section = -2): string {
    let sym: DisasmSymbol | undefined;
    if (this.sectionLocal) {
      const r = this.sectionRanges.get(section);
      if (r && address >= r[0] && address < r[1]) {
        sym = this.nearest(address, section, this.sectionSymbols(section));
        // No symbol in the section: the section's own name (objdump's section symbol).
        const name = this.sectionNames.get(section);
        if (!sym && name !== undefined) return ` <${withOffset(name, address - r[0])}>`;
      }
    }
    sym ??= this.nearest(address, section, this.sorted);
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

/**
 * Whether objdump names addresses in a section by that section's symbols only: the file has
 * relocations that apply to its sections through the symbol table (not the dynamic ones).
 */
export function hasSectionRelocations(file: ElfFile): boolean {
  const symtab = file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB);
  if (!symtab) return false;
  return file.sectionHeaders.some(
    (s) =>
      (s.sh_type === SHT_RELA || s.sh_type === SHT_REL) &&
      s.sh_link === symtab.index &&
      s.sh_info !== 0 &&
      s.sh_size > 0n,
  );
}

/**
 * The symbols of the file as objdump -d sees them. `isMapping` names the machine's mapping symbols
 * (`$a`, `$d`, `$x` ...): they never name an address, and a section holding only them is named by its
 * section symbol (ARM's `.plt+0x10`, where `$d` marks the literal).
 */
export function disasmSymbols(
  file: ElfFile,
  demangle?: (name: string) => string,
  isMapping?: (name: string) => boolean,
): DisasmSymbol[] {
  const sections = file.sectionHeaders;
  const symtab = sections.find((s) => s.sh_type === SHT_SYMTAB && s.sh_size > 0n);
  const dynsym = sections.find((s) => s.sh_type === SHT_DYNSYM);
  const out: DisasmSymbol[] = [];
  const dem = demangle ?? ((n: string) => n);
  const table = symtab ?? dynsym;
  if (table) {
    const versions = table === dynsym ? symbolVersions(file, table) : [];
    const relocatable = file.header.e_type === ET_REL;
    for (const sym of file.symbols(table)) {
      if (sym.index === 0) continue;
      const type = symType(sym);
      // Observed: a relocatable file's section symbols name nothing (its addresses fall back to the
      // section's name); a linked file's do (`<.plt>`).
      if (type === STT_FILE || (type === STT_SECTION && relocatable)) continue;
      if (sym.shndx === SHN_UNDEF || sym.shndx === SHN_COMMON) continue;
      if (sym.shndx >= SHN_LORESERVE && sym.shndx !== SHN_ABS) continue;
      const sh = sections[sym.shndx];
      // A section symbol is named after its section.
      const raw = type === STT_SECTION ? sh && file.sectionName(sh) : sym.name;
      if (raw === undefined) continue;
      if (type !== STT_SECTION && isMapping?.(raw)) continue;
      const base = type === STT_SECTION ? raw : dem(raw);
      const name = base + versionSuffix(versions[sym.index], true);
      const entry: DisasmSymbol = {
        address: sym.st_value,
        name,
        section: sym.shndx,
        rank: rankOf(sym),
        base,
        size: sym.st_size,
        index: sym.index,
      };
      if (type === STT_OBJECT) entry.object = true;
      if (type === STT_SECTION) entry.sectionSymbol = true;
      if (sh && sym.shndx !== SHN_ABS) {
        if (sh.sh_size === 0n) entry.placement = IN_EMPTY_SECTION;
        else if (sym.st_value >= sh.sh_addr + sh.sh_size) entry.placement = PAST_END;
      }
      out.push(entry);
    }
  }
  // Observed: a section symbol names nothing in a section that has other symbols of the table
  // (`<inbet-0x1>`, not `<.bet>`); it does where the only others are synthetic (`<.plt>`).
  const named = new Set(out.filter((s) => !s.sectionSymbol).map((s) => s.section));
  const kept = out.filter((s) => !s.sectionSymbol || !named.has(s.section));
  if (dynsym) kept.push(...pltSymbols(file, dynsym, dem));
  return kept;
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
