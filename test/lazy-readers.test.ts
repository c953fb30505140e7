// The lazy readers `anatomy layout` uses for speed give what the eager ones give: symbol fields without
// ElfSymbol objects, relocation symbol indexes without bigints, ld.so.cache lookups without decoding
// the whole cache, and the dynamic array's section index read only when asked for.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { openFile } from "../src/cli/io.js";
import {
  BufferSource,
  dynamicTable,
  ElfFile,
  SHT_DYNSYM,
  SymbolTableView,
  sectionRelocationSymbols,
  sectionRelocations,
} from "../src/elf/index.js";
import { CacheIndex, type CacheLookupOptions, parseLdCache } from "../src/link/ld-cache.js";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";
const STDCXX = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
const fixtureCache = join(dirname(fileURLToPath(import.meta.url)), "fixtures/link/root/etc/ld.so.cache");

for (const path of [LIBC, STDCXX]) {
  test(`SymbolTableView and sectionRelocationSymbols agree with the eager readers: ${path}`, {
    skip: !existsSync(path),
  }, () => {
    const file = ElfFile.open(openFile(path));
    const dynsym = file.sectionsOfType(SHT_DYNSYM)[0]!;
    const view = new SymbolTableView(file, dynsym);
    const syms = file.symbols(dynsym);
    assert.equal(view.count, syms.length);
    for (const s of syms) {
      assert.equal(view.info(s.index), s.st_info);
      assert.equal(view.shndx(s.index), s.st_shndx);
      assert.equal(view.name(s.index), s.name);
    }
    assert.throws(() => view.info(syms.length), /out of range/);
    for (const bind of [0, 1, 2, 10]) {
      const expected = syms.filter((s) => s.st_info >> 4 === bind).map((s) => s.index);
      assert.deepEqual(view.withBinding(bind), expected);
    }
    let relocations = 0;
    for (const sh of file.sectionHeaders) {
      const expected = sectionRelocations(file, sh).map((r) => r.r_sym);
      assert.deepEqual([...sectionRelocationSymbols(file, sh)], expected);
      relocations += expected.length;
    }
    assert.ok(relocations > 0);
  });
}

test("sectionRelocationSymbols reads ELF32 and big-endian r_info as parseRelocations does", () => {
  // A minimal ELF64 big-endian and an ELF32 little-endian file, each with one SHT_RELA section.
  for (const [is64, le] of [
    [true, false],
    [false, true],
  ] as const) {
    const ehsize = is64 ? 64 : 52;
    const shentsize = is64 ? 64 : 40;
    const relaSize = is64 ? 24 : 12;
    const relaAt = ehsize;
    const shoff = relaAt + 2 * relaSize;
    const bytes = new Uint8Array(shoff + 2 * shentsize);
    const v = new DataView(bytes.buffer);
    bytes.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]);
    v.setUint16(16, 1, le); // ET_REL
    v.setUint16(18, is64 ? 62 : 3, le);
    v.setUint32(20, 1, le);
    if (is64) {
      v.setBigUint64(40, BigInt(shoff), le);
      v.setUint16(52, ehsize, le);
      v.setUint16(58, shentsize, le);
      v.setUint16(60, 2, le);
    } else {
      v.setUint32(32, shoff, le);
      v.setUint16(40, ehsize, le);
      v.setUint16(46, shentsize, le);
      v.setUint16(48, 2, le);
    }
    for (const [i, sym, type] of [
      [0, 7, 1],
      [1, 0x123456, 6],
    ]) {
      const at = relaAt + i * relaSize;
      if (is64) v.setBigUint64(at + 8, (BigInt(sym) << 32n) | BigInt(type), le);
      else v.setUint32(at + 4, ((sym << 8) | type) >>> 0, le);
    }
    const sh = shoff + shentsize;
    v.setUint32(sh + 4, 4, le); // SHT_RELA
    if (is64) {
      v.setBigUint64(sh + 24, BigInt(relaAt), le);
      v.setBigUint64(sh + 32, BigInt(2 * relaSize), le);
      v.setBigUint64(sh + 56, BigInt(relaSize), le);
    } else {
      v.setUint32(sh + 16, relaAt, le);
      v.setUint32(sh + 20, 2 * relaSize, le);
      v.setUint32(sh + 36, relaSize, le);
    }
    const file = ElfFile.open(new BufferSource(bytes));
    const rela = file.sectionHeaders[1]!;
    const expected = sectionRelocations(file, rela).map((r) => r.r_sym);
    assert.deepEqual(expected, is64 ? [7, 0x123456] : [7, 0x123456 & 0xffffff]);
    assert.deepEqual([...sectionRelocationSymbols(file, rela)], expected);
  }
});

/** Every lookup answer of the eager and the lazy index, for each key and variants of it. */
function compareIndexes(bytes: Uint8Array): number {
  const cache = parseLdCache(bytes);
  const eager = CacheIndex.of(cache);
  const lazy = CacheIndex.over(bytes);
  const flags = [...new Set(cache.entries.map((e) => e.flags))];
  const options: CacheLookupOptions[] = [
    { acceptFlags: flags, defaultId: 0x303, hwcapsPriority: (n) => n.length },
    { acceptFlags: [0x303], defaultId: 0x303, hwcapsPriority: () => 1, isaLevels: 3n },
  ];
  const names = new Set(["", "nope", "libc.so.06"]);
  for (const e of cache.entries) {
    names.add(e.key);
    names.add(e.key.replace(/\d+/g, (d) => `00${d}`));
    names.add(`${e.key}0`);
    names.add(e.key.slice(0, -1));
  }
  let found = 0;
  for (const name of names) {
    for (const o of options) {
      const a = eager.lookup(name, o);
      assert.deepEqual(lazy.lookup(name, o), a, name);
      if (a) found++;
    }
  }
  return found;
}

test("CacheIndex.over answers as the index of the parsed cache: this machine's and the fixture's", {
  skip: !existsSync("/etc/ld.so.cache"),
}, () => {
  assert.ok(compareIndexes(readFileSync("/etc/ld.so.cache")) > 0);
  if (existsSync(fixtureCache)) assert.ok(compareIndexes(readFileSync(fixtureCache)) > 0);
});

test("CacheIndex.over reads the old format, skips entries without strings, and fails as parseLdCache", () => {
  const names: Array<[string, string]> = [
    ["libfoo.so.1", "/lib/libfoo.so.1"],
    ["libfoo.so.01", "/lib/a/libfoo.so.01"],
    ["libbar.so", "/lib/libbar.so"],
  ];
  let strings = "";
  const offsets: number[][] = [];
  for (const [k, v] of names) {
    offsets.push([strings.length, strings.length + k.length + 1]);
    strings += `${k}\0${v}\0`;
  }
  offsets.push([9999, 0]); // a key outside the file: left out
  const bytes = new Uint8Array(16 + offsets.length * 12 + strings.length);
  const v = new DataView(bytes.buffer);
  bytes.set(Array.from("ld.so-1.7.0", (c) => c.charCodeAt(0)));
  v.setUint32(12, offsets.length, true);
  offsets.forEach(([k, val], i) => {
    v.setInt32(16 + i * 12, 0x303, true);
    v.setUint32(20 + i * 12, k!, true);
    v.setUint32(24 + i * 12, val!, true);
  });
  bytes.set(
    Array.from(strings, (c) => c.charCodeAt(0)),
    16 + offsets.length * 12,
  );
  // Found: libfoo.so.1, .01, .001, .0001 (one group of two entries) and libbar.so, under both options.
  assert.equal(compareIndexes(bytes), 5 * 2);
  const o = { acceptFlags: [0x303], defaultId: 0x303, hwcapsPriority: () => 0 };
  assert.equal(CacheIndex.over(bytes).lookup("libfoo.so.001", o)?.value, "/lib/libfoo.so.1");
  assert.throws(() => CacheIndex.over(new Uint8Array(32)), /unknown magic/);
});

test("dynamicTable reads the section headers only when sectionIndex is asked for", {
  skip: !existsSync(LIBC),
}, () => {
  const file = ElfFile.open(openFile(LIBC));
  const table = dynamicTable(file)!;
  assert.equal((file as unknown as { sectionHeadersCache?: unknown }).sectionHeadersCache, undefined);
  const dynamic = file.sectionHeaders.find((s) => s.sh_type === 6)!;
  assert.equal(table.sectionIndex, dynamic.index);
  assert.deepEqual(JSON.parse(JSON.stringify({ ...table, entries: table.entries.length, offset: 0 })), {
    entries: table.entries.length,
    offset: 0,
    sectionIndex: dynamic.index,
  });
});
