// The `objdump -d` / `-D` listing of one ELF file: section headers, symbol labels, the address and raw
// byte columns, zero runs, and `<sym+off>` names; the instruction text comes from the per-architecture
// decoder (x86.ts), loaded only when a file is disassembled. The caller prints objdump's
// `FILE:     file format ...` header; this writes from the first `Disassembly of section` on, one
// section at a time, so a 100 MB .text never sits in memory as text.
import {
  type Decompressors,
  type ElfFile,
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_MIPS,
  EM_RISCV,
  EM_S390,
  EM_X86_64,
  ET_REL,
  relocTypeName,
  type SectionHeader,
  SHF_ALLOC,
  SHF_COMPRESSED,
  SHF_EXECINSTR,
  SHT_DYNSYM,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  sectionContents,
  sectionRelocations,
} from "../elf/index.js";
import { aarch64PltSymbols, isMappingSymbol, mappingAddresses, mappingSymbols } from "./aarch64-symbols.js";
import { clearThumbBits, functionMapping } from "./arm-symbols.js";
import type {
  Decoded,
  InstructionDecoder,
  ListingLayout,
  MappingSymbol,
  RelocationSymbol,
  SectionFacts,
} from "./decoder.js";
import { LineBuffer, latin1String, type Writer } from "./line-buffer.js";
import {
  allMappingAddresses,
  isArmMappingSymbol,
  isRiscvMappingSymbol,
  sectionMappingSymbols,
} from "./mapping-symbols.js";
import { cutPieces, type ListingThreads, listInPieces, type Piece, type PieceListing } from "./pieces.js";
import { lazyPltSymbols } from "./plt-symbols.js";
import {
  type DisasmSymbol,
  disasmSymbols,
  hasSectionRelocations,
  SymbolIndex,
  slotNames,
  withOffset,
} from "./symbols.js";
import type { Symbolizer } from "./x86.js";

export interface DisassembleOptions {
  all: boolean;
  sections: string[];
  symbol?: string;
  start?: bigint;
  stop?: bigint;
  showRaw: boolean;
  showAddresses: boolean;
  wide: boolean;
  zeros: boolean;
  syntax: "att" | "intel";
  suffix: boolean;
  inlineRelocs: boolean;
  inlineDynRelocs: boolean;
  demangle?: (name: string) => string;
  /** For compressed sections (-D of .zdebug_info, SHF_COMPRESSED .debug_*): listed decompressed. */
  decompressors?: Decompressors;
}

/** What `objdump -d` alone asks for. */
export const DISASSEMBLE_DEFAULTS: Readonly<DisassembleOptions> = {
  all: false,
  sections: [],
  showRaw: true,
  showAddresses: true,
  wide: false,
  zeros: false,
  syntax: "att",
  suffix: false,
  inlineRelocs: false,
  inlineDynRelocs: false,
};

/** Raw bytes objdump shows per line for x86 (bfd's x86 disassembler asks for 7). */
const BYTES_PER_LINE = 7;
/** A run of at least this many zero bytes prints as `...` (fewer at the end of a symbol or section). */
const SKIP_ZEROES = 8;
const SKIP_ZEROES_AT_END = 3;

/** The machines objdump -d is reproduced for. */
const DISASSEMBLED = new Set([EM_X86_64, EM_386, EM_AARCH64, EM_ARM, EM_MIPS, EM_RISCV, EM_S390]);

export async function disassemble(
  file: ElfFile,
  fileName: string,
  opts: DisassembleOptions,
  out: Writer,
  err: Writer,
  threads?: ListingThreads,
): Promise<number> {
  const machine = file.header.e_machine;
  if (!DISASSEMBLED.has(machine)) {
    err.write(`objdump: can't disassemble for architecture UNKNOWN!\n\n`);
    void fileName;
    return 1;
  }
  const decoder = await listingDecoder(file, opts);
  try {
    if (threads && sharedListing(file) && selectSections(file, opts).some((sh) => long(sh, threads)))
      threads.helpers();
    const index = listingIndex(file, opts);
    let status = 0;
    const wanted = selectSections(file, opts);
    for (const sh of wanted) {
      if (!sectionInRange(sh, opts)) continue;
      status |= await listSection(file, sh, index, decoder, opts, out, err, threads);
    }
    return status;
  } finally {
    decoder.free();
    threads?.stop();
  }
}

/** The decoder for the file's machine (x86, AArch64, ARM, MIPS, RISC-V, s390x), loaded on first use. */
export async function listingDecoder(file: ElfFile, opts: DisassembleOptions): Promise<InstructionDecoder> {
  if (file.header.e_machine === EM_MIPS) {
    const { mipsDisassembler } = await import("./mips.js");
    return mipsDisassembler({
      showAddresses: opts.showAddresses,
      littleEndian: file.littleEndian,
      is64: file.is64,
    });
  }
  if (file.header.e_machine === EM_S390) {
    const { s390xDisassembler } = await import("./s390x.js");
    return s390xDisassembler({ showAddresses: opts.showAddresses });
  }
  if (file.header.e_machine === EM_ARM) {
    const { armDisassembler } = await import("./arm.js");
    return armDisassembler({ showAddresses: opts.showAddresses });
  }
  if (file.header.e_machine === EM_RISCV) {
    const { riscvDisassembler } = await import("./riscv.js");
    return riscvDisassembler({ showAddresses: opts.showAddresses, globalPointer: globalPointer(file) });
  }
  if (file.header.e_machine === EM_AARCH64) {
    const { aarch64Disassembler } = await import("./aarch64.js");
    return aarch64Disassembler({ showAddresses: opts.showAddresses });
  }
  const { x86Disassembler } = await import("./x86.js");
  return x86Disassembler({
    bits: file.header.e_machine === EM_X86_64 ? 64 : 32,
    syntax: opts.syntax,
    suffix: opts.suffix,
    showAddresses: opts.showAddresses,
  });
}

/** RISC-V's `__global_pointer$` (the linker's gp value), from the symbol table, else the dynamic one. */
function globalPointer(file: ElfFile): bigint | undefined {
  for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
    const table = file.sectionHeaders.find((s) => s.sh_type === type && s.sh_size > 0n);
    const sym = table && file.symbols(table).find((s) => s.name === "__global_pointer$");
    if (sym) return sym.st_value;
  }
  return undefined;
}

/** The symbols that label the listing and name addresses in it. */
export function listingIndex(file: ElfFile, opts: DisassembleOptions): SymbolIndex {
  const machine = file.header.e_machine;
  let symbols = disasmSymbols(
    file,
    opts.demangle,
    machine === EM_AARCH64 ? isMappingSymbol : foreignMapping(machine),
  );
  if (machine === EM_AARCH64) symbols = [...symbols, ...aarch64PltSymbols(file, opts.demangle)];
  // RISC-V's lazy PLT has AArch64's shape (a 32-byte PLT0, 16-byte stubs in .rela.plt's order).
  if (file.header.e_machine === EM_RISCV) symbols = [...symbols, ...aarch64PltSymbols(file, opts.demangle)];
  // ARM: labels at Thumb functions' even addresses; ld.bfd's PLT has a 20-byte header and 12-byte stubs.
  if (file.header.e_machine === EM_ARM)
    symbols = [...clearThumbBits(file, symbols), ...lazyPltSymbols(file, 20n, 12n, opts.demangle, true)];
  // s390x's: a 32-byte header and 32-byte stubs.
  if (file.header.e_machine === EM_S390)
    symbols = [...symbols, ...lazyPltSymbols(file, 32n, 32n, opts.demangle)];
  const ranges = new Map<number, [bigint, bigint]>();
  const names = new Map<number, string>();
  for (const sh of file.sectionHeaders) {
    if (sh.sh_addr !== 0n || sh.sh_size !== 0n) ranges.set(sh.index, [sh.sh_addr, sh.sh_addr + sh.sh_size]);
    names.set(sh.index, file.sectionName(sh) ?? "");
  }
  return new SymbolIndex(symbols, {
    slots: slotNames(file, opts.demangle),
    sectionRanges: ranges,
    sectionLocal: hasSectionRelocations(file),
    sectionNames: names,
  });
}

function selectSections(file: ElfFile, opts: DisassembleOptions): SectionHeader[] {
  const sections = file.sectionHeaders;
  const symtabStrings = new Set(sections.filter((s) => s.sh_type === SHT_SYMTAB).map((s) => s.sh_link));
  const out: SectionHeader[] = [];
  for (const sh of sections) {
    if (sh.sh_type === SHT_NULL || sh.sh_size === 0n) continue;
    // Observed: -D (or -j) lists .bss too, as the zeros it holds in memory: its labels and `...`.
    if (sh.sh_type === SHT_NOBITS && !opts.all && opts.sections.length === 0) continue;
    const name = file.sectionName(sh) ?? "";
    if (opts.sections.length > 0 && !opts.sections.includes(name)) continue;
    // A section named with -j is disassembled whatever its flags, as objdump does.
    if (!opts.all && opts.sections.length === 0) {
      if ((sh.sh_flags & SHF_EXECINSTR) === 0n) continue;
    } else {
      // Sections bfd keeps to itself: the symbol table and its strings, the section names, and the
      // relocations of a relocatable file's sections.
      if (sh.sh_type === SHT_SYMTAB) continue;
      if (sh.sh_type === SHT_STRTAB && (sh.index === file.shstrndx || symtabStrings.has(sh.index))) continue;
      if ((sh.sh_type === SHT_RELA || sh.sh_type === SHT_REL) && (sh.sh_flags & SHF_ALLOC) === 0n) continue;
    }
    out.push(sh);
  }
  return out;
}

function sectionInRange(sh: SectionHeader, opts: DisassembleOptions): boolean {
  const end = sh.sh_addr + sh.sh_size;
  if (opts.start !== undefined && end <= opts.start) return false;
  if (opts.stop !== undefined && sh.sh_addr >= opts.stop) return false;
  return true;
}

const hex = (v: bigint): string => v.toString(16);

interface InlineReloc {
  offset: bigint;
  text: string;
}

/**
 * -d -r on a relocatable file: the relocations against section `sh`, by offset, each as objdump prints
 * it under its instruction: `OFFSET: TYPE\tSYMBOL+ADDEND` (a section symbol by its section's name).
 */
function inlineRelocations(file: ElfFile, sh: SectionHeader): InlineReloc[] {
  // A relocatable file's relocations, and a linked file's kept by --emit-relocs (against .symtab; the
  // dynamic ones are -R's). A linked file's r_offset is an address.
  const linked = file.header.e_type !== ET_REL;
  const table = file.sectionHeaders.find((s) => s.sh_type === SHT_SYMTAB);
  if (linked && !table) return [];
  const out: InlineReloc[] = [];
  for (const rs of file.sectionHeaders) {
    if ((rs.sh_type !== SHT_RELA && rs.sh_type !== SHT_REL) || rs.sh_info !== sh.index) continue;
    if (linked && rs.sh_link !== table?.index) continue;
    const symtab = rs.sh_link > 0 && rs.sh_link < file.sectionCount ? file.section(rs.sh_link) : undefined;
    const syms = symtab ? file.symbols(symtab) : [];
    for (const r of sectionRelocations(file, rs)) {
      const sym = syms[r.r_sym];
      let name = "*ABS*";
      if (sym && r.r_sym !== 0)
        name =
          (sym.st_info & 0xf) === 3 // STT_SECTION
            ? (file.sectionName(file.section(sym.shndx)) ?? "")
            : (sym.name ?? "");
      const type = relocTypeName(file.header.e_machine, r.r_type) ?? `*unknown*`;
      const addend =
        rs.sh_type !== SHT_RELA || r.r_addend === 0n
          ? ""
          : r.r_addend < 0n
            ? `-0x${hex(-r.r_addend)}`
            : `+0x${hex(r.r_addend)}`;
      const offset = linked ? r.r_offset - sh.sh_addr : r.r_offset;
      out.push({ offset, text: `${hex(r.r_offset)}: ${type}\t${name}${addend}` });
    }
  }
  return out.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}

/** The width of the address column: the section's end address without the leading zero nibbles, kept in fours. */
function addressWidth(end: bigint): number {
  const digits = end.toString(16).padStart(16, "0");
  let zeros = 0;
  while (zeros < digits.length && digits[zeros] === "0") zeros++;
  const skip = zeros > 0 ? (zeros - 1) & ~3 : 0;
  return 16 - skip;
}

/** What the listing of one section needs, made the same way in the main thread and in a helper. */
export interface SectionListing {
  file: ElfFile;
  sh: SectionHeader;
  name: string;
  data: Uint8Array;
  start: bigint;
  /** One label per address: the preferred symbol (sorted first among ties). */
  stops: DisasmSymbol[];
  stopOffsets: number[];
  width: number;
  labelDigits: number;
  symbolize: Symbolizer;
  relocs: InlineReloc[];
  /** What the decoder is told of the section (decoder.ts). */
  facts: SectionFacts;
  opts: DisassembleOptions;
}

/** The section's symbol (not a section symbol) nearest at or before `at`, else the first after it. */
function sectionNearest(index: SymbolIndex, section: number, at: bigint): DisasmSymbol | undefined {
  let before: DisasmSymbol | undefined;
  let after: DisasmSymbol | undefined;
  for (const s of index.sorted) {
    if (s.section !== section || s.sectionSymbol || s.synthetic) continue;
    if (s.address <= at) before = s;
    else if (!after) after = s;
  }
  return before ?? after;
}

/**
 * A NOBITS section's bytes: zeros. Past 4 MiB (a damaged header can claim any size, and the buffer is
 * real memory) the listing stops at that much: a known limit for a larger .bss.
 */
function zeroFill(size: bigint): Uint8Array {
  return new Uint8Array(Number(size < NOBITS_LISTED ? size : NOBITS_LISTED));
}
const NOBITS_LISTED = 4n << 20n;

export function sectionListing(
  file: ElfFile,
  sh: SectionHeader,
  index: SymbolIndex,
  opts: DisassembleOptions,
): SectionListing {
  // Observed: a compressed section is listed as what it decompresses to, under its own name.
  const data =
    sh.sh_type === SHT_NOBITS
      ? zeroFill(sh.sh_size)
      : opts.decompressors
        ? sectionContents(file, sh, opts.decompressors)
        : file.sectionData(sh);
  const start = sh.sh_addr;
  const end = start + BigInt(data.length);
  if (BigInt(data.length) !== sh.sh_size && sh.sh_type !== SHT_NOBITS)
    index.resizeSection(sh.index, start, end);
  const labels = index.sorted.filter((s) => s.section === sh.index && s.address >= start && s.address < end);
  const stops: DisasmSymbol[] = [];
  for (const s of labels)
    if (stops.length === 0 || (stops[stops.length - 1] as DisasmSymbol).address !== s.address) stops.push(s);
  return {
    file,
    sh,
    name: file.sectionName(sh) ?? "",
    data,
    start,
    stops,
    stopOffsets: stops.map((s) => Number(s.address - start)),
    width: addressWidth(end),
    labelDigits: file.is64 ? 16 : 8,
    symbolize: (address: bigint): string => index.describe(address, sh.index),
    relocs: opts.inlineRelocs ? inlineRelocations(file, sh) : [],
    facts: sectionFacts(file, sh, stops, opts),
    opts,
  };
}

function sectionFacts(
  file: ElfFile,
  sh: SectionHeader,
  stops: DisasmSymbol[],
  opts: DisassembleOptions,
): SectionFacts {
  const code = (sh.sh_flags & SHF_EXECINSTR) !== 0n;
  const machine = file.header.e_machine;
  const foreign = foreignMapping(machine);
  if (machine !== EM_AARCH64 && !foreign)
    return { mapping: [], mappingBounds: [], code, relocated: new Set() };
  // Observed: a mapping symbol at the section's first address counts only when a symbol labels that
  // address too (objdump looks for mapping symbols after the symbol it starts from; on AArch64).
  // Observed: -D decodes everything as instructions, `$d` or not.
  let mapping: MappingSymbol[] = opts.all
    ? []
    : foreign
      ? sectionMappingSymbols(file, sh.index, foreign)
      : mappingSymbols(file, sh.index);
  if (!foreign && (stops.length === 0 || (stops[0] as DisasmSymbol).address !== sh.sh_addr))
    mapping = mapping.filter((m) => m.offset !== 0);
  // Observed: ARM's -D still follows `$a`/`$t`, and decodes what `$d` marks as ARM code.
  if (machine === EM_ARM && opts.all)
    mapping = sectionMappingSymbols(file, sh.index, isArmMappingSymbol).map((m) =>
      m.data ? { offset: m.offset, data: false, thumb: false } : m,
    );
  // ARM without mapping symbols in the section (a stripped library): the functions' Thumb bits.
  if (machine === EM_ARM && mapping.length === 0) mapping = functionMapping(file, stops, sh.sh_addr);
  const relocated = new Set(inlineRelocations(file, sh).map((r) => Number(r.offset - sh.sh_addr)));
  const relocationSymbols =
    machine === EM_ARM || machine === EM_AARCH64 ? relocationTargets(file, sh) : undefined;

  const end = sh.sh_addr + sh.sh_size;
  const mappingBounds = (foreign ? allMappingAddresses(file, foreign) : mappingAddresses(file))
    .filter((a) => a > sh.sh_addr && a <= end)
    .map((a) => Number(a - sh.sh_addr));
  return { mapping, mappingBounds, code, relocated, relocationSymbols };
}

/** A relocatable file's relocations against `sh`, by offset in it: the symbol each names. */
function relocationTargets(file: ElfFile, sh: SectionHeader): Map<number, RelocationSymbol> {
  const out = new Map<number, RelocationSymbol>();
  if (file.header.e_type !== ET_REL) return out;
  for (const rs of file.sectionHeaders) {
    if ((rs.sh_type !== SHT_RELA && rs.sh_type !== SHT_REL) || rs.sh_info !== sh.index) continue;
    const syms =
      rs.sh_link > 0 && rs.sh_link < file.sectionCount ? file.symbols(file.section(rs.sh_link)) : [];
    for (const r of sectionRelocations(file, rs)) {
      const sym = syms[r.r_sym];
      if (!sym || r.r_sym === 0) continue;
      const name =
        (sym.st_info & 0xf) === 3 ? (file.sectionName(file.section(sym.shndx)) ?? "") : (sym.name ?? "");
      out.set(Number(r.r_offset - sh.sh_addr), { name, value: sym.st_value & ~1n, defined: sym.shndx !== 0 });
    }
  }
  return out;
}

/** The mapping-symbol test of the machines whose decoders follow mapping symbols (AArch64's is its own). */
function foreignMapping(machine: number): ((name: string) => boolean) | undefined {
  return machine === EM_RISCV ? isRiscvMappingSymbol : machine === EM_ARM ? isArmMappingSymbol : undefined;
}

/** The mapping symbols of a section, whichever machine's they are. */
function sectionMapping(file: ElfFile, section: number): MappingSymbol[] {
  const foreign = foreignMapping(file.header.e_machine);
  return foreign ? sectionMappingSymbols(file, section, foreign) : mappingSymbols(file, section);
}

async function listSection(
  file: ElfFile,
  sh: SectionHeader,
  index: SymbolIndex,
  decoder: InstructionDecoder,
  opts: DisassembleOptions,
  out: Writer,
  err: Writer,
  threads: ListingThreads | undefined,
): Promise<number> {
  let ctx: SectionListing;
  try {
    ctx = sectionListing(file, sh, index, opts);
  } catch (e) {
    err.write(`objdump: error: ${(e as Error).message}\n`);
    return 1;
  }
  const { data, start, stops, stopOffsets, name } = ctx;
  const end = start + BigInt(data.length);
  let from = 0;
  let to = data.length;
  if (opts.start !== undefined && opts.start > start) from = Number(opts.start - start);
  if (opts.stop !== undefined && opts.stop < end) to = Number(opts.stop - start);
  if (opts.symbol !== undefined) {
    const sym = stops.find((s) => s.name === opts.symbol);
    if (!sym) return 0;
    from = Number(sym.address - start);
    const next = stops.find((s) => s.address > sym.address);
    to = next ? Number(next.address - start) : data.length;
  }

  const w = new LineBuffer();
  w.text(`\nDisassembly of section ${name}:\n`);
  let next = 0;
  while (next < stops.length && (stopOffsets[next] as number) <= from) next++;
  // The first label: the symbol at or before the start in this section, else the next one, else the section.
  {
    const at = start + BigInt(from);
    const before = next > 0 ? (stops[next - 1] as DisasmSymbol) : undefined;
    const after = stops[next];
    // Observed on AArch64: a PLT header that a `$x` marks is labelled by its section, not as
    // `<first@plt-0x20>` (as it is in a stripped file).
    const unnamed =
      after?.synthetic && sectionMapping(file, sh.index).some((m) => m.offset <= from) && !before;
    // Observed (objdump -D): with no symbol at or before the start, the label is
    // the section's nearest symbol that is not a section symbol, wherever its address lies: a TLS
    // symbol's offset in its block (`<prog_tls+0x3d8c>` for .tdata), or one past the end (`<_edata-0x8>`).
    const own =
      (before === undefined || before.sectionSymbol) && !unnamed
        ? sectionNearest(index, sh.index, at)
        : undefined;
    const sym = own ?? before ?? (unnamed ? undefined : after);
    label(ctx, w, at, sym ? withOffset(sym.name, at - sym.address) : name);
  }
  const pieces =
    threads && sharedListing(file) && to - from >= 2 * threads.pieceBytes
      ? cutPieces(stopOffsets, from, to, next, threads.pieceBytes)
      : [];
  const helpers = pieces.length > 1 ? (threads as ListingThreads).helpers() : [];
  if (helpers.length === 0) {
    renderRange(ctx, decoder, from, to, next, w, out);
    w.flushTo(out);
    return 0;
  }
  w.flushTo(out);
  await listInPieces(
    pieces,
    sh.index,
    helpers,
    (piece) => listPiece(ctx, decoder, piece),
    (chunks) => {
      for (const c of chunks) out.writeBytes ? out.writeBytes(c) : out.write(latin1String(c));
    },
    () => (threads as ListingThreads).pause(),
    (threads as ListingThreads).patient,
  );
  return 0;
}

/** x86 decoders keep nothing from one instruction to the next, so other threads can list pieces. */
function sharedListing(file: ElfFile): boolean {
  return file.header.e_machine === EM_X86_64 || file.header.e_machine === EM_386;
}

/** A section long enough to list in pieces. */
function long(sh: SectionHeader, threads: ListingThreads): boolean {
  // A compressed section's bytes are not the file's: it is listed here, whole.
  const compressed = (sh.sh_flags & SHF_COMPRESSED) !== 0n;
  return sh.sh_type !== SHT_NOBITS && !compressed && sh.sh_size >= BigInt(2 * threads.pieceBytes);
}

/** A piece of the section's listing, as bytes (what a helper thread sends back). */
export function listPiece(ctx: SectionListing, decoder: InstructionDecoder, piece: Piece): PieceListing {
  const chunks: Uint8Array[] = [];
  const sink: Writer = {
    write: (s) => chunks.push(Uint8Array.from(s, (c) => c.charCodeAt(0))),
    writeBytes: (bytes) => chunks.push(bytes.slice()),
  };
  const w = new LineBuffer();
  const end = renderRange(ctx, decoder, piece.from, piece.to, piece.next, w, sink, piece.limit);
  w.flushTo(sink);
  return { chunks, end };
}

function label(ctx: SectionListing, w: LineBuffer, at: bigint, text: string): void {
  w.text(
    ctx.opts.showAddresses ? `\n${hex(at).padStart(ctx.labelDigits, "0")} <${text}>:\n` : `\n<${text}>:\n`,
  );
}

/**
 * Lists `[from, to)` of the section, whose first label still to print is `stops[next]`; returns the
 * offset where it stopped (past `to` when the last instruction runs over it, before it when objdump
 * would stop at bytes it cannot read). Instructions are cut at `limit`. A range that starts at a label
 * lists exactly what the whole section's listing shows from there: decoding starts again at every
 * label, and a zero run stops at one.
 */
export function renderRange(
  ctx: SectionListing,
  decoder: InstructionDecoder,
  from: number,
  to: number,
  next: number,
  w: LineBuffer,
  out: Writer,
  limit = to,
): number {
  const { data, start, stops, stopOffsets, opts, relocs, symbolize, width } = ctx;
  decoder.beginSection?.(ctx.facts);
  const dataUnit = ctx.facts.code && !opts.all ? objectDumpUnit(ctx.file.header.e_machine) : 0;
  let nextReloc = 0;
  while (nextReloc < relocs.length && (relocs[nextReloc] as InlineReloc).offset < BigInt(from)) nextReloc++;
  // Addresses as numbers for the address column (bigint only past 2^53, where no file reaches).
  const startNumber = Number(start);
  const exact = start + BigInt(data.length) <= BigInt(Number.MAX_SAFE_INTEGER);
  const addressColumn = (offset: number) => {
    if (!opts.showAddresses) return w.byte(TAB);
    if (exact) w.hexRight(startNumber + offset, width);
    else w.text(hex(start + BigInt(offset)).padStart(width, " "));
    w.byte(COLON);
    w.byte(TAB);
  };
  let pos = from;
  while (pos < to) {
    const stopAt = next < stops.length ? Math.min(to, stopOffsets[next] as number) : to;
    if (pos >= stopAt && next < stops.length) {
      const sym = stops[next] as DisasmSymbol;
      const a = start + BigInt(pos);
      label(ctx, w, a, withOffset(sym.name, a - sym.address));
      next++;
      continue;
    }
    // Observed on MIPS: a branch's delay slot is listed even when it starts a run of zeros.
    if (!opts.zeros && data[pos] === 0 && decoder.delaySlot !== true) {
      let z = pos;
      while (z < stopAt && data[z] === 0) z++;
      const run = z - pos;
      // Observed: a run of 8 or more is skipped in whole words (the rest prints as instructions), and
      // a run of 1 or 2 that reaches the next symbol or the section end is skipped as well.
      if (run >= SKIP_ZEROES || (z === stopAt && run < SKIP_ZEROES_AT_END)) {
        w.text("\t...\n");
        pos = z === stopAt ? z : pos + (run & ~3);
        continue;
      }
    }
    const labelled = next > 0 ? (stops[next - 1] as DisasmSymbol) : undefined;
    if (dataUnit !== 0 && labelled?.object) {
      // Observed: in a code section, what an object symbol labels is dumped, not decoded (not with -D).
      const length = Math.min(DATA_LINE, stopAt - pos);
      addressColumn(pos);
      dataLine(w, data, pos, length, dataUnit, opts.showRaw);
      pos = printRelocs(w, relocs, nextReloc, pos, length, (n) => {
        nextReloc = n;
      });
      continue;
    }
    const insn = decoder.decode(data, pos, start, symbolize, limit);
    // Observed (objdump -D): an instruction that runs into the next label is decoded whole, but only
    // its bytes before the label are printed (each missing one leaves its separating space) and the
    // listing goes on at the label: `41                 \trex.B ret`, then `<eight>: c3 ret`.
    const cut =
      next < stops.length &&
      stopOffsets[next] === stopAt &&
      pos + insn.length > stopAt &&
      insn.chunk === undefined
        ? stopAt - pos
        : 0;
    const length = cut || Math.min(insn.length, limit - pos);
    addressColumn(pos);
    if (length === 0) {
      // What objdump could not read ends the section's listing.
      w.text(`${insn.text}\n\n`);
      return pos;
    }
    if (!opts.showRaw) {
      writeText(w, insn);
      w.byte(NEWLINE);
    } else if (insn.chunk !== undefined) {
      rawChunks(w, data, pos, length, insn.chunk, decoder.layout);
      w.text(insn.text);
      w.byte(NEWLINE);
    } else {
      const lineBytes = decoder.layout?.bytesPerLine ?? BYTES_PER_LINE;
      const perLine = opts.wide ? length : lineBytes;
      const first = Math.min(perLine, length);
      if (cut && insn.length <= lineBytes) w.rawColumnCut(data, pos, cut, insn.length, lineBytes);
      else w.rawColumn(data, pos, first, lineBytes);
      writeText(w, insn);
      w.byte(NEWLINE);
      for (let line = perLine; line < length; line += perLine) {
        addressColumn(pos + line);
        for (let i = line; i < Math.min(line + perLine, length); i++) w.rawByte(data[pos + i] as number);
        w.byte(NEWLINE);
      }
    }
    pos = printRelocs(w, relocs, nextReloc, pos, length, (n) => {
      nextReloc = n;
    });
    if (w.full) w.flushTo(out);
  }
  return pos;
}

/** An instruction's text, from its bytes when the decoder has them. */
function writeText(w: LineBuffer, insn: Decoded): void {
  if (insn.encoded === undefined) {
    w.text(insn.text);
    return;
  }
  w.pooled(insn.encoded);
  if (insn.encodedTail !== undefined) w.pooled(insn.encodedTail);
}

/** The relocations that patch the `length` bytes at `pos`, under them; returns the position after. */
function printRelocs(
  w: LineBuffer,
  relocs: InlineReloc[],
  from: number,
  pos: number,
  length: number,
  done: (next: number) => void,
): number {
  let i = from;
  while (i < relocs.length && (relocs[i] as InlineReloc).offset < BigInt(pos + length)) {
    const r = relocs[i] as InlineReloc;
    if (r.offset >= BigInt(pos)) w.text(`\t\t\t${r.text}\n`);
    i++;
  }
  done(i);
  return pos + length;
}

/** The unit of an object's dump in a code section (0: decoded like code; not measured there yet). */
function objectDumpUnit(machine: number): number {
  if (machine === EM_X86_64 || machine === EM_386 || machine === EM_RISCV) return 1;
  return machine === EM_AARCH64 ? 4 : 0;
}

/** Bytes per line of an object's dump. */
const DATA_LINE = 16;

/**
 * One line of an object's dump: the bytes in units of `unit` (AArch64: little-endian words), padded
 * to a full line's width, five spaces, and the bytes as text (`.` where not printable ASCII).
 */
function dataLine(
  w: LineBuffer,
  data: Uint8Array,
  pos: number,
  length: number,
  unit: number,
  raw: boolean,
): void {
  let text = "";
  if (raw) {
    const units: string[] = [];
    for (let at = 0; at < length; at += unit) {
      let u = "";
      for (let i = Math.min(unit, length - at) - 1; i >= 0; i--)
        u += (data[pos + at + i] as number).toString(16).padStart(2, "0");
      units.push(u);
    }
    text = `${units.join(" ").padEnd((DATA_LINE / unit) * (unit * 2 + 1) - 1)}     `;
  }
  for (let i = 0; i < length; i++) {
    const b = data[pos + i] as number;
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
  }
  w.text(text);
  w.byte(NEWLINE);
}

/**
 * A raw column of units: `length` bytes as units of `chunk` bytes (little-endian unless the decoder's
 * layout says big), each followed by a space, then blanks for the units short of the layout's width (a
 * 4-byte word when absent; RISC-V's 8), then a tab (`d503201f `, `0201      `, `7179                `).
 */
function rawChunks(
  w: LineBuffer,
  data: Uint8Array,
  pos: number,
  length: number,
  chunk: number,
  layout?: ListingLayout,
): void {
  let text = "";
  const big = layout?.bigEndian === true;
  for (let at = 0; at < length; at += chunk) {
    const n = Math.min(chunk, length - at);
    for (let k = 0; k < n; k++)
      text += (data[pos + at + (big ? k : n - 1 - k)] as number).toString(16).padStart(2, "0");
    text += " ";
  }
  const width = layout?.bytesPerLine ?? WORD_BYTES;
  for (let at = length; at < width; at += chunk) text += `${" ".repeat(chunk * 2)} `;
  w.text(text);
  w.byte(TAB);
}

const WORD_BYTES = 4;
const TAB = 9;
const NEWLINE = 10;
const COLON = 58;
