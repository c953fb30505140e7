import assert from "node:assert/strict";
import { test } from "node:test";
import { mapsEntryAt, parseSmaps, smapsEntries } from "../src/process/proc-maps.js";
import { ProcFormatError, parseSmapsTable, stringBytes } from "../src/process/smaps-table.js";
import { StringOutput } from "../src/render/output.js";
import {
  defaultPmapOptions,
  InconsistentSmapsError,
  newExtendedRun,
  renderPmapExtended,
} from "../src/render/pmap.js";

const HEAD_A = "7f0000000000-7f0000002000 r--p 00001000 fe:01 1234   /usr/lib/a b.so (deleted)";
const HEAD_B = "7f0000002000-7f0000003000 rw-p 00000000 00:00 0 ";
const SMAPS = `${HEAD_A}
Size:                  8 kB
Rss:                   4 kB
THPeligible:           1
VmFlags: rd mr mw me 
${HEAD_B}
Size:                  4 kB
Rss:                  12 kB
Swap:                  3 kB
THPeligible:           0
${HEAD_A.replace("7f0000000000-7f0000002000", "ffffffffff600000-ffffffffff601000")}
Size:                  4 kB
Rss:                   0 kB
THPeligible:           0
VmFlags: ex`;

test("smaps table: positions, values, per-mapping field lists and VmFlags", () => {
  const t = parseSmapsTable(stringBytes(SMAPS));
  assert.equal(t.count, 3);
  assert.deepEqual(t.schemas, [
    ["Size", "Rss", "THPeligible"],
    ["Size", "Rss", "Swap", "THPeligible"],
  ]);
  assert.deepEqual(Array.from(t.schemaOf.subarray(0, t.count)), [0, 1, 0]);
  const entries = parseSmaps(SMAPS);
  assert.deepEqual(
    entries.map((e) => [e.startText, e.perms, e.offsetText, e.devText, e.inodeText, e.path, e.vmFlags]),
    [
      ["7f0000000000", "r--p", "00001000", "fe:01", "1234", "/usr/lib/a b.so (deleted)", "rd mr mw me"],
      ["7f0000002000", "rw-p", "00000000", "00:00", "0", "", undefined],
      ["ffffffffff600000", "r--p", "00001000", "fe:01", "1234", "/usr/lib/a b.so (deleted)", "ex"],
    ],
  );
  assert.deepEqual(
    entries.map((e) => Array.from(e.values)),
    [
      [8, 4, 1],
      [4, 12, 3, 0],
      [4, 0, 0],
    ],
  );
  assert.equal(entries[2]!.end, 0xffffffffff601000n);
  assert.equal(mapsEntryAt(t, 0).offset, 0x1000n);
});

test("smaps table: a line that is neither a field nor a mapping names its line number", () => {
  for (const [text, line] of [
    [`${HEAD_A}\nSize:   8 kB\nRss: x kB\n`, 3],
    [`${HEAD_A}\nSize:   8 kB trailing\n`, 2],
    ["7f0000000000-7f0000002000 r--p 00001000 fe:01\n", 1],
    ["Size: 4 kB\n", 1],
  ] as const) {
    assert.throws(
      () => parseSmapsTable(stringBytes(text), "/proc/1/smaps"),
      (e: unknown) => e instanceof ProcFormatError && e.lineNumber === line && e.file === "/proc/1/smaps",
    );
  }
});

test("pmap -X from a table: columns from the first mapping's fields, totals, no -A range", () => {
  // The kernel prints the same fields for every mapping; for one that has fewer, pmap prints the
  // previous mapping's values in the columns left over (its list keeps the last value read).
  const text = SMAPS.replace("Swap:                  3 kB\nTHPeligible:           0\n", "");
  const out = new StringOutput();
  const opts = { ...defaultPmapOptions(), mode: "X" as const, rangeLow: 0x7f0000002000n };
  renderPmapExtended(
    { pid: 7, command: "demo", startStack: 0n },
    parseSmapsTable(stringBytes(text)),
    opts,
    out,
  );
  assert.equal(
    out.toString(),
    [
      "7:   demo",
      "         Address Perm   Offset Device Inode Size Rss THPeligible Mapping",
      "    7f0000000000 r--p 00001000  fe:01  1234    8   4           1 a b.so (deleted)",
      "    7f0000002000 rw-p 00000000  00:00     0    4  12           1 ",
      "ffffffffff600000 r--p 00001000  fe:01  1234    4   0           0 a b.so (deleted)",
      "                                            ==== === =========== ",
      "                                              16  16           1 KB ",
      "",
    ].join("\n"),
  );
});

test("pmap -X: a process without mappings (a kernel thread) prints no header; later PIDs add to the totals", () => {
  const out = new StringOutput();
  const opts = { ...defaultPmapOptions(), mode: "X" as const };
  const run = newExtendedRun();
  const one = "7f0000000000-7f0000001000 r--p 00000000 00:00 0 \nSize:   4 kB\nRss:  1234 kB\n";
  const processes: Array<[number, string, string]> = [
    [2, "[kthreadd]", ""],
    [3, "a", one],
    [4, "b", one],
  ];
  for (const [pid, command, smaps] of processes)
    renderPmapExtended(
      { pid, command, startStack: 0n },
      parseSmapsTable(stringBytes(smaps)),
      opts,
      out,
      undefined,
      run,
    );
  assert.equal(
    out.toString(),
    [
      "2:   [kthreadd]",
      "3:   a",
      "     Address Perm   Offset Device Inode Size  Rss Mapping",
      "7f0000000000 r--p 00000000  00:00     0    4 1234 ",
      "                                        ==== ==== ",
      "                                           4 1234 KB ",
      "4:   b",
      "     Address Perm   Offset Device Inode Size  Rss Mapping",
      "7f0000000000 r--p 00000000  00:00     0    4 1234 ",
      "                                        ==== ==== ",
      "                                           8 2468 KB ",
      "",
    ].join("\n"),
  );
});

test("smaps table: 2000 mutated inputs give a table or a ProcFormatError, never anything else", () => {
  const base = stringBytes(SMAPS);
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const alphabet = stringBytes(" \n:-0123456789abcdefkB\t\\/[]x\x00\xff");
  let errors = 0;
  for (let round = 0; round < 2000; round++) {
    let bytes = base.slice();
    for (let k = 1 + random(4); k > 0; k--) {
      const at = random(bytes.length);
      const kind = random(3);
      if (kind === 0) bytes[at] = alphabet[random(alphabet.length)]!;
      else if (kind === 1) bytes = bytes.subarray(0, at);
      else bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + random(8))]);
    }
    let table: ReturnType<typeof parseSmapsTable>;
    try {
      table = parseSmapsTable(bytes);
    } catch (e) {
      assert.ok(e instanceof ProcFormatError, String(e));
      errors++;
      continue;
    }
    // What parses must render (or stop as pmap does on fields that differ) and convert.
    const out = new StringOutput();
    const opts = { ...defaultPmapOptions(), mode: "XX" as const };
    try {
      renderPmapExtended({ pid: 1, command: "m", startStack: 0n }, table, opts, out);
    } catch (e) {
      assert.ok(e instanceof InconsistentSmapsError, String(e));
    }
    for (const e of smapsEntries(table)) assert.equal(e.line.includes("\n"), false);
  }
  // Both outcomes happen: the mutations are not all harmless, nor all fatal.
  assert.ok(errors > 100 && errors < 1900, `${errors} errors`);
});
