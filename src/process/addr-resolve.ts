/**
 * Turning an address someone saw (in a crash log, a debugger, /proc/PID/maps) into a virtual address of
 * the ELF file it belongs to: which load bias applies, and which PT_LOAD segment's memory image holds it.
 * The memory image runs to p_memsz, so .bss (past p_filesz, no file bytes) is found like anything else.
 */
import {
  ElfError,
  ElfErrorCode,
  type ElfFile,
  EM_386,
  EM_AARCH64,
  EM_X86_64,
  ET_DYN,
  isElfError,
  type ProgramHeader,
  PT_INTERP,
  SHT_DYNSYM,
  SHT_SYMTAB,
} from "../elf/index.js";
import { elfEtDynBase } from "./aslr.js";
import { loadSegments } from "./exec-layout.js";
import type { MapsEntry } from "./proc-maps.js";

const PAGE = 4096n;
const pageDown = (v: bigint): bigint => v & ~(PAGE - 1n);

/** The PT_LOAD whose memory image [p_vaddr, p_vaddr + p_memsz) holds `vaddr`. */
export function segmentAt(loads: ProgramHeader[], vaddr: bigint): ProgramHeader | undefined {
  return loads.find((ph) => vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz);
}

/** Whether `vaddr` lies past p_filesz of its segment: zero-filled memory with no bytes in the file. */
export function isZeroFill(ph: ProgramHeader, vaddr: bigint): boolean {
  return vaddr >= ph.p_vaddr + ph.p_filesz;
}

export interface DefaultBias {
  bias: bigint;
  /** Why this bias, for the one line that says which interpretation was used. */
  why: string;
}

/**
 * The load bias the kernel gives a PIE with ASLR off (load_elf_binary in fs/binfmt_elf.c: an ET_DYN
 * with PT_INTERP goes to ELF_ET_DYN_BASE, masked down to the largest PT_LOAD p_align, minus the first
 * p_vaddr, page aligned). ELF_ET_DYN_BASE: x86-64 DEFAULT_MAP_WINDOW / 3 * 2 (0x555555554000); an i386
 * task on an x86-64 kernel COMPAT_ELF_ET_DYN_BASE = TASK_UNMAPPED_BASE + 16 MiB (0x56555000); aarch64
 * 2 * DEFAULT_MAP_WINDOW_64 / 3 with the distributions' 48-bit VA (0xaaaaaaaaa000, 0xaaaaaaaa0000 with
 * the usual 64 KiB p_align; a 39-bit VA kernel would give 0x5555555000). Undefined for anything else: a shared library or static PIE goes where mmap puts it.
 */
export function aslrOffLoadBias(file: ElfFile): DefaultBias | undefined {
  if (file.header.e_type !== ET_DYN || file.segmentsOfType(PT_INTERP).length === 0) return undefined;
  let base: bigint;
  let arch: string;
  switch (file.header.e_machine) {
    case EM_X86_64:
      base = elfEtDynBase(true, 0x7ffffffff000n);
      arch = "";
      break;
    case EM_386:
      base = elfEtDynBase(false, 0xffffe000n);
      arch = ", an i386 task on an x86-64 kernel";
      break;
    case EM_AARCH64:
      base = (2n * (1n << 48n)) / 3n;
      arch = ", aarch64 with 48-bit VA";
      break;
    default:
      return undefined;
  }
  const loads = loadSegments(file);
  let align = 0n;
  for (const ph of loads) {
    const a = ph.p_align;
    if (a > 0n && (a & (a - 1n)) === 0n && a > align) align = a;
  }
  if (align > PAGE) base &= ~(align - 1n);
  const bias = pageDown(base - (loads[0]?.p_vaddr ?? 0n));
  return { bias, why: `the kernel's ASLR-off base for a PIE${arch}; --base to change` };
}

/**
 * ld.so's l_addr for the object mapped at maps[index]: where its first PT_LOAD's page landed, minus that
 * page's p_vaddr. The first segment's mapping is the nearest one at or below with the same path and its
 * file offset; undefined when that mapping is not there.
 */
export function mappedLoadBias(maps: MapsEntry[], index: number, file: ElfFile): bigint | undefined {
  const first = loadSegments(file)[0];
  const path = maps[index]?.path;
  if (first === undefined || path === undefined) return undefined;
  for (let i = index; i >= 0; i--) {
    const m = maps[i]!;
    if (m.path === path && m.offset === pageDown(first.p_offset)) return m.start - pageDown(first.p_vaddr);
  }
  return undefined;
}

/**
 * The tables an address lookup reads, read once here so a broken one is reported (locateInFile quietly
 * does without it): the section headers and their names, the symbol tables, and the file bytes of the
 * PT_LOAD segments (a truncated file has segments that run past its end).
 */
export function lookupProblems(file: ElfFile): ElfError[] {
  const problems: ElfError[] = [];
  const attempt = (read: () => void): boolean => {
    try {
      read();
      return true;
    } catch (e) {
      if (!isElfError(e)) throw e;
      problems.push(e);
      return false;
    }
  };
  const size = BigInt(file.size);
  attempt(() => {
    for (const ph of loadSegments(file)) {
      if (ph.p_filesz > 0n && ph.p_offset + ph.p_filesz > size) {
        throw new ElfError(
          ElfErrorCode.Truncated,
          `program header ${ph.index} (PT_LOAD)`,
          ph.p_offset,
          `its ${ph.p_filesz} bytes run past the end of the file (${size} bytes): the file is truncated`,
        );
      }
    }
  });
  const sections = attempt(() => {
    for (const sh of file.sectionHeaders) file.sectionName(sh);
  });
  // Without the section headers there are no symbol tables to find (the same error again).
  if (sections)
    attempt(() => {
      let tables = file.sectionsOfType(SHT_SYMTAB);
      if (tables.length === 0) tables = file.sectionsOfType(SHT_DYNSYM);
      for (const sh of tables) file.symbols(sh);
    });
  return problems;
}
