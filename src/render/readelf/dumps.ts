import {
  ELFCOMPRESS_ZLIB,
  ELFCOMPRESS_ZSTD,
  type ElfFile,
  ET_REL,
  isElfError,
  parseCompressionHeader,
  parseZlibGnuHeader,
  type SectionHeader,
  SHF_COMPRESSED,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
} from "../../elf/index.js";
import type { ReadelfContext } from "./context.js";
import { printableSectionName } from "./notes.js";

/** The CLI passes decompressors here for -z (src/render cannot import node:zlib itself). */
export type DumpContext = ReadelfContext;

const HEX_DUMP = 1;
const RELOC_DUMP = 2;
const STRING_DUMP = 4;

/**
 * readelf.c request_dump: an argument strtoul(arg, 0) reads completely, as a non-negative int, is a
 * section number; anything else is a name.
 */
export function parseDumpRequest(arg: string): number | undefined {
  let i = 0;
  while (i < arg.length && " \t\n\v\f\r".includes(arg[i]!)) i++;
  let neg = false;
  if (arg[i] === "+" || arg[i] === "-") {
    neg = arg[i] === "-";
    i++;
  }
  let base = 10;
  if (arg[i] === "0" && (arg[i + 1] === "x" || arg[i + 1] === "X") && /[0-9a-fA-F]/.test(arg[i + 2] ?? "")) {
    base = 16;
    i += 2;
  } else if (arg[i] === "0") base = 8;
  let value = 0n;
  let digits = 0;
  for (; i < arg.length; i++) {
    const d = Number.parseInt(arg[i]!, 36);
    if (Number.isNaN(d) || d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    if (value > 0xffffffffffffffffn) value = 0xffffffffffffffffn; // strtoul saturates at ULONG_MAX
    digits++;
  }
  if (i < arg.length) return undefined;
  if (digits === 0 && arg.trim().length > 0) return undefined;
  if (neg) value = BigInt.asUintN(64, -value);
  const asInt = Number(BigInt.asIntN(32, value));
  return asInt >= 0 ? asInt : undefined;
}

/** readelf -x/-R/-p: readelf.c process_section_contents. */
export function printSectionDumps(ctx: ReadelfContext): void {
  const { file, opts } = ctx;
  const sections = file.sectionHeaders;
  const flags: number[] = [];
  const byName: [string, number][] = [];
  const request = (list: string[], type: number): void => {
    for (const arg of list) {
      const n = parseDumpRequest(arg);
      if (n === undefined) byName.push([arg, type]);
      else flags[n] = (flags[n] ?? 0) | type;
    }
  };
  // readelf keeps its option list in command-line order per kind: -x, then -p, then -R within
  // its parser; the by-name list is a stack, so its warnings come out last-first.
  request(opts.hexDump, HEX_DUMP);
  request(opts.stringDump, STRING_DUMP);
  request(opts.relocatedDump, RELOC_DUMP);
  for (let k = byName.length - 1; k >= 0; k--) {
    const [name, type] = byName[k]!;
    let any = false;
    for (const sh of sections) {
      if (sectionNameIs(file, sh, name)) {
        flags[sh.index] = (flags[sh.index] ?? 0) | type;
        any = true;
      }
    }
    if (!any) ctx.warn(`Section '${name}' was not dumped because it does not exist`);
  }
  let i = 0;
  for (; i < sections.length && i < flags.length; i++) {
    const f = flags[i] ?? 0;
    if (!f) continue;
    const sh = sections[i]!;
    if (f & HEX_DUMP) dumpAsBytes(ctx, sh, false);
    if (f & RELOC_DUMP) dumpAsBytes(ctx, sh, true);
    if (f & STRING_DUMP) dumpAsStrings(ctx, sh);
  }
  for (; i < flags.length; i++) {
    if (flags[i]) {
      ctx.warn(`Section ${i} was not dumped because it does not exist!`);
      ctx.fail?.(); // a missing section number (unlike a missing name) makes readelf exit 1
    }
  }
}

function sectionNameIs(file: ElfFile, sh: SectionHeader, name: string): boolean {
  try {
    const names = file.sectionNameTable;
    if (!names || sh.sh_name >= names.bytes.length) return false;
    return names.get(sh.sh_name) === name;
  } catch {
    return false;
  }
}

/** get_section_contents: undefined (after readelf's message) when there is nothing to dump. */
function sectionBytes(ctx: ReadelfContext, sh: SectionHeader): Uint8Array | undefined {
  const { file } = ctx;
  if (sh.sh_size === 0n || sh.sh_type === SHT_NOBITS) {
    ctx.out.write(`Section '${printableSectionName(file, sh)}' has no data to dump.\n`);
    return undefined;
  }
  if (sh.sh_offset > BigInt(file.size) || sh.sh_size > BigInt(file.size) - sh.sh_offset) {
    ctx.error(`Reading ${sh.sh_size} bytes extends past end of file for section contents`);
    return undefined;
  }
  return file.read(sh.sh_offset, sh.sh_size, file.describeSection(sh));
}

/** The -z step shared by both dump kinds; undefined after an error message when it fails. */
function maybeDecompress(ctx: DumpContext, sh: SectionHeader, raw: Uint8Array): Uint8Array | undefined {
  if (!ctx.opts.decompress) return raw;
  const { file } = ctx;
  const name = printableSectionName(file, sh);
  let size = 0n;
  let type = ELFCOMPRESS_ZLIB;
  let body = raw;
  if ((sh.sh_flags & SHF_COMPRESSED) !== 0n) {
    const chdr = parseCompressionHeader(raw, file.is64, file.littleEndian);
    if (!chdr) {
      ctx.error("Compressed section is too small even for a compression header");
      return undefined;
    }
    if (chdr.ch_type !== ELFCOMPRESS_ZLIB && chdr.ch_type !== ELFCOMPRESS_ZSTD) {
      ctx.warn(`section '${name}' has unsupported compress type: ${chdr.ch_type}`);
      return undefined;
    }
    type = chdr.ch_type;
    size = chdr.ch_size;
    body = raw.subarray(chdr.headerSize);
  } else {
    const legacy = parseZlibGnuHeader(raw);
    if (legacy !== undefined) {
      size = legacy;
      body = raw.subarray(12);
    }
  }
  if (size === 0n) return raw; // readelf dumps the stored bytes when there is no size to inflate to
  try {
    const d = ctx.decompressors;
    if (!d) throw new Error("no decompressors");
    const limit = BigInt(Math.max(body.length, 1)) * 1000n;
    if (size > 1n << 30n || size > limit) throw new Error("implausible size");
    const n = Number(size);
    const out = type === ELFCOMPRESS_ZSTD ? d.zstd?.(body, n) : d.zlib(body, n);
    if (!out || out.length !== n) throw new Error("short output");
    return out;
  } catch (e) {
    if (isElfError(e) && e.code === "unsupported") {
      ctx.error(`${name}: ${e.message}`);
      return undefined;
    }
    ctx.error(`Unable to decompress section ${name}`);
    return undefined;
  }
}

/** Whether some SHT_REL/SHT_RELA section applies to `sh` (readelf's "NOTE: ... NOT been applied"). */
function hasRelocations(file: ElfFile, sh: SectionHeader): boolean {
  const all = file.sectionHeaders;
  return all.some(
    (r) =>
      (r.sh_type === SHT_RELA || r.sh_type === SHT_REL) &&
      r.sh_info < all.length &&
      r.sh_info === sh.index &&
      r.sh_size !== 0n &&
      r.sh_link < all.length,
  );
}

const HEX = Array.from({ length: 256 }, (_, b) => (b < 16 ? "0" : "") + b.toString(16));
const ASCII = Array.from({ length: 256 }, (_, b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "."));

/** dump_section_as_bytes (-x, and -R with relocate). */
function dumpAsBytes(ctx: DumpContext, sh: SectionHeader, relocate: boolean): void {
  const { file, out } = ctx;
  const raw = sectionBytes(ctx, sh);
  if (!raw) return;
  out.write(`\nHex dump of section '${printableSectionName(file, sh)}':\n`);
  const data = maybeDecompress(ctx, sh, raw);
  if (!data) return;
  let bytes = data;
  if (relocate) {
    if (file.header.e_type === ET_REL) bytes = applyRelocations(ctx, sh, data);
  } else if (hasRelocations(file, sh)) {
    out.write(
      " NOTE: This section has relocations against it, but these have NOT been applied to this dump.\n",
    );
  }
  let addr = sh.sh_addr;
  const chunk: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const n = Math.min(16, bytes.length - at);
    let line = `  0x${BigInt.asUintN(64, addr).toString(16).padStart(8, "0")} `;
    for (let j = 0; j < 16; j++) {
      line += j < n ? HEX[bytes[at + j]!]! : "  ";
      if ((j & 3) === 3) line += " ";
    }
    for (let j = 0; j < n; j++) line += ASCII[bytes[at + j]!]!;
    chunk.push(line, "\n");
    addr += 16n;
    if (chunk.length >= 8192) {
      out.write(chunk.join(""));
      chunk.length = 0;
    }
  }
  chunk.push("\n");
  out.write(chunk.join(""));
}

/**
 * -R on a relocatable file: readelf's apply_relocations. Only plain absolute relocations are applied
 * here (the ones debug and note sections use); others leave their bytes as stored.
 */
function applyRelocations(ctx: ReadelfContext, sh: SectionHeader, data: Uint8Array): Uint8Array {
  const { file } = ctx;
  const all = file.sectionHeaders;
  const copy = data.slice();
  const view = new DataView(copy.buffer);
  for (const rel of all) {
    if ((rel.sh_type !== SHT_RELA && rel.sh_type !== SHT_REL) || rel.sh_info !== sh.index) continue;
    if (rel.sh_size === 0n || rel.sh_link >= all.length) continue;
    const symsec = all[rel.sh_link]!;
    const syms = file.symbols(symsec);
    const isRela = rel.sh_type === SHT_RELA;
    const entsize = file.is64 ? (isRela ? 24 : 16) : isRela ? 12 : 8;
    const r = file.reader(rel.sh_offset, rel.sh_size, file.describeSection(rel));
    const count = Math.floor(Number(rel.sh_size) / entsize);
    for (let i = 0; i < count; i++) {
      const at = i * entsize;
      const off = r.word(at, file.is64);
      const info = r.word(at + (file.is64 ? 8 : 4), file.is64);
      const type = Number(file.is64 ? info & 0xffffffffn : info & 0xffn);
      const symIndex = Number(file.is64 ? info >> 32n : info >> 8n);
      const kind = relocKind(file.header.e_machine, type);
      if (kind === undefined) {
        // readelf warns once per run of the same unsupported type (its prev_reloc is static).
        if (type !== prevUnsupported)
          ctx.warn(
            `unable to apply unsupported reloc type ${type} to section ${printableSectionName(file, sh)}`,
          );
        prevUnsupported = type;
        continue;
      }
      if (kind === 0) continue;
      const size = Math.abs(kind);
      if (off + BigInt(size) > BigInt(copy.length)) {
        ctx.warn(
          `skipping invalid relocation offset 0x${off.toString(16)} in section ${printableSectionName(file, sh)}`,
        );
        continue;
      }
      const o = Number(off);
      const addend = isRela
        ? r.sword(at + (file.is64 ? 16 : 8), file.is64)
        : size === 8
          ? view.getBigUint64(o, file.littleEndian)
          : BigInt(view.getUint32(o, file.littleEndian));
      const pcrel = kind < 0 ? off : 0n;
      const value = (syms[symIndex]?.st_value ?? 0n) + addend - pcrel;
      if (size === 8) view.setBigUint64(o, BigInt.asUintN(64, value), file.littleEndian);
      else view.setUint32(o, Number(BigInt.asUintN(32, value)), file.littleEndian);
    }
  }
  return copy;
}

let prevUnsupported = 0;

/**
 * How readelf's apply_relocations treats a relocation type: its size in bytes (negative for
 * PC-relative), 0 for "none", undefined for unsupported. x86 is complete for what the is_*_reloc
 * tables list; other machines cover their plain absolute types and skip the rest silently.
 */
function relocKind(machine: number, type: number): number | undefined {
  switch (machine) {
    case 62: // EM_X86_64
      return ({ 0: 0, 1: 8, 2: -4, 10: 4, 11: 4, 24: -8 } as Record<number, number>)[type];
    case 3: // EM_386
      return ({ 0: 0, 1: 4, 2: -4 } as Record<number, number>)[type];
    case 183: // EM_AARCH64: ABS64, ABS32
      return type === 257 ? 8 : type === 258 ? 4 : 0;
    case 40: // EM_ARM: R_ARM_ABS32
      return type === 2 ? 4 : 0;
    case 243: // EM_RISCV: R_RISCV_64, R_RISCV_32
      return type === 2 ? 8 : type === 1 ? 4 : 0;
    default:
      return 0;
  }
}

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;

/** dump_section_as_strings (-p). */
function dumpAsStrings(ctx: DumpContext, sh: SectionHeader): void {
  const { file, out } = ctx;
  const raw = sectionBytes(ctx, sh);
  if (!raw) return;
  out.write(`\nString dump of section '${printableSectionName(file, sh)}':\n`);
  const data = maybeDecompress(ctx, sh, raw);
  if (!data) return;
  if (hasRelocations(file, sh))
    out.write(
      "  Note: This section has relocations against it, but these have NOT been applied to this dump.\n",
    );
  const end = data.length;
  const at = (i: number): number => (i < end ? data[i]! : 0);
  const parts: string[] = [];
  let shown = false;
  let continuing = false;
  let p = 0;
  while (p < end) {
    while (!isPrint(at(p))) if (++p >= end) break;
    if (p >= end) break;
    if (continuing) {
      parts.push("            ");
      continuing = false;
    } else {
      parts.push(`  [${p.toString(16).padStart(6)}]  `);
    }
    let s = "";
    let c = 0;
    for (;;) {
      c = at(p++);
      if (c === 0) break;
      if (c === 0x0a) {
        s += "\\n\n";
        if (at(p) !== 0) continuing = true;
        break;
      }
      if (c < 0x20 || c === 0x7f) s += `^${String.fromCharCode((c + 0x40) & 0xff)}`;
      else s += String.fromCharCode(c);
    }
    if (c !== 0x0a) s += "\n";
    parts.push(s);
    shown = true;
    if (parts.length >= 8192) {
      out.write(parts.join(""));
      parts.length = 0;
    }
  }
  if (!shown) parts.push("  No strings found in this section.");
  parts.push("\n");
  out.write(parts.join(""));
}
