import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { run } from "../src/cli/addr.js";
import { type CommandIO, openFile } from "../src/cli/io.js";
import { BufferSource, ElfFile } from "../src/elf/index.js";
import { aslrOffLoadBias } from "../src/process/addr-resolve.js";
import { locateInFile } from "../src/process/symbolize.js";
import { StringOutput } from "../src/render/output.js";

async function addr(args: string[]): Promise<{ out: string; err: string; status: number }> {
  const stdout = new StringOutput();
  const stderr = new StringOutput();
  const io: CommandIO = { stdout, stderr, openFile, env: {}, isTTY: false };
  const status = await run(args, io);
  return { out: stdout.toString(), err: stderr.toString(), status };
}

const FIXTURE = "test/fixtures/x86_64/pie";

test("a file address: section and the symbol whose size covers it", () => {
  const file = ElfFile.open(new BufferSource(readFileSync(FIXTURE)));
  const main = file.symbols(file.findSection(".symtab")!).find((s) => s.name === "main")!;
  const loc = locateInFile(file, main.st_value + 1n);
  assert.equal(loc.section, ".text");
  assert.equal(loc.symbol, "main");
  assert.equal(loc.symbolOffset, 1n);
  assert.equal(loc.exact, true);
});

test("anatomy addr FILE prints section and symbol+offset; bad input is an error line", async () => {
  const file = ElfFile.open(new BufferSource(readFileSync(FIXTURE)));
  const main = file.symbols(file.findSection(".symtab")!).find((s) => s.name === "main")!;
  const r = await addr([FIXTURE, `0x${(main.st_value + 4n).toString(16)}`, "nothex"]);
  assert.match(r.out, /\.text {2}main\+0x4\n/);
  assert.match(r.out, /^nothex is not a hexadecimal address$/m);
  assert.equal(r.status, 1);
});

test("anatomy addr PID: the mapping, file offset and libc symbol of an address in a live process", async () => {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 200));
  try {
    const maps = readFileSync(`/proc/${child.pid}/maps`, "latin1").split("\n");
    const text = maps.find((l) => /r-xp .*libc\.so\.6$/.test(l))!;
    const start = BigInt(`0x${text.split("-")[0]}`);
    const r = await addr(["--json", String(child.pid), `0x${(start + 0x100n).toString(16)}`]);
    const [answer] = JSON.parse(r.out) as { mapping: { path: string; perms: string }; section: string }[];
    assert.match(answer!.mapping.path, /libc\.so\.6$/);
    assert.equal(answer!.mapping.perms, "r-xp");
    assert.ok(answer!.section === ".text" || answer!.section === ".plt" || answer!.section === ".plt.got");
  } finally {
    child.kill("SIGKILL");
  }
});

const hex = (v: bigint) => `0x${v.toString(16)}`;
const symbolValue = (path: string, name: string): bigint => {
  const file = ElfFile.open(new BufferSource(readFileSync(path)));
  return file.symbols(file.findSection(".symtab")!).find((s) => s.name === name)!.st_value;
};

test("a PIE's runtime address with ASLR off: the kernel's load bias, said in one line", async () => {
  const main = symbolValue(FIXTURE, "main");
  const r = await addr([FIXTURE, hex(0x555555554000n + main + 4n)]);
  assert.equal(r.status, 0);
  assert.match(
    r.out,
    /^runtime address, load bias 0x555555554000 \(the kernel's ASLR-off base for a PIE; --base to change\)$/m,
  );
  assert.match(
    r.out,
    new RegExp(
      `^${hex(0x555555554000n + main + 4n)} {2}vaddr ${hex(main + 4n)} {2}\\.text {2}main\\+0x4$`,
      "m",
    ),
  );
  // Inside the PT_LOAD range it is the file's own address, and the output says so.
  const link = await addr([FIXTURE, hex(main)]);
  assert.match(
    link.out,
    /^link-time address \(inside test\/fixtures\/x86_64\/pie: its PT_LOAD segments span 0x0-0x4088;/m,
  );
  assert.match(link.out, /\.text {2}main\+0x0\n/);
});

test("--base gives the load bias; --base 0 reads addresses as link-time", async () => {
  const main = symbolValue(FIXTURE, "main");
  const r = await addr(["--base", "0x7f1234560000", FIXTURE, hex(0x7f1234560000n + main)]);
  assert.equal(r.status, 0);
  assert.match(r.out, /^runtime address, load bias 0x7f1234560000 \(from --base\)$/m);
  assert.match(r.out, /\.text {2}main\+0x0\n/);
  const zero = await addr([`--base=0`, FIXTURE, hex(main)]);
  assert.match(zero.out, /\.text {2}main\+0x0\n/);
  const bad = await addr(["--base", "nope", FIXTURE, "0x1"]);
  assert.equal(bad.status, 1);
  assert.match(bad.err, /--base wants a hexadecimal load bias/);
});

test("an address in nothing is said plainly, with exit status 1", async () => {
  const r = await addr([FIXTURE, "0x9999999"]);
  assert.equal(r.status, 1);
  assert.match(r.out, /^0x9999999 is in no segment of test\/fixtures\/x86_64\/pie \(/m);
  // A shared library's runtime address needs --base: mmap chose it.
  const lib = await addr(["test/fixtures/x86_64/libdemo.so", "0x7f0000001000"]);
  assert.equal(lib.status, 1);
  assert.match(lib.out, /is in no segment of .*libdemo\.so .*give --base ADDR/);
});

test("the ASLR-off PIE base for i386 and aarch64 (ELF_ET_DYN_BASE, masked to p_align)", () => {
  const bias = (path: string) => aslrOffLoadBias(ElfFile.open(new BufferSource(readFileSync(path))))?.bias;
  assert.equal(bias("test/fixtures/x86_64/pie"), 0x555555554000n);
  assert.equal(bias("test/fixtures/i386/pie"), 0x56555000n);
  // 2 * (1 << 48) / 3 = 0xaaaaaaaaaaaa, masked down to the 64 KiB p_align of the aarch64 fixture.
  assert.equal(bias("test/fixtures/aarch64/pie"), 0xaaaaaaaa0000n);
  // ET_EXEC and a shared library: no default.
  assert.equal(bias("test/fixtures/x86_64/nopie"), undefined);
  assert.equal(bias("test/fixtures/x86_64/libdemo.so"), undefined);
});

test("a truncated file: a problem line naming the structure and offset, exit 1, no crash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-addr-"));
  try {
    const cut = join(dir, "cut");
    writeFileSync(cut, readFileSync(FIXTURE).subarray(0, 3000));
    const r = await addr([cut, "0x1000"]);
    assert.equal(r.status, 1);
    assert.match(
      r.err,
      new RegExp(
        `^anatomy: ${cut}: section header table at offset 0x[0-9a-f]+: offset is beyond the end of the file \\(3000 bytes\\)$`,
        "m",
      ),
    );
    assert.match(
      r.err,
      new RegExp(
        `^anatomy: ${cut}: program header \\d+ \\(PT_LOAD\\) at offset 0x[0-9a-f]+: .*truncated$`,
        "m",
      ),
    );
    assert.doesNotMatch(r.err, /internal error|\n\s+at /);
    writeFileSync(cut, readFileSync(FIXTURE).subarray(0, 30));
    const short = await addr([cut, "0x1000"]);
    assert.equal(short.status, 1);
    assert.match(short.err, new RegExp(`^anatomy: ${cut}: ELF header at offset 0x0: `));
    const missing = await addr([join(dir, "absent"), "0x1"]);
    assert.equal(missing.err, `anatomy: ${join(dir, "absent")}: no such file or directory\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A PIE with a .bss array that starts in the data segment's last file page and runs on into
// anonymous pages, and a static one after it; it waits in pause() for the PID tests.
const BSS_PROGRAM = `#include <unistd.h>
static char small_bss[24];
char big_bss[1 << 20];
int main(void) { small_bss[0] = 1; big_bss[0] = 1; pause(); return small_bss[1]; }
`;
const noGcc = spawnSync("gcc", ["--version"]).status !== 0;
let bssDir: string | undefined;
function bssProgram(): string {
  bssDir ??= mkdtempSync(join(tmpdir(), "anatomy-addr-bss-"));
  const exe = join(bssDir, "bss");
  writeFileSync(`${exe}.c`, BSS_PROGRAM);
  const cc = spawnSync("gcc", ["-O0", "-fPIE", "-pie", "-o", exe, `${exe}.c`], { encoding: "utf8" });
  assert.equal(cc.status, 0, cc.stderr);
  return exe;
}
after(() => {
  if (bssDir) rmSync(bssDir, { recursive: true, force: true });
});

async function started(command: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: "ignore" });
  // Wait until the program itself (not the exec'ing parent) is mapped.
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      if (readFileSync(`/proc/${child.pid}/maps`, "latin1").includes(args.at(-1) ?? command)) return child;
    } catch {}
  }
  return child;
}

test("anatomy addr PID on .bss: the symbol, in the file's last page and in the anonymous pages after it", {
  skip: noGcc,
}, async () => {
  const exe = bssProgram();
  const big = symbolValue(exe, "big_bss");
  const small = symbolValue(exe, "small_bss");
  const child = await started(exe, []);
  try {
    const maps = readFileSync(`/proc/${child.pid}/maps`, "latin1").split("\n");
    const base = BigInt(`0x${maps.find((l) => l.endsWith(exe))!.split("-")[0]}`);
    const r = await addr([
      String(child.pid),
      hex(base + big + 8n),
      hex(base + big + 0x80000n),
      hex(base + small + 1n),
    ]);
    assert.equal(r.status, 0, r.out);
    const [inFilePage, inAnon, after] = r.out.trimEnd().split("\n");
    assert.match(
      inFilePage!,
      new RegExp(`^0x[0-9a-f]+  ${exe} \\(rw-p .*  vaddr ${hex(big + 8n)}  \\.bss  big_bss\\+0x8$`),
    );
    assert.doesNotMatch(inFilePage!, /file offset/);
    assert.match(
      inAnon!,
      new RegExp(
        `\\[anonymous\\] .*zero-filled memory of ${exe}  vaddr ${hex(big + 0x80000n)}  \\.bss  big_bss\\+0x80000$`,
      ),
    );
    assert.match(after!, /\.bss {2}small_bss\+0x1$/);
    const json = await addr(["--json", String(child.pid), hex(base + big)]);
    const [answer] = JSON.parse(json.out) as { loadBias: string; section: string; symbol: string }[];
    assert.deepEqual([answer!.loadBias, answer!.section, answer!.symbol], [hex(base), ".bss", "big_bss"]);
  } finally {
    child.kill("SIGKILL");
  }
});

test("anatomy addr FILE on .bss, and the ASLR-off default agrees with a live setarch -R process", {
  skip: noGcc || spawnSync("setarch", ["-R", "true"]).status !== 0 || process.arch !== "x64",
}, async () => {
  const exe = bssProgram();
  const small = symbolValue(exe, "small_bss");
  const child = await started("setarch", ["-R", exe]);
  try {
    const maps = readFileSync(`/proc/${child.pid}/maps`, "latin1").split("\n");
    assert.match(maps.find((l) => l.endsWith(exe))!, /^555555554000-/);
    const at = hex(0x555555554000n + small);
    const live = await addr([String(child.pid), at]);
    const file = await addr([exe, at]);
    assert.equal(live.status, 0);
    assert.equal(file.status, 0);
    assert.match(live.out, /\.bss {2}small_bss\+0x0$/m);
    assert.match(file.out, new RegExp(`^${at}  vaddr ${hex(small)}  \\.bss  small_bss\\+0x0$`, "m"));
  } finally {
    child.kill("SIGKILL");
  }
});

test("exit status: 1 when some address is unexplained, 0 when all are, in FILE and PID mode", async () => {
  const main = symbolValue(FIXTURE, "main");
  assert.equal((await addr([FIXTURE, hex(main)])).status, 0);
  assert.equal((await addr([FIXTURE, hex(main), "0x9999999"])).status, 1);
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 200));
  try {
    const maps = readFileSync(`/proc/${child.pid}/maps`, "latin1").split("\n");
    const stack = maps.find((l) => l.endsWith("[stack]"))!;
    const inStack = BigInt(`0x${stack.split("-")[0]}`) + 16n;
    const ok = await addr([String(child.pid), hex(inStack)]);
    assert.equal(ok.status, 0, ok.out);
    const some = await addr([String(child.pid), hex(inStack), "0x10"]);
    assert.equal(some.status, 1);
    assert.match(some.out, new RegExp(`^0x10 is in no mapping of process ${child.pid}$`, "m"));
    const nothex = await addr([String(child.pid), "zz"]);
    assert.equal(nothex.status, 1);
  } finally {
    child.kill("SIGKILL");
  }
  const gone = await addr(["999999999", "0x1"]);
  assert.equal(gone.status, 1);
  assert.match(gone.err, /^anatomy: \/proc\/999999999: no such process/);
});
