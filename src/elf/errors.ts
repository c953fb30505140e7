/** The only error the ELF layer throws: it names what was being read and where. */
export const ElfErrorCode = {
  NotElf: "not-elf",
  Truncated: "truncated",
  BadOffset: "bad-offset",
  BadSize: "bad-size",
  BadCount: "bad-count",
  BadIndex: "bad-index",
  BadValue: "bad-value",
  Unsupported: "unsupported",
} as const;
export type ElfErrorCode = (typeof ElfErrorCode)[keyof typeof ElfErrorCode];

export class ElfError extends Error {
  override readonly name = "ElfError";
  constructor(
    readonly code: ElfErrorCode,
    /** The structure being read, in the spec's words ("section header table", ".dynsym"). */
    readonly structure: string,
    /** File offset of the problem, when one is known. */
    readonly offset: number | bigint | undefined,
    message: string,
  ) {
    super(message);
  }
}

export function isElfError(e: unknown): e is ElfError {
  return e instanceof Error && e.name === "ElfError" && "code" in e && "structure" in e;
}

/** One-line description for users: `structure at 0x1234: message`. */
export function describeElfError(e: ElfError): string {
  const at = e.offset === undefined ? "" : ` at offset 0x${e.offset.toString(16)}`;
  return `${e.structure}${at}: ${e.message}`;
}
