// Rewrites symbols of an assembled ELF object, for inputs no assembler writes: names with control
// bytes, empty names, symbol types and section indexes of other machines. Used by
// scripts/compat-nm-foreign.mjs to build its measured cases.
import { readFileSync, writeFileSync } from "node:fs";

/**
 * Copies `src` to `dst`, changing in every symbol table: each `#` and `%` of the names' string table
 * to \x01 and \x02, the names starting with "empty" to the empty name (st_name 0), and the fields
 * `mods[name]` gives ({ value, size, info, shndx }) of the symbols so named (before the renaming).
 */
export function patchSymbols(src, dst, mods = {}) {
  const b = readFileSync(src);
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const u16 = (o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (o) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(o));
  const put = (o, bytes, v) => {
    if (bytes === 1) b[o] = v;
    else if (bytes === 2) le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o);
    else if (bytes === 4) le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o);
    else le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o);
  };
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({
      type: u32(o + 4),
      offset: word(o + (is64 ? 0x18 : 0x10)),
      size: word(o + (is64 ? 0x20 : 0x14)),
      link: u32(o + (is64 ? 0x28 : 0x18)),
      entsize: word(o + (is64 ? 0x38 : 0x24)),
    });
  }
  // Elf32_Sym / Elf64_Sym field offsets and widths.
  const field = is64
    ? { value: [8, 8], size: [16, 8], info: [4, 1], shndx: [6, 2] }
    : { value: [4, 4], size: [8, 4], info: [12, 1], shndx: [14, 2] };
  for (const s of sections) {
    if (s.type !== 2 || s.entsize === 0) continue; // SHT_SYMTAB
    const strings = sections[s.link];
    const nameAt = (off) => {
      const start = strings.offset + off;
      return b.toString("latin1", start, b.indexOf(0, start));
    };
    for (let at = s.offset; at + s.entsize <= s.offset + s.size; at += s.entsize) {
      const name = nameAt(u32(at));
      for (const [key, v] of Object.entries(mods[name] ?? {})) put(at + field[key][0], field[key][1], v);
      if (name.startsWith("empty")) put(at, 4, 0);
    }
    for (let k = strings.offset; k < strings.offset + strings.size; k++) {
      if (b[k] === 0x23) b[k] = 1;
      else if (b[k] === 0x25) b[k] = 2;
    }
  }
  writeFileSync(dst, b);
}
