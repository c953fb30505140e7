import assert from "node:assert/strict";
import { test } from "node:test";
import { ET_DYN, ET_EXEC } from "../src/elf/index.js";
import { type AslrSettings, entropyBits, predictAslr } from "../src/process/aslr.js";
import { type MappedFile, predictExecLayout } from "../src/process/exec-layout.js";
import { renderAslr } from "../src/render/aslr.js";
import { StringOutput } from "../src/render/output.js";
import {
  mappedElf as mapped,
  execOptions as opts,
  testInterpreter,
  testProgram,
} from "./helpers/layout-env.js";

const on = (level: 0 | 1 | 2 = 2): AslrSettings => ({ level, mmapRndBits: 28, mmapRndCompatBits: 8 });

/** The helpers' program as /t/prog (a small PIE, or ET_EXEC at `base`), and its interpreter. */
const program = (is64: boolean, type: number, base: bigint, align?: bigint): MappedFile =>
  mapped(testProgram(is64, type, base, align), "/t/prog");
const interp = (is64 = true): MappedFile => testInterpreter(is64);

function aslr(exe: MappedFile, ld: MappedFile | undefined, s: AslrSettings, o = opts()) {
  return predictAslr(predictExecLayout(exe, ld, o), exe, ld, o, s);
}
const row = (a: ReturnType<typeof aslr>, pred: (r: ReturnType<typeof aslr>["ranges"][number]) => boolean) => {
  const r = a.ranges.find(pred);
  assert.ok(r, "row present");
  return r;
};

test("x86-64 PIE, randomize_va_space 2: 28-bit bias, 28-bit mmap base, 22-bit stack, brk 1 GiB above the bss", () => {
  const a = aslr(program(true, ET_DYN, 0n), interp(), on(2));
  const text = row(a, (r) => r.object === "/t/prog" && r.kind === "text");
  assert.equal(text.low, 0x555555554000n);
  assert.equal(text.high, 0x555555554000n + ((1n << 28n) - 1n) * 4096n);
  assert.equal(text.count, 1n << 28n);
  assert.equal(text.bits, 28);
  assert.equal(text.source, "pie");

  // mmap_base(): gap = 8 MiB + 1 MiB guard + 0x3fffff pages; the random offset comes off it.
  const base = row(a, (r) => r.kind === "mmap_base");
  assert.equal(base.high, 0x7ffffffff000n - (8n << 20n) - (1n << 20n) - 0x3fffff000n);
  assert.equal(base.high, 0x7ffbff700000n);
  assert.equal(base.low, base.high - ((1n << 28n) - 1n) * 4096n);
  // The interpreter sits right under it (span 0x3000), the vDSO block under the interpreter.
  const ld = row(a, (r) => r.object === "/t/ld.so" && r.kind === "text");
  assert.equal(ld.high, 0x7ffbff700000n - 0x3000n);
  assert.equal(ld.source, "mmap");
  const vdso = row(a, (r) => r.region === "[vdso]");
  assert.equal(vdso.high, ld.high - 0x2000n);
  assert.equal(vdso.count, 1n << 28n);

  const top = row(a, (r) => r.kind === "stack_top");
  assert.equal(top.high, 0x7ffffffff000n);
  assert.equal(top.low, 0x7ffffffff000n - 0x3fffff000n - 0x2000n);
  assert.equal(top.count, 0x400002n);
  assert.equal(top.bits, 22);

  // brk: pageup(end of bss) = bias + 0x6000, one page of gap, then up to 1 GiB - 1 page.
  const heap = row(a, (r) => r.kind === "heap");
  assert.equal(heap.low, 0x555555554000n + 0x6000n + 0x1000n);
  assert.equal(heap.high, text.high + 0x6000n + 0x1000n + (1n << 30n) - 0x1000n);
  assert.equal(heap.source, "pie+brk");
});

test("randomize_va_space 1: the brk follows the bss; 0: everything fixed", () => {
  const one = aslr(program(true, ET_DYN, 0n), interp(), on(1));
  const heap1 = row(one, (r) => r.kind === "heap");
  assert.equal(heap1.low, 0x555555554000n + 0x6000n);
  assert.equal(heap1.count, 1n << 28n);
  assert.equal(heap1.source, "pie");
  const zero = aslr(program(true, ET_DYN, 0n), interp(), on(0));
  for (const r of zero.ranges) assert.equal(r.count, 1n, r.region);
  assert.equal(row(zero, (r) => r.kind === "mmap_base").low, 0x7ffff7fff000n);
});

test("a 2 MiB p_align PIE: bias on a 2 MiB grid, 2^19 + 1 values", () => {
  const a = aslr(program(true, ET_DYN, 0n, 0x200000n), interp(), on(2));
  const text = row(a, (r) => r.object === "/t/prog" && r.kind === "text");
  assert.equal(text.step, 0x200000n);
  assert.equal(text.low % 0x200000n, 0n);
  assert.equal(text.low, 0x555555400000n);
  // 2^40 bytes of offsets from an unaligned ELF_ET_DYN_BASE touch 2^19 + 1 blocks of 2 MiB.
  assert.equal(text.count, (1n << 19n) + 1n);
});

test("ET_EXEC: the program is fixed, the heap moves by randomize_page only", () => {
  const a = aslr(program(true, ET_EXEC, 0x400000n), interp(), on(2));
  const text = row(a, (r) => r.object === "/t/prog" && r.kind === "text");
  assert.equal(text.low, 0x400000n);
  assert.equal(text.count, 1n);
  const heap = row(a, (r) => r.kind === "heap");
  assert.equal(heap.low, 0x406000n + 0x1000n);
  assert.equal(heap.count, 1n << 18n);
  assert.equal(heap.source, "brk");
});

test("static PIE: placed by the mmap layout; brk at ELF_ET_DYN_BASE + randomize_page", () => {
  const a = aslr(program(true, ET_DYN, 0n), undefined, on(2));
  const text = row(a, (r) => r.object === "/t/prog" && r.kind === "text");
  assert.equal(text.source, "mmap");
  assert.equal(text.high, 0x7ffbff700000n - 0x6000n);
  const heap = row(a, (r) => r.kind === "heap");
  assert.equal(heap.low, 0x555555555000n);
  // randomize_page shrinks the range by the alignment of its unaligned start.
  assert.equal(heap.count, 0x3ffffn);
});

test("i386 PIE: 8 bits of mmap randomness, 0x7ff pages of stack, 32 MiB of brk", () => {
  const a = aslr(program(false, ET_DYN, 0n), interp(false), on(2));
  const text = row(a, (r) => r.object === "/t/prog" && r.kind === "text");
  assert.equal(text.low, 0x56555000n);
  assert.equal(text.high, 0x56555000n + 255n * 4096n);
  assert.equal(text.bits, 8);
  const base = row(a, (r) => r.kind === "mmap_base");
  // 8 MiB + 1 MiB + 8 MiB is under the 128 MiB minimum gap.
  assert.equal(base.high, 0xffffe000n - (128n << 20n));
  const top = row(a, (r) => r.kind === "stack_top");
  assert.equal(top.count, 0x7ffn + 3n);
  const heap = row(a, (r) => r.kind === "heap");
  assert.equal(heap.high - heap.low, 255n * 4096n + (32n << 20n) - 4096n);
});

test("entropy bits and rendering", () => {
  assert.equal(entropyBits(1n), 0);
  assert.equal(entropyBits(1n << 28n), 28);
  assert.equal(entropyBits(0x400002n), 22);
  assert.equal(entropyBits(3n), 1.6);
  const a = aslr(program(true, ET_DYN, 0n), interp(), on(2));
  const text = new StringOutput();
  renderAslr(a, false, text);
  assert.match(text.toString(), /randomize_va_space 2 \(mmap_rnd_bits 28\), 64-bit task/);
  assert.match(
    text.toString(),
    /^prog +text +r-xp .* 0x0000555555554000 +0x0000565555553000 +2\^28 +28 +PIE bias$/m,
  );
  const json = new StringOutput();
  renderAslr(a, true, json);
  const model = JSON.parse(json.toString());
  assert.equal(model.aslr.randomizeVaSpace, 2);
  assert.ok(
    model.ranges.some(
      (r: { kind: string; low: string }) => r.kind === "stack_top" && r.low === "0x7ffbffffe000",
    ),
  );
});
