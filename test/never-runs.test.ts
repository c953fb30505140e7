// No command runs the program it analyses, nor its interpreter: the fixture's PT_INTERP is a script
// that leaves a marker file when executed, and every command that takes a FILE is run on it.
import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { type CommandIO, type CommandRun, openFile } from "../src/cli/io.js";
import { StringOutput } from "../src/render/output.js";

const PROG = "test/fixtures/link/marker-prog";
const INTERP = "/tmp/anatomy-link-test-interp"; // what the fixture's PT_INTERP names
const MARKER = "/tmp/anatomy-never-runs-marker";

const commands: [string, () => Promise<{ run: CommandRun }>, string[]][] = [
  ["overview", () => import("../src/cli/overview.js"), [PROG]],
  ["readelf", () => import("../src/cli/readelf.js"), ["-a", PROG]],
  ["nm", () => import("../src/cli/nm.js"), ["-D", PROG]],
  ["size", () => import("../src/cli/size.js"), [PROG]],
  ["deps", () => import("../src/cli/deps.js"), [PROG]],
  ["ldd", () => import("../src/cli/ldd.js"), [PROG]],
  ["bind", () => import("../src/cli/bind.js"), [PROG]],
  ["check", () => import("../src/cli/check.js"), [PROG]],
  ["bundle", () => import("../src/cli/bundle.js"), ["--dry-run", PROG]],
  ["layout", () => import("../src/cli/layout.js"), ["--stage", "exec", PROG]],
  ["addr", () => import("../src/cli/addr.js"), [PROG, "0x1000"]],
];

test("no command executes the analysed program or its interpreter", { skip: !existsSync(PROG) }, async () => {
  rmSync(MARKER, { force: true });
  writeFileSync(INTERP, `#!/bin/sh\ntouch ${MARKER}\n`, { mode: 0o755 });
  try {
    for (const [name, load, args] of commands) {
      const stdout = new StringOutput();
      const stderr = new StringOutput();
      const io: CommandIO = { stdout, stderr, openFile, env: {}, isTTY: false };
      const { run } = await load();
      await run(args, io);
      assert.equal(existsSync(MARKER), false, `anatomy ${name} ran the interpreter`);
      assert.doesNotMatch(stderr.toString(), /internal error/, `anatomy ${name}`);
    }
  } finally {
    rmSync(INTERP, { force: true });
  }
});
