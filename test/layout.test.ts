import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { ET_DYN, ET_EXEC } from "../src/elf/index.js";
import { type ExecLayout, type MappedFile, mapsLine, predictExecLayout } from "../src/process/exec-layout.js";
import { layoutDiagram, layoutRows, terminalRow } from "../src/render/layout.js";
import {
  mappedElf as mapped,
  execOptions as opts,
  testInterpreter,
  testProgram,
} from "./helpers/layout-env.js";

const program = testProgram;
/** An interpreter-like shared object of span 0x3000. */
const interp = (): MappedFile => testInterpreter(true, 7n);

test("static non-PIE x86-64: segments at p_vaddr, bss anonymous, vdso under mmap_base", () => {
  const layout = predictExecLayout(
    mapped(program(true, ET_EXEC, 0x400000n), "/t/prog", 5n),
    undefined,
    opts(),
  );
  assert.deepEqual(layout.mappings.map(mapsLine), [
    "00400000-00402000 r-xp 00000000 fe:00 5                                  /t/prog",
    "00402000-00404000 rw-p 00002000 fe:00 5                                  /t/prog",
    "00404000-00406000 rw-p 00000000 00:00 0 ",
    "7ffff7ff7000-7ffff7ffb000 r--p 00000000 00:00 0                          [vvar]",
    "7ffff7ffb000-7ffff7ffd000 r--p 00000000 00:00 0                          [vvar_vclock]",
    "7ffff7ffd000-7ffff7fff000 r-xp 00000000 00:00 0                          [vdso]",
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]",
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
  ]);
  assert.equal(layout.brk, 0x406000n);
  assert.equal(layout.entry, 0x401000n);
});

test("PIE with an interpreter: ELF_ET_DYN_BASE, interpreter top-down under mmap_base", () => {
  const layout = predictExecLayout(mapped(program(true, ET_DYN, 0n), "/t/prog", 5n), interp(), opts());
  assert.equal(layout.loadBias, 0x555555554000n);
  assert.equal(layout.interpBias, 0x7ffff7ffc000n);
  const vdso = layout.mappings.find((m) => m.path === "[vdso]")!;
  assert.equal(vdso.end, 0x7ffff7ffc000n);
  assert.equal(layout.startPc, 0x7ffff7ffc100n);
});

test("unlimited stack moves mmap_base to TASK_SIZE/6; legacy layout goes bottom-up from TASK_SIZE/3", () => {
  const exe = () => mapped(program(true, ET_DYN, 0n), "/t/prog", 5n);
  assert.equal(predictExecLayout(exe(), interp(), opts({ stackLimit: undefined })).mmapBase, 0x155555556000n);
  const legacy = predictExecLayout(exe(), interp(), opts({ legacy: true }));
  assert.equal(legacy.mmapBase, 0x2aaaaaaab000n);
  assert.equal(legacy.interpBias, 0x2aaaaaaab000n);
});

test("i386 PIE loads at 0x56555000 under a 0xffffe000 task size, no vsyscall", () => {
  const layout = predictExecLayout(mapped(program(false, ET_DYN, 0n), "/t/prog", 5n), undefined, opts());
  assert.equal(layout.taskSize, 0xffffe000n);
  assert.ok(!layout.mappings.some((m) => m.path === "[vsyscall]"));
  // No interpreter: a static PIE goes to the top of the mmap area.
  assert.equal(layout.mappings.find((m) => m.object)!.start, 0xf7ffe000n - 0x6000n);
});

test("the stack VMA grows with the argument strings", () => {
  const exe = () => mapped(program(true, ET_EXEC, 0x400000n), "/t/prog", 5n);
  const small = predictExecLayout(exe(), undefined, opts());
  const big = predictExecLayout(exe(), undefined, opts({ envp: ["X=" + "y".repeat(5000)] }));
  const size = (l: typeof small) => l.mappings.find((m) => m.path === "[stack]")!;
  assert.equal(size(small).end - size(small).start, 0x21000n);
  assert.equal(size(big).end - size(big).start, 0x22000n);
});

const hasGdb = spawnSync("gdb", ["--version"]).status === 0 && existsSync("dist/cli/main.js");
test("matches the real /proc/PID/maps at the first instruction (gdb, ASLR off)", { skip: !hasGdb }, () => {
  const r = spawnSync(
    process.execPath,
    ["scripts/compat-layout.mjs", "/usr/bin/true", "/usr/bin/env", "/usr/bin/ls"],
    {
      encoding: "utf8",
    },
  );
  assert.match(r.stdout, /files: 3\/3 identical/);
});

test("the terminal diagram keeps whole section names and names, and says how many it left out", () => {
  const sections = [
    ".tdata",
    ".tbss",
    ".init_array",
    ".fini_array",
    "__libc_subfreeres",
    "__libc_IO_vtables",
    ".got",
  ];
  const object = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  const layout = {
    is64: true,
    brk: 0x555555560000n,
    mappings: [
      {
        start: 0x7ffff7f7a000n,
        end: 0x7ffff7f7e000n,
        perms: "r--p",
        offset: 0x1cf000n,
        devMajor: 254,
        devMinor: 0,
        inode: 5n,
        path: object,
        kind: "relro",
        object,
        sections,
      },
    ],
  } as unknown as ExecLayout;
  const lines = layoutDiagram(layout).split("\n");
  const detail = lines.find((l) => l.includes(".tdata"))!;
  assert.match(detail, /\| {3}\.tdata \.tbss \.init_array \.fini_array \+3 more +\|$/);
  for (const word of detail.slice(detail.indexOf(".tdata"), detail.indexOf("+")).trim().split(" ")) {
    assert.ok(sections.includes(word), word);
  }
  assert.ok(lines.some((l) => /\| relro +libc\.so\.6 +16 KiB r-- \|$/.test(l)));
  // The SVG draws the same rows and fits the text itself: its rows keep every section.
  assert.equal(layoutRows(layout)[0]!.detail, sections.join(" "));
  // A name longer than the box keeps its start and its suffix.
  const row = terminalRow({
    start: 0n,
    end: 0x1000n,
    kind: "text",
    name: "_struct.cpython-311-x86_64-linux-gnu.so",
    perms: "r-xp",
  });
  assert.equal(row.name, "_struct.c...ux-gnu.so");
});
