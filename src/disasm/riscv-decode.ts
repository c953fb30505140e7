// RV64GC instruction decoding (the RISC-V Unprivileged ISA, version 20191213: RV64I, M, A, F, D, C,
// Zicsr, Zifencei; and the few privileged instructions libc and kernels hold), spelled as
// riscv64-linux-gnu-objdump 2.40 prints them: ABI register names, operands joined by `,` alone, immediates
// in decimal but shift amounts and lui/auipc's in hex, and objdump's aliases (`add` for addi, `sll` for
// slli, `li`, `mv`, `ret`, `sext.w`, `fsflags` ...). The encodings are the spec's; every spelling was
// measured by assembling each form with riscv64-linux-gnu-as and reading objdump's listing of it and of
// the cross toolchain's libc (scripts/compat-disasm-foreign.mjs --arch riscv64).

export const X_NAMES = [
  "zero",
  "ra",
  "sp",
  "gp",
  "tp",
  "t0",
  "t1",
  "t2",
  "s0",
  "s1",
  "a0",
  "a1",
  "a2",
  "a3",
  "a4",
  "a5",
  "a6",
  "a7",
  "s2",
  "s3",
  "s4",
  "s5",
  "s6",
  "s7",
  "s8",
  "s9",
  "s10",
  "s11",
  "t3",
  "t4",
  "t5",
  "t6",
];
const F_NAMES = [
  "ft0",
  "ft1",
  "ft2",
  "ft3",
  "ft4",
  "ft5",
  "ft6",
  "ft7",
  "fs0",
  "fs1",
  "fa0",
  "fa1",
  "fa2",
  "fa3",
  "fa4",
  "fa5",
  "fa6",
  "fa7",
  "fs2",
  "fs3",
  "fs4",
  "fs5",
  "fs6",
  "fs7",
  "fs8",
  "fs9",
  "fs10",
  "fs11",
  "ft8",
  "ft9",
  "ft10",
  "ft11",
];

/** CSR numbers objdump names (the privileged spec's table, those measured); others print as 0x%x. */
const CSR_NAMES: Record<number, string> = {
  1: "fflags",
  2: "frm",
  3: "fcsr",
  3072: "cycle",
  3073: "time",
  3074: "instret",
  3200: "cycleh",
  3201: "timeh",
  3202: "instreth",
  256: "sstatus",
  260: "sie",
  261: "stvec",
  262: "scounteren",
  320: "sscratch",
  321: "sepc",
  322: "scause",
  323: "stval",
  324: "sip",
  384: "satp",
  768: "mstatus",
  769: "misa",
  770: "medeleg",
  771: "mideleg",
  772: "mie",
  773: "mtvec",
  774: "mcounteren",
  832: "mscratch",
  833: "mepc",
  834: "mcause",
  835: "mtval",
  836: "mip",
  3857: "mvendorid",
  3858: "marchid",
  3859: "mimpid",
  3860: "mhartid",
};

/** Rounding modes by rm; 7 (dyn) is not printed. */
const ROUNDING = ["rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown"];

/** What one instruction says, before addresses are named (riscv.ts does that). */
export interface RvInstruction {
  /** 2 or 4 bytes. */
  length: number;
  mnemonic: string;
  /** Operands without a branch target. */
  operands: string;
  /** A branch or jump: the target's offset from the instruction, printed after the operands. */
  branch?: number;
  /** The operand's address is the value lui/auipc left in `base`, plus `offset` (a `# addr` comment). */
  use?: { base: number; offset: number };
  /** lui/auipc: the register gets `value` (auipc: the instruction's address plus it). */
  set?: { reg: number; value: bigint; pcRelative: boolean };
}

const x = (r: number) => X_NAMES[r] as string;
const f = (r: number) => F_NAMES[r] as string;
const hex = (v: number) => `0x${v.toString(16)}`;

/** Sign-extends the low `bits` of `v`. */
const sext = (v: number, bits: number) => (v << (32 - bits)) >> (32 - bits);

function insn(
  length: number,
  mnemonic: string,
  operands = "",
  extra: Partial<RvInstruction> = {},
): RvInstruction {
  return { length, mnemonic, operands, ...extra };
}

/** Decodes the instruction at `bytes[offset]` (little-endian parcels); undefined when objdump does not. */
export function decodeRiscv(bytes: Uint8Array, offset: number, available: number): RvInstruction | undefined {
  if (available < 2) return undefined;
  const low = (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
  if ((low & 3) !== 3) return decodeCompressed(low);
  if (available < 4) return undefined;
  const word = (low | ((bytes[offset + 2] as number) << 16) | ((bytes[offset + 3] as number) << 24)) >>> 0;
  return decode32(word);
}

/** The length objdump gives an instruction it cannot decode (the base ISA's length encoding). */
export function parcelLength(low: number): number {
  if ((low & 3) !== 3) return 2;
  if ((low & 0x1f) !== 0x1f) return 4;
  if ((low & 0x3f) === 0x1f) return 6;
  if ((low & 0x7f) === 0x3f) return 8;
  return 2;
}

function decode32(w: number): RvInstruction | undefined {
  const opcode = w & 0x7f;
  const rd = (w >>> 7) & 31;
  const funct3 = (w >>> 12) & 7;
  const rs1 = (w >>> 15) & 31;
  const rs2 = (w >>> 20) & 31;
  const funct7 = w >>> 25;
  const immI = w >> 20;
  const immS = ((w >> 25) << 5) | ((w >>> 7) & 31);
  const L = 4;
  switch (opcode) {
    case 0x37: // lui
    case 0x17: {
      // auipc
      const imm20 = w >>> 12;
      const mn = opcode === 0x37 ? "lui" : "auipc";
      const value = BigInt.asIntN(64, BigInt(w & 0xfffff000) << 32n) >> 32n;
      return insn(L, mn, `${x(rd)},${hex(imm20)}`, {
        set: rd === 0 ? undefined : { reg: rd, value, pcRelative: opcode === 0x17 },
      });
    }
    case 0x6f: {
      const imm = sext(
        ((w >>> 31) << 20) |
          (((w >>> 12) & 0xff) << 12) |
          (((w >>> 20) & 1) << 11) |
          (((w >>> 21) & 0x3ff) << 1),
        21,
      );
      if (rd === 0) return insn(L, "j", "", { branch: imm });
      if (rd === 1) return insn(L, "jal", "", { branch: imm });
      return insn(L, "jal", `${x(rd)},`, { branch: imm });
    }
    case 0x67: {
      if (funct3 !== 0) return undefined;
      const use = { base: rs1, offset: immI };
      if (rd === 0 && rs1 === 1 && immI === 0) return insn(L, "ret");
      if (immI === 0) {
        if (rd === 0) return insn(L, "jr", x(rs1), { use });
        if (rd === 1) return insn(L, "jalr", x(rs1), { use });
        return insn(L, "jalr", `${x(rd)},${x(rs1)}`, { use });
      }
      const mem = `${immI}(${x(rs1)})`;
      if (rd === 0) return insn(L, "jr", mem, { use });
      if (rd === 1) return insn(L, "jalr", mem, { use });
      return insn(L, "jalr", `${x(rd)},${mem}`, { use });
    }
    case 0x63: {
      const imm = sext(
        ((w >>> 31) << 12) | (((w >>> 7) & 1) << 11) | (((w >>> 25) & 0x3f) << 5) | (((w >>> 8) & 0xf) << 1),
        13,
      );
      const names = ["beq", "bne", "", "", "blt", "bge", "bltu", "bgeu"];
      const mn = names[funct3] as string;
      if (mn === "") return undefined;
      if (rs2 === 0 && (funct3 === 0 || funct3 === 1))
        return insn(L, funct3 === 0 ? "beqz" : "bnez", `${x(rs1)},`, { branch: imm });
      if (funct3 === 4 || funct3 === 5) {
        if (rs2 === 0) return insn(L, funct3 === 4 ? "bltz" : "bgez", `${x(rs1)},`, { branch: imm });
        if (rs1 === 0) return insn(L, funct3 === 4 ? "bgtz" : "blez", `${x(rs2)},`, { branch: imm });
      }
      return insn(L, mn, `${x(rs1)},${x(rs2)},`, { branch: imm });
    }
    case 0x03: {
      const names = ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", ""];
      const mn = names[funct3] as string;
      if (mn === "") return undefined;
      return insn(L, mn, `${x(rd)},${immI}(${x(rs1)})`, { use: { base: rs1, offset: immI } });
    }
    case 0x23: {
      const names = ["sb", "sh", "sw", "sd"];
      const mn = names[funct3];
      if (mn === undefined) return undefined;
      return insn(L, mn, `${x(rs2)},${immS}(${x(rs1)})`, { use: { base: rs1, offset: immS } });
    }
    case 0x07:
    case 0x27: {
      const names = opcode === 0x07 ? ["", "", "flw", "fld"] : ["", "", "fsw", "fsd"];
      const mn = names[funct3];
      if (!mn) return undefined;
      const reg = opcode === 0x07 ? rd : rs2;
      const imm = opcode === 0x07 ? immI : immS;
      return insn(L, mn, `${f(reg)},${imm}(${x(rs1)})`, { use: { base: rs1, offset: imm } });
    }
    case 0x13:
      return opImm(w, rd, funct3, rs1, immI, false);
    case 0x1b:
      return opImm(w, rd, funct3, rs1, immI, true);
    case 0x33:
      return op(rd, funct3, rs1, rs2, funct7, false);
    case 0x3b:
      return op(rd, funct3, rs1, rs2, funct7, true);
    case 0x0f:
      return miscMem(w, rd, funct3, rs1);
    case 0x73:
      return system(w, rd, funct3, rs1, rs2, funct7);
    case 0x2f:
      return atomic(rd, funct3, rs1, rs2, funct7);
    case 0x43:
    case 0x47:
    case 0x4b:
    case 0x4f: {
      const fmt = funct7 & 3;
      const suffix = fmt === 0 ? "s" : fmt === 1 ? "d" : "";
      if (suffix === "") return undefined;
      const base = { 67: "fmadd", 71: "fmsub", 75: "fnmsub", 79: "fnmadd" }[opcode] as string;
      const rs3 = funct7 >>> 2;
      return insn(L, `${base}.${suffix}`, `${f(rd)},${f(rs1)},${f(rs2)},${f(rs3)}${rounding(funct3)}`);
    }
    case 0x53:
      return floating(rd, funct3, rs1, rs2, funct7);
  }
  return undefined;
}

function rounding(rm: number): string {
  return rm === 7 ? "" : `,${ROUNDING[rm]}`;
}

function opImm(
  w: number,
  rd: number,
  funct3: number,
  rs1: number,
  imm: number,
  word: boolean,
): RvInstruction | undefined {
  const L = 4;
  const use = { base: rs1, offset: imm };
  if (word) {
    if (funct3 === 0) {
      if (imm === 0) return insn(L, "sext.w", `${x(rd)},${x(rs1)}`);
      return insn(L, "addw", `${x(rd)},${x(rs1)},${imm}`, { use });
    }
    const shamt = (w >>> 20) & 31;
    const top = w >>> 25;
    if (funct3 === 1 && top === 0) return insn(L, "sllw", `${x(rd)},${x(rs1)},${hex(shamt)}`);
    if (funct3 === 5 && top === 0) return insn(L, "srlw", `${x(rd)},${x(rs1)},${hex(shamt)}`);
    if (funct3 === 5 && top === 0x20) return insn(L, "sraw", `${x(rd)},${x(rs1)},${hex(shamt)}`);
    return undefined;
  }
  switch (funct3) {
    case 0:
      if (rs1 === 0) {
        if (rd === 0 && imm === 0) return insn(L, "nop");
        return insn(L, "li", `${x(rd)},${imm}`);
      }
      if (imm === 0) return insn(L, "mv", `${x(rd)},${x(rs1)}`);
      return insn(L, "add", `${x(rd)},${x(rs1)},${imm}`, { use });
    case 2:
      return insn(L, "slti", `${x(rd)},${x(rs1)},${imm}`);
    case 3:
      if (imm === 1) return insn(L, "seqz", `${x(rd)},${x(rs1)}`);
      return insn(L, "sltiu", `${x(rd)},${x(rs1)},${imm}`);
    case 4:
      if (imm === -1) return insn(L, "not", `${x(rd)},${x(rs1)}`);
      return insn(L, "xor", `${x(rd)},${x(rs1)},${imm}`);
    case 6:
      return insn(L, "or", `${x(rd)},${x(rs1)},${imm}`);
    case 7:
      if (imm === 255) return insn(L, "zext.b", `${x(rd)},${x(rs1)}`);
      return insn(L, "and", `${x(rd)},${x(rs1)},${imm}`);
    case 1:
    case 5: {
      const shamt = (w >>> 20) & 63;
      const top = w >>> 26;
      if (funct3 === 1 && top === 0) return insn(L, "sll", `${x(rd)},${x(rs1)},${hex(shamt)}`);
      if (funct3 === 5 && top === 0) return insn(L, "srl", `${x(rd)},${x(rs1)},${hex(shamt)}`);
      if (funct3 === 5 && top === 0x10) return insn(L, "sra", `${x(rd)},${x(rs1)},${hex(shamt)}`);
      return undefined;
    }
  }
  return undefined;
}

function op(
  rd: number,
  funct3: number,
  rs1: number,
  rs2: number,
  funct7: number,
  word: boolean,
): RvInstruction | undefined {
  const L = 4;
  const three = (mn: string) => insn(L, mn, `${x(rd)},${x(rs1)},${x(rs2)}`);
  if (word) {
    if (funct7 === 0)
      return ({ 0: three("addw"), 1: three("sllw"), 5: three("srlw") } as Record<number, RvInstruction>)[
        funct3
      ];
    if (funct7 === 0x20) {
      if (funct3 === 0) return rs1 === 0 ? insn(L, "negw", `${x(rd)},${x(rs2)}`) : three("subw");
      if (funct3 === 5) return three("sraw");
      return undefined;
    }
    if (funct7 === 1) {
      const names: Record<number, string> = { 0: "mulw", 4: "divw", 5: "divuw", 6: "remw", 7: "remuw" };
      const mn = names[funct3];
      return mn ? three(mn) : undefined;
    }
    return undefined;
  }
  if (funct7 === 0) {
    switch (funct3) {
      case 0:
        return three("add");
      case 1:
        return three("sll");
      case 2:
        if (rs2 === 0) return insn(L, "sltz", `${x(rd)},${x(rs1)}`);
        if (rs1 === 0) return insn(L, "sgtz", `${x(rd)},${x(rs2)}`);
        return three("slt");
      case 3:
        if (rs1 === 0) return insn(L, "snez", `${x(rd)},${x(rs2)}`);
        return three("sltu");
      case 4:
        return three("xor");
      case 5:
        return three("srl");
      case 6:
        return three("or");
      case 7:
        return three("and");
    }
  }
  if (funct7 === 0x20) {
    if (funct3 === 0) return rs1 === 0 ? insn(L, "neg", `${x(rd)},${x(rs2)}`) : three("sub");
    if (funct3 === 5) return three("sra");
    return undefined;
  }
  if (funct7 === 1)
    return three(["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"][funct3] as string);
  return undefined;
}

function fenceSet(bits: number): string {
  let s = "";
  if (bits & 8) s += "i";
  if (bits & 4) s += "o";
  if (bits & 2) s += "r";
  if (bits & 1) s += "w";
  return s === "" ? "unknown" : s;
}

function miscMem(w: number, rd: number, funct3: number, rs1: number): RvInstruction | undefined {
  if (funct3 === 1) return insn(4, "fence.i");
  if (funct3 !== 0) return undefined;
  const fm = w >>> 28;
  const pred = (w >>> 24) & 15;
  const succ = (w >>> 20) & 15;
  if (fm === 8 && pred === 3 && succ === 3) return insn(4, "fence.tso");
  if (fm !== 0 || rd !== 0 || rs1 !== 0) return undefined;
  if (pred === 15 && succ === 15) return insn(4, "fence");
  return insn(4, "fence", `${fenceSet(pred)},${fenceSet(succ)}`);
}

function csrName(csr: number): string {
  return CSR_NAMES[csr] ?? hex(csr);
}

function system(
  w: number,
  rd: number,
  funct3: number,
  rs1: number,
  rs2: number,
  funct7: number,
): RvInstruction | undefined {
  const L = 4;
  if (funct3 === 0) {
    if (rd !== 0) return undefined;
    if (w === 0x00000073) return insn(L, "ecall");
    if (w === 0x00100073) return insn(L, "ebreak");
    if (w === 0x10200073) return insn(L, "sret");
    if (w === 0x30200073) return insn(L, "mret");
    if (w === 0x10500073) return insn(L, "wfi");
    if (funct7 === 0x09) {
      if (rs1 === 0 && rs2 === 0) return insn(L, "sfence.vma");
      if (rs2 === 0) return insn(L, "sfence.vma", x(rs1));
      return insn(L, "sfence.vma", `${x(rs1)},${x(rs2)}`);
    }
    return undefined;
  }
  if (funct3 === 4) return undefined;
  const csr = w >>> 20;
  const name = csrName(csr);
  const immediate = funct3 >= 5;
  const src = immediate ? String(rs1) : x(rs1);
  const kind = funct3 & 3; // 1 rw, 2 rs, 3 rc
  // Observed: the immediate forms print under the register forms' names (`csrrs a0,mstatus,3`), but for
  // the floating-point CSRs' own aliases (frflags, fsflags, fsrmi ...).
  const fp = { 1: "flags", 2: "rm", 3: "csr" }[csr] as string | undefined;
  if (kind === 2 && !immediate && rs1 === 0) {
    if (fp) return insn(L, `fr${fp}`, x(rd));
    const counter = { 3072: "rdcycle", 3073: "rdtime", 3074: "rdinstret" }[csr];
    if (counter) return insn(L, counter, x(rd));
    return insn(L, "csrr", `${x(rd)},${name}`);
  }
  if (kind === 1 && fp) {
    // fsflagsi and fsrmi always name rd, `zero` included; fcsr has no immediate alias.
    if (!immediate) return insn(L, `fs${fp}`, rd === 0 ? src : `${x(rd)},${src}`);
    if (fp !== "csr") return insn(L, `fs${fp}i`, `${x(rd)},${src}`);
  }
  if (rd === 0) return insn(L, ["", "csrw", "csrs", "csrc"][kind] as string, `${name},${src}`);
  return insn(L, ["", "csrrw", "csrrs", "csrrc"][kind] as string, `${x(rd)},${name},${src}`);
}

function atomic(
  rd: number,
  funct3: number,
  rs1: number,
  rs2: number,
  funct7: number,
): RvInstruction | undefined {
  const width = funct3 === 2 ? "w" : funct3 === 3 ? "d" : "";
  if (width === "") return undefined;
  const op5 = funct7 >>> 2;
  const order = ["", ".rl", ".aq", ".aqrl"][funct7 & 3] as string;
  const names: Record<number, string> = {
    0: "amoadd",
    1: "amoswap",
    2: "lr",
    3: "sc",
    4: "amoxor",
    8: "amoor",
    12: "amoand",
    16: "amomin",
    20: "amomax",
    24: "amominu",
    28: "amomaxu",
  };
  const base = names[op5];
  if (base === undefined) return undefined;
  const mn = `${base}.${width}${order}`;
  if (op5 === 0x02) return rs2 === 0 ? insn(4, mn, `${x(rd)},(${x(rs1)})`) : undefined;
  return insn(4, mn, `${x(rd)},${x(rs2)},(${x(rs1)})`);
}

function floating(
  rd: number,
  rm: number,
  rs1: number,
  rs2: number,
  funct7: number,
): RvInstruction | undefined {
  const L = 4;
  const fmt = funct7 & 3;
  const t = fmt === 0 ? "s" : fmt === 1 ? "d" : "";
  if (t === "") return undefined;
  const op5 = funct7 >>> 2;
  switch (op5) {
    case 0x00:
    case 0x01:
    case 0x02:
    case 0x03: {
      const mn = ["fadd", "fsub", "fmul", "fdiv"][op5] as string;
      return insn(L, `${mn}.${t}`, `${f(rd)},${f(rs1)},${f(rs2)}${rounding(rm)}`);
    }
    case 0x0b:
      if (rs2 !== 0) return undefined;
      return insn(L, `fsqrt.${t}`, `${f(rd)},${f(rs1)}${rounding(rm)}`);
    case 0x04: {
      const mn = ["fsgnj", "fsgnjn", "fsgnjx"][rm];
      if (mn === undefined) return undefined;
      if (rs1 === rs2) return insn(L, `${["fmv", "fneg", "fabs"][rm]}.${t}`, `${f(rd)},${f(rs1)}`);
      return insn(L, `${mn}.${t}`, `${f(rd)},${f(rs1)},${f(rs2)}`);
    }
    case 0x05: {
      const mn = ["fmin", "fmax"][rm];
      return mn ? insn(L, `${mn}.${t}`, `${f(rd)},${f(rs1)},${f(rs2)}`) : undefined;
    }
    case 0x08: {
      // fcvt.s.d / fcvt.d.s: the widening one is exact and prints no rounding mode.
      if (t === "s" && rs2 === 1) return insn(L, "fcvt.s.d", `${f(rd)},${f(rs1)}${rounding(rm)}`);
      if (t === "d" && rs2 === 0 && rm === 0) return insn(L, "fcvt.d.s", `${f(rd)},${f(rs1)}`);
      return undefined;
    }
    case 0x14: {
      const mn = ["fle", "flt", "feq"][rm];
      return mn ? insn(L, `${mn}.${t}`, `${x(rd)},${f(rs1)},${f(rs2)}`) : undefined;
    }
    case 0x18:
    case 0x1a: {
      const ints = ["w", "wu", "l", "lu"];
      const i = ints[rs2];
      if (i === undefined) return undefined;
      if (op5 === 0x18) return insn(L, `fcvt.${i}.${t}`, `${x(rd)},${f(rs1)}${rounding(rm)}`);
      // Observed: an int-to-double conversion is exact for w and wu: no rounding mode, and only rm 0.
      const exact = t === "d" && (i === "w" || i === "wu");
      if (exact && rm !== 0) return undefined;
      return insn(L, `fcvt.${t}.${i}`, `${f(rd)},${x(rs1)}${exact ? "" : rounding(rm)}`);
    }
    case 0x1c:
      if (rs2 !== 0) return undefined;
      if (rm === 0) return insn(L, `fmv.x.${t === "s" ? "w" : "d"}`, `${x(rd)},${f(rs1)}`);
      if (rm === 1) return insn(L, `fclass.${t}`, `${x(rd)},${f(rs1)}`);
      return undefined;
    case 0x1e:
      if (rs2 !== 0 || rm !== 0) return undefined;
      return insn(L, `fmv.${t === "s" ? "w" : "d"}.x`, `${f(rd)},${x(rs1)}`);
  }
  return undefined;
}

/** The C extension's 16-bit instructions (RV64C), in objdump's spelling of what they expand to. */
function decodeCompressed(h: number): RvInstruction | undefined {
  const L = 2;
  const quadrant = h & 3;
  const funct3 = h >>> 13;
  const rdFull = (h >>> 7) & 31;
  const rs2Full = (h >>> 2) & 31;
  const rdPrime = 8 + ((h >>> 2) & 7);
  const rs1Prime = 8 + ((h >>> 7) & 7);
  if (quadrant === 0) {
    switch (funct3) {
      case 0: {
        const imm =
          (((h >>> 7) & 0xf) << 6) |
          (((h >>> 11) & 3) << 4) |
          (((h >>> 5) & 1) << 3) |
          (((h >>> 6) & 1) << 2);
        if (h === 0) return insn(L, "unimp");
        if (imm === 0) return undefined;
        return insn(L, "add", `${x(rdPrime)},sp,${imm}`);
      }
      case 1:
      case 3:
      case 5:
      case 7: {
        const imm = (((h >>> 10) & 7) << 3) | (((h >>> 5) & 3) << 6);
        const mn = ({ 1: "fld", 3: "ld", 5: "fsd", 7: "sd" } as Record<number, string>)[funct3] as string;
        const reg = funct3 === 1 || funct3 === 5 ? f(rdPrime) : x(rdPrime);
        return insn(L, mn, `${reg},${imm}(${x(rs1Prime)})`);
      }
      case 2:
      case 6: {
        const imm = (((h >>> 10) & 7) << 3) | (((h >>> 6) & 1) << 2) | (((h >>> 5) & 1) << 6);
        return insn(L, funct3 === 2 ? "lw" : "sw", `${x(rdPrime)},${imm}(${x(rs1Prime)})`);
      }
    }
    return undefined;
  }
  const imm6 = sext((((h >>> 12) & 1) << 5) | ((h >>> 2) & 31), 6);
  if (quadrant === 1) {
    switch (funct3) {
      case 0:
        // Observed: the HINT with a nonzero immediate keeps its compressed name.
        if (rdFull === 0) return imm6 === 0 ? insn(L, "nop") : insn(L, "c.nop", String(imm6));
        return insn(L, "add", `${x(rdFull)},${x(rdFull)},${imm6}`, { use: { base: rdFull, offset: imm6 } });
      case 1:
        if (rdFull === 0) return undefined;
        if (imm6 === 0) return insn(L, "sext.w", `${x(rdFull)},${x(rdFull)}`);
        return insn(L, "addw", `${x(rdFull)},${x(rdFull)},${imm6}`, { use: { base: rdFull, offset: imm6 } });
      case 2:
        return insn(L, "li", `${x(rdFull)},${imm6}`);
      case 3: {
        if (rdFull === 2) {
          const imm = sext(
            (((h >>> 12) & 1) << 9) |
              (((h >>> 6) & 1) << 4) |
              (((h >>> 5) & 1) << 6) |
              (((h >>> 3) & 3) << 7) |
              (((h >>> 2) & 1) << 5),
            10,
          );
          if (imm === 0) return undefined;
          return insn(L, "add", `sp,sp,${imm}`);
        }
        if (imm6 === 0) return undefined;
        const value = BigInt(imm6) << 12n;
        return insn(L, "lui", `${x(rdFull)},${hex(imm6 & 0xfffff)}`, {
          set: rdFull === 0 ? undefined : { reg: rdFull, value, pcRelative: false },
        });
      }
      case 4: {
        const kind = (h >>> 10) & 3;
        const rd = rs1Prime;
        const shamt = (((h >>> 12) & 1) << 5) | ((h >>> 2) & 31);
        if (kind === 0 || kind === 1) {
          if (shamt === 0) return insn(L, kind === 0 ? "c.srli64" : "c.srai64", x(rd));
          return insn(L, kind === 0 ? "srl" : "sra", `${x(rd)},${x(rd)},${hex(shamt)}`);
        }
        if (kind === 2) return insn(L, "and", `${x(rd)},${x(rd)},${imm6}`);
        const sub = ((h >>> 12) & 1) * 4 + ((h >>> 5) & 3);
        const names = ["sub", "xor", "or", "and", "subw", "addw"];
        const mn = names[sub];
        if (mn === undefined) return undefined;
        return insn(L, mn, `${x(rd)},${x(rd)},${x(rdPrime)}`);
      }
      case 5: {
        const imm = sext(
          (((h >>> 12) & 1) << 11) |
            (((h >>> 11) & 1) << 4) |
            (((h >>> 9) & 3) << 8) |
            (((h >>> 8) & 1) << 10) |
            (((h >>> 7) & 1) << 6) |
            (((h >>> 6) & 1) << 7) |
            (((h >>> 3) & 7) << 1) |
            (((h >>> 2) & 1) << 5),
          12,
        );
        return insn(L, "j", "", { branch: imm });
      }
      case 6:
      case 7: {
        const imm = sext(
          (((h >>> 12) & 1) << 8) |
            (((h >>> 10) & 3) << 3) |
            (((h >>> 5) & 3) << 6) |
            (((h >>> 3) & 3) << 1) |
            (((h >>> 2) & 1) << 5),
          9,
        );
        return insn(L, funct3 === 6 ? "beqz" : "bnez", `${x(rs1Prime)},`, { branch: imm });
      }
    }
    return undefined;
  }
  // quadrant 2
  switch (funct3) {
    case 0: {
      const shamt = (((h >>> 12) & 1) << 5) | rs2Full;
      // Observed: shifting zero (a HINT) keeps the compressed names.
      if (shamt === 0) return insn(L, "c.slli64", x(rdFull));
      if (rdFull === 0) return insn(L, "c.slli", `zero,${hex(shamt)}`);
      return insn(L, "sll", `${x(rdFull)},${x(rdFull)},${hex(shamt)}`);
    }
    case 1:
    case 3: {
      const imm = (((h >>> 12) & 1) << 5) | (((h >>> 5) & 3) << 3) | (((h >>> 2) & 7) << 6);
      if (funct3 === 3 && rdFull === 0) return undefined;
      return insn(L, funct3 === 1 ? "fld" : "ld", `${funct3 === 1 ? f(rdFull) : x(rdFull)},${imm}(sp)`);
    }
    case 2: {
      const imm = (((h >>> 12) & 1) << 5) | (((h >>> 4) & 7) << 2) | (((h >>> 2) & 3) << 6);
      if (rdFull === 0) return undefined;
      return insn(L, "lw", `${x(rdFull)},${imm}(sp)`);
    }
    case 4: {
      const bit12 = (h >>> 12) & 1;
      if (bit12 === 0) {
        if (rs2Full === 0) {
          if (rdFull === 0) return undefined;
          if (rdFull === 1) return insn(L, "ret");
          return insn(L, "jr", x(rdFull));
        }
        return insn(L, "mv", `${x(rdFull)},${x(rs2Full)}`);
      }
      if (rs2Full === 0) {
        if (rdFull === 0) return insn(L, "ebreak");
        return insn(L, "jalr", x(rdFull));
      }
      return insn(L, "add", `${x(rdFull)},${x(rdFull)},${x(rs2Full)}`);
    }
    case 5:
    case 7: {
      const imm = (((h >>> 10) & 7) << 3) | (((h >>> 7) & 7) << 6);
      return insn(L, funct3 === 5 ? "fsd" : "sd", `${funct3 === 5 ? f(rs2Full) : x(rs2Full)},${imm}(sp)`);
    }
    case 6: {
      const imm = (((h >>> 9) & 0xf) << 2) | (((h >>> 7) & 3) << 6);
      return insn(L, "sw", `${x(rs2Full)},${imm}(sp)`);
    }
  }
  return undefined;
}
