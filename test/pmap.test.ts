import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
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

// A process whose mappings have every kind of name pmap treats specially: spaces, a newline (\012), a
// tab, bytes that are not UTF-8 and some that are, a deleted file, SysV shared memory, and [anon:NAME]
// where the kernel has it.
const ODD_MAPPINGS = String.raw`
import ctypes, mmap, os, sys, tempfile, time
libc = ctypes.CDLL(None, use_errno=True)
d = tempfile.mkdtemp(prefix="anatomy pmap ")
keep = []
for name in [b"a b", b"new\nline", b"tab\there", b"latin1-\xe9\xff", "utf8-\u00e9\u4e2d".encode(), b"gone"]:
    p = os.path.join(d.encode(), name)
    with open(p, "wb") as f:
        f.write(b"x" * 8192)
    fd = os.open(p, os.O_RDWR)
    keep.append(mmap.mmap(fd, 8192, mmap.MAP_SHARED if name == b"a b" else mmap.MAP_PRIVATE))
    if name == b"gone":
        os.unlink(p)
libc.shmget.restype = ctypes.c_int
libc.shmat.restype = ctypes.c_void_p
shm = libc.shmget(0, 8192, 0o1600)
if shm >= 0:
    libc.shmat(shm, None, 0)
    libc.shmctl(shm, 0, None)  # IPC_RMID once detached: nothing left behind
anon = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
name = ctypes.c_char_p(b"anatomy test")
# PR_SET_VMA_ANON_NAME: [anon:NAME] on kernels built with CONFIG_ANON_VMA_NAME (else EINVAL, no name)
libc.prctl(0x53564d41, 0, ctypes.c_ulong(ctypes.addressof(ctypes.c_char.from_buffer(anon))), ctypes.c_ulong(4096), name)
print(d, flush=True)
time.sleep(600)
`;

const hasPython = spawnSync("python3", ["--version"]).status === 0;
test("pmap matches procps on odd mapping names (spaces, \\012, Latin-1, UTF-8, deleted, SysV shm, anon:NAME)", {
  skip: !(hasPmap && hasPython) && "pmap or python3 is missing",
}, async () => {
  const odd = spawn("python3", ["-c", ODD_MAPPINGS], { stdio: ["ignore", "pipe", "ignore"] });
  const dir = await new Promise<string>((done) =>
    odd.stdout!.once("data", (d: Buffer) => done(d.toString().trim())),
  );
  odd.kill("SIGSTOP");
  try {
    const pid = String(odd.pid);
    for (const locale of ["C", "C.UTF-8"])
      for (const flags of [[], ["-x"], ["-d"], ["-p"], ["-X"], ["-XX", "-p"]]) {
        const env = { LC_ALL: locale };
        const a = spawnSync("pmap", [...flags, pid], { env });
        const b = spawnSync(process.execPath, ["bin/anatomy.js", "pmap", ...flags, pid], { env });
        // Only the sharing-independent columns: PSS moves as other processes map python's libraries.
        assert.deepEqual(
          withoutPss(b.stdout.toString("latin1")),
          withoutPss(a.stdout.toString("latin1")),
          `${locale} pmap ${flags.join(" ")}`,
        );
        assert.equal(b.status, a.status);
      }
  } finally {
    odd.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
