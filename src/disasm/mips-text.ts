// MIPS instruction text as mips-linux-gnu-objdump 2.40 prints it (o32, big-endian), made from Capstone's
// text for the same word: register names without `$` (but the FPU's `$f0` and rdhwr's `$29`), s8 for
// Capstone's fp, operands joined by `,` alone, offsets and arithmetic immediates in decimal but logical
// immediates, shift amounts and bit fields in hex, branch targets as `ADDR <sym>`, and objdump's `li`.
// Each rule was measured by comparing objdump's listing of the cross toolchain's libc with Capstone's
// text word by word (scripts/compat-disasm-foreign.mjs --arch mips); none comes from binutils' source.
import type { Symbolizer } from "./x86.js";

/** Mnemonics whose immediates objdump prints in hex. */
const HEX_IMMEDIATES = new Set([
  "andi",
  "ori",
  "xori",
  "lui",
  "sll",
  "srl",
  "sra",
  "rotr",
  "ror",
  "ext",
  "ins",
  "teq",
  "tne",
  "tge",
  "tgeu",
  "tlt",
  "tltu",
  "break",
  "pref",
  "cache",
  "sdbbp",
  "syscall",
  "wait",
  "sync",
  "lsa",
]);

/** Branches and jumps: their last operand is the target Capstone printed as an address. */
const BRANCHES =
  /^(b|bal|beq|bne|beqz|bnez|bgez|bgtz|blez|bltz|bgezal|bltzal|beql|bnel|beqzl|bnezl|bgezl|bgtzl|blezl|bltzl|bc1t|bc1f|bc1tl|bc1fl|j|jal)$/;

const number = (text: string): bigint | undefined => {
  const m = /^(-?)(0x[0-9a-f]+|\d+)$/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2] as string);
  return m[1] ? -v : v;
};

/** A register without Capstone's `$`, in objdump's names. */
function register(text: string): string {
  // The FPU's and MSA's registers keep their `$`.
  if (/^\$(f|w)\d+$/.test(text) || /^\$fcc\d$/.test(text)) return text;
  if (text === "$fp") return "s8";
  return text.replace(/^\$/, "");
}

/** objdump's text for one instruction, from Capstone's mnemonic and operands. */
export function mipsText(
  mnemonic: string,
  opStr: string,
  symbolize: Symbolizer,
  showAddresses: boolean,
): string {
  let mn = mnemonic;
  let ops = opStr === "" ? [] : opStr.split(", ");
  // Observed: objdump writes addiu from zero as li.
  if (mn === "addiu" && ops[1] === "$zero") {
    mn = "li";
    ops = [ops[0] as string, ops[2] as string];
  }
  // And ori from zero (its immediate in hex).
  if (mn === "ori" && ops[1] === "$zero") {
    mn = "li";
    ops = [ops[0] as string, ops[2] as string];
  }
  if (mn === "rotr") mn = "ror";
  // The FPU's control and status register by its name.
  if ((mn === "cfc1" || mn === "ctc1") && ops[1] === "$31") ops[1] = "c1_fcsr";
  const hex = HEX_IMMEDIATES.has(mn) || (mn === "li" && mnemonic === "ori");
  const out = ops.map((o, i) => {
    if ((BRANCHES.test(mn) || /^bn?z\.[bhwdv]$/.test(mn)) && i === ops.length - 1) {
      const address = BigInt.asUintN(32, number(o) ?? 0n);
      const name = symbolize(address);
      return showAddresses || name === "" ? `${address.toString(16)}${name}` : name.slice(1);
    }
    const mem = /^(-?(?:0x[0-9a-f]+|\d+))?\((\$\w+)\)$/.exec(o);
    if (mem)
      return `${mem[1] ? (number(mem[1]) as bigint).toString(10) : "0"}(${register(mem[2] as string)})`;
    const v = number(o);
    if (v !== undefined) return hex ? `0x${BigInt.asUintN(32, v).toString(16)}` : v.toString(10);
    if ((mn === "rdhwr" && i === 1) || o === "c1_fcsr") return o;
    return register(o);
  });
  return out.length > 0 ? `${mn}\t${out.join(",")}` : mn;
}

/** C.cond.fmt's conditions by the low four bits of its function field (MIPS32 volume II, C.cond.fmt). */
const FP_CONDITIONS = [
  "f",
  "un",
  "eq",
  "ueq",
  "olt",
  "ult",
  "ole",
  "ule",
  "sf",
  "ngle",
  "seq",
  "ngl",
  "lt",
  "nge",
  "le",
  "ngt",
];

/**
 * C.cond.S/D comparing into a condition code other than 0, which Capstone's MIPS32 mode refuses:
 * `c.lt.d $fcc1,$f2,$f0`. Undefined for any other word.
 */
export function fpCompare(word: number): string | undefined {
  if (word >>> 26 !== 0x11 || (word & 0x30) !== 0x30 || (word & 0xc0) !== 0) return undefined;
  const fmt = (word >>> 21) & 0x1f;
  if (fmt !== 0x10 && fmt !== 0x11) return undefined;
  const cc = (word >>> 8) & 7;
  const fs = (word >>> 11) & 31;
  const ft = (word >>> 16) & 31;
  const name = `c.${FP_CONDITIONS[word & 15]}.${fmt === 0x10 ? "s" : "d"}`;
  return cc === 0 ? `${name}\t$f${fs},$f${ft}` : `${name}\t$fcc${cc},$f${fs},$f${ft}`;
}

/**
 * COP1X's multiply-add family (MIPS32 volume II, MADD.fmt ...): `madd.d $f0,$f8,$f0,$f10` (fd, fr, fs,
 * ft). Capstone's MIPS32 mode reads opcode 0x13 as COP3, its MIPS64 mode knows only the .d forms.
 */
export function multiplyAdd(word: number): string | undefined {
  if (word >>> 26 !== 0x13) return undefined;
  const op = { 32: "madd", 40: "msub", 48: "nmadd", 56: "nmsub" }[word & 0x38];
  const fmt = { 0: "s", 1: "d", 6: "ps" }[word & 7];
  if (op === undefined || fmt === undefined) return undefined;
  const reg = (shift: number) => `$f${(word >>> shift) & 31}`;
  return `${op}.${fmt}\t${reg(6)},${reg(21)},${reg(11)},${reg(16)}`;
}
