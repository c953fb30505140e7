import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import type { CommandIO } from "../src/cli/io.js";
import { run } from "../src/cli/pmap.js";
import { parseMaps, parseSmaps } from "../src/process/proc-maps.js";
import { StringOutput } from "../src/render/output.js";

const hasPmap = existsSync("/usr/bin/pmap");

async function oursAsync(args: string[]): Promise<{ out: string; status: number }> {
  const stdout = new StringOutput();
  const stderr = new StringOutput();
  const io: CommandIO = {
    stdout,
    stderr,
    openFile: () => {
      throw new Error("pmap opens no files");
    },
    env: { LC_ALL: "C" },
    isTTY: false,
  };
  const status = await run(args, io);
  return { out: stdout.toString() + stderr.toString(), status };
}

function theirs(args: string[], command = ["pmap"]): { out: string; status: number } {
  try {
    const out = execFileSync(command[0]!, [...command.slice(1), ...args], {
      env: { LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    }).toString("latin1");
    return { out, status: 0 };
  } catch (e) {
    const err = e as { stdout: Buffer; stderr: Buffer; status: number };
    return { out: err.stdout.toString("latin1") + err.stderr.toString("latin1"), status: err.status };
  }
}

/**
 * What does not move with sharing: the header row, and per mapping its address, perms, offset, device,
 * inode, size and name (RSS, PSS and the clean/dirty split change as other processes map the same pages).
 */
function withoutPss(text: string): string[][] {
  return text
    .split("\n")
    .map((l) => l.trim().split(/ +/))
    .filter((r) => r[0] === "Address" || /^[0-9a-f]{8,}$/.test(r[0] ?? ""))
    .map((r) => (r[0] === "Address" ? r : [...r.slice(0, 6), r[r.length - 1]!]));
}

let child: ReturnType<typeof spawn> | undefined;
before(async () => {
  child = spawn("sleep", ["600"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 300)); // let it exec and map its libraries
  child.kill("SIGSTOP");
});
after(() => {
  child?.kill("SIGKILL");
});

for (const flags of [
  [],
  ["-x"],
  ["-d"],
  ["-X"],
  ["-XX"],
  ["-q"],
  ["-x", "-q"],
  ["-X", "-q"],
  ["-p"],
  ["-X", "-p"],
  ["-X", "-A", "7f0000000000,7fffffffffff"],
  ["-x", "-A", "7f0000000000,7fffffffffff"],
  ["-XX", "-q", "-A", "7f0000000000"],
  // Several PIDs: -X keeps its columns and totals from one to the next ("PID" is the stopped process).
  ["-X", "PID", "1"],
  ["-XX", "-q", "PID"],
]) {
  test(`pmap ${flags.join(" ")} matches procps on a stopped process`, { skip: !hasPmap }, async () => {
    const pid = String(child!.pid);
    const argv = flags.map((f) => (f === "PID" ? pid : f));
    // PSS changes when other processes map or unmap the same libraries: retry a few times.
    let last: [string, string] = ["", ""];
    for (let attempt = 0; attempt < 5; attempt++) {
      const a = theirs([...argv, pid]);
      // Run ours as its own process too, so both see the same number of processes sharing libc (PSS).
      const b = theirs([...argv, pid], [process.execPath, "bin/anatomy.js", "pmap"]);
      if (a.out === b.out && a.status === b.status) return;
      last = [a.out, b.out];
    }
    // On a busy machine PSS keeps moving as other processes map and unmap libc; then compare every
    // column but the proportional ones (their widths may move with them).
    assert.deepEqual(withoutPss(last[1]), withoutPss(last[0]));
  });
}

test("pmap: a missing process gives procps' status 42 and no output", async () => {
  const r = await oursAsync(["999999999"]);
  assert.equal(r.out, "");
  assert.equal(r.status, 42);
});

test("maps parser keeps spaces, (deleted) and \\012 in paths", () => {
  const text = [
    "7f0000000000-7f0000001000 r--p 00000000 fe:00 42                         /tmp/a b (deleted)",
    "7f0000001000-7f0000002000 rw-p 00000000 00:00 0                          [anon:my name]",
    "7f0000002000-7f0000003000 r--s 00001000 fe:00 43                         /tmp/new\\012line",
    "7f0000003000-7f0000004000 ---p 00000000 00:00 0 ",
  ].join("\n");
  const maps = parseMaps(`${text}\n`);
  assert.equal(maps[0]!.path, "/tmp/a b (deleted)");
  assert.equal(maps[1]!.path, "[anon:my name]");
  assert.equal(maps[2]!.path, "/tmp/new\\012line");
  assert.equal(maps[2]!.offset, 0x1000n);
  assert.equal(maps[3]!.path, "");
});

test("smaps parser collects fields in order and VmFlags", () => {
  const text = `7f0000000000-7f0000001000 r--p 00000000 fe:00 42   /lib/x.so
Size:                  4 kB
Rss:                   4 kB
THPeligible:           0
VmFlags: rd mr mw me 
`;
  const [e] = parseSmaps(text);
  assert.deepEqual(e!.names, ["Size", "Rss", "THPeligible"]);
  assert.equal(e!.vmFlags, "rd mr mw me");
});
