// Worker thread that runs our commands in-process for compat and fuzz: each message is a batch of
// command lines over one input (a path, or bytes held in memory). It says which command it starts, so
// the watchdog in the main thread (runner.mjs) can name the one that hangs.
//
// readelf, nm, size and the overview read the bytes in memory; the commands that follow a file's
// links on disk (its interpreter, its libraries, /proc) get the bytes written to a file of this
// worker's own, and its path. In a job's arguments "{}" stands for the input (default: appended).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parentPort } from "node:worker_threads";
import { loadCommands } from "./in-process.mjs";

export const PATH_COMMANDS = ["layout", "check", "addr", "deps", "ldd", "bind", "bundle", "plt", "build"];
// trace only with --replay here (fuzz-core.mjs runTraceFuzz): the kept run's directory is the input.
const cmds = await loadCommands(["readelf", "nm", "size", "objdump", "trace", ...PATH_COMMANDS]);
const scratch = mkdtempSync(join(tmpdir(), "anatomy-fuzz-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
const elf = await import(new URL("../../src/elf/index.ts", import.meta.url).href);

/** Whether a run ended cleanly; a placeholder (a command or view still being written) is not a finding. */
function classify(tool, r) {
  if (r.exception) {
    const message = String(r.exception?.message ?? r.exception);
    if (/not written yet/.test(message)) return { unavailable: true };
    return { internal: true, message: r.exception?.stack ?? message };
  }
  // A status a process cannot exit with: process.exitCode throws on it (a run.json's status taken as is).
  if (!Number.isInteger(r.status) || r.status < 0 || r.status > 255)
    return { internal: true, message: `exit status ${r.status} (a process exits with 0-255)` };
  const lines = r.stderr.split("\n");
  const line = lines.find((l) => /internal error/i.test(l) && !/not written yet/.test(l));
  if (line) return { internal: true, message: line };
  // anatomy's own commands say what is wrong in plain words: no stack frame, no exception class name
  // (the drop-in readelf keeps GNU's "readelf: Error: ...").
  if (tool === "readelf" || tool === "nm" || tool === "size") return {};
  const leak = lines.find((l) => /^\s+at .+[(:]\d|\b[A-Z][A-Za-z]*Error\b|\bENOENT\b|\bEACCES\b/.test(l));
  return leak ? { internal: true, message: `leaks an internal message: ${leak}` } : {};
}

// "{}" is the input; "{}.build" a directory beside it (build's --keep: one per worker, reused).
const argsFor = (args, input) =>
  args.includes("{}")
    ? args.map((a) => (a === "{}" ? input : a === "{}.build" ? `${input}.build` : a))
    : [...args, input];

parentPort.on("message", async ({ jobs, path, bytes, keepOutput }) => {
  const results = [];
  const inMemory = bytes ? () => new elf.BufferSource(bytes) : cmds.io.openFile;
  let onDisk;
  for (const [tool, ...args] of jobs) {
    parentPort.postMessage({ type: "start", job: [tool, ...args] });
    let r;
    if (PATH_COMMANDS.includes(tool) && bytes) {
      if (!onDisk) {
        onDisk = join(scratch, "mutant");
        writeFileSync(onDisk, bytes, { mode: 0o644 });
      }
      r = await cmds.run(tool, argsFor(args, onDisk), cmds.io.openFile);
    } else r = await cmds.run(tool, tool === "overview" ? [path] : argsFor(args, path), inMemory);
    results.push({
      status: r.status,
      ...classify(tool, r),
      ...(keepOutput ? { stdout: r.stdout, stderr: r.stderr } : {}),
    });
  }
  parentPort.postMessage({ type: "done", results, rss: process.memoryUsage().rss });
});
parentPort.postMessage({ type: "ready" });
