// 32-bit ARM and Thumb instruction text as arm-linux-gnueabihf-objdump 2.40 prints it, made from
// Capstone's text for the same bytes. Capstone decodes; what differs is spelling: immediates in decimal
// with a `@ 0x..` comment past 32, branch and literal targets as `ADDR <sym>`, `.n` on narrow branches,
// r9 for Capstone's sb, the coprocessor operands' style, and the instructions objdump names by their
// base form (push.w as stmdb, str lr,[sp,#-4]! as push). Each rule was measured by comparing
// arm-linux-gnueabihf-objdump's listing of the cross toolchain's libc with Capstone's text instruction by
// instruction (scripts/compat-disasm-foreign.mjs --arch arm); none comes from binutils' source.
import { splitOperands } from "./aarch64-text.js";
import type { Symbolizer } from "./x86.js";

/** What the text of one instruction depends on besides Capstone's mnemonic and operands. */
export interface ArmContext {
  thumb: boolean;
  /** 2 or 4 bytes. */
  size: number;
  address: bigint;
  symbolize: Symbolizer;
  showAddresses: boolean;
  /** A relocated branch's target, shown instead of the encoded one. */
  target?: bigint;
  /** The ARM instruction word (ARM state only). */
  word?: number;
}

const hex = (v: number | bigint): string => v.toString(16);

/** `#0x1c`, `#-0x10`, `#12` as a number. */
function immediate(text: string): number | undefined {
  const m = /^#(-?)(0x[0-9a-f]+|[0-9]+)$/.exec(text);
  if (!m) return undefined;
  const v = Number(m[2]);
  return m[1] ? -v : v;
}

const CONDITIONS = "eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al";
/** Branches to an immediate target, with any condition and width suffix. */
const BRANCH = new RegExp(`^(b|bl|blx)(${CONDITIONS})?(\\.w|\\.n)?$`);

/** A target as objdump names it: `1e0e8 <abort+0xe0>`, or `<abort+0xe0>` without addresses. */
function target(address: bigint, ctx: ArmContext): string {
  const name = ctx.symbolize(address);
  return ctx.showAddresses || name === "" ? `${hex(address)}${name}` : name.slice(1);
}

/** Observed: a plain immediate gets `@ 0x..` (its unsigned 32-bit value) when above 32. */
function plainImmediate(v: number): string {
  const u = v >>> 0;
  return u > 32 ? `#${u}\t@ 0x${hex(u)}` : `#${u}`;
}

/** Condition names objdump prefers (Capstone says hs/lo for cs/cc). */
const CONDITION_NAME: Record<string, string> = { hs: "cs", lo: "cc" };

/**
 * 32-bit Thumb instructions objdump writes with `.w` where Capstone does not (measured: every 32-bit
 * encoding of these, with or without a condition), and those it writes without where Capstone adds it.
 */
const WIDE = new Set([
  "adc",
  "adcs",
  "and",
  "ands",
  "bic",
  "bics",
  "eor",
  "eors",
  "ldr",
  "ldrb",
  "ldrh",
  "ldrsb",
  "ldrsh",
  "mul",
  "mvn",
  "orr",
  "orrs",
  "sbc",
  "sbcs",
  "str",
  "strb",
  "strh",
]);
const NARROW = new Set(["rsb", "rsbs", "teq"]);

/** Mnemonics that end in a condition's letters without having one. */
const UNCONDITIONAL = new Set([
  "bl",
  "teq",
  "adcs",
  "bics",
  "sbcs",
  "rscs",
  "vcle",
  "vcge",
  "vcgt",
  "vclt",
  "vacge",
  "vacgt",
  "vacle",
  "vaclt",
]);
const CONDITION_AT_END = /^(.+?)(eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)$/;

/**
 * The mnemonic's base, condition, type and width suffix (`subhs.w`: sub, hs, "", .w). Capstone puts a VFP
 * instruction's condition after its type (`vmov.f32eq`), objdump before it (`vmoveq.f32`).
 */
function parts(mn: string): [string, string, string, string] {
  const width = mn.endsWith(".w") || mn.endsWith(".n") ? mn.slice(-2) : "";
  const core = width ? mn.slice(0, -2) : mn;
  const dot = core.indexOf(".");
  const head = dot < 0 ? core : core.slice(0, dot);
  const type = dot < 0 ? "" : core.slice(dot);
  const t = CONDITION_AT_END.exec(type);
  if (t && /\d$/.test(t[1] as string)) return [head, t[2] as string, t[1] as string, width];
  const m = CONDITION_AT_END.exec(head);
  if (!m || head.startsWith("it") || UNCONDITIONAL.has(head)) return [head, "", type, width];
  return [m[1] as string, m[2] as string, type, width];
}

/** Capstone's mnemonic and operands in objdump's names and forms, before operands are spelled. */
function normalize(mnemonic: string, opStr: string, ctx: ArmContext): [string, string[]] {
  let ops = splitOperands(opStr.replace(/\bsb\b/g, "r9"));
  let [base, cond, type, width] = parts(mnemonic);
  cond = CONDITION_NAME[cond] ?? cond;
  if (ctx.thumb && ctx.size === 4) {
    if (WIDE.has(base) && width === "") width = ".w";
    else if (NARROW.has(base) && width === ".w") width = "";
    // Observed: a shift by an immediate is MOV with a shifted register (`mov.w r3, r3, lsr #5`).
    const shift = /^(lsl|lsr|asr|ror|rrx)(s?)$/.exec(base);
    if (shift && (shift[1] === "rrx" || immediate(ops[2] ?? "") !== undefined)) {
      const amount = shift[1] === "rrx" ? "rrx" : `${shift[1]} #${immediate(ops[2] as string)}`;
      ops = [ops[0] as string, `${ops[1]}, ${amount}`];
      base = `mov${shift[2]}`;
      width = ".w";
    }
  }
  // Observed: Thumb's ldm and stm, and ARM's stm, are written with their `ia`.
  if ((ctx.thumb && base === "ldm") || base === "stm") base += "ia";
  // Observed: Thumb's 16-bit RSB from #0 is NEG.
  if (ctx.thumb && ctx.size === 2 && (base === "rsbs" || base === "rsb") && ops[2] === "#0") {
    base = base === "rsbs" ? "negs" : "neg";
    ops = ops.slice(0, 2);
  }
  if (ctx.thumb && ctx.size === 2 && ops.length === 3 && ops[2] === ops[0]) {
    // Observed: 16-bit forms whose destination is also their last source show two operands.
    if (base === "muls" || base === "mul" || (base === "add" && ops[1] === "sp")) ops.pop();
  }
  // Observed: ARM's ldrd/strd name only the first of their two registers.
  if (
    !ctx.thumb &&
    (base === "strd" || base === "ldrd") &&
    ops.length >= 3 &&
    (ops[2] as string).startsWith("[")
  )
    ops.splice(1, 1);
  if (base.startsWith("it") && ops.length === 1)
    ops[0] = CONDITION_NAME[ops[0] as string] ?? (ops[0] as string);
  if (base === "vmrs" || base === "vmsr") ops = ops.map((o) => o.replace("apsr_nzcv", "APSR_nzcv"));
  // Observed: mrc to the flags names them APSR_nzcv, mrc2 names the register pc.
  if (base === "mrc" || base === "mrc2")
    ops = ops.map((o) => (o === "apsr_nzcv" ? (base === "mrc" ? "APSR_nzcv" : "pc") : o));
  if (/^(ldc|stc)/.test(base))
    ops = ops.map((o) =>
      /^p\d+$/.test(o)
        ? o.slice(1)
        : /^c\d+$/.test(o)
          ? `cr${o.slice(1)}`
          : /^\{0x[0-9a-f]+\}$/.test(o)
            ? `{${Number(o.slice(1, -1))}}`
            : o,
    );
  if (/^(v(ld|st)[1-4]|vpush|vpop|vldm\w*|vstm\w*)$/.test(base))
    ops = ops.map((o) => (o.startsWith("{") ? registerRange(o) : o));
  // Observed: a register list's `^` follows its brace.
  ops = ops.map((o) => (o.endsWith("} ^") ? `${o.slice(0, -2)}^` : o));
  if (base === "bxns" || base === "blxns") base = base.slice(0, -2);
  return [`${base}${cond}${type}${width}`, ops];
}

/** `{d0, d1, d2, d3}` as `{d0-d3}`: two or more consecutive registers of one kind. */
function registerRange(list: string): string {
  const close = list.indexOf("}");
  const regs = list.slice(1, close).split(", ");
  const parsed = regs.map((r) => /^([dq])(\d+)$/.exec(r));
  const first = parsed[0];
  const consecutive =
    regs.length > 1 &&
    first &&
    parsed.every((m, i) => m && m[1] === first[1] && Number(m[2]) === Number(first[2]) + i);
  return consecutive ? `{${regs[0]}-${regs[regs.length - 1]}}${list.slice(close + 1)}` : list;
}

/** The coprocessor loads and stores, whose offsets are commented in both states. */
const COPROCESSOR = /^(ldc|stc|vldr|vstr)/;

/** objdump's text for one instruction, from Capstone's mnemonic and operands. */
export function armText(mnemonic: string, opStr: string, ctx: ArmContext): string {
  const [normalized, ops] = normalize(mnemonic, opStr, ctx);
  let mn = normalized;
  if (/^(svc|bkpt|hlt)/.test(mn) && ops.length === 1) {
    // Observed: these numbers have no `#`: Thumb's svc in decimal, ARM's as 8 hex digits, bkpt and hlt 4.
    const v = (immediate(ops[0] as string) ?? 0) >>> 0;
    if (mn.startsWith("svc") && ctx.thumb) return v > 32 ? `${mn}\t${v}\t@ 0x${hex(v)}` : `${mn}\t${v}`;
    return `${mn}\t0x${hex(v).padStart(mn.startsWith("svc") ? 8 : 4, "0")}`;
  }
  if (!ctx.thumb && mn === "mov" && ops.length === 2 && ops[0] === "r0" && ops[1] === "r0")
    return "nop\t\t\t@ (mov r0, r0)";
  if (!ctx.thumb && mn === "nop" && ops.length === 0) return "nop\t{0}";
  // Observed: a one-register pop that is LDR (post-indexed from sp by 4) is spelled out.
  if (!ctx.thumb && /^pop/.test(mn) && ctx.word !== undefined && (ctx.word & 0x0fff0fff) === 0x049d0004) {
    const reg = ops[0]?.slice(1, -1);
    return `${mn}\t${ops[0]}\t\t@ (${mn.replace("pop", "ldr")} ${reg}, [sp], #4)`;
  }
  if (/^vcmpe?\./.test(mn) && ops[1] === "#0") return `${mn}\t${ops[0]}, #0.0`;
  if (/^vmov\w*\.f(32|64)$/.test(mn) && ops.length === 2 && /^#-?\d/.test(ops[1] as string)) {
    // Observed: a VFP immediate as its 8-bit encoding, commented with the single-precision bits and value.
    const value = Number((ops[1] as string).slice(1));
    const imm8 = vfpImmediate(value);
    if (imm8 !== undefined) {
      const bits = vfpBits(imm8);
      const shown = Number.isInteger(value) ? value.toFixed(1) : String(value);
      return `${mn}\t${ops[0]}, #${imm8}\t@ 0x${hex(bits)}  ${shown}`;
    }
  }
  const branch = BRANCH.exec(mn);
  if (branch && ops.length === 1 && (ops[0] as string).startsWith("#")) {
    // Observed: a 16-bit b or b<cond> is written with `.n`.
    if (ctx.thumb && ctx.size === 2 && branch[1] === "b" && !branch[3]) mn += ".n";
    const to = ctx.target ?? BigInt.asUintN(32, BigInt(immediate(ops[0] as string) ?? 0));
    return `${mn}\t${target(to, ctx)}`;
  }
  if ((mn === "cbz" || mn === "cbnz") && ops.length === 2) {
    const to = BigInt.asUintN(32, BigInt(immediate(ops[1] as string) ?? 0));
    return `${mn}\t${ops[0]}, ${target(to, ctx)}`;
  }
  // The PC the instruction reads: its address plus 8 (ARM) or 4 (Thumb), word-aligned for literals.
  const pc = (ctx.address + (ctx.thumb ? 4n : 8n)) & ~3n;
  if (mn === "adr" && ops.length === 2) {
    const v = immediate(ops[1] as string) ?? 0;
    const to = BigInt.asUintN(32, pc + BigInt(v));
    return `add\t${ops[0]}, pc, #${v}\t@ (adr ${ops[0]}, ${target(to, ctx)})`;
  }
  const literal = ops.findIndex((o) => /^\[pc, #-?(0x)?[0-9a-f]+\]$/.test(o));
  if (literal >= 0 && /^(v?ldr|pld|pli)/.test(mn)) {
    const v = immediate((ops[literal] as string).slice(5, -1)) ?? 0;
    ops[literal] = `[pc, #${v}]`;
    const to = BigInt.asUintN(32, pc + BigInt(v));
    // Observed: the 16-bit Thumb load puts its target in parentheses.
    const comment = ctx.thumb && ctx.size === 2 ? `(${target(to, ctx)})` : target(to, ctx);
    return `${mn}\t${ops.join(", ")}\t@ ${comment}`;
  }
  if (ctx.thumb && ctx.size === 4 && (mn === "push.w" || mn === "pop.w") && ops.length === 1)
    return mn === "push.w" ? `stmdb\tsp!, ${ops[0]}` : `ldmia.w\tsp!, ${ops[0]}`;
  if (!ctx.thumb && ops.length === 2) {
    // Observed: a one-register push or pop in ARM state is named by what it is, then spelled out.
    if (/^str(\w\w)?$/.test(mn) && ops[1] === "[sp, #-4]!")
      return `${mn.replace("str", "push")}\t{${ops[0]}}\t\t@ (${mn} ${ops[0]}, [sp, #-4]!)`;
  }
  if (/^(mrc|mcr|mrc2|mcr2|cdp|cdp2|mrrc|mcrr|mrrc2|mcrr2)(\w\w)?$/.test(mn)) return coprocessor(mn, ops);
  let comment = "";
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i] as string;
    if (o.startsWith("[")) {
      const m = /^\[(\w+)(, #(-?(?:0x)?[0-9a-f]+))?\](!?)$/.exec(o);
      if (m) {
        if (m[2] === undefined) {
          // Observed: a 16-bit Thumb load or store with no offset shows `#0`.
          if (ctx.thumb && ctx.size === 2 && !o.endsWith("!") && ops.length === 2) ops[i] = `[${m[1]}, #0]`;
          continue;
        }
        const v = Number(m[3]?.replace("-", "") ?? "0") * ((m[3] as string).startsWith("-") ? -1 : 1);
        ops[i] = `[${m[1]}, #${v}]${m[4]}`;
        // Observed: Thumb's pre-indexed (`!`) offsets get no comment.
        comment = ctx.thumb && m[4] === "!" && !COPROCESSOR.test(mn) ? "" : memoryComment(mn, v, ctx);
      }
      continue;
    }
    const v = immediate(o);
    if (v === undefined) continue;
    if (i > 0 && (ops[i - 1] as string).startsWith("[")) {
      // A post-index offset.
      ops[i] = `#${v}`;
      // Observed: Thumb's post-indexed offsets get no comment.
      comment = ctx.thumb && !COPROCESSOR.test(mn) ? "" : memoryComment(mn, v, ctx);
      continue;
    }
    if (!ctx.thumb && i === ops.length - 1 && i >= 2 && /^#\d+$/.test(ops[i - 1] as string)) {
      // ARM's rotated immediate written as its parts (`#120, 26`), commented with its value.
      ops[i] = String(v);
      const base = Number((ops[i - 1] as string).slice(1));
      const value = ((base >>> v) | (base << (32 - v))) >>> 0;
      comment = value > 32 ? `0x${hex(value)}` : "";
      continue;
    }
    const text = plainImmediate(v);
    const tab = text.indexOf("\t");
    if (tab >= 0) {
      ops[i] = text.slice(0, tab);
      comment = text.slice(tab + 3);
    } else ops[i] = text;
  }
  // Observed: objdump flags pc as a coprocessor transfer's or movw/movt's register.
  if (/^(mcr2?|movw|movt)/.test(mn) && ops.includes("pc"))
    comment = comment ? `${comment}\t@ <UNPREDICTABLE>` : "<UNPREDICTABLE>";
  const body = ops.length > 0 ? `${mn}\t${ops.join(", ")}` : mn;
  return comment === "" ? body : `${body}\t@ ${comment}`;
}

/**
 * The comment on a memory offset. Observed: positive offsets above 32 get their hex; negative ones
 * below -16 their unsigned 32-bit hex in ARM state and in the coprocessor loads (vldr, ldc) in Thumb,
 * Thumb's ldrd/strd the hex of their magnitude past 32, and the other Thumb loads none.
 */
function memoryComment(mn: string, v: number, ctx: ArmContext): string {
  if (v > 32) return `0x${hex(v)}`;
  if (v >= 0) return "";
  if (!ctx.thumb || /^(vldr|vstr|ldc|stc)/.test(mn)) return v < -16 ? `0x${hex(v >>> 0)}` : "";
  if (/^(ldrd|strd)/.test(mn)) return -v > 32 ? `0x${hex(-v)}` : "";
  return "";
}

/** `mrc p15, #0, r4, c13, c0, #3` as objdump's `mrc 15, 0, r4, cr13, cr0, {3}`. */
function coprocessor(mn: string, ops: string[]): string {
  const out = ops.map((o, i) => {
    if (/^p\d+$/.test(o)) return o.slice(1);
    if (/^c\d+$/.test(o)) return `cr${o.slice(1)}`;
    const v = immediate(o);
    if (v === undefined) return o;
    return i === ops.length - 1 && i > 3 ? `{${v}}` : String(v);
  });
  return `${mn}\t${out.join(", ")}`;
}

/** VFPExpandImm for single precision (ARM ARM A7.5.1): the float32 bits an 8-bit immediate stands for. */
function vfpBits(imm8: number): number {
  const a = imm8 >> 7;
  const b = (imm8 >> 6) & 1;
  return ((a << 31) | ((b ^ 1) << 30) | ((b ? 0x1f : 0) << 25) | ((imm8 & 0x3f) << 19)) >>> 0;
}

/** The 8-bit immediate whose expansion is `value`, if any. */
function vfpImmediate(value: number): number | undefined {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let imm8 = 0; imm8 < 256; imm8++) {
    u[0] = vfpBits(imm8);
    if (f[0] === value) return imm8;
  }
  return undefined;
}
