import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { run } from "../src/cli/addr.js";
import { type CommandIO, openFile } from "../src/cli/io.js";
import { BufferSource, ElfFile } from "../src/elf/index.js";
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
  assert.match(r.out, /nothex {2}: not a hexadecimal address/);
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
