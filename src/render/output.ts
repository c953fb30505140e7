/**
 * Where renderers write. Text is in "byte strings": one char per output byte (see elf/strings.ts), so
 * names from the file reach the terminal exactly as stored; the CLI encodes them back as Latin-1.
 */
export interface Output {
  write(text: string): void;
  /** Raw bytes, when the output can take them without a string (the CLI's file descriptors). */
  writeBytes?(bytes: Uint8Array): void;
  /** Writes out what is buffered, when the output buffers (the CLI's file descriptors). */
  flush?(): void;
}

/** Collects output in memory: for tests and for building a string. */
export class StringOutput implements Output {
  private readonly parts: string[] = [];
  write(text: string): void {
    this.parts.push(text);
  }
  toString(): string {
    return this.parts.join("");
  }
}
