// The README's examples, as data: each is one or more shell command lines run in a scratch directory
// with `anatomy` on PATH (this checkout's bin/anatomy.js), LC_ALL=C and a scratch HOME. The README
// shows each after a marker line `<!-- example: NAME -->`, as `$ COMMAND` lines followed by what they
// printed (stdout and stderr together, as a terminal shows them) and, when not 0, `[exit status N]`.
//
// scripts/readme-examples.mjs writes those blocks into README.md; test/newcomer.test.ts runs every
// example again and checks the README shows what it prints. Examples on a live process get a fresh
// process each time (its PID and addresses change): for those, and for outputs that carry this
// machine's device and inode numbers, the comparison masks the numbers (`compare: "shape"`). Where
// ld.so's load addresses of shared libraries show, they move with the size of /etc/ld.so.cache (ld.so
// maps it first), that is with whatever else the machine has installed: `compare: "libraries"` masks
// those addresses only.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ROOT } from "./fixtures.mjs";

/**
 * `commands(live)` gives the command lines; `live` (when `needsProcess`) is { pid, libcText } of a
 * `sleep` started for the example.
 */
export const EXAMPLES = [
  { name: "overview", commands: () => ["anatomy /usr/bin/ls"] },
  {
    name: "deps",
    compare: "libraries",
    commands: () => ["anatomy deps /usr/bin/ls", "anatomy ldd /usr/bin/ls"],
  },
  { name: "bind", commands: () => ["anatomy bind --ld-debug /usr/bin/true | head -3"] },
  { name: "check", commands: () => ["anatomy check /usr/bin/ls"] },
  {
    name: "layout",
    compare: "shape",
    commands: () => ["anatomy layout --env-clear --stage exec --format maps /usr/bin/ls"],
  },
  { name: "layout-aslr", commands: () => ["anatomy layout --aslr=2 /usr/bin/true | head -12"] },
  {
    name: "pmaprc",
    compare: "shape",
    needsProcess: true,
    commands: ({ pid }) => [
      "anatomy pmap -n",
      "printf '[Fields Display]\\nPerm\\nRss\\nMapping\\n' > ~/.pmaprc",
      `anatomy pmap -c ${pid} | head -3`,
    ],
  },
  {
    name: "maps",
    compare: "shape",
    needsProcess: true,
    commands: ({ pid }) => [`anatomy maps ${pid} | head -9`],
  },
  {
    name: "addr-pid",
    compare: "shape",
    needsProcess: true,
    commands: ({ pid, libcText }) => [`anatomy addr ${pid} 0x${(libcText + 0x1000n).toString(16)}`],
  },
  {
    name: "plt",
    compare: "libraries",
    commands: () => [
      "anatomy plt /usr/bin/true | head -5",
      "anatomy plt --callers /usr/bin/true | grep -A2 '^abort@'",
    ],
  },
  { name: "addr-file", commands: () => ["anatomy addr /usr/bin/ls 0x55555555a1d0 0x1a000"] },
  {
    name: "build",
    files: ["test/fixtures/build/hello.c"],
    commands: () => [
      "anatomy build --keep out hello.c | head -2",
      "anatomy build --keep out hello.c | sed -n '/^2\\. compile/,/^3\\./p;/relocations followed/,$p'",
    ],
  },
  {
    // A run of test/fixtures/trace/life.c kept by `anatomy trace --keep` (scripts/make-trace-fixtures.sh).
    name: "trace",
    files: ["test/fixtures/trace/captured/life"],
    commands: () => ["anatomy trace --replay life"],
  },
  {
    name: "problems",
    commands: () => [
      "head -c 3000 /usr/bin/ls > cut",
      "anatomy layout cut | head -3",
      "anatomy check cut",
      "anatomy nosuchfile",
      "anatomy lyaout /usr/bin/ls",
    ],
  },
  {
    name: "not-elf",
    commands: () => ["printf '#!/bin/sh\\necho hello\\n' > hello.sh", "anatomy hello.sh"],
  },
];

/** A `sleep` that lives while the example runs, and where libc's text starts in it. */
async function startProcess() {
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  const pid = child.pid;
  for (let i = 0; i < 200; i++) {
    let maps = "";
    try {
      maps = readFileSync(`/proc/${pid}/maps`, "latin1");
    } catch {}
    const m = /^([0-9a-f]+)-[0-9a-f]+ r-xp \S+ \S+ \S+\s+\S*\/libc\.so\.6$/m.exec(maps);
    if (m) return { child, pid, libcText: BigInt(`0x${m[1]}`) };
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGKILL");
  throw new Error("sleep did not map libc");
}

/**
 * Runs one example; returns the text its README block holds (without the fences): each `$ COMMAND`
 * line and what it printed.
 */
export async function runExample(example) {
  const scratch = mkdtempSync(join(tmpdir(), `anatomy-example-${example.name}-`));
  const bin = join(scratch, ".bin");
  const home = join(scratch, ".home");
  mkdirSync(bin);
  mkdirSync(home);
  symlinkSync(join(ROOT, "bin/anatomy.js"), join(bin, "anatomy"));
  // Files (and directories) the example works on, copied into its directory under their own names.
  for (const f of example.files ?? []) cpSync(join(ROOT, f), join(scratch, basename(f)), { recursive: true });
  const live = example.needsProcess ? await startProcess() : undefined;
  try {
    const parts = [];
    for (const command of example.commands(live ?? {})) {
      const r = spawnSync("bash", ["-o", "pipefail", "-c", `exec 2>&1\n${command}`], {
        cwd: scratch,
        env: { PATH: `${bin}:${process.env.PATH}`, LC_ALL: "C", HOME: home },
        encoding: "utf8",
      });
      parts.push(`$ ${command}\n${r.stdout}${r.status ? `[exit status ${r.status}]\n` : ""}`);
    }
    return parts.join("");
  } finally {
    live?.child.kill("SIGKILL");
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Numbers (decimal and hex) masked, and the scratch directory's name, for "shape" comparisons. */
export function shapeOf(text) {
  return text
    .replace(/anatomy-example-[^/\s]+/g, "SCRATCH")
    .replace(/\b(0x)?[0-9a-f]*[0-9][0-9a-f]*\b/g, "#")
    .replace(/ +/g, " ");
}

/** A library's load address, 0x7f and ten more hex digits, as ld.so places them with ASLR off. */
const LIBRARY_ADDRESS = /\b(0x)?(0*)7f[0-9a-f]{10}\b/g;

/** What of an example's text must match the README: all of it, or it with the example's mask. */
export function comparable(example, text) {
  if (example.compare === "shape" || example.needsProcess) return shapeOf(text);
  if (example.compare === "libraries") return text.replace(LIBRARY_ADDRESS, "$1$2" + "7f..........");
  return text;
}

const MARKER = /^<!-- example: ([a-z0-9-]+) -->\n```\n([\s\S]*?)```\n/gm;

/** The README's example blocks: name -> text between the fences. */
export function readmeBlocks(readme) {
  return new Map([...readme.matchAll(MARKER)].map((m) => [m[1], m[2]]));
}

/** README with each example block replaced by `texts.get(name)`. */
export function withBlocks(readme, texts) {
  return readme.replace(MARKER, (whole, name) =>
    texts.has(name) ? `<!-- example: ${name} -->\n\`\`\`\n${texts.get(name)}\`\`\`\n` : whole,
  );
}
