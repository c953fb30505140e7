import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from "node:fs";
import type { ByteSource } from "../elf/index.js";
import type { Output } from "../render/output.js";

/**
 * The files open now. A command run as a process leaves its files to exit; run in-process (tests, the
 * fuzzer's workers) it must not: closeOpenFiles() after each run keeps the descriptors bounded.
 */
const openSources = new Set<FileSource>();

/** Closes every file openFile opened that is still open; returns how many. */
export function closeOpenFiles(): number {
  const n = openSources.size;
  for (const s of [...openSources]) s.close();
  return n;
}

/** Reads ranges of an open file on demand: a 117 MB library is never held whole to list its symbols. */
export class FileSource implements ByteSource {
  readonly size: number;
  private closed = false;
  constructor(
    private readonly fd: number,
    size: number,
  ) {
    this.size = size;
    openSources.add(this);
  }
  /** The open descriptor (worker threads read it too: positional reads share no offset). */
  get descriptor(): number {
    return this.fd;
  }
  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    const want = Math.max(0, end - offset);
    const buf = new Uint8Array(want);
    let done = 0;
    while (done < want) {
      const n = readSync(this.fd, buf, done, want - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === want ? buf : buf.subarray(0, done);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    openSources.delete(this);
    closeSync(this.fd);
  }
}

/**
 * The descriptor a source reads, when it is an open file. Not `instanceof FileSource`: each command's
 * bundle has its own copy of this module, and main.js's opens the files.
 */
export function sourceDescriptor(source: ByteSource): number | undefined {
  const fd = (source as { descriptor?: unknown }).descriptor;
  return typeof fd === "number" ? fd : undefined;
}

/**
 * A whole file whose size stat cannot tell (/proc files report 0), read in large blocks: the kernel
 * fills each read as far as it can, and one growing buffer avoids readFileSync's list of 64 KiB chunks.
 */
export function readUnsized(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    let buf = Buffer.allocUnsafe(1 << 20);
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) return buf.subarray(0, length);
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Why a path could not be opened. `message` is in the words GNU tools use ("'x': No such file"), for the
 * drop-in commands; `reason` is the plain words anatomy's own commands print after the path.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    message: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof Error && e.name === "InputError" && "reason" in e;
}

/** The plain words for an errno code from opening or reading a path. */
export function errnoReason(code: string | undefined): string {
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory, not a file";
    case "ENOTDIR":
      return "a component of the path is not a directory";
    case "ELOOP":
      return "too many levels of symbolic links";
    case "ENAMETOOLONG":
      return "the path is too long";
    case "EIO":
      return "input/output error while reading";
    default:
      return code ? `cannot be opened (${code})` : "cannot be opened";
  }
}

export function openFile(path: string): FileSource {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO (or a tty) for reading must not wait for a writer; fstat below turns
    // it away. A regular file ignores the flag.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = errnoReason(code);
    if (code === "ENOENT") throw new InputError(`'${path}': No such file`, path, reason);
    if (code === "EACCES") throw new InputError(`Input file '${path}' is not readable.`, path, reason);
    throw new InputError(`'${path}': ${(e as Error).message}`, path, reason);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    const reason = st.isDirectory() ? "is a directory, not a file" : "is not a regular file";
    throw new InputError(`'${path}' is not an ordinary file`, path, reason);
  }
  return new FileSource(fd, st.size);
}

/**
 * Buffered output to a file descriptor, written synchronously (so output order and exit status are
 * simple), encoding byte strings as Latin-1. A closed pipe (EPIPE) ends the program quietly, like `head`.
 */
export class FdOutput implements Output {
  private parts: string[] = [];
  private pending = 0;
  /** `unbuffered`: write at once, as C's stderr does, so warnings land before buffered stdout text. */
  constructor(
    private readonly fd: number,
    private readonly unbuffered = false,
  ) {}
  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.unbuffered || this.pending >= 1 << 16) this.flush();
  }
  writeBytes(bytes: Uint8Array): void {
    this.flush();
    this.writeAll(bytes);
  }
  flush(): void {
    if (this.pending === 0) return;
    const buf = Buffer.from(this.parts.join(""), "latin1");
    this.parts = [];
    this.pending = 0;
    this.writeAll(buf);
  }
  private writeAll(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") continue;
        if (code === "EPIPE") process.exit(0);
        throw e;
      }
    }
  }
}

/** What every command gets: its streams and file access, injected so tests can run commands in-process. */
export interface CommandIO {
  stdout: Output;
  stderr: Output;
  openFile(path: string): ByteSource & { close?(): void };
  env: Record<string, string | undefined>;
  isTTY: boolean;
}

export type CommandRun = (args: string[], io: CommandIO) => Promise<number> | number;

export function processIO(stdout: FdOutput, stderr: FdOutput): CommandIO {
  return {
    stdout,
    stderr,
    openFile,
    env: process.env,
    // A getter: process.stdout builds a stream (loading Node's stream modules, about a millisecond at
    // start-up) and only `check --dir` asks whether it writes to a terminal.
    get isTTY() {
      return Boolean(process.stdout.isTTY);
    },
  };
}
