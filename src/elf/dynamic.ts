import {
  DT_FLAGS,
  DT_FLAGS_1,
  DT_NEEDED,
  DT_NULL,
  DT_RPATH,
  DT_RUNPATH,
  DT_SONAME,
  DT_STRSZ,
  DT_STRTAB,
  PT_DYNAMIC,
  SHT_DYNAMIC,
} from "./constants.js";
import { ElfError, ElfErrorCode } from "./errors.js";
import type { ElfFile } from "./file.js";
import type { SectionHeader } from "./section.js";
import { StringTable } from "./strings.js";

/** Elf32_Dyn / Elf64_Dyn. d_tag is signed (Sxword); d_val/d_ptr share the union. */
export interface DynamicEntry {
  d_tag: bigint;
  d_val: bigint;
}

/** Where the dynamic array was found: readelf and ld.so both prefer PT_DYNAMIC. */
export interface DynamicTable {
  entries: DynamicEntry[];
  /** File offset of the array. */
  offset: bigint;
  /** The SHT_DYNAMIC section when section headers exist (its sh_link names .dynstr). */
  sectionIndex: number | undefined;
}

const cache = new WeakMap<ElfFile, DynamicTable | null>();

/**
 * The dynamic array, up to and including the first DT_NULL: from PT_DYNAMIC when there is one (as the
 * dynamic linker reads it), else from the SHT_DYNAMIC section. undefined when the file has neither.
 */
export function dynamicTable(file: ElfFile): DynamicTable | undefined {
  const cached = cache.get(file);
  if (cached !== undefined) return cached ?? undefined;
  const table = readDynamicTable(file);
  cache.set(file, table ?? null);
  return table;
}

/** The SHT_DYNAMIC section, if the section headers can be read and have one. */
function dynamicSection(file: ElfFile): SectionHeader | undefined {
  try {
    return file.sectionsOfType(SHT_DYNAMIC)[0];
  } catch {
    // Broken section headers: the segment alone still describes the dynamic array.
    return undefined;
  }
}

function readDynamicTable(file: ElfFile): DynamicTable | undefined {
  // With PT_DYNAMIC the section headers are needed only for sectionIndex, so they are read when that
  // is asked for: ld.so's view of a library (its DT_NEEDED and DT_RUNPATH) does without them.
  const ph = file.segmentsOfType(PT_DYNAMIC)[0];
  const section = ph ? undefined : dynamicSection(file);
  let offset: bigint;
  let size: bigint;
  if (ph) {
    offset = ph.p_offset;
    size = ph.p_filesz;
  } else if (section) {
    offset = section.sh_offset;
    size = section.sh_size;
  } else {
    return undefined;
  }
  const entsize = file.is64 ? 16 : 8;
  // An array that runs past the end of the file is cut where the file ends, as readelf does.
  const available = BigInt(file.size) - offset;
  if (available < 0n) {
    throw new ElfError(
      ElfErrorCode.BadOffset,
      "dynamic section",
      offset,
      "the dynamic array starts beyond the end of the file",
    );
  }
  if (size > available) size = available;
  const count = Number(size / BigInt(entsize));
  const r = file.reader(offset, BigInt(count * entsize), "dynamic section");
  const entries: DynamicEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entsize;
    const entry = { d_tag: r.sword(at, file.is64), d_val: r.word(at + entsize / 2, file.is64) };
    entries.push(entry);
    if (entry.d_tag === DT_NULL) break;
  }
  if (!ph) return { entries, offset, sectionIndex: section?.index };
  let sectionIndex: number | undefined | null = null;
  return {
    entries,
    offset,
    get sectionIndex(): number | undefined {
      if (sectionIndex === null) sectionIndex = dynamicSection(file)?.index;
      return sectionIndex;
    },
  };
}

/** First value of a tag, or undefined. */
export function dynamicValue(entries: DynamicEntry[], tag: bigint): bigint | undefined {
  return entries.find((e) => e.d_tag === tag)?.d_val;
}

/**
 * The dynamic string table: the section named by .dynamic's sh_link when section headers exist, else
 * DT_STRTAB (a virtual address) mapped through PT_LOAD, DT_STRSZ bytes long.
 */
export function dynamicStrings(file: ElfFile): StringTable | undefined {
  const table = dynamicTable(file);
  if (!table) return undefined;
  if (table.sectionIndex !== undefined) {
    try {
      const link = file.section(table.sectionIndex).sh_link;
      if (link !== 0) return file.stringTable(link);
    } catch {
      // fall through to DT_STRTAB
    }
  }
  const addr = dynamicValue(table.entries, DT_STRTAB);
  const size = dynamicValue(table.entries, DT_STRSZ);
  if (addr === undefined || size === undefined) return undefined;
  const offset = file.vaddrToOffset(addr);
  if (offset === undefined) {
    throw new ElfError(
      ElfErrorCode.BadValue,
      "DT_STRTAB",
      undefined,
      `address 0x${addr.toString(16)} is not in any PT_LOAD segment`,
    );
  }
  const max = BigInt(file.size) - offset;
  return new StringTable(file.read(offset, size < max ? size : max, "dynamic string table"));
}

/** The facts about a dynamic object most views want, with names resolved. */
export interface DynamicInfo {
  needed: string[];
  soname: string | undefined;
  rpath: string | undefined;
  runpath: string | undefined;
  flags: bigint;
  flags1: bigint;
  entries: DynamicEntry[];
}

export function dynamicInfo(file: ElfFile): DynamicInfo | undefined {
  const table = dynamicTable(file);
  if (!table) return undefined;
  const strings = dynamicStrings(file);
  const str = (v: bigint): string => {
    const s = strings?.get(Number(v));
    if (s === undefined) {
      throw new ElfError(
        ElfErrorCode.BadIndex,
        "dynamic string table",
        undefined,
        `string offset 0x${v.toString(16)} is out of range`,
      );
    }
    return s;
  };
  const info: DynamicInfo = {
    needed: [],
    soname: undefined,
    rpath: undefined,
    runpath: undefined,
    flags: 0n,
    flags1: 0n,
    entries: table.entries,
  };
  for (const e of table.entries) {
    if (e.d_tag === DT_NEEDED) info.needed.push(str(e.d_val));
    else if (e.d_tag === DT_SONAME) info.soname = str(e.d_val);
    else if (e.d_tag === DT_RPATH) info.rpath = str(e.d_val);
    else if (e.d_tag === DT_RUNPATH) info.runpath = str(e.d_val);
    else if (e.d_tag === DT_FLAGS) info.flags = e.d_val;
    else if (e.d_tag === DT_FLAGS_1) info.flags1 = e.d_val;
  }
  return info;
}
