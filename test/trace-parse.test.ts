// strace's text as events (src/trace/strace-parse.ts), on output captured from real runs
// (test/fixtures/trace/captured, made by scripts/make-trace-fixtures.sh): every line accounted for,
// calls split by another thread joined, each argument decoded, stacks, signals and exits; and the
// forms strace prints that the captures do not hold, on lines written here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  CLONE_THREAD,
  CLONE_VM,
  MAP,
  PROT,
  parseStrace,
  type SignalEvent,
  type SyscallEvent,
  splitArgs,
  unescapeC,
} from "../src/trace/strace-parse.js";

const captured = (name: string) =>
  readFileSync(join("test/fixtures/trace/captured", name, "strace.txt"), "latin1");
const syscalls = (text: string) => parseStrace(text).filter((e): e is SyscallEvent => e.type === "syscall");

test("every line of each capture is one event, one frame, or half of a split call", () => {
  for (const name of ["life", "crash", "ls-version", "sh-child", "rules"]) {
    const text = captured(name);
    const lines = text.split("\n").filter((l) => l !== "");
    const events = parseStrace(text);
    const frames = lines.filter((l) => l.startsWith(" > ")).length;
    const unfinished = lines.filter((l) => l.endsWith(" <unfinished ...>")).length;
    const resumed = lines.filter((l) => / <\.\.\. [a-z0-9_]+ resumed>/.test(l)).length;
    assert.equal(unfinished, resumed, name);
    assert.equal(events.length, lines.length - frames - unfinished, name);
    const parsedFrames = events.reduce(
      (n, e) => n + (e.type === "syscall" || e.type === "signal" ? e.frames.length : 0),
      0,
    );
    assert.equal(parsedFrames, frames, name);
    // Every call strace printed has a name, a result, and (-i) an address.
    for (const e of events)
      if (e.type === "syscall") {
        assert.ok(e.ip !== undefined, `${name} line ${e.line}`);
        if (e.name !== "exit" && e.name !== "exit_group") assert.notEqual(e.result.kind, "none");
      }
  }
});

test("a call split by another thread's line is one event, timed from its start, placed at its end", () => {
  const text = captured("life");
  const lines = text.split("\n");
  const events = syscalls(text);
  // The threads' arenas: glibc's new_heap asks for 128 MiB (HEAP_MAX_SIZE * 2) of PROT_NONE.
  const reservations = events.filter(
    (e) => e.call?.call === "mmap" && e.call.length === 128n << 20n && e.call.prot === PROT.PROT_NONE,
  );
  assert.equal(reservations.length, 2);
  const split = events.filter((e) => e.endTime !== e.time);
  assert.ok(split.length > 0, "the capture holds calls split across threads");
  for (const e of split) {
    assert.match(lines[e.line - 1] as string, new RegExp(`^${e.pid} .*<\\.\\.\\. ${e.name} resumed>`));
    assert.ok(e.endTime > e.time);
    assert.ok(e.call, `${e.name} decoded`);
  }
  for (const r of reservations) {
    assert.ok(r.call?.call === "mmap" && r.call.flags & MAP.MAP_NORESERVE);
    assert.equal(r.result.kind, "value");
    // The result is 64 MiB aligned only after the trims; the reservation itself is anywhere.
    assert.ok(r.frames.some((f) => f.object.endsWith("/libc.so.6")));
  }
  // Events are in the order their calls finished.
  for (let i = 1; i < events.length; i++)
    assert.ok((events[i] as SyscallEvent).line > (events[i - 1] as SyscallEvent).line);
});

test("mmap's arguments decoded: address, length, protections, flags, the descriptor's path (-y), offset", () => {
  const all = syscalls(captured("ls-version"));
  // After the program's execve (the first is env's, which started it).
  const events = all.slice(all.map((e) => e.name).lastIndexOf("execve"));
  const libc = events.filter(
    (e) => e.call?.call === "mmap" && e.call.fd.path === "/usr/lib/x86_64-linux-gnu/libc.so.6",
  );
  // ld.so: the whole span first (no address), then each later segment MAP_FIXED at its offset.
  assert.ok(libc.length >= 4);
  const [span, ...segments] = libc;
  assert.ok(span?.call?.call === "mmap");
  assert.equal(span.call.addr, 0n);
  assert.equal(span.call.offset, 0n);
  assert.equal(span.call.flags & MAP.MAP_FIXED, 0);
  // 3 is ld.so's debug output (LD_DEBUG_OUTPUT, opened first): libc is opened next.
  assert.equal(span.call.fd.fd, 4);
  for (const s of segments) {
    assert.ok(s.call?.call === "mmap");
    assert.ok(s.call.flags & MAP.MAP_FIXED);
    assert.equal(s.result.kind === "value" && s.result.value, s.call.addr);
    assert.equal(s.call.offset % 4096n, 0n);
  }
  const text = segments.find((s) => s.call?.call === "mmap" && s.call.prot & PROT.PROT_EXEC);
  assert.ok(text?.call?.call === "mmap");
  assert.equal(text.call.prot, PROT.PROT_READ | PROT.PROT_EXEC);
  // The call's own frame is ld.so's mmap; the stack has the file offsets of each return address.
  assert.equal(text.frames[0]?.object, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  assert.ok(text.frames.every((f) => f.fileOffset > 0n));
});

test("threads and processes: clone3's flags and stack, fork's child, execve's program, each exit", () => {
  const life = syscalls(captured("life"));
  const clones = life.filter((e) => e.call?.call === "clone");
  assert.equal(clones.length, 2);
  for (const c of clones) {
    assert.ok(c.call?.call === "clone");
    assert.ok(c.call.flags & CLONE_VM && c.call.flags & CLONE_THREAD);
    assert.ok(c.call.stack !== undefined && c.call.tls !== undefined);
    assert.equal(c.result.kind, "value");
  }
  const sh = parseStrace(captured("sh-child"));
  const execs = sh.filter((e): e is SyscallEvent => e.type === "syscall" && e.call?.call === "execve");
  assert.deepEqual(
    execs.map((e) => (e.call?.call === "execve" ? e.call.path : "")),
    ["/usr/bin/env", "/bin/sh", "/bin/true"],
  );
  assert.deepEqual(execs[1]?.call?.call === "execve" && execs[1].call.argv, [
    "/bin/sh",
    "-c",
    "/bin/true; exit 3",
  ]);
  // The holds that let the maps be read show in the text.
  assert.deepEqual(
    execs.map((e) => e.tampered),
    [undefined, "delayed", "delayed"],
  );
  const exits = sh.filter((e) => e.type === "exit");
  assert.deepEqual(
    exits.map((e) => e.type === "exit" && [e.how, e.status]),
    [
      ["exited", 0],
      ["exited", 3],
    ],
  );
});

test("a crash: the signal's fault address and ip, and the process killed by it", () => {
  const events = parseStrace(captured("crash"));
  const signal = events.find((e): e is SignalEvent => e.type === "signal");
  assert.ok(signal);
  assert.equal(signal.signal, "SIGSEGV");
  assert.equal(signal.info.si_code, "SEGV_ACCERR");
  assert.ok(signal.address !== undefined && signal.address > 0n);
  assert.ok(signal.ip !== undefined);
  // Its stack (-k): the faulting instruction is in main.
  assert.equal(signal.frames[0]?.symbol, "main");
  const last = events.at(-1);
  assert.ok(last?.type === "exit");
  assert.equal(last.how, "killed");
  assert.equal(last.signal, "SIGSEGV");
});

test("forms the captures do not hold: errors, escapes in -y paths, huge pages, frames without symbols", () => {
  const text = [
    "100 1700000000.000001 [00007f0000000010] mmap(NULL, 1073741824, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB, -1, 0) = -1 ENOMEM (Cannot allocate memory)",
    "100 1700000000.000002 [00007f0000000010] mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3</tmp/a b\\74c\\76, d\\ne\\303\\251>, 0) = 0x7f1234560000",
    " > /usr/bin/env(+0x0) [0x3033]",
    " > /usr/lib/x86_64-linux-gnu/libc.so.6() [0x1234]",
    " > unexpected_backtracing_error [0x7f0000000010]",
    "100 1700000000.000003 [00007f0000000020] mremap(0x7f1234560000, 4096, 12288, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f2000000000) = 0x7f2000000000",
    "100 1700000000.000004 [00007f0000000030] madvise(0x7f2000000000, 4096, MADV_DONTFORK) = 0",
    "100 1700000000.000005 [00007f0000000040] brk(0x55550000a000) = 0x555500000000",
    "100 1700000000.000006 [00007f0000000040] exit_group(1 <unfinished ...>",
    "101 1700000000.000007 [00007f0000000050] --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=102, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---",
    "100 1700000000.000008 [????????????????] <... exit_group resumed>) = ?",
    "101 1700000000.000009 [????????????????] +++ killed by SIGKILL (core dumped) +++",
  ].join("\n");
  const events = parseStrace(text);
  const [huge, file, mremap, madvise, brk, exit] = events.filter(
    (e) => e.type === "syscall",
  ) as SyscallEvent[];
  assert.deepEqual(huge?.result, { kind: "error", errno: "ENOMEM" });
  assert.ok(huge?.call?.call === "mmap");
  assert.equal(huge.call.flags >> 26, 21);
  assert.ok(huge.call.flags & MAP.MAP_HUGETLB);
  assert.ok(file?.call?.call === "mmap");
  assert.equal(file.call.fd.path, "/tmp/a b<c>, d\ne\xc3\xa9");
  assert.deepEqual(file.frames, [
    { object: "/usr/bin/env", symbol: undefined, symbolOffset: undefined, fileOffset: 0x3033n },
    {
      object: "/usr/lib/x86_64-linux-gnu/libc.so.6",
      symbol: undefined,
      symbolOffset: undefined,
      fileOffset: 0x1234n,
    },
    {
      object: "unexpected_backtracing_error",
      symbol: undefined,
      symbolOffset: undefined,
      fileOffset: 0x7f0000000010n,
    },
  ]);
  assert.ok(mremap?.call?.call === "mremap");
  assert.equal(mremap.call.newAddr, 0x7f2000000000n);
  assert.equal(mremap.call.flags, 3);
  assert.ok(madvise?.call?.call === "madvise");
  assert.equal(madvise.call.advice, 10);
  // brk's result is the break it left: here the old one, as the kernel refused to move it.
  assert.ok(brk?.call?.call === "brk");
  assert.equal(brk.call.addr, 0x55550000a000n);
  assert.deepEqual(brk.result, { kind: "value", value: 0x555500000000n });
  assert.equal(exit?.name, "exit_group");
  assert.equal(exit?.endTime, 1700000000000008);
  const signal = events.find((e) => e.type === "signal");
  assert.ok(signal?.type === "signal" && signal.info.si_pid === "102");
  const killed = events.at(-1);
  assert.ok(killed?.type === "exit" && killed.coreDumped && killed.signal === "SIGKILL");
});

test("argument lists split at top-level commas only; C escapes decoded", () => {
  assert.deepEqual(splitArgs('"a,b", [1, 2], {x=1, y={2, 3}}, 3</p, q>, 0 /* a, b */'), [
    '"a,b"',
    "[1, 2]",
    "{x=1, y={2, 3}}",
    "3</p, q>",
    "0 /* a, b */",
  ]);
  assert.equal(unescapeC('a\\tb\\\\c\\x41\\101\\"'), 'a\tb\\cAA"');
});
