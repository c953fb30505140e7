import type { CommandIO } from "./io.js";

// PLACEHOLDER: being written; replaced before the first commit.
export function run(_args: string[], _io: CommandIO): number {
  throw new Error("not written yet");
}
