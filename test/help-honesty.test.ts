import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { run as nm } from "../src/cli/nm.js";
import { run as readelf } from "../src/cli/readelf.js";
import { readelfUsage } from "../src/cli/readelf-usage.js";
import { run as size } from "../src/cli/size.js";
import { runCli } from "./helpers/run-cli.js";

// Every option a command's --help lists either works (as GNU's does, when binutils 2.40 is here to
// compare with) or is refused with one line and status 1: never silently ignored.

const PIE = new URL("fixtures/x86_64/pie", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "anatomy-help-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const haveBinutils = (() => {
  const r = spawnSync("readelf", ["--version"], { encoding: "latin1" });
  return r.status === 0 && r.stdout.includes("2.40");
})();

/** The options a usage text names: `-a`, `--all`, `-U` of `-U[dlexhi]`, `--debug-dump` of `--debug-dump[a/=...`. */
function listedOptions(usage: string): string[] {
  const found = new Set<string>();
  for (const m of usage.matchAll(/(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)/g)) found.add(m[1]!);
  return [...found];
}

const withoutName = (tool: string, s: string) => s.replace(new RegExp(`^${tool}: `, "gm"), "");

type Run = (args: string[], io: Parameters<typeof readelf>[1]) => number | Promise<number>;

/** Runs one option line of ours; returns whether it was refused, checking what "works" means. */
async function check(tool: string, ours: Run, args: string[], compare: boolean): Promise<boolean> {
  const label = `${tool} ${args.join(" ")}`;
  const r = await runCli(ours, args);
  if (/ is not supported yet\n$/.test(r.err)) {
    assert.match(r.err, new RegExp(`^anatomy: ${tool}: [^\\n]+ is not supported yet\\n$`), label);
    assert.equal(r.out, "", label);
    assert.equal(r.status, 1, label);
    return true;
  }
  assert.doesNotMatch(r.err, /^Usage:/m, `${label}: fell through to the usage text`);
  if (compare && haveBinutils) {
    const gnu = spawnSync(tool, args, { encoding: "latin1", env: { LC_ALL: "C" } });
    assert.equal(r.out, gnu.stdout, `${label}: stdout`);
    assert.equal(withoutName(tool, r.err), withoutName(tool, gnu.stderr), `${label}: stderr`);
    assert.equal(r.status, gnu.status, `${label}: status`);
  } else assert.equal(r.status, 0, `${label}: ${r.err}`);
  return false;
}

/** How each readelf option that needs an argument is given one. */
const READELF_ARGS: Record<string, string[]> = {
  "-x": ["-x", ".interp"],
  "-p": ["-p", ".interp"],
  "-R": ["-R", ".interp"],
  "--hex-dump": ["--hex-dump=.interp"],
  "--string-dump": ["--string-dump=.interp"],
  "--relocated-dump": ["--relocated-dump=.interp"],
  "--sym-base": ["--sym-base=16"],
  "-U": ["-Ud"],
  "--unicode": ["--unicode=default"],
  "--dwarf-depth": ["--dwarf-depth=1"],
  "--dwarf-start": ["--dwarf-start=0"],
  "--ctf": ["--ctf=.ctf"],
  "--ctf-parent": ["--ctf-parent=x"],
  "--ctf-symbols": ["--ctf-symbols=.symtab"],
  "--ctf-strings": ["--ctf-strings=.strtab"],
  "--sframe": ["--sframe=.sframe"],
};

test("readelf: every option --help lists works or is refused with one line", async () => {
  const refused: string[] = [];
  const listed = listedOptions(readelfUsage);
  assert.ok(listed.length > 60, `only ${listed.length} options found in the usage text`);
  for (const option of listed) {
    if (["-H", "--help", "-v", "--version"].includes(option)) continue;
    // -h added so that modifiers (-W, -C, -T, -z, -D, ...) have something to modify.
    const args = [...(READELF_ARGS[option] ?? [option]), "-h", PIE];
    if (await check("readelf", readelf, args, true)) refused.push(option);
  }
  assert.deepEqual(refused.sort(), [
    "--ctf",
    "--ctf-parent",
    "--ctf-strings",
    "--ctf-symbols",
    "--debug-dump",
    "--enable-checks",
    "--lint",
    "--lto-syms",
    "--no-recurse-limit",
    "--process-links",
    "--sframe",
    "-L",
    "-P",
    "-w",
    "-wK",
    "-wN",
    "-wk",
  ]);
});

test("readelf: -w and --debug-dump in all their forms are refused with one line", async () => {
  for (const args of [["-wi"], ["-w", "i"], ["--debug-dump=info"], ["--debug-dump", "info"]]) {
    const r = await runCli(readelf, [...args, PIE]);
    assert.equal(r.status, 1, args.join(" "));
    assert.match(r.err, /^anatomy: readelf: (-w \(--debug-dump\)|--debug-dump) is not supported yet\n$/);
    assert.equal(r.out, "");
  }
  const wide = await runCli(readelf, ["-Ww", PIE]);
  assert.equal(wide.err, "anatomy: readelf: -w (--debug-dump) is not supported yet\n");
});

test("readelf: --unicode other than the default is refused; unknown options still get GNU's usage", async () => {
  const hex = await runCli(readelf, ["--unicode=hex", "-s", PIE]);
  assert.equal(hex.err, "anatomy: readelf: --unicode=hex is not supported yet\n");
  assert.equal(hex.status, 1);
  const bogus = await runCli(readelf, ["--bogus", PIE]);
  assert.equal(bogus.status, 1);
  assert.ok(bogus.err.startsWith(`readelf: unrecognized option '--bogus'\n${readelfUsage.slice(0, 40)}`));
});

test("readelf: @FILE reads options from the file", async () => {
  const file = join(dir, "readelf-options");
  writeFileSync(file, "-h\n-W\n");
  const viaFile = await runCli(readelf, [`@${file}`, PIE]);
  const direct = await runCli(readelf, ["-h", "-W", PIE]);
  assert.equal(viaFile.out, direct.out);
  assert.equal(viaFile.status, 0);
});

test("readelf -v, nm -V and size -V say they are anatomy's", async () => {
  const line = (tool: string) =>
    new RegExp(`^anatomy ${tool} \\(GNU binutils-compatible, 2\\.40\\) \\S+\\n$`);
  for (const args of [["-v"], ["--version"]]) {
    const r = await runCli(readelf, args);
    assert.match(r.out, line("readelf"));
    assert.equal(r.status, 0);
  }
  for (const args of [["-V"], ["--version"]]) {
    assert.match((await runCli(nm, args)).out, line("nm"));
    assert.match((await runCli(size, args)).out, line("size"));
  }
  assert.match((await runCli(size, ["-v"])).out, line("size"));
});

const NM_ARGS: Record<string, string[]> = {
  "-f": ["-f", "sysv"],
  "--format": ["--format=posix"],
  "-t": ["-t", "d"],
  "--radix": ["--radix=o"],
  "--target": ["--target=elf64-x86-64"],
  "--unicode": ["--unicode=default"],
  "--ifunc-chars": ["--ifunc-chars=ij"],
  "-X": ["-X", "32_64"],
  // -U takes an argument in nm 2.40's getopt string (the help says otherwise).
  "-U": ["-U", PIE],
};

test("nm: every option --help lists works or is refused with one line", async () => {
  const usage = (await runCli(nm, ["--help"])).out;
  const refused: string[] = [];
  for (const option of listedOptions(usage)) {
    if (["-h", "--help", "-V", "--version"].includes(option)) continue;
    // --plugin NAME would make GNU nm load NAME; ours accepts it and reads ELF files itself.
    if (option === "--plugin") continue;
    const args = [...(NM_ARGS[option] ?? [option]), PIE];
    if (await check("nm", nm, args, true)) refused.push(option);
  }
  assert.deepEqual(refused.sort(), ["--ifunc-chars", "--line-numbers", "--no-recurse-limit", "-l"]);
});

test("nm: @FILE reads options from the file", async () => {
  const file = join(dir, "nm-options");
  writeFileSync(file, "-D -n");
  const viaFile = await runCli(nm, [`@${file}`, PIE]);
  assert.equal(viaFile.out, (await runCli(nm, ["-D", "-n", PIE])).out);
  assert.equal(viaFile.status, 0);
});

const SIZE_ARGS: Record<string, string[]> = {
  "--format": ["--format=sysv"],
  "--radix": ["--radix=16"],
  "--target": ["--target=elf64-x86-64"],
};

test("size: every option --help lists works", async () => {
  const usage = (await runCli(size, ["--help"])).out;
  for (const option of listedOptions(usage)) {
    if (["-h", "-H", "--help", "-v", "-V", "--version"].includes(option)) continue;
    const args = [...(SIZE_ARGS[option] ?? [option]), PIE];
    assert.equal(await check("size", size, args, true), false, option);
  }
});
