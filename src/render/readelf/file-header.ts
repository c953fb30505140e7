import type { ReadelfContext } from "./context.js";

// PLACEHOLDER: being written; replaced before the first commit.
export function printFileHeader(_ctx: ReadelfContext): void {
  throw new Error("not written yet");
}
