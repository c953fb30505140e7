import { bindGraph } from "../link/binding.js";
import { LinkError, LinkSession } from "../link/index.js";
import { renderBindings, renderLdDebug } from "../render/bind.js";
import type { CommandIO } from "./io.js";
import { nodeLinkFs } from "./link-fs.js";
import { reportProblem } from "./problem.js";

const USAGE = `Usage: anatomy bind [OPTIONS] FILE...
  What each undefined symbol of the program and its libraries binds to, and what fails, without running
  anything. It models glibc 2.36 ld.so with LD_BIND_NOW=1: every relocation resolved at start-up. Without
  it, ld.so resolves PLT calls lazily, on each function's first call, so a run may never ask for some.
  --ld-debug        the lines LD_DEBUG=bindings LD_BIND_NOW=1 FILE prints (the process id as 0, or --pid N),
                    with the real start-up's last lookups (ld.so taking libc's malloc, calloc, free and
                    realloc, and binding its own _dl_catch_* slots to libc); LD_DEBUG's "calling init"
                    and "calling fini" lines are not binding lines and are left out
  --json            the model as JSON
  --direct          as \`ld.so FILE\` under ldd sees it (LD_TRACE_LOADED_OBJECTS=1): $ORIGIN from FILE as
                    given, not its real path, and ld.so stops after relocating, before those last lookups
  --root DIR        analyse a foreign tree (its /etc/ld.so.cache, its libraries)
  --env NAME=VALUE  set LD_LIBRARY_PATH or LD_PRELOAD (default: this process's)
  --x86-level N     x86-64 level 1-4 for glibc-hwcaps (default: this CPU's)
`;

export async function run(args: string[], io: CommandIO): Promise<number> {
  const files: string[] = [];
  const env: Record<string, string | undefined> = {
    LD_LIBRARY_PATH: io.env.LD_LIBRARY_PATH,
    LD_PRELOAD: io.env.LD_PRELOAD,
  };
  let root: string | undefined;
  let json = false;
  let ldDebug = false;
  let direct = false;
  let pid = 0;
  let x86Level: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => (eq > 0 ? arg.slice(eq + 1) : (args[++i] ?? ""));
    if (name === "--json") json = true;
    else if (name === "--ld-debug") ldDebug = true;
    else if (name === "--direct") direct = true;
    else if (name === "--root") root = value();
    else if (name === "--pid") pid = Number(value()) || 0;
    else if (name === "--x86-level") x86Level = Number(value());
    else if (name === "--env") {
      const v = value();
      const at = v.indexOf("=");
      if (at <= 0) {
        io.stderr.write(`anatomy: --env wants NAME=VALUE, not '${v}'\n`);
        return 1;
      }
      env[v.slice(0, at)] = v.slice(at + 1);
    } else if (arg === "--help" || arg === "-h") {
      io.stdout.write(USAGE);
      return 0;
    } else if (arg === "--") files.push(...args.splice(i + 1));
    else if (arg.startsWith("-") && arg !== "-") {
      io.stderr.write(`anatomy: unknown option '${arg}'\n${USAGE}`);
      return 1;
    } else files.push(arg);
  }
  if (files.length === 0) {
    io.stderr.write(USAGE);
    return 1;
  }
  if (x86Level !== undefined && !(x86Level >= 1 && x86Level <= 4)) {
    io.stderr.write("anatomy: --x86-level must be 1, 2, 3 or 4\n");
    return 1;
  }
  const fs = nodeLinkFs(root);
  const session = new LinkSession({ fs, env, mode: direct ? "ldd" : "exec", x86Level });
  let status = 0;
  const models: unknown[] = [];
  for (const file of files) {
    try {
      const g = session.link(file);
      if (g.fatal) {
        io.stderr.write(`${g.fatal}\n`);
        status = 1;
        continue;
      }
      const r = bindGraph(g, fs, { run: !direct });
      if (r.problems.length > 0) status = 1;
      for (const p of r.problems) io.stderr.write(`${p.message}\n`);
      if (json) models.push(r);
      else if (ldDebug) renderLdDebug(r, io.stdout, pid);
      else {
        if (files.length > 1) io.stdout.write(`${file}:\n`);
        renderBindings(r, io.stdout);
      }
    } catch (e) {
      if (!(e instanceof LinkError)) throw e;
      reportProblem(io, file, e);
      status = 1;
    }
  }
  if (json) io.stdout.write(`${JSON.stringify(files.length === 1 ? models[0] : models, hexBigints, 2)}\n`);
  return status;
}

/** JSON has no 64-bit integers: addresses go out as hex strings, as everywhere in anatomy's JSON. */
function hexBigints(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? `0x${v.toString(16)}` : v;
}
