import type { Decompressors, ElfFile, SectionHeader, StringTable } from "../../elf/index.js";
import type { Output } from "../output.js";

/** What `readelf` was asked to show; the CLI fills this from the command line. */
export interface ReadelfOptions {
  fileHeader: boolean; // -h
  programHeaders: boolean; // -l
  sectionHeaders: boolean; // -S
  sectionGroups: boolean; // -g
  sectionDetails: boolean; // -t
  symbols: boolean; // -s
  dynSyms: boolean; // --dyn-syms
  dynamic: boolean; // -d
  relocs: boolean; // -r
  notes: boolean; // -n
  versionInfo: boolean; // -V
  unwind: boolean; // -u
  archSpecific: boolean; // -A
  histogram: boolean; // -I
  useDynamic: boolean; // -D
  archiveIndex: boolean; // -c
  hexDump: string[]; // -x NAME|NUMBER, in command-line order
  stringDump: string[]; // -p NAME|NUMBER
  relocatedDump: string[]; // -R NAME|NUMBER
  decompress: boolean; // -z
  wide: boolean; // -W
  demangle: boolean; // -C
  symBase: 0 | 8 | 10 | 16; // --sym-base
  silentTruncation: boolean; // -T
}

export const defaultReadelfOptions = (): ReadelfOptions => ({
  fileHeader: false,
  programHeaders: false,
  sectionHeaders: false,
  sectionGroups: false,
  sectionDetails: false,
  symbols: false,
  dynSyms: false,
  dynamic: false,
  relocs: false,
  notes: false,
  versionInfo: false,
  unwind: false,
  archSpecific: false,
  histogram: false,
  useDynamic: false,
  archiveIndex: false,
  hexDump: [],
  stringDump: [],
  relocatedDump: [],
  decompress: false,
  wide: false,
  demangle: false,
  symBase: 0,
  silentTruncation: false,
});

/** Everything a readelf view needs for one ELF object. */
export interface ReadelfContext {
  file: ElfFile;
  /** As readelf names it: the path, or `lib.a(member.o)` for an archive member. */
  fileName: string;
  out: Output;
  opts: ReadelfOptions;
  /** `readelf: Warning: MSG` on stderr; the run goes on. */
  warn(message: string): void;
  /** `readelf: Error: MSG` on stderr; the exit status becomes 1. */
  error(message: string): void;
  /** Demangles a C++/Rust name when -C is on (identity otherwise). */
  demangle(name: string): string;
  /** Set the exit status to 1 without a message (readelf does this for some unreadable notes and dumps). */
  fail?(): void;
  /** zlib and zstd, for -z and compressed sections (src/render cannot import node:zlib itself). */
  decompressors?: Decompressors;
}

/**
 * The section headers and their name table as far as they can be read: views that only look sections
 * up by name go on with none when the table is broken (the view that lists them reports it).
 */
export function readableSections(file: ElfFile): {
  sections: SectionHeader[];
  names: StringTable | undefined;
} {
  let sections: SectionHeader[] = [];
  try {
    sections = file.sectionHeaders;
  } catch {
    sections = [];
  }
  let names: StringTable | undefined;
  try {
    names = file.sectionNameTable;
  } catch {
    names = undefined;
  }
  return { sections, names };
}
