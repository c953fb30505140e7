// Who asked for each change (src/trace/attribute.ts), on the captured runs: the kernel's exec image,
// ld.so's work per library (reservation, segments, bss, holes, RELRO, TLS block, ld.so.cache), malloc's
// heap, large block and thread arenas, each thread's stack, dlopen's libm, the program's own mappings
// and its JIT page, the stack's growth; the phases in order; the peak size of each owner. Then a fresh
// run named from the objects' own symbol tables gives the same owners.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { BufferSource } from "../src/elf/byte-source.js";
import { ElfFile } from "../src/elf/file.js";
import { kernelRules, type MemoryChange } from "../src/trace/address-space.js";
import { type AttributedTrace, attributeTrace, elfFrameNamer, type Owner } from "../src/trace/attribute.js";
import { kernelOfThisMachine, loadRun, runTrace, statIdentity } from "../src/trace/run-strace.js";
import { parseStrace } from "../src/trace/strace-parse.js";

function captured(name: string): AttributedTrace {
  const run = loadRun(join("test/fixtures/trace/captured", name));
  assert.ok(typeof run !== "string", String(run));
  return attributeTrace(parseStrace(run.text), {
    rules: kernelRules(run.meta.kernel, run.meta.overcommitNever),
    snapshots: run.snapshots,
    fileIdentity: (p) => run.meta.files[p],
    skipExecs: run.meta.trampolineExecs,
  });
}

/** Each change as `kind role object` (basename), in order, with its change. */
function rows(t: AttributedTrace): { c: MemoryChange; o: Owner; text: string }[] {
  return t.replay.changes.map((c) => {
    const o = t.owners[c.index] as Owner;
    const object = o.object ? ` ${o.object.slice(o.object.lastIndexOf("/") + 1)}` : "";
    return { c, o, text: `${o.kind} ${o.role}${object}` };
  });
}

const LIBC = "libc.so.6";

function checkLife(t: AttributedTrace, traceText: string): void {
  const r = rows(t);
  const texts = r.map((x) => x.text);
  // The kernel's exec, then ld.so's start-up in glibc 2.36's order (rtld.c, dl-map-segments.h).
  assert.deepEqual(texts.slice(0, 13), [
    "kernel exec image life",
    "ld.so its own allocation",
    "ld.so ld.so.cache",
    `ld.so reservation (the whole span) ${LIBC}`,
    `ld.so segment ${LIBC}`,
    `ld.so segment ${LIBC}`,
    `ld.so segment ${LIBC}`,
    `ld.so bss ${LIBC}`,
    "ld.so TLS block",
    `ld.so RELRO ${LIBC}`,
    "ld.so RELRO life",
    "ld.so RELRO ld-linux-x86-64.so.2",
    "ld.so ld.so.cache unmapped",
  ]);
  // The TLS block is the mapping ARCH_SET_FS points into.
  const tls = r.find((x) => x.o.role === "TLS block")?.c;
  assert.ok(tls && tls.end - tls.start === 12288n);
  // malloc: the heap by brk, the 200 KiB block mapped on its own and unmapped by free.
  const heap = r.filter((x) => x.o.kind === "malloc" && x.o.role === "heap");
  assert.ok(heap.length >= 1 && heap.every((x) => x.c.kind === "brk" && x.o.caller?.startsWith("life(main")));
  const block = r.find((x) => x.o.role.startsWith("large block, mapped"));
  const freed = r.find((x) => x.o.role.startsWith("large block freed"));
  assert.ok(block && freed);
  assert.equal(block.c.end - block.c.start, 204800n + 4096n);
  assert.deepEqual([freed.c.start, freed.c.end], [block.c.start, block.c.end]);
  assert.equal(freed.o.via, "libc_free".replace("libc_", ""));
  // pthread_create: two stacks, each for the thread its clone made, each made writable above its guard.
  const clones = parseStrace(traceText)
    .filter((e) => e.type === "syscall" && e.name === "clone3")
    .map((e) => (e.type === "syscall" && e.result.kind === "value" ? Number(e.result.value) : 0));
  const stacks = r.filter((x) => x.o.kind === "pthread" && x.o.role === "thread stack");
  assert.deepEqual(
    stacks.map((x) => x.o.thread),
    clones,
  );
  const usable = r.filter((x) => x.o.role === "thread stack (above its guard page)");
  assert.equal(usable.length, 2);
  for (const [i, u] of usable.entries()) assert.equal(u.c.start, (stacks[i]?.c.start ?? 0n) + 4096n);
  // Each thread's malloc: an arena reserved (128 MiB of PROT_NONE), trimmed to 64 MiB alignment, grown.
  for (const thread of clones) {
    const arena = r.filter((x) => x.c.pid === thread && x.o.kind === "malloc").map((x) => x.o.role);
    // new_heap trims below the 64 MiB boundary it rounds up to, and above the 64 MiB kept: two trims,
    // or one when the reservation happens to start aligned.
    assert.match(arena.join(", "), /^arena reservation, (arena trim, ){1,2}arena growth$/);
  }
  // dlopen("libm.so.6") from main: the same work of ld.so, with its caller.
  const libm = r.filter((x) => x.o.kind === "dlopen" && x.o.object?.endsWith("/libm.so.6"));
  assert.deepEqual(
    libm.map((x) => x.o.role),
    ["reservation (the whole span)", "segment", "segment", "segment", "RELRO"],
  );
  assert.ok(libm.every((x) => x.o.via === "dlopen" && x.o.caller?.startsWith("life(main")));
  // The program's own: a file, an anonymous page grown by mremap, four pages split, the JIT page.
  const own = r.filter((x) => x.o.kind === "program").map((x) => x.o.role);
  assert.deepEqual(own, [
    "file mapping",
    "anonymous mapping",
    "mremap (resized or moved)",
    "anonymous mapping",
    "munmap",
    "anonymous mapping",
    "anonymous memory made executable",
  ]);
  const jit = r.find((x) => x.o.jit);
  assert.equal(jit?.c.kind, "mprotect");
  assert.equal(texts.at(-2), "kernel stack growth [stack]");
  // Phases run exec, loader, main, exit, never back.
  const order = ["exec", "loader", "main", "exit"];
  const phases = t.replay.changes.map((c) => order.indexOf(t.phases[c.index] as string));
  assert.deepEqual([...new Set(phases)], [0, 1, 2, 3]);
  for (let i = 1; i < phases.length; i++) assert.ok((phases[i] as number) >= (phases[i - 1] as number));
}

test("life.c: each change's owner, in the order they came", () => {
  checkLife(captured("life"), readFileSync("test/fixtures/trace/captured/life/strace.txt", "latin1"));
});

test("the peak of each owner: two 128 MiB reservations at once, trimmed to 64 MiB each", () => {
  const t = captured("life");
  const owners = t.replay.owners.get(0);
  assert.ok(owners);
  const arenas = owners.get("malloc: thread arenas");
  assert.deepEqual(arenas, { now: 128n << 20n, peak: 256n << 20n });
  assert.deepEqual(owners.get("malloc: large blocks"), { now: 0n, peak: 204800n + 4096n });
  assert.deepEqual(owners.get("program: life (executable anonymous memory)"), { now: 4096n, peak: 4096n });
  // Every byte mapped at exit is under one owner.
  const root = [...t.replay.processes.values()][0];
  const total = [...owners.values()].reduce((s, v) => s + v.now, 0n);
  assert.equal(total, root?.mm?.size());
});

test("ls --version: ld.so maps each library, then malloc's heap and setlocale's locale files", () => {
  const r = rows(captured("ls-version"));
  const libraries = new Set(r.filter((x) => x.o.role === "reservation (the whole span)").map((x) => x.text));
  assert.deepEqual([...libraries].sort(), [
    "ld.so reservation (the whole span) libc.so.6",
    "ld.so reservation (the whole span) libpcre2-8.so.0.11.2",
    "ld.so reservation (the whole span) libselinux.so.1",
  ]);
  const main = r.filter((x) => x.c.kind !== "exec" && x.o.kind !== "ld.so" && x.o.kind !== "kernel");
  assert.ok(main.length > 0);
  assert.deepEqual(
    [...new Set(main.map((x) => `${x.o.kind} ${x.o.object ?? x.o.role}`))],
    ["malloc heap", "libc setlocale"],
  );
  const locale = main.filter((x) => x.o.kind === "libc");
  // The locale files and iconv's module cache, for ls's setlocale(LC_ALL, "").
  assert.ok(
    locale.every(
      (x) =>
        /^\/usr\/lib\/(locale\/|x86_64-linux-gnu\/gconv\/)/.test(x.c.path ?? "") &&
        x.o.caller?.startsWith("ls("),
    ),
  );
});

test("sh -c: dash's vfork child shares its memory until its own exec", () => {
  const t = captured("sh-child");
  const r = rows(t);
  assert.equal(r.filter((x) => x.c.kind === "fork").length, 0, "vfork copies nothing");
  const [shell, child] = [...t.replay.processes.values()];
  assert.ok(shell && child);
  assert.equal(child.parent, shell.pid);
  assert.notEqual(child.mm, shell.mm);
  const childRows = r.filter((x) => x.c.pid === child.pid).map((x) => x.text);
  assert.equal(childRows[0], "kernel exec image true");
  assert.ok(childRows.includes(`ld.so reservation (the whole span) ${LIBC}`));
  assert.deepEqual([shell.exit?.status, child.exit?.status], [3, 0]);
});

const traced =
  spawnSync("strace", ["-f", "-qq", "-e", "trace=none", "/bin/true"], { stdio: "ignore" }).status === 0;
const gcc = spawnSync("gcc", ["--version"], { stdio: "ignore" }).status === 0;

test("a fresh run, frames named from the objects' own symbols: the same owners", {
  skip: !gcc || !traced ? "needs gcc and strace" : false,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-attribute-test-"));
  const program = join(dir, "life");
  assert.equal(spawnSync("gcc", ["-O0", "-o", program, resolve("test/fixtures/trace/life.c")]).status, 0);
  const run = await runTrace({
    program,
    path: program,
    args: [join(dir, "self.maps")],
    strace: "strace",
    stacks: true,
    seccomp: true,
    snapshots: true,
    loaderDebug: false,
    holdMicros: 200_000,
    dir: join(dir, "run"),
  });
  const k = kernelOfThisMachine();
  const namer = elfFrameNamer((path) => {
    try {
      return ElfFile.open(new BufferSource(new Uint8Array(readFileSync(path))));
    } catch {
      return undefined;
    }
  });
  const text = readFileSync(run.traceFile, "latin1");
  const t = attributeTrace(
    parseStrace(text),
    {
      rules: kernelRules(k.kernel),
      snapshots: run.snapshots,
      fileIdentity: statIdentity,
      skipExecs: run.trampolineExecs,
    },
    namer,
  );
  checkLife(t, text);
});
