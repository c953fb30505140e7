// Running the compiler driver: this command exists to run it. One run with -save-temps (every
// phase's file is kept: .i, .s, .o), -v (the driver prints each program it runs, so the link command
// shown is the one that ran) and a link map (which input gave each output section and symbol).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { type DriverCommand, type Phase, parseDriverTrace } from "./driver.js";

export interface BuildRequest {
  sources: string[];
  /** The program to write (-o), relative to the current directory; else `a.out` in the build directory. */
  output: string | undefined;
  /** Where the phases' files go (--keep); else a new temporary directory. */
  keep: string | undefined;
  /** The driver: gcc, clang, aarch64-linux-gnu-gcc, ... */
  cc: string;
  /** Flags for the driver, after `--`. */
  flags: string[];
}

export interface BuildRun {
  request: BuildRequest;
  /** Where the phases' files are, and whether it is a temporary directory this run made. */
  dir: string;
  temporary: boolean;
  output: string;
  map: string;
  /** The driver's command line, as run. */
  argv: string[];
  status: number;
  commands: DriverCommand[];
  /** The driver's stderr without -v (diagnostics verbatim), when it failed. */
  diagnostics: string;
  /** The phase that failed: the last one the driver started. */
  failedPhase: Phase | undefined;
  /** The driver could not be started (`gcc: not found`). */
  notRun: string | undefined;
}

/** A program's exit status and stderr (its stdout is not the build's business: nothing or `-###`). */
function runQuietly(
  program: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ status: number | null; stderr: string; error: Error | undefined }> {
  return new Promise((done) => {
    const child = spawn(program, args, { ...options, stdio: ["ignore", "ignore", "pipe"] });
    const chunks: Buffer[] = [];
    const stderr = () => Buffer.concat(chunks).toString("latin1");
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    // A driver that cannot be started gives "error" (and maybe "close" after it): the first one counts.
    child.on("error", (error) => done({ status: null, stderr: stderr(), error }));
    child.on("close", (status) => done({ status, stderr: stderr(), error: undefined }));
  });
}

/**
 * The driver, run once over the sources in the build directory. It runs beside this process: what
 * the caller does before awaiting it (loading the decoder it will need) costs no time.
 */
export async function runBuild(request: BuildRequest, cwd: string = process.cwd()): Promise<BuildRun> {
  const temporary = request.keep === undefined;
  const dir =
    request.keep !== undefined ? resolve(cwd, request.keep) : mkdtempSync(join(tmpdir(), "anatomy-build-"));
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const output = request.output !== undefined ? resolve(cwd, request.output) : join(dir, "a.out");
  const map = join(dir, `${basename(output)}.map`);
  const sources = request.sources.map((s) => resolve(cwd, s));
  const args = ["-save-temps=cwd", "-v", `-Wl,-Map=${map}`, "-o", output, ...sources, ...request.flags];
  const env = { ...process.env, LC_ALL: "C" };
  const r = await runQuietly(request.cc, args, { cwd: dir, env });
  const run: BuildRun = {
    request,
    dir,
    temporary,
    output,
    map,
    argv: [request.cc, ...args],
    status: r.status ?? 1,
    commands: [],
    diagnostics: "",
    failedPhase: undefined,
    notRun: undefined,
  };
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    run.notRun = code === "ENOENT" ? `${request.cc}: not found` : `${request.cc}: ${r.error.message}`;
    run.status = 127;
    return run;
  }
  run.commands = parseDriverTrace(r.stderr);
  if (run.status !== 0) {
    run.failedPhase = run.commands.at(-1)?.phase;
    // Again without -v and -save-temps: the diagnostics alone, as the user would see them. A failed
    // link is run again over the objects this run made, so its messages name them (a-main.o), not
    // the driver's temporary files.
    const objects = run.commands
      .filter((c) => c.phase === "assemble" && c.output)
      .map((c) => c.output as string);
    const linking = run.failedPhase === "link" && objects.length > 0;
    const inputs = linking
      ? [...objects, ...sources.filter((s) => !/\.(c|cc|cpp|cxx|C|i|ii|s|S)$/.test(s))]
      : sources;
    const quiet = await runQuietly(request.cc, ["-o", output, ...inputs, ...request.flags], {
      cwd: dir,
      env,
    });
    run.diagnostics = quiet.stderr || r.stderr;
  }
  return run;
}
