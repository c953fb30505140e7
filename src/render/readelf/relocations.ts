import {
  type ElfFile,
  type ElfSymbol,
  latin1,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHT_DYNSYM,
  SHT_SYMTAB,
  STT_GNU_IFUNC,
  STT_SECTION,
  symType,
} from "../../elf/index.js";
import { relocTypeName } from "../../elf/reloc-types.js";
import { decodeRelr, parseRelocations, type Relocation, type RelocationKind } from "../../elf/relocation.js";
import type { ReadelfContext } from "./context.js";
import { cString, offsetFromVma, type ReadelfDynamic, readelfDynamic } from "./dynamic.js";
import { printableName } from "./printable.js";

const EM_MIPS = 8;
const EM_X86_64 = 62;
const EM_L1OM = 180;
const EM_K1OM = 181;
const EM_SPARCV9 = 43;
const SHN_MIPS_SCOMMON = 0xff03;
const SHN_MIPS_SUNDEFINED = 0xff04;
const SHN_X86_64_LCOMMON = 0xff02;
const SHN_TIC6X_SCOMMON = 0xff00;
const EM_TI_C6000 = 140;
const VERSYM_HIDDEN = 0x8000;
const VERSYM_VERSION = 0x7fff;
const VER_FLG_BASE = 1;
const DT_VERSYM = 0x6ffffff0;
const DT_VERDEF = 0x6ffffffc;
const DT_VERNEED = 0x6ffffffe;

/** Machines readelf treats as REL (guess_is_rela false) when DT_PLTREL does not say. */
const REL_MACHINES = new Set([3, 6, 19, 40, 85, 0x7650, 0x5aa5, 8, 10, 0x9041, 135, 115, 250, 247]);

/** The symbol table and string table a relocation section refers to (dump_relocations' arguments). */
interface SymbolContext {
  symbols: ElfSymbol[] | undefined;
  strings: Uint8Array | undefined;
  isDynsym: boolean;
}

/**
 * print_symbol: at most `width` characters unless -W, with "[...]" marking truncation (unless -T),
 * control characters as ^X and DEL as <DEL>. Returns the text and its printed length.
 */
function printSymbol(ctx: ReadelfContext, width: number, symbol: string): [string, number] {
  const wide = ctx.opts.wide;
  let remaining = wide ? Number.MAX_SAFE_INTEGER : width;
  let dots = false;
  if (!wide && !ctx.opts.silentTruncation && symbol.length > width) {
    remaining = Math.max(width - 5, 0);
    dots = true;
  }
  // cplus_demangle only changes Itanium (_Z), Rust (_R) and global constructor (_GLOBAL_) names.
  const mangled = symbol.startsWith("_Z") || symbol.startsWith("_R") || symbol.startsWith("_GLOBAL_");
  const s = ctx.opts.demangle && mangled ? ctx.demangle(symbol) : symbol;
  let out = "";
  let printed = 0;
  // Fast path: plain printable ASCII that fits.
  let simple = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      simple = false;
      break;
    }
  }
  if (simple && s.length <= remaining) {
    out = s;
    printed = s.length;
  } else {
    for (let i = 0; i < s.length && remaining > 0; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20) {
        if (remaining < 2) break;
        out += `^${String.fromCharCode(c + 0x40)}`;
        remaining -= 2;
        printed += 2;
      } else if (c === 0x7f) {
        if (remaining < 5) break;
        out += "<DEL>";
        remaining -= 5;
        printed += 5;
      } else {
        out += s[i];
        remaining--;
        printed++;
      }
    }
  }
  if (dots) {
    out += "[...]";
    printed += 5;
  }
  return [out, printed];
}

/**
 * readelf.c get_symbol_version_string, read the way readelf reads it: through DT_VERSYM, DT_VERDEF and
 * DT_VERNEED (virtual addresses mapped by the PT_LOAD segments), not the version sections.
 */
function symbolVersion(
  ctx: ReadelfContext,
  dyn: ReadelfDynamic,
  strings: Uint8Array | undefined,
  index: number,
  sym: ElfSymbol,
): { name: string; hidden: boolean } | undefined {
  const file = ctx.file;
  const versym = dyn.info(DT_VERSYM);
  if (versym === 0n) return undefined;
  const size = BigInt(file.size);
  let pages = pageCaches.get(file);
  if (!pages) {
    pages = new PageCache(file);
    pageCaches.set(file, pages);
  }
  const cache = pages;
  const u16 = (off: bigint): number | undefined => cache.u16(off);
  const u32 = (off: bigint): number | undefined => cache.u32(off);
  const base = offsetFromVma(ctx, versym, 2n + BigInt(index) * 2n);
  const vers = u16(base + BigInt(index) * 2n);
  if (vers === undefined) {
    ctx.error(`Reading 2 bytes extends past end of file for version data`);
    return undefined;
  }
  if (vers === 0) return undefined;
  const str = (off: number): string =>
    strings && off < strings.length ? cString(strings, off) : "<corrupt>";
  let hidden = (vers & VERSYM_HIDDEN) !== 0;
  let maxVd = 0;
  const verdef = dyn.info(DT_VERDEF);
  if (sym.st_shndx !== SHN_UNDEF && vers !== 0x8001 && verdef !== 0n) {
    let off = offsetFromVma(ctx, verdef, 20n);
    let vd_ndx = 0;
    let vd_aux = 0;
    let vd_next = 0;
    let vd_flags = 0;
    // Elf_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash, vd_aux, vd_next u32.
    for (let guard = 0; guard <= file.size; guard++) {
      if (off >= 0n && off + 20n <= size) {
        vd_flags = u16(off + 2n)!;
        vd_ndx = u16(off + 4n)!;
        vd_aux = u32(off + 12n)!;
        vd_next = u32(off + 16n)!;
      } else {
        ctx.error("Reading 20 bytes extends past end of file for version def");
        vd_ndx = vd_aux = vd_next = vd_flags = 0;
      }
      if ((vd_ndx & VERSYM_VERSION) > maxVd) maxVd = vd_ndx & VERSYM_VERSION;
      off += BigInt(vd_next);
      if (vd_ndx === (vers & VERSYM_VERSION) || vd_next === 0) break;
    }
    if (vd_ndx === (vers & VERSYM_VERSION)) {
      if (vd_ndx === 1 && vd_flags === VER_FLG_BASE) return undefined;
      off = off - BigInt(vd_next) + BigInt(vd_aux);
      const vda_name = u32(off);
      if (vda_name !== undefined && sym.st_name !== vda_name) return { name: str(vda_name), hidden };
    }
  }
  const verneed = dyn.info(DT_VERNEED);
  if (verneed !== 0n) {
    let offset = offsetFromVma(ctx, verneed, 16n);
    let vna_other = 0;
    let vna_name = 0;
    // Elf_Verneed: vn_version, vn_cnt u16, vn_file, vn_aux, vn_next u32. Elf_Vernaux: vna_hash u32,
    // vna_flags, vna_other u16, vna_name, vna_next u32.
    for (let guard = 0; guard <= file.size; guard++) {
      if (!(offset >= 0n && offset + 16n <= size)) {
        ctx.error("Reading 16 bytes extends past end of file for version need");
        vna_other = 0;
        vna_name = 0;
        break;
      }
      const vn_aux = u32(offset + 8n)!;
      const vn_next = u32(offset + 12n)!;
      let vnaOff = offset + BigInt(vn_aux);
      for (let g2 = 0; g2 <= file.size; g2++) {
        let vna_next = 0;
        if (vnaOff >= 0n && vnaOff + 16n <= size) {
          vna_other = u16(vnaOff + 6n)!;
          vna_name = u32(vnaOff + 8n)!;
          vna_next = u32(vnaOff + 12n)!;
        } else {
          ctx.error("Reading 16 bytes extends past end of file for version need aux (3)");
          vna_other = 0;
          vna_name = 0;
        }
        vnaOff += BigInt(vna_next);
        if (vna_other === vers || vna_next === 0) break;
      }
      if (vna_other === vers) break;
      offset += BigInt(vn_next);
      if (vn_next === 0) break;
    }
    if (vna_other === vers) {
      hidden = true; // symbol_undefined prints with a single "@"
      return { name: str(vna_name), hidden };
    }
    if ((maxVd !== 0 || (vers & VERSYM_VERSION) !== 1) && (vers & VERSYM_VERSION) > maxVd) {
      return { name: "<corrupt>", hidden };
    }
  }
  return undefined;
}

/** Small reads of the version tables, served from 4 KiB pages read once per file. */
class PageCache {
  private readonly pages = new Map<number, Uint8Array>();
  constructor(private readonly file: ElfFile) {}
  bytes(offset: bigint, length: number): Uint8Array | undefined {
    const size = BigInt(this.file.size);
    if (offset < 0n || offset + BigInt(length) > size) return undefined;
    const off = Number(offset);
    const page = Math.floor(off / 4096);
    if (Math.floor((off + length - 1) / 4096) !== page) return this.file.read(offset, length, "version data");
    let data = this.pages.get(page);
    if (!data) {
      const start = page * 4096;
      data = this.file.read(start, Math.min(4096, this.file.size - start), "version data");
      this.pages.set(page, data);
    }
    return data.subarray(off - page * 4096, off - page * 4096 + length);
  }
  u16(offset: bigint): number | undefined {
    const b = this.bytes(offset, 2);
    if (!b) return undefined;
    return this.file.littleEndian ? b[0]! | (b[1]! << 8) : (b[0]! << 8) | b[1]!;
  }
  u32(offset: bigint): number | undefined {
    const b = this.bytes(offset, 4);
    if (!b) return undefined;
    return this.file.littleEndian
      ? (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0
      : ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
}

const pageCaches = new WeakMap<ElfFile, PageCache>();

const hex = (v: bigint): string => v.toString(16);
const pad0 = (v: bigint, n: number): string => v.toString(16).padStart(n, "0");
const SPACES20 = " ".repeat(20);
const SPACES12 = " ".repeat(12);

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A 32-bit value as 8 hex digits, by table (the hot path of large relocation tables). */
function hex8(v: number): string {
  return HEX_BYTE[v >>> 24]! + HEX_BYTE[(v >>> 16) & 255]! + HEX_BYTE[(v >>> 8) & 255]! + HEX_BYTE[v & 255]!;
}

/** A 64-bit value given as 32-bit halves, in hex with at least `min` digits (printf "%*.*lx"). */
function hex64(hi: number, lo: number, min: number): string {
  if (min === 16) return hex8(hi) + hex8(lo);
  if (min === 12 && hi < 0x10000) return hex8(hi).slice(4) + hex8(lo);
  const s = hi === 0 ? lo.toString(16) : hi.toString(16) + hex8(lo);
  return s.length >= min ? s : s.padStart(min, "0");
}

/** dump_relocations: the column header and one line per entry (RELR: the decoded addresses). */
function dumpRelocations(
  ctx: ReadelfContext,
  offset: bigint,
  size: bigint,
  symctx: SymbolContext,
  kindIn: RelocationKind | undefined,
  out: string[],
): void {
  const file = ctx.file;
  const machine = file.header.e_machine;
  const kind: RelocationKind = kindIn ?? (REL_MACHINES.has(machine) ? "rel" : "rela");
  const fileSize = BigInt(file.size);
  if (size === 0n) return;
  if (offset > fileSize || size > fileSize - offset) {
    const what = kind === "relr" ? "RELR relocation data" : `${file.is64 ? 64 : 32}-bit relocation data`;
    ctx.error(`Reading ${size} bytes extends past end of file for ${what}`);
    return;
  }
  const r = file.reader(offset, size, "relocation data");
  const is64 = file.is64;
  const wide = ctx.opts.wide;
  if (kind === "relr") {
    const addrs = decodeRelr(file, r);
    const digits = is64 ? 16 : 8;
    const lines = [`  ${addrs.length} ${addrs.length === 1 ? "offset" : "offsets"}\n`];
    for (const a of addrs) lines.push(`${pad0(a, digits)}\n`);
    out.push(lines.join(""));
    return;
  }
  const rela = kind === "rela";
  if (!is64) {
    if (wide)
      out.push(
        rela
          ? " Offset     Info    Type                Sym. Value  Symbol's Name + Addend\n"
          : " Offset     Info    Type                Sym. Value  Symbol's Name\n",
      );
    else
      out.push(
        rela
          ? " Offset     Info    Type            Sym.Value  Sym. Name + Addend\n"
          : " Offset     Info    Type            Sym.Value  Sym. Name\n",
      );
  } else if (wide) {
    out.push(
      rela
        ? "    Offset             Info             Type               Symbol's Value  Symbol's Name + Addend\n"
        : "    Offset             Info             Type               Symbol's Value  Symbol's Name\n",
    );
  } else {
    out.push(
      rela
        ? "  Offset          Info           Type           Sym. Value    Sym. Name + Addend\n"
        : "  Offset          Info           Type           Sym. Value    Sym. Name\n",
    );
  }
  const dyn = readelfDynamic(ctx);
  const { symbols, strings, isDynsym } = symctx;
  const strLen = strings ? strings.length : 0;
  let shnum = 0;
  let sectionNames: ((i: number) => string) | undefined;
  try {
    shnum = file.sectionCount;
    const names = file.sectionNameTable;
    const headers = file.sectionHeaders;
    sectionNames = (i: number) => {
      const sh = headers[i]!;
      if (!names) return "<no-strings>";
      if (sh.sh_name >= names.bytes.length) return "<corrupt>";
      return names.get(sh.sh_name) ?? "<corrupt>";
    };
  } catch {
    sectionNames = undefined;
  }
  const offDigits = is64 ? (wide ? 16 : 12) : 8;
  const versionCache = new Map<number, { name: string; hidden: boolean } | undefined>();
  let chunk = "";
  // Most tables are read straight from the bytes with 32-bit halves (no BigInt per entry); MIPS64 and
  // SPARC V9, whose r_info needs more than a split, go through parseRelocations.
  const fast = !(is64 && (machine === EM_MIPS || machine === EM_SPARCV9));
  const relocs: Relocation[] = fast ? [] : parseRelocations(file, r, rela ? "rela" : "rel");
  const entsize = is64 ? (rela ? 24 : 16) : rela ? 12 : 8;
  const count = fast ? Math.floor(r.length / entsize) : relocs.length;
  const dv = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  const le = file.littleEndian;
  const u64parts = (at: number): [number, number] =>
    le
      ? [dv.getUint32(at + 4, true), dv.getUint32(at, true)]
      : [dv.getUint32(at, false), dv.getUint32(at + 4, false)];
  const typeCache = new Map<number, string>();
  const symCache = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const rel: Relocation | undefined = fast ? undefined : relocs[i];
    let line: string;
    let rType: number;
    let symIndex: number;
    // The addend as sign and magnitude in hex.
    let addNeg = false;
    let addHex = "0";
    if (rel) {
      line = `${pad0(rel.r_offset, offDigits)}  ${pad0(rel.r_info, offDigits)} `;
      rType = rel.r_type;
      symIndex = rel.r_sym;
      const a = BigInt.asIntN(64, rel.r_addend);
      addNeg = a < 0n;
      addHex = hex(addNeg ? -a : a);
    } else if (is64) {
      const at = i * entsize;
      const [oh, ol] = u64parts(at);
      const [ih, il] = u64parts(at + 8);
      line = `${hex64(oh, ol, offDigits)}  ${hex64(ih, il, offDigits)} `;
      rType = il;
      symIndex = ih;
      if (rela) {
        let [ah, al] = u64parts(at + 16);
        if (ah & 0x80000000) {
          addNeg = true;
          al = (~al + 1) >>> 0;
          ah = (~ah + (al === 0 ? 1 : 0)) >>> 0;
        }
        addHex = hex64(ah, al, 0);
      }
    } else {
      const at = i * entsize;
      const off = dv.getUint32(at, le);
      const info = dv.getUint32(at + 4, le);
      line = `${hex8(off)}  ${hex8(info)} `;
      rType = info & 0xff;
      symIndex = info >>> 8;
      if (rela) {
        const a = dv.getInt32(at + 8, le);
        addNeg = a < 0;
        addHex = (addNeg ? -a : a).toString(16);
      }
    }
    let typeText = typeCache.get(rType);
    if (typeText === undefined) {
      const name = relocTypeName(machine, rType);
      if (name === undefined) typeText = `unrecognized: ${rType.toString(16).padEnd(7)}`;
      else typeText = wide ? name.padEnd(22) : name.slice(0, 17).padEnd(17);
      typeCache.set(rType, typeText);
    }
    line += typeText;
    const rtype = relocTypeName(machine, rType);
    if (symIndex !== 0) {
      if (symbols === undefined || symIndex >= symbols.length) {
        ctx.error(` bad symbol index: ${symIndex.toString(16).padStart(8, "0")} in reloc`);
      } else {
        const cachedText = symCache.get(symIndex);
        if (cachedText !== undefined) {
          line += cachedText;
        } else {
          const before = line.length;
          const sym = symbols[symIndex]!;
          let version: { name: string; hidden: boolean } | undefined;
          if (isDynsym) {
            if (versionCache.has(symIndex)) version = versionCache.get(symIndex);
            else {
              version = symbolVersion(ctx, dyn, strings, symIndex, sym);
              versionCache.set(symIndex, version);
            }
          }
          const vsuffix = version ? `${version.hidden ? "@" : "@@"}${version.name}` : "";
          line += " ";
          if (symType(sym) === STT_GNU_IFUNC) {
            const width = is64 ? 14 : 8;
            const nm =
              !strings || sym.st_name === 0 || sym.st_name >= strLen ? "??" : cString(strings, sym.st_name);
            const [text, len] = printSymbol(ctx, width, nm);
            line += `${text}${vsuffix}()${" ".repeat(len <= width ? width + 1 - len : 1)}`;
          } else {
            line += pad0(sym.st_value, is64 ? 16 : 8) + (is64 ? " " : "   ");
          }
          if (sym.st_name === 0) {
            let secName = "<null>";
            if (symType(sym) === STT_SECTION) {
              const ndx = sym.shndx;
              if (ndx < shnum && sectionNames) secName = sectionNames(ndx);
              else if (ndx === SHN_ABS) secName = "ABS";
              else if (ndx === SHN_COMMON) secName = "COMMON";
              else if (
                (machine === EM_MIPS && ndx === SHN_MIPS_SCOMMON) ||
                (machine === EM_TI_C6000 && ndx === SHN_TIC6X_SCOMMON)
              )
                secName = "SCOMMON";
              else if (machine === EM_MIPS && ndx === SHN_MIPS_SUNDEFINED) secName = "SUNDEF";
              else if (
                (machine === EM_X86_64 || machine === EM_L1OM || machine === EM_K1OM) &&
                ndx === SHN_X86_64_LCOMMON
              )
                secName = "LARGE_COMMON";
              else secName = `<section 0x${ndx.toString(16)}>`;
            }
            line += printSymbol(ctx, 22, secName)[0];
          } else if (!strings) {
            line += `<string table index: ${String(sym.st_name).padStart(3)}>`;
          } else if (sym.st_name >= strLen) {
            ctx.error(`<corrupt string table index: ${String(sym.st_name).padStart(3)}>`);
          } else {
            line += printSymbol(ctx, 22, cString(strings, sym.st_name))[0] + vsuffix;
          }
          // The symbol's text depends on the symbol alone; the corrupt-name case is not cached so that its
          // error repeats for every entry, as readelf's does.
          if (sym.st_name === 0 || !strings || sym.st_name < strLen)
            symCache.set(symIndex, line.slice(before));
        }
        if (rela) line += addNeg ? ` - ${addHex}` : ` + ${addHex}`;
      }
    } else if (rela) {
      line += (is64 ? SPACES20 : SPACES12) + (addNeg ? `-${addHex}` : addHex);
    }
    if (rel && machine === EM_SPARCV9 && rtype === "R_SPARC_OLO10") {
      line += ` + ${hex(BigInt.asUintN(64, rel.r_info) >> 8n)}`;
    }
    line += "\n";
    if (rel && is64 && machine === EM_MIPS) {
      const t2 = relocTypeName(machine, rel.r_type2);
      const t3 = relocTypeName(machine, rel.r_type3);
      line += `                    Type2: ${t2 === undefined ? `unrecognized: ${rel.r_type2.toString(16).padEnd(7)}` : t2.slice(0, 17).padEnd(17)}`;
      line += `\n                    Type3: ${t3 === undefined ? `unrecognized: ${rel.r_type3.toString(16).padEnd(7)}` : t3.slice(0, 17).padEnd(17)}\n`;
    }
    chunk += line;
    if (chunk.length > 65536) {
      // Hand full chunks straight to the output: holding a whole large table in memory costs more.
      out.push(chunk);
      ctx.out.write(out.join(""));
      out.length = 0;
      chunk = "";
    }
  }
  out.push(chunk);
}

const DYNAMIC_RELOCATIONS: [string, number, number, RelocationKind | undefined][] = [
  ["REL", 17, 18, "rel"],
  ["RELA", 7, 8, "rela"],
  ["RELR", 36, 35, "relr"],
  ["PLT", 23, 2, undefined],
];

/** readelf.c process_relocs (-r), with -D the tables the dynamic section names. */
export function printRelocations(ctx: ReadelfContext): void {
  const file = ctx.file;
  const dyn = readelfDynamic(ctx);
  const out: string[] = [];
  const flush = () => {
    ctx.out.write(out.join(""));
    out.length = 0;
  };
  try {
    if (ctx.opts.useDynamic) {
      let any = false;
      for (const [label, addrTag, sizeTag, kind0] of DYNAMIC_RELOCATIONS) {
        const size = dyn.info(sizeTag);
        const vaddr = dyn.info(addrTag);
        let kind = kind0;
        if (label === "PLT") {
          const pltrel = dyn.info(20);
          kind = pltrel === 17n ? "rel" : pltrel === 7n ? "rela" : undefined;
        }
        if (size === 0n) continue;
        any = true;
        out.push(
          `\n'${label}' relocation section at offset ${hash(vaddr)} contains ${signedDec(size)} bytes:\n`,
        );
        flush();
        const symctx: SymbolContext = { symbols: dyn.symbols, strings: dyn.strings, isDynsym: true };
        dumpRelocations(ctx, offsetFromVma(ctx, vaddr, size), size, symctx, kind, out);
        flush();
      }
      if (!any) out.push("\nThere are no dynamic relocations in this file.\n");
      return;
    }
    let found = false;
    const sections = file.sectionHeaders;
    let names: ReturnType<() => typeof file.sectionNameTable>;
    try {
      names = file.sectionNameTable;
    } catch {
      names = undefined;
    }
    for (const sh of sections) {
      const kind: RelocationKind | undefined =
        sh.sh_type === 4 ? "rela" : sh.sh_type === 9 ? "rel" : sh.sh_type === 19 ? "relr" : undefined;
      if (!kind || sh.sh_size === 0n) continue;
      let label: string;
      if (!names) label = String(sh.sh_name);
      else label = `'${printableSectionName(names.bytes, sh.sh_name)}'`;
      const count = sh.sh_entsize === 0n ? 0n : sh.sh_size / sh.sh_entsize;
      out.push(
        `\nRelocation section ${label} at offset ${hash(sh.sh_offset)} contains ${count} ${count === 1n ? "entry" : "entries"}:\n`,
      );
      if (sh.sh_link !== 0 && sh.sh_link < sections.length) {
        const symsec = sections[sh.sh_link]!;
        if (symsec.sh_type !== SHT_SYMTAB && symsec.sh_type !== SHT_DYNSYM) continue;
        let symbols: ElfSymbol[];
        let strings: Uint8Array | undefined;
        try {
          symbols = file.symbols(symsec);
          if (symsec.sh_link !== 0) {
            if (symsec.sh_link >= sections.length) {
              ctx.error("Bad sh_link in symbol table section");
              continue;
            }
            strings = file.sectionData(sections[symsec.sh_link]!);
          }
        } catch {
          continue;
        }
        flush();
        dumpRelocations(
          ctx,
          sh.sh_offset,
          sh.sh_size,
          { symbols, strings, isDynsym: symsec.sh_type === SHT_DYNSYM },
          kind,
          out,
        );
      } else {
        flush();
        dumpRelocations(
          ctx,
          sh.sh_offset,
          sh.sh_size,
          { symbols: undefined, strings: undefined, isDynsym: false },
          kind,
          out,
        );
      }
      found = true;
    }
    if (!found) {
      const anyDynamic = DYNAMIC_RELOCATIONS.some(([, , sizeTag]) => dyn.info(sizeTag) !== 0n);
      out.push(
        anyDynamic
          ? "\nThere are no static relocations in this file.\nTo see the dynamic relocations add --use-dynamic to the command line.\n"
          : "\nThere are no relocations in this file.\n",
      );
    }
  } finally {
    flush();
  }
}

/** printf("%#lx"): 0 prints as "0". */
function hash(v: bigint): string {
  return v === 0n ? "0" : `0x${v.toString(16)}`;
}

function signedDec(v: bigint): string {
  return BigInt.asIntN(64, v).toString();
}

/** printable_section_name: control characters as ^X, other unprintable bytes as <XX>, 256 chars at most. */
export function printableSectionName(names: Uint8Array, offset: number): string {
  if (offset >= names.length) return "<corrupt>";
  let end = names.indexOf(0, offset);
  if (end < 0) end = names.length;
  return printableName(latin1(names, offset, end));
}
