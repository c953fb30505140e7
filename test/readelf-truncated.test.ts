import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { run } from "../src/cli/readelf.js";
import { runCli } from "./helpers/run-cli.js";

// Truncated copies of the x86_64 PIE fixture: the ELF header survives, the section headers (at the end
// of the file) do not, and the program headers and notes do or do not depending on the cut.
const PIE = readFileSync(new URL("fixtures/x86_64/pie", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "anatomy-readelf-truncated-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function cut(bytes: number): string {
  const path = join(dir, `pie.${bytes}`);
  writeFileSync(path, PIE.subarray(0, bytes));
  return path;
}

const SECTIONS_LOST = "readelf: Error: Reading 2112 bytes extends past end of file for section headers\n";
const DYNAMIC_LOST = "readelf: Error: the dynamic segment offset + size exceeds the size of the file\n";

test("truncated: unreadable section headers are reported but leave the exit status 0", async () => {
  const path = cut(1000);
  for (const view of ["-h", "-l", "-S", "-d", "-s", "-r"]) {
    const r = await runCli(run, ["-W", view, path]);
    assert.equal(r.status, 0, `readelf ${view}`);
    assert.ok(r.err.startsWith(SECTIONS_LOST), `readelf ${view}: ${r.err}`);
  }
});

test("truncated: -n falls back to the PT_NOTE segments when the section headers are unreadable", async () => {
  const r = await runCli(run, ["-W", "-n", cut(1000)]);
  assert.equal(r.status, 0);
  assert.equal(r.err, SECTIONS_LOST + DYNAMIC_LOST);
  assert.match(r.out, /^\nDisplaying notes found at file offset 0x00000370 with length 0x00000020:\n/);
  assert.match(r.out, /\nDisplaying notes found at file offset 0x00000390 with length 0x00000044:\n/);
  assert.match(r.out, /NT_GNU_BUILD_ID \(unique build ID bitstring\)\t {4}Build ID: [0-9a-f]{40}\n/);
});

test("truncated: a note segment cut short fails -n with readelf's message", async () => {
  const r = await runCli(run, ["-W", "-n", cut(0x390 + 20)]);
  assert.equal(r.status, 1);
  assert.match(r.err, /readelf: Error: Reading 68 bytes extends past end of file for notes\n$/);
  assert.match(r.out, /Displaying notes found at file offset 0x00000370/);
});

test("truncated: -a reports the lost section headers once, then skips the views that need them", async () => {
  const r = await runCli(run, ["-W", "-a", cut(1000)]);
  assert.equal(r.status, 0);
  assert.equal(r.err, `${SECTIONS_LOST}readelf: Error: Section headers are not available!\n${DYNAMIC_LOST}`);
  assert.doesNotMatch(r.out, /unwind/);
  assert.match(r.out, /Displaying notes found at file offset 0x00000370/);
});

test("truncated: unreadable program headers are reported by each reader, as get_program_headers does", async () => {
  const tooMany = "readelf: Error: Too many program headers - 0xe - the file is not that big\n";
  const h = await runCli(run, ["-W", "-h", cut(64)]);
  assert.equal(h.status, 0);
  // is_pie for the "Type:" line, then process_section_headers, then process_program_headers.
  assert.equal(h.err, tooMany + SECTIONS_LOST + tooMany);
  const n = await runCli(run, ["-W", "-n", cut(64)]);
  assert.equal(n.status, 0);
  assert.equal(n.err, SECTIONS_LOST + tooMany + tooMany);
  assert.equal(n.out, "");
});

test("truncated: the views lost with the section headers stay off for later files, as readelf's do_* flags do", async () => {
  const good = new URL("fixtures/x86_64/pie", import.meta.url).pathname;
  const r = await runCli(run, ["-W", "-u", "-r", cut(1000), good]);
  assert.equal(r.status, 0);
  assert.equal(r.out, `\nFile: ${join(dir, "pie.1000")}\n\nFile: ${good}\n`);
});

// With binutils 2.40 on this machine, every cut and view must match it: stdout, stderr without the
// program name, and the exit status.
const version = spawnSync("readelf", ["--version"], { encoding: "latin1" });
const haveReadelf = version.status === 0 && version.stdout.includes("2.40");

test("truncated copies match GNU readelf 2.40", {
  skip: !haveReadelf && "readelf 2.40 is not installed",
}, async () => {
  const views = ["-h", "-l", "-S", "-n", "-d", "-s", "-r", "-a", "-e", "-I", "-V", "-A", "-u"];
  const cuts = [52, 64, 65, 120, 0x370 + 2, 0x390 + 20, 1000, 3000, 0x2db0 + 8, 0x2db0 + 0x100, 16000];
  const withoutName = (s: string) => s.replace(/^readelf: /gm, "");
  for (const bytes of cuts) {
    const path = cut(bytes);
    for (const view of views) {
      const gnu = spawnSync("readelf", ["-W", view, path], { encoding: "latin1", env: { LC_ALL: "C" } });
      const ours = await runCli(run, ["-W", view, path]);
      const label = `readelf -W ${view} on ${bytes} bytes`;
      assert.equal(ours.out, gnu.stdout, `${label}: stdout`);
      assert.equal(withoutName(ours.err), withoutName(gnu.stderr), `${label}: stderr`);
      assert.equal(ours.status, gnu.status, `${label}: status`);
    }
  }
});
