// objdump -t (SYMBOL TABLE) and -T (DYNAMIC SYMBOL TABLE): one line per BFD symbol, in table order.
import type { ElfFile } from "../../elf/index.js";
import type { Output } from "../output.js";
import { type BfdSymbol, hexAddr } from "./bfd-view.js";

const VISIBILITY = ["", " .internal", " .hidden", " .protected"];

/** One symbol line: value, flags, section, size, [version], [visibility], name. */
export function symbolLine(file: ElfFile, s: BfdSymbol, name: string): string {
  let line = `${hexAddr(file, s.value)} ${s.flagChars} ${s.sectionName}\t${hexAddr(file, s.size)}`;
  if (s.version) {
    const [v, hidden] = s.version;
    line += hidden ? ` (${v})${" ".repeat(Math.max(0, 10 - v.length))}` : `  ${v.padEnd(11)}`;
  }
  const other = s.sym.st_other;
  if (other !== 0) line += other < 4 ? VISIBILITY[other] : ` 0x${other.toString(16).padStart(2, "0")}`;
  return `${line} ${name}\n`;
}

/** `symbols` undefined or empty: the file has no such table ("no symbols"); `filtered`: what -j kept. */
export function printSymbolTable(
  file: ElfFile,
  symbols: BfdSymbol[] | undefined,
  filtered: BfdSymbol[] | undefined,
  dynamic: boolean,
  demangle: ((name: string) => string) | undefined,
  out: Output,
): void {
  const lines = [dynamic ? "DYNAMIC SYMBOL TABLE:\n" : "SYMBOL TABLE:\n"];
  if (!symbols || symbols.length === 0) lines.push("no symbols\n");
  else
    for (const s of filtered ?? symbols)
      if (!s.special) lines.push(symbolLine(file, s, demangle && s.name !== "" ? demangle(s.name) : s.name));
  lines.push("\n\n");
  out.write(lines.join(""));
}
