import assert from "node:assert/strict";
import { test } from "node:test";
import { columns, ELLIPSIS, elideList, elidePath, padColumns } from "../src/render/elide.js";

/** Byte strings (what renderers write) shown as the terminal shows them. */
const shown = (s: string): string => Buffer.from(s, "latin1").toString("utf8");

test("elidePath keeps whole trailing components after …/", () => {
  const libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  assert.equal(elidePath(libc, 40), libc);
  assert.equal(shown(elidePath(libc, 28)), "…/x86_64-linux-gnu/libc.so.6");
  assert.equal(shown(elidePath(libc, 27)), "…/libc.so.6");
  assert.equal(columns(elidePath(libc, 28)), 28);
  // The base name alone when …/ does not fit; a base name too long for the column is cut in its middle.
  assert.equal(elidePath(libc, 10), "libc.so.6");
  assert.equal(shown(elidePath("_struct.cpython-311-x86_64-linux-gnu.so", 21)), "_struct.cp…nux-gnu.so");
  assert.equal(
    elidePath("_struct.cpython-311-x86_64-linux-gnu.so", 21, { ellipsis: "..." }),
    "_struct.c...ux-gnu.so",
  );
  for (const w of [1, 5, 12, 20, 30]) assert.ok(columns(elidePath(libc, w)) <= w, `width ${w}`);
});

test("elidePath counts a UTF-8 name by the columns it takes", () => {
  const path = Buffer.from("/srv/données/é/libx.so", "utf8").toString("latin1");
  assert.equal(columns(path), 22);
  assert.equal(elidePath(path, 22), path);
  assert.equal(shown(elidePath(path, 18)), "…/é/libx.so");
  assert.equal(shown(padColumns(elidePath(path, 18), 12)), "…/é/libx.so ");
});

test("elideList keeps whole names and says how many were left out", () => {
  const sections = [".tdata", ".tbss", ".init_array", ".fini_array", ".data.rel.ro", ".dynamic", ".got"];
  assert.equal(elideList(sections, 80), sections.join(" "));
  assert.equal(elideList(sections, 46), ".tdata .tbss .init_array .fini_array +3 more");
  assert.equal(elideList(sections, 20), ".tdata .tbss +5 more");
  assert.equal(elideList(sections, 8), "+7 more");
  assert.equal(elideList(sections, 3), ELLIPSIS);
  assert.equal(elideList(sections, 3, " ", { ellipsis: "..." }), "...");
});
