// s390x instruction text as s390x-linux-gnu-objdump 2.40 prints it, made from Capstone's (SystemZ) text
// for the same bytes: operands joined by `,` alone, displacements and immediates in decimal, and a
// relative operand (branches, larl, the *rl loads and stores) as `ADDR <sym>`. Each rule was measured by
// comparing objdump's listing of the cross toolchain's libc with Capstone's text instruction by
// instruction (scripts/compat-disasm-foreign.mjs --arch s390x); none comes from binutils' source.
import type { Symbolizer } from "./x86.js";

/** RIE compare-and-branch opcodes (the last byte after 0xec) whose 16-bit operand is relative. */
const RIE_RELATIVE = new Set([0x44, 0x45, 0x64, 0x65, 0x76, 0x77, 0x7c, 0x7d, 0x7e, 0x7f]);

/** Branch on condition with mask 0, by Capstone's name: objdump's nop for it. */
const NEVER: Record<string, string> = { bcr: "nopr", bc: "nop", brc: "jnop", brcl: "jgnop" };

/** Whether the instruction's last address operand is relative to it (Capstone prints it absolute). */
export function isRelative(bytes: Uint8Array, offset: number, length: number): boolean {
  const op = bytes[offset] as number;
  const low = (bytes[offset + 1] as number) & 0xf;
  switch (op) {
    case 0xa7:
      return low >= 4 && low <= 7; // brc, bras, brct, brctg
    case 0xc0:
      return low === 0 || low === 4 || low === 5; // larl, brcl, brasl
    case 0xc4:
    case 0xc6:
      return true; // lrl, lgrl, strl, ... exrl, pfdrl, cgrl, ...
    case 0x84:
    case 0x85:
      return true; // brxh, brxle
    case 0xcc:
      return low === 6; // brcth
    case 0xec:
      return RIE_RELATIVE.has(bytes[offset + length - 1] as number);
  }
  return false;
}

/** objdump's text for one instruction, from Capstone's mnemonic and operands. */
export function s390Text(
  mnemonic: string,
  opStr: string,
  relative: boolean,
  symbolize: Symbolizer,
  showAddresses: boolean,
): string {
  let mn = mnemonic;
  let ops = opStr.split(", ").join(",");
  // Observed: a branch on no condition is a nop (`nopr %r7`, `nopr`, `nop 0`, `jnop ADDR`).
  const never = NEVER[mn];
  if (never && (ops === "0" || ops.startsWith("0,"))) {
    mn = never;
    ops = ops === "0" ? "" : ops.slice(2);
    if (mn === "nopr" && ops === "%r0") ops = "";
  }
  // Observed: RISBG's zero-remaining-bits flag (bit 0x80 of I4) as the `z` form.
  if (mn === "risbg" || mn === "risbgn") {
    const f = ops.split(",");
    const i4 = Number(f[3]);
    if (f.length === 5 && i4 >= 0x80) {
      mn += "z";
      f[3] = String(i4 & 0x7f);
      ops = f.join(",");
    }
  }
  // Observed: compare-and-branch on "low or high" is written `ne`.
  if (/^(c|cl)(g?)(r|i)j?lh$/.test(mn) || /^c(g?)(r|i)jlh$/.test(mn)) mn = `${mn.slice(0, -2)}ne`;
  if (ops === "") return mn;
  let targetAt = -1;
  if (relative) {
    // Capstone writes a target of 0 as `0`, others in hex.
    const m = /(?:^|,)(-?0x[0-9a-f]+|0)$/.exec(ops);
    if (m) targetAt = m.index + (m[0].startsWith(",") ? 1 : 0);
  }
  const body = targetAt >= 0 ? ops.slice(0, targetAt) : ops;
  let text = body.replace(
    /(-?)0x([0-9a-f]+)/g,
    (_, sign: string, digits: string) => `${sign}${BigInt(`0x${digits}`)}`,
  );
  if (targetAt >= 0) {
    // Capstone writes a target below 0 as negative; objdump wraps it.
    const t = ops.slice(targetAt);
    const address = BigInt.asUintN(64, t.startsWith("-") ? -BigInt(t.slice(1)) : BigInt(t));
    const name = symbolize(address);
    text += showAddresses || name === "" ? `${address.toString(16)}${name}` : name.slice(1);
  }
  return `${mn}\t${text}`;
}
