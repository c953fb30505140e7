import { type CommandRun, FdOutput, processIO } from "./io.js";

declare const ANATOMY_VERSION: string;

/** One lazily loaded module per command, so `anatomy --version` loads nothing else. */
const commands: Record<string, () => Promise<{ run: CommandRun }>> = {
  readelf: () => import("./readelf.js"),
  nm: () => import("./nm.js"),
  size: () => import("./size.js"),
  overview: () => import("./overview.js"),
  deps: () => import("./deps.js"),
  ldd: () => import("./ldd.js"),
  pmap: () => import("./pmap.js"),
  layout: () => import("./layout.js"),
  maps: () => import("./maps.js"),
  addr: () => import("./addr.js"),
  check: () => import("./check.js"),
  bundle: () => import("./bundle.js"),
  bind: () => import("./bind.js"),
};

const USAGE = `Usage: anatomy FILE                     overview of an ELF file (--json for the model)
       anatomy readelf OPTIONS FILE...    GNU readelf 2.40 compatible
       anatomy nm OPTIONS FILE...         GNU nm 2.40 compatible
       anatomy size OPTIONS FILE...       GNU size 2.40 compatible
       anatomy deps [--list] FILE...      dependency tree, how each library is found
       anatomy ldd FILE...                ldd's output, without running anything
       anatomy pmap [-x|-X|-XX|-d] PID... procps pmap compatible
       anatomy layout FILE [-- ARGS]      predicted /proc/PID/maps at execve
       anatomy maps PID                   a live process's memory by object and kind
       anatomy addr PID|FILE ADDRESS...   mapping, section and symbol of an address
       anatomy check FILE...|--dir DIR    hardening (RELRO, canary, NX, PIE, FORTIFY, CET)
       anatomy bundle FILE --out DIR      everything the program needs, in an empty root
       anatomy bind FILE                  what each undefined symbol binds to, and what fails
       anatomy --version | --help
`;

async function main(argv: string[]): Promise<number> {
  const stdout = new FdOutput(1);
  const stderr = new FdOutput(2, true);
  try {
    const first = argv[0];
    if (first === "--version" || first === "-V") {
      stdout.write(`anatomy ${typeof ANATOMY_VERSION === "string" ? ANATOMY_VERSION : "dev"}\n`);
      return 0;
    }
    if (first === undefined || first === "--help" || first === "-h") {
      (first === undefined ? stderr : stdout).write(USAGE);
      return first === undefined ? 1 : 0;
    }
    const load = Object.hasOwn(commands, first) ? commands[first]! : undefined;
    const { run } = await (load ?? commands.overview!)();
    return await run(load ? argv.slice(1) : argv, processIO(stdout, stderr));
  } catch (e) {
    // A bug, not bad input (commands report bad input themselves): one line, no stack trace.
    stderr.write(`anatomy: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.ANATOMY_DEBUG && e instanceof Error) stderr.write(`${e.stack}\n`);
    return 2;
  } finally {
    stdout.flush();
    stderr.flush();
  }
}

process.exitCode = await main(process.argv.slice(2));
