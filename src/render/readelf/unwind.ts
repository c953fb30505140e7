import {
  type ElfSymbol,
  type SectionHeader,
  SHN_UNDEF,
  SHT_REL,
  SHT_RELA,
  SHT_SYMTAB,
  STT_FUNC,
  symType,
} from "../../elf/index.js";
import { relocTypeName } from "../../elf/reloc-types.js";
import { parseRelocations, type Relocation } from "../../elf/relocation.js";
import type { ReadelfContext } from "./context.js";
import { printableSectionName } from "./relocations.js";

const EM_386 = 3;
const EM_X86_64 = 62;
const EM_ARM = 40;
const SHT_ARM_EXIDX = 0x70000001;

/** get_machine_name, for the machines whose unwind sections readelf does not decode. */
const MACHINE_NAMES: Record<number, string> = {
  0: "None",
  2: "Sparc",
  4: "MC68000",
  6: "Intel MCU",
  8: "MIPS R3000",
  10: "MIPS R4000 big-endian",
  15: "HPPA",
  18: "Sparc v8+",
  20: "PowerPC",
  21: "PowerPC64",
  22: "IBM S/390",
  41872: "IBM S/390",
  42: "Renesas / SuperH SH",
  43: "Sparc v9",
  183: "AArch64",
  243: "RISC-V",
  247: "Linux BPF",
  258: "LoongArch",
  36902: "Alpha",
  224: "AMD GPU",
  190: "NVIDIA CUDA architecture",
};

/** readelf.c process_unwind (-u). IA-64, HPPA and C6000 tables are not decoded here. */
export function printUnwind(ctx: ReadelfContext): void {
  const machine = ctx.file.header.e_machine;
  if (machine === EM_386 || machine === EM_X86_64) {
    ctx.out.write("No processor specific unwind information to decode\n");
    return;
  }
  if (machine === EM_ARM) {
    armProcessUnwind(ctx);
    return;
  }
  const name = MACHINE_NAMES[machine] ?? `<unknown>: 0x${machine.toString(16)}`;
  ctx.out.write(`\nThe decoding of unwind sections for machine type ${name} is not currently supported.\n`);
}

// ---------------------------------------------------------------------------------------------------
// ARM EHABI (.ARM.exidx / .ARM.extab): readelf.c arm_process_unwind and the functions it calls.

interface AbsAddr {
  section: number;
  offset: bigint;
}

/** One unwind section's words plus the relocations that apply to it (readelf's struct arm_section). */
class ArmSection {
  sec: SectionHeader | undefined;
  data: Uint8Array | undefined;
  relocs: Relocation[] | undefined;
  relType = 0;
  next = 0;
}

interface ArmAux {
  symtab: ElfSymbol[] | undefined;
  strtab: Uint8Array | undefined;
  funtab: ElfSymbol[];
}

const M64 = 0xffffffffffffffffn;

function cstr(bytes: Uint8Array, off: number): string {
  let end = bytes.indexOf(0, off);
  if (end < 0) end = bytes.length;
  let s = "";
  for (let i = off; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function armProcessUnwind(ctx: ReadelfContext): void {
  const file = ctx.file;
  const sections = file.sectionHeaders;
  const names = file.sectionNameTable;
  if (!names) return;
  const aux: ArmAux = { symtab: undefined, strtab: undefined, funtab: [] };
  let unwsec: SectionHeader | undefined;
  for (const sec of sections) {
    if (sec.sh_type === SHT_SYMTAB) {
      if (aux.symtab) ctx.error("Multiple symbol tables encountered");
      aux.symtab = file.symbols(sec);
      aux.strtab = undefined;
      if (sec.sh_link !== 0) {
        if (sec.sh_link >= sections.length) {
          ctx.error("Bad sh_link in symbol table section");
          return;
        }
        aux.strtab = file.sectionData(sections[sec.sh_link]!);
      }
    } else if (sec.sh_type === SHT_ARM_EXIDX) unwsec = sec;
  }
  const out: string[] = [];
  if (!unwsec) {
    ctx.out.write("\nThere are no unwind sections in this file.\n");
    return;
  }
  for (const sec of sections) {
    if (sec.sh_type !== SHT_ARM_EXIDX) continue;
    const n = sec.sh_size / 8n;
    const off = sec.sh_offset === 0n ? "0" : `0x${sec.sh_offset.toString(16)}`;
    out.push(
      `\nUnwind section '${printableSectionName(names.bytes, sec.sh_name)}' at offset ${off} contains ${n} ${n === 1n ? "entry" : "entries"}:\n`,
    );
    dumpArmUnwind(ctx, aux, sec, out);
    ctx.out.write(out.join(""));
    out.length = 0;
  }
}

/** get_unwind_section_word: the 32-bit word at `wordOffset`, with an R_ARM_PREL31 applied if one is there. */
function getWord(
  ctx: ReadelfContext,
  aux: ArmAux,
  cache: ArmSection,
  sec: SectionHeader | undefined,
  wordOffset: bigint,
  addr: AbsAddr,
  symName?: { value: number },
): number | undefined {
  const file = ctx.file;
  if (!sec) return undefined;
  addr.section = SHN_UNDEF;
  addr.offset = 0n;
  if (symName) symName.value = -1;
  if (cache.sec !== sec) {
    cache.sec = sec;
    const size = BigInt(file.size);
    cache.data =
      sec.sh_size !== 0n && sec.sh_offset <= size && sec.sh_size <= size - sec.sh_offset
        ? file.read(sec.sh_offset, sec.sh_size, "unwind data")
        : undefined;
    if (!cache.data && sec.sh_size !== 0n)
      ctx.error(`Reading ${sec.sh_size} bytes extends past end of file for unwind data`);
    cache.relocs = undefined;
    for (const relsec of file.sectionHeaders) {
      if (relsec.sh_info !== sec.index || (relsec.sh_type !== SHT_REL && relsec.sh_type !== SHT_RELA))
        continue;
      cache.relType = relsec.sh_type;
      const r = file.readerOver(
        file.sectionData(relsec),
        file.describeSection(relsec),
        Number(relsec.sh_offset),
      );
      cache.relocs = parseRelocations(file, r, relsec.sh_type === SHT_RELA ? "rela" : "rel");
      break;
    }
    cache.next = 0;
  }
  const data = cache.data;
  if (!data) return undefined;
  if (sec.sh_size < 4n || wordOffset > sec.sh_size - 4n) return undefined;
  const at = Number(wordOffset);
  let word = file.littleEndian
    ? (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0
    : ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
  const rels = cache.relocs;
  if (!rels) return word;
  let wrapped = false;
  let rp = cache.next;
  for (; rp !== rels.length; rp++) {
    if (rels[rp]!.r_offset > wordOffset && !wrapped) {
      rp = 0;
      wrapped = true;
    }
    const rel = rels[rp]!;
    if (rel.r_offset > wordOffset) break;
    if ((rel.r_offset & 3n) !== 0n) {
      ctx.warn(`Skipping unexpected relocation at offset 0x${rel.r_offset.toString(16)}`);
      continue;
    }
    if (rel.r_offset < wordOffset) continue;
    if (!aux.symtab) continue;
    let offset: bigint;
    if (cache.relType === SHT_REL) {
      offset = BigInt(word & 0x7fffffff);
      if (offset & 0x40000000n) offset |= ~0x7fffffffn & M64;
    } else offset = BigInt.asUintN(64, rel.r_addend);
    const symIndex = Number(BigInt.asUintN(32, rel.r_info) >> 8n);
    if (symIndex >= aux.symtab.length) {
      ctx.error(`Bad symbol index in unwind relocation (${symIndex} > ${aux.symtab.length})`);
      break;
    }
    const sym = aux.symtab[symIndex]!;
    offset = (offset + sym.st_value) & M64;
    const prelval = (offset - (sec.sh_addr + rel.r_offset)) & M64;
    const relname = relocTypeName(EM_ARM, Number(rel.r_info & 0xffn));
    if (relname === undefined) {
      ctx.warn(`Skipping unknown ARM relocation type: ${Number(rel.r_info & 0xffn)}`);
      continue;
    }
    if (relname === "R_ARM_NONE") continue;
    if (relname !== "R_ARM_PREL31") {
      ctx.warn(`Skipping unexpected ARM relocation type ${relname}`);
      continue;
    }
    word = ((word & 0x80000000) | Number(prelval & 0x7fffffffn)) >>> 0;
    addr.section = sym.shndx & 0xffff;
    addr.offset = offset;
    if (symName) symName.value = sym.st_name;
    break;
  }
  cache.next = rp;
  return word;
}

function expandPrel31(word: number, where: bigint): bigint {
  let offset = BigInt(word & 0x7fffffff);
  if (offset & 0x40000000n) offset |= ~0x7fffffffn & M64;
  return (offset + where) & M64;
}

/** find_symbol_for_address over the sorted STT_FUNC table (ARM: bit 0, the Thumb bit, ignored). */
function findSymbol(aux: ArmAux, addr: AbsAddr): { name: string | undefined; offset: bigint } {
  const target = addr.offset & ~1n;
  let dist = 0x100000n;
  let best: ElfSymbol | undefined;
  let beg = 0;
  let end = aux.funtab.length;
  while (beg < end) {
    const mid = beg + Math.floor((end - beg) / 2);
    const sym = aux.funtab[mid]!;
    const value = sym.st_value & ~1n;
    if (
      sym.st_name !== 0 &&
      (addr.section === SHN_UNDEF || addr.section === sym.shndx) &&
      target >= value &&
      target - value < dist
    ) {
      best = sym;
      dist = target - value;
      if (dist === 0n) break;
    }
    if (target < value) end = mid;
    else beg = mid + 1;
  }
  if (best) {
    const strtab = aux.strtab;
    const name = !strtab || best.st_name >= strtab.length ? "<corrupt>" : cstr(strtab, best.st_name);
    return { name, offset: dist };
  }
  return { name: undefined, offset: target };
}

/** arm_print_vma_and_name: "0x1234 <name+0x10>". */
function vmaAndName(aux: ArmAux, fn: bigint, addrIn: AbsAddr): { text: string; name: string | undefined } {
  const addr = { ...addrIn };
  if (addr.section === SHN_UNDEF) addr.offset = fn;
  const { name, offset } = findSymbol(aux, addr);
  let text = `0x${fn.toString(16)}`;
  if (name !== undefined) text += ` <${name}${offset !== 0n ? `+0x${offset.toString(16)}` : ""}>`;
  return { text, name };
}

function dumpArmUnwind(ctx: ReadelfContext, aux: ArmAux, exidx: SectionHeader, out: string[]): void {
  const exidxCache = new ArmSection();
  const extabCache = new ArmSection();
  const count = Number(exidx.sh_size / 8n);
  aux.funtab = (aux.symtab ?? []).filter((s) => s.st_value !== 0n && symType(s) === STT_FUNC);
  aux.funtab.sort((a, b) => (a.st_value > b.st_value ? 1 : a.st_value < b.st_value ? -1 : 0));
  const sections = ctx.file.sectionHeaders;
  for (let i = 0; i < count; i++) {
    out.push("\n");
    const fnAddr: AbsAddr = { section: 0, offset: 0n };
    const entryAddr: AbsAddr = { section: 0, offset: 0n };
    const exidxFn = getWord(ctx, aux, exidxCache, exidx, BigInt(8 * i), fnAddr);
    const exidxEntry =
      exidxFn === undefined ? undefined : getWord(ctx, aux, exidxCache, exidx, BigInt(8 * i + 4), entryAddr);
    if (exidxFn === undefined || exidxEntry === undefined) return;
    if (exidxFn & 0x80000000) ctx.warn(`corrupt index table entry: ${exidxFn.toString(16)}`);
    const fn = expandPrel31(exidxFn, exidx.sh_addr + BigInt(8 * i));
    out.push(`${vmaAndName(aux, fn, fnAddr).text}: `);
    if (exidxEntry === 1) {
      out.push("0x1 [cantunwind]\n");
    } else if (exidxEntry & 0x80000000) {
      out.push(`0x${exidxEntry.toString(16)}\n`);
      decodeArmUnwind(ctx, aux, exidxEntry, 4, 0n, undefined, undefined, out);
    } else {
      const table = expandPrel31(exidxEntry, exidx.sh_addr + BigInt(8 * i + 4));
      out.push(`@0x${table.toString(16)}\n`);
      let tableSec: SectionHeader | undefined;
      let tableOffset = 0n;
      if (entryAddr.section !== SHN_UNDEF && entryAddr.section < sections.length) {
        tableSec = sections[entryAddr.section]!;
        tableOffset = entryAddr.offset;
        if (tableOffset > tableSec.sh_size) {
          const names = ctx.file.sectionNameTable;
          ctx.warn(
            `Unwind entry contains corrupt offset (0x${tableOffset.toString(16)}) into section ${names ? printableSectionName(names.bytes, tableSec.sh_name) : "<no-strings>"}`,
          );
          continue;
        }
      } else {
        tableSec = sections.find((s) => table >= s.sh_addr && table < s.sh_addr + s.sh_size);
        if (tableSec) tableOffset = table - tableSec.sh_addr;
      }
      if (!tableSec) {
        ctx.warn(`Could not locate .ARM.extab section containing 0x${table.toString(16)}.`);
        continue;
      }
      decodeArmUnwind(ctx, aux, 0, 0, tableOffset, tableSec, extabCache, out);
    }
  }
  out.push("\n");
}

const GCC_PERSONALITIES = [
  "__gcc_personality_v0",
  "__gxx_personality_v0",
  "__gcj_personality_v0",
  "__gnu_objc_personality_v0",
];

/** The state decode_arm_unwind and decode_arm_unwind_bytecode share (their ADVANCE / GET_OP macros). */
interface Stream {
  word: number;
  remaining: number;
  moreWords: number;
  dataOffset: bigint;
}

function decodeArmUnwind(
  ctx: ReadelfContext,
  aux: ArmAux,
  wordIn: number,
  remainingIn: number,
  dataOffset: bigint,
  dataSec: SectionHeader | undefined,
  cache: ArmSection | undefined,
  out: string[],
): void {
  const st: Stream = { word: wordIn, remaining: remainingIn, moreWords: 0, dataOffset };
  const addr: AbsAddr = { section: SHN_UNDEF, offset: 0n };
  const symName = { value: -1 };
  if (st.remaining === 0) {
    const w = cache ? getWord(ctx, aux, cache, dataSec, dataOffset, addr, symName) : undefined;
    if (w === undefined) return;
    st.word = w;
    st.remaining = 4;
  }
  const advance = (): boolean => {
    if (st.remaining === 0 && st.moreWords !== 0) {
      st.dataOffset += 4n;
      const a: AbsAddr = { section: 0, offset: 0n };
      const w = cache ? getWord(ctx, aux, cache, dataSec, st.dataOffset, a) : undefined;
      if (w === undefined) return false;
      st.word = w;
      st.remaining = 4;
      st.moreWords--;
    }
    return true;
  };
  let perIndex: number;
  if ((st.word & 0x80000000) === 0) {
    const fn = expandPrel31(st.word, (dataSec?.sh_addr ?? 0n) + dataOffset);
    let line = "  Personality routine: ";
    let procname: string | undefined;
    const strtab = aux.strtab;
    if (
      fn === 0n &&
      addr.section === SHN_UNDEF &&
      addr.offset === 0n &&
      symName.value !== -1 &&
      strtab &&
      symName.value < strtab.length
    ) {
      procname = cstr(strtab, symName.value);
      line += `0x0 <${procname}>`;
    } else {
      const r = vmaAndName(aux, fn, addr);
      procname = r.name;
      line += r.text;
    }
    out.push(`${line}\n`);
    if (procname !== undefined && GCC_PERSONALITIES.some((p) => procname!.startsWith(p))) {
      st.remaining = 0;
      st.moreWords = 1;
      if (!advance()) return;
      if (!st.remaining) {
        out.push("  [Truncated data]\n");
        return;
      }
      st.moreWords = st.word >>> 24;
      st.word = (st.word << 8) >>> 0;
      st.remaining--;
      perIndex = -1;
    } else return;
  } else {
    if (st.word & 0x70000000) ctx.warn(`Corrupt ARM compact model table entry: ${st.word.toString(16)} `);
    perIndex = (st.word >>> 24) & 0x7f;
    out.push(`  Compact model index: ${perIndex}\n`);
    if (perIndex === 0) {
      st.moreWords = 0;
      st.word = (st.word << 8) >>> 0;
      st.remaining--;
    } else if (perIndex < 3) {
      st.moreWords = (st.word >>> 16) & 0xff;
      st.word = (st.word << 16) >>> 0;
      st.remaining -= 2;
    }
  }
  if (perIndex < 3) decodeBytecode(st, advance, out, ctx);
  else {
    ctx.warn("Unknown ARM compact model index encountered");
    out.push("  [reserved]\n");
  }
}

/** decode_arm_unwind_bytecode: one line per EHABI unwinding instruction. */
function decodeBytecode(st: Stream, advance: () => boolean, out: string[], ctx: ReadelfContext): void {
  let line = "";
  const take = (): number | undefined => {
    if (!advance()) return undefined;
    if (st.remaining) {
      st.remaining--;
      const op = st.word >>> 24;
      st.word = (st.word << 8) >>> 0;
      line += `0x${op.toString(16).padStart(2, "0")} `;
      return op;
    }
    line += "[Truncated opcode]\n";
    return undefined;
  };
  const list = (mask: number, n: number, name: (i: number) => string): string => {
    const regs: string[] = [];
    for (let i = 0; i < n; i++) if (mask & (1 << i)) regs.push(name(i));
    return regs.join(", ");
  };
  for (;;) {
    if (!advance()) return;
    if (st.remaining === 0) break;
    st.remaining--;
    const op = st.word >>> 24;
    st.word = (st.word << 8) >>> 0;
    line = `  0x${op.toString(16).padStart(2, "0")} `;
    const fail = () => {
      out.push(line);
    };
    if ((op & 0xc0) === 0x00) line += `     vsp = vsp + ${((op & 0x3f) << 2) + 4}`;
    else if ((op & 0xc0) === 0x40) line += `     vsp = vsp - ${((op & 0x3f) << 2) + 4}`;
    else if ((op & 0xf0) === 0x80) {
      const op2 = take();
      if (op2 === undefined) {
        fail();
        return;
      }
      if (op === 0x80 && op2 === 0) line += "Refuse to unwind";
      else line += `pop {${list(((op & 0x0f) << 8) | op2, 12, (i) => `r${4 + i}`)}}`;
    } else if ((op & 0xf0) === 0x90) {
      line += op === 0x9d || op === 0x9f ? "     [Reserved]" : `     vsp = r${op & 0x0f}`;
    } else if ((op & 0xf0) === 0xa0) {
      const end = 4 + (op & 0x07);
      const regs: string[] = [];
      for (let i = 4; i <= end; i++) regs.push(`r${i}`);
      if (op & 0x08) regs.push("r14");
      line += `     pop {${regs.join(", ")}}`;
    } else if (op === 0xb0) line += "     finish";
    else if (op === 0xb1) {
      const op2 = take();
      if (op2 === undefined) {
        fail();
        return;
      }
      if (op2 === 0 || (op2 & 0xf0) !== 0) line += "[Spare]";
      else line += `pop {${list(op2 & 0x0f, 12, (i) => `r${i}`)}}`;
    } else if (op === 0xb2) {
      const buf: number[] = [];
      let i = 0;
      for (; i < 9; i++) {
        const b = take();
        if (b === undefined) {
          fail();
          return;
        }
        buf.push(b);
        if ((b & 0x80) === 0) break;
      }
      if (i === 9) ctx.error("corrupt change to vsp");
      else {
        let v = 0n;
        for (let k = buf.length - 1; k >= 0; k--) v = (v << 7n) | BigInt(buf[k]! & 0x7f);
        line += `vsp = vsp + ${BigInt.asIntN(64, v * 4n + 0x204n)}`;
      }
    } else if (op === 0xb3 || op === 0xc8 || op === 0xc9) {
      const op2 = take();
      if (op2 === undefined) {
        fail();
        return;
      }
      let first = op2 >> 4;
      const last = op2 & 0x0f;
      if (op === 0xc8) first += 16;
      line += `pop {D${first}${last ? `-D${first + last}` : ""}}`;
    } else if (op === 0xb4) line += "     pop {ra_auth_code}";
    else if (op === 0xb5) line += "     vsp as modifier for PAC validation";
    else if ((op & 0xf8) === 0xb8 || (op & 0xf8) === 0xd0) {
      const n = op & 0x07;
      line += `pop {D8${n ? `-D${8 + n}` : ""}}`;
    } else if (op >= 0xc0 && op <= 0xc5) {
      const n = op & 0x07;
      line += `     pop {wR10${n ? `-wR${10 + n}` : ""}}`;
    } else if (op === 0xc6) {
      const op2 = take();
      if (op2 === undefined) {
        fail();
        return;
      }
      const first = op2 >> 4;
      const last = op2 & 0x0f;
      line += `pop {wR${first}${last ? `-wR${first + last}` : ""}}`;
    } else if (op === 0xc7) {
      const op2 = take();
      if (op2 === undefined) {
        fail();
        return;
      }
      if (op2 === 0 || (op2 & 0xf0) !== 0) line += "[Spare]";
      else line += `pop {${list(op2 & 0x0f, 4, (i) => `wCGR${i}`)}}`;
    } else line += "     [unsupported opcode]";
    out.push(`${line}\n`);
  }
}
