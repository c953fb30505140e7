import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { elfHash, gnuHash, lookupSymbol } from "../src/elf/hash.js";
import { BufferSource, ElfFile, SHT_DYNSYM } from "../src/elf/index.js";
import { symbolVersions } from "../src/elf/version.js";
import { StringOutput } from "../src/render/output.js";
import {
  defaultReadelfOptions,
  type ReadelfContext,
  type ReadelfOptions,
} from "../src/render/readelf/context.js";
import { fixed1, printSymbols } from "../src/render/readelf/symbols.js";
import { printVersionInfo } from "../src/render/readelf/version-info.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const open = (rel: string) => ElfFile.open(new BufferSource(readFileSync(join(FIXTURES, rel))));

function run(
  rel: string,
  opts: Partial<ReadelfOptions>,
  view: (ctx: ReadelfContext) => void,
): { out: string; err: string[] } {
  const out = new StringOutput();
  const err: string[] = [];
  const ctx: ReadelfContext = {
    file: open(rel),
    fileName: rel,
    out,
    opts: { ...defaultReadelfOptions(), ...opts },
    warn: (m) => err.push(`Warning: ${m}`),
    error: (m) => err.push(`Error: ${m}`),
    demangle: (n) => n,
  };
  view(ctx);
  return { out: out.toString(), err };
}

test("hash functions match the SysV and GNU definitions", () => {
  assert.equal(elfHash(""), 0);
  assert.equal(elfHash("printf"), 0x077905a6);
  assert.equal(elfHash("_ZN3foo3barEv"), 0x06691b86);
  assert.equal(gnuHash(""), 5381);
  assert.equal(gnuHash("printf"), 0x156b2bb8);
  assert.equal(gnuHash("demo_add"), 0x2a751872);
});

test("lookupSymbol finds dynamic symbols through the GNU and the SysV hash", () => {
  for (const rel of ["x86_64/libdemo.so", "x86_64/libsysv.so", "s390x/libdemo.so", "i386/libdemo.so"]) {
    const file = open(rel);
    const sym = lookupSymbol(file, "demo_add");
    assert.ok(sym, `${rel}: demo_add`);
    assert.equal(sym.name, "demo_add");
    assert.notEqual(sym.st_value, 0n);
    assert.equal(lookupSymbol(file, "no_such_symbol"), undefined, rel);
    // Undefined references are not definitions.
    assert.equal(lookupSymbol(file, "__cxa_finalize"), undefined, rel);
  }
});

test("symbolVersions names definitions and needs", () => {
  const file = open("x86_64/libdemo.so");
  const dynsym = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM)!;
  const versions = symbolVersions(file, dynsym);
  const names = file.symbols(dynsym).map((s) => s.name);
  const of = (n: string) => versions[names.indexOf(n)]!;
  assert.deepEqual(of("demo_add"), {
    index: 3,
    hidden: false,
    kind: "definition",
    name: "DEMO_2.0",
    library: undefined,
  });
  assert.equal(of("demo_banner").name, "DEMO_1.0");
  assert.equal(of("__tls_get_addr").kind, "need");
  assert.equal(of("__tls_get_addr").library, "ld-linux-x86-64.so.2");
  assert.equal(of("__cxa_finalize").kind, "global");
  assert.equal(versions[0]!.kind, "local");
});

test("--dyn-syms prints readelf's version suffixes and truncation", () => {
  const { out, err } = run("x86_64/libdemo.so", { dynSyms: true }, printSymbols);
  assert.deepEqual(err, []);
  const lines = out.split("\n");
  assert.equal(lines[1], "Symbol table '.dynsym' contains 15 entries:");
  assert.equal(lines[2], "   Num:    Value          Size Type    Bind   Vis      Ndx Name");
  assert.equal(lines[3], "     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND ");
  assert.ok(
    lines.includes("     2: 0000000000000000     0 NOTYPE  WEAK   DEFAULT  UND _ITM_registerTMC[...]"),
  );
  assert.ok(
    lines.includes("     4: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND __[...]@GLIBC_2.3 (4)"),
  );
  assert.ok(
    lines.includes("    10: 0000000000003dc0     8 OBJECT  GLOBAL DEFAULT   21 demo_d[...]@@DEMO_2.0"),
  );
  assert.ok(
    lines.includes("    14: 0000000000000000     4 TLS     GLOBAL DEFAULT   18 demo_t[...]@@DEMO_2.0"),
  );
  const wide = run("x86_64/libdemo.so", { dynSyms: true, wide: true }, printSymbols).out;
  assert.ok(wide.includes(" UND __tls_get_addr@GLIBC_2.3 (4)\n"));
});

test("-I prints the bucket-length histograms", () => {
  const { out } = run("x86_64/libsysv.so", { histogram: true }, printSymbols);
  assert.equal(
    out,
    [
      "",
      "Histogram for bucket list length (total of 3 buckets):",
      " Length  Number     % of total  Coverage",
      "      0  0          (  0.0%)",
      "      1  0          (  0.0%)      0.0%",
      "      2  0          (  0.0%)      0.0%",
      "      3  1          ( 33.3%)     21.4%",
      "      4  1          ( 33.3%)     50.0%",
      "      5  0          (  0.0%)     50.0%",
      "      6  0          (  0.0%)     50.0%",
      "      7  1          ( 33.3%)    100.0%",
      "",
    ].join("\n"),
  );
  const gnu = run("x86_64/libdemo.so", { histogram: true }, printSymbols).out;
  assert.ok(gnu.startsWith("\nHistogram for `.gnu.hash' bucket list length (total of 3 buckets):\n"));
  assert.ok(gnu.includes("      4  1          ( 33.3%)    100.0%\n"));
});

test("-V prints versym, verdef and verneed sections", () => {
  const { out } = run("x86_64/libdemo.so", { versionInfo: true }, printVersionInfo);
  assert.ok(
    out.includes(
      "  004:   4 (GLIBC_2.3)     1 (*global*)      3 (DEMO_2.0)      2 (DEMO_1.0)   \n" +
        "  008:   3 (DEMO_2.0)      3 (DEMO_2.0)      3 (DEMO_2.0)      2 (DEMO_1.0)   \n" +
        "  00c:   2 (DEMO_1.0)      3 (DEMO_2.0)      3 (DEMO_2.0)   \n",
    ),
  );
  assert.ok(out.includes("  000000: Rev: 1  Flags: BASE  Index: 1  Cnt: 1  Name: libdemo.so.1\n"));
  assert.ok(out.includes("  0x0054: Parent 1: DEMO_1.0\n"));
  assert.ok(out.includes("  0x0010:   Name: GLIBC_2.3  Flags: none  Version: 4\n"));
  const none = run("x86_64/demo.o", { versionInfo: true }, printVersionInfo).out;
  assert.equal(none, "\nNo version information found in this file.\n");
});

test("-D -s on a file without section headers reads the dynamic segment", () => {
  const { out } = run("x86_64/noshdrs", { symbols: true, useDynamic: true }, printSymbols);
  assert.match(out, /^\nSymbol table for image contains \d+ entries:\n/);
  const plain = run("x86_64/noshdrs", { symbols: true }, printSymbols).out;
  assert.equal(plain, "\nDynamic symbol information is not available for displaying symbols.\n");
});

test("32-bit and big-endian tables use their own widths and byte order", () => {
  const arm = run("arm/libdemo.so", { dynSyms: true, wide: true }, printSymbols).out;
  assert.ok(arm.includes("   Num:    Value  Size Type    Bind   Vis      Ndx Name\n"));
  assert.match(arm, / demo_add@@DEMO_2\.0\n/);
  const s390 = run("s390x/libdemo.so", { dynSyms: true, wide: true }, printSymbols).out;
  assert.match(s390, /: [0-9a-f]{16} +\d+ FUNC +GLOBAL DEFAULT +\d+ demo_add@@DEMO_2\.0\n/);
});

test("percentages round like glibc's printf", () => {
  assert.equal(fixed1(33.333333), "33.3");
  assert.equal(fixed1(12.25), "12.2");
  assert.equal(fixed1(12.75), "12.8");
  assert.equal(fixed1(100), "100.0");
});

test("a malformed symbol table is reported, not thrown", () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, "x86_64/libdemo.so")));
  const file = ElfFile.open(new BufferSource(bytes));
  const dynsym = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM)!;
  // Point .dynsym's sh_size past the end of the file.
  const shoff = Number(file.header.e_shoff) + dynsym.index * file.header.e_shentsize;
  new DataView(bytes.buffer).setBigUint64(shoff + 32, 1n << 40n, true);
  const out = new StringOutput();
  const err: string[] = [];
  printSymbols({
    file: ElfFile.open(new BufferSource(bytes)),
    fileName: "x",
    out,
    opts: { ...defaultReadelfOptions(), dynSyms: true },
    warn: (m) => err.push(m),
    error: (m) => err.push(m),
    demangle: (n) => n,
  });
  assert.ok(
    err.some((m) => m.includes("has an invalid sh_size")),
    err.join("\n"),
  );
});
