import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { EM_X86_64, ET_DYN, PF_R, PF_W, PF_X, PT_GNU_RELRO, PT_LOAD, PT_TLS } from "../src/elf/index.js";
import { predictEntryLayout, staticTlsUse } from "../src/process/entry-layout.js";
import { mapsLine, predictExecLayout } from "../src/process/exec-layout.js";
import {
  execOptions,
  hasGdb,
  mappedElf as mapped,
  mapsAtEntry,
  predictedMaps,
  testProfile as profile,
} from "./helpers/layout-env.js";
import { makeElf, type Phdr } from "./helpers/make-elf.js";

const load = (flags: number, off: bigint, vaddr: bigint, filesz: bigint, memsz: bigint): Phdr => ({
  p_type: PT_LOAD,
  p_flags: flags,
  p_offset: off,
  p_vaddr: vaddr,
  p_filesz: filesz,
  p_memsz: memsz,
  p_align: 0x1000n,
});

/** A shared object: r, r-x, a gap of two pages, r, rw with RELRO and bss, and a PT_TLS. */
function library(): Uint8Array {
  return makeElf({
    is64: true,
    e_type: ET_DYN,
    e_machine: EM_X86_64,
    e_entry: 0n,
    size: 0x6000,
    phdrs: [
      load(PF_R, 0n, 0n, 0x800n, 0x800n),
      load(PF_R | PF_X, 0x1000n, 0x1000n, 0x1000n, 0x1000n),
      load(PF_R, 0x2000n, 0x4000n, 0x1000n, 0x1000n),
      load(PF_R | PF_W, 0x3e00n, 0x5e00n, 0x1400n, 0x4000n),
      {
        p_type: PT_GNU_RELRO,
        p_flags: PF_R,
        p_offset: 0x3e00n,
        p_vaddr: 0x5e00n,
        p_filesz: 0x200n,
        p_memsz: 0x200n,
        p_align: 1n,
      },
      {
        p_type: PT_TLS,
        p_flags: PF_R,
        p_offset: 0x3e00n,
        p_vaddr: 0x5e00n,
        p_filesz: 0x10n,
        p_memsz: 0x90n,
        p_align: 8n,
      },
    ],
  });
}

/** An interpreter: r-x then rw (data up to 0x2400, bss to 0x2800). */
function interpreter(): Uint8Array {
  return makeElf({
    is64: true,
    e_type: ET_DYN,
    e_machine: EM_X86_64,
    e_entry: 0x100n,
    size: 0x3000,
    phdrs: [
      load(PF_R | PF_X, 0n, 0n, 0x1000n, 0x1000n),
      load(PF_R | PF_W, 0x1000n, 0x1000n, 0x1400n, 0x1800n),
    ],
  });
}

function programFile(): Uint8Array {
  return makeElf({
    is64: true,
    e_type: ET_DYN,
    e_machine: EM_X86_64,
    e_entry: 0x1000n,
    size: 0x3000,
    phdrs: [
      load(PF_R | PF_X, 0n, 0n, 0x1800n, 0x1800n),
      load(PF_R | PF_W, 0x1e00n, 0x2e00n, 0x300n, 0x300n),
      {
        p_type: PT_GNU_RELRO,
        p_flags: PF_R,
        p_offset: 0x1e00n,
        p_vaddr: 0x2e00n,
        p_filesz: 0x200n,
        p_memsz: 0x200n,
        p_align: 1n,
      },
    ],
  });
}

function predict() {
  const exe = mapped(programFile(), "/t/prog", 10n);
  const rtld = mapped(interpreter(), "/t/ld.so", 11n);
  const lib = mapped(library(), "/t/libx.so.1", 12n);
  const exec = predictExecLayout(exe, rtld, execOptions());
  const entry = predictEntryLayout(exec, exe, rtld, {
    profile,
    legacy: false,
    mode: "exec",
    cacheSize: 0x9000n,
    steps: [
      {
        main: true,
        needed: 1,
        loads: [{ name: "libx.so.1", file: lib, openedPath: "/t/libx.so.1", viaCache: true }],
      },
      { main: false, needed: 0, loads: [] },
    ],
    searchListLength: 2,
    versionChain: [0, 2, 0, 0],
    uniqueSymbols: 0,
    constructorHeap: false,
  });
  return { exec, entry };
}

test("the library is mapped as _dl_map_segments does: holes PROT_NONE, bss anonymous, RELRO read-only", () => {
  const { entry } = predict();
  const lib = entry.objects[0]!;
  const libLines = entry.mappings.filter((m) => m.path === "/t/libx.so.1");
  const rel = libLines.map((m) => [m.start - lib.bias, m.end - lib.bias, m.perms, m.offset]);
  assert.deepEqual(rel, [
    [0n, 0x1000n, "r--p", 0n],
    [0x1000n, 0x2000n, "r-xp", 0x1000n],
    // The hole between the text and the next segment keeps the first mapping's file offset.
    [0x2000n, 0x4000n, "---p", 0x2000n],
    [0x4000n, 0x5000n, "r--p", 0x2000n],
    // RELRO covers whole pages only: 0x5000..0x6000 becomes r--p.
    [0x5000n, 0x6000n, "r--p", 0x3000n],
    [0x6000n, 0x8000n, "rw-p", 0x4000n],
  ]);
  // The bss past the last file page: anonymous, up to the page after 0x5e00 + 0x4000.
  const bss = entry.mappings.find((m) => m.start === lib.bias + 0x8000n);
  assert.ok(bss);
  assert.equal(bss.inode, 0n);
  assert.equal(bss.end, lib.bias + 0xa000n);
});

test("ld.so's first malloc block sits right under [vvar]; the cache hole stays empty", () => {
  const { entry } = predict();
  const vvar = entry.mappings.find((m) => m.path === "[vvar]")!;
  const block = entry.mappings.find((m) => m.end === vvar.start)!;
  assert.equal(block.perms, "rw-p");
  assert.equal(block.end - block.start, 0x2000n);
  // The cache (0x9000 bytes) was mapped below the block and unmapped: the library lies below that hole.
  const lib = entry.objects[0]!;
  const libTop = entry.mappings
    .filter((m) => m.path === "/t/libx.so.1" || m.start >= lib.bias)
    .find((m) => m.end <= block.start && m.inode === 0n && m.start >= lib.bias + 0x8000n);
  assert.equal(libTop?.end, block.start - 0x9000n);
  assert.equal(
    entry.mappings.some((m) => m.path === "/etc/ld.so.cache"),
    false,
  );
});

test("the program's and ld.so's RELRO pages are read-only at the entry point", () => {
  const { exec, entry } = predict();
  const relro = entry.mappings.find((m) => m.path === "/t/prog" && m.start === exec.loadBias + 0x2000n);
  assert.equal(relro?.perms, "r--p");
  const lines = entry.mappings.map(mapsLine);
  assert.ok(lines.every((l) => l.length >= 73 || l.endsWith(" ")));
});

test("static TLS offsets follow _dl_determine_tlsoffset", () => {
  const lib = mapped(library(), "/t/libx.so.1", 12n).file;
  assert.deepEqual(staticTlsUse([lib], 64n), { used: 0x90n, align: 64n });
  assert.deepEqual(staticTlsUse([lib, lib], 64n), { used: 0x120n, align: 64n });
});

test("matches gdb at AT_ENTRY for /usr/bin/true", {
  skip: !(hasGdb && existsSync("/usr/bin/true")) && "gdb or /usr/bin/true is missing",
}, (t) => {
  const want = mapsAtEntry("/usr/bin/true");
  if (want === undefined) return t.skip("gdb cannot trace here (ptrace restricted)");
  assert.equal(predictedMaps("/usr/bin/true").stdout, want);
});
