import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { CommandIO } from "../src/cli/io.js";
import { createPmapRc, readPmapRc } from "../src/cli/pmap-rc.js";
import { parseSmapsTable, stringBytes } from "../src/process/smaps-table.js";
import { StringOutput } from "../src/render/output.js";
import { defaultPmapOptions, newExtendedRun } from "../src/render/pmap.js";
import { PMAP_RC_TEXT, parsePmapRc, renderPmapRc } from "../src/render/pmap-rc.js";

const hasPmap = existsSync("/usr/bin/pmap");

function fakeIO(env: Record<string, string | undefined>): {
  io: CommandIO;
  out: StringOutput;
  err: StringOutput;
} {
  const out = new StringOutput();
  const err = new StringOutput();
  const io: CommandIO = {
    stdout: out,
    stderr: err,
    openFile: () => {
      throw new Error("pmap opens no ELF files");
    },
    env,
    isTTY: false,
  };
  return { io, out, err };
}

/** The real pmap: stdout, stderr and exit status, under a given environment. */
function pmap(
  args: string[],
  env: Record<string, string> = {},
): { out: string; err: string; status: number } {
  const r = spawnSync("/usr/bin/pmap", args, {
    env: { LC_ALL: "C", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { out: r.stdout.toString("latin1"), err: r.stderr.toString("latin1"), status: r.status ?? -1 };
}

let dir = "";
let child: ReturnType<typeof spawn> | undefined;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "pmap-rc-"));
  child = spawn("sleep", ["600"], { stdio: "ignore", env: { ...process.env, LC_ALL: "C" } });
  await new Promise((r) => setTimeout(r, 300)); // let it exec and map its libraries
  child.kill("SIGSTOP");
});
after(() => {
  child?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** `pmap -C FILE [flags] PID` as ours does it: the rc read by the CLI side, then the renderer. */
function ours(file: string, flags: string[], pids: number[]): { out: string; err: string } {
  const { io, out, err } = fakeIO({ LC_ALL: "C" });
  const rc = readPmapRc(io, file);
  assert.ok(rc);
  const opts = defaultPmapOptions();
  opts.quiet = flags.includes("-q");
  opts.showPath = flags.includes("-p");
  const run = newExtendedRun();
  for (const pid of pids) {
    const command = readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0+$/, "").replace(/\0/g, " ");
    const table = parseSmapsTable(readFileSync(`/proc/${pid}/smaps`));
    renderPmapRc({ pid, command, startStack: 0n }, table, rc, opts, out, run);
  }
  return { out: out.toString(), err: err.toString() };
}

/**
 * Rows as words, without the columns that move with other processes: Pss, and the shared/private
 * split of clean and dirty pages (a page turns shared when another process maps the same libc);
 * `header` is a header line of the same view, to find those columns when -q leaves it out.
 */
function withoutPss(text: string, header: string): string[][] {
  const drop = new Set(
    header
      .trim()
      .split(/ +/)
      .flatMap((w, i) => (/Pss|^Shared_|^Private_/.test(w) ? [i] : [])),
  );
  return text
    .split("\n")
    .map((line) => line.trim().split(/ +/))
    .filter((words) => /^[0-9a-f]{8,}$/.test(words[0]!))
    .map((words) => words.filter((_, i) => !drop.has(i)));
}

const line = (c: string, n: number): string => c.repeat(n);
const RC_FILES: Record<string, string> = {
  template: PMAP_RC_TEXT,
  "perm, rss, vmflags, mapping": PMAP_RC_TEXT.replace(/^#(Perm|Rss|VmFlags|Mapping)$/gm, "$1"),
  "everything, ShowPath": PMAP_RC_TEXT.replace(/^#(?![ p])/gm, ""),
  "no Mapping, kernel-only fields": "[Fields Display]\nKernelPageSize\nTHPeligible\nLocked\nVmFlags\n",
  "syntax errors, sections": [
    "Rss",
    "[Fields Display] Size",
    "  [Foo] bar",
    "[Foo] # ok",
    "Pss",
    "[Fields Display",
    "\tPerm  # c",
    "Inode x",
    "[Mapping]Mapping",
    "ShowPath",
    " ShowPath  #",
    "[Fields Display]#",
    "Swap\tLocked",
    "",
  ].join("\n"),
  "long lines, NUL, CRLF": `[Fields Display]\r\nRss\n${line("a", 1023)}\n${line("b", 1024)}\nSize\n${line("c", 2000)}\nMapping\nPerm\0Size\nOffset\r\n[Mapping]\nShowPath\nInode`,
  "long last line": `[Fields Display]\nRss\n${line("b", 1024)}`,
  "ShowPath three times, 31-byte names": `[Fields Display]\nRss\nMapping\nSizeXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n[Mapping]\nShowPath\nShowPath\nShowPath junk\nShowPathX\n`,
  "empty file": "",
};

for (const [name, text] of Object.entries(RC_FILES)) {
  for (const flags of [[], ["-q"], ["-p"]]) {
    test(`pmap -C (${name}) ${flags.join(" ")} matches procps`, { skip: !hasPmap }, () => {
      const file = join(dir, "rc");
      writeFileSync(file, text, "latin1");
      const pid = child!.pid!;
      let last: [string, string] = ["", ""];
      // Pss changes while pmap itself maps libc: retry, then compare all but the Pss columns.
      for (let attempt = 0; attempt < 5; attempt++) {
        const real = pmap(["-C", file, ...flags, String(pid)]);
        const mine = ours(file, flags, [pid]);
        assert.equal(real.status, 0);
        assert.equal(mine.err, real.err);
        if (mine.out === real.out) return;
        last = [real.out, mine.out];
      }
      const header = ours(file, [], [pid]).out.split("\n")[1]!;
      assert.deepEqual(withoutPss(last[1], header), withoutPss(last[0], header));
    });
  }
}

test("pmap -C with several PIDs keeps columns and adds totals up, as 4.0.2 does", { skip: !hasPmap }, () => {
  const file = join(dir, "rc-multi");
  writeFileSync(file, "[Fields Display]\nRss\nSwap\nPerm\n", "latin1");
  const pid = child!.pid!;
  for (const flags of [[], ["-q"]]) {
    const real = pmap(["-C", file, ...flags, String(pid), String(pid)]);
    assert.equal(ours(file, flags, [pid, pid]).out, real.out);
  }
});

test("pmap -C on a directory reads as an empty rc", { skip: !hasPmap }, () => {
  const pid = child!.pid!;
  const real = pmap(["-C", dir, String(pid)]);
  assert.equal(ours(dir, [], [pid]).out, real.out);
});

/** Runs ours and the real pmap on the same request, each with its own fresh HOME. */
function both(
  mine: (io: CommandIO) => number | undefined,
  args: string[],
  env: (home: string) => Record<string, string>,
): void {
  const a = join(dir, `home-${Math.random().toString(36).slice(2)}`);
  const b = join(dir, `home-${Math.random().toString(36).slice(2)}`);
  mkdirSync(a);
  mkdirSync(b);
  for (let round = 0; round < 2; round++) {
    const real = pmap(
      args.map((s) => s.replace("@HOME", a)),
      env(a),
    );
    const { io, err } = fakeIO(env(b));
    const status = mine(io);
    assert.equal(err.toString(), real.err, `round ${round}`);
    assert.equal(status, real.status, `round ${round}`);
    const rc = (h: string): string | undefined =>
      existsSync(join(h, ".pmaprc")) ? readFileSync(join(h, ".pmaprc"), "latin1") : undefined;
    assert.equal(rc(b), rc(a));
    const made = (h: string): string | undefined =>
      existsSync(join(h, "made.rc")) ? readFileSync(join(h, "made.rc"), "latin1") : undefined;
    assert.equal(made(b), made(a));
  }
}

test("pmap -n creates ~/.pmaprc once, byte for byte, then refuses", { skip: !hasPmap }, () => {
  both(
    (io) => createPmapRc(io, undefined),
    ["-n"],
    (home) => ({ HOME: home }),
  );
});

test("pmap -N FILE creates FILE, then refuses", { skip: !hasPmap }, () => {
  let home = "";
  both(
    (io) => createPmapRc(io, join(home, "made.rc")),
    ["-N", "@HOME/made.rc"],
    (h) => {
      home = h;
      return { HOME: h };
    },
  );
});

test("pmap -N into a missing directory, -n without HOME", { skip: !hasPmap }, () => {
  both(
    (io) => createPmapRc(io, join(dir, "no/such/dir")),
    ["-N", join(dir, "no/such/dir")],
    () => ({}),
  );
  both(
    (io) => createPmapRc(io, undefined),
    ["-n"],
    () => ({}),
  );
});

test("pmap -c / -C errors: missing rc files and HOME", { skip: !hasPmap }, () => {
  const pid = String(child!.pid);
  const cases: [string | undefined, string[], Record<string, string>][] = [
    [undefined, ["-c", pid], { HOME: join(dir, "nowhere") }],
    [undefined, ["-c", pid], {}],
    [join(dir, "missing.rc"), ["-C", join(dir, "missing.rc"), pid], {}],
    ["", ["-C", "", pid], {}],
  ];
  for (const [file, args, env] of cases) {
    const real = pmap(args, env);
    const { io, err } = fakeIO(env);
    assert.equal(readPmapRc(io, file), undefined);
    assert.equal(real.status, 1);
    assert.equal(err.toString(), real.err);
  }
});

test("rc parser: what procps 4.0.2 enables and warns about", () => {
  const rc = parsePmapRc(RC_FILES["syntax errors, sections"]!);
  // After "[Foo] # ok" every entry is ignored up to "[Mapping]Mapping"; "[Fields Display" changes nothing.
  assert.deepEqual([...rc.fields], ["Size", "Swap"]);
  // "ShowPath" then " ShowPath  #": flipped twice.
  assert.equal(rc.showPathToggled, false);
  assert.deepEqual(rc.warnings, [
    "syntax error found in the config - line 1",
    "syntax error found in the config - line 2",
    "unsupported section found in the config - line 3",
    "syntax error found in the config - line 3",
    "unsupported section found in the config - line 4",
    "syntax error found in the config - line 6",
    "syntax error found in the config - line 9",
    "syntax error found in the config - line 13",
  ]);
  const long = parsePmapRc(RC_FILES["long lines, NUL, CRLF"]!);
  // "[Fields Display]\r": the \r is text after the section name.
  assert.deepEqual(long.warnings, [
    "syntax error found in the config - line 1",
    "config line too long - line 4",
    "config line too long - line 6",
  ]);
  assert.equal(long.showPathToggled, true);
  // The \r after "[Fields Display]" is enabled as an entry; Inode comes after [Mapping].
  assert.deepEqual(
    [...long.fields],
    ["\r", "Rss", "a".repeat(31), "b".repeat(31), "Size", "c".repeat(31), "Mapping", "Perm", "Offset\r"],
  );
});

test("renderer: header, rows and footer of an rc view on a fixed smaps", () => {
  const smaps = `00400000-00401000 r-xp 00000000 fe:00 42                                 /usr/bin/x
Size:                  4 kB
Rss:                   4 kB
Pss:                   2 kB
VmFlags: rd ex 
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
Size:                132 kB
Rss:                  12 kB
Pss:                  12 kB
VmFlags: rd wr mr mw me gd ac 
`;
  const rc = parsePmapRc("[Fields Display]\nPerm\nRss\nVmFlags\nMapping\n[Mapping]\nShowPath\n");
  const out = new StringOutput();
  const opts = defaultPmapOptions();
  renderPmapRc({ pid: 7, command: "x", startStack: 0n }, parseSmapsTable(stringBytes(smaps)), rc, opts, out);
  assert.equal(
    out.toString(),
    [
      "7:   x",
      "     Address Perm Rss              VmFlags Mapping",
      "    00400000 r-xp   4                rd ex /usr/bin/x",
      "7ffd00000000 rw-p  12 rd wr mr mw me gd ac [stack]",
      "                  === ",
      "                   16 KB ",
      "",
    ].join("\n"),
  );
});
