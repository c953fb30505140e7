import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Script } from "node:vm";
import { type CommandRun, FdOutput, processIO } from "./io.js";

declare const ANATOMY_VERSION: string;
/** Set by scripts/build.mjs: the commands are CommonJS bundles beside this one. */
declare const ANATOMY_BUNDLED: boolean;

/**
 * One lazily loaded module per command, so `anatomy --version` loads nothing else. These imports serve
 * runs from the sources; the build (scripts/build.mjs) makes each command a CommonJS bundle beside
 * main.js that `loadBundled` compiles.
 */
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
  objdump: () => import("./objdump.js"),
  plt: () => import("./plt.js"),
  build: () => import("./build.js"),
  trace: () => import("./trace.js"),
};

const USAGE = `Usage: anatomy FILE                     overview of an ELF file (--json for the model)
       anatomy readelf OPTIONS FILE...    GNU readelf 2.40 compatible
       anatomy nm OPTIONS FILE...         GNU nm 2.40 compatible
       anatomy size OPTIONS FILE...       GNU size 2.40 compatible
       anatomy objdump OPTIONS FILE...    GNU objdump 2.40 compatible (headers, symbols, relocations, contents)
       anatomy deps [--list] FILE...      dependency tree, how each library is found
       anatomy ldd FILE...                ldd's output, without running anything
       anatomy pmap [-x|-X|-XX|-d] PID... procps pmap compatible
       anatomy layout FILE [-- ARGS]      predicted /proc/PID/maps at the entry point
       anatomy maps PID                   a live process's memory by object and kind
       anatomy addr PID|FILE ADDRESS...   mapping, section and symbol of an address
       anatomy check FILE...|--dir DIR    hardening (RELRO, canary, NX, PIE, FORTIFY, CET)
       anatomy bundle FILE --out DIR      everything the program needs, in an empty root
       anatomy bind FILE                  what each undefined symbol binds to, and what fails
       anatomy plt FILE|PID               each call through its PLT stub and GOT slot to what it binds to
       anatomy build FILE.c... [-- FLAGS] the compiler's four phases, each relocation followed into the program
       anatomy trace [OPTIONS] -- PROG    run PROG: its address space from execve to exit, each change and who asked
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
    const known = Object.hasOwn(commands, first);
    if (!known && /^[a-z][a-z0-9-]*$/.test(first) && !existsSync(first)) {
      stderr.write(`anatomy: '${first}' is neither a command nor a file; ${suggestion(first)}\n`);
      return 1;
    }
    const name = known ? first : "overview";
    const { run } = typeof ANATOMY_BUNDLED === "boolean" ? loadBundled(name) : await commands[name]!();
    return await run(known ? argv.slice(1) : argv, processIO(stdout, stderr));
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

/** What other tools call the views anatomy has (checksec's checks, lddtree's tree, pldd's list). */
const ALIASES: Record<string, string> = {
  checksec: "check",
  lddtree: "deps",
  tree: "deps",
  pldd: "maps",
  symbols: "nm",
  sections: "readelf",
  headers: "readelf",
  hardening: "check",
  bindings: "bind",
  map: "maps",
  addr2line: "addr",
  disasm: "objdump",
  disassemble: "objdump",
  strace: "trace",
  pyc: "dis",
};

/** "did you mean 'X'?" for the nearest command (edit distance), or the list of commands. */
function suggestion(word: string): string {
  const names = Object.keys(commands).filter((c) => c !== "overview");
  const alias = ALIASES[word];
  if (alias && Object.hasOwn(commands, alias)) return `did you mean 'anatomy ${alias}'?`;
  if (alias) return `the nearest view, 'anatomy ${alias}', is not written yet (anatomy --help lists what is)`;
  let best = "";
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of names) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (bestDistance <= Math.max(1, Math.floor(Math.min(word.length, best.length) / 3)))
    return `did you mean 'anatomy ${best}'?`;
  return `the commands are ${names.join(", ")} (anatomy --help)`;
}

/** Levenshtein distance, with a transposition counted as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * A command's bundle, compiled with V8's code cache when the build left one (`dist/cli/NAME.js.cache`:
 * bytecode of the functions a typical run compiles, so start-up skips parsing and most lazy compiling).
 * V8 rejects a cache made by another V8 version or with other flags, and the bundle is then compiled
 * from source as usual. V8 checks only the source's length and, in release builds, no checksum (a
 * damaged cache can abort the process), so the file starts with a SHA-1 of the bundle and the cache:
 * a cache from another build or with a damaged byte is ignored. Without a cache file the bundle is
 * required as usual: the build writes none for bundles that use import(), which node:vm scripts cannot
 * do in Node 20 without an experimental flag. Node's own loader has no code cache before Node 22.
 */
function loadBundled(name: string): { run: CommandRun } {
  const file = join(__dirname, `${name}.js`);
  const cacheFile = `${file}.cache`;
  const writing = Boolean(process.env.ANATOMY_WRITE_CODE_CACHE);
  let stored: Buffer | undefined;
  try {
    stored = readFileSync(cacheFile);
  } catch {
    if (!writing) return createRequire(file)(file);
  }
  const bytes = readFileSync(file);
  let cachedData: Buffer | undefined;
  if (stored && stored.length > DIGEST_SIZE) {
    const data = stored.subarray(DIGEST_SIZE);
    if (cacheDigest(bytes, data).equals(stored.subarray(0, DIGEST_SIZE))) cachedData = data;
  }
  // The wrapper Node's CommonJS loader puts around a module.
  const source = `(function (exports, require, module, __filename, __dirname) {${bytes.toString("utf8")}\n})`;
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as { run: CommandRun } };
  script.runInThisContext()(module.exports, createRequire(file), module, file, __dirname);
  // The build runs each command once with ANATOMY_WRITE_CODE_CACHE set and keeps what V8 compiled.
  if (writing) process.once("beforeExit", () => writeCodeCache(script, bytes, cacheFile));
  return module.exports;
}

const DIGEST_SIZE = 20;

function cacheDigest(bundle: Uint8Array, data: Uint8Array): Buffer {
  return createHash("sha1").update(bundle).update(data).digest();
}

/** Written whole under a temporary name, then renamed: a reader never sees half a cache. */
function writeCodeCache(script: Script, bundle: Uint8Array, cacheFile: string): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    const data = script.createCachedData();
    writeFileSync(tmp, Buffer.concat([cacheDigest(bundle, data), data]));
    renameSync(tmp, cacheFile);
  } catch {
    rmSync(tmp, { force: true });
  }
}

// Not top-level await: the build makes this file a CommonJS bundle (no ESM loader at start-up).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
