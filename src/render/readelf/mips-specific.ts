import { type DataReader, type ElfFile, type ElfSymbol, EM_MIPS } from "../../elf/index.js";
import { type AttrOut, mipsFpAbiText } from "./arch-specific.js";
import { type ReadelfContext, readableSections } from "./context.js";
import { cString, offsetFromVma, readelfDynamic } from "./dynamic.js";
import { printSymbol } from "./notes.js";
import { getData } from "./symbols.js";

// readelf.c process_mips_specific, after the GNU attribute section: .MIPS.abiflags, then (from the
// dynamic section) .liblist, .MIPS.options, .conflict, the primary GOT and the PLT GOT; or the static
// GOT for objects without a dynamic section. Format facts from include/elf/mips.h.

const DT_PLTRELSZ = 2n;
const DT_PLTGOT = 3n;
const DT_RELA = 7n;
const DT_PLTREL = 20n;
const DT_JMPREL = 23n;
const DT_MIPS_CONFLICT = 0x70000008n;
const DT_MIPS_LIBLIST = 0x70000009n;
const DT_MIPS_LOCAL_GOTNO = 0x7000000an;
const DT_MIPS_CONFLICTNO = 0x7000000bn;
const DT_MIPS_LIBLISTNO = 0x70000010n;
const DT_MIPS_SYMTABNO = 0x70000011n;
const DT_MIPS_GOTSYM = 0x70000013n;
const DT_MIPS_OPTIONS = 0x70000029n;
const DT_MIPS_PLTGOT = 0x70000032n;
const SHT_MIPS_OPTIONS = 0x7000000d;

/** Elf_External_ABIFlags_v0 is 24 bytes; readelf insists on exactly that size. */
const ABIFLAGS_SIZE = 24n;

/** print_mips_ases: AFL_ASE_* bits in readelf's (not numeric) order. */
const ASES: [number, string][] = [
  [0x1, "DSP ASE"],
  [0x2, "DSP R2 ASE"],
  [0x2000, "DSP R3 ASE"],
  [0x4, "Enhanced VA Scheme"],
  [0x8, "MCU (MicroController) ASE"],
  [0x10, "MDMX ASE"],
  [0x20, "MIPS-3D ASE"],
  [0x40, "MT ASE"],
  [0x80, "SmartMIPS ASE"],
  [0x100, "VZ ASE"],
  [0x200, "MSA ASE"],
  [0x400, "MIPS16 ASE"],
  [0x800, "MICROMIPS ASE"],
  [0x1000, "XPA ASE"],
  [0x4000, "MIPS16e2 ASE"],
  [0x8000, "CRC ASE"],
  [0x20000, "GINV ASE"],
  [0x40000, "Loongson MMI ASE"],
  [0x80000, "Loongson CAM ASE"],
  [0x100000, "Loongson EXT ASE"],
  [0x200000, "Loongson EXT2 ASE"],
];
const AFL_ASE_MASK = 0x003effff;

/** print_mips_isa_ext: AFL_EXT_* values. */
const ISA_EXT: Record<number, string> = {
  0: "None",
  1: "RMI XLR",
  19: "Cavium Networks Octeon3",
  2: "Cavium Networks Octeon2",
  3: "Cavium Networks OcteonP",
  5: "Cavium Networks Octeon",
  6: "Toshiba R5900",
  7: "MIPS R4650",
  8: "LSI R4010",
  9: "NEC VR4100",
  10: "Toshiba R3900",
  11: "MIPS R10000",
  12: "Broadcom SB-1",
  13: "NEC VR4111/VR4181",
  14: "NEC VR4120",
  15: "NEC VR5400",
  16: "NEC VR5500",
  17: "ST Microelectronics Loongson 2E",
  18: "ST Microelectronics Loongson 2F",
  20: "Imagination interAptiv MR2",
};

/** get_mips_reg_size: AFL_REG_NONE/32/64/128. */
const regSize = (v: number): number => [0, 32, 64, 128][v] ?? -1;

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, "0");

/** print_vma(LONG_HEX): zero-padded to the class's address width. */
function longHex(file: ElfFile, v: bigint): string {
  return file.is64
    ? BigInt.asUintN(64, v).toString(16).padStart(16, "0")
    : BigInt.asUintN(32, v).toString(16).padStart(8, "0");
}

/** print_vma(FULL_HEX): "0x" then the padded value. */
const fullHex = (file: ElfFile, v: bigint): string => `0x${longHex(file, v)}`;

/** get_symbol_type, for MIPS (no processor-specific names). */
function symbolType(file: ElfFile, type: number): string {
  const names = ["NOTYPE", "OBJECT", "FUNC", "SECTION", "FILE", "COMMON", "TLS", undefined, "RELC", "SRELC"];
  const n = names[type];
  if (n) return n;
  if (type >= 13 && type <= 15) return `<processor specific>: ${type}`;
  if (type >= 10 && type <= 12) {
    const osabi = file.header.ei_osabi;
    if (type === 10 && (osabi === 3 || osabi === 9)) return "IFUNC";
    return `<OS specific>: ${type}`;
  }
  return `<unknown>: ${type}`;
}

/** get_symbol_index_type, for MIPS (SCOM and SUND are its reserved indexes). */
function symbolIndexType(shnum: number, type: number): string {
  if (type === 0) return "UND";
  if (type === 0xfff1) return "ABS";
  if (type === 0xfff2) return "COM";
  if (type === 0xff03) return "SCOM";
  if (type === 0xff04) return "SUND";
  const hex4 = (t: number) => (t & 0xffff).toString(16).padStart(4, "0");
  if (type >= 0xff00 && type <= 0xff1f) return `PRC[0x${hex4(type)}]`;
  if (type >= 0xff20 && type <= 0xff3f) return `OS [0x${hex4(type)}]`;
  if (type >= 0xff00 && type <= 0xffff) return `RSV[0x${hex4(type)}]`;
  if (shnum !== 0 && type >= shnum) return `bad section index[${String(type).padStart(3)}]`;
  return String(type).padStart(3);
}

/**
 * The .MIPS.abiflags block (Elf_External_ABIFlags_v0), from its blank first line to its last newline;
 * objdump -p prints the same text after the private flags.
 */
export function mipsAbiFlagsText(r: DataReader): string {
  const isaLevel = r.u8(2);
  const isaRev = r.u8(3);
  const fpAbi = r.u8(7);
  const isaExt = r.u32(8);
  const ases = r.u32(12);
  let s = `\nMIPS ABI Flags Version: ${r.u16(0)}\n\nISA: MIPS${isaLevel}`;
  if (isaRev > 1) s += `r${isaRev}`;
  s += `\nGPR size: ${regSize(r.u8(4))}\nCPR1 size: ${regSize(r.u8(5))}\nCPR2 size: ${regSize(r.u8(6))}`;
  s += `\nFP ABI: ${mipsFpAbiText(fpAbi)}\n`;
  s += `ISA Extension: ${ISA_EXT[isaExt] ?? `Unknown (${isaExt | 0})`}\nASEs:`;
  for (const [bit, text] of ASES) if (ases & bit) s += `\n\t${text}`;
  if (ases === 0) s += "\n\tNone";
  else if ((ases & ~AFL_ASE_MASK) !== 0) s += `\n\tUnknown (${((ases & ~AFL_ASE_MASK) >>> 0).toString(16)})`;
  s += `\nFLAGS 1: ${hex8(r.u32(16))}\nFLAGS 2: ${hex8(r.u32(20))}\n`;
  return s;
}

/** Everything process_mips_specific reads from the dynamic array (last value of each tag wins). */
interface MipsDyn {
  liblistOffset: bigint;
  liblistno: bigint;
  optionsOffset: bigint;
  conflictsOffset: bigint;
  conflictsno: bigint;
  pltgot: bigint;
  mipsPltgot: bigint;
  localGotno: bigint;
  gotsym: bigint;
  symtabno: bigint;
  pltrel: bigint;
  pltrelsz: bigint;
  jmprel: bigint;
}

/** The rest of process_mips_specific, after process_attributes has printed the GNU attributes. */
export function mipsSpecific(o: AttrOut): boolean {
  const ctx = o.ctx;
  const file = ctx.file;
  // Messages go through `o` so that pending stdout text comes out first, as readelf's warn() flushes.
  const mctx: ReadelfContext = { ...ctx, warn: (m) => o.warn(m), error: (m) => o.error(m) };
  let res = true;
  const { sections, names } = readableSections(file);
  const findSection = (name: string) =>
    names ? sections.find((s) => names.get(s.sh_name) === name) : undefined;
  const err = (m: string) => o.error(m);

  const abi = findSection(".MIPS.abiflags");
  if (abi) {
    if (abi.sh_size !== ABIFLAGS_SIZE) {
      o.error("Corrupt MIPS ABI Flags section.");
      res = false;
    } else {
      const data = getData(file, abi.sh_offset, abi.sh_size, "MIPS ABI Flags section", err);
      if (data) {
        o.put(mipsAbiFlagsText(file.readerOver(data, "MIPS ABI Flags section", Number(abi.sh_offset))));
      }
    }
  }

  const dyn = readelfDynamic(mctx);
  if (dyn.entries.length === 0) {
    staticGot(o, findSection(".got"));
    return res;
  }

  const d: MipsDyn = {
    liblistOffset: 0n,
    liblistno: 0n,
    optionsOffset: 0n,
    conflictsOffset: 0n,
    conflictsno: 0n,
    pltgot: 0n,
    mipsPltgot: 0n,
    localGotno: 0n,
    gotsym: 0n,
    symtabno: 0n,
    pltrel: 0n,
    pltrelsz: 0n,
    jmprel: 0n,
  };
  for (const e of dyn.entries) {
    if (e.d_tag === 0n) break;
    switch (e.d_tag) {
      case DT_MIPS_LIBLIST:
        d.liblistOffset = offsetFromVma(mctx, e.d_val, d.liblistno * 20n);
        break;
      case DT_MIPS_LIBLISTNO:
        d.liblistno = e.d_val;
        break;
      case DT_MIPS_OPTIONS:
        d.optionsOffset = offsetFromVma(mctx, e.d_val, 0n);
        break;
      case DT_MIPS_CONFLICT:
        d.conflictsOffset = offsetFromVma(mctx, e.d_val, d.conflictsno * 4n);
        break;
      case DT_MIPS_CONFLICTNO:
        d.conflictsno = e.d_val;
        break;
      case DT_PLTGOT:
        d.pltgot = e.d_val;
        break;
      case DT_MIPS_LOCAL_GOTNO:
        d.localGotno = e.d_val;
        break;
      case DT_MIPS_GOTSYM:
        d.gotsym = e.d_val;
        break;
      case DT_MIPS_SYMTABNO:
        d.symtabno = e.d_val;
        break;
      case DT_MIPS_PLTGOT:
        d.mipsPltgot = e.d_val;
        break;
      case DT_PLTREL:
        d.pltrel = e.d_val;
        break;
      case DT_PLTRELSZ:
        d.pltrelsz = e.d_val;
        break;
      case DT_JMPREL:
        d.jmprel = e.d_val;
        break;
    }
  }
  const strings = dyn.strings;
  const dynName = (st_name: number, corruptWidth: number, width: number): string => {
    if (strings && st_name < strings.length) {
      let name = cString(strings, st_name);
      if (ctx.opts.demangle && name.startsWith("_Z")) {
        const out = ctx.demangle(name);
        if (out !== name.slice(1)) name = out;
      }
      return printSymbol(name, width, ctx.opts.wide, ctx.opts.silentTruncation).text;
    }
    return `<corrupt: ${String(st_name).padStart(corruptWidth)}>`;
  };

  if (d.liblistOffset !== 0n && d.liblistno !== 0n && ctx.opts.dynamic) {
    if (!liblist(o, d, dynName)) res = false;
  }
  if (d.optionsOffset !== 0n) {
    const r = options(o, d.optionsOffset, sections, names);
    if (r === "stop") return false;
    if (!r) res = false;
  }
  if (d.conflictsOffset !== 0n && d.conflictsno !== 0n) {
    if (!conflicts(o, d, dyn.symbols, dynName)) return false;
  }
  if (d.pltgot !== 0n && d.localGotno !== 0n) {
    if (!primaryGot(o, mctx, d, dyn.symbols, dynName)) return false;
  }
  if (d.mipsPltgot !== 0n && d.jmprel !== 0n && d.pltrel !== 0n && d.pltrelsz !== 0n) {
    if (!pltGot(o, mctx, d, dyn.symbols, dynName)) return false;
  }
  return res;
}

type DynName = (st_name: number, corruptWidth: number, width: number) => string;

/** print_mips_got_entry: Address, Access and Initial of the entry at addr; -1n after a truncated entry. */
function gotEntry(
  o: AttrOut,
  data: Uint8Array | undefined,
  pltgot: bigint,
  addr: bigint,
): { text: string; next: bigint } {
  const file = o.ctx.file;
  const size = file.is64 ? 8 : 4;
  let s = `  ${longHex(file, addr)} `;
  if (addr < pltgot + 0xfff0n)
    s += `${String(Number(BigInt.asIntN(32, addr - pltgot - 0x7ff0n))).padStart(6)}(gp)`;
  else s += " ".repeat(10);
  s += " ";
  if (!data) return { text: s + "<unknown>".padStart(size * 2), next: addr + BigInt(size) };
  const from = addr - pltgot;
  if (from + BigInt(size) > BigInt(data.length)) {
    o.put(s);
    o.warn("MIPS GOT entry extends beyond the end of available data");
    return { text: "<corrupt>".padStart(size * 2), next: -1n };
  }
  const r = file.readerOver(data, "Global Offset Table data");
  const v = file.is64 ? r.u64(Number(from)) : BigInt(r.u32(Number(from)));
  return { text: s + longHex(file, v), next: addr + BigInt(size) };
}

/** The GOT word at `addr` when it lies wholly inside data. */
function gotWord(
  file: ElfFile,
  data: Uint8Array | undefined,
  pltgot: bigint,
  addr: bigint,
): bigint | undefined {
  const size = file.is64 ? 8 : 4;
  if (!data || addr - pltgot + BigInt(size) > BigInt(data.length)) return undefined;
  const r = file.readerOver(data, "Global Offset Table data");
  return file.is64 ? r.u64(Number(addr - pltgot)) : BigInt(r.u32(Number(addr - pltgot)));
}

/** The "Static GOT" half of process_mips_specific, for objects without a dynamic section. */
function staticGot(
  o: AttrOut,
  sect: { sh_addr: bigint; sh_size: bigint; sh_offset: bigint } | undefined,
): void {
  if (!sect) return;
  const file = o.ctx.file;
  const size = file.is64 ? 8 : 4;
  const pltgot = sect.sh_addr;
  const end = pltgot + sect.sh_size;
  const data = getData(file, sect.sh_offset, sect.sh_size, "Global Offset Table data", (m) => o.error(m));
  let ent = pltgot;
  o.put(`\nStatic GOT:\n Canonical gp value: ${longHex(file, ent + 0x7ff0n)}\n\n`);
  const head = `  ${"Address".padStart(size * 2)} ${"Access".padStart(10)} ${"Value".padStart(size * 2)}\n`;
  if (gotWord(file, data, pltgot, ent) === 0n) {
    o.put(` Reserved entries:\n${head}`);
    const e = gotEntry(o, data, pltgot, ent);
    o.put(`${e.text}\n`);
    ent = e.next;
    if (ent === -1n) return;
    const w = gotWord(file, data, pltgot, ent);
    if (w !== undefined && w >> BigInt(size * 8 - 1) !== 0n) {
      const e2 = gotEntry(o, data, pltgot, ent);
      o.put(`${e2.text}\n`);
      ent = e2.next;
      if (ent === -1n) return;
    }
    o.put("\n");
  }
  if (data && ent < end) {
    o.put(` Local entries:\n${head}`);
    while (ent < end) {
      const e = gotEntry(o, data, pltgot, ent);
      o.put(`${e.text}\n`);
      ent = e.next;
      if (ent === -1n) return;
    }
    o.put("\n");
  }
}

/** The "Primary GOT" table. */
function primaryGot(
  o: AttrOut,
  mctx: ReadelfContext,
  d: MipsDyn,
  symbols: ElfSymbol[] | undefined,
  dynName: DynName,
): boolean {
  const file = o.ctx.file;
  const size = file.is64 ? 8 : 4;
  const sizeN = BigInt(size);
  const pltgot = d.pltgot;
  const mask = (1n << 64n) - 1n;
  const localEnd = (pltgot + d.localGotno * sizeN) & mask;
  if (d.symtabno < d.gotsym) {
    o.error(`The GOT symbol offset (${d.gotsym}) is greater than the symbol table size (${d.symtabno})`);
    return false;
  }
  const globalEnd = (localEnd + (d.symtabno - d.gotsym) * sizeN) & mask;
  if (globalEnd < localEnd) {
    o.error(`Too many GOT symbols: ${d.symtabno}`);
    return false;
  }
  const total = (globalEnd - pltgot) & mask;
  const offset = offsetFromVma(mctx, pltgot, total);
  const data = getData(file, offset, total, "Global Offset Table data", (m) => o.error(m));
  let ent = pltgot;
  const w = size * 2;
  o.put(`\nPrimary GOT:\n Canonical gp value: ${longHex(file, pltgot + 0x7ff0n)}\n\n`);
  o.put(
    ` Reserved entries:\n  ${"Address".padStart(w)} ${"Access".padStart(10)} ${"Initial".padStart(w)} Purpose\n`,
  );
  let e = gotEntry(o, data, pltgot, ent);
  o.put(`${e.text} Lazy resolver\n`);
  ent = e.next;
  if (ent === -1n) return true;
  const w1 = gotWord(file, data, pltgot, ent);
  if (w1 !== undefined && w1 >> BigInt(size * 8 - 1) !== 0n) {
    e = gotEntry(o, data, pltgot, ent);
    o.put(`${e.text} Module pointer (GNU extension)\n`);
    ent = e.next;
    if (ent === -1n) return true;
  }
  o.put("\n");
  if (data && ent < localEnd) {
    o.put(` Local entries:\n  ${"Address".padStart(w)} ${"Access".padStart(10)} ${"Initial".padStart(w)}\n`);
    while (ent < localEnd) {
      e = gotEntry(o, data, pltgot, ent);
      o.put(`${e.text}\n`);
      ent = e.next;
      if (ent === -1n) return true;
    }
    o.put("\n");
  }
  if (data && d.gotsym < d.symtabno) {
    o.put(
      ` Global entries:\n  ${"Address".padStart(w)} ${"Access".padStart(10)} ${"Initial".padStart(w)} ${"Sym.Val.".padStart(w)} ${"Type".padEnd(7)} Ndx Name\n`,
    );
    const symWidth = (file.is64 ? 160 : 80) - 28 - size * 6 - 1;
    const shnum = sectionCount(file);
    // Bounded by the GOT data read above: each entry takes `size` bytes of it.
    for (let i = d.gotsym; i < d.symtabno; i++) {
      e = gotEntry(o, data, pltgot, ent);
      ent = e.next;
      let s = `${e.text} `;
      if (!symbols) s += "<no dynamic symbols>";
      else if (i < BigInt(symbols.length))
        s += symbolColumns(file, shnum, symbols[Number(i)]!, dynName, symWidth);
      else s += `<symbol index ${i} exceeds number of dynamic symbols>`;
      o.put(`${s}\n`);
      if (ent === -1n) break;
    }
    o.put("\n");
  }
  return true;
}

function sectionCount(file: ElfFile): number {
  try {
    return file.sectionCount;
  } catch {
    return 0;
  }
}

/** Sym.Val., Type, Ndx and Name of a GOT or PLT GOT entry's symbol. */
function symbolColumns(
  file: ElfFile,
  shnum: number,
  sym: ElfSymbol,
  dynName: DynName,
  width: number,
): string {
  const type = symbolType(file, sym.st_info & 0xf).padEnd(7);
  return `${longHex(file, sym.st_value)} ${type} ${symbolIndexType(shnum, sym.shndx).padStart(3)} ${dynName(sym.st_name, 14, width)}`;
}

/** The "PLT GOT" table: two reserved words, then one entry per DT_JMPREL relocation. */
function pltGot(
  o: AttrOut,
  mctx: ReadelfContext,
  d: MipsDyn,
  symbols: ElfSymbol[] | undefined,
  dynName: DynName,
): boolean {
  const file = o.ctx.file;
  const size = file.is64 ? 8 : 4;
  const sizeN = BigInt(size);
  const relOffset = offsetFromVma(mctx, d.jmprel, d.pltrelsz);
  const rela = d.pltrel === DT_RELA;
  const relSize = (file.is64 ? 16n : 8n) + (rela ? sizeN : 0n);
  const relData = getData(
    file,
    relOffset,
    d.pltrelsz,
    `${file.is64 ? "64" : "32"}-bit relocation data`,
    (m) => o.error(m),
  );
  if (!relData) return false;
  const count = d.pltrelsz / relSize;
  const rr = file.readerOver(relData, "relocation data", Number(relOffset));
  const end = d.mipsPltgot + (2n + count) * sizeN;
  const offset = offsetFromVma(mctx, d.mipsPltgot, end - d.mipsPltgot);
  const data = getData(file, offset, end - d.mipsPltgot, "Procedure Linkage Table data", (m) => o.error(m));
  if (!data) return false;
  const r = file.readerOver(data, "Procedure Linkage Table data", Number(offset));
  const w = size * 2;
  let at = 0;
  let ent = d.mipsPltgot;
  const entry = (): string => {
    const v = file.is64 ? r.u64(at) : BigInt(r.u32(at));
    const s = `  ${longHex(file, ent)} ${longHex(file, v)}`;
    at += size;
    ent += sizeN;
    return s;
  };
  let s = `\nPLT GOT:\n\n Reserved entries:\n  ${"Address".padStart(w)} ${"Initial".padStart(w)} Purpose\n`;
  s += `${entry()} PLT lazy resolver\n`;
  s += `${entry()} Module pointer\n\n`;
  s += ` Entries:\n  ${"Address".padStart(w)} ${"Initial".padStart(w)} ${"Sym.Val.".padStart(w)} ${"Type".padEnd(7)} Ndx Name\n`;
  o.put(s);
  const symWidth = (file.is64 ? 160 : 80) - 17 - size * 6 - 1;
  const shnum = sectionCount(file);
  const n = symbols?.length ?? 0;
  for (let i = 0n; i < count; i++) {
    // get_reloc_symindex: r_info's symbol field, which on MIPS64 is the first word of r_info either way.
    const infoAt = Number(i * relSize) + size;
    const idx = file.is64 ? BigInt(rr.u32(infoAt)) : BigInt(rr.u32(infoAt) >>> 8);
    let line = `${entry()} `;
    if (idx >= BigInt(n)) line += `<corrupt symbol index: ${idx}>`;
    else line += symbolColumns(file, shnum, symbols![Number(idx)]!, dynName, symWidth);
    o.put(`${line}\n`);
  }
  o.put("\n");
  return true;
}

/** Section '.liblist' (printed only with -d). */
function liblist(o: AttrOut, d: MipsDyn, dynName: DynName): boolean {
  const file = o.ctx.file;
  const data = getData(file, d.liblistOffset, d.liblistno * 20n, "liblist section data", (m) => o.error(m));
  if (!data) return false;
  const r = file.readerOver(data, "liblist section data", Number(d.liblistOffset));
  const n = Number(d.liblistno);
  let s = `\nSection '.liblist' contains ${n} ${n === 1 ? "entry" : "entries"}:\n`;
  s += "     Library              Time Stamp          Checksum   Version Flags\n";
  const flagNames: [number, string][] = [
    [1, " EXACT_MATCH"],
    [2, " IGNORE_INT_VER"],
    [4, " REQUIRE_MINOR"],
    [8, " EXPORTS"],
    [16, " DELAY_LOAD"],
    [32, " DELTA"],
  ];
  for (let i = 0; i < n; i++) {
    const at = i * 20;
    const name = r.u32(at);
    const t = new Date(r.u32(at + 4) * 1000);
    const p2 = (x: number) => String(x).padStart(2, "0");
    const time = `${String(t.getUTCFullYear()).padStart(4, "0")}-${p2(t.getUTCMonth() + 1)}-${p2(t.getUTCDate())}T${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}`;
    const checksum = r.u32(at + 8);
    const version = r.u32(at + 12);
    let flags = r.u32(at + 16);
    s += `${String(i).padStart(3)}: ${dynName(name, 9, 20)}`;
    const ck = checksum === 0 ? "0" : `0x${checksum.toString(16)}`;
    s += ` ${time} ${ck.padStart(10)} ${String(version).padEnd(7)}`;
    if (flags === 0) s += " NONE\n";
    else {
      for (const [bit, text] of flagNames) {
        if (flags & bit) {
          s += text;
          flags ^= bit;
        }
      }
      if (flags !== 0) s += ` 0x${(flags >>> 0).toString(16)}`;
      s += "\n";
    }
  }
  o.put(s);
  return true;
}

/** process_mips_fpe_exception. */
function fpe(mask: number): string {
  if (!mask) return "0";
  const parts: string[] = [];
  if (mask & 0x01) parts.push("INEX");
  if (mask & 0x02) parts.push("UFLO");
  if (mask & 0x04) parts.push("OFLO");
  if (mask & 0x08) parts.push("DIV0");
  if (mask & 0x10) parts.push("INVAL");
  return parts.join("|");
}

/** Section '.MIPS.options' through DT_MIPS_OPTIONS; "stop" where readelf returns from the whole view. */
function options(
  o: AttrOut,
  optionsOffset: bigint,
  sections: { sh_type: number; sh_size: bigint; sh_name: number }[],
  names: { get(i: number): string | undefined } | undefined,
): boolean | "stop" {
  const file = o.ctx.file;
  const sect = sections.find((s) => s.sh_type === SHT_MIPS_OPTIONS);
  if (!sect) {
    o.error("No MIPS_OPTIONS header found");
    return "stop";
  }
  if (sect.sh_size < 8n) {
    o.error("The MIPS options section is too small.");
    return "stop";
  }
  const data = getData(file, optionsOffset, sect.sh_size, "options", (m) => o.error(m));
  if (!data) return false;
  const r = file.readerOver(data, "options", Number(optionsOffset));
  const size = data.length;
  let offset = 0;
  let cnt = 0;
  while (offset <= size - 8) {
    const optsize = r.u8(offset + 1);
    if (optsize < 8 || optsize > size - offset) {
      o.error(`Invalid size (${optsize}) for MIPS option`);
      return "stop";
    }
    offset += optsize;
    cnt++;
  }
  const raw = names?.get(sect.sh_name);
  const secName = raw === undefined ? "<corrupt>" : printableSectionNameText(raw);
  let s = `\nSection '${secName}' contains ${cnt} ${cnt === 1 ? "entry" : "entries"}:\n`;
  offset = 0;
  const h8 = (v: number) => hex8(v);
  const alt6 = (v: number) => (v === 0 ? "000000" : `0x${v.toString(16).padStart(4, "0")}`);
  while (cnt-- > 0) {
    const kind = r.u8(offset);
    const osize = r.u8(offset + 1);
    const section = r.u16(offset + 2);
    const info = r.u32(offset + 4);
    let done = false;
    switch (kind) {
      case 0:
        s += ` NULL       ${section} ${info.toString(16)}`;
        break;
      case 1:
        s += " REGINFO    ";
        if (file.header.e_machine === EM_MIPS) {
          if (osize < 8 + 24) {
            s += "<corrupt>\n";
            o.put(s);
            s = "";
            o.error("Truncated MIPS REGINFO option");
            cnt = 0;
            break;
          }
          const b = offset + 8;
          s += `GPR ${h8(r.u32(b))}  GP 0x${r.u32(b + 20).toString(16)}\n`;
          s += `            CPR0 ${h8(r.u32(b + 4))}  CPR1 ${h8(r.u32(b + 8))}  CPR2 ${h8(r.u32(b + 12))}  CPR3 ${h8(r.u32(b + 16))}\n`;
        } else {
          if (osize < 8 + 32) {
            s += "<corrupt>\n";
            o.put(s);
            s = "";
            o.error("Truncated MIPS REGINFO option");
            cnt = 0;
            break;
          }
          const b = offset + 8;
          s += `GPR ${h8(r.u32(b))}  GP 0x${r.u64(b + 24).toString(16)}\n`;
          s += `            CPR0 ${h8(r.u32(b + 8))}  CPR1 ${h8(r.u32(b + 12))}  CPR2 ${h8(r.u32(b + 16))}  CPR3 ${h8(r.u32(b + 20))}\n`;
        }
        offset += osize;
        done = true;
        break;
      case 2:
        s += ` EXCEPTIONS fpe_min(${fpe(info & 0x1f)}) fpe_max(${fpe((info & 0x1f00) >> 8)})`;
        if (info & 0x10000) s += " PAGE0";
        if (info & 0x20000) s += " SMM";
        if (info & 0x40000) s += " FPDBUG";
        if (info & 0x80000) s += " DISMISS";
        break;
      case 3:
        s += " PAD       ";
        if (info & 1) s += " PREFIX";
        if (info & 2) s += " POSTFIX";
        if (info & 4) s += " SYMBOL";
        break;
      case 4:
        s += " HWPATCH   ";
        if (info & 1) s += " R4KEOP";
        if (info & 2) s += " R8KPFETCH";
        if (info & 4) s += " R5KEOP";
        if (info & 8) s += " R5KCVTL";
        break;
      case 5:
        s += " FILL       ";
        break;
      case 6:
        s += " TAGS       ";
        break;
      case 7:
      case 8:
        s += kind === 7 ? " HWAND     " : " HWOR      ";
        if (info & 1) s += " R4KEOP_CHECKED";
        if (info & 2) s += " R4KEOP_CLEAN";
        break;
      case 9:
      case 10:
        s += `${kind === 9 ? " GP_GROUP  " : " IDENT     "}${alt6(info & 0xffff)}  self-contained ${alt6(info >>> 16)}`;
        break;
      default:
        s += ` ${String(kind).padStart(3)} ???     ${section} ${info.toString(16)}`;
    }
    if (done) continue;
    // The option's extra bytes, printable ones as they are, others as octal escapes.
    for (let len = 8; len < osize; len++) {
      const c = offset + len < size ? r.u8(offset + len) : 0;
      s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, "0")}`;
    }
    s += "\n";
    offset += osize;
  }
  o.put(s);
  return true;
}

/** printable_section_name for a name already read: ^X for control bytes, <XX> above 0x7e. */
function printableSectionNameText(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) out += `^${String.fromCharCode((c + 0x40) & 0xff)}`;
    else if (c < 0x7f) out += name[i];
    else out += `<${c.toString(16).toUpperCase().padStart(2, "0")}>`;
  }
  return out;
}

/** Section '.conflict': DT_MIPS_CONFLICT's symbol indexes. */
function conflicts(o: AttrOut, d: MipsDyn, symbols: ElfSymbol[] | undefined, dynName: DynName): boolean {
  const file = o.ctx.file;
  if (!symbols) {
    o.error("conflict list found without a dynamic symbol table");
    return false;
  }
  // readelf's Elf32_Conflict is a host unsigned long: 8 bytes on the 64-bit hosts binutils runs on.
  if (d.conflictsno > BigInt(file.size) / 8n) {
    o.error(`Overlarge number of conflicts detected: ${d.conflictsno.toString(16)}`);
    return false;
  }
  const entSize = file.is64 ? 8n : 4n;
  const data = getData(file, d.conflictsOffset, d.conflictsno * entSize, "conflict", (m) => o.error(m));
  if (!data) return false;
  const r = file.readerOver(data, "conflict", Number(d.conflictsOffset));
  const n = Number(d.conflictsno);
  let s = `\nSection '.conflict' contains ${n} ${n === 1 ? "entry" : "entries"}:\n  Num:    Index       Value  Name\n`;
  for (let i = 0; i < n; i++) {
    const idx = file.is64 ? r.u64(i * 8) : BigInt(r.u32(i * 4));
    s += `${String(i).padStart(5)}: ${String(idx).padStart(8)}  `;
    if (idx >= BigInt(symbols.length)) s += "<corrupt symbol index>";
    else {
      const sym = symbols[Number(idx)]!;
      s += `${fullHex(file, sym.st_value)} ${dynName(sym.st_name, 14, 25)}`;
    }
    s += "\n";
  }
  o.put(s);
  return true;
}
