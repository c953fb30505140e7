// The code references of x86 machine code: every direct call and jump with its target, and every
// RIP-relative memory operand with the address it reads (a `call *slot(%rip)` of -fno-plt code, a GOT
// load). `anatomy plt` uses them to find the call sites of each PLT stub and GOT slot. Decoding is
// iced-x86's (WASM), loaded only here.
import { loadIced } from "./x86.js";

export interface CodeReference {
  /** Address of the instruction. */
  from: bigint;
  kind: "call" | "jump" | "memory";
  /** The branch target, or the memory operand's address. */
  to: bigint;
}

/**
 * The references made by the code in `bytes` (loaded at `address`) to any address `wanted` accepts.
 * Invalid bytes decode as one-byte invalid instructions, so data in code only costs a wrong guess.
 */
export async function x86References(
  bytes: Uint8Array,
  address: bigint,
  bits: 32 | 64,
  wanted: (to: bigint) => boolean,
): Promise<CodeReference[]> {
  const m = await loadIced();
  const out: CodeReference[] = [];
  const decoder = new m.Decoder(bits, bytes, m.DecoderOptions.None);
  const instr = new m.Instruction();
  try {
    decoder.ip = address;
    while (decoder.canDecode) {
      decoder.decodeOut(instr);
      const flow = instr.flowControl;
      if (
        flow === m.FlowControl.Call ||
        flow === m.FlowControl.UnconditionalBranch ||
        flow === m.FlowControl.ConditionalBranch
      ) {
        const to = instr.nearBranchTarget;
        if (to !== 0n && wanted(to))
          out.push({ from: instr.ip, kind: flow === m.FlowControl.Call ? "call" : "jump", to });
      } else if (instr.isIpRelMemoryOperand) {
        const to = instr.ipRelMemoryAddress;
        if (wanted(to))
          out.push({
            from: instr.ip,
            kind:
              flow === m.FlowControl.IndirectCall
                ? "call"
                : flow === m.FlowControl.IndirectBranch
                  ? "jump"
                  : "memory",
            to,
          });
      }
    }
  } finally {
    instr.free();
    decoder.free();
  }
  return out;
}

/** Where each instruction of the code in `bytes` (loaded at `address`) starts and ends, decoded in order. */
export async function x86InstructionBounds(
  bytes: Uint8Array,
  address: bigint,
  bits: 32 | 64,
): Promise<{ start: bigint; end: bigint }[]> {
  const m = await loadIced();
  const out: { start: bigint; end: bigint }[] = [];
  const decoder = new m.Decoder(bits, bytes, m.DecoderOptions.None);
  const instr = new m.Instruction();
  try {
    decoder.ip = address;
    while (decoder.canDecode) {
      decoder.decodeOut(instr);
      out.push({ start: instr.ip, end: instr.ip + BigInt(instr.length) });
    }
  } finally {
    instr.free();
    decoder.free();
  }
  return out;
}
