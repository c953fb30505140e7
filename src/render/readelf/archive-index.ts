import type { Archive } from "../../elf/index.js";
import type { Output } from "../output.js";

// PLACEHOLDER: being written; replaced before the first commit.
export function printArchiveIndex(
  _a: Archive,
  _path: string,
  _out: Output,
  _error: (m: string) => void,
): void {
  throw new Error("not written yet");
}
