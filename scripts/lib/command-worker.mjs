// Worker thread that runs our commands in-process for compat and fuzz: each message is a batch of
// command lines over one input (a path, or bytes held in memory). It says which command it starts, so
// the watchdog in the main thread (runner.mjs) can name the one that hangs.
import { parentPort } from "node:worker_threads";
import { loadCommands } from "./in-process.mjs";

const cmds = await loadCommands(["readelf", "nm", "size"]);
const elf = await import(new URL("../../src/elf/index.ts", import.meta.url).href);

/** Whether a run ended cleanly; a placeholder (a command or view still being written) is not a finding. */
function classify(r) {
  if (r.exception) {
    const message = String(r.exception?.message ?? r.exception);
    if (/not written yet/.test(message)) return { unavailable: true };
    return { internal: true, message: r.exception?.stack ?? message };
  }
  const line = r.stderr.split("\n").find((l) => /internal error/i.test(l) && !/not written yet/.test(l));
  return line ? { internal: true, message: line } : {};
}

parentPort.on("message", async ({ jobs, path, bytes, keepOutput }) => {
  const results = [];
  const openFile = bytes ? () => new elf.BufferSource(bytes) : cmds.io.openFile;
  for (const [tool, ...args] of jobs) {
    parentPort.postMessage({ type: "start", job: [tool, ...args] });
    const r = await cmds.run(tool, tool === "overview" ? [path] : [...args, path], openFile);
    results.push({
      status: r.status,
      ...classify(r),
      ...(keepOutput ? { stdout: r.stdout, stderr: r.stderr } : {}),
    });
  }
  parentPort.postMessage({ type: "done", results, rss: process.memoryUsage().rss });
});
parentPort.postMessage({ type: "ready" });
