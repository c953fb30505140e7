// The linker's symbol errors read from its own messages (GNU ld 2.40's wording, with and without
// debug info, from a function or from data) and explained.
import assert from "node:assert/strict";
import { test } from "node:test";
import { explainLinkErrors, parseLinkErrors } from "../src/build/link-errors.js";

test("undefined references: one entry per symbol, each use with its object, function and place", () => {
  const errors = parseLinkErrors(
    [
      "/usr/bin/ld: a-math.o: in function `main':",
      "math.c:(.text+0x27): undefined reference to `sqrt'",
      "/usr/bin/ld: math.c:(.text+0x40): undefined reference to `sqrt'",
      "/usr/bin/ld: a-use.o: in function `run':",
      "/src/use.c:4: undefined reference to `missing'",
      "/usr/bin/ld: a-data.o:(.data.rel.local+0x0): undefined reference to `table'",
      "collect2: error: ld returned 1 exit status",
    ].join("\n"),
  );
  assert.deepEqual(errors, [
    {
      kind: "undefined",
      symbol: "sqrt",
      uses: [
        { object: "a-math.o", at: ".text+0x27", function: "main" },
        { object: "math.c", at: ".text+0x40", function: undefined },
      ],
    },
    {
      kind: "undefined",
      symbol: "missing",
      uses: [{ object: "a-use.o", at: "/src/use.c:4", function: "run" }],
    },
    {
      kind: "undefined",
      symbol: "table",
      uses: [{ object: "a-data.o", at: ".data.rel.local+0x0", function: undefined }],
    },
  ]);
});

test("multiple definitions: the later one and the first, each with its object", () => {
  const errors = parseLinkErrors(
    [
      "/usr/bin/ld: a-dup.o:(.data+0x0): multiple definition of `shared_counter'; a-two-b.o:(.bss+0x0): first defined here",
      "/usr/bin/ld: a-dup.o: in function `helper':",
      "dup.c:(.text+0x0): multiple definition of `helper'; a-two-b.o:two-b.c:(.text+0x0): first defined here",
    ].join("\n"),
  );
  assert.deepEqual(errors, [
    {
      kind: "multiple",
      symbol: "shared_counter",
      again: { object: "a-dup.o", at: ".data+0x0" },
      first: { object: "a-two-b.o", at: ".bss+0x0" },
    },
    {
      kind: "multiple",
      symbol: "helper",
      again: { object: "a-dup.o", at: ".text+0x0" },
      first: { object: "a-two-b.o", at: ".text+0x0" },
    },
  ]);
});

test("explanations: the library that would define it, as its -l option; what each definition is", () => {
  const [undefinedSqrt, twice] = explainLinkErrors(
    [
      {
        kind: "undefined",
        symbol: "sqrt",
        uses: [{ object: "a-math.o", function: "main", at: ".text+0x27" }],
      },
      {
        kind: "multiple",
        symbol: "n",
        again: { object: "a.o", at: ".data+0x0" },
        first: { object: "b.o", at: ".bss+0x0" },
      },
    ],
    (object) => (object === "a.o" ? "D" : "B"),
    new Map([["sqrt", ["/usr/lib/x86_64-linux-gnu/libm.so"]]]),
  );
  assert.match(undefinedSqrt ?? "", /libm\.so \(-lm\) defines it: add -lm$/);
  assert.match(
    twice ?? "",
    /^defined twice: n is zero-initialised data \(B, in \.bss\) in b\.o \(\.bss\+0x0\) and initialised data \(D, in \.data\) in a\.o/,
  );
});
