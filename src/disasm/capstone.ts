// Capstone 5 (the WASM build in @alexaltea/capstone-js) as the non-x86 decoders use it: loaded on first
// use and kept outside the bundle, one handle per architecture and mode, and cs_disasm_iter fed from a
// window of the section copied into WASM memory, so a section is copied once, not once per instruction.
import { createRequire } from "node:module";

/** The parts of Capstone's Emscripten module used here (see its dist/capstone.js). */
export interface CapstoneModule {
  ARCH_ARM: number;
  ARCH_ARM64: number;
  ARCH_MIPS: number;
  ARCH_RISCV: number;
  ARCH_SYSZ: number;
  MODE_ARM: number;
  MODE_THUMB: number;
  MODE_V8: number;
  MODE_MCLASS: number;
  MODE_BIG_ENDIAN: number;
  MODE_RISCV32: number;
  MODE_RISCV64: number;
  MODE_RISCVC: number;
  MODE_MIPS32: number;
  MODE_MIPS64: number;
  MODE_MIPS32R6: number;
  MODE_MICRO: number;
  OPT_SYNTAX: number;
  OPT_SYNTAX_NOREGNAME: number;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _cs_open(arch: number, mode: number, handlePtr: number): number;
  _cs_option(handle: number, type: number, value: number): number;
  _cs_close(handlePtr: number): number;
  _cs_malloc(handle: number): number;
  _cs_free(insn: number, count: number): void;
  _cs_disasm_iter(handle: number, codePtr: number, sizePtr: number, addressPtr: number, insn: number): number;
  getValue(ptr: number, type: string): number;
  setValue(ptr: number, value: number | bigint, type: string): void;
  writeArrayToMemory(array: Uint8Array, ptr: number): void;
  UTF8ToString(ptr: number): string;
}

let capstone: Promise<CapstoneModule> | undefined;

/** Loads Capstone once; its factory compiles the WASM (a few MB) asynchronously. */
export function loadCapstone(): Promise<CapstoneModule> {
  capstone ??= (createRequire(import.meta.url)("@alexaltea/capstone-js") as () => Promise<CapstoneModule>)();
  return capstone;
}

/** cs_insn's layout in the WASM build: size, mnemonic and operand text at fixed offsets. */
const INSN_SIZE = 16;
const INSN_MNEMONIC = 42;
const INSN_OP_STR = 74;
/** Section bytes copied into WASM memory at a time. */
const WINDOW = 1 << 16;
/** Room after the window for bytes decoded in place of the section's (decodeBytes). */
const SCRATCH = 16;

/** One open Capstone handle (an architecture and mode) and the last instruction it decoded. */
export class CapstoneHandle {
  private readonly handlePtr: number;
  private readonly handle: number;
  private readonly insn: number;
  /** cs_disasm_iter's in-out arguments: the code pointer, the bytes left, the address. */
  private readonly args: number;
  private readonly buffer: number;
  private windowBytes: Uint8Array | undefined;
  private windowStart = 0;
  private windowEnd = 0;

  constructor(
    private readonly cs: CapstoneModule,
    arch: number,
    mode: number,
  ) {
    this.handlePtr = cs._malloc(4);
    const rc = cs._cs_open(arch, mode, this.handlePtr);
    if (rc !== 0) throw new Error(`Capstone could not open architecture ${arch} mode ${mode} (error ${rc})`);
    this.handle = cs.getValue(this.handlePtr, "i32");
    this.insn = cs._cs_malloc(this.handle);
    this.args = cs._malloc(16);
    this.buffer = cs._malloc(WINDOW + SCRATCH);
  }

  /** Sets a cs_option (e.g. OPT_SYNTAX_NOREGNAME for numbered registers). */
  option(type: number, value: number): void {
    this.cs._cs_option(this.handle, type, value);
  }

  free(): void {
    const cs = this.cs;
    cs._cs_free(this.insn, 1);
    cs._free(this.args);
    cs._free(this.buffer);
    cs._cs_close(this.handlePtr);
    cs._free(this.handlePtr);
  }

  /**
   * Decodes one instruction of at most `size` bytes at `bytes[offset]` as if at `address`, copying a new
   * window of `bytes` (up to `limit`) when the instruction is outside the current one. Returns the
   * instruction's length, 0 when Capstone refuses the bytes.
   */
  decode(bytes: Uint8Array, offset: number, size: number, address: bigint, limit: number): number {
    const cs = this.cs;
    if (bytes !== this.windowBytes || offset < this.windowStart || offset + size > this.windowEnd) {
      const end = Math.min(limit, bytes.length, offset + WINDOW);
      cs.writeArrayToMemory(bytes.subarray(offset, end), this.buffer);
      this.windowBytes = bytes;
      this.windowStart = offset;
      this.windowEnd = end;
    }
    return this.iterate(this.buffer + (offset - this.windowStart), size, address);
  }

  /** Decodes bytes that are not in the section (a canonical form of one Capstone refused). */
  decodeBytes(code: Uint8Array, address: bigint): number {
    const at = this.buffer + WINDOW;
    this.cs.writeArrayToMemory(code.subarray(0, SCRATCH), at);
    return this.iterate(at, Math.min(code.length, SCRATCH), address);
  }

  private iterate(codePtr: number, size: number, address: bigint): number {
    const cs = this.cs;
    const args = this.args;
    cs.setValue(args, codePtr, "i32");
    cs.setValue(args + 4, size, "i32");
    cs.setValue(args + 8, address, "i64");
    if (!cs._cs_disasm_iter(this.handle, args, args + 4, args + 8, this.insn)) return 0;
    return cs.getValue(this.insn + INSN_SIZE, "i16") & 0xffff;
  }

  /** The last decoded instruction's mnemonic. */
  get mnemonic(): string {
    return this.cs.UTF8ToString(this.insn + INSN_MNEMONIC);
  }

  /** The last decoded instruction's operands. */
  get operands(): string {
    return this.cs.UTF8ToString(this.insn + INSN_OP_STR);
  }
}
