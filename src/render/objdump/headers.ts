// objdump -f (file header), -h (section headers) and -p (private headers: program headers, the dynamic
// section, version definitions and references), in GNU objdump 2.40's layout.
import {
  type ElfFile,
  EM_MIPS,
  PF_R,
  PF_W,
  PF_X,
  parseVerdefs,
  parseVerneeds,
  SHT_DYNAMIC,
  SHT_GNU_verdef,
  SHT_GNU_verneed,
  type StringTable,
} from "../../elf/index.js";
import type { Output } from "../output.js";
import { MIPS_DYNAMIC_TAG_NAMES } from "../readelf/dynamic.js";
import { architectureName, bfdSections, fileFlags, hexAddr, log2Ceil } from "./bfd-view.js";
import { privateFlagsText } from "./private-flags.js";

const hex = (v: bigint | number, width: number): string => BigInt(v).toString(16).padStart(width, "0");

export function printFileHeader(file: ElfFile, out: Output): void {
  const { value, names } = fileFlags(file);
  out.write(`architecture: ${architectureName(file)}, flags 0x${hex(value, 8)}:\n`);
  out.write(`${names.join(", ")}\nstart address 0x${hexAddr(file, file.header.e_entry)}\n`);
}

/** `only`: the -j names (empty: every section). */
export function printSectionHeaders(file: ElfFile, wide: boolean, only: string[], out: Output): void {
  const sections = bfdSections(file).filter((s) => only.length === 0 || only.includes(s.name));
  const aw = file.is64 ? 16 : 8;
  let nameWidth = 13;
  if (wide) for (const s of sections) nameWidth = Math.max(nameWidth, s.headerName.length);
  const lines = [
    `Sections:\nIdx ${"Name".padEnd(nameWidth)} Size      ${"VMA".padEnd(aw)}  ${"LMA".padEnd(aw)}  File off  Algn${wide ? "  Flags" : ""}\n`,
  ];
  for (const s of sections) {
    const head = `${String(s.idx).padStart(3)} ${s.headerName.padEnd(nameWidth)} ${hex(s.size, 8)}  ${hexAddr(file, s.vma)}  ${hexAddr(file, s.lma)}  ${hex(s.sh.sh_offset, 8)}  2**${s.alignPower}`;
    if (wide) lines.push(`${head}  ${s.flags.join(", ")}\n`);
    else lines.push(`${head}\n                  ${s.flags.join(", ")}\n`);
  }
  out.write(lines.join(""));
}

const PT_NAMES: Record<number, string> = {
  0: "NULL",
  1: "LOAD",
  2: "DYNAMIC",
  3: "INTERP",
  4: "NOTE",
  5: "SHLIB",
  6: "PHDR",
  7: "TLS",
  1685382480: "EH_FRAME",
  1685382481: "STACK",
  1685382482: "RELRO",
};

export function printProgramHeaders(file: ElfFile, out: Output): void {
  const phdrs = file.programHeaders;
  if (phdrs.length === 0) return;
  const lines = ["Program Header:\n"];
  for (const p of phdrs) {
    const type = PT_NAMES[p.p_type] ?? `0x${(p.p_type >>> 0).toString(16)}`;
    const f = p.p_flags;
    const rest = f & ~(PF_R | PF_W | PF_X);
    const flags = `${f & PF_R ? "r" : "-"}${f & PF_W ? "w" : "-"}${f & PF_X ? "x" : "-"}${rest ? ` ${(rest >>> 0).toString(16)}` : ""}`;
    lines.push(
      `${type.padStart(8)} off    0x${hexAddr(file, p.p_offset)} vaddr 0x${hexAddr(file, p.p_vaddr)} paddr 0x${hexAddr(file, p.p_paddr)} align 2**${log2Ceil(p.p_align)}\n`,
      `         filesz 0x${hexAddr(file, p.p_filesz)} memsz 0x${hexAddr(file, p.p_memsz)} flags ${flags}\n`,
    );
  }
  out.write(lines.join(""));
}

const DT_NAMES: Record<string, string> = {
  1: "NEEDED",
  2: "PLTRELSZ",
  3: "PLTGOT",
  4: "HASH",
  5: "STRTAB",
  6: "SYMTAB",
  7: "RELA",
  8: "RELASZ",
  9: "RELAENT",
  10: "STRSZ",
  11: "SYMENT",
  12: "INIT",
  13: "FINI",
  14: "SONAME",
  15: "RPATH",
  16: "SYMBOLIC",
  17: "REL",
  18: "RELSZ",
  19: "RELENT",
  20: "PLTREL",
  21: "DEBUG",
  22: "TEXTREL",
  23: "JMPREL",
  24: "BIND_NOW",
  25: "INIT_ARRAY",
  26: "FINI_ARRAY",
  27: "INIT_ARRAYSZ",
  28: "FINI_ARRAYSZ",
  29: "RUNPATH",
  30: "FLAGS",
  32: "PREINIT_ARRAY",
  33: "PREINIT_ARRAYSZ",
  34: "SYMTAB_SHNDX",
  35: "RELRSZ",
  36: "RELR",
  37: "RELRENT",
  1879047669: "GNU_PRELINKED",
  1879047670: "GNU_CONFLICTSZ",
  1879047671: "GNU_LIBLISTSZ",
  1879047672: "CHECKSUM",
  1879047673: "PLTPADSZ",
  1879047674: "MOVEENT",
  1879047675: "MOVESZ",
  1879047676: "FEATURE",
  1879047677: "POSFLAG_1",
  1879047678: "SYMINSZ",
  1879047679: "SYMINENT",
  1879047925: "GNU_HASH",
  1879047928: "GNU_CONFLICT",
  1879047929: "GNU_LIBLIST",
  1879047930: "CONFIG",
  1879047931: "DEPAUDIT",
  1879047932: "AUDIT",
  1879047933: "PLTPAD",
  1879047934: "MOVETAB",
  1879047935: "SYMINFO",
  1879048176: "VERSYM",
  1879048185: "RELACOUNT",
  1879048186: "RELCOUNT",
  1879048187: "FLAGS_1",
  1879048188: "VERDEF",
  1879048189: "VERDEFNUM",
  1879048190: "VERNEED",
  1879048191: "VERNEEDNUM",
  2147483645: "AUXILIARY",
  2147483646: "USED",
  2147483647: "FILTER",
};

/**
 * The MIPS target's names for its DT_LOPROC tags: readelf's (MIPS_DYNAMIC_TAG_NAMES), except these
 * (measured: objdump 2.40 over a MIPS PIE with the first dynamic tag patched to each value; all print
 * their value in hex). The other fixture targets (AArch64, ARM, RISC-V, s390) print their processor
 * tags as numbers.
 */
const BFD_MIPS_SPELLING: Record<number, string> = {
  1879048232: "MIPS_PROTECTED_GOT_IDX",
  1879048235: "DT_MIPS_DYNSTR_ALIGN",
  1879048236: "DT_MIPS_INTERFACE_SIZE",
  1879048237: "DT_MIPS_RLD_TEXT_RESOLVE_ADDR",
  1879048238: "DT_MIPS_PERF_SUFFIX",
  1879048239: "DT_MIPS_COMPACT_SIZE",
  1879048240: "DT_MIPS_GP_VALUE",
  1879048241: "DT_MIPS_AUX_DYNAMIC",
  1879048242: "DT_MIPS_PLTGOT",
  1879048244: "DT_MIPS_RWPLT",
  1879048246: "DT_MIPS_XHASH",
};

function mipsTagName(tag: number): string | undefined {
  return BFD_MIPS_SPELLING[tag] ?? MIPS_DYNAMIC_TAG_NAMES[tag];
}

/** Tags whose value is an offset into the dynamic string table. */
const STRING_TAGS = new Set([
  "NEEDED",
  "SONAME",
  "RPATH",
  "RUNPATH",
  "AUXILIARY",
  "FILTER",
  "CONFIG",
  "DEPAUDIT",
  "AUDIT",
  "USED",
]);

export function printDynamicSection(file: ElfFile, out: Output): void {
  const sh = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNAMIC);
  if (!sh) return;
  const data = file.sectionData(sh);
  const r = file.readerOver(data, file.describeSection(sh), Number(sh.sh_offset));
  let strings: StringTable | undefined;
  try {
    strings = sh.sh_link ? file.stringTable(sh.sh_link) : undefined;
  } catch {
    strings = undefined;
  }
  const entsize = file.is64 ? 16 : 8;
  const lines = ["\nDynamic Section:\n"];
  for (let at = 0; at + entsize <= data.length; at += entsize) {
    const tag = r.sword(at, file.is64);
    const val = r.word(at + entsize / 2, file.is64);
    if (tag === 0n) break;
    const key = tag.toString();
    const name =
      (file.header.e_machine === EM_MIPS ? mipsTagName(Number(tag)) : undefined) ??
      DT_NAMES[key] ??
      `0x${BigInt.asUintN(file.is64 ? 64 : 32, tag).toString(16)}`;
    let text: string | undefined;
    if (STRING_TAGS.has(name) && strings) text = strings.get(Number(val));
    lines.push(`  ${name.padEnd(20)} ${text ?? `0x${hexAddr(file, val)}`}\n`);
  }
  out.write(lines.join(""));
}

export function printVersions(file: ElfFile, out: Output): void {
  const verdef = file.sectionHeaders.find((s) => s.sh_type === SHT_GNU_verdef);
  const verneed = file.sectionHeaders.find((s) => s.sh_type === SHT_GNU_verneed);
  const lines: string[] = [];
  if (verdef) {
    lines.push("\nVersion definitions:\n");
    for (const d of parseVerdefs(file, verdef)) {
      lines.push(
        `${d.vd_ndx} 0x${hex(d.vd_flags, 2)} 0x${hex(d.vd_hash >>> 0, 8)} ${d.aux[0]?.name ?? "<corrupt>"}\n`,
      );
      if (d.aux.length > 1)
        lines.push(
          `\t${d.aux
            .slice(1)
            .map((a) => `${a.name ?? "<corrupt>"} `)
            .join("")}\n`,
        );
    }
  }
  if (verneed) {
    lines.push("\nVersion References:\n");
    for (const n of parseVerneeds(file, verneed)) {
      lines.push(`  required from ${n.file ?? "<corrupt>"}:\n`);
      for (const a of n.aux)
        lines.push(
          `    0x${hex(a.vna_hash >>> 0, 8)} 0x${hex(a.vna_flags, 2)} ${String(a.vna_other).padStart(2, "0")} ${a.name ?? "<corrupt>"}\n`,
        );
    }
  }
  out.write(lines.join(""));
}

/** -p: the program headers, dynamic section, version definitions and references, then the target's flags. */
export function printPrivateHeaders(file: ElfFile, out: Output): void {
  const parts: string[] = [];
  const collect = { write: (s: string) => void parts.push(s) };
  printProgramHeaders(file, collect);
  if (parts.length > 0) parts.unshift("\n");
  printDynamicSection(file, collect);
  printVersions(file, collect);
  parts.push(privateFlagsText(file));
  out.write(parts.join(""));
}
