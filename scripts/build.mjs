// Compiles src/ to dist/ with esbuild: one bundle for the CLI (fast start-up: a single file to load,
// commands split out as lazily imported chunks) and the ELF reader as its own entry for library users.
import { readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

// `--outdir DIR` builds a private copy (dist-*/ is gitignored), so parallel work does not clash.
const flag = process.argv.indexOf("--outdir");
const outdir = flag > 0 ? process.argv[flag + 1] : "dist";
rmSync(new URL(`../${outdir}`, import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { "cli/main": "src/cli/main.ts", "elf/index": "src/elf/index.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: false,
  external: ["gecko-profiler-demangle"],
  logLevel: "warning",
  define: { ANATOMY_VERSION: JSON.stringify(pkg.version) },
});
