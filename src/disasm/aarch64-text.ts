// AArch64 instruction text as GNU objdump 2.40 prints it, made from Capstone's (LLVM-style) text for the
// same word. Capstone decodes; what differs is spelling: which immediates print in hex and which in
// decimal, the `// ...` comments objdump adds, the condition names it prefers, branch targets as
// `ADDR <sym>`. Every table and rule here was measured by comparing aarch64-linux-gnu-objdump's listing
// of the cross toolchain's libraries with Capstone's text word by word (scripts/compat-disasm.mjs
// --aarch64); none comes from binutils' source.
import type { Symbolizer } from "./x86.js";

/**
 * Mnemonics whose plain `#imm` operands objdump prints in decimal (shift amounts, bit numbers and field
 * widths, vector element indices, fixed-point fraction bits); every other plain immediate is hex.
 */
const DECIMAL_IMMEDIATES = new Set([
  "lsl",
  "lsr",
  "asr",
  "ror",
  "ubfx",
  "sbfx",
  "ubfiz",
  "sbfiz",
  "bfi",
  "bfxil",
  "bfc",
  "bfm",
  "ubfm",
  "sbfm",
  "extr",
  "tbz",
  "tbnz",
  "ext",
  "udf",
  "shl",
  "sshr",
  "ushr",
  "srshr",
  "urshr",
  "ssra",
  "usra",
  "srsra",
  "ursra",
  "sri",
  "sli",
  "sqshl",
  "uqshl",
  "sqshlu",
  "shrn",
  "shrn2",
  "rshrn",
  "rshrn2",
  "sqshrn",
  "sqshrn2",
  "uqshrn",
  "uqshrn2",
  "sqrshrn",
  "sqrshrn2",
  "uqrshrn",
  "uqrshrn2",
  "sqshrun",
  "sqshrun2",
  "sqrshrun",
  "sqrshrun2",
  "sshll",
  "sshll2",
  "ushll",
  "ushll2",
  "shll",
  "shll2",
  "scvtf",
  "ucvtf",
  "fcvtzs",
  "fcvtzu",
  "xar",
  "cmeq",
  "cmge",
  "cmgt",
  "cmle",
  "cmlt",
]);

/** Aliases objdump prefers where Capstone prints the instruction they stand for (shift by #0). */
const ZERO_SHIFT_ALIASES: Record<string, string> = {
  ushll: "uxtl",
  ushll2: "uxtl2",
  sshll: "sxtl",
  sshll2: "sxtl2",
};

/** Condition codes as objdump names them (Capstone says hs/lo for cs/cc), with the aliases it lists. */
const CONDITION_NAME: Record<string, string> = { hs: "cs", lo: "cc" };
const CONDITION_ALIASES: Record<string, string[]> = {
  eq: ["none"],
  ne: ["any"],
  cs: ["hs", "nlast"],
  cc: ["lo", "ul", "last"],
  mi: ["first"],
  pl: ["nfrst"],
  hi: ["pmore"],
  ls: ["plast"],
  ge: ["tcont"],
  lt: ["tstop"],
};

/** Instructions whose last operand is a condition, commented `// cond = aliases`. */
const CONDITIONAL = new Set([
  "csel",
  "csinc",
  "csinv",
  "csneg",
  "cset",
  "csetm",
  "cinc",
  "cinv",
  "cneg",
  "ccmp",
  "ccmn",
  "fcsel",
  "fccmp",
  "fccmpe",
]);

/** `mov` with an immediate: the operand padded to this width before objdump's `\t// #decimal`. */
const MOV_IMMEDIATE_WIDTH = 23;

const hex = (v: bigint): string => v.toString(16);

/** Splits Capstone's operand text at the commas outside `[...]` and `{...}`. */
export function splitOperands(ops: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < ops.length; i++) {
    const c = ops.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c && depth === 0) {
      out.push(ops.slice(start, i));
      start = i + 2; // ", "
      i++;
    }
  }
  if (ops.length > 0) out.push(ops.slice(start));
  return out;
}

/** The value of Capstone's `#imm` text (`#12`, `#0x1c`, `#-0x10`). */
function immediateValue(text: string): bigint | undefined {
  const m = /^#(-?)(0x[0-9a-f]+|[0-9]+)$/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2] as string);
  return m[1] ? -v : v;
}

const decimal = (v: bigint) => `#${v.toString(10)}`;
const hexImmediate = (v: bigint) => (v < 0n ? `#-0x${hex(-v)}` : `#0x${hex(v)}`);

/** A post-index offset: Capstone prints a negative one as its unsigned 64-bit value. */
function postIndex(text: string): string {
  const v = immediateValue(text);
  return v === undefined ? decimalInside(text) : decimal(BigInt.asIntN(64, v));
}

/** `#0x10` inside an operand (a memory offset, a shift amount) as objdump's decimal. */
function decimalInside(text: string): string {
  return text.replace(/#(-?)0x([0-9a-f]+)/g, (_, sign: string, digits: string) => {
    const v = BigInt(`0x${digits}`);
    return `#${sign}${v.toString(10)}`;
  });
}

/** A PC-relative target (Capstone's absolute `#0x...`) as objdump's `ADDR <sym>`. */
function target(text: string, symbolize: Symbolizer, showAddress: boolean): string {
  const v = immediateValue(text);
  if (v === undefined) return text;
  const address = BigInt.asUintN(64, v);
  const name = symbolize(address);
  return showAddress || name === "" ? `${hex(address)}${name}` : name.slice(1);
}

/** Capstone's `#1.00000000` as C's `%.18e`, which objdump uses for floating-point immediates. */
function floatImmediate(text: string): string {
  const value = Number.parseFloat(text.slice(1));
  const [mantissa, exponent] = value.toExponential(18).split("e") as [string, string];
  const sign = exponent.startsWith("-") ? "-" : "+";
  const digits = exponent.replace(/^[+-]/, "").padStart(2, "0");
  return `#${mantissa}e${sign}${digits}`;
}

/** AND/ORR/EOR/ANDS (immediate): the encoding's bitmask immediate (the ARM ARM's DecodeBitMasks). */
function logicalImmediate(word: number): bigint | undefined {
  if ((word & 0x1f800000) !== 0x12000000) return undefined;
  const width = word >>> 31 ? 64 : 32;
  const n = (word >>> 22) & 1;
  const immr = (word >>> 16) & 0x3f;
  const imms = (word >>> 10) & 0x3f;
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return undefined;
  const len = 31 - Math.clz32(combined);
  const esize = 1 << len;
  const levels = esize - 1;
  const s = imms & levels;
  const r = immr & levels;
  if (s === levels) return undefined;
  const mask = (1n << BigInt(esize)) - 1n;
  const ones = (1n << BigInt(s + 1)) - 1n;
  const element = ((ones >> BigInt(r)) | (ones << BigInt(esize - r))) & mask;
  let value = 0n;
  for (let at = 0; at < width; at += esize) value |= element << BigInt(at);
  return value;
}

/** SVE CPY (immediate) and DUP (immediate): the signed value `imm8 << (sh ? 8 : 0)`. */
function sveCopyImmediate(word: number): number | undefined {
  const cpy = (word & 0xff300000) >>> 0 === 0x05100000;
  const dup = (word & 0xff3fc000) >>> 0 === 0x2538c000;
  if (!cpy && !dup) return undefined;
  const imm8 = (((word >>> 5) & 0xff) << 24) >> 24;
  return (word >>> 13) & 1 ? imm8 * 256 : imm8;
}

/** SVE AND/ORR/EOR/DUPM (immediate): the bitmask cut to the element size the register names. */
function sveBitmask(word: number, ops: string[]): bigint | undefined {
  if ((word & 0xff3c0000) >>> 0 !== 0x05000000 && (word & 0xfffc0000) >>> 0 !== 0x05c00000) return undefined;
  const last = ops[ops.length - 1];
  const element = /^z\d+\.([bhsd])$/.exec(ops[0] ?? "")?.[1];
  const v = last === undefined ? undefined : immediateValue(last);
  if (v === undefined || element === undefined) return undefined;
  const bits = { b: 8, h: 16, s: 32, d: 64 }[element] as number;
  return BigInt.asUintN(bits, v);
}

/** Instruction words whose operand holds an address relative to the instruction's own. */
export function isPcRelative(word: number): boolean {
  return (
    (word & 0x7c000000) === 0x14000000 || // b, bl
    (word & 0xff000010) >>> 0 === 0x54000000 || // b.cond
    (word & 0x7e000000) === 0x34000000 || // cbz, cbnz
    (word & 0x7e000000) === 0x36000000 || // tbz, tbnz
    (word & 0x1f000000) === 0x10000000 || // adr, adrp
    (word & 0x3b000000) === 0x18000000 // ldr (literal), ldrsw (literal), prfm (literal)
  );
}

/** objdump's text for one instruction, from Capstone's mnemonic and operands. */
export function gnuText(
  word: number,
  mnemonic: string,
  opStr: string,
  symbolize: Symbolizer,
  showAddress = true,
): string {
  let mn = mnemonic;
  const ops = splitOperands(opStr);
  const alias = ZERO_SHIFT_ALIASES[mn];
  if (alias && ops.length === 3 && ops[2] === "#0") {
    mn = alias;
    ops.pop();
  }
  // An unnamed prefetch operation: its number (hex for prfm/prfum, decimal for SVE's prfb..prfd).
  if (ops[0] === "" && mn.startsWith("prf"))
    ops[0] = mn.endsWith("m") ? `#0x${hex(BigInt(word & 31))}` : `#${word & 31}`;
  const dot = mn.indexOf(".");
  if (dot > 0 && (mn.startsWith("b.") || mn.startsWith("bc."))) {
    // b.cond and FEAT_HBC's bc.cond: `// b.alias, ...` after the target.
    const prefix = mn.slice(0, dot + 1);
    const cond = mn.slice(dot + 1);
    const name = CONDITION_NAME[cond] ?? cond;
    mn = `${prefix}${name}`;
    const last = ops.length - 1;
    if (last >= 0) ops[last] = target(ops[last] as string, symbolize, showAddress);
    const aliases = CONDITION_ALIASES[name];
    const text = `${mn}\t${ops.join(", ")}`;
    return aliases ? `${text}  // ${aliases.map((a) => `${prefix}${a}`).join(", ")}` : text;
  }
  if (isPcRelative(word)) {
    const last = ops.length - 1;
    for (let i = 0; i < last; i++) ops[i] = operand(mn, ops[i] as string);
    if (last >= 0) ops[last] = target(ops[last] as string, symbolize, showAddress);
    return ops.length > 0 ? `${mn}\t${ops.join(", ")}` : mn;
  }
  const bitmask = logicalImmediate(word);
  if (bitmask !== undefined && ops.length > 0) ops[ops.length - 1] = `#0x${hex(bitmask)}`;
  // sys/sysl: control registers as C0..C15, operation numbers in decimal.
  if (mn === "sys" || mn === "sysl")
    return `${mn}\t${ops.map((o) => (/^c\d+$/.test(o) ? `C${o.slice(1)}` : decimalIndex(o.replace("#0x", "#0x"))).replace(/^#0x([0-9a-f]+)$/, (_, d: string) => `#${Number.parseInt(d, 16)}`)).join(", ")}`;
  // SVE's CPY/DUP (immediate): a signed 8-bit value, shifted by 8 when `sh` is set (Capstone drops the sign).
  const sveImmediate = sveCopyImmediate(word);
  if (sveImmediate !== undefined && ops.length > 0) ops[ops.length - 1] = `#${sveImmediate}`;
  // SVE's bitmask immediates: one element's worth, as wide as the register's element.
  const sveMask = sveBitmask(word, ops);
  if (sveMask !== undefined) ops[ops.length - 1] = `#0x${hex(sveMask)}`;
  const scalable = ops.some((o) => SCALABLE.test(o) || o.startsWith("{z") || o.startsWith("{za"));
  for (let i = 0; i < ops.length; i++)
    ops[i] =
      i > 0 && (ops[i - 1] as string).endsWith("]") && !(ops[i - 1] as string).startsWith("{")
        ? postIndex(ops[i] as string)
        : operand(mn, ops[i] as string, scalable);
  if (CONDITIONAL.has(mn) && ops.length > 0) {
    const cond = ops[ops.length - 1] as string;
    const name = CONDITION_NAME[cond] ?? cond;
    ops[ops.length - 1] = name;
    const aliases = CONDITION_ALIASES[name];
    const text = `${mn}\t${ops.join(", ")}`;
    return aliases ? `${text}\t// ${name} = ${aliases.join(", ")}` : text;
  }
  if (mn === "mov" && ops.length === 2 && (ops[1] as string).startsWith("#")) {
    const value = bitmask ?? immediateValue(opStr.slice(opStr.indexOf("#")));
    if (value !== undefined) {
      const bits = (ops[0] as string).startsWith("w") ? 32 : 64;
      const unsigned = BigInt.asUintN(bits, value);
      const signed = BigInt.asIntN(bits, value);
      const imm = `#0x${hex(unsigned)}`.padEnd(MOV_IMMEDIATE_WIDTH, " ");
      return `${mn}\t${ops[0]}, ${imm}\t// #${signed}`;
    }
  }
  return ops.length > 0 ? `${mn}\t${ops.join(", ")}` : mn;
}

/** `{v1.8b, v2.8b, v3.8b}` as objdump's `{v1.8b-v3.8b}`: three or more consecutive registers. */
function registerList(text: string): string {
  const close = text.indexOf("}");
  const regs = text.slice(1, close).split(", ");
  const tail = decimalIndex(text.slice(close + 1));
  if (regs.length < 3) return `{${regs.map(decimalIndex).join(", ")}}${tail}`;
  const parsed = regs.map((r) => /^([vz])(\d+)(\..*)?$/.exec(r));
  const first = parsed[0];
  const consecutive =
    first &&
    parsed.every(
      (m, i) => m && m[1] === first[1] && m[3] === first[3] && Number(m[2]) === Number(first[2]) + i,
    );
  // Observed: a list that wraps from 31 to 0 is spelled out.
  return consecutive ? `{${regs[0]}-${regs[regs.length - 1]}}${tail}` : `{${regs.join(", ")}}${tail}`;
}

/** A lane or tile slice index (`[0xb]`, `[w13, 0xe]`) in decimal. */
function decimalIndex(text: string): string {
  return text.replace(/0x([0-9a-f]+)/g, (_, digits: string) => BigInt(`0x${digits}`).toString(10));
}

/** SVE's and SME's registers: their instructions' immediates print in decimal (but bitmasks). */
const SCALABLE = /^(z\d|p\d|za)/;
const SCALABLE_BITMASKS = new Set(["and", "orr", "eor", "eon", "bic", "orn", "dupm"]);
/** Complex-number rotations (in degrees), printed in decimal. */
const ROTATIONS = new Set(["fcmla", "fcadd", "cmla", "sqrdcmlah", "cadd", "sqcadd", "cdot"]);

/** One operand in objdump's spelling. */
function operand(mn: string, text: string, scalable = false): string {
  const c = text.charCodeAt(0);
  if (c === 0x5b) return decimalInside(text); // [base, #offset]
  if (c === 0x7b) return registerList(text); // {v0.16b, v1.16b}[idx]
  if (text.endsWith("]") && !text.includes("#")) return decimalIndex(text); // v1.s[0x3]
  if (c === 0x23) {
    // #imm
    if (text === "#0.0") return text; // fcmp's compare with zero
    if (text.includes(".")) return floatImmediate(text);
    const v = immediateValue(text);
    if (v === undefined) {
      if (/^#0+$/.test(text)) return "#0x0"; // movi's 64-bit byte mask `#0000000000000000`
      return text;
    }
    if (scalable && !SCALABLE_BITMASKS.has(mn)) return decimal(BigInt.asIntN(64, v));
    return DECIMAL_IMMEDIATES.has(mn) || ROTATIONS.has(mn) ? decimal(v) : hexImmediate(v);
  }
  // Shifts and extends (`lsl #12`, `sxtw #3`) count bits in decimal.
  if (text.includes("#")) return decimalInside(text);
  return text;
}
