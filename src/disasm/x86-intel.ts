// x86 instructions in Intel syntax as GNU objdump 2.40 prints them (`objdump -d -M intel`). The
// decoder, prefixes, caching and addresses are x86.ts's; this file writes the operands in Intel order
// (`mov    QWORD PTR [rbp-0x8],rdi`) and holds the rules where objdump's Intel text is not iced's.
// Each rule and table was measured on this machine: crafted byte sequences assembled with `as` (and
// `as --32`) and disassembled by `objdump -d -M intel`, then whole files compared line by line with
// scripts/compat-disasm.mjs --intel (ls, libc, gdb, a sample of /usr/bin, the fixtures).
import type * as Iced from "iced-x86";
import {
  immediateHex,
  ROUNDING,
  STRING_DEST,
  STRING_SOURCE,
  type Symbolizer,
  X87_ONE_OPERAND,
} from "./x86.js";
import { SWAPPED_CODES } from "./x86-swapped.js";

/** What the Intel formatter uses of the disassembler (x86.ts's X86Disassembler). */
export interface IntelHost {
  readonly iced: typeof Iced;
  /** iced's Intel formatter (for mnemonics and its pseudo-op operand count). */
  readonly formatter: Iced.Formatter;
  readonly options: { bits: 32 | 64; suffix: boolean };
  readonly addrMask: bigint;
  reg(r: number): string;
  codeName(code: number): string;
  addressText(address: bigint, symbolize: Symbolizer): string;
  branchText(ins: Iced.Instruction, kind: number, symbolize: Symbolizer): string;
  addressBits(base: number, index: number): number;
  prefixNames(ins: Iced.Instruction, bytes: Uint8Array, offset: number, segmentable: boolean): string;
  stringSegment(ins: Iced.Instruction): string;
  vexEncodable(ins: Iced.Instruction, code: string): boolean;
  sib(bytes: Uint8Array, offset: number): number | undefined;
}

const hex = (v: bigint): string => v.toString(16);

/** The instruction's text: prefixes, mnemonic padded to 6, operands, any `# addr <sym>` comment. */
export function formatIntel(
  host: IntelHost,
  ins: Iced.Instruction,
  bytes: Uint8Array,
  offset: number,
  symbolize: Symbolizer,
): string {
  const code = host.codeName(ins.code);
  const written = operands(host, ins, bytes, offset, code, symbolize);
  const ops = written.ops;
  objdumpOperands(host, ins, code, ops);
  maskAndRounding(host, ins, ops);
  let mnemonic = intelMnemonic(host, ins, code, written.stringOp);
  const prefixes = host.prefixNames(ins, bytes, offset, written.segmentable);
  if (host.vexEncodable(ins, code)) mnemonic = `{evex} ${mnemonic}`;
  const head = prefixes ? `${prefixes} ${mnemonic}` : mnemonic;
  if (ops.length === 0) return head;
  return `${head.padEnd(6)} ${ops.join(",")}${written.comment}`;
}

/** The operands as written, in Intel order, and what the prefixes and mnemonic need to know of them. */
interface Operands {
  ops: string[];
  /** `        # addr <sym>` after a RIP-relative operand, else "". */
  comment: string;
  /** An operand a segment override applies to (not the fixed es:[rdi] of string instructions). */
  segmentable: boolean;
  /** A string instruction's operand: the mnemonic then drops its size letter. */
  stringOp: boolean;
}

function operands(
  host: IntelHost,
  ins: Iced.Instruction,
  bytes: Uint8Array,
  offset: number,
  code: string,
  symbolize: Symbolizer,
): Operands {
  const K = host.iced.OpKind;
  const out: Operands = { ops: [], comment: "", segmentable: false, stringOp: false };
  const ops = out.ops;
  for (let i = 0; i < ins.opCount; i++) {
    const kind = ins.opKind(i);
    switch (kind) {
      case K.Register:
        ops.push(host.reg(ins.opRegister(i)));
        break;
      case K.NearBranch16:
      case K.NearBranch32:
      case K.NearBranch64:
        ops.push(host.branchText(ins, kind, symbolize));
        break;
      case K.FarBranch16:
      case K.FarBranch32: {
        // objdump: `jmp    0x10:0x0`, selector first.
        const to = kind === K.FarBranch16 ? ins.farBranch16 : ins.farBranch32;
        ops.push(`0x${hex(BigInt(ins.farBranchSelector))}:0x${hex(BigInt(to))}`);
        break;
      }
      case K.MemorySegSI:
      case K.MemorySegESI:
      case K.MemorySegRSI:
        out.segmentable = true;
        out.stringOp = true;
        ops.push(
          stringOperand(host, ins, code, host.stringSegment(ins), STRING_SOURCE[kind - K.MemorySegSI]),
        );
        break;
      case K.MemorySegDI:
      case K.MemorySegEDI:
      case K.MemorySegRDI:
        // maskmovq's and maskmovdqu's store through ds:[rdi] is implied, not written: an override on
        // it is named.
        if (code.startsWith("Maskmov") || code.startsWith("VEX_Vmaskmov")) break;
        out.segmentable = true;
        out.stringOp = true;
        ops.push(
          stringOperand(host, ins, code, host.reg(ins.memorySegment), STRING_DEST[kind - K.MemorySegDI]),
        );
        break;
      case K.MemoryESDI:
      case K.MemoryESEDI:
      case K.MemoryESRDI:
        out.stringOp = true;
        ops.push(stringOperand(host, ins, code, "es", STRING_DEST[kind - K.MemoryESDI]));
        break;
      case K.Memory: {
        out.segmentable = true;
        const mem = code === "Xlat_m8" ? xlatOperand(host, ins) : memoryIntel(host, ins, bytes, offset, code);
        ops.push(mem.text);
        if (mem.ripTarget !== undefined)
          out.comment = `        # ${host.addressText(mem.ripTarget, symbolize)}`;
        break;
      }
      default: {
        const imm = immediateHex(ins, i, kind);
        if (imm !== undefined) ops.push(imm);
      }
    }
  }
  return out;
}

/** A string instruction's operand: `QWORD PTR es:[rdi]`, the segment always written. */
function stringOperand(
  host: IntelHost,
  ins: Iced.Instruction,
  code: string,
  segment: string,
  reg?: string,
): string {
  return `${sizeKeyword(host, ins, code)}${segment}:[${reg}]`;
}

/** Where objdump's operands are not iced's: implicit operands written or left out, registers renamed. */
function objdumpOperands(host: IntelHost, ins: Iced.Instruction, code: string, ops: string[]): void {
  const R = host.iced.Register;
  const count = ins.opCount;
  // Shifts and rotates by an implicit 1 (D0/D1 /n): objdump writes the count as a bare 1.
  if (code.endsWith("_1") && ops[count - 1] === "0x1") ops[count - 1] = "1";
  // Compare predicates named in the mnemonic (vpcmpeqb, cmpltsd): iced's pseudo-op drops the immediate.
  else if (
    count > 0 &&
    ins.opKind(count - 1) === host.iced.OpKind.Immediate8 &&
    host.formatter.operandCount(ins) === count - 1
  )
    ops.pop();
  if (code.startsWith("F")) x87Operands(code, ops);
  else if (code === "Nopw") ops.push("ax", "ax");
  // The implicit xmm0 of the SSE4.1 blends and sha256rnds2 is written last.
  else if (IMPLICIT_XMM0_CODE.test(code)) ops.push("xmm0");
  // arpl's operands are 16-bit registers whatever the operand size; movsxd's source stays 32-bit under 66.
  else if (code === "Arpl_r32m16_r32") for (const i of [0, 1]) renameRegister(host, ins, ops, i, R.EAX, R.AX);
  else if (code === "Movsxd_r16_rm16") renameRegister(host, ins, ops, 1, R.AX, R.EAX);
}

/**
 * The mnemonic: iced's, where objdump's is the same, else from the code. objdump drops the size from
 * string mnemonics (`rep stos QWORD PTR es:[rdi],rax`: the operands carry it), spells the 64-bit
 * immediate and moffs moves `movabs`, and marks a 16-bit operand size that no operand shows with `w`.
 */
function intelMnemonic(host: IntelHost, ins: Iced.Instruction, code: string, stringOp: boolean): string {
  const mnemonic = plainMnemonic(host, ins, code, stringOp);
  return host.options.suffix ? suffixMnemonic(host, ins, code, mnemonic) : mnemonic;
}

/** The mnemonic without -M suffix. */
function plainMnemonic(host: IntelHost, ins: Iced.Instruction, code: string, stringOp: boolean): string {
  const mnemonic = host.formatter.formatMnemonicOptions(ins, host.iced.FormatMnemonicOptions.NoPrefixes);
  const named = INTEL_CODE_MNEMONIC[code];
  if (named !== undefined) return typeof named === "string" ? named : named[host.options.bits === 64 ? 1 : 0];
  if (stringOp) return mnemonic.slice(0, -1);
  if (code === "Mov_r64_imm64" || (MOFFS_CODE.test(code) && ins.memoryDisplSize === 8)) return "movabs";
  // A loop counting in ecx in 64-bit code (cx in 32-bit): the mnemonic does not say, the prefix is named.
  if (SHORT_LOOP_CODE.test(code)) return `${host.options.bits === 64 ? "addr32" : "addr16"} ${mnemonic}`;
  return mnemonic;
}

/**
 * -M intel,suffix: the operand size a stack or near-branch mnemonic leaves unsaid is added, `q` or
 * `d` (`callq`, `pushd  cs`, `retfd`, `iretd` in 64-bit code), as are a few others' (`xbeginq`,
 * `fnsaved`, 64-bit code's `pcmpestrid`); a register-to-register form encoded the other way round
 * gets `.s`. Measured against objdump -d -M intel,suffix on ls, libc, the opcode sweeps and the fixtures.
 */
function suffixMnemonic(host: IntelHost, ins: Iced.Instruction, code: string, mnemonic: string): string {
  const is64 = host.options.bits === 64;
  const stack = SUFFIX_STACK_CODE.exec(code);
  if (stack) return `${stack[1] === "Retn" ? "ret" : (stack[1] as string).toLowerCase()}${stack[2]}`;
  const branch = /^(Call|Jmp|Xbegin)_rel32(_32|_64)?$/.exec(code);
  if (branch) return `${(branch[1] as string).toLowerCase()}${is64 ? "q" : "d"}`;
  const named = SUFFIX_MNEMONIC[code];
  if (named !== undefined && (is64 || !code.includes("cmpestr"))) return named;
  const K = host.iced.OpKind;
  if (SWAPPED_CODES.has(code) && ins.opKind(0) === K.Register && ins.opKind(1) === K.Register)
    return `${mnemonic}.s`;
  return mnemonic;
}
/** The stack operations whose code names a 32- or 64-bit operand size: Pushq_imm32, Popd_DS, Leaveq, Iretd... */
const SUFFIX_STACK_CODE =
  /^(Push|Pop|Retn|Retf|Leave|Enter|Pushf|Popf|Pusha|Popa|Iret|Sysret|Sysexit)([dq])(_|$)/;
const SUFFIX_MNEMONIC: Record<string, string> = {
  Fldenv_m28byte: "fldenvd",
  Fnstenv_m28byte: "fnstenvd",
  Fnsave_m108byte: "fnsaved",
  Frstor_m108byte: "frstord",
  // Only in 64-bit code, where REX.W makes the q form.
  Pcmpestri_xmm_xmmm128_imm8: "pcmpestrid",
  Pcmpestrm_xmm_xmmm128_imm8: "pcmpestrmd",
  VEX_Vpcmpestri_xmm_xmmm128_imm8: "vpcmpestrid",
  VEX_Vpcmpestrm_xmm_xmmm128_imm8: "vpcmpestrmd",
};

/**
 * Codes whose objdump mnemonic is not iced's, measured one by one with 66, REX.W and no prefix, in
 * 32- and 64-bit code. A pair is [32-bit code, 64-bit code].
 */
const INTEL_CODE_MNEMONIC: Record<string, string | readonly [string, string]> = {
  Nopd: "nop",
  Nopq: "nop",
  Nopw: "xchg",
  Pushfw: "pushfw",
  Pushfd: "pushf",
  Pushfq: "pushf",
  Popfw: "popfw",
  Popfd: "popf",
  Popfq: "popf",
  Pushaw: "pushaw",
  Pushad: "pusha",
  Popaw: "popaw",
  Popad: "popa",
  Iretw: "iretw",
  Iretd: "iret",
  Retnw: "retw",
  Retnw_imm16: "retw",
  Retfw: "retfw",
  Retfw_imm16: "retfw",
  Retfd: "retf",
  Retfd_imm16: "retf",
  Retfq: "retfq",
  Retfq_imm16: "retfq",
  Leavew: "leavew",
  Enterw_imm16_imm8: "enterw",
  Pushw_imm8: "pushw",
  Push_imm16: "pushw",
  Pushw_ES: "pushw",
  Pushw_CS: "pushw",
  Pushw_SS: "pushw",
  Pushw_DS: "pushw",
  Pushw_FS: "pushw",
  Pushw_GS: "pushw",
  Popw_ES: "popw",
  Popw_CS: "popw",
  Popw_SS: "popw",
  Popw_DS: "popw",
  Popw_FS: "popw",
  Popw_GS: "popw",
  Call_rel16: "callw",
  Jmp_rel16: "jmpw",
  // Far jumps and calls: iced's `jmp far`; objdump's operand (`0x10:0x0`, `FWORD PTR`) says it.
  Jmp_ptr1616: "jmp",
  Jmp_ptr1632: "jmp",
  Jmp_m1616: "jmp",
  Jmp_m1632: "jmp",
  Jmp_m1664: "jmp",
  Call_ptr1616: "call",
  Call_ptr1632: "call",
  Call_m1616: "call",
  Call_m1632: "call",
  Call_m1664: "call",
  Pcmpestri64_xmm_xmmm128_imm8: "pcmpestriq",
  Pcmpestrm64_xmm_xmmm128_imm8: "pcmpestrmq",
  VEX_Vpcmpestri64_xmm_xmmm128_imm8: "vpcmpestriq",
  VEX_Vpcmpestrm64_xmm_xmmm128_imm8: "vpcmpestrmq",
  Sysretd: ["sysret", "sysretd"],
  Sysexitd: ["sysexit", "sysexitd"],
  // The descriptor-table loads and stores name their operand size (their operand has no size keyword).
  Sgdt_m1632_16: "sgdtw",
  Sgdt_m1632: "sgdtd",
  Sgdt_m1664: "sgdt",
  Sidt_m1632_16: "sidtw",
  Sidt_m1632: "sidtd",
  Sidt_m1664: "sidt",
  Lgdt_m1632_16: "lgdtw",
  Lgdt_m1632: "lgdtd",
  Lgdt_m1664: "lgdt",
  Lidt_m1632_16: "lidtw",
  Lidt_m1632: "lidtd",
  Lidt_m1664: "lidt",
  // The x87 environment with a 16-bit operand size: the 14- and 94-byte forms.
  Fldenv_m14byte: "fldenvw",
  Fnstenv_m14byte: "fnstenvw",
  Frstor_m94byte: "frstorw",
  Fnsave_m94byte: "fnsavew",
  // 0f 0d /0 and the reserved /3-/7: objdump's `prefetch` (AMD's name); iced's /3 is prefetchw.
  Prefetch_m8: "prefetch",
  Prefetchreserved3_m8: "prefetch",
  Prefetchreserved4_m8: "prefetch",
  Prefetchreserved5_m8: "prefetch",
  Prefetchreserved6_m8: "prefetch",
  Prefetchreserved7_m8: "prefetch",
};

const IMPLICIT_XMM0_CODE = /^(P?blendv[bpsd]+|Sha256rnds2)_xmm_xmmm128$/i;
const MOFFS_CODE = /^Mov_(AL|AX|EAX|RAX)_moffs|^Mov_moffs\d+_/;
const SHORT_LOOP_CODE = /^Loop(e|ne)?_rel8_(64_ECX|32_CX)$/;

/** EVEX masking after the first operand (`zmm0{k1}{z}`), rounding or {sae} after the last register. */
function maskAndRounding(host: IntelHost, ins: Iced.Instruction, ops: string[]): void {
  const R = host.iced.Register;
  if (ins.opMask !== R.None || ins.zeroingMasking)
    ops[0] += `${ins.opMask !== R.None ? `{${host.reg(ins.opMask)}}` : ""}${ins.zeroingMasking ? "{z}" : ""}`;
  const rounding =
    ins.roundingControl !== host.iced.RoundingControl.None
      ? `{${ROUNDING[ins.roundingControl]}}`
      : ins.suppressAllExceptions
        ? "{sae}"
        : "";
  if (rounding) {
    let last = ops.length - 1;
    while (last > 0 && (ops[last] as string).startsWith("0x")) last--;
    ops[last] += rounding;
  }
}

/** xlat's operand: `BYTE PTR ds:[rbx]`, the table's base register with the segment always shown. */
function xlatOperand(host: IntelHost, ins: Iced.Instruction): MemoryText {
  return { text: `BYTE PTR ${host.stringSegment(ins)}:[${host.reg(ins.memoryBase)}]` };
}

/** Operand i, if a register, named at another width: iced's registers of a width run in order from `from`. */
function renameRegister(
  host: IntelHost,
  ins: Iced.Instruction,
  ops: string[],
  i: number,
  from: number,
  to: number,
): void {
  if (i < ins.opCount && ins.opKind(i) === host.iced.OpKind.Register)
    ops[i] = host.reg(ins.opRegister(i) - from + to);
}

/** A memory operand's text, and the address a RIP-relative one names (for the `# addr <sym>` comment). */
interface MemoryText {
  text: string;
  ripTarget?: bigint;
}

/** A memory operand: `QWORD PTR fs:[rax+rbx*8+0x10]`, `ds:0x28` for an absolute address. */
function memoryIntel(
  host: IntelHost,
  ins: Iced.Instruction,
  bytes: Uint8Array,
  offset: number,
  code: string,
): MemoryText {
  const R = host.iced.Register;
  const size = sizeKeyword(host, ins, code);
  const seg = ins.segmentPrefix;
  const bits = host.options.bits;
  // In 64-bit code only fs and gs overrides take effect; the others print as prefixes.
  const segText = seg !== R.None && (bits === 32 || seg === R.FS || seg === R.GS) ? `${host.reg(seg)}:` : "";
  const base = ins.memoryBase;
  const index = ins.memoryIndex;
  if (base === R.RIP || base === R.EIP) {
    const target = ins.memoryDisplacementU64;
    // The displacement as the unsigned number of the address size: [rip+0xfffffffffffffff0].
    const disp = (target - ins.nextIP) & (base === R.EIP ? 0xffff_ffffn : host.addrMask);
    return {
      text: `${size}${segText}[${host.reg(base)}+0x${hex(disp)}]`,
      ripTarget: target & host.addrMask,
    };
  }
  const disp = ins.memoryDisplacementU64;
  // The address size: a 67 prefix makes it 32 bits in 64-bit code (iced's displacement size says 8
  // for 64-bit addressing, 4 for 32, 2 for 16).
  const addressBits =
    base !== R.None || index !== R.None
      ? host.addressBits(base, index)
      : ins.memoryDisplSize === 8
        ? 64
        : ins.memoryDisplSize === 2
          ? 16
          : 32;
  let indexText = index !== R.None ? host.reg(index) : "";
  let scale = ins.memoryIndexScale;
  // A SIB byte with no index: objdump shows it as eiz/riz unless it is the plain [esp] form (or an
  // absolute address, which it shows as one unless the SIB scales the missing index).
  const sib =
    index === R.None && addressBits !== 16 && !MOFFS_CODE.test(code) ? host.sib(bytes, offset) : undefined;
  if (sib !== undefined && (sib & 0x38) === 0x20) {
    scale = 1 << (sib >> 6);
    if (base !== R.None ? (sib & 7) !== 4 || scale !== 1 : scale !== 1)
      indexText = addressBits === 32 ? "eiz" : "riz";
  }
  if (base === R.None && indexText === "") {
    // An absolute address prints with its segment, ds: when there is no override.
    const absolute = disp & (addressBits === 64 ? host.addrMask : 0xffff_ffffn);
    return { text: `${size}${segText || "ds:"}0x${hex(absolute)}` };
  }
  let inner = base !== R.None ? host.reg(base) : "";
  if (indexText) {
    inner += `${inner ? "+" : ""}${indexText}`;
    // 16-bit addressing has no scale.
    if (addressBits !== 16) inner += `*${scale}`;
  }
  if (ins.memoryDisplSize > 0 || base === R.None) {
    const d = BigInt.asIntN(addressBits, disp);
    inner += d < 0n ? `-0x${hex(-d)}` : `+0x${hex(d)}`;
  }
  return { text: `${size}${segText}[${inner}]${broadcastCount(ins, code)}` };
}

/**
 * `{1to4}` after a broadcast operand, where objdump writes it: when no register says the vector
 * length (vfpclass* into a mask; conversions into an xmm register from an xmm or a ymm source). The
 * codes were found by disassembling every EVEX opcode of maps 1, 2, 3, 5 and 6 with EVEX.b set, in
 * each vector length, W and prefix, and keeping those objdump printed with a `{1toN}`.
 */
function broadcastCount(ins: Iced.Instruction, code: string): string {
  if (!ins.isBroadcast || !BROADCAST_COUNT_CODE.test(code)) return "";
  const form = /mmm(\d+)b(\d+)/.exec(code);
  return form ? `{1to${Number(form[1]) / Number(form[2])}}` : "";
}
const BROADCAST_COUNT_CODE =
  /^EVEX_Vfpclassp[dsh]_|^EVEX_Vcvt(t?pd2u?dq|pd2ps|u?qq2ps|neps2bf16|pd2ph|u?qq2ph|u?dq2ph|ps2phx)_xmm_/;

/** `QWORD PTR ` and friends: the operand's size as objdump names it, "" when it names none. */
function sizeKeyword(host: IntelHost, ins: Iced.Instruction, code: string): string {
  // -M suffix names the size of a moffs operand too.
  if (NO_SIZE_CODE.test(code) && !(host.options.suffix && MOFFS_CODE.test(code))) return "";
  // Far pointers with a 64-bit offset are FWORD to objdump, cmpxchg16b's operand an OWORD.
  if (code.endsWith("_m1664")) return "FWORD PTR ";
  if (OWORD_CODE.test(code)) return "OWORD PTR ";
  // movsxd with a 66 prefix still reads a doubleword.
  if (code === "Movsxd_r16_rm16") return "DWORD PTR ";
  const memorySize = ins.memorySize;
  const MS = host.iced.MemorySize;
  if (ins.isBroadcast) {
    const element = host.iced.MemorySizeExt.elementSize(memorySize);
    return `${SIZE_NAME[element] ?? ""} BCST `;
  }
  if (memorySize === MS.Unknown) return "";
  const size = host.iced.MemorySizeExt.size(memorySize);
  const name = SIZE_NAME[size];
  return name ? `${name} PTR ` : "";
}

/** objdump's names for operand sizes in bytes. */
const SIZE_NAME: Record<number, string> = {
  1: "BYTE",
  2: "WORD",
  4: "DWORD",
  6: "FWORD",
  8: "QWORD",
  10: "TBYTE",
  16: "XMMWORD",
  32: "YMMWORD",
  64: "ZMMWORD",
};

/** The 128-bit operands objdump calls OWORD, not XMMWORD: cmpxchg16b's, and invept's and invvpid's descriptor. */
const OWORD_CODE = /^(Cmpxchg16b_m128|Invept_|Invvpid_)/;

/**
 * Codes whose memory operand objdump prints without a size: lea, the moffs moves (`mov eax,ds:0x0`),
 * the descriptor-table loads and stores (their mnemonic has it: `sgdtd [eax]`).
 */
const NO_SIZE_CODE =
  /^(Lea_|Mov_(AL|AX|EAX|RAX)_moffs|Mov_moffs\d+_|[SL][gi]dt_|Wru?ss[dq]_|Invpcid_|Movdir64b_|Enqcmds?_|Aes(enc|dec)(wide)?(128|256)kl_|(VEX_V)?[Ll]ddqu_|VEX_(Ld|St)tilecfg_)/;

/**
 * x87 register operands in Intel order: objdump names st(0) `st` where the form implies it, and for
 * the one-register forms (fld, fst, fxch, fcom...) prints only the st(i).
 */
function x87Operands(code: string, ops: string[]): void {
  const implicit = code.endsWith("_st0_sti") ? 0 : code.endsWith("_sti_st0") ? 1 : -1;
  if (implicit < 0 || ops.length !== 2) return;
  if (X87_ONE_OPERAND.test(code)) ops.splice(implicit, 1);
  else ops[implicit] = "st";
}
