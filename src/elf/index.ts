export { type Archive, type ArchiveMember, type ArchiveSymbol, isArchive, parseArchive } from "./archive.js";
export { BufferSource, type ByteSource, SliceSource } from "./byte-source.js";
export {
  type CompressionHeader,
  type Decompressors,
  decompress,
  MAX_COMPRESSION_RATIO,
  MAX_DECOMPRESSED_SIZE,
  parseCompressionHeader,
  parseZlibGnuHeader,
  sectionContents,
} from "./compression.js";
export * from "./constants.js";
export { DataReader } from "./data-reader.js";
export {
  type DynamicEntry,
  type DynamicInfo,
  type DynamicTable,
  dynamicInfo,
  dynamicStrings,
  dynamicTable,
  dynamicValue,
} from "./dynamic.js";
export { describeElfError, ElfError, ElfErrorCode, isElfError } from "./errors.js";
export { ElfFile } from "./file.js";
export {
  type BucketHistogram,
  type DynamicSymbolIndex,
  dynamicSymbolIndex,
  elfHash,
  type GnuHashTable,
  gnuHash,
  gnuHistogram,
  lookupSymbol,
  parseGnuHash,
  parseSysvHash,
  type SysvHashTable,
  sysvHashEntrySize,
  sysvHistogram,
} from "./hash.js";
export { type ElfHeader, isElfMagic, parseElfHeader } from "./header.js";
export {
  containerNotes,
  type ElfNote,
  type GnuAbiTag,
  type GnuProperty,
  type GnuPropertyList,
  type GnuPropertySummary,
  gnuBuildId,
  gnuProperties,
  hexBytes,
  type NoteContainer,
  type NoteList,
  type NoteProblem,
  type NtFile,
  type NtFileEntry,
  noteAlignment,
  noteSections,
  noteSegments,
  parseAbiTag,
  parseGnuProperties,
  parseNotes,
  parseNtFile,
  parseStapsdt,
  readNotes,
  type StapsdtProbe,
} from "./note.js";
export { hasRelocTypeNames, relocTypeName } from "./reloc-types.js";
export {
  type DynamicRelocationTable,
  decodeRelr,
  dynamicRelocationTables,
  parseRelocations,
  type Relocation,
  type RelocationKind,
  relocationEntrySize,
  sectionRelocationKind,
  sectionRelocationSymbols,
  sectionRelocations,
} from "./relocation.js";
export type { SectionHeader } from "./section.js";
export type { ProgramHeader } from "./segment.js";
export { latin1, StringTable } from "./strings.js";
export { type ElfSymbol, symBind, symType, symVisibility } from "./symbol.js";
export { SymbolTableView } from "./symbol-table.js";
export {
  parseVerdefs,
  parseVerneeds,
  parseVersym,
  readVerdaux,
  readVerdef,
  readVernaux,
  readVerneed,
  type SymbolVersion,
  symbolVersions,
  VERSYM_VERSION,
  type Verdaux,
  type Verdef,
  type Vernaux,
  type Verneed,
  type VersionDefinition,
  type VersionNeed,
} from "./version.js";
