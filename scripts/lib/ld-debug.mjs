// glibc's ld.so as the reference for symbol binding, without running the program: with
// LD_TRACE_LOADED_OBJECTS it lists and (LD_WARN + LD_BIND_NOW) relocates every object, printing one
// `binding file A [0] to B [0]: normal symbol `NAME' [VERSION]` line per lookup under LD_DEBUG=bindings,
// and stops before the program's own code. Shared by compat-bind.mjs and compat-plt.mjs.
import { spawn } from "node:child_process";

export const RTLD = "/lib64/ld-linux-x86-64.so.2";

/** Runs a command with this environment only, collecting its output (latin1), killed after a minute. */
export function capture(cmd, args, env) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out = [];
    const err = [];
    p.stdout.on("data", (d) => out.push(d));
    p.stderr.on("data", (d) => err.push(d));
    p.on("error", () => {}); // a command that cannot start closes with code -2
    const timer = setTimeout(() => p.kill("SIGKILL"), 60000);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("latin1"),
        stderr: Buffer.concat(err).toString("latin1"),
      });
    });
  });
}

/** The `  1234:\t` process id prefix of each LD_DEBUG line. */
export const PID = /^ *\d+:\t/;
const lines = (t) => t.split("\n").filter((l) => l !== "");

/**
 * ld.so's trace of PROG: `bindings` (its LD_DEBUG lines without the process id, in order) and
 * `problems` (its complaints and `=> not found` libraries), or `skipped` when ld.so has nothing to say
 * (a static program, one it refuses, or one it crashes on, as Go's static programs make it).
 */
export async function ldDebugTrace(prog, rtld = RTLD) {
  const ref = await capture(rtld, [prog], {
    LD_DEBUG: "bindings",
    LD_TRACE_LOADED_OBJECTS: "1",
    LD_WARN: "yes",
    LD_BIND_NOW: "yes",
  });
  const err = lines(ref.stderr);
  if (ref.code === null || ref.code > 128 || ref.code === 127 || ref.code < 0) return { skipped: true };
  if (err.some((l) => /statically linked|not a dynamic executable|cannot execute/.test(l)))
    return { skipped: true };
  return {
    skipped: false,
    bindings: err.filter((l) => PID.test(l)).map((l) => l.replace(PID, "")),
    problems: new Set([
      ...err.filter((l) => !PID.test(l)),
      ...lines(ref.stdout)
        .filter((l) => l.endsWith("=> not found"))
        .map((l) => l.trim()),
    ]),
  };
}

const BINDING = /^binding file (.+) \[(\d+)\] to (.+) \[(\d+)\]: (\w+) symbol `(.+)'(?: \[(.+)\])?$/;

/** One binding line's parts: the referencing and defining objects, the symbol and its version. */
export function parseBinding(line) {
  const m = BINDING.exec(line.replace(PID, ""));
  if (!m) return undefined;
  return {
    from: m[1],
    fromNs: Number(m[2]),
    to: m[3],
    toNs: Number(m[4]),
    kind: m[5],
    symbol: m[6],
    version: m[7],
  };
}
