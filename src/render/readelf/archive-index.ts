import type { Archive } from "../../elf/index.js";
import type { Output } from "../output.js";

/**
 * readelf -c: the archive's symbol index (the "/" or "/SYM64/" armap), as readelf.c process_archive
 * prints it: one "Contents of binary" line each time the member offset changes between consecutive
 * entries (so a member can appear more than once), then the symbol names indented by a tab.
 */
export function printArchiveIndex(a: Archive, path: string, out: Output, error: (m: string) => void): void {
  const symbols = a.symbols;
  if (!symbols) {
    error(`${path}: unable to dump the index as none was found`);
    return;
  }
  const count = symbols.length;
  // GNU ar writes 64-bit indices (/SYM64/) only when a member offset does not fit 32 bits.
  const wide = symbols.some((s) => s.memberOffset > 0xffffffff);
  const width = wide ? 8 : 4;
  // elfcomm.c process_archive_index_and_symbols: the member size rounded up to even, less the index.
  const symSize = a.symbolTableSize + (a.symbolTableSize & 1) - (count + 1) * width;
  if (symSize < 1) {
    error(`${path}: the archive has an index but no symbols`);
    return;
  }
  const byOffset = new Map<number, string>();
  for (const m of a.members) byOffset.set(m.headerOffset, m.name);
  const qualify = (member: string) => (a.thin ? `${path}[${member}]` : `${path}(${member})`);

  const parts: string[] = [
    `Index of archive ${path}: (${count} entries, 0x${symSize.toString(16)} bytes in the symbol table)\n`,
  ];
  let used = 0;
  for (let i = 0; i < count; i++) {
    const s = symbols[i]!;
    if (i === 0 || s.memberOffset !== symbols[i - 1]!.memberOffset) {
      const member = byOffset.get(s.memberOffset);
      if (member !== undefined) {
        parts.push(`Contents of binary ${qualify(member)} at offset 0x${s.memberOffset.toString(16)}\n`);
      }
    }
    if (used >= symSize) {
      out.write(parts.join(""));
      error(`${path}: end of the symbol table reached before the end of the index`);
      return;
    }
    parts.push(`\t${s.name}\n`);
    used += s.name.length + 1;
  }
  used = wide ? (used + 7) & ~7 : used + (used & 1);
  out.write(parts.join(""));
  if (used < symSize) {
    const left = symSize - used;
    error(
      `${path}: ${left} ${left === 1 ? "byte remains" : "bytes remain"} in the symbol table, but without corresponding entries in the index table`,
    );
  }
}
