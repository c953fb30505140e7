// Runs our readelf/nm/size commands inside this Node process (no 50 ms start-up per file): the
// TypeScript sources are loaded through tsx, so the scripts test the current tree without a bundle
// entry for each command.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";
import { ROOT } from "./fixtures.mjs";

register();

const modules = {};

/** Imports src/cli/<tool>.ts (and io.ts, output.ts) once. */
export async function loadCommands(tools = ["readelf", "nm", "size"]) {
  const io = await import(pathToFileURL(join(ROOT, "src/cli/io.ts")).href);
  const output = await import(pathToFileURL(join(ROOT, "src/render/output.ts")).href);
  for (const t of tools) {
    if (modules[t]) continue;
    try {
      modules[t] = await import(pathToFileURL(join(ROOT, `src/cli/${t}.ts`)).href);
    } catch (e) {
      // A tree being edited may not load: count every run of that tool as failing, not the whole script.
      modules[t] = {
        run() {
          throw new Error(`cannot load src/cli/${t}.ts: ${e.message}`);
        },
      };
    }
  }
  let overview;
  try {
    overview = await import(pathToFileURL(join(ROOT, "src/cli/overview.ts")).href);
  } catch {
    overview = undefined;
  }
  return {
    /**
     * Runs one command; returns { status, stdout, stderr, exception }: `exception` is set when the
     * command threw instead of returning a status (a bug: commands report bad input themselves).
     */
    async run(tool, args, openFile = io.openFile) {
      const stdout = new output.StringOutput();
      const stderr = new output.StringOutput();
      const ioObj = { stdout, stderr, openFile, env: { LC_ALL: "C" }, isTTY: false };
      const mod = tool === "overview" ? overview : modules[tool];
      let status;
      let exception;
      try {
        if (!mod) throw new Error(`no module for ${tool}`);
        status = await mod.run(args, ioObj);
      } catch (e) {
        exception = e;
        status = -1;
      } finally {
        // A process would exit here; in-process, what the command left open is closed for it.
        io.closeOpenFiles();
      }
      return { status, stdout: stdout.toString(), stderr: stderr.toString(), exception };
    },
    io,
    output,
    hasOverview: overview !== undefined,
  };
}
