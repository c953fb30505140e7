import {
  DT_VERDEF,
  DT_VERNEED,
  DT_VERSYM,
  type SectionHeader,
  SHT_DYNSYM,
  SHT_GNU_verdef,
  SHT_GNU_verneed,
  SHT_GNU_versym,
  SHT_SYMTAB,
} from "../../elf/index.js";
import type { ReadelfContext } from "./context.js";
import {
  getData,
  offsetFromVma,
  printableSectionName,
  type ReadelfDynamic,
  ReadelfStrtab,
  readelfDynamic,
} from "./symbols.js";

const VER_FLG_BASE = 0x1;
const VER_FLG_WEAK = 0x2;
const VER_FLG_INFO = 0x4;

/** readelf.c get_ver_flags. */
function verFlags(flags: number): string {
  if (flags === 0) return "none";
  let s = "";
  if (flags & VER_FLG_BASE) s += "BASE";
  if (flags & VER_FLG_WEAK) {
    if (flags & VER_FLG_BASE) s += " | ";
    s += "WEAK";
  }
  if (flags & VER_FLG_INFO) {
    if (flags & (VER_FLG_BASE | VER_FLG_WEAK)) s += " | ";
    s += "INFO";
  }
  if (flags & ~(VER_FLG_BASE | VER_FLG_WEAK | VER_FLG_INFO)) {
    if (flags & (VER_FLG_BASE | VER_FLG_WEAK | VER_FLG_INFO)) s += " | ";
    s += "<unknown>";
  }
  return s;
}

/** printf("%#06zx"): "0x" counts toward the width of 6; zero prints as 000000. */
function hex06(v: number): string {
  return v === 0 ? "000000" : `0x${v.toString(16).padStart(4, "0")}`;
}

const hex16 = (v: bigint) => v.toString(16).padStart(16, "0");
const hex08 = (v: bigint) => v.toString(16).padStart(8, "0");

function sectionIntro(
  ctx: ReadelfContext,
  st: ReadelfDynamic,
  kind: string,
  sh: SectionHeader,
  count: string,
  linkName: string,
): void {
  const n = count === "1" ? "entry" : "entries";
  ctx.out.write(
    `\n${kind} section '${printableSectionName(st, sh)}' contains ${count} ${n}:\n` +
      ` Addr: 0x${hex16(sh.sh_addr)}  Offset: 0x${hex08(sh.sh_offset)}  Link: ${sh.sh_link} (${linkName})\n`,
  );
}

function linkName(st: ReadelfDynamic, index: number): string {
  if (index >= st.shnum || !st.sections) return "<corrupt>";
  return printableSectionName(st, st.sections[index]);
}

/** The dynamic string lookups readelf uses for verdef/verneed names (valid_dynamic_name). */
function dynName(st: ReadelfDynamic, off: number): string | undefined {
  const s = st.dynamicStrings;
  return s?.valid(off) ? s.get(off) : undefined;
}

function printVerdef(ctx: ReadelfContext, st: ReadelfDynamic, sh: SectionHeader): void {
  sectionIntro(ctx, st, "Version definition", sh, String(sh.sh_info), linkName(st, sh.sh_link));
  const data = getData(ctx.file, sh.sh_offset, sh.sh_size, "version definition section", ctx.error);
  if (!data) return;
  const r = ctx.file.readerOver(data, "version definition section", Number(sh.sh_offset));
  const end = data.length;
  let text = "";
  let idx = 0;
  let cnt = 0;
  for (; cnt < sh.sh_info; cnt++) {
    if (idx + 20 > end) break;
    const vd_version = r.u16(idx);
    const vd_flags = r.u16(idx + 2);
    const vd_ndx = r.u16(idx + 4);
    const vd_cnt = r.u16(idx + 6);
    const vd_aux = r.u32(idx + 12);
    const vd_next = r.u32(idx + 16);
    text += `  ${hex06(idx)}: Rev: ${vd_version}  Flags: ${verFlags(vd_flags)}  Index: ${vd_ndx}  Cnt: ${vd_cnt}  `;
    if (vd_aux > end - idx) break;
    let vstart = idx + vd_aux;
    if (vstart + 8 > end) break;
    let vda_name = r.u32(vstart);
    let vda_next = r.u32(vstart + 4);
    const first = dynName(st, vda_name);
    text += first !== undefined ? `Name: ${first}\n` : `Name index: ${vda_name}\n`;
    let isum = idx + vd_aux;
    let j = 1;
    for (; j < vd_cnt; j++) {
      if (vda_next < 8 && !(j === vd_cnt - 1 && vda_next === 0)) {
        ctx.out.write(text);
        text = "";
        ctx.warn(`Invalid vda_next field of ${vda_next.toString(16)}`);
        j = vd_cnt;
        break;
      }
      if (vda_next > end - vstart) break;
      isum += vda_next;
      vstart += vda_next;
      if (vstart + 8 > end) break;
      vda_name = r.u32(vstart);
      vda_next = r.u32(vstart + 4);
      const nm = dynName(st, vda_name);
      text +=
        nm !== undefined
          ? `  ${hex06(isum)}: Parent ${j}: ${nm}\n`
          : `  ${hex06(isum)}: Parent ${j}, name index: ${vda_name}\n`;
    }
    if (j < vd_cnt) text += "  Version def aux past end of section\n";
    if (vd_next < 20 && !(cnt === sh.sh_info - 1 && vd_next === 0)) {
      ctx.out.write(text);
      text = "";
      ctx.warn(`Invalid vd_next field of ${vd_next.toString(16)}`);
      cnt = sh.sh_info;
      break;
    }
    if (vd_next > end - idx) break;
    idx += vd_next;
  }
  if (cnt < sh.sh_info) text += "  Version definition past end of section\n";
  ctx.out.write(text);
}

function printVerneed(ctx: ReadelfContext, st: ReadelfDynamic, sh: SectionHeader): void {
  sectionIntro(ctx, st, "Version needs", sh, String(sh.sh_info), linkName(st, sh.sh_link));
  const data = getData(ctx.file, sh.sh_offset, sh.sh_size, "Version Needs section", ctx.error);
  if (!data) return;
  const r = ctx.file.readerOver(data, "version needs section", Number(sh.sh_offset));
  const end = data.length;
  let text = "";
  const flush = () => {
    ctx.out.write(text);
    text = "";
  };
  let idx = 0;
  let cnt = 0;
  for (; cnt < sh.sh_info; cnt++) {
    if (idx + 16 > end) break;
    const vn_version = r.u16(idx);
    const vn_cnt = r.u16(idx + 2);
    const vn_file = r.u32(idx + 4);
    const vn_aux = r.u32(idx + 8);
    const vn_next = r.u32(idx + 12);
    const file = dynName(st, vn_file);
    text += `  ${hex06(idx)}: Version: ${vn_version}  File: ${file ?? vn_file.toString(16)}  Cnt: ${vn_cnt}\n`;
    if (vn_aux > end - idx) break;
    let vstart = idx + vn_aux;
    let isum = idx + vn_aux;
    let j = 0;
    for (; j < vn_cnt; j++) {
      if (vstart + 16 > end) break;
      const vna_flags = r.u16(vstart + 4);
      const vna_other = r.u16(vstart + 6);
      const vna_name = r.u32(vstart + 8);
      const vna_next = r.u32(vstart + 12);
      const nm = dynName(st, vna_name);
      text +=
        nm !== undefined
          ? `  ${hex06(isum)}:   Name: ${nm}`
          : `  ${hex06(isum)}:   Name index: ${vna_name.toString(16)}`;
      text += `  Flags: ${verFlags(vna_flags)}  Version: ${vna_other}\n`;
      if (vna_next < 16 && !(j === vn_cnt - 1 && vna_next === 0)) {
        flush();
        ctx.warn(`Invalid vna_next field of ${vna_next.toString(16)}`);
        j = vn_cnt;
        break;
      }
      if (vna_next > end - vstart) break;
      isum += vna_next;
      vstart += vna_next;
    }
    if (j < vn_cnt) {
      flush();
      ctx.warn("Missing Version Needs auxiliary information");
    }
    if (vn_next < 16 && !(cnt === sh.sh_info - 1 && vn_next === 0)) {
      flush();
      ctx.warn(`Invalid vn_next field of ${vn_next.toString(16)}`);
      cnt = sh.sh_info;
      break;
    }
    if (vn_next > end - idx) break;
    idx += vn_next;
  }
  flush();
  if (cnt < sh.sh_info) ctx.warn("Missing Version Needs information");
}

/** Reads n bytes at a file offset, or undefined past the end (get_data with a caller buffer). */
function readAt(
  ctx: ReadelfContext,
  off: bigint,
  n: number,
): ReturnType<ReadelfContext["file"]["reader"]> | undefined {
  if (off < 0n || off + BigInt(n) > BigInt(ctx.file.size)) return undefined;
  return ctx.file.reader(off, n, "version data");
}

/** The versym name lookup of process_version_sections (verneed first, then verdef; "*both*" if both). */
function versymName(
  ctx: ReadelfContext,
  st: ReadelfDynamic,
  value: number,
  strtab: ReadelfStrtab,
  strSize: bigint,
): string | undefined {
  const invalid = "*invalid*";
  let name: string | undefined;
  const verneed = st.info.get(DT_VERNEED) ?? 0n;
  const verdef = st.info.get(DT_VERDEF) ?? 0n;
  const size = ctx.file.size;
  const nameAt = (n: number) => (BigInt(n) >= strSize ? invalid : strtab.get(n));
  if (verneed !== 0n) {
    let offset = offsetFromVma(st, verneed, 16n, ctx.warn);
    for (let guard = 0; guard <= size; guard++) {
      const vn = readAt(ctx, offset, 16);
      if (!vn) {
        ctx.error("Reading 16 bytes extends past end of file for version need");
        break;
      }
      const vn_aux = vn.u32(8);
      const vn_next = vn.u32(12);
      let aOff = offset + BigInt(vn_aux);
      let vna_other = 0;
      let vna_name = 0;
      for (let g2 = 0; g2 <= size; g2++) {
        const a = readAt(ctx, aOff, 16);
        let vna_next = 0;
        if (!a) {
          ctx.error("Reading 16 bytes extends past end of file for version need aux (2)");
          vna_other = 0;
        } else {
          vna_next = a.u32(12);
          vna_other = a.u16(6);
          vna_name = a.u32(8);
        }
        aOff += BigInt(vna_next);
        if (vna_other === value || vna_next === 0) break;
      }
      if (vna_other === value) {
        name = nameAt(vna_name);
        break;
      }
      offset += BigInt(vn_next);
      if (vn_next === 0) break;
    }
  }
  if (value !== 0x8001 && verdef !== 0n) {
    let offset = offsetFromVma(st, verdef, 20n, ctx.warn);
    const target = value & 0x7fff;
    let vd_ndx = 0;
    let vd_next = 0;
    let vd_aux = 0;
    let failed = false;
    for (let guard = 0; guard <= size; guard++) {
      const vd = readAt(ctx, offset, 20);
      if (!vd) {
        ctx.error("Reading 20 bytes extends past end of file for version def");
        vd_next = 0;
        vd_ndx = target + 1;
        failed = true;
        break;
      }
      vd_next = vd.u32(16);
      vd_ndx = vd.u16(4);
      vd_aux = vd.u32(12);
      offset += BigInt(vd_next);
      if (vd_ndx === target || vd_next === 0) break;
    }
    if (!failed && vd_ndx === target) {
      const a = readAt(ctx, offset - BigInt(vd_next) + BigInt(vd_aux), 8);
      if (!a) {
        ctx.error("Reading 8 bytes extends past end of file for version def aux");
        return name;
      }
      const vda_name = a.u32(0);
      if (BigInt(vda_name) >= strSize) name = invalid;
      else if (name !== undefined && name !== invalid) name = "*both*";
      else name = strtab.get(vda_name);
    }
  }
  return name;
}

function printVersym(ctx: ReadelfContext, st: ReadelfDynamic, sh: SectionHeader): boolean {
  const sections = st.sections!;
  if (sh.sh_link >= st.shnum) return false;
  const link = sections[sh.sh_link]!;
  const total = Number(sh.sh_size / 2n);
  if (link.sh_link >= st.shnum) return false;
  // get_elf_symbols on the linked table: only its count matters here.
  let numSyms = 0;
  if (link.sh_size !== 0n) {
    // process_section_headers has already put the class's Elf_Sym size into a wrong symbol table's sh_entsize.
    const fixed = link.sh_type === SHT_SYMTAB || (link.sh_type === SHT_DYNSYM && link === st.dynsymSection);
    const entsize = fixed ? (ctx.file.is64 ? 24n : 16n) : link.sh_entsize;
    const hex = (v: bigint) => (v === 0n ? "0" : `0x${v.toString(16)}`);
    if (entsize === 0n || entsize > link.sh_size) {
      ctx.error(`Section ${printableSectionName(st, link)} has an invalid sh_entsize of ${hex(entsize)}`);
      return true;
    }
    if (link.sh_size > BigInt(ctx.file.size)) {
      ctx.error(`Section ${printableSectionName(st, link)} has an invalid sh_size of ${hex(link.sh_size)}`);
      return true;
    }
    numSyms = Number(link.sh_size / entsize);
    if (!getData(ctx.file, link.sh_offset, link.sh_size, "symbols", ctx.error)) return true;
  } else return true;
  const stringSec = sections[link.sh_link]!;
  const strData = getData(
    ctx.file,
    stringSec.sh_offset,
    stringSec.sh_size,
    "version string table",
    ctx.error,
  );
  if (!strData) return true;
  const strtab = new ReadelfStrtab(strData);

  sectionIntro(ctx, st, "Version symbols", sh, String(total), printableSectionName(st, link));
  const off = offsetFromVma(st, st.info.get(DT_VERSYM) ?? 0n, BigInt(total) * 2n, ctx.warn);
  const edata = getData(ctx.file, off, BigInt(total) * 2n, "version symbol data", ctx.error);
  if (!edata) return true;
  const r = ctx.file.readerOver(edata, "version symbol data");
  const memo = new Map<number, string | undefined>();
  let text = "";
  for (let cnt = 0; cnt < total; cnt += 4) {
    text += `  ${cnt.toString(16).padStart(3, "0")}:`;
    for (let j = 0; j < 4 && cnt + j < total; j++) {
      const v = r.u16((cnt + j) * 2);
      if (v === 0) {
        text += "   0 (*local*)    ";
        continue;
      }
      if (v === 1) {
        text += "   1 (*global*)   ";
        continue;
      }
      let cell = `${(v & 0x7fff).toString(16).padStart(4)}${v & 0x8000 ? "h" : " "}`;
      if (cnt + j >= numSyms) {
        text += cell;
        ctx.out.write(text);
        text = "";
        ctx.warn("invalid index into symbol array");
        continue;
      }
      let name: string | undefined;
      if (memo.has(v)) name = memo.get(v);
      else {
        name = versymName(ctx, st, v, strtab, stringSec.sh_size);
        memo.set(v, name);
      }
      if (name !== undefined) cell += `(${name}${")".padEnd(Math.max(1, Math.abs(12 - name.length)))}`;
      if (cell.length < 18) cell += " ".repeat(18 - cell.length);
      text += cell;
    }
    text += "\n";
    if (text.length > 1 << 16) {
      ctx.out.write(text);
      text = "";
    }
  }
  ctx.out.write(text);
  return true;
}

export function printVersionInfo(ctx: ReadelfContext): void {
  const st = readelfDynamic(ctx);
  // process_object turns -V off when the section headers cannot be loaded.
  if (!st.sections || (st.shnum === 0 && ctx.file.header.e_shoff !== 0n)) return;
  let found = false;
  for (const sh of st.sections) {
    if (sh.sh_type === SHT_GNU_verdef) {
      found = true;
      printVerdef(ctx, st, sh);
    } else if (sh.sh_type === SHT_GNU_verneed) {
      found = true;
      printVerneed(ctx, st, sh);
    } else if (sh.sh_type === SHT_GNU_versym) {
      if (printVersym(ctx, st, sh)) found = true;
    }
  }
  if (!found) ctx.out.write("\nNo version information found in this file.\n");
}
