// REX prefixes as objdump 2.40 prints them (expected texts from objdump -d of the same bytes): one that
// another prefix follows prints alone, as one byte; one with a bit the instruction does not use is
// named before it (`rex.XB pop %r15`: X is unused).
import assert from "node:assert/strict";
import { test } from "node:test";
import { x86Disassembler } from "../src/disasm/x86.js";

/** Bytes, then what objdump prints at each instruction it finds in them. */
const CASES: [number[], string[]][] = [
  [
    [0x48, 0x66, 0x90],
    ["rex.W", "xchg   %ax,%ax"],
  ],
  [
    [0x47, 0x4c, 0x49, 0x42, 0x43, 0x5f],
    ["rex.RXB", "rex.WR", "rex.WB", "rex.X", "rex.XB pop %r15"],
  ],
  [[0x49, 0x5f], ["rex.WB pop %r15"]],
  [[0x4d, 0x53], ["rex.WRB push %r11"]],
  [[0x48, 0x89, 0xc7], ["mov    %rax,%rdi"]],
  [[0x4a, 0x8b, 0x04, 0x24], ["mov    (%rsp,%r12,1),%rax"]],
  [[0x40, 0x90], ["rex nop"]],
  [[0x40, 0x88, 0xc6], ["mov    %al,%sil"]],
  [
    [0x48, 0xf0, 0x01, 0x07],
    ["rex.W", "lock add %eax,(%rdi)"],
  ],
  [[0x49, 0x90], ["xchg   %rax,%r8"]],
  [[0x43, 0x90], ["rex.XB xchg %eax,%r8d"]],
];

test("REX prefixes objdump names, and the ones it prints alone", async () => {
  const d = await x86Disassembler({ bits: 64, syntax: "att", suffix: false });
  try {
    for (const [bytes, want] of CASES) {
      const data = Uint8Array.from(bytes);
      const got: string[] = [];
      for (let at = 0; at < data.length; ) {
        const r = d.decode(data, at, 0n, () => "", data.length);
        got.push(r.text);
        at += r.length;
      }
      assert.deepEqual(got, want, bytes.map((b) => b.toString(16)).join(" "));
    }
  } finally {
    d.free();
  }
});
