/**
 * The PLT/GOT trail of one object, from its bytes alone: each import's GOT slot, the dynamic relocation
 * on it (JUMP_SLOT, GLOB_DAT, IRELATIVE, COPY, TLSDESC, or an absolute word), the symbol and version it names,
 * the PLT stub that jumps through it, what the slot holds on disk, and when ld.so fills it (lazily on
 * the first call, or at start-up) and whether it is read-only afterwards (inside PT_GNU_RELRO).
 *
 * The stubs are recognised by their fixed encodings (the x86-64 and i386 psABI PLT and the IBT
 * variants of ld.bfd, the AArch64 ELF ABI's adrp/ldr/add/br), not by disassembling.
 */
import {
  DF_1_NOW,
  DF_BIND_NOW,
  DT_BIND_NOW,
  DT_FLAGS,
  DT_FLAGS_1,
  DT_JMPREL,
  DT_PLTGOT,
  DT_PLTREL,
  DT_PLTRELSZ,
  DT_REL,
  DT_RELA,
  DT_RELASZ,
  DT_RELSZ,
  EM_386,
  EM_AARCH64,
  EM_X86_64,
  PT_GNU_RELRO,
  SHT_DYNSYM,
} from "../elf/constants.js";
import { dynamicTable, dynamicValue } from "../elf/dynamic.js";
import { isElfError } from "../elf/errors.js";
import type { ElfFile } from "../elf/file.js";
import { relocTypeName } from "../elf/reloc-types.js";
import { parseRelocations, type Relocation } from "../elf/relocation.js";
import { type SymbolVersion, symbolVersions } from "../elf/version.js";

/** What a GOT slot's relocation asks ld.so to do, in the psABIs' words. */
export type SlotKind = "JUMP_SLOT" | "GLOB_DAT" | "IRELATIVE" | "COPY" | "ABSOLUTE" | "TLSDESC";

export interface PltStub {
  /** Address of the stub the program calls (in .plt, .plt.sec or .plt.got). */
  address: bigint;
  section: string;
  /** The .plt entry that pushes the relocation index for lazy binding (IBT: not the stub called). */
  lazyEntry?: bigint;
}

export interface GotEntry {
  symbol: string | undefined;
  /** The relocation's index into .dynsym (0: none). */
  symbolIndex: number;
  version: string | undefined;
  /** The version is the default one (`@@`) rather than a hidden one. */
  kind: SlotKind;
  /** The relocation type's name, e.g. R_X86_64_JUMP_SLOT, and its number. */
  relocation: string;
  relocationType: number;
  /** Address of the GOT slot (r_offset). */
  got: bigint;
  /** The section holding the slot (.got.plt, .got). */
  gotSection: string | undefined;
  /** The slot's contents on disk (for lazy slots: an address back into the PLT). */
  onDisk: bigint | undefined;
  /** IRELATIVE's resolver address (r_addend), COPY's size. */
  addend: bigint;
  stub: PltStub | undefined;
  /** Filled at the first call (lazy binding) rather than at start-up. */
  lazy: boolean;
  /** Read-only once ld.so is done with it (inside PT_GNU_RELRO). */
  relro: boolean;
}

export interface PltTrail {
  machine: number;
  is64: boolean;
  /** DT_BIND_NOW, DF_BIND_NOW or DF_1_NOW: every slot filled at start-up. */
  bindNow: boolean;
  /** The address range of PT_GNU_RELRO, if any. */
  relro: { start: bigint; end: bigint } | undefined;
  /** DT_PLTGOT: .got.plt (i386's PIC stubs address their slots from it, through %ebx). */
  pltGot: bigint | undefined;
  entries: GotEntry[];
  /** What could not be read; the rest of the trail stands. */
  problems: string[];
}

/** Per machine: relocation type numbers of the slot kinds, and the size of a GOT word. */
const SLOT_TYPES = new Map<number, Map<number, SlotKind>>([
  [
    EM_X86_64,
    new Map<number, SlotKind>([
      [7, "JUMP_SLOT"],
      [6, "GLOB_DAT"],
      [37, "IRELATIVE"],
      [5, "COPY"],
      [1, "ABSOLUTE"],
      [36, "TLSDESC"],
    ]),
  ],
  [
    EM_386,
    new Map<number, SlotKind>([
      [7, "JUMP_SLOT"],
      [6, "GLOB_DAT"],
      [42, "IRELATIVE"],
      [5, "COPY"],
      [1, "ABSOLUTE"],
      [41, "TLSDESC"],
    ]),
  ],
  [
    EM_AARCH64,
    new Map<number, SlotKind>([
      [1026, "JUMP_SLOT"],
      [1025, "GLOB_DAT"],
      [1032, "IRELATIVE"],
      [1024, "COPY"],
      [257, "ABSOLUTE"],
      [1031, "TLSDESC"],
    ]),
  ],
]);

export function pltSupported(machine: number): boolean {
  return SLOT_TYPES.has(machine);
}

const le32 = (b: Uint8Array, i: number): number =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
const signed32 = (v: number): bigint => BigInt(v | 0);

/**
 * The GOT slot an x86 stub jumps through: `ff 25 disp32` (x86-64: RIP-relative; i386: absolute),
 * `ff a3 disp32` (i386 PIC: relative to %ebx = .got.plt), either after `endbr` and/or a `bnd` prefix.
 */
function x86Slot(
  bytes: Uint8Array,
  at: bigint,
  is64: boolean,
  pltGot: bigint | undefined,
): bigint | undefined {
  for (let i = 0; i + 6 <= bytes.length; i++) {
    if (bytes[i] !== 0xff) continue;
    const modrm = bytes[i + 1];
    const disp = le32(bytes, i + 2);
    if (modrm === 0x25) return is64 ? at + BigInt(i + 6) + signed32(disp) : BigInt(disp);
    if (modrm === 0xa3 && !is64 && pltGot !== undefined) return (pltGot + signed32(disp)) & 0xffffffffn;
  }
  return undefined;
}

/** AArch64: `adrp x16, PAGE; ldr x17, [x16, #OFF]`: the slot is PAGE + OFF. */
function aarch64Slot(bytes: Uint8Array, at: bigint): bigint | undefined {
  for (let i = 0; i + 8 <= bytes.length; i += 4) {
    const adrp = le32(bytes, i);
    const ldr = le32(bytes, i + 4);
    if ((adrp & 0x9f00001f) >>> 0 !== 0x90000010) continue; // adrp x16 (>>> 0: JS bit operations are signed)
    if ((ldr & 0xffc003ff) >>> 0 !== 0xf9400211) continue; // ldr x17, [x16, #imm12*8]
    const immlo = (adrp >>> 29) & 3;
    const immhi = (adrp >>> 5) & 0x7ffff;
    let imm = BigInt((immhi << 2) | immlo);
    if (imm & (1n << 20n)) imm -= 1n << 21n;
    const pc = at + BigInt(i);
    const page = (pc & ~0xfffn) + (imm << 12n);
    return page + BigInt(((ldr >>> 10) & 0xfff) * 8);
  }
  return undefined;
}

/** The stubs of each PLT section, by the slot each jumps through. */
function findStubs(file: ElfFile, pltGot: bigint | undefined): Map<bigint, PltStub> {
  const machine = file.header.e_machine;
  const stubs = new Map<bigint, PltStub>();
  const named = (n: string) => file.sectionHeaders.find((s) => file.sectionName(s) === n);
  const scan = (name: string, size: number, skip: number) => {
    const sh = named(name);
    if (!sh || sh.sh_size === 0n) return;
    const bytes = file.sectionData(sh);
    for (let off = skip; off + size <= bytes.length; off += size) {
      const at = sh.sh_addr + BigInt(off);
      const b = bytes.subarray(off, off + size);
      const slot = machine === EM_AARCH64 ? aarch64Slot(b, at) : x86Slot(b, at, file.is64, pltGot);
      if (slot !== undefined && !stubs.has(slot)) stubs.set(slot, { address: at, section: name });
    }
  };
  // .plt after PLT0 (16 bytes on x86, 32 on AArch64); with IBT its entries only push the relocation
  // index and jump to PLT0, and the stubs called are in .plt.sec.
  scan(".plt", 16, machine === EM_AARCH64 ? 32 : 16);
  scan(".plt.sec", 16, 0);
  // .plt.got: 8-byte stubs without IBT, 16 with it (an endbr in front).
  const pltGotSh = named(".plt.got");
  if (pltGotSh && pltGotSh.sh_size >= 4n) {
    const first = file.sectionData(pltGotSh);
    const ibt = first[0] === 0xf3 && first[1] === 0x0f && first[2] === 0x1e;
    scan(".plt.got", ibt || machine === EM_AARCH64 ? 16 : 8, 0);
  }
  return stubs;
}

/** The dynamic relocations, in the tables ld.so reads (DT_REL/DT_RELA, then DT_JMPREL). */
function dynamicRelocations(file: ElfFile, problems: string[]): Relocation[] {
  const table = dynamicTable(file);
  if (!table) return [];
  const e = table.entries;
  const out: Relocation[] = [];
  const read = (addr: bigint | undefined, size: bigint | undefined, kind: "rel" | "rela", what: string) => {
    if (addr === undefined || !size) return;
    const off = file.vaddrToOffset(addr);
    if (off === undefined) {
      problems.push(`${what} at 0x${addr.toString(16)} is in no segment`);
      return;
    }
    try {
      out.push(...parseRelocations(file, file.reader(off, size, what), kind));
    } catch (err) {
      if (!isElfError(err)) throw err;
      problems.push(`${what}: ${err.message}`);
    }
  };
  const jmprel = dynamicValue(e, DT_JMPREL);
  const pltsz = dynamicValue(e, DT_PLTRELSZ);
  const pltKind = dynamicValue(e, DT_PLTREL) === DT_REL ? "rel" : "rela";
  for (const [tag, szTag, kind] of [
    [DT_REL, DT_RELSZ, "rel"],
    [DT_RELA, DT_RELASZ, "rela"],
  ] as const) {
    const start = dynamicValue(e, tag);
    let size = dynamicValue(e, szTag);
    // DT_RELASZ may include the PLT relocations when they follow (ld.bfd): read those once.
    if (start !== undefined && size !== undefined && jmprel !== undefined && pltsz !== undefined)
      if (start + size === jmprel + pltsz && pltKind === kind) size -= pltsz;
    read(start, size, kind, `DT_${kind.toUpperCase()}`);
  }
  read(jmprel, pltsz, pltKind, "DT_JMPREL");
  return out;
}

/** Reads a GOT word from the file, if the address has file bytes. */
function wordAt(file: ElfFile, addr: bigint): bigint | undefined {
  const off = file.vaddrToOffset(addr);
  const size = file.is64 ? 8 : 4;
  if (off === undefined || off + BigInt(size) > BigInt(file.size)) return undefined;
  const r = file.reader(off, size, "GOT slot");
  return file.is64 ? r.u64(0) : BigInt(r.u32(0));
}

export function pltTrail(file: ElfFile): PltTrail {
  const machine = file.header.e_machine;
  const problems: string[] = [];
  const types = SLOT_TYPES.get(machine) ?? new Map<number, SlotKind>();
  const entries = dynamicTable(file)?.entries ?? [];
  const flags = dynamicValue(entries, DT_FLAGS) ?? 0n;
  const flags1 = dynamicValue(entries, DT_FLAGS_1) ?? 0n;
  const bindNow =
    dynamicValue(entries, DT_BIND_NOW) !== undefined ||
    (flags & DF_BIND_NOW) !== 0n ||
    (flags1 & DF_1_NOW) !== 0n;
  const relroPh = file.programHeaders.find((p) => p.p_type === PT_GNU_RELRO);
  // _dl_protect_relro: only the whole pages inside the segment become read-only.
  const relro = relroPh
    ? { start: relroPh.p_vaddr & ~0xfffn, end: (relroPh.p_vaddr + relroPh.p_memsz) & ~0xfffn }
    : undefined;
  const pltGot = dynamicValue(entries, DT_PLTGOT);

  const dynsym = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM);
  let names: (string | undefined)[] = [];
  let versions: SymbolVersion[] = [];
  if (dynsym) {
    try {
      names = file.symbols(dynsym).map((s) => s.name);
      versions = symbolVersions(file, dynsym);
    } catch (err) {
      if (!isElfError(err)) throw err;
      problems.push(`.dynsym: ${err.message}`);
    }
  }
  let stubs = new Map<bigint, PltStub>();
  try {
    stubs = findStubs(file, pltGot);
  } catch (err) {
    if (!isElfError(err)) throw err;
    problems.push(`PLT: ${err.message}`);
  }
  const sectionOf = (addr: bigint): string | undefined => {
    const sh = file.sectionHeaders.find(
      (s) => s.sh_addr !== 0n && addr >= s.sh_addr && addr < s.sh_addr + s.sh_size,
    );
    return sh ? file.sectionName(sh) : undefined;
  };
  const out: GotEntry[] = [];
  for (const r of dynamicRelocations(file, problems)) {
    const kind = types.get(r.r_type);
    if (!kind) continue;
    if (kind === "ABSOLUTE" && r.r_sym === 0) continue;
    const onDisk = wordAt(file, r.r_offset);
    let stub = stubs.get(r.r_offset);
    // A lazy slot holds, on disk, the address of the code that pushes its relocation index: the stub's
    // second instruction, or with IBT the .plt entry beside the .plt.sec stub.
    if (stub && kind === "JUMP_SLOT" && onDisk !== undefined && sectionOf(onDisk) === ".plt")
      stub = { ...stub, lazyEntry: onDisk };
    const v = versions[r.r_sym];
    out.push({
      symbol: r.r_sym ? names[r.r_sym] : undefined,
      symbolIndex: r.r_sym,
      version: v?.name,
      kind,
      relocation: relocTypeName(machine, r.r_type) ?? `type ${r.r_type}`,
      relocationType: r.r_type,
      got: r.r_offset,
      gotSection: sectionOf(r.r_offset),
      onDisk,
      addend: r.r_addend,
      stub,
      // A TLS descriptor sits in .got.plt among the lazy slots, but glibc fills it at load time on
      // every machine ("Always initialize TLS descriptors completely", each dl-machine.h).
      lazy: kind === "JUMP_SLOT" && !bindNow,
      relro: relro !== undefined && r.r_offset >= relro.start && r.r_offset < relro.end,
    });
  }
  return { machine, is64: file.is64, bindNow, relro, pltGot, entries: out, problems };
}
