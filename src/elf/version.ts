import {
  SHT_GNU_verdef,
  SHT_GNU_verneed,
  SHT_GNU_versym,
  VER_NDX_GLOBAL,
  VER_NDX_LOCAL,
  VERSYM_HIDDEN,
} from "./constants.js";
import type { DataReader } from "./data-reader.js";
import type { ElfFile } from "./file.js";
import type { SectionHeader } from "./section.js";
import type { StringTable } from "./strings.js";

/** The version index part of a versym entry (the top bit is VERSYM_HIDDEN). */
export const VERSYM_VERSION = 0x7fff;

/** Elf_Verdef (GNU symbol versioning, "Version Definition Section"), 20 bytes in both classes. */
export interface Verdef {
  vd_version: number;
  vd_flags: number;
  vd_ndx: number;
  vd_cnt: number;
  vd_hash: number;
  vd_aux: number;
  vd_next: number;
}
export const VERDEF_SIZE = 20;

/** Elf_Verdaux: a version name (the first) or a parent (the rest), 8 bytes. */
export interface Verdaux {
  vda_name: number;
  vda_next: number;
}
export const VERDAUX_SIZE = 8;

/** Elf_Verneed: one needed file, 16 bytes. */
export interface Verneed {
  vn_version: number;
  vn_cnt: number;
  vn_file: number;
  vn_aux: number;
  vn_next: number;
}
export const VERNEED_SIZE = 16;

/** Elf_Vernaux: one version needed from that file, 16 bytes. */
export interface Vernaux {
  vna_hash: number;
  vna_flags: number;
  vna_other: number;
  vna_name: number;
  vna_next: number;
}
export const VERNAUX_SIZE = 16;

export function readVerdef(r: DataReader, at: number): Verdef {
  return {
    vd_version: r.u16(at),
    vd_flags: r.u16(at + 2),
    vd_ndx: r.u16(at + 4),
    vd_cnt: r.u16(at + 6),
    vd_hash: r.u32(at + 8),
    vd_aux: r.u32(at + 12),
    vd_next: r.u32(at + 16),
  };
}

export function readVerdaux(r: DataReader, at: number): Verdaux {
  return { vda_name: r.u32(at), vda_next: r.u32(at + 4) };
}

export function readVerneed(r: DataReader, at: number): Verneed {
  return {
    vn_version: r.u16(at),
    vn_cnt: r.u16(at + 2),
    vn_file: r.u32(at + 4),
    vn_aux: r.u32(at + 8),
    vn_next: r.u32(at + 12),
  };
}

export function readVernaux(r: DataReader, at: number): Vernaux {
  return {
    vna_hash: r.u32(at),
    vna_flags: r.u16(at + 4),
    vna_other: r.u16(at + 6),
    vna_name: r.u32(at + 8),
    vna_next: r.u32(at + 12),
  };
}

/** SHT_GNU_versym: one u16 per dynamic symbol. */
export function parseVersym(file: ElfFile, sh: SectionHeader): Uint16Array {
  const data = file.sectionData(sh);
  const r = file.readerOver(data, file.describeSection(sh), Number(sh.sh_offset));
  const out = new Uint16Array(Math.floor(data.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = r.u16(i * 2);
  return out;
}

/** A version definition with its names resolved: names[0] is the version, the rest its parents. */
export interface VersionDefinition extends Verdef {
  offset: number;
  aux: (Verdaux & { offset: number; name: string | undefined })[];
}

/** A needed file with the versions needed from it. */
export interface VersionNeed extends Verneed {
  offset: number;
  file: string | undefined;
  aux: (Vernaux & { offset: number; name: string | undefined })[];
}

function linkedStrings(file: ElfFile, sh: SectionHeader): StringTable | undefined {
  try {
    return sh.sh_link !== 0 ? file.stringTable(sh.sh_link) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * SHT_GNU_verdef: at most sh_info entries, following vd_next within the section; a vd_next of 0 or one
 * that points back (a cycle) ends the walk, so a malformed chain cannot loop.
 */
export function parseVerdefs(file: ElfFile, sh: SectionHeader): VersionDefinition[] {
  const data = file.sectionData(sh);
  const r = file.readerOver(data, file.describeSection(sh), Number(sh.sh_offset));
  const strings = linkedStrings(file, sh);
  const out: VersionDefinition[] = [];
  let at = 0;
  for (let n = 0; n < sh.sh_info && at + VERDEF_SIZE <= data.length; n++) {
    const vd = readVerdef(r, at);
    const aux: VersionDefinition["aux"] = [];
    let a = at + vd.vd_aux;
    for (let j = 0; j < vd.vd_cnt && a + VERDAUX_SIZE <= data.length; j++) {
      const vda = readVerdaux(r, a);
      aux.push({ ...vda, offset: a, name: strings?.get(vda.vda_name) });
      if (vda.vda_next === 0) break;
      a += vda.vda_next;
    }
    out.push({ ...vd, offset: at, aux });
    if (vd.vd_next === 0) break;
    at += vd.vd_next;
  }
  return out;
}

/** SHT_GNU_verneed: at most sh_info files, each with at most vn_cnt versions; bounded like parseVerdefs. */
export function parseVerneeds(file: ElfFile, sh: SectionHeader): VersionNeed[] {
  const data = file.sectionData(sh);
  const r = file.readerOver(data, file.describeSection(sh), Number(sh.sh_offset));
  const strings = linkedStrings(file, sh);
  const out: VersionNeed[] = [];
  let at = 0;
  for (let n = 0; n < sh.sh_info && at + VERNEED_SIZE <= data.length; n++) {
    const vn = readVerneed(r, at);
    const aux: VersionNeed["aux"] = [];
    let a = at + vn.vn_aux;
    for (let j = 0; j < vn.vn_cnt && a + VERNAUX_SIZE <= data.length; j++) {
      const vna = readVernaux(r, a);
      aux.push({ ...vna, offset: a, name: strings?.get(vna.vna_name) });
      if (vna.vna_next === 0) break;
      a += vna.vna_next;
    }
    out.push({ ...vn, offset: at, file: strings?.get(vn.vn_file), aux });
    if (vn.vn_next === 0) break;
    at += vn.vn_next;
  }
  return out;
}

/** What a dynamic symbol's versym entry means. */
export interface SymbolVersion {
  /** versym & 0x7fff. */
  index: number;
  /** VERSYM_HIDDEN: not the default version (printed `name@V`, not `name@@V`). */
  hidden: boolean;
  /** local (0), global (1, unversioned), a definition of this object, or a need from another file. */
  kind: "local" | "global" | "definition" | "need" | "unknown";
  /** The version name, e.g. GLIBC_2.2.5. */
  name: string | undefined;
  /** For needs: the file the version is needed from (vn_file), e.g. libc.so.6. */
  library: string | undefined;
}

/**
 * For each entry of a dynamic symbol table, its version: the versym section linked to `dynsym`, the
 * object's own definitions (verdef) and the versions it needs (verneed). Empty when unversioned.
 */
export function symbolVersions(file: ElfFile, dynsym: SectionHeader): SymbolVersion[] {
  const sections = file.sectionHeaders;
  const versymSh = sections.find((s) => s.sh_type === SHT_GNU_versym && s.sh_link === dynsym.index);
  if (!versymSh) return [];
  const versym = parseVersym(file, versymSh);
  const verdefSh = sections.find((s) => s.sh_type === SHT_GNU_verdef);
  const verneedSh = sections.find((s) => s.sh_type === SHT_GNU_verneed);
  const defs = new Map<number, string | undefined>();
  const needs = new Map<number, { name: string | undefined; library: string | undefined }>();
  if (verdefSh)
    for (const d of parseVerdefs(file, verdefSh)) defs.set(d.vd_ndx & VERSYM_VERSION, d.aux[0]?.name);
  if (verneedSh) {
    for (const n of parseVerneeds(file, verneedSh)) {
      for (const a of n.aux) needs.set(a.vna_other & VERSYM_VERSION, { name: a.name, library: n.file });
    }
  }
  const out: SymbolVersion[] = new Array(versym.length);
  for (let i = 0; i < versym.length; i++) {
    const v = versym[i]!;
    const index = v & VERSYM_VERSION;
    const hidden = (v & VERSYM_HIDDEN) !== 0;
    if (index === VER_NDX_LOCAL || index === VER_NDX_GLOBAL) {
      out[i] = {
        index,
        hidden,
        kind: index === VER_NDX_LOCAL ? "local" : "global",
        name: undefined,
        library: undefined,
      };
    } else if (defs.has(index)) {
      out[i] = { index, hidden, kind: "definition", name: defs.get(index), library: undefined };
    } else if (needs.has(index)) {
      const n = needs.get(index)!;
      out[i] = { index, hidden, kind: "need", name: n.name, library: n.library };
    } else {
      out[i] = { index, hidden, kind: "unknown", name: undefined, library: undefined };
    }
  }
  return out;
}
