import type { ByteSource } from "../elf/byte-source.js";

/**
 * Everything the dynamic linker's view reads from the file system, injected so the search runs the same
 * over this machine, a foreign root (`--root DIR`, applied by the implementation) or an in-memory tree
 * in tests and the browser. Paths are as the target system sees them.
 */
export interface LinkFs {
  /** The whole file, or undefined when it cannot be read. */
  readFile(path: string): Uint8Array | undefined;
  /** A regular file opened for reading, or undefined (missing, a directory, no permission). */
  open(path: string): (ByteSource & { close?(): void }) | undefined;
  /** Why `open(path)` fails, in plain words ("no such file or directory"), when the implementation can tell. */
  openProblem?(path: string): string | undefined;
  exists(path: string): boolean;
  /** Symbolic links resolved (inside the root), or undefined when the path does not exist. */
  realpath(path: string): string | undefined;
  /** Entry names, or undefined when not a readable directory. */
  readdir(path: string): string[] | undefined;
  /** The process's working directory, for relative search paths (glibc opens them as given). */
  cwd(): string;
}
