import { openFile } from "../../src/cli/io.js";
import { StringOutput } from "../../src/render/output.js";

/** What a command printed and returned, run in-process with this process's environment. */
export interface CliResult {
  out: string;
  err: string;
  status: number;
}

type Run = (
  args: string[],
  io: Parameters<typeof import("../../src/cli/layout.js").run>[1],
) => number | Promise<number>;

export async function runCli(run: Run, args: string[], env = process.env): Promise<CliResult> {
  const out = new StringOutput();
  const err = new StringOutput();
  const status = await run(args, { stdout: out, stderr: err, openFile, env, isTTY: false });
  return { out: out.toString(), err: err.toString(), status };
}
