// anatomy plt on a program built here (gcc), lazily bound and with -z now, and live: the GOT slot of
// puts read from the stopped process before and after its first call, checked against gdb reading the
// same slot and against the address FILE mode predicts (ASLR off).
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../src/cli/plt.js";
import { runCli } from "./helpers/run-cli.js";

const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const usable = process.arch === "x64" && have("gcc") && have("setarch");
const opts = { skip: usable ? false : "x86-64 with gcc and setarch needed" };
const dir = mkdtempSync(join(tmpdir(), "anatomy-plt-"));
const source = join(dir, "waits.c");
writeFileSync(
  source,
  `#include <stdio.h>
#include <unistd.h>
static void wait_line(void) { char c; while (read(0, &c, 1) == 1 && c != '\\n') {} }
int main(void) {
  wait_line();           /* stopped here: puts not called yet */
  puts("called");
  fflush(stdout);
  wait_line();           /* and here: puts bound */
  return 0;
}
`,
);
function build(name: string, flags: string[]): string {
  const out = join(dir, name);
  const r = spawnSync("gcc", ["-O1", "-o", out, source, ...flags], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

type Entry = Record<string, unknown> & { symbol: string | null; callers: string[] };
async function model(args: string[]) {
  const r = await runCli(run, ["--json", ...args]);
  assert.equal(r.status, 0, r.err);
  return JSON.parse(r.out) as { bindNow: boolean; relro: string; loadBias: string; entries: Entry[] };
}
const puts = (m: { entries: Entry[] }) => m.entries.find((e) => e.symbol === "puts")!;

test(
  "a lazily bound PIE: puts through .plt, its slot in .got.plt, lazy, writable, bound to libc",
  opts,
  async () => {
    const prog = build("lazy", ["-Wl,-z,lazy", "-Wl,-z,relro"]);
    const m = await model([prog]);
    assert.equal(m.bindNow, false);
    assert.equal(m.relro, "partial");
    const e = puts(m);
    assert.equal(e.kind, "JUMP_SLOT");
    assert.equal(e.relocation, "R_X86_64_JUMP_SLOT");
    assert.equal(e.section, ".plt");
    assert.equal(e.gotSection, ".got.plt");
    assert.equal(e.lazy, true);
    assert.equal(e.relro, false);
    assert.equal(e.version, "GLIBC_2.2.5");
    // On disk the slot points back into the stub, at the push of its relocation index (stub + 6).
    assert.equal(BigInt(e.onDisk as string), BigInt(e.stub as string) + 6n);
    assert.equal(e.lazyEntry, e.onDisk);
    assert.match(e.library as string, /\/libc\.so\.6$/);
    assert.equal(e.callers.length, 1);
    // The text view says so in words.
    const text = (await runCli(run, ["--callers", prog])).out;
    assert.match(text, /lazy binding: each PLT slot is filled at its function's first call/);
    assert.match(text, /partial RELRO: .got is read-only after start-up, .got.plt stays writable/);
    assert.match(text, /\n {4}call to the stub at 0x[0-9a-f]+ \(\.text\+0x[0-9a-f]+\)\n/);
  },
);

test("-z now: puts bound at start-up, its slot read-only after it (full RELRO)", opts, async () => {
  const m = await model([build("now", ["-Wl,-z,now", "-Wl,-z,relro"])]);
  assert.equal(m.bindNow, true);
  assert.equal(m.relro, "full");
  const e = puts(m);
  assert.equal(e.lazy, false);
  assert.equal(e.relro, true);
});

async function untilOutput(child: ChildProcess, text: string): Promise<void> {
  let seen = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) resolve();
    });
    child.on("exit", () => reject(new Error(`exited before printing ${text}`)));
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  "plt PID: the slot of puts unresolved before the first call, then bound where FILE mode predicted",
  opts,
  async () => {
    const prog = build("live", ["-Wl,-z,lazy"]);
    const predicted = puts(await model([prog]));
    const child = spawn("setarch", ["-R", prog], {
      stdio: ["pipe", "pipe", "ignore"],
      env: { PATH: process.env.PATH },
    });
    try {
      await sleep(300);
      const before = await model([String(child.pid!)]);
      // setarch execs the program: the PID is the program's.
      const b = puts(before);
      assert.equal(b.resolved, false);
      assert.equal(BigInt(b.live as string), BigInt(before.loadBias) + BigInt(predicted.onDisk as string));
      child.stdin!.write("\n");
      await untilOutput(child, "called");
      const after = puts(await model([String(child.pid!)]));
      assert.equal(after.resolved, true);
      assert.equal(after.live, predicted.target, "bound where FILE mode predicted it (ASLR off)");
      assert.match(after.library as string, /^libc\.so\.6 puts$/);
      if (have("gdb")) {
        const slot = `0x${(BigInt(before.loadBias) + BigInt(b.got as string)).toString(16)}`;
        const g = spawnSync("gdb", ["-nx", "-batch", "-p", String(child.pid), "-ex", `x/gx ${slot}`], {
          encoding: "utf8",
        });
        const m = /:\s+(0x[0-9a-f]+)/.exec(g.stdout);
        if (m) assert.equal(BigInt(m[1]!), BigInt(after.live as string), "gdb reads the same slot");
      }
    } finally {
      child.kill("SIGKILL");
    }
  },
);

/** gcc with these arguments in the scratch directory; the output path. */
function compile(name: string, args: string[]): string {
  const out = join(dir, name);
  const r = spawnSync("gcc", ["-O1", "-o", out, ...args], { encoding: "utf8", cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  return out;
}
const sourceFile = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
/** What ld.so's trace mode binds PROG's own references to: `symbol -> object [version]` lines. */
function ldSoBindings(prog: string): string[] {
  const r = spawnSync("/lib64/ld-linux-x86-64.so.2", [prog], {
    encoding: "utf8",
    env: { LD_DEBUG: "bindings", LD_TRACE_LOADED_OBJECTS: "1", LD_WARN: "yes", LD_BIND_NOW: "yes" },
  });
  const out: string[] = [];
  for (const m of r.stderr.matchAll(
    /binding file (\S+) \[0\] to (\S+) \[0\]: normal symbol `([^']+)'(?: \[(.+)\])?/g,
  ))
    if (m[1] === prog) out.push(`${m[3]} -> ${m[2]} [${m[4] ?? ""}]`);
  return out.sort();
}

test(
  "COPY and GLOB_DAT on one symbol: the copy comes from libc, the GOT slot gets the program's copy",
  opts,
  async () => {
    // stderr read directly (non-PIC code: a COPY into .bss) and through the GOT (PIC code, not relaxed).
    const direct = sourceFile(
      "direct.c",
      '#include <stdio.h>\nFILE **where(void);\nint main(void) { fputs("x", stderr); return where() == 0; }\n',
    );
    const viaGot = sourceFile("via-got.c", "#include <stdio.h>\nFILE **where(void) { return &stderr; }\n");
    spawnSync("gcc", ["-O1", "-fPIC", "-c", "-o", join(dir, "via-got.o"), viaGot]);
    const prog = compile("copy", ["-fno-pie", "-no-pie", "-Wl,--no-relax", direct, join(dir, "via-got.o")]);
    const m = await model([prog]);
    const entries = m.entries.filter((e) => e.symbol === "stderr");
    const copy = entries.find((e) => e.kind === "COPY")!;
    const slot = entries.find((e) => e.kind === "GLOB_DAT")!;
    assert.match(copy.library as string, /\/libc\.so\.6$/);
    assert.equal(copy.gotSection, ".bss");
    assert.equal(copy.relro, false);
    assert.equal(slot.library, prog);
    assert.equal(slot.target, copy.got, "the slot points at the program's copy (no PIE: bias 0)");
    const ours = entries.map((e) => `stderr -> ${e.library} [${e.version ?? ""}]`).sort();
    assert.deepEqual(
      ours,
      ldSoBindings(prog).filter((l) => l.startsWith("stderr ")),
    );
    const text = (await runCli(run, [prog])).out;
    assert.match(
      text,
      /\nstderr@GLIBC_2\.2\.5 +- +[0-9a-f]+ \.bss +- +COPY +libc\.so\.6 0x[0-9a-f]+ +copied at start-up +writable/,
    );
  },
);

test(
  "a function whose address a program without PIE takes: its GOT slot gets the PLT stub, the JUMP_SLOT libc",
  opts,
  async () => {
    // The program's undefined `free` gets a value (its canonical PLT address), which non-PLT lookups find.
    const pic = sourceFile(
      "addr-of.c",
      "#include <stdlib.h>\nvoid *addr_of_free(void) { return (void *)free; }\n",
    );
    const main = sourceFile(
      "takes-addr.c",
      "#include <stdlib.h>\nvoid *addr_of_free(void);\nint main(void) { void (*p)(void *) = free; return p == addr_of_free(); }\n",
    );
    spawnSync("gcc", ["-O0", "-fPIC", "-c", "-o", join(dir, "addr-of.o"), pic]);
    const prog = compile("canonical", [
      "-O0",
      "-fno-pie",
      "-no-pie",
      "-Wl,--no-relax",
      main,
      join(dir, "addr-of.o"),
    ]);
    const entries = (await model([prog])).entries.filter((e) => e.symbol === "free");
    const slot = entries.find((e) => e.kind === "GLOB_DAT")!;
    const jump = entries.find((e) => e.kind === "JUMP_SLOT")!;
    assert.equal(slot.library, prog);
    assert.equal(slot.target, jump.stub, "the slot holds the canonical PLT stub");
    assert.match(jump.library as string, /\/libc\.so\.6$/);
    const ours = entries.map((e) => `free -> ${e.library} [${e.version ?? ""}]`).sort();
    assert.deepEqual(
      ours,
      ldSoBindings(prog).filter((l) => l.startsWith("free ")),
    );
  },
);

test("IRELATIVE: a local IFUNC's slot, filled by its resolver at start-up", opts, async () => {
  const src = sourceFile(
    "ifunc.c",
    'static int one(void) { return 1; }\nstatic void *pick(void) { return one; }\nint f(void) __attribute__((ifunc("pick")));\nint main(void) { return f(); }\n',
  );
  const prog = compile("ifunc", [src]);
  const nm = spawnSync("nm", [prog], { encoding: "utf8" }).stdout;
  const pick = /^([0-9a-f]+) t pick$/m.exec(nm)![1]!;
  const e = (await model([prog])).entries.find((x) => x.kind === "IRELATIVE")!;
  assert.equal(e.symbol, null);
  assert.equal(BigInt(e.addend as string), BigInt(`0x${pick}`), "r_addend is the resolver");
  assert.equal(e.lazy, false);
  assert.equal(e.section, ".plt", "main calls f through a PLT stub");
  assert.equal(e.callers.length, 1);
  assert.match(
    (await runCli(run, [prog])).out,
    /\*ABS\*\+0x[0-9a-f]+ .* IRELATIVE +resolver 0x[0-9a-f]+ in the program +resolver at start-up/,
  );
});

test("TLSDESC: a TLS descriptor in .got.plt, filled at load time even under lazy binding", opts, async () => {
  const def = sourceFile("tls-def.c", "__thread int tv = 3;\n");
  const use = sourceFile("tls-use.c", "extern __thread int tv;\nint get(void) { return tv; }\n");
  const lib = compile("libtls.so", ["-fPIC", "-mtls-dialect=gnu2", "-shared", "-Wl,-z,lazy", use, def]);
  const m = await model([lib]);
  assert.equal(m.bindNow, false);
  const e = m.entries.find((x) => x.symbol === "tv")!;
  assert.equal(e.kind, "TLSDESC");
  assert.equal(e.relocation, "R_X86_64_TLSDESC");
  assert.equal(e.gotSection, ".got.plt");
  assert.equal(e.lazy, false);
  assert.equal(e.library, lib);
  assert.equal(e.target, null, "a thread-local variable has no one address");
  assert.ok(e.callSites && (e.callSites as unknown[]).length >= 1, "get() reads the descriptor");
  assert.match(
    (await runCli(run, [lib])).out,
    /\ntv +- +[0-9a-f]+ \.got\.plt +0 +TLSDESC +libtls\.so TLS\+0x0 +descriptor at start-up/,
  );
});

test("plt PID of a process that does not exist: one plain line", async () => {
  const r = await runCli(run, ["999999999"]);
  assert.equal(r.status, 1);
  assert.equal(r.err, "anatomy: process 999999999: no such process\n");
});

test("plt on i386 and on a truncated file", async () => {
  const i386 = JSON.parse((await runCli(run, ["--json", "test/fixtures/i386/pie"])).out);
  const slots = i386.entries.filter((e: Entry) => e.kind === "JUMP_SLOT");
  assert.ok(slots.length > 0);
  for (const e of slots) {
    assert.equal(e.section, ".plt");
    assert.equal(BigInt(e.onDisk), BigInt(e.stub) + 6n, `${e.symbol}: back to its push`);
  }
  const cut = join(dir, "cut");
  writeFileSync(cut, readFileSync("/usr/bin/ls").subarray(0, 3000));
  const r = await runCli(run, [cut]);
  assert.equal(r.status, 1);
  assert.match(r.err, /^anatomy: .*cut: /);
  assert.doesNotMatch(r.err, /Error|\n\s+at /);
});

test("AArch64: the adrp/ldr/add/br stubs, each named as aarch64-linux-gnu-objdump -d names it", async () => {
  const m = JSON.parse((await runCli(run, ["--json", "test/fixtures/aarch64/pie"])).out);
  const stubs = m.entries
    .filter((e: Entry) => e.stub)
    .map((e: Entry) => `${(e.stub as string).slice(2)} <${e.symbol}@plt>`)
    .sort();
  // Recorded from binutils-aarch64-linux-gnu 2.40: `aarch64-linux-gnu-objdump -d pie | grep @plt>:`.
  assert.deepEqual(stubs, [
    "8e0 <__libc_start_main@plt>",
    "8f0 <demo_hook@plt>",
    "900 <__cxa_finalize@plt>",
    "910 <__gmon_start__@plt>",
    "920 <abort@plt>",
    "930 <optional_plugin_init@plt>",
    "940 <demo_count@plt>",
    "950 <demo_add@plt>",
    "960 <printf@plt>",
  ]);
  for (const e of m.entries.filter((x: Entry) => x.kind === "JUMP_SLOT")) {
    assert.equal(e.relocation, "R_AARCH64_JUMP_SLOT");
    assert.equal(e.onDisk, "0x8c0", "a lazy AArch64 slot holds PLT0's address");
  }
});
