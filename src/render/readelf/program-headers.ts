import {
  type ElfFile,
  PF_R,
  PF_W,
  PF_X,
  PN_XNUM,
  type ProgramHeader,
  PT_DYNAMIC,
  PT_GNU_EH_FRAME,
  PT_GNU_RELRO,
  PT_GNU_SFRAME,
  PT_GNU_STACK,
  PT_INTERP,
  PT_LOAD,
  PT_NOTE,
  PT_PHDR,
  PT_TLS,
  type SectionHeader,
  SHF_ALLOC,
  SHF_TLS,
  SHT_NOBITS,
} from "../../elf/index.js";
import { parseProgramHeader } from "../../elf/segment.js";
import type { ReadelfContext } from "./context.js";
import { isPie } from "./file-header.js";
import { EM, fileTypeName, segmentTypeName } from "./names.js";
import {
  printableSectionName,
  type ReadelfSections,
  rawSectionName,
  readelfSections,
} from "./section-headers.js";

const U64 = (1n << 64n) - 1n;
/** Elf_Internal_* fields are 64-bit unsigned in readelf, so differences wrap as they do in C. */
const sub = (a: bigint, b: bigint) => (a - b) & U64;

const PT_GNU_MBIND_LO = 0x6474e555;
const PT_GNU_MBIND_HI = PT_GNU_MBIND_LO + 4095;

/** ELF_TBSS_SPECIAL (include/elf/internal.h): a .tbss outside PT_TLS takes no room. */
function tbssSpecial(s: SectionHeader, p: ProgramHeader): boolean {
  return (s.sh_flags & SHF_TLS) !== 0n && s.sh_type === SHT_NOBITS && p.p_type !== PT_TLS;
}

/** ELF_SECTION_IN_SEGMENT_STRICT (include/elf/internal.h), VMAs checked. */
export function sectionInSegmentStrict(s: SectionHeader, p: ProgramHeader): boolean {
  const tls = (s.sh_flags & SHF_TLS) !== 0n;
  const alloc = (s.sh_flags & SHF_ALLOC) !== 0n;
  const pt = p.p_type;
  // Only PT_LOAD, PT_GNU_RELRO and PT_TLS hold TLS sections; PT_TLS only those; PT_PHDR none.
  if (tls ? !(pt === PT_TLS || pt === PT_GNU_RELRO || pt === PT_LOAD) : pt === PT_TLS || pt === PT_PHDR)
    return false;
  // Loadable segments hold only SHF_ALLOC sections.
  if (
    !alloc &&
    (pt === PT_LOAD ||
      pt === PT_DYNAMIC ||
      pt === PT_GNU_EH_FRAME ||
      pt === PT_GNU_STACK ||
      pt === PT_GNU_RELRO ||
      pt === PT_GNU_SFRAME ||
      (pt >= PT_GNU_MBIND_LO && pt <= PT_GNU_MBIND_HI))
  )
    return false;
  const size = tbssSpecial(s, p) ? 0n : s.sh_size;
  if (s.sh_type !== SHT_NOBITS) {
    if (s.sh_offset < p.p_offset) return false;
    const rel = sub(s.sh_offset, p.p_offset);
    if (rel > sub(p.p_filesz, 1n)) return false;
    if (((rel + size) & U64) > p.p_filesz) return false;
  }
  if (alloc) {
    if (s.sh_addr < p.p_vaddr) return false;
    const rel = sub(s.sh_addr, p.p_vaddr);
    if (rel > sub(p.p_memsz, 1n)) return false;
    if (((rel + size) & U64) > p.p_memsz) return false;
  }
  // No empty sections at the very start or end of PT_DYNAMIC and PT_NOTE.
  if ((pt === PT_DYNAMIC || pt === PT_NOTE) && s.sh_size === 0n && p.p_memsz !== 0n) {
    const inFile =
      s.sh_type === SHT_NOBITS || (s.sh_offset > p.p_offset && sub(s.sh_offset, p.p_offset) < p.p_filesz);
    const inMemory = !alloc || (s.sh_addr > p.p_vaddr && sub(s.sh_addr, p.p_vaddr) < p.p_memsz);
    if (!(inFile && inMemory)) return false;
  }
  return true;
}

/** e_phnum once process_file_header has applied extended numbering (section 0's sh_info). */
function resolvedPhnum(file: ElfFile): number {
  const h = file.header;
  if (h.e_phnum !== PN_XNUM || h.e_shoff === 0n) return h.e_phnum;
  const min = file.is64 ? 64 : 40;
  if (h.e_shentsize < min) return h.e_phnum;
  try {
    const info = file.reader(h.e_shoff, min, "section header 0").u32(file.is64 ? 44 : 28);
    return info !== 0 ? info : h.e_phnum;
  } catch {
    return h.e_phnum;
  }
}

const hex = (v: bigint, width: number) => v.toString(16).padStart(width, "0");

function flagLetters(f: number): string {
  return (f & PF_R ? "R" : " ") + (f & PF_W ? "W" : " ") + (f & PF_X ? "E" : " ");
}

/** `readelf -l`: process_program_headers in binutils/readelf.c. */
export function printProgramHeaders(ctx: ReadelfContext): void {
  processProgramHeaders(ctx, true);
}

/**
 * readelf runs process_program_headers for every object, -l or not, and its errors (a PHDR segment not
 * covered by a LOAD, no .dynamic section for PT_DYNAMIC, ...) reach stderr either way. The CLI calls this
 * in the -l view's place when -l is not given, so stderr matches too.
 */
export function checkProgramHeaders(ctx: ReadelfContext): void {
  processProgramHeaders(ctx, false);
}

function processProgramHeaders(ctx: ReadelfContext, show: boolean): void {
  const { file, opts } = ctx;
  const h = file.header;
  const phnum = resolvedPhnum(file);
  const secs = readelfSections(ctx);
  if (phnum === 0) {
    if (h.e_phoff !== 0n)
      ctx.warn(
        "possibly corrupt ELF header - it has a non-zero program header offset, but no program headers",
      );
    else if (show) ctx.out.write("\nThere are no program headers in this file.\n");
    return;
  }
  const out: string[] = [];
  if (show && !opts.fileHeader) {
    const pie = h.e_type === 3 && isPie(file, secs.headers !== undefined && secs.names !== undefined);
    out.push(`\nElf file type is ${fileTypeName(h.e_type, pie)}\n`);
    out.push(`Entry point 0x${h.e_entry.toString(16)}\n`);
    out.push(
      `There ${phnum === 1 ? "is" : "are"} ${phnum} program header${phnum === 1 ? "" : "s"}, starting at offset ${h.e_phoff}\n`,
    );
  }
  const phdrs = readProgramHeaders(ctx, phnum);
  if (!phdrs) {
    if (show) ctx.out.write(out.join(""));
    return;
  }
  const is64 = file.is64;
  const wide = opts.wide;
  out.push("\nProgram Headers:\n");
  if (!is64) out.push("  Type           Offset   VirtAddr   PhysAddr   FileSiz MemSiz  Flg Align\n");
  else if (wide)
    out.push("  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align\n");
  else
    out.push(
      "  Type           Offset             VirtAddr           PhysAddr\n                 FileSiz            MemSiz              Flags  Align\n",
    );

  const machine = h.e_machine;
  const osabi = h.ei_osabi;
  const fileSize = BigInt(file.size);
  let previousLoad = false;
  let dynamicAddr = 0n;
  for (let i = 0; i < phnum; i++) {
    const p = phdrs[i]!;
    let line = `  ${segmentTypeName(p.p_type, machine, osabi).slice(0, 14).padEnd(14)} `;
    const flags = flagLetters(p.p_flags);
    if (!is64) {
      line += `0x${hex(p.p_offset, 6)} 0x${hex(p.p_vaddr, 8)} 0x${hex(p.p_paddr, 8)} 0x${hex(p.p_filesz, 5)} 0x${hex(p.p_memsz, 5)} ${flags} ${p.p_align === 0n ? "0" : `0x${p.p_align.toString(16)}`}`;
    } else if (wide) {
      line += `0x${hex(p.p_offset, 6)} 0x${hex(p.p_vaddr, 16)} 0x${hex(p.p_paddr, 16)} 0x${hex(p.p_filesz, 6)} 0x${hex(p.p_memsz, 6)} ${flags} ${p.p_align === 0n ? "0" : `0x${p.p_align.toString(16)}`}`;
    } else {
      line += `0x${hex(p.p_offset, 16)} 0x${hex(p.p_vaddr, 16)} 0x${hex(p.p_paddr, 16)}\n                 `;
      line += `0x${hex(p.p_filesz, 16)} 0x${hex(p.p_memsz, 16)}  ${flags}    0x${p.p_align.toString(16)}`;
    }
    out.push(`${line}\n`);

    switch (p.p_type) {
      case PT_LOAD:
        if (p.p_memsz < p.p_filesz) ctx.error("the segment's file size is larger than its memory size");
        previousLoad = true;
        break;
      case PT_PHDR: {
        if (i > 0 && previousLoad) ctx.error("the PHDR segment must occur before any LOAD segment");
        if (machine !== EM.PARISC) {
          let covered = false;
          for (let j = 1; j < phnum; j++) {
            const l = phdrs[j]!;
            if (
              l.p_type === PT_LOAD &&
              l.p_offset <= p.p_offset &&
              l.p_offset + l.p_filesz >= p.p_offset + p.p_filesz &&
              l.p_vaddr <= p.p_vaddr &&
              l.p_vaddr + l.p_filesz >= p.p_vaddr + p.p_filesz
            ) {
              covered = true;
              break;
            }
          }
          if (!covered) ctx.error("the PHDR segment is not covered by a LOAD segment");
        }
        break;
      }
      case PT_DYNAMIC: {
        if (dynamicAddr !== 0n) ctx.error("more than one dynamic segment");
        dynamicAddr = p.p_offset;
        let size = p.p_filesz;
        if (secs.headers) {
          const sec = findSection(secs, ".dynamic");
          if (!sec || sec.sh_size === 0n) {
            if (!(machine === EM.IA_64 && osabi === 13))
              ctx.error("no .dynamic section in the dynamic segment");
            break;
          }
          if (sec.sh_type === SHT_NOBITS) {
            dynamicAddr = 0n;
            break;
          }
          dynamicAddr = sec.sh_offset;
          size = sec.sh_size;
        }
        if (dynamicAddr > fileSize || size > fileSize - dynamicAddr) {
          ctx.error("the dynamic segment offset + size exceeds the size of the file");
          dynamicAddr = 0n;
        }
        break;
      }
      case PT_INTERP:
        if (p.p_offset >= fileSize || p.p_filesz > fileSize - p.p_offset || p.p_filesz === 0n) {
          ctx.error("Unable to find program interpreter name");
        } else {
          const bytes = file.read(p.p_offset, p.p_filesz, "program interpreter");
          let end = bytes.indexOf(0);
          if (end < 0) end = bytes.length;
          let name = "";
          for (let k = 0; k < end; k++) name += String.fromCharCode(bytes[k]!);
          out.push(`      [Requesting program interpreter: ${name}]\n`);
        }
        break;
    }
  }

  if (show && secs.headers && secs.names) {
    out.push("\n Section to Segment mapping:\n  Segment Sections...\n");
    const headers = secs.headers;
    for (let i = 0; i < phnum; i++) {
      const p = phdrs[i]!;
      let line = `   ${String(i).padStart(2, "0")}     `;
      for (let j = 1; j < secs.shnum; j++) {
        const s = headers[j]!;
        if (!tbssSpecial(s, p) && sectionInSegmentStrict(s, p)) line += `${printableSectionName(secs, s)} `;
      }
      out.push(`${line}\n`);
    }
  }
  if (show) ctx.out.write(out.join(""));
}

/** find_section: the first section whose (valid) name is NAME. */
function findSection(secs: ReadelfSections, name: string): SectionHeader | undefined {
  if (!secs.headers || !secs.names) return undefined;
  const limit = secs.names.length;
  return secs.headers.find((s) => s.sh_name < limit && rawSectionName(secs, s) === name);
}

/**
 * get_program_headers' checks, with its messages: whether the table of `phnum` entries can be read.
 * The oversized-e_phentsize warning comes from the read that goes on (`warnOversized`).
 */
export function programHeadersReadable(ctx: ReadelfContext, phnum: number, warnOversized: boolean): boolean {
  const { file } = ctx;
  const h = file.header;
  const entsize = file.is64 ? 56 : 32;
  if (phnum * entsize >= file.size) {
    ctx.error(`Too many program headers - 0x${phnum.toString(16)} - the file is not that big`);
    return false;
  }
  if (h.e_phentsize === 0) return false;
  if (h.e_phentsize < entsize) {
    ctx.error("The e_phentsize field in the ELF header is less than the size of an ELF program header");
    return false;
  }
  if (warnOversized && h.e_phentsize > entsize)
    ctx.warn("The e_phentsize field in the ELF header is larger than the size of an ELF program header");
  const amount = BigInt(phnum) * BigInt(h.e_phentsize);
  if (h.e_phoff > BigInt(file.size) || amount > BigInt(file.size) - h.e_phoff) {
    ctx.error(`Reading ${amount} bytes extends past end of file for program headers`);
    return false;
  }
  return true;
}

/** get_program_headers, with its messages. */
function readProgramHeaders(ctx: ReadelfContext, phnum: number): ProgramHeader[] | undefined {
  if (!programHeadersReadable(ctx, phnum, true)) return undefined;
  const { file } = ctx;
  const h = file.header;
  const entsize = file.is64 ? 56 : 32;
  const amount = BigInt(phnum) * BigInt(h.e_phentsize);
  // Stepped through at the struct's size, not e_phentsize, as get_32bit_program_headers does.
  const r = file.reader(h.e_phoff, amount, "program headers");
  const out: ProgramHeader[] = new Array(phnum);
  for (let i = 0; i < phnum; i++) out[i] = parseProgramHeader(r, i * entsize, file.is64, i);
  return out;
}
