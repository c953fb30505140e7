// objdump -r (RELOCATION RECORDS FOR [section]) and -R (DYNAMIC RELOCATION RECORDS).
import {
  type ElfFile,
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_MIPS,
  EM_RISCV,
  EM_S390,
  EM_X86_64,
  ET_DYN,
  ET_EXEC,
  type Relocation,
  relocTypeName,
  type SectionHeader,
  SHT_REL,
  SHT_RELA,
  sectionRelocations,
} from "../../elf/index.js";
import type { Output } from "../output.js";
import { type BfdSymbol, bfdSections, dynsymIndex, hexAddr } from "./bfd-view.js";

export interface RelocRecord {
  rel: Relocation;
  /** The address objdump prints (section-relative for a linked file's static relocations). */
  address: bigint;
  rela: boolean;
}

/**
 * The type column: BFD's howto name, which for the targets objdump knows is the ELF name (checked
 * against objdump 2.40 on each fixture architecture); the generic ELF targets have none.
 */
const HOWTO_MACHINES = new Set([EM_X86_64, EM_386, EM_AARCH64, EM_ARM, EM_RISCV, EM_S390, EM_MIPS]);

function typeName(file: ElfFile, type: number): string {
  const m = file.header.e_machine;
  if (HOWTO_MACHINES.has(m)) return relocTypeName(m, type) ?? "UNKNOWN";
  return "UNKNOWN";
}

function valueText(
  file: ElfFile,
  r: RelocRecord,
  symbols: BfdSymbol[] | undefined,
  withVersion: boolean,
  demangle: ((n: string) => string) | undefined,
): string {
  let text: string;
  if (r.rel.r_sym === 0) text = "*ABS*";
  else {
    const s = symbols?.[r.rel.r_sym - 1];
    if (!s) text = "*ABS*";
    else {
      text = demangle && s.name !== "" ? demangle(s.name) : s.name;
      if (withVersion && s.version && s.version[0] !== "")
        text += `${s.version[1] || !s.defined ? "@" : "@@"}${s.version[0]}`;
    }
  }
  if (!r.rela || r.rel.r_addend === 0n) return text;
  const a = r.rel.r_addend;
  const mask = file.is64 ? (1n << 64n) - 1n : 0xffffffffn;
  const signed = file.is64 ? BigInt.asIntN(64, a) : BigInt.asIntN(32, a & mask);
  return `${text}${signed < 0n ? "-" : "+"}0x${hexAddr(file, signed < 0n ? -signed : signed)}`;
}

function recordLines(
  file: ElfFile,
  records: RelocRecord[],
  symbols: BfdSymbol[] | undefined,
  withVersion: boolean,
  demangle: ((n: string) => string) | undefined,
): string[] {
  return records.map(
    (r) =>
      `${hexAddr(file, r.address)} ${typeName(file, r.rel.r_type).padEnd(16)}  ${valueText(file, r, symbols, withVersion, demangle)}\n`,
  );
}

function header(file: ElfFile): string {
  return file.is64 ? "OFFSET           TYPE              VALUE\n" : "OFFSET   TYPE              VALUE\n";
}

function records(file: ElfFile, sh: SectionHeader, base: bigint): RelocRecord[] {
  const rela = sh.sh_type === SHT_RELA;
  return sectionRelocations(file, sh).map((rel) => ({ rel, address: rel.r_offset - base, rela }));
}

export function printRelocations(
  file: ElfFile,
  symbols: BfdSymbol[] | undefined,
  only: string[],
  demangle: ((n: string) => string) | undefined,
  out: Output,
): void {
  const linked = file.header.e_type === ET_EXEC || file.header.e_type === ET_DYN;
  for (const s of bfdSections(file)) {
    if (s.relocSections.length === 0 || (only.length > 0 && !only.includes(s.name))) continue;
    const recs = s.relocSections.flatMap((sh) => records(file, sh, linked ? s.vma : 0n));
    if (recs.length === 0) continue;
    out.write(
      [
        `RELOCATION RECORDS FOR [${s.name}]:\n`,
        header(file),
        ...recordLines(file, recs, symbols, false, demangle),
        "\n\n",
      ].join(""),
    );
  }
}

/** The dynamic relocations: every REL/RELA section that uses the dynamic symbol table. */
export function dynamicRelocations(file: ElfFile): RelocRecord[] {
  const dynsym = dynsymIndex(file);
  const out: RelocRecord[] = [];
  for (const s of bfdSections(file)) {
    const sh = s.sh;
    if ((sh.sh_type === SHT_REL || sh.sh_type === SHT_RELA) && sh.sh_link === dynsym)
      out.push(...records(file, sh, 0n));
  }
  return out;
}

export function printDynamicRelocations(
  file: ElfFile,
  dynamicSymbols: BfdSymbol[] | undefined,
  demangle: ((n: string) => string) | undefined,
  out: Output,
): void {
  const recs = dynamicRelocations(file);
  if (recs.length === 0) {
    out.write("DYNAMIC RELOCATION RECORDS (none)\n\n");
    return;
  }
  out.write(
    [
      "DYNAMIC RELOCATION RECORDS\n",
      header(file),
      ...recordLines(file, recs, dynamicSymbols, true, demangle),
      "\n\n",
    ].join(""),
  );
}
