import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../src/cli/bind.js";
import type { CommandIO } from "../src/cli/io.js";
import { nodeLinkFs } from "../src/cli/link-fs.js";
import { bindGraph } from "../src/link/binding.js";
import { LinkSession } from "../src/link/index.js";
import { renderLdDebug } from "../src/render/bind.js";
import { StringOutput } from "../src/render/output.js";

const here = dirname(fileURLToPath(import.meta.url));
const fix = join(here, "fixtures/bind");
const prog = join(fix, "prog");
// The fixtures link against this machine's libc; the golden lines that mention it need glibc x86-64.
const have = existsSync(prog) && existsSync("/lib64/ld-linux-x86-64.so.2") && process.arch === "x64";
const opts = { skip: have ? false : "x86-64 glibc and scripts/make-bind-fixtures.sh needed" };

function bind(libdir: string) {
  const fs = nodeLinkFs();
  const g = new LinkSession({ fs, env: { LD_LIBRARY_PATH: join(fix, libdir) }, mode: "exec" }).link(prog);
  return bindGraph(g, fs);
}

/** The golden's lines about the fixtures' own objects (the rest are libc's, which vary by release). */
function golden(name: string): string[] {
  return readFileSync(join(fix, `${name}.golden`), "latin1")
    .split("\n")
    .filter((l) => l.startsWith("0:\tbinding file FIX") || l.startsWith("0:\tFIX"));
}

function ours(name: string): string[] {
  const out = new StringOutput();
  renderLdDebug(bind(name), out);
  return out
    .toString()
    .split("\n")
    .map((l) => l.replace(/^ *\d+:\t/, "0:\t").replaceAll(fix, "FIX"))
    .filter((l) => l.startsWith("0:\tbinding file FIX") || l.startsWith("0:\tFIX"));
}

test("LD_DEBUG=bindings lines match glibc's ld.so in order (versions, protected, copy reloc)", opts, () => {
  const g = golden("new");
  assert.ok(g.some((l) => l.includes("protected symbol `prot' [V2]")));
  assert.deepEqual(ours("new"), g);
});

test("the model: default version, COPY skips the executable, weak undefined left alone", opts, () => {
  const r = bind("new");
  const lib = join(fix, "new/libv.so");
  const foo = r.bindings.find((b) => b.from === prog && b.symbol === "foo");
  assert.deepEqual([foo?.to, foo?.version], [lib, "V2"]);
  assert.equal(r.bindings.find((b) => b.symbol === "shared_data")?.to, lib);
  assert.ok(r.weakUnresolved.some((w) => w.from === prog && w.symbol === "__gmon_start__"));
  assert.deepEqual(r.problems, []);
  // ld.so relocates dependencies first and itself never.
  assert.equal(r.order.at(-1), prog);
  assert.ok(!r.order.some((o) => o.includes("ld-linux")));
});

test("an older library: missing version and undefined symbols in ld.so's words", opts, () => {
  assert.deepEqual(ours("old"), golden("old"));
  const r = bind("old");
  const lib = join(fix, "old/libv.so");
  const messages = r.problems.map((p) => p.message);
  assert.equal(messages[0], `${prog}: ${lib}: version \`V2' not found (required by ${prog})`);
  assert.ok(messages.includes(`undefined symbol: gone, version V2\t(${prog})`));
  assert.ok(messages.includes(`undefined symbol: foo, version V2\t(${prog})`));
});

function io(env: Record<string, string> = {}) {
  const stdout = new StringOutput();
  const stderr = new StringOutput();
  const cio: CommandIO = {
    stdout,
    stderr,
    openFile: () => {
      throw new Error("unused");
    },
    env,
    isTTY: false,
  };
  return { cio, stdout, stderr };
}

test("CLI: non-zero status and stderr messages on failure; --json model", opts, async () => {
  const bad = io();
  assert.equal(await run(["--env", `LD_LIBRARY_PATH=${join(fix, "old")}`, prog], bad.cio), 1);
  assert.match(bad.stderr.toString(), /version `V2' not found/);
  const good = io();
  assert.equal(await run(["--json", "--env", `LD_LIBRARY_PATH=${join(fix, "new")}`, prog], good.cio), 0);
  const model = JSON.parse(good.stdout.toString());
  assert.ok(model.bindings.some((b: { symbol: string }) => b.symbol === "bar"));
  const text = io();
  assert.equal(await run(["--env", `LD_LIBRARY_PATH=${join(fix, "new")}`, prog], text.cio), 0);
  assert.match(text.stdout.toString(), /foo@V2 +=> .*new\/libv\.so/);
});

const linkProg = join(here, "fixtures/link/prog");
test("a library that is not found", { skip: existsSync(linkProg) ? false : "no link fixtures" }, async () => {
  const t = io();
  assert.equal(await run([linkProg], t.cio), 1);
  assert.match(t.stderr.toString(), /^libonly\.so => not found$/m);
});
