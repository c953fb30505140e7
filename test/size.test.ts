import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openFile } from "../src/cli/io.js";
import { run } from "../src/cli/size.js";
import { BufferSource, ElfFile } from "../src/elf/index.js";
import { StringOutput } from "../src/render/output.js";
import { bfdSections, SEC_ALLOC, SEC_CODE } from "../src/render/size.js";

function size(args: string[]): { out: string; err: string; status: number } {
  const out = new StringOutput();
  const err = new StringOutput();
  const status = run(args, { stdout: out, stderr: err, openFile, env: {}, isTTY: false });
  return { out: out.toString(), err: err.toString(), status };
}

const SH = "/bin/sh";
const gnuSize = spawnSync("size", ["--version"], { encoding: "latin1" }).stdout?.includes("2.40") ?? false;

test("Berkeley format: header once, columns add up, hex matches dec", () => {
  const { out, status } = size([SH, SH]);
  assert.equal(status, 0);
  const lines = out.split("\n");
  assert.equal(lines[0], "   text\t   data\t    bss\t    dec\t    hex\tfilename");
  assert.equal(lines.length, 4); // header, two rows, final newline
  const cols = lines[1]!.split("\t").map((c) => c.trim());
  const [text, data, bss, dec, hex] = cols.map(Number);
  assert.ok(text! > 0);
  assert.equal(text! + data! + bss!, dec);
  assert.equal(Number.parseInt(cols[4]!, 16), dec);
  assert.ok(Number.isNaN(hex) || hex !== undefined);
  assert.equal(cols[5], SH);
});

test("-t adds a (TOTALS) line; -o prefixes octal numbers with 0 except the total columns", () => {
  const one = size([SH]).out.split("\n")[1]!.split("\t");
  const { out } = size(["-t", "-o", SH, SH]);
  const lines = out.trimEnd().split("\n");
  assert.ok(lines[0]!.includes("    oct\t"));
  const totals = lines.at(-1)!.split("\t");
  assert.equal(totals.at(-1), "(TOTALS)");
  assert.equal(Number.parseInt(totals[0]!.trim(), 8), 2 * Number(one[0]!.trim()));
  assert.ok(totals[0]!.trim().startsWith("0"));
  assert.ok(!totals[3]!.trim().startsWith("0"));
});

test("SysV format: every section, Total is the sum, addresses in the radix", () => {
  const { out } = size(["-A", "-x", SH]);
  const lines = out.split("\n");
  assert.equal(lines[0], `${SH}  :`);
  assert.match(lines[1]!, /^section\s+size\s+addr$/);
  let sum = 0;
  let i = 2;
  for (; !lines[i]!.startsWith("Total"); i++) sum += Number.parseInt(lines[i]!.trim().split(/\s+/)[1]!, 16);
  assert.equal(Number.parseInt(lines[i]!.split(/\s+/)[1]!, 16), sum);
  assert.ok(out.includes(".text "));
  assert.ok(!out.includes(".shstrtab"), "BFD makes no section of the section-name table");
  assert.ok(out.endsWith("\n\n\n"));
});

test("BFD's view: .text is code, .bss allocated without contents, .symtab no section", () => {
  const elf = ElfFile.open(new BufferSource(readFileSync(SH)));
  const secs = bfdSections(elf);
  const text = secs.find((s) => s.name === ".text")!;
  assert.ok(text.flags & SEC_CODE && text.flags & SEC_ALLOC);
  assert.ok(!secs.some((s) => s.name === ".symtab" || s.name === ".strtab"));
  assert.ok(secs.some((s) => s.name === ".dynsym"));
});

test("archives: members printed as (ex lib.a); a non-object member gives status 3", () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-size-"));
  const sh = readFileSync(SH);
  const member = (name: string, data: Uint8Array): Buffer => {
    const hdr = `${`${name}/`.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"644".padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    const pad = data.length & 1 ? Buffer.from("\n") : Buffer.alloc(0);
    return Buffer.concat([Buffer.from(hdr, "latin1"), data, pad]);
  };
  const ar = join(dir, "lib.a");
  writeFileSync(
    ar,
    Buffer.concat([Buffer.from("!<arch>\n"), member("note.txt", Buffer.from("hello\n")), member("sh", sh)]),
  );
  const { out, err, status } = size([ar]);
  assert.equal(status, 3);
  assert.equal(err, "size: note.txt: file format not recognized\n");
  assert.ok(out.split("\n")[1]!.endsWith(`\tsh (ex ${ar})`));
  assert.equal(size(["-A", ar]).out.split("\n")[0], `sh   (ex ${ar}):`);
});

test("errors and options like GNU size", () => {
  assert.deepEqual(size(["/nonexistent/x"]), {
    out: "",
    err: "size: '/nonexistent/x': No such file\n",
    status: 1,
  });
  assert.equal(size(["/tmp"]).err, "size: Warning: '/tmp' is a directory\n");
  const bad = size(["-Z", SH]);
  assert.equal(bad.status, 1);
  assert.ok(bad.err.startsWith("size: invalid option -- 'Z'\nUsage: size [option(s)] [file(s)]\n"));
  assert.ok(
    size(["--t", SH]).err.startsWith(
      "size: option '--t' is ambiguous; possibilities: '--target' '--totals'\n",
    ),
  );
  assert.ok(size(["--radix=7", SH]).err.startsWith("size: Invalid radix: 7\n\nUsage:"));
  const help = size(["--help"]);
  assert.equal(help.status, 0);
  assert.ok(help.out.endsWith("Report bugs to <https://sourceware.org/bugzilla/>\n"));
  // GNU format by abbreviation, radix by atol.
  assert.ok(
    size(["--form=g", "--radix= 16", SH]).out.startsWith(
      "      text       data        bss      total filename\n",
    ),
  );
});

test("byte-identical to GNU size 2.40 when it is installed", { skip: !gnuSize }, () => {
  const files = [SH, "/bin/ls", "/usr/lib/x86_64-linux-gnu/libc.so.6"];
  for (const opts of [[], ["-A"], ["-o", "-t"], ["-x", "-A"], ["-G", "-t"]]) {
    const gnu = spawnSync("size", [...opts, ...files], { encoding: "latin1", env: { LC_ALL: "C" } });
    const ours = size([...opts, ...files]);
    assert.equal(ours.out, gnu.stdout, `size ${opts.join(" ")}`);
    assert.equal(ours.status, gnu.status);
  }
});

test("a section header table cut short: 'file format not recognized' alone, status 3", () => {
  const pie = readFileSync(new URL("fixtures/x86_64/pie", import.meta.url));
  const elf = ElfFile.open(new BufferSource(pie));
  const path = join(mkdtempSync(join(tmpdir(), "anatomy-size-cut-")), "pie");
  // Inside the table: BFD's elf_object_p cannot read it and gives up without a section warning.
  writeFileSync(path, pie.subarray(0, Number(elf.header.e_shoff) + 10));
  const r = size([path]);
  assert.equal(r.out, "");
  assert.equal(r.err, `size: ${path}: file format not recognized\n`);
  assert.equal(r.status, 3);
});
