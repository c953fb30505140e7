// Compiles src/ to dist/ with esbuild: a small bundle for the CLI's entry (dist/cli/main.js), one
// self-contained bundle per command beside it (dist/cli/layout.js, ...), imported lazily by main.js, and
// the ELF reader as its own entry for library users.
//
// Why one bundle per command, not shared chunks: with code splitting, esbuild places every file a
// command can reach (through barrel re-exports too) in chunks the command imports up front, so
// `anatomy layout` loaded nine files with the readelf relocation names, notes and archive code. Start-up
// is dominated by loading code: a command now loads main.js and one file holding only what it runs. The
// shared code is repeated in each command's bundle; only one runs per process.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

// `--outdir DIR` builds a private copy (dist-*/ is gitignored), so parallel work does not clash.
const flag = process.argv.indexOf("--outdir");
const outdir = flag > 0 ? process.argv[flag + 1] : "dist";
rmSync(new URL(`../${outdir}`, import.meta.url), { recursive: true, force: true });

const common = {
  outdir,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: false,
  external: ["gecko-profiler-demangle"],
  logLevel: "warning",
  define: { ANATOMY_VERSION: JSON.stringify(pkg.version) },
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
  build({ ...common, entryPoints: { "elf/index": "src/elf/index.ts" } }),
]);
