import { LinkError, LinkSession } from "../link/index.js";
import { depsModel, renderDepsList, renderDepsTree } from "../render/deps.js";
import type { CommandIO } from "./io.js";
import { nodeLinkFs } from "./link-fs.js";

const USAGE = `Usage: anatomy deps [OPTIONS] FILE...
  Shows how the dynamic linker would find each library, without running anything.
  --list            flat load order instead of the tree
  --all             also show dependencies already loaded elsewhere in the tree
  --json            the model as JSON
  --root DIR        analyse a foreign tree (its /etc/ld.so.cache, its libraries)
  --env NAME=VALUE  set LD_LIBRARY_PATH or LD_PRELOAD (default: this process's)
  --x86-level N     x86-64 level 1-4 for glibc-hwcaps (default: this CPU's)
`;

/** Options shared by `deps` and `ldd`. */
export interface LinkArgs {
  files: string[];
  root: string | undefined;
  env: Record<string, string | undefined>;
  json: boolean;
  list: boolean;
  all: boolean;
  x86Level: number | undefined;
}

export function parseLinkArgs(args: string[], io: CommandIO, usage: string): LinkArgs | number {
  const a: LinkArgs = {
    files: [],
    root: undefined,
    env: { LD_LIBRARY_PATH: io.env.LD_LIBRARY_PATH, LD_PRELOAD: io.env.LD_PRELOAD },
    json: false,
    list: false,
    all: false,
    x86Level: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string | undefined => {
      const eq = arg.indexOf("=");
      if (arg.startsWith("--") && eq > 0) return arg.slice(eq + 1);
      return args[++i];
    };
    const name = arg.startsWith("--") && arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    if (name === "--json") a.json = true;
    else if (name === "--list") a.list = true;
    else if (name === "--all") a.all = true;
    else if (name === "--root") a.root = value();
    else if (name === "--x86-level") a.x86Level = Number(value());
    else if (arg === "--env") {
      const v = args[++i] ?? "";
      const eq = v.indexOf("=");
      if (eq <= 0) {
        io.stderr.write(`anatomy: --env wants NAME=VALUE, not '${v}'\n`);
        return 1;
      }
      a.env[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (arg === "--help" || arg === "-h") {
      io.stdout.write(usage);
      return 0;
    } else if (arg === "--") a.files.push(...args.splice(i + 1));
    else if (arg.startsWith("-") && arg !== "-") {
      io.stderr.write(`anatomy: unknown option '${arg}'\n${usage}`);
      return 1;
    } else a.files.push(arg);
  }
  if (a.files.length === 0) {
    io.stderr.write(usage);
    return 1;
  }
  if (a.x86Level !== undefined && !(a.x86Level >= 1 && a.x86Level <= 4)) {
    io.stderr.write("anatomy: --x86-level must be 1, 2, 3 or 4\n");
    return 1;
  }
  return a;
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const a = parseLinkArgs(args, io, USAGE);
  if (typeof a === "number") return a;
  const session = new LinkSession({ fs: nodeLinkFs(a.root), env: a.env, mode: "exec", x86Level: a.x86Level });
  let status = 0;
  const models: unknown[] = [];
  for (const file of a.files) {
    try {
      const g = session.link(file);
      if (g.fatal || g.objects.some((o) => o.kind === "missing")) status = 1;
      if (a.json) models.push(depsModel(g));
      else if (a.list) {
        if (a.files.length > 1) io.stdout.write(`${file}:\n`);
        renderDepsList(g, io.stdout);
      } else renderDepsTree(g, io.stdout, { all: a.all });
    } catch (e) {
      if (!(e instanceof LinkError)) throw e;
      io.stderr.write(`anatomy: ${e.message}\n`);
      status = 1;
    }
  }
  // A file that could not be read has no model (its error went to stderr); print what there is.
  if (a.json && models.length > 0) {
    io.stdout.write(`${JSON.stringify(a.files.length === 1 ? models[0] : models, null, 2)}\n`);
  }
  return status;
}
