import {
  type ElfFile,
  type ElfSymbol,
  SHF_ALLOC,
  SHN_UNDEF,
  SHT_DYNSYM,
  SHT_SYMTAB,
  STT_FILE,
  STT_SECTION,
  symType,
} from "../elf/index.js";

/** Where a virtual address of an ELF file falls: its section and the symbol that covers it. */
export interface FileLocation {
  vaddr: bigint;
  section: string | undefined;
  symbol: string | undefined;
  /** vaddr - symbol value. */
  symbolOffset: bigint | undefined;
  /** Whether the symbol's size covers the address (false: only the nearest one before it). */
  exact: boolean;
}

const sorted = new WeakMap<ElfFile, ElfSymbol[]>();

/** Defined, addressable symbols of .symtab (else .dynsym), sorted by address, sized ones first on ties. */
function addressSymbols(file: ElfFile): ElfSymbol[] {
  const cached = sorted.get(file);
  if (cached) return cached;
  let headers: ReturnType<ElfFile["sectionsOfType"]> = [];
  try {
    headers = file.sectionsOfType(SHT_SYMTAB);
    if (headers.length === 0) headers = file.sectionsOfType(SHT_DYNSYM);
  } catch {
    headers = [];
  }
  const out: ElfSymbol[] = [];
  for (const sh of headers) {
    let syms: ElfSymbol[];
    try {
      syms = file.symbols(sh);
    } catch {
      continue;
    }
    for (const s of syms) {
      const t = symType(s);
      if (s.shndx === SHN_UNDEF || t === STT_SECTION || t === STT_FILE || !s.name) continue;
      out.push(s);
    }
  }
  out.sort((a, b) =>
    a.st_value < b.st_value
      ? -1
      : a.st_value > b.st_value
        ? 1
        : Number(b.st_size > 0n) - Number(a.st_size > 0n),
  );
  sorted.set(file, out);
  return out;
}

export function locateInFile(file: ElfFile, vaddr: bigint): FileLocation {
  let section: string | undefined;
  let sectionStart = 0n;
  try {
    for (const sh of file.sectionHeaders) {
      if ((sh.sh_flags & SHF_ALLOC) === 0n || sh.sh_size === 0n) continue;
      if (vaddr >= sh.sh_addr && vaddr < sh.sh_addr + sh.sh_size) {
        section = file.sectionName(sh) ?? `[${sh.index}]`;
        sectionStart = sh.sh_addr;
        break;
      }
    }
  } catch {
    section = undefined;
  }
  const syms = addressSymbols(file);
  // Binary search: the last symbol at or below vaddr.
  let lo = 0;
  let hi = syms.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (syms[mid]!.st_value <= vaddr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Prefer a symbol whose size covers the address, looking back past smaller neighbours.
  for (let i = best; i >= 0 && i > best - 64; i--) {
    const s = syms[i]!;
    if (s.st_size > 0n && vaddr < s.st_value + s.st_size) {
      return { vaddr, section, symbol: s.name, symbolOffset: vaddr - s.st_value, exact: true };
    }
  }
  const near = best >= 0 ? syms[best]! : undefined;
  if (near && near.st_value >= sectionStart && section !== undefined) {
    return { vaddr, section, symbol: near.name, symbolOffset: vaddr - near.st_value, exact: false };
  }
  return { vaddr, section, symbol: undefined, symbolOffset: undefined, exact: false };
}
