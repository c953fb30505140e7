// Side-by-side timings of anatomy against GNU binutils (and elfutils), in one run: each group's
// commands run interleaved (a, b, c, a, b, c, ...) so a busy machine slows all of them alike, and the
// median of the runs is compared. Output goes to /dev/null.
//
// Peak memory: /usr/bin/time -f %M (GNU time: the child's ru_maxrss in KB) when installed; otherwise
// the child's VmHWM from /proc/PID/status, polled every few milliseconds until it exits (VmHWM only
// grows, so the last reading before exit is at most a few ms of growth short).
//
// Usage: node scripts/bench.mjs [--runs N] [--big FILE] [--lib FILE] [--libdir DIR] [--only ROW,...]
//          [--trace-rounds N] [--malloc-rounds N]
//   --only readelf,memory,version,nm,size,deps,check,layout,pmap,build,objdump,trace,trace-malloc
//   runs only the rows named (default: every row).
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ANATOMY = [process.execPath, join(ROOT, "bin/anatomy.js")];

const argv = process.argv.slice(2);
const opt = {
  runs: 5,
  big: "/usr/bin/node",
  lib: "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1",
  libdir: "/usr/lib/x86_64-linux-gnu",
  only: null,
  // The trace rows' programs (test/fixtures/trace/syscalls.c and mallocs.c): about 1.3 s and 0.3 s bare.
  traceRounds: 1_000_000,
  mallocRounds: 5_000_000,
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--runs") opt.runs = Number(argv[++i]);
  else if (a === "--big") opt.big = argv[++i];
  else if (a === "--lib") opt.lib = argv[++i];
  else if (a === "--libdir") opt.libdir = argv[++i];
  else if (a === "--only") opt.only = argv[++i].split(",");
  else if (a === "--trace-rounds") opt.traceRounds = Number(argv[++i]);
  else if (a === "--malloc-rounds") opt.mallocRounds = Number(argv[++i]);
  else throw new Error(`unknown argument ${a}`);
}
const env = { ...process.env, LC_ALL: "C" };
const want = (name) => opt.only === null || opt.only.includes(name);

function which(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim() || null;
}

/** Wall time of one run in ms, stdout to /dev/null; throws if the command fails to start. */
function timeOnce(cmd) {
  const devnull = openSync("/dev/null", "w");
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd[0], cmd.slice(1), { env, stdio: ["ignore", devnull, "ignore"], maxBuffer: 0 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error) throw r.error;
    return { ms, status: r.status };
  } finally {
    closeSync(devnull);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs each command `runs` times, interleaved, after one warm-up round; returns median ms per command. */
function timeGroup(cmds, runs) {
  for (const c of cmds) timeOnce(c.cmd); // warm the page cache
  const times = cmds.map(() => []);
  for (let i = 0; i < runs; i++) {
    cmds.forEach((c, k) => {
      times[k].push(timeOnce(c.cmd).ms);
    });
  }
  return times.map(median);
}

/** Peak resident memory of a command in MB (see the header for the method). */
async function peakMemoryMb(cmd) {
  if (existsSync("/usr/bin/time")) {
    const r = spawnSync("/usr/bin/time", ["-f", "%M", ...cmd], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    const kb = Number(r.stderr.trim().split("\n").pop());
    return { mb: kb / 1024, method: "/usr/bin/time -f %M" };
  }
  const child = spawn(cmd[0], cmd.slice(1), { env, stdio: ["ignore", "ignore", "ignore"] });
  let hwm = 0;
  const poll = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "latin1"));
      if (m) hwm = Math.max(hwm, Number(m[1]));
    } catch {}
  };
  const timer = setInterval(poll, 2);
  await new Promise((resolve) => child.on("exit", resolve));
  clearInterval(timer);
  return { mb: hwm / 1024, method: "VmHWM polled from /proc" };
}

function isElfOrArchive(path) {
  try {
    const fd = openSync(path, "r");
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    closeSync(fd);
    return b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
  } catch {
    return false;
  }
}

// ---- the table
const rows = [];
const row = (what, ours, theirs, ratio, target, pass) =>
  rows.push({ what, ours, theirs, ratio, target, pass });
const fmt = (ms) => `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;

console.log(`bench: ${opt.runs} runs each (median), interleaved; node ${process.version}`);
let failed = false;

// 1. readelf -W -s on a big executable: GNU readelf, elfutils eu-readelf.
if (want("readelf") && existsSync(opt.big)) {
  const group = [
    { name: "anatomy", cmd: [...ANATOMY, "readelf", "-W", "-s", opt.big] },
    { name: "readelf", cmd: ["readelf", "-W", "-s", opt.big] },
  ];
  if (which("eu-readelf")) group.push({ name: "eu-readelf", cmd: ["eu-readelf", "-W", "-s", opt.big] });
  const [a, gnu, eu] = timeGroup(group, opt.runs);
  const ok = a / gnu <= 0.5;
  failed ||= !ok;
  row(`readelf -W -s ${opt.big}`, fmt(a), `readelf ${fmt(gnu)}`, (a / gnu).toFixed(2), "<= 0.50", ok);
  if (eu !== undefined)
    row("  vs eu-readelf -W -s", fmt(a), `eu-readelf ${fmt(eu)}`, (a / eu).toFixed(2), "", null);
}

// 2. Peak memory of --dyn-syms on a large library.
if (want("memory") && existsSync(opt.lib)) {
  const m = await peakMemoryMb([...ANATOMY, "readelf", "-W", "--dyn-syms", opt.lib]);
  const g = await peakMemoryMb(["readelf", "-W", "--dyn-syms", opt.lib]);
  const ok = m.mb < 160;
  failed ||= !ok;
  row(
    `peak memory: readelf -W --dyn-syms ${opt.lib.split("/").pop()}`,
    `${m.mb.toFixed(0)} MB`,
    `readelf ${g.mb.toFixed(0)} MB`,
    (m.mb / g.mb).toFixed(2),
    "< 160 MB (aim 80)",
    ok,
  );
  rows.at(-1).note = `(${m.method})`;
}

// 3. Start-up: --version against a bare node.
if (want("version")) {
  const [a, n] = timeGroup(
    [{ cmd: [...ANATOMY, "--version"] }, { cmd: [process.execPath, "-e", "0"] }],
    Math.max(opt.runs, 10),
  );
  const ok = a / n <= 1.3;
  failed ||= !ok;
  row("anatomy --version vs node -e 0", fmt(a), `node ${fmt(n)}`, (a / n).toFixed(2), "<= 1.30", ok);
}

// 4. nm on the big executable.
if (want("nm") && existsSync(opt.big)) {
  const [a, gnu] = timeGroup([{ cmd: [...ANATOMY, "nm", opt.big] }, { cmd: ["nm", opt.big] }], opt.runs);
  row(`nm ${opt.big}`, fmt(a), `nm ${fmt(gnu)}`, (a / gnu).toFixed(2), "", null);
}

// 5. size over a directory of libraries, one invocation.
if (want("size") && existsSync(opt.libdir)) {
  const libs = readdirSync(opt.libdir)
    .filter((f) => /\.so(\.|$)/.test(f))
    .map((f) => join(opt.libdir, f))
    .filter((p) => statSync(p).isFile() && isElfOrArchive(p));
  const [a, gnu] = timeGroup([{ cmd: [...ANATOMY, "size", ...libs] }, { cmd: ["size", ...libs] }], opt.runs);
  row(
    `size on ${libs.length} libraries in ${opt.libdir}`,
    fmt(a),
    `size ${fmt(gnu)}`,
    (a / gnu).toFixed(2),
    "",
    null,
  );
}

// 6. deps over every ELF program in /usr/bin in one call, against libtree run on each.
const usrBin = !(want("deps") || want("check"))
  ? []
  : readdirSync("/usr/bin")
      .map((f) => join("/usr/bin", f))
      .filter((p) => {
        try {
          return statSync(p).isFile() && isElfOrArchive(p);
        } catch {
          return false;
        }
      });
if (want("deps") && which("libtree") && usrBin.length > 0) {
  const loop = ["sh", "-c", 'for f; do libtree "$f" >/dev/null 2>&1; done', "sh", ...usrBin];
  const [a, t] = timeGroup([{ cmd: [...ANATOMY, "deps", ...usrBin] }, { cmd: loop }], Math.min(opt.runs, 3));
  const ok = a / t <= 1;
  failed ||= !ok;
  row(
    `deps on ${usrBin.length} /usr/bin programs`,
    fmt(a),
    `libtree each ${fmt(t)}`,
    (a / t).toFixed(2),
    "<= 1.00 (aim 0.5)",
    ok,
  );
}

// 7. check on all of /usr/bin against checksec 2.6, whose time on the whole directory (minutes)
// is taken as its time on a sample of 20 programs, measured in the same run, times N/20.
if (want("check") && which("checksec") && usrBin.length > 0) {
  const sample = usrBin.filter((_, i) => i % Math.ceil(usrBin.length / 20) === 0);
  const loop = [
    "sh",
    "-c",
    'for f; do checksec --output=json --file="$f" >/dev/null 2>&1; done',
    "sh",
    ...sample,
  ];
  const [a, c] = timeGroup(
    [{ cmd: [...ANATOMY, "check", "--format", "checksec", "--dir", "/usr/bin"] }, { cmd: loop }],
    1,
  );
  const whole = (c * usrBin.length) / sample.length;
  const ok = a / whole < 0.02;
  failed ||= !ok;
  row(
    `check --dir /usr/bin (${usrBin.length} files)`,
    fmt(a),
    `checksec ~${fmt(whole)} (${sample.length}-file sample x ${(usrBin.length / sample.length).toFixed(1)})`,
    (a / whole).toFixed(4),
    "< 0.02",
    ok,
  );
}

// 8. layout of python3 against a bare node.
if (want("layout") && existsSync("/usr/bin/python3")) {
  const [a, n] = timeGroup(
    [{ cmd: [...ANATOMY, "layout", "/usr/bin/python3"] }, { cmd: [process.execPath, "-e", "0"] }],
    // Start-up times are short and noisy on a shared machine: a median of fewer runs swings by 0.2x.
    Math.max(opt.runs, 40),
  );
  const ok = a / n <= 1.5;
  failed ||= !ok;
  row("layout /usr/bin/python3 vs node -e 0", fmt(a), `node ${fmt(n)}`, (a / n).toFixed(2), "<= 1.50", ok);
}

// 9. pmap -X on a process with 10,000 mappings (every other page of one region made read-only).
if (want("pmap") && which("pmap") && which("python3")) {
  const script = [
    "import ctypes, mmap, sys, time",
    "libc = ctypes.CDLL(None)",
    "n = 10000",
    "buf = mmap.mmap(-1, n * 4096)",
    "addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))",
    "[libc.mprotect(ctypes.c_void_p(addr + i * 4096), 4096, 1) for i in range(0, n, 2)]",
    "print('ready', flush=True)",
    "time.sleep(300)",
  ].join("\n");
  const child = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  const pid = String(child.pid);
  const count = readFileSync(`/proc/${pid}/maps`, "latin1").split("\n").length - 1;
  const [a, p] = timeGroup(
    [{ cmd: [...ANATOMY, "pmap", "-X", pid] }, { cmd: ["pmap", "-X", pid] }],
    Math.max(opt.runs, 15),
  );
  child.kill("SIGKILL");
  const ok = a / p <= 1;
  failed ||= !ok;
  row(
    `pmap -X on a process with ${count} mappings`,
    fmt(a),
    `pmap ${fmt(p)}`,
    (a / p).toFixed(2),
    "<= 1.00",
    ok,
  );
}

// anatomy build hello.c against the bare driver run it makes (the same -save-temps -v -Wl,-Map): the
// analysis should be small beside gcc's own work.
if (want("build") && which("gcc")) {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-bench-build-"));
  const hello = join(ROOT, "test/fixtures/build/hello.c");
  const [a, gcc] = timeGroup(
    [
      { cmd: [...ANATOMY, "build", "--keep", dir, hello] },
      {
        cmd: [
          "sh",
          "-c",
          `cd ${dir} && gcc -save-temps=cwd -v -Wl,-Map=${dir}/a.out.map -o ${dir}/a.out ${hello} 2>/dev/null`,
        ],
      },
    ],
    opt.runs,
  );
  const ok = a / gcc <= 1.3;
  failed ||= !ok;
  row(
    `build test/fixtures/build/hello.c (median of ${opt.runs})`,
    fmt(a),
    `gcc ${fmt(gcc)}`,
    (a / gcc).toFixed(2),
    "<= 1.30",
    ok,
  );
}

// objdump -d of a big executable: no slower than GNU objdump, memory bounded (the listing streams).
if (want("objdump") && existsSync(opt.big) && which("objdump")) {
  const runs = Math.min(opt.runs, 3);
  const [a, gnu, alone] = timeGroup(
    [
      { cmd: [...ANATOMY, "objdump", "-d", opt.big] },
      { cmd: ["objdump", "-d", opt.big] },
      { cmd: ["env", "ANATOMY_THREADS=1", ...ANATOMY, "objdump", "-d", opt.big] },
    ],
    runs,
  );
  const ok = a / gnu <= 1;
  failed ||= !ok;
  row(
    `objdump -d ${opt.big} (median of ${runs})`,
    fmt(a),
    `objdump ${fmt(gnu)}`,
    (a / gnu).toFixed(2),
    "<= 1.00",
    ok,
  );
  // For the record: one thread alone (ANATOMY_THREADS=1); not a target.
  row(
    `objdump -d ${opt.big}, one thread`,
    fmt(alone),
    `objdump ${fmt(gnu)}`,
    (alone / gnu).toFixed(2),
    "",
    true,
  );
  // Each thread listing (src/cli/listing-threads.ts: one per core, at most 4) holds the symbols and
  // the section: the target is per thread. The process's peak counts every thread.
  const threads = Math.min(availableParallelism(), 4);
  const m = await peakMemoryMb([...ANATOMY, "objdump", "-d", opt.big]);
  const g = await peakMemoryMb(["objdump", "-d", opt.big]);
  const memOk = m.mb < 300 * threads;
  failed ||= !memOk;
  row(
    `peak memory: objdump -d ${opt.big} (${threads} threads)`,
    `${m.mb.toFixed(0)} MB`,
    `objdump ${g.mb.toFixed(0)} MB`,
    "",
    `< ${300 * threads} MB`,
    memOk,
  );
}

// ---- anatomy trace: the traced program's own time, bare, against the same program under the trace.
// The programs are compiled here with gcc -O2. A reference tool far slower than the program (strace
// stopping at every call, ltrace at every malloc) runs a reduced count once, after a warm-up, and its
// time is scaled to the full count (each call costs it the same), as the checksec row does.
const skipped = [];
const count = (n) => n.toLocaleString("en-US");
/** Compiles test/fixtures/trace/NAME.c with gcc -O2 into a directory of this run; null if it fails. */
let traceDir;
function traceProgram(name) {
  traceDir ??= mkdtempSync(join(tmpdir(), "anatomy-bench-trace-"));
  const out = join(traceDir, name);
  const r = spawnSync("gcc", ["-O2", "-o", out, join(ROOT, `test/fixtures/trace/${name}.c`)], {
    encoding: "utf8",
  });
  return r.status === 0 ? out : null;
}
/** One run's exit status and stderr: a trace that fails at once would otherwise time as fast. */
function probe(cmd) {
  const r = spawnSync(cmd[0], cmd.slice(1), { env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  return { status: r.status, stderr: (r.stderr ?? "").trim() };
}
/** The reference tool's time on `small` rounds, scaled to `full`. */
function scaledTime(cmd, small, full) {
  const [ms] = timeGroup([{ cmd }], 1);
  return (ms * full) / small;
}

// Default mode: 1,000,000 one-byte reads (not traced: --seccomp-bpf stops only at the address space's
// calls) and 100,000 malloc/free pairs, 100 of them mmapped.
if (want("trace") && (!which("gcc") || !which("strace"))) skipped.push("trace: needs gcc and strace");
else if (want("trace")) {
  const prog = traceProgram("syscalls");
  const n = opt.traceRounds;
  const traced = [...ANATOMY, "trace", "-o", "/dev/null", "--", prog, String(n)];
  const p = prog ? probe(traced) : { status: -1, stderr: "gcc failed on syscalls.c" };
  if (p.status !== 0) skipped.push(`trace: anatomy trace exits ${p.status}: ${p.stderr.split("\n")[0]}`);
  else {
    const runs = Math.min(opt.runs, 3);
    const [bare, a] = timeGroup([{ cmd: [prog, String(n)] }, { cmd: traced }], runs);
    const ok = a / bare <= 1.3;
    failed ||= !ok;
    row(
      `trace -- syscalls ${count(n)} reads, ${count(Math.ceil(n / 10))} malloc/free (median of ${runs})`,
      fmt(a),
      `bare ${fmt(bare)}`,
      (a / bare).toFixed(2),
      "<= 1.30",
      ok,
    );
    const small = Math.max(1000, Math.round(n / 50));
    const s = scaledTime(["strace", "-f", "-o", "/dev/null", prog, String(small)], small, n);
    row(
      "  vs strace -f -o /dev/null",
      "",
      `strace -f ~${fmt(s)} (${count(small)} rounds x ${Number((n / small).toFixed(1))})`,
      (s / bare).toFixed(2),
      "",
      null,
    );
  }
}

// --malloc: the malloc-heavy program, every call recorded by the preloaded shim.
const shim = join(ROOT, "dist/native/anatomy-malloc.so");
if (want("trace-malloc") && (!which("gcc") || !which("strace")))
  skipped.push("trace --malloc: needs gcc and strace");
else if (want("trace-malloc") && !existsSync(shim))
  skipped.push(`trace --malloc: ${shim} is not built (npm run build)`);
else if (want("trace-malloc")) {
  const prog = traceProgram("mallocs");
  const n = opt.mallocRounds;
  const traced = [...ANATOMY, "trace", "--malloc", "-o", "/dev/null", "--", prog, String(n)];
  // Asked on a program that ends at once first: an older anatomy says "unknown option --malloc".
  const p = prog
    ? probe([...ANATOMY, "trace", "--malloc", "-o", "/dev/null", "--", "/bin/true"])
    : { status: -1, stderr: "gcc failed on mallocs.c" };
  if (p.status !== 0)
    skipped.push(`trace --malloc: not supported yet (exits ${p.status}: ${p.stderr.split("\n")[0]})`);
  else {
    const runs = Math.min(opt.runs, 3);
    const group = [{ cmd: [prog, String(n)] }, { cmd: traced }];
    const heaptrack = which("heaptrack");
    if (heaptrack) group.push({ cmd: [heaptrack, "-o", join(traceDir, "heaptrack"), prog, String(n)] });
    else skipped.push("trace --malloc: heaptrack is not installed (its reference row left out)");
    const [bare, a, h] = timeGroup(group, runs);
    const ok = a / bare <= 3;
    failed ||= !ok;
    row(
      `trace --malloc -- mallocs ${count(n)} malloc/free (median of ${runs})`,
      fmt(a),
      `bare ${fmt(bare)}`,
      (a / bare).toFixed(2),
      "<= 3.00",
      ok,
    );
    if (h !== undefined)
      row("  vs heaptrack -o DIR/heaptrack", "", `heaptrack ${fmt(h)}`, (h / bare).toFixed(2), "", null);
    if (which("ltrace")) {
      const small = Math.max(1000, Math.round(n / 1000));
      const l = scaledTime(
        ["ltrace", "-f", "-e", "malloc+free+calloc+realloc", "-o", "/dev/null", prog, String(small)],
        small,
        n,
      );
      row(
        "  vs ltrace -f -e malloc+free+calloc+realloc",
        "",
        `ltrace ~${fmt(l)} (${count(small)} rounds x ${Number((n / small).toFixed(1))})`,
        (l / bare).toFixed(2),
        "",
        null,
      );
    } else skipped.push("trace --malloc: ltrace is not installed (its reference row left out)");
  }
}
if (traceDir) rmSync(traceDir, { recursive: true, force: true });

// ---- print
const cols = ["what", "anatomy", "reference", "ratio", "target", "result"];
const table = rows.map((r) => [
  r.what,
  r.ours,
  r.theirs,
  r.ratio,
  r.target,
  r.pass === null ? "" : r.pass ? "pass" : "FAIL",
]);
const widths = cols.map((c, i) => Math.max(c.length, ...table.map((t) => t[i].length)));
const line = (cells) =>
  cells
    .map((c, i) => c.padEnd(widths[i]))
    .join("  ")
    .trimEnd();
console.log(line(cols));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const [k, t] of table.entries()) console.log(line(t) + (rows[k].note ? `  ${rows[k].note}` : ""));
for (const why of skipped) console.log(`skipped: ${why}`);
process.exitCode = failed ? 1 : 0;
