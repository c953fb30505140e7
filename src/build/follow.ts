// Each relocation of an object file followed into the linked program: where the field ended up, the
// bytes the linker wrote there, and what those bytes point at (a function, a string, a PLT stub, a GOT
// slot), checked against what the relocation asked for. The target is read from the bytes, not
// assumed: the linker merges strings and relaxes GOT loads, and the bytes say what it did.
import {
  EM_AARCH64,
  EM_X86_64,
  SHF_EXECINSTR,
  SHF_MERGE,
  SHT_NOBITS,
  SHT_RELA,
  STT_SECTION,
} from "../elf/constants.js";
import type { ElfFile } from "../elf/file.js";
import { relocTypeName } from "../elf/reloc-types.js";
import { sectionRelocations } from "../elf/relocation.js";
import type { SectionHeader } from "../elf/section.js";
import type { ElfSymbol } from "../elf/symbol.js";
import type { PltTrail } from "../link/plt.js";

/** How a relocation computes its field (x86-64 psABI 4.4, AArch64 ELF ABI 5.7: S, A, P, L, G + GOT). */
interface RelocationRule {
  /** Bytes of the field. */
  size: number;
  /** The field holds target minus its own address (plus the addend). */
  relative: boolean;
  /**
   * Where an AArch64 instruction keeps it: a branch's 26-bit word offset, adrp's page distance, or the
   * low 12 bits of the address in an add or load (scaled by the access size); plain data otherwise.
   */
  field?: "branch26" | "page" | "low12";
  /** For `low12`: the load or store's access size, as a shift (its immediate counts in those units). */
  scale?: number;
  /** What the target is meant to be: the symbol, its PLT stub, or its GOT slot. */
  via: "symbol" | "plt" | "got";
  /** The words for it: "the 4-byte distance from here to X". */
  words: string;
}

const X86_64_RULES = new Map<number, RelocationRule>([
  [1, { size: 8, relative: false, via: "symbol", words: "the 8-byte address of" }],
  [2, { size: 4, relative: true, via: "symbol", words: "the 4-byte distance from here to" }],
  [4, { size: 4, relative: true, via: "plt", words: "the 4-byte distance from here to" }],
  [9, { size: 4, relative: true, via: "got", words: "the 4-byte distance from here to the GOT slot of" }],
  [10, { size: 4, relative: false, via: "symbol", words: "the 4-byte address (zero-extended) of" }],
  [11, { size: 4, relative: false, via: "symbol", words: "the 4-byte address (sign-extended) of" }],
  [24, { size: 8, relative: true, via: "symbol", words: "the 8-byte distance from here to" }],
  [41, { size: 4, relative: true, via: "got", words: "the 4-byte distance from here to the GOT slot of" }],
  [42, { size: 4, relative: true, via: "got", words: "the 4-byte distance from here to the GOT slot of" }],
]);

const page = (words: string): RelocationRule => ({
  size: 4,
  relative: true,
  field: "page",
  via: "symbol",
  words,
});
const low12 = (scale: number, via: "symbol" | "got" = "symbol"): RelocationRule => ({
  size: 4,
  relative: false,
  field: "low12",
  scale,
  via,
  words: via === "got" ? "the low 12 bits of the GOT slot's address of" : "the low 12 bits of the address of",
});

const AARCH64_RULES = new Map<number, RelocationRule>([
  [257, { size: 8, relative: false, via: "symbol", words: "the 8-byte address of" }],
  [258, { size: 4, relative: false, via: "symbol", words: "the 4-byte address of" }],
  [260, { size: 8, relative: true, via: "symbol", words: "the 8-byte distance from here to" }],
  [261, { size: 4, relative: true, via: "symbol", words: "the 4-byte distance from here to" }],
  [275, page("the distance from this page to the page of")],
  [276, page("the distance from this page to the page of")],
  [277, low12(0)],
  [278, low12(0)],
  [
    282,
    { size: 4, relative: true, field: "branch26", via: "plt", words: "the branch distance from here to" },
  ],
  [283, { size: 4, relative: true, field: "branch26", via: "plt", words: "the call distance from here to" }],
  [284, low12(1)],
  [285, low12(2)],
  [286, low12(3)],
  [299, low12(4)],
  [311, { ...page("the distance from this page to the page of the GOT slot of"), via: "got" }],
  [312, low12(3, "got")],
]);

/** What an AArch64 instruction's field holds: a branch target or page (from here), or 12 low bits. */
function aarch64Field(rule: RelocationRule, word: number, here: bigint): bigint {
  if (rule.field === "branch26") return here + (BigInt.asIntN(26, BigInt(word & 0x3ffffff)) << 2n);
  if (rule.field === "page") {
    const imm = BigInt(((word >>> 5) & 0x7ffff) * 4 + ((word >>> 29) & 3));
    return (here & ~0xfffn) + (BigInt.asIntN(21, imm) << 12n);
  }
  return BigInt((word >>> 10) & 0xfff) << BigInt(rule.scale ?? 0);
}

/** An adrp's relocation, waiting for the add or load that completes its address. */
interface PendingPage {
  row: FollowedRelocation;
  rule: RelocationRule;
  sym: ElfSymbol | undefined;
  before: FieldBefore;
  page: bigint;
  described: boolean;
}

/** A field as the object had it and as the program has it. */
interface FieldBefore {
  original: Uint8Array;
  offset: bigint;
  bytes: Uint8Array;
  type: number;
}

/** Where one relocation of an object ended up in the program. */
export interface FollowedRelocation {
  /** The section of the object it patches, and where in it. */
  section: string;
  offset: bigint;
  type: string;
  symbol: string;
  addend: bigint;
  /** What the linker had to put there, in words. */
  meaning: string;
  /** Its address in the program; undefined when the section is not in the program (discarded). */
  address: bigint | undefined;
  /** The bytes at that address in the program, as hex. */
  bytes: string | undefined;
  /** The symbol's address as the bytes give it (S, or L or G for a PLT or GOT relocation). */
  target: bigint | undefined;
  /**
   * Where the instruction reaches with it: S + A, and for a field counted from its own end (a
   * pc-relative one closing its instruction) plus its size; what objdump's `# 2004 <...>` names.
   */
  reaches: bigint | undefined;
  /** What sits there: `printf@plt`, `main`, `.rodata+0x4`, `puts's GOT slot`. */
  targetName: string | undefined;
  /** The target is a PLT stub or GOT slot of an imported symbol: its entry in the program's trail. */
  imported: { symbol: string; stub: bigint | undefined; got: bigint } | undefined;
  /** The target expected from the symbol's placement, where it can be known; and whether it matches. */
  expected: bigint | undefined;
  agrees: boolean | undefined;
  /** What the linker did beyond filling the field: a GOT load relaxed into lea, a PLT call made direct. */
  note: string | undefined;
}

/** Where the linker placed each of this object's sections (from the link map), by section name. */
export type Placement = (section: string) => bigint | undefined;

/** A symbol of the program by name: its value, for a definition. */
function programSymbols(program: ElfFile): Map<string, ElfSymbol> {
  const out = new Map<string, ElfSymbol>();
  for (const table of program.sectionHeaders.filter((s) => s.sh_type === 2 || s.sh_type === 11))
    for (const s of program.symbols(table))
      if (s.name && s.shndx !== 0 && !out.has(s.name) && (s.st_info & 0xf) !== STT_SECTION)
        out.set(s.name, s);
  return out;
}

/**
 * Names an address of the program: the relocation's own symbol when it is there, else a sized symbol
 * around it (a function, an object) before a marker of size 0 at it, else its section with an offset.
 */
function nameOf(
  program: ElfFile,
  sorted: ElfSymbol[],
  address: bigint,
  own: ElfSymbol | undefined,
): string | undefined {
  if (own?.name && own.st_value === address) return own.name;
  let best: ElfSymbol | undefined;
  for (const s of sorted) {
    if (s.st_value > address) break;
    const sized = s.st_size > 0n && address < s.st_value + s.st_size;
    if (sized || (s.st_value === address && !(best && best.st_size > 0n))) best = s;
  }
  if (best?.name)
    return address === best.st_value ? best.name : `${best.name}+0x${(address - best.st_value).toString(16)}`;
  for (const sh of program.sectionHeaders)
    if ((sh.sh_flags & 2n) !== 0n && address >= sh.sh_addr && address < sh.sh_addr + sh.sh_size) {
      const name = program.sectionName(sh) ?? "?";
      return address === sh.sh_addr ? name : `${name}+0x${(address - sh.sh_addr).toString(16)}`;
    }
  return undefined;
}

/** The little-endian field of `size` bytes, signed when `signed`. */
function fieldValue(bytes: Uint8Array, signed: boolean): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return signed ? BigInt.asIntN(bytes.length * 8, v) : v;
}

function hexBytes(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** The program's bytes at an address, if a loaded segment has them in the file. */
function programBytes(program: ElfFile, address: bigint, size: number): Uint8Array | undefined {
  const offset = program.vaddrToOffset(address);
  if (offset === undefined) return undefined;
  return program.read(offset, size, `bytes at 0x${address.toString(16)}`);
}

/**
 * Every relocation of `object` (an x86-64 or AArch64 relocatable file) followed into `program`, given
 * where the link map says each of the object's sections went.
 */
export function followRelocations(
  object: ElfFile,
  program: ElfFile,
  place: Placement,
  trail: PltTrail | undefined,
  instructionEnd?: (address: bigint) => bigint | undefined,
): FollowedRelocation[] {
  const machine = object.header.e_machine;
  const rules = machine === EM_X86_64 ? X86_64_RULES : machine === EM_AARCH64 ? AARCH64_RULES : undefined;
  if (!rules) return [];
  const defined = programSymbols(program);
  const sorted = [...defined.values()].sort((a, b) =>
    a.st_value < b.st_value ? -1 : a.st_value > b.st_value ? 1 : 0,
  );
  const stubs = new Map<bigint, string>();
  const slots = new Map<bigint, string>();
  const bySymbol = new Map<string, { stub: bigint | undefined; got: bigint }>();
  // Where a COPY relocation puts the program's own copy of a library's variable (in .bss).
  const copies = new Map<bigint, { symbol: string; relocation: string }>();
  for (const e of trail?.entries ?? []) {
    if (!e.symbol) continue;
    if (e.kind === "COPY") {
      copies.set(e.got, { symbol: e.symbol, relocation: e.relocation });
      continue;
    }
    if (e.stub) stubs.set(e.stub.address, e.symbol);
    slots.set(e.got, e.symbol);
    if (!bySymbol.has(e.symbol) || e.stub) bySymbol.set(e.symbol, { stub: e.stub?.address, got: e.got });
  }
  const dynamic = dynamicRelocations(program);
  const out: FollowedRelocation[] = [];

  /** Names what the field reaches and checks it against what the relocation asked for. */
  const describe = (
    row: FollowedRelocation,
    rule: RelocationRule,
    sym: ElfSymbol | undefined,
    field: { at: bigint | undefined; reaches: bigint },
    before: FieldBefore,
  ): void => {
    const { at, reaches } = field;
    const gotAddend = rule.via === "got" ? 0n : row.addend;
    row.target = at;
    row.reaches = reaches;
    const name = sym?.name && (sym.st_info & 0xf) !== STT_SECTION ? sym.name : undefined;
    const own = name ? defined.get(name) : undefined;
    const stubOf = at === undefined ? undefined : stubs.get(at);
    const slotOf = at === undefined ? undefined : slots.get(at);
    if (rule.via === "got" && slotOf === undefined && at !== undefined && inGot(program, at)) {
      ownSlot(row, rule, sym, at, reaches);
      return;
    }
    const named =
      stubOf !== undefined
        ? `${stubOf}@plt`
        : slotOf !== undefined
          ? `${slotOf}'s GOT slot`
          : nameOf(
              program,
              sorted,
              rule.field === "page" && at !== undefined ? at + gotAddend : reaches,
              own,
            );
    row.targetName = rule.field === "page" ? (at === undefined ? "a page" : `the page of ${named}`) : named;
    const entry = name ? bySymbol.get(name) : undefined;
    if (entry && (stubOf !== undefined || slotOf !== undefined))
      row.imported = { symbol: name as string, stub: entry.stub, got: entry.got };
    row.expected = expectedTarget(object, sym, place, defined, rule, entry);
    if (row.expected !== undefined)
      row.agrees =
        rule.field === "page" ? ((row.expected + gotAddend) & ~0xfffn) === reaches : row.expected === at;
    const atStartUp = row.address === undefined ? undefined : dynamic.get(row.address);
    if (atStartUp !== undefined) {
      row.note = `and ld.so fills it at start-up (${startUpWords(atStartUp.type)})`;
      return;
    }
    const copy = at === undefined ? undefined : copies.get(at);
    if (copy && copy.symbol === name) {
      row.targetName = `${rule.field === "page" ? "the page of " : ""}${name}, the program's copy`;
      const size = own?.st_size ? `${own.st_size} bytes in .bss, ` : "in .bss, ";
      row.note = `the program's own copy of ${name} (${size}which ld.so fills from the library at start-up: ${copy.relocation}): the code reaches it directly, with no GOT slot`;
      return;
    }
    row.note = linkerNote(rule, before, program, row.address as bigint, slotOf, stubOf, row.agrees);
  };

  /**
   * A GOT slot the program made for its own symbol (AArch64 PIE code loads even its own data through
   * the GOT): the slot holds the symbol's address, on disk or as the addend ld.so adds the load to.
   */
  const ownSlot = (
    row: FollowedRelocation,
    rule: RelocationRule,
    sym: ElfSymbol | undefined,
    slot: bigint,
    reaches: bigint,
  ): void => {
    row.targetName = `${rule.field === "page" ? "the page of " : ""}${row.symbol}'s GOT slot`;
    const wanted = expectedTarget(object, sym, place, defined, { ...rule, via: "symbol" }, undefined);
    const atStartUp = dynamic.get(slot);
    const onDisk = programBytes(program, slot, 8);
    const holds = atStartUp?.type.endsWith("RELATIVE")
      ? atStartUp.addend
      : onDisk && onDisk.length === 8
        ? fieldValue(onDisk, false)
        : undefined;
    row.expected = slot;
    if (wanted !== undefined && holds !== undefined)
      row.agrees = holds === wanted && (rule.field === "page" ? (slot & ~0xfffn) === reaches : true);
    row.note = `a GOT slot for the program's own ${row.symbol}, holding 0x${(holds ?? 0n).toString(16)}${atStartUp ? ` (${startUpWords(atStartUp.type)})` : ""}`;
  };

  for (const rs of object.sectionHeaders) {
    if (rs.sh_type !== SHT_RELA || rs.sh_info === 0 || rs.sh_info >= object.sectionCount) continue;
    const target = object.section(rs.sh_info);
    if ((target.sh_flags & 2n) === 0n) continue; // not allocated: debug info, not in the program's image
    const sectionName = object.sectionName(target) ?? "";
    const symbols =
      rs.sh_link > 0 && rs.sh_link < object.sectionCount ? object.symbols(object.section(rs.sh_link)) : [];
    const base = place(sectionName);
    const original = object.sectionData(target);
    // Each AArch64 adrp, until the add or load that completes its address (same symbol and addend).
    const pages = new Map<string, PendingPage>();
    const alone = (p: PendingPage) => {
      if (!p.described) describe(p.row, p.rule, p.sym, { at: undefined, reaches: p.page }, p.before);
    };
    for (const r of sectionRelocations(object, rs)) {
      const sym = symbols[r.r_sym];
      const symbolName = symbolLabel(object, sym);
      const rule = rules.get(r.r_type);
      const type = relocTypeName(machine, r.r_type) ?? `type ${r.r_type}`;
      const row: FollowedRelocation = {
        section: sectionName,
        offset: r.r_offset,
        type,
        symbol: symbolName,
        addend: r.r_addend,
        meaning: rule
          ? `${rule.words} ${symbolName}${addendText(r.r_addend, rule)}${rule.via === "plt" ? " (through its PLT stub if a shared library defines it)" : ""}`
          : `${type} of ${symbolName}`,
        address: base === undefined ? undefined : base + r.r_offset,
        bytes: undefined,
        target: undefined,
        reaches: undefined,
        targetName: undefined,
        imported: undefined,
        expected: undefined,
        agrees: undefined,
        note: undefined,
      };
      out.push(row);
      if (!rule || row.address === undefined || target.sh_type === SHT_NOBITS) continue;
      if (sectionName === ".eh_frame") {
        // ld rewrites .eh_frame (merges the CIEs, sorts for .eh_frame_hdr): offsets in it move.
        row.note = "in .eh_frame, which the linker rewrites: the field moved with it";
        continue;
      }
      const bytes = programBytes(program, row.address, rule.size);
      if (!bytes || bytes.length < rule.size) continue;
      row.bytes = hexBytes(bytes);
      const before = { original, offset: r.r_offset, bytes, type: r.r_type };
      if (rule.field) {
        const value = aarch64Field(rule, Number(fieldValue(bytes, false)), row.address);
        const key = `${rule.via === "got" ? "got" : ""}:${r.r_sym}:${r.r_addend}`;
        if (rule.field === "branch26")
          describe(row, rule, sym, { at: value - r.r_addend, reaches: value }, before);
        else if (rule.field === "page") {
          const previous = pages.get(key);
          if (previous) alone(previous);
          pages.set(key, { row, rule, sym, before, page: value, described: false });
        } else {
          const p = pages.get(key);
          if (!p) {
            row.note = "no adrp before it gives its page";
            continue;
          }
          const full = p.page + value;
          const at = full - (rule.via === "got" ? 0n : r.r_addend);
          describe(row, rule, sym, { at, reaches: full }, before);
          if (!p.described) describe(p.row, p.rule, sym, { at, reaches: p.page }, p.before);
          p.described = true;
        }
        continue;
      }
      const value = fieldValue(bytes, rule.relative || (rule.size === 4 && r.r_type === 11));
      const at = rule.relative ? value + row.address - r.r_addend : value - r.r_addend;
      // A pc-relative field counts from the end of its instruction, which an immediate after the
      // field moves past the field's own end (movb $0x78, x(%rip)): the decoder says where it is.
      // In data (not code) a distance simply reaches S + A.
      const inCode = (target.sh_flags & SHF_EXECINSTR) !== 0n;
      const end =
        rule.relative && inCode
          ? (instructionEnd?.(row.address) ?? row.address + BigInt(rule.size))
          : undefined;
      describe(row, rule, sym, { at, reaches: end === undefined ? at + r.r_addend : end + value }, before);
    }
    for (const p of pages.values()) alone(p);
  }
  return out;
}

/** The program's dynamic relocations (what ld.so applies at load), by the address they patch. */
function dynamicRelocations(program: ElfFile): Map<bigint, { type: string; addend: bigint }> {
  const out = new Map<bigint, { type: string; addend: bigint }>();
  for (const rs of program.sectionHeaders) {
    if (rs.sh_type !== SHT_RELA || (rs.sh_flags & 2n) === 0n) continue;
    for (const r of sectionRelocations(program, rs))
      out.set(r.r_offset, {
        type: relocTypeName(program.header.e_machine, r.r_type) ?? `type ${r.r_type}`,
        addend: r.r_addend,
      });
  }
  return out;
}

function startUpWords(type: string): string {
  return type.endsWith("RELATIVE") ? `${type}: the load address added` : type;
}

/** The address is in the program's .got (a slot of the global offset table). */
function inGot(program: ElfFile, address: bigint): boolean {
  return program.sectionHeaders.some(
    (sh) => program.sectionName(sh) === ".got" && address >= sh.sh_addr && address < sh.sh_addr + sh.sh_size,
  );
}

/** A relocation's symbol as objdump -r names it: a section symbol by its section's name. */
function symbolLabel(object: ElfFile, sym: ElfSymbol | undefined): string {
  if (!sym) return "?";
  if ((sym.st_info & 0xf) === STT_SECTION && sym.shndx < object.sectionCount)
    return object.sectionName(object.section(sym.shndx)) ?? "?";
  return sym.name || "?";
}

function addendText(addend: bigint, rule: RelocationRule): string {
  // A PC-relative field's -4 only says it counts from the end of the 4 bytes, as the CPU does.
  const usual = rule.relative && addend === -BigInt(rule.size);
  if (addend === 0n || usual) return "";
  return addend < 0n ? ` - 0x${(-addend).toString(16)}` : ` + 0x${addend.toString(16)}`;
}

/**
 * The target the relocation asked for, where the map and the program tell it: a symbol of this object
 * at its section's place (not in a merged section: the linker moves merged strings), a symbol another
 * object defines, or an import's PLT stub or GOT slot.
 */
function expectedTarget(
  object: ElfFile,
  sym: ElfSymbol | undefined,
  place: Placement,
  defined: Map<string, ElfSymbol>,
  rule: RelocationRule,
  entry: { stub: bigint | undefined; got: bigint } | undefined,
): bigint | undefined {
  if (!sym) return undefined;
  if (sym.shndx !== 0 && sym.shndx < 0xff00 && sym.shndx < object.sectionCount) {
    const sh: SectionHeader = object.section(sym.shndx);
    if ((sh.sh_flags & SHF_MERGE) !== 0n) return undefined;
    if (rule.via === "got") return undefined; // a GOT load of a local symbol is relaxed or not: read, not known
    const base = place(object.sectionName(sh) ?? "");
    return base === undefined ? undefined : base + sym.st_value;
  }
  if (!sym.name) return undefined;
  if (entry) {
    if (rule.via === "got") return entry.got;
    if (entry.stub !== undefined) return entry.stub;
  }
  if (rule.via === "got") return undefined;
  const def = defined.get(sym.name);
  return def?.st_value;
}

/** What the linker did beyond filling in the field, told by comparing the bytes around it. */
function linkerNote(
  rule: RelocationRule,
  before: FieldBefore,
  program: ElfFile,
  address: bigint,
  slotOf: string | undefined,
  stubOf: string | undefined,
  agrees: boolean | undefined,
): string | undefined {
  if (rule.via === "got" && slotOf === undefined) {
    if (rule.field === "low12") {
      // AArch64: ldr xN, [xN, #:got_lo12:sym] (0xf94.....) rewritten as add xN, xN, #:lo12:sym.
      const was = Number(
        fieldValue(before.original.subarray(Number(before.offset), Number(before.offset) + 4), false),
      );
      const now = Number(fieldValue(before.bytes, false));
      if ((was & 0xffc00000) >>> 0 === 0xf9400000 && (now & 0xff800000) >>> 0 === 0x91000000)
        return "relaxed: the GOT load (ldr) became add of the address itself";
    }
    if (rule.field === "page") return "relaxed: the page of the address itself, not of a GOT slot";
    const at = Number(before.offset);
    const previous = program.vaddrToOffset(address - 2n);
    const now = previous === undefined ? undefined : program.read(previous, 2, "the instruction")[0];
    const then = at >= 2 ? before.original[at - 2] : undefined;
    if (then === 0x8b && now === 0x8d) return "relaxed: the GOT load (mov) became lea of the address itself";
    if (before.type === 42 || before.type === 41)
      return "relaxed: the GOT load was rewritten to use the address itself";
    return "resolved without a GOT slot";
  }
  if (rule.via === "plt" && stubOf === undefined && agrees !== false)
    return "defined in the program: the call goes straight to it, no PLT stub";
  return undefined;
}

/** The relocations of an object that was not linked (its link failed): what each asks for, unplaced. */
export function unplacedRelocations(object: ElfFile): FollowedRelocation[] {
  // With no section placed no field is read, so the object itself can stand for the program.
  return followRelocations(object, object, () => undefined, undefined);
}
