// objdump -s: "Contents of section NAME:" and 16 bytes a line (address, four words, the bytes as text).
import type { Decompressors, ElfFile } from "../../elf/index.js";
import type { Output } from "../output.js";
import type { BfdSection } from "./bfd-view.js";

export interface ContentsOptions {
  /** -j names; empty: every section. */
  sections: string[];
  start?: bigint;
  stop?: bigint;
}

/** The sections -s dumps (with contents, not empty, named by -j when given). */
export function dumpedSections(sections: BfdSection[], opts: ContentsOptions): BfdSection[] {
  return sections.filter(
    (s) =>
      s.hasContents && s.sh.sh_size > 0n && (opts.sections.length === 0 || opts.sections.includes(s.name)),
  );
}

export function printContents(
  file: ElfFile,
  sections: BfdSection[],
  opts: ContentsOptions,
  _decompressors: Decompressors,
  out: Output,
): void {
  for (const s of dumpedSections(sections, opts)) {
    let from = 0n;
    // The stored bytes: a compressed section is dumped as it is in the file.
    let to = s.sh.sh_size;
    if (opts.start !== undefined && opts.start > s.vma) from = opts.start - s.vma;
    if (opts.stop !== undefined)
      to = opts.stop < s.vma ? 0n : opts.stop - s.vma < to ? opts.stop - s.vma : to;
    if (from >= to) continue;
    out.write(`Contents of section ${s.name}:\n`);
    const data = file.sectionData(s.sh);
    const end = s.vma + to;
    const width = Math.max(4, (end > 0n ? end - 1n : 0n).toString(16).length);
    const lines: string[] = [];
    for (let off = Number(from); off < Number(to); off += 16) {
      let hexPart = "";
      let text = "";
      for (let j = 0; j < 16; j++) {
        const at = off + j;
        if (at < Number(to) && at < data.length) {
          const b = data[at]!;
          hexPart += b.toString(16).padStart(2, "0");
          text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
        } else {
          hexPart += "  ";
          text += " ";
        }
        // Words break at multiples of four from the section's start, wherever the line starts.
        if ((at & 3) === 3) hexPart += " ";
      }
      lines.push(` ${(s.vma + BigInt(off)).toString(16).padStart(width, "0")} ${hexPart} ${text}\n`);
    }
    out.write(lines.join(""));
  }
}
