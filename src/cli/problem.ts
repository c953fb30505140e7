import { describeElfError, isElfError } from "../elf/index.js";
import type { CommandIO } from "./io.js";
import { errnoReason, isInputError } from "./io.js";

/**
 * The one format anatomy's own commands use for bad input: `anatomy: FILE: what is wrong`, in plain
 * words, naming the structure and offset when the ELF reader found the problem. (The drop-in commands,
 * readelf, nm, size, ldd and pmap, keep their GNU and procps messages byte for byte.)
 */
export function problemLine(file: string, what: string): string {
  return `anatomy: ${file}: ${what}\n`;
}

/**
 * What is wrong with an input, in plain words, or undefined when `e` is not about the input (a bug,
 * which the caller lets through to main's one-line internal error).
 */
export function inputProblem(e: unknown): string | undefined {
  if (isInputError(e)) return e.reason;
  if (isElfError(e)) return describeElfError(e);
  if (e instanceof Error && e.name === "LinkError") {
    const path = (e as Error & { path?: string }).path;
    return path !== undefined && e.message.startsWith(`${path}: `)
      ? e.message.slice(path.length + 2)
      : e.message;
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (e instanceof Error && typeof code === "string" && /^E[A-Z]+$/.test(code)) return errnoReason(code);
  return undefined;
}

/** Writes `anatomy: FILE: what is wrong` for an input problem; rethrows anything else. */
export function reportProblem(io: CommandIO, file: string, e: unknown): void {
  const what = inputProblem(e);
  if (what === undefined) throw e;
  io.stderr.write(problemLine(file, what));
}
