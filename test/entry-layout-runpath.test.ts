// The run-path side of ld.so's search at the entry stage: decompose_rpath / fillin_rpath allocations,
// $ORIGIN expansion and the ld.so.cache mapped only when a search gets past the run paths.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { EM_X86_64, ET_DYN, PF_R, PF_W, PF_X, PT_DYNAMIC, PT_LOAD } from "../src/elf/index.js";
import {
  type EntryLayout,
  type EntryLibrary,
  predictEntryLayout,
  RTLD_PROFILE_X86_64,
} from "../src/process/entry-layout.js";
import { predictExecLayout } from "../src/process/exec-layout.js";
import {
  execOptions,
  hasGdb,
  mappedElf as mapped,
  mapsAtEntry,
  predictedMaps,
  testProfile as profile,
} from "./helpers/layout-env.js";
import { makeElf, type Phdr } from "./helpers/make-elf.js";

const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;

const load = (flags: number, off: bigint, vaddr: bigint, size: bigint): Phdr => ({
  p_type: PT_LOAD,
  p_flags: flags,
  p_offset: off,
  p_vaddr: vaddr,
  p_filesz: size,
  p_memsz: size,
  p_align: 0x1000n,
});

/** A PIE whose PT_DYNAMIC (at 0x400, strings at 0x600) names libx.so.1 and, optionally, a run path. */
function program(tag?: bigint, path?: string): Uint8Array {
  const strings = `\0libx.so.1\0${path ?? ""}\0`;
  const dyn = [
    [DT_NEEDED, 1n],
    [DT_STRTAB, 0x600n],
    [DT_STRSZ, BigInt(strings.length)],
    ...(tag !== undefined ? [[tag, 11n]] : []),
    [0n, 0n],
  ];
  const dynBytes = new Uint8Array(dyn.length * 16);
  const v = new DataView(dynBytes.buffer);
  dyn.forEach(([t, val], i) => {
    v.setBigUint64(i * 16, t!, true);
    v.setBigUint64(i * 16 + 8, val!, true);
  });
  return makeElf({
    is64: true,
    e_type: ET_DYN,
    e_machine: EM_X86_64,
    e_entry: 0x1000n,
    size: 0x3000,
    phdrs: [
      load(PF_R | PF_X, 0n, 0n, 0x1800n),
      load(PF_R | PF_W, 0x1e00n, 0x2e00n, 0x300n),
      {
        p_type: PT_DYNAMIC,
        p_flags: PF_R,
        p_offset: 0x400n,
        p_vaddr: 0x400n,
        p_filesz: BigInt(dynBytes.length),
        p_memsz: BigInt(dynBytes.length),
        p_align: 8n,
      },
    ],
    patches: [
      { offset: 0x400, bytes: dynBytes },
      { offset: 0x600, bytes: new TextEncoder().encode(strings) },
    ],
  });
}

const simple = (flags: number): Uint8Array =>
  makeElf({
    is64: true,
    e_type: ET_DYN,
    e_machine: EM_X86_64,
    e_entry: 0x100n,
    size: 0x2000,
    phdrs: [load(PF_R | PF_X, 0n, 0n, 0x1000n), load(flags, 0x1000n, 0x1000n, 0x800n)],
  });

function predict(
  prog: Uint8Array,
  lib: Omit<EntryLibrary, "file" | "name">,
  name = "libx.so.1",
  libraryPath?: string,
) {
  const exe = mapped(prog, "/t/prog", 10n);
  const rtld = mapped(simple(PF_R | PF_W), "/t/ld.so", 11n);
  const libFile = mapped(simple(PF_R | PF_W), lib.openedPath, 12n);
  const exec = predictExecLayout(exe, rtld, execOptions());
  return predictEntryLayout(exec, exe, rtld, {
    profile,
    legacy: false,
    mode: "exec",
    ...(libraryPath ? { libraryPath } : {}),
    cacheSize: 0x9000n,
    steps: [
      { main: true, needed: 1, loads: [{ name, file: libFile, ...lib }] },
      { main: false, needed: 0, loads: [] },
    ],
    searchListLength: 2,
    versionChain: [0, 0, 0, 0],
    uniqueSymbols: 0,
    constructorHeap: false,
    // A small TCB, so that the static TLS block lands in the same 8 KiB malloc block as everything
    // else and its address shows how much was allocated before it.
    rtld: { ...RTLD_PROFILE_X86_64, tcbSize: 64, staticSurplus: 0 },
  });
}

/** How far the static TLS block moved: everything sits in the first 8 KiB block, above the libraries. */
const shift = (a: EntryLayout, b: EntryLayout): bigint => a.threadPointer! - b.threadPointer!;

test("a library found through the program's DT_RUNPATH: no ld.so.cache hole, run-path arrays allocated", () => {
  // Same path lengths on both sides, so only the run-path work differs.
  const viaCache = predict(program(), { openedPath: "/t/runpath-dir-23-chars/libx.so.1", viaCache: true });
  const viaRunpath = predict(program(DT_RUNPATH, "/t/runpath-dir-23-chars"), {
    openedPath: "/t/runpath-dir-23-chars/libx.so.1",
    viaCache: false,
  });
  // The cache is mapped (and later unmapped) only when a search gets past the run paths: without it
  // the library sits 0x9000 bytes higher.
  assert.equal(viaRunpath.objects[0]!.bias - viaCache.objects[0]!.bias, 0x9000n);
  // decompose_rpath: strdup (24 -> 32), the result array (2 pointers: 16), the element's strdup (32),
  // the r_search_path_elem (40 + 11 statuses * 4 + "" + "/t/runpath-dir-23-chars/" + NUL = 110 -> 112):
  // 192 bytes, so the static TLS block moves by exactly that.
  assert.equal(shift(viaRunpath, viaCache), 192n);
});

test("$ORIGIN in the program's DT_RPATH: _dl_get_origin and DL_DST_REQUIRED sizes", () => {
  const viaCache = predict(program(), { openedPath: "/t/library/libx.so.1", viaCache: true });
  const viaRpath = predict(program(DT_RPATH, "$ORIGIN/library"), {
    openedPath: "/t/library/libx.so.1",
    viaCache: false,
  });
  assert.equal(viaRpath.objects[0]!.bias - viaCache.objects[0]!.bias, 0x9000n);
  // strdup of "$ORIGIN/library" (16), the result array (16), l_origin "/t" (4 -> 16), the expansion
  // sized 15 + (max(2, len "x86_64", len "lib/x86_64-linux-gnu") - 4) + 1 = 32, the element for
  // "/t/library/" (40 + 44 + 1 + 11 + 1 = 97 -> 112): 192 bytes.
  assert.equal(shift(viaRpath, viaCache), 192n);
});

test("a run path naming a default directory allocates no element for it", () => {
  // The baseline's link_map is 16 bytes smaller (a 1-character l_libname: 1226 -> 1232 instead of
  // 1234 -> 1248), so that the difference below is a whole number of 64-byte TLS alignments.
  const viaCache = predict(
    program(),
    { openedPath: "/usr/lib/x86_64-linux-gnu/libx.so.1", viaCache: true },
    "l",
  );
  const viaRunpath = predict(program(DT_RUNPATH, "/usr/lib/x86_64-linux-gnu"), {
    openedPath: "/usr/lib/x86_64-linux-gnu/libx.so.1",
    viaCache: false,
  });
  assert.equal(viaRunpath.objects[0]!.bias - viaCache.objects[0]!.bias, 0x9000n);
  // strdup (26 -> 32) and the result array (16) stay; the element's strdup (32) is the last block when
  // fillin_rpath frees it (the directory is known: no r_search_path_elem), so __minimal_free takes it
  // back. 48 + 16 = 64.
  assert.equal(shift(viaRunpath, viaCache), 64n);
});

// The real thing: programs whose libraries come through DT_RUNPATH (man-db) or $ORIGIN (OpenJDK).
const programs = ["/usr/bin/apropos", "/usr/bin/java"].filter((p) => existsSync(p));
test("LD_LIBRARY_PATH: _dl_init_paths' array and one element per new directory; a library found there maps no cache", () => {
  const viaCache = predict(program(), { openedPath: "/t/b/libx.so.1", viaCache: true });
  const viaEnv = predict(
    program(),
    { openedPath: "/t/b/libx.so.1", viaCache: false },
    "libx.so.1",
    "/t/a;/t/b",
  );
  assert.equal(viaEnv.objects[0]!.bias - viaCache.objects[0]!.bias, 0x9000n);
  // The array: 2 elements + 1 pointers (24 -> 32); per directory its strdup ("/t/a": 16) and the
  // element (40 + 11 * 4 + no `where` + "/t/a/" + NUL = 90 -> 96): 32 + 2 * 112 = 256, which the
  // 64-byte-aligned static TLS block shows exactly.
  assert.equal(shift(viaEnv, viaCache), 256n);
});

test("matches gdb at AT_ENTRY for run-path programs", {
  skip: (!hasGdb && "gdb is not installed") || (programs.length === 0 && "no run-path program here"),
}, (t) => {
  for (const prog of programs) {
    const want = mapsAtEntry(prog);
    if (want === undefined) return t.skip("gdb cannot trace here (ptrace restricted)");
    assert.equal(predictedMaps(prog).stdout, want, prog);
  }
});

test("matches gdb at AT_ENTRY with LD_LIBRARY_PATH set", {
  skip: !(hasGdb && existsSync("/usr/bin/ls")) && "gdb or /usr/bin/ls is missing",
}, (t) => {
  for (const path of ["/tmp:/usr/lib/x86_64-linux-gnu", "$ORIGIN/../lib;/nonexistent"]) {
    const want = mapsAtEntry("/usr/bin/ls", { LD_LIBRARY_PATH: path });
    if (want === undefined) return t.skip("gdb cannot trace here (ptrace restricted)");
    assert.equal(predictedMaps("/usr/bin/ls", ["--env", `LD_LIBRARY_PATH=${path}`]).stdout, want, path);
  }
});

test("matches gdb at AT_ENTRY with LD_PRELOAD set", {
  skip: !(hasGdb && existsSync("/usr/bin/ls")) && "gdb or /usr/bin/ls is missing",
}, (t) => {
  for (const preload of [
    "libz.so.1",
    "/usr/lib/x86_64-linux-gnu/libz.so.1 libm.so.6",
    "libz.so.1:libnosuch.so",
  ]) {
    const want = mapsAtEntry("/usr/bin/ls", { LD_PRELOAD: preload });
    if (want === undefined) return t.skip("gdb cannot trace here (ptrace restricted)");
    assert.equal(predictedMaps("/usr/bin/ls", ["--env", `LD_PRELOAD=${preload}`]).stdout, want, preload);
  }
});
