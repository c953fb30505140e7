import { type ElfFile, EM_ARM, EM_MIPS, EM_RISCV, EM_S390, SHT_GNU_ATTRIBUTES } from "../../elf/index.js";
import type { ReadelfContext } from "./context.js";
import { mipsSpecific } from "./mips-specific.js";
import { printSymbol } from "./notes.js";

/** SHT_ARM_ATTRIBUTES and SHT_RISCV_ATTRIBUTES share the processor-specific number. */
const SHT_PROC_ATTRIBUTES = 0x70000003;

/** Text accumulated for one -A run; messages flush it first, as readelf's warn()/error() flush stdout. */
export class AttrOut {
  private parts: string[] = [];
  constructor(readonly ctx: ReadelfContext) {}
  put(s: string): void {
    this.parts.push(s);
  }
  flush(): void {
    if (this.parts.length) this.ctx.out.write(this.parts.join(""));
    this.parts = [];
  }
  warn(m: string): void {
    this.flush();
    this.ctx.warn(m);
  }
  error(m: string): void {
    this.flush();
    this.ctx.error(m);
  }
}

/** A cursor over attribute bytes that never reads at or past `end`. */
interface Cursor {
  bytes: Uint8Array;
  p: number;
}

/** READ_ULEB into a variable of `bits` bits: readelf reports a truncated or oversized LEB128 and goes on. */
export function readUleb(o: AttrOut, c: Cursor, end: number, bits: 32 | 64 = 32): bigint {
  let result = 0n;
  let shift = 0n;
  let status = 1;
  while (c.p < end) {
    const byte = c.bytes[c.p++]!;
    if (shift < 64n) {
      result |= BigInt(byte & 0x7f) << shift;
      const kept = (result >> shift) & 0xffn;
      const lost = BigInt(byte) ^ kept;
      const mask = 0x7fn ^ (((0x7fn << shift) & 0xffffffffffffffffn) >> shift);
      if ((lost & mask) !== 0n) status |= 2;
      shift += 7n;
    } else if ((byte & 0x7f) !== 0) status |= 2;
    if ((byte & 0x80) === 0) {
      status &= ~1;
      break;
    }
  }
  result &= 0xffffffffffffffffn;
  if (bits === 32 && result > 0xffffffffn) {
    status |= 2;
    result &= 0xffffffffn;
  }
  if (status & 1) o.error("end of data encountered whilst reading LEB");
  else if (status & 2) o.error("read LEB value is too large to store in destination variable");
  return result;
}

const i32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** strnlen-bounded C string at p (within maxlen bytes) and whether a NUL ended it. */
function cstr(c: Cursor, maxlen: number): { s: string; len: number } {
  let len = 0;
  let s = "";
  while (len < maxlen && c.bytes[c.p + len] !== 0) {
    s += String.fromCharCode(c.bytes[c.p + len]!);
    len++;
  }
  return { s, len };
}

/** print_symbol(maxlen, p) then p += strnlen(p, maxlen) + 1: a positive width, so no padding. */
function boundedString(o: AttrOut, c: Cursor, maxlen: number): string {
  let s = "";
  for (let i = c.p; i < c.bytes.length && c.bytes[i] !== 0; i++) s += String.fromCharCode(c.bytes[i]!);
  c.p += Math.min(s.length, maxlen) + 1;
  return printSymbol(s, maxlen, o.ctx.opts.wide, o.ctx.opts.silentTruncation).text;
}

/** display_tag_value. */
export function displayTagValue(o: AttrOut, tag: number, c: Cursor, end: number): void {
  if (tag > 0) o.put(`  Tag_unknown_${tag}: `);
  if (c.p >= end) {
    o.warn("<corrupt tag>");
  } else if (tag & 1) {
    const maxlen = end - c.p - 1;
    o.put('"');
    if (maxlen > 0) {
      o.put(boundedString(o, c, maxlen));
    } else {
      o.put("<corrupt string tag>");
      c.p = end;
    }
    o.put('"\n');
  } else {
    const val = readUleb(o, c, end, 64);
    o.put(`${BigInt.asIntN(64, val)} (0x${val.toString(16)})\n`);
  }
}

// --- ARM (display_arm_attribute) -----------------------------------------------------------------

const CPU_ARCH = [
  "Pre-v4",
  "v4",
  "v4T",
  "v5T",
  "v5TE",
  "v5TEJ",
  "v6",
  "v6KZ",
  "v6T2",
  "v6K",
  "v7",
  "v6-M",
  "v6S-M",
  "v7E-M",
  "v8",
  "v8-R",
  "v8-M.baseline",
  "v8-M.mainline",
  "v8.1-A",
  "v8.2-A",
  "v8.3-A",
  "v8.1-M.mainline",
  "v9",
];

type ArmTag = [string, 0 | 1 | 2 | readonly string[]];
const NO_ALLOWED = ["Not Allowed", "Allowed"];
const UNUSED_NEEDED = ["Unused", "Needed"];
const ARM_TAGS: Record<number, ArmTag> = {
  4: ["CPU_raw_name", 1],
  5: ["CPU_name", 1],
  6: ["CPU_arch", CPU_ARCH],
  7: ["CPU_arch_profile", 0],
  8: ["ARM_ISA_use", ["No", "Yes"]],
  9: ["THUMB_ISA_use", ["No", "Thumb-1", "Thumb-2", "Yes"]],
  10: [
    "FP_arch",
    [
      "No",
      "VFPv1",
      "VFPv2",
      "VFPv3",
      "VFPv3-D16",
      "VFPv4",
      "VFPv4-D16",
      "FP for ARMv8",
      "FPv5/FP-D16 for ARMv8",
    ],
  ],
  11: ["WMMX_arch", ["No", "WMMXv1", "WMMXv2"]],
  12: ["Advanced_SIMD_arch", ["No", "NEONv1", "NEONv1 with Fused-MAC", "NEON for ARMv8", "NEON for ARMv8.1"]],
  13: [
    "PCS_config",
    [
      "None",
      "Bare platform",
      "Linux application",
      "Linux DSO",
      "PalmOS 2004",
      "PalmOS (reserved)",
      "SymbianOS 2004",
      "SymbianOS (reserved)",
    ],
  ],
  14: ["ABI_PCS_R9_use", ["V6", "SB", "TLS", "Unused"]],
  15: ["ABI_PCS_RW_data", ["Absolute", "PC-relative", "SB-relative", "None"]],
  16: ["ABI_PCS_RO_data", ["Absolute", "PC-relative", "None"]],
  17: ["ABI_PCS_GOT_use", ["None", "direct", "GOT-indirect"]],
  18: ["ABI_PCS_wchar_t", ["None", "??? 1", "2", "??? 3", "4"]],
  19: ["ABI_FP_rounding", UNUSED_NEEDED],
  20: ["ABI_FP_denormal", ["Unused", "Needed", "Sign only"]],
  21: ["ABI_FP_exceptions", UNUSED_NEEDED],
  22: ["ABI_FP_user_exceptions", UNUSED_NEEDED],
  23: ["ABI_FP_number_model", ["Unused", "Finite", "RTABI", "IEEE 754"]],
  24: ["ABI_align_needed", 0],
  25: ["ABI_align_preserved", 0],
  26: ["ABI_enum_size", ["Unused", "small", "int", "forced to int"]],
  27: ["ABI_HardFP_use", ["As Tag_FP_arch", "SP only", "Reserved", "Deprecated"]],
  28: ["ABI_VFP_args", ["AAPCS", "VFP registers", "custom", "compatible"]],
  29: ["ABI_WMMX_args", ["AAPCS", "WMMX registers", "custom"]],
  30: [
    "ABI_optimization_goals",
    [
      "None",
      "Prefer Speed",
      "Aggressive Speed",
      "Prefer Size",
      "Aggressive Size",
      "Prefer Debug",
      "Aggressive Debug",
    ],
  ],
  31: [
    "ABI_FP_optimization_goals",
    [
      "None",
      "Prefer Speed",
      "Aggressive Speed",
      "Prefer Size",
      "Aggressive Size",
      "Prefer Accuracy",
      "Aggressive Accuracy",
    ],
  ],
  32: ["compatibility", 0],
  34: ["CPU_unaligned_access", ["None", "v6"]],
  36: ["FP_HP_extension", NO_ALLOWED],
  38: ["ABI_FP_16bit_format", ["None", "IEEE 754", "Alternative Format"]],
  42: ["MPextension_use", NO_ALLOWED],
  44: [
    "DIV_use",
    ["Allowed in Thumb-ISA, v7-R or v7-M", "Not allowed", "Allowed in v7-A with integer division extension"],
  ],
  46: ["DSP_extension", ["Follow architecture", "Allowed"]],
  48: ["MVE_arch", ["No MVE", "MVE Integer only", "MVE Integer and FP"]],
  50: [
    "PAC_extension",
    [
      "No PAC/AUT instructions",
      "PAC/AUT instructions permitted in the NOP space",
      "PAC/AUT instructions permitted in the NOP and in the non-NOP space",
    ],
  ],
  52: [
    "BTI_extension",
    [
      "BTI instructions not permitted",
      "BTI instructions permitted in the NOP space",
      "BTI instructions permitted in the NOP and in the non-NOP space",
    ],
  ],
  74: ["BTI_use", ["Compiled without branch target enforcement", "Compiled with branch target enforcement"]],
  76: [
    "PACRET_use",
    [
      "Compiled without return address signing and authentication",
      "Compiled with return address signing and authentication",
    ],
  ],
  64: ["nodefaults", 0],
  65: ["also_compatible_with", 0],
  66: ["T2EE_use", NO_ALLOWED],
  67: ["conformance", 1],
  68: [
    "Virtualization_use",
    ["Not Allowed", "TrustZone", "Virtualization Extensions", "TrustZone and Virtualization Extensions"],
  ],
  70: ["MPextension_use_legacy", NO_ALLOWED],
};

function alignText(val: number, kind: 24 | 25): string {
  switch (val) {
    case 0:
      return "None";
    case 1:
      return kind === 24 ? "8-byte" : "8-byte, except leaf SP";
    case 2:
      return kind === 24 ? "4-byte" : "8-byte";
    case 3:
      return "??? 3";
    default:
      return val >= 0 && val <= 12 ? `8-byte and up to ${1 << val}-byte extended` : `??? (${val})`;
  }
}

function armAttribute(o: AttrOut, c: Cursor, end: number): void {
  const tag = Number(readUleb(o, c, end));
  const attr = ARM_TAGS[tag];
  if (!attr) {
    displayTagValue(o, i32(BigInt(tag)), c, end);
    return;
  }
  o.put(`  Tag_${attr[0]}: `);
  const kind = attr[1];
  if (kind === 1) {
    displayTagValue(o, -1, c, end);
    return;
  }
  if (kind === 2) {
    displayTagValue(o, 0, c, end);
    return;
  }
  if (kind !== 0) {
    const val = Number(readUleb(o, c, end));
    o.put(val >= kind.length ? `??? (${val | 0})\n` : `${kind[val]}\n`);
    return;
  }
  switch (tag) {
    case 7: {
      const val = Number(readUleb(o, c, end));
      const names: Record<number, string> = {
        0: "None",
        65: "Application",
        82: "Realtime",
        77: "Microcontroller",
        83: "Application or Realtime",
      };
      o.put(`${names[val] ?? `??? (${val | 0})`}\n`);
      return;
    }
    case 24:
    case 25:
      o.put(`${alignText(Number(readUleb(o, c, end)) | 0, tag)}\n`);
      return;
    case 32: {
      const val = Number(readUleb(o, c, end));
      o.put(`flag = ${val | 0}, vendor = `);
      if (c.p < end - 1) o.put(boundedString(o, c, end - c.p - 1));
      else {
        o.put("<corrupt>");
        c.p = end;
      }
      o.put("\n");
      return;
    }
    case 64:
      if (c.p < end) c.p++;
      o.put("True\n");
      return;
    case 65: {
      let val = Number(readUleb(o, c, end));
      if (val === 6) {
        val = Number(readUleb(o, c, end));
        o.put(val >= CPU_ARCH.length ? `??? (${val | 0})\n` : `${CPU_ARCH[val]}\n`);
      } else o.put("???\n");
      while (c.p < end && c.bytes[c.p++] !== 0) {
        /* skip to the NUL terminator */
      }
      return;
    }
    default:
      o.put(`<unknown: ${tag}>\n`);
  }
}

// --- RISC-V (display_riscv_attribute) ------------------------------------------------------------

const RISCV_TAGS: Record<number, string> = {
  4: "Tag_RISCV_stack_align",
  5: "Tag_RISCV_arch",
  6: "Tag_RISCV_unaligned_access",
  8: "Tag_RISCV_priv_spec",
  10: "Tag_RISCV_priv_spec_minor",
  12: "Tag_RISCV_priv_spec_revision",
};

function riscvAttribute(o: AttrOut, c: Cursor, end: number): void {
  const tag = readUleb(o, c, end, 64);
  const name = tag < 64n ? RISCV_TAGS[Number(tag)] : undefined;
  if (!name) {
    displayTagValue(o, i32(tag), c, end);
    return;
  }
  o.put(`  ${name}: `);
  switch (Number(tag)) {
    case 8:
    case 10:
    case 12:
      o.put(`${readUleb(o, c, end, 64)}\n`);
      return;
    case 6: {
      const val = readUleb(o, c, end, 64);
      if (val === 0n) o.put("No unaligned access\n");
      else if (val === 1n) o.put("Unaligned access\n");
      return;
    }
    case 4:
      o.put(`${readUleb(o, c, end, 64)}-bytes\n`);
      return;
    default:
      displayTagValue(o, -1, c, end);
  }
}

// --- GNU vendor section (display_gnu_attribute and the processor hooks) ---------------------------

type ProcGnu = (o: AttrOut, c: Cursor, tag: number, end: number) => void;

/** display_generic_attribute: tag 0 swallows the rest. */
const genericGnu: ProcGnu = (o, c, tag, end) => {
  if (tag === 0) {
    c.p = end;
    return;
  }
  displayTagValue(o, tag, c, end);
};

const s390Gnu: ProcGnu = (o, c, tag, end) => {
  if (tag === 8) {
    o.put("  Tag_GNU_S390_ABI_Vector: ");
    const val = Number(readUleb(o, c, end));
    o.put(`${["any", "software", "hardware"][val] ?? `??? (${val | 0})`}\n`);
    return;
  }
  displayTagValue(o, tag & 1, c, end);
};

const MIPS_FP_ABI = [
  "Hard or soft float",
  "Hard float (double precision)",
  "Hard float (single precision)",
  "Soft float",
  "Hard float (MIPS32r2 64-bit FPU 12 callee-saved)",
  "Hard float (32-bit CPU, Any FPU)",
  "Hard float (32-bit CPU, 64-bit FPU)",
  "Hard float compat (32-bit CPU, 64-bit FPU)",
  "NaN 2008 compatibility",
];
export const mipsFpAbiText = (val: number): string => MIPS_FP_ABI[val] ?? `??? (${val | 0})`;

const mipsGnu: ProcGnu = (o, c, tag, end) => {
  if (tag === 4) {
    o.put("  Tag_GNU_MIPS_ABI_FP: ");
    o.put(`${mipsFpAbiText(Number(readUleb(o, c, end)))}\n`);
    return;
  }
  if (tag === 8) {
    o.put("  Tag_GNU_MIPS_ABI_MSA: ");
    const val = Number(readUleb(o, c, end));
    o.put(`${["Any MSA or not", "128-bit MSA"][val] ?? `??? (${val | 0})`}\n`);
    return;
  }
  displayTagValue(o, tag & 1, c, end);
};

function gnuAttribute(o: AttrOut, c: Cursor, proc: ProcGnu, end: number): void {
  const tag = Number(readUleb(o, c, end));
  if (tag === 32) {
    const val = Number(readUleb(o, c, end));
    o.put(`flag = ${val | 0}, vendor = `);
    if (c.p === end) {
      o.put("<corrupt>\n");
      o.warn("corrupt vendor attribute");
      return;
    }
    if (c.p < end - 1) o.put(boundedString(o, c, end - c.p - 1));
    else {
      o.put("<corrupt>");
      c.p = end;
    }
    o.put("\n");
    return;
  }
  if ((tag & 2) === 0) {
    proc(o, c, tag, end);
    return;
  }
  displayTagValue(o, i32(BigInt(tag)), c, end);
}

type PubAttr = (o: AttrOut, c: Cursor, end: number) => void;

/** display_public_gnu_attributes (the "gnu" public section of other machines): raw bytes. */
const publicGnu: PubAttr = (o, c, end) => {
  const { s, len } = cstr(c, end - c.p);
  o.put(`  Unknown GNU attribute: ${s}\n`);
  c.p += len;
  rawAttribute(o, c.bytes, c.p, end);
  c.p = end;
};

function rawAttribute(o: AttrOut, bytes: Uint8Array, p: number, end: number): void {
  let addr = 0;
  for (let at = p; at < end; at += 16) {
    const n = Math.min(16, end - at);
    let line = `  0x${addr.toString(16).padStart(8, "0")} `;
    for (let j = 0; j < 16; j++) {
      line += j < n ? bytes[at + j]!.toString(16).padStart(2, "0") : "  ";
      if ((j & 3) === 3) line += " ";
    }
    for (let j = 0; j < n; j++) {
      const k = bytes[at + j]!;
      line += k >= 0x20 && k < 0x7f ? String.fromCharCode(k) : ".";
    }
    o.put(`${line}\n`);
    addr += n;
  }
  o.put("\n");
}

/** readelf.c process_attributes. Returns false where readelf's would. */
export function processAttributes(
  o: AttrOut,
  publicName: string | undefined,
  procType: number,
  pub: PubAttr | undefined,
  proc: ProcGnu | undefined,
): boolean {
  const { file } = o.ctx;
  let ok = true;
  for (const sh of file.sectionHeaders) {
    if (sh.sh_type !== procType && sh.sh_type !== SHT_GNU_ATTRIBUTES) continue;
    if (sh.sh_size === 0n) {
      ok = false;
      continue;
    }
    if (sh.sh_offset > BigInt(file.size) || sh.sh_size > BigInt(file.size) - sh.sh_offset) {
      o.error(`Reading ${sh.sh_size} bytes extends past end of file for attributes`);
      ok = false;
      continue;
    }
    const bytes = file.read(sh.sh_offset, sh.sh_size, file.describeSection(sh));
    const total = bytes.length;
    if (bytes[0] !== 0x41) {
      o.put(`Unknown attributes version '${String.fromCharCode(bytes[0]!)}'(${bytes[0]}) - expecting 'A'\n`);
      ok = false;
      continue;
    }
    const word = (at: number): number =>
      new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, file.littleEndian);
    let sectionLen = total - 1;
    let p = 1;
    while (sectionLen > 0) {
      if (sectionLen <= 4) {
        o.error("Tag section ends prematurely");
        ok = false;
        break;
      }
      let attrLen = word(p);
      p += 4;
      if (attrLen > sectionLen) {
        o.error(`Bad attribute length (${attrLen} > ${sectionLen})`);
        attrLen = sectionLen;
        ok = false;
      } else if (attrLen < 5) {
        o.error(`Attribute length of ${attrLen} is too small`);
        ok = false;
        break;
      }
      sectionLen -= attrLen;
      attrLen -= 4;
      let namelen = 0;
      while (namelen < attrLen && bytes[p + namelen] !== 0) namelen++;
      namelen++;
      if (namelen >= attrLen) {
        o.error("Corrupt attribute section name");
        ok = false;
        break;
      }
      let name = "";
      for (let i = 0; i < namelen - 1; i++) name += String.fromCharCode(bytes[p + i]!);
      o.put(
        `Attribute Section: ${printSymbol(name, 0x7fffffff, o.ctx.opts.wide, o.ctx.opts.silentTruncation).text}\n`,
      );
      let isPublic = publicName !== undefined && name === publicName;
      const isGnu = name === "gnu";
      p += namelen;
      attrLen -= namelen;
      while (attrLen > 0 && p < total) {
        if (attrLen < 6) {
          o.error("Unused bytes at end of section");
          ok = false;
          sectionLen = 0;
          break;
        }
        const tag = bytes[p++]!;
        let size = word(p);
        if (size > attrLen) {
          o.error(`Bad subsection length (${size} > ${attrLen})`);
          ok = false;
          size = attrLen;
        }
        if (size < 6) {
          o.error(`Bad subsection length (${size} < 6)`);
          ok = false;
          sectionLen = 0;
          break;
        }
        attrLen -= size;
        const end = p + size - 1;
        p += 4;
        const c: Cursor = { bytes, p };
        switch (tag) {
          case 1:
            o.put("File Attributes\n");
            break;
          case 2:
          case 3: {
            let line = tag === 2 ? "Section Attributes:" : "Symbol Attributes:";
            for (;;) {
              const val = Number(readUleb(o, c, end));
              if (val === 0) break;
              line += ` ${val | 0}`;
            }
            o.put(`${line}\n`);
            break;
          }
          default:
            o.put(`Unknown tag: ${tag}\n`);
            isPublic = false;
        }
        if (isPublic && pub) {
          while (c.p < end) pub(o, c, end);
        } else if (isGnu && proc) {
          while (c.p < end) gnuAttribute(o, c, proc, end);
        } else if (c.p < end) {
          o.put("  Unknown attribute:\n");
          rawAttribute(o, bytes, c.p, end);
          c.p = end;
        } else attrLen = 0;
        p = c.p;
      }
    }
  }
  return ok;
}

/** readelf -A: readelf.c process_arch_specific. */
export function printArchSpecific(ctx: ReadelfContext): void {
  const o = new AttrOut(ctx);
  try {
    archSpecific(o, ctx.file);
  } finally {
    o.flush();
  }
}

function archSpecific(o: AttrOut, file: ElfFile): void {
  switch (file.header.e_machine) {
    case EM_ARM:
      processAttributes(o, "aeabi", SHT_PROC_ATTRIBUTES, armAttribute, genericGnu);
      return;
    case EM_RISCV:
      processAttributes(o, "riscv", SHT_PROC_ATTRIBUTES, riscvAttribute, genericGnu);
      return;
    case EM_MIPS:
    case 10: // EM_MIPS_RS3_LE
      // process_mips_specific: the GNU attributes, then ABI flags, options and GOT tables.
      processAttributes(o, undefined, SHT_GNU_ATTRIBUTES, undefined, mipsGnu);
      mipsSpecific(o);
      return;
    case EM_S390:
    case 0xa390: // EM_S390_OLD
      processAttributes(o, undefined, SHT_GNU_ATTRIBUTES, undefined, s390Gnu);
      return;
    default:
      // x86, AArch64 and the rest: only a "gnu" attribute section, shown raw.
      processAttributes(o, "gnu", SHT_GNU_ATTRIBUTES, publicGnu, genericGnu);
  }
}
