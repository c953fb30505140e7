// Compiles src/ to dist/ with esbuild: a small bundle for the CLI's entry (dist/cli/main.js), one
// self-contained bundle per command beside it (dist/cli/layout.js, ...), imported lazily by main.js, and
// the ELF reader as its own entry for library users.
//
// Why one bundle per command, not shared chunks: with code splitting, esbuild places every file a
// command can reach (through barrel re-exports too) in chunks the command imports up front, so
// `anatomy layout` loaded nine files with the readelf relocation names, notes and archive code. Start-up
// is dominated by loading code: a command now loads main.js and one file holding only what it runs. The
// shared code is repeated in each command's bundle; only one runs per process.
//
// Why CommonJS for dist/cli (its package.json says so; bin/ has one too): an ES module entry makes
// Node set up its ESM loader (about forty internal modules, async file reads) before any of our code
// runs; `node -e 0` does none of that. main.js compiles a command's bundle itself with node:vm, using
// the V8 code cache written here (dist/cli/NAME.js.cache) by running each command once on a small
// program: V8 then skips parsing and most lazy compiling. A cache V8 rejects (other Node, other flags)
// only costs reading it. The ELF reader stays an ES module for library users.
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

// `--outdir DIR` builds a private copy (dist-*/ is gitignored), so parallel work does not clash.
const flag = process.argv.indexOf("--outdir");
const outdir = flag > 0 ? process.argv[flag + 1] : "dist";
rmSync(new URL(`../${outdir}`, import.meta.url), { recursive: true, force: true });

const common = {
  outdir,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  sourcemap: false,
  external: ["gecko-profiler-demangle", "iced-x86", "@alexaltea/capstone-js"],
  logLevel: "warning",
  define: {
    ANATOMY_VERSION: JSON.stringify(pkg.version),
    ANATOMY_BUNDLED: "true",
    // The demangler finds its package relative to itself (createRequire).
    "import.meta.url": "__anatomyModuleUrl",
  },
  // "use strict" first: the sources are ES modules (strict), and a banner would push esbuild's own
  // directive down to where it means nothing.
  banner: {
    js: '"use strict";\nvar __anatomyModuleUrl = require("node:url").pathToFileURL(__filename).href;',
  },
};

// The commands main.ts imports lazily (`import("./layout.js")`): each becomes dist/cli/NAME.js.
const mainSource = readFileSync(new URL("../src/cli/main.ts", import.meta.url), "utf8");
const commands = [...mainSource.matchAll(/import\("\.\/([a-z-]+)\.js"\)/g)].map((m) => m[1]);
const present = new Set(readdirSync(new URL("../src/cli/", import.meta.url)));
for (const c of commands)
  if (!present.has(`${c}.ts`)) throw new Error(`main.ts imports ./${c}.js: no src/cli/${c}.ts`);

/** Leaves main.ts's command imports as they are: the command bundles sit beside main.js. */
const commandsExternal = {
  name: "commands-external",
  setup(b) {
    b.onResolve({ filter: /^\.\/[a-z-]+\.js$/ }, (args) =>
      args.kind === "dynamic-import" && args.importer.endsWith("main.ts")
        ? { path: args.path, external: true }
        : undefined,
    );
  },
};

await Promise.all([
  build({ ...common, entryPoints: { "cli/main": "src/cli/main.ts" }, plugins: [commandsExternal] }),
  build({ ...common, entryPoints: Object.fromEntries(commands.map((c) => [`cli/${c}`, `src/cli/${c}.ts`])) }),
  // The worker threads objdump -d starts to list a long section on every core (listing-threads.ts).
  build({ ...common, entryPoints: { "cli/objdump-helper": "src/cli/objdump-helper.ts" } }),
  build({
    ...common,
    format: "esm",
    define: { ANATOMY_VERSION: common.define.ANATOMY_VERSION },
    banner: {},
    entryPoints: { "elf/index": "src/elf/index.ts" },
  }),
]);
writeFileSync(new URL(`../${outdir}/cli/package.json`, import.meta.url), '{ "type": "commonjs" }\n');

// The malloc recorder `anatomy trace --malloc` preloads into the program (native/malloc-shim.c), built
// with the machine's C compiler when there is one; without one, --malloc says so and the rest works.
const shim = fileURLToPath(new URL(`../${outdir}/native/anatomy-malloc.so`, import.meta.url));
mkdirSync(dirname(shim), { recursive: true });
const cc = ["cc", "gcc", "clang"].find((c) => spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0);
const shimBuilt =
  cc !== undefined &&
  spawnSync(
    cc,
    [
      "-O2",
      "-Wall",
      "-shared",
      "-fPIC",
      "-o",
      shim,
      fileURLToPath(new URL("../native/malloc-shim.c", import.meta.url)),
    ],
    { stdio: "inherit" },
  ).status === 0;
if (!shimBuilt)
  console.warn(
    `anatomy: ${cc ? `${cc} could not build native/malloc-shim.c` : "no C compiler (cc, gcc, clang)"}: \`anatomy trace --malloc\` will be unavailable`,
  );

// Type declarations for the ELF reader, the package's library entry ("exports": "./elf"), from its
// sources alone with no DOM and no Node types: it compiling so also shows it stays browser-safe.
const tsc = spawnSync(
  process.execPath,
  [
    fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url)),
    "-p",
    fileURLToPath(new URL("../tsconfig.types.json", import.meta.url)),
    "--outDir",
    fileURLToPath(new URL(`../${outdir}/elf`, import.meta.url)),
  ],
  { stdio: "inherit" },
);
if (tsc.status !== 0) throw new Error("tsc could not write the ELF reader's declarations");

// One run of each command on a small dynamically linked program (and on this process for the /proc
// readers), output discarded; a command that fails here only goes without a cache.
const sample = ["/bin/sh", "/usr/bin/env", process.execPath].find((p) => existsSync(p));
const pid = String(process.pid);
const cacheBuildDir = mkdtempSync(join(tmpdir(), "anatomy-cache-build-"));
const runs = {
  readelf: ["-W", "-a", sample],
  nm: ["-D", sample],
  size: [sample],
  overview: [sample],
  deps: [sample],
  ldd: [sample],
  pmap: ["-X", pid],
  layout: [sample],
  maps: [pid],
  addr: [pid, "0x1000"],
  check: [sample],
  bundle: ["--help"],
  bind: [sample],
  // A real build of the smallest fixture (the driver runs; without gcc, only --help is cached).
  build: ["--keep", cacheBuildDir, fileURLToPath(new URL("../test/fixtures/build/hello.c", import.meta.url))],
};
const mainJs = fileURLToPath(new URL(`../${outdir}/cli/main.js`, import.meta.url));
// A bundle with import() (the demangler's WASM glue) gets no cache: main.js then requires it as usual,
// since a node:vm script cannot import() in Node 20 without --experimental-vm-modules.
const cached = commands.filter(
  (c) => !readFileSync(new URL(`../${outdir}/cli/${c}.js`, import.meta.url), "latin1").includes("import("),
);
await Promise.all(
  cached.map(
    (c) =>
      new Promise((done) => {
        const child = spawn(process.execPath, [mainJs, c, ...(runs[c] ?? ["--help"])], {
          env: { ...process.env, ANATOMY_WRITE_CODE_CACHE: "1" },
          stdio: "ignore",
        });
        child.on("exit", done);
        child.on("error", done);
      }),
  ),
);
rmSync(cacheBuildDir, { recursive: true, force: true });
