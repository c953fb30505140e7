// A section listed in pieces by several threads (src/disasm/pieces.ts) must read exactly as when one
// thread lists it. Helpers here run in this thread, asynchronously, with their own decoder and symbol
// index, as the worker threads of src/cli/listing-threads.ts do; tiny pieces make every symbol a cut.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { InstructionDecoder } from "../src/disasm/decoder.js";
import {
  DISASSEMBLE_DEFAULTS,
  type DisassembleOptions,
  listingDecoder,
  listingIndex,
  listPiece,
  type SectionListing,
  sectionListing,
} from "../src/disasm/listing.js";
import {
  cutPieces,
  type ListingHelper,
  type ListingThreads,
  listInPieces,
  type Piece,
  type PieceListing,
} from "../src/disasm/pieces.js";
import { BufferSource, ElfFile } from "../src/elf/index.js";
import { listing } from "./helpers/disasm.js";

/** Helpers that list in this thread after a turn of the event loop; `failing` ones answer nothing. */
function threadsFor(path: string, options: Partial<DisassembleOptions>, count: number, failing = false) {
  const opts = { ...DISASSEMBLE_DEFAULTS, ...options };
  const asked: Piece[] = [];
  const helper = (): ListingHelper => {
    const file = ElfFile.open(new BufferSource(new Uint8Array(readFileSync(path))));
    const index = listingIndex(file, opts);
    let decoder: InstructionDecoder | undefined;
    const contexts = new Map<number, SectionListing>();
    const h = {
      ready: true,
      pending: 0,
      started: Promise.resolve(),
      async list(section: number, piece: Piece): Promise<PieceListing | undefined> {
        h.pending++;
        asked.push(piece);
        decoder ??= await listingDecoder(file, opts);
        await new Promise((done) => setImmediate(done));
        h.pending--;
        if (failing) return undefined;
        let ctx = contexts.get(section);
        if (!ctx) contexts.set(section, (ctx = sectionListing(file, file.section(section), index, opts)));
        return listPiece(ctx, decoder, piece);
      },
    };
    return h;
  };
  let started: ListingHelper[] | undefined;
  const threads: ListingThreads = {
    pieceBytes: 16,
    helpers: () => (started ??= Array.from({ length: count }, helper)),
    pause: () => new Promise((done) => setImmediate(done)),
    stop: () => {},
  };
  return { threads, asked };
}

for (const f of [
  "x86_64/pie",
  "x86_64/nopie",
  "x86_64/cxx.o",
  "x86_64/libsysv.so",
  "i386/pie",
  "i386/libdemo.so",
])
  for (const options of [
    {},
    { all: true },
    { all: true, syntax: "intel" as const },
    { inlineRelocs: true },
  ]) {
    const view = JSON.stringify(options);
    test(`objdump ${view} ${f} in pieces reads as one thread's listing`, async () => {
      const path = `test/fixtures/${f}`;
      const alone = await listing(path, options);
      for (const count of [1, 3]) {
        const { threads, asked } = threadsFor(path, options, count);
        assert.equal(await listing(path, options, threads), alone, `${count} helpers`);
        assert.ok(asked.length > 0, "the helpers were asked for pieces");
      }
      const { threads } = threadsFor(path, options, 2, true);
      assert.equal(await listing(path, options, threads), alone, "helpers that fail");
    });
  }

test("cutPieces: cuts at symbols at least pieceBytes apart, none in the last half piece", () => {
  assert.deepEqual(cutPieces([0, 10, 20, 40, 45, 95], 0, 100, 0, 20), [
    { from: 0, to: 20, next: 0, limit: 100 },
    { from: 20, to: 40, next: 2, limit: 100 },
    { from: 40, to: 100, next: 3, limit: 100 },
  ]);
  assert.deepEqual(cutPieces([], 5, 100, 0, 20), [{ from: 5, to: 100, next: 0, limit: 100 }]);
});

test("listInPieces: a piece whose start the one before ran past is listed again from there; a short one ends the section", async () => {
  const pieces: Piece[] = [
    { from: 0, to: 10, next: 0, limit: 40 },
    { from: 10, to: 20, next: 1, limit: 40 },
    { from: 20, to: 30, next: 2, limit: 40 },
    { from: 30, to: 40, next: 3, limit: 40 },
  ];
  const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  // Piece 0 runs 2 bytes over; piece 2 stops short (bytes objdump cannot read).
  const ends = new Map([
    [0, 12],
    [10, 20],
    [12, 20],
    [20, 25],
    [30, 40],
  ]);
  const here: number[] = [];
  const listHere = (p: Piece): PieceListing => {
    here.push(p.from);
    return { chunks: [bytes(`[${p.from},${p.to})`)], end: ends.get(p.from) as number };
  };
  const helper: ListingHelper = {
    ready: true,
    pending: 0,
    started: Promise.resolve(),
    list: async (_section, p) => ({
      chunks: [bytes(`h[${p.from},${p.to})`)],
      end: ends.get(p.from) as number,
    }),
  };
  let out = "";
  await listInPieces(
    pieces,
    1,
    [helper],
    listHere,
    (chunks) => {
      for (const c of chunks) out += String.fromCharCode(...c);
    },
    () => new Promise((done) => setImmediate(done)),
  );
  assert.match(out, /^(h?)\[0,10\)\[12,20\)h?\[20,30\)$/);
  assert.ok(here.includes(12), "piece 1 listed again from 12");
});

test("anatomy objdump with worker threads: the same listing as one thread, and as GNU objdump's", () => {
  const run = (threads: string, ...args: string[]) =>
    spawnSync(process.execPath, ["bin/anatomy.js", "objdump", ...args], {
      encoding: "latin1",
      env: {
        ...process.env,
        ANATOMY_THREADS: threads,
        ANATOMY_PIECE_BYTES: "16",
        ANATOMY_WAIT_FOR_THREADS: "1",
      },
    });
  for (const [args, golden] of [
    [["-d", "test/fixtures/x86_64/pie"], "test/golden/x86_64/pie/objdump_-d.out"],
    [["-d", "-r", "test/fixtures/i386/pie"], "test/golden/i386/pie/objdump_-d_-r.out"],
    [["-D", "-M", "intel", "test/fixtures/x86_64/libsysv.so"], undefined],
  ] as const) {
    const one = run("1", ...args);
    const three = run("3", ...args);
    assert.equal(three.status, one.status);
    assert.equal(three.stderr, one.stderr);
    assert.equal(three.stdout, one.stdout, args.join(" "));
    if (golden) assert.equal(three.stdout, readFileSync(golden, "latin1"), golden);
  }
});
