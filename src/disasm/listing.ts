// The `objdump -d` / `-D` listing of one ELF file: section headers, symbol labels, the address and raw
// byte columns, zero runs, and `<sym+off>` names; the instruction text comes from the per-architecture
// decoder (x86.ts), loaded only when a file is disassembled.
import type { ElfFile } from "../elf/index.js";

export interface DisassembleOptions {
  all: boolean;
  sections: string[];
  symbol?: string;
  start?: bigint;
  stop?: bigint;
  showRaw: boolean;
  showAddresses: boolean;
  wide: boolean;
  zeros: boolean;
  syntax: "att" | "intel";
  suffix: boolean;
  inlineRelocs: boolean;
  inlineDynRelocs: boolean;
  demangle?: (name: string) => string;
}

export async function disassemble(
  file: ElfFile,
  fileName: string,
  opts: DisassembleOptions,
  out: { write(s: string): void },
  err: { write(s: string): void },
): Promise<number> {
  void file;
  void opts;
  void out;
  err.write(`objdump: ${fileName}: disassembly is not implemented yet\n`);
  return 1;
}
