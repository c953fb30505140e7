// Compares `anatomy nm` with the target-aware GNU nm 2.40 (the cross toolchain's <triplet>-nm, else the
// binutils-multiarch nm) on ELF files of other machines than x86: stdout bytes, stderr without the
// program-name prefix, and the exit status. The sample is the foreign fixtures (test/fixtures/<arch>),
// what the cross toolchains ship (/usr/<triplet>/lib), and objects, shared libraries, executables and
// archives built here from one LLVM IR module (scripts/lib/nm-foreign-sample.ll) for each machine, both
// through llc's integrated assembler and through llc's assembly text and the cross GNU as and ld (they
// differ in the mapping symbols and local labels they leave), and scripts/lib/nm-foreign-names.s
// assembled and patched into the names, types and section indexes each backend rule was measured on.
// Prints per machine and per option line
//   aarch64: 1234/1240 identical
// and the first differing cases with their first differing line.
//
// Usage: node scripts/compat-nm-foreign.mjs [--only "-a"]... [--arch aarch64,arm] [--show N] [--keep DIR]
//   --keep   build the generated sample in DIR and leave it there (default: a temporary directory)
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryKind } from "./lib/elf-files.mjs";
import { patchSymbols } from "./lib/elf-patch.mjs";
import { firstDifference } from "./lib/first-difference.mjs";
import { ROOT } from "./lib/fixtures.mjs";
import { loadCommands } from "./lib/in-process.mjs";
import { NM_OPTIONS, split } from "./lib/matrix.mjs";

/** The matrix's nm lines, and those where a target backend's hooks show (special symbols, sizes, formats). */
export const NM_FOREIGN_OPTIONS = [
  ...NM_OPTIONS,
  "--special-syms",
  "-a --special-syms",
  "-D --special-syms",
  "-P",
  "-f sysv",
  "--size-sort",
  "-n -r",
  "-g -S",
  "-u -A",
  "--defined-only -n",
];

/**
 * Per machine: the fixture directory, the cross triplet, and the builds of the generated sample:
 * llc's target triple and options, the GNU as options; noIfunc: the assembler has no STT_GNU_IFUNC.
 */
const MACHINES = [
  {
    arch: "aarch64",
    triplet: "aarch64-linux-gnu",
    builds: [{ name: "aarch64", llc: ["-mtriple=aarch64-linux-gnu"], as: [] }],
  },
  {
    arch: "arm",
    triplet: "arm-linux-gnueabihf",
    builds: [
      { name: "arm", llc: ["-mtriple=armv7-linux-gnueabihf"], as: [] },
      { name: "thumb", llc: ["-mtriple=thumbv7-linux-gnueabihf"], as: [] },
    ],
  },
  {
    arch: "riscv64",
    triplet: "riscv64-linux-gnu",
    builds: [{ name: "riscv64", llc: ["-mtriple=riscv64-linux-gnu", "-mattr=+m,+a,+f,+d,+c"], as: [] }],
  },
  {
    arch: "s390x",
    triplet: "s390x-linux-gnu",
    builds: [{ name: "s390x", llc: ["-mtriple=s390x-linux-gnu"], as: [] }],
  },
  {
    arch: "mips",
    triplet: "mips-linux-gnu",
    noIfunc: true,
    builds: [
      { name: "mips", llc: ["-mtriple=mips-linux-gnu", "-mcpu=mips32r2"], as: ["-mips32r2"] },
      {
        name: "mips-small",
        llc: [
          "-mtriple=mips-linux-gnu",
          "-mcpu=mips32r2",
          "-relocation-model=static",
          "-mips-ssection-threshold=8",
        ],
        as: ["-mips32r2", "-G", "8"],
      },
      { name: "mipsel", llc: ["-mtriple=mipsel-linux-gnu", "-mcpu=mips32r2"], as: ["-mips32r2", "-EL"] },
      { name: "mips64", llc: ["-mtriple=mips64-linux-gnuabi64"], as: ["-64", "-mips64r2"] },
    ],
  },
];

const argv = process.argv.slice(2);
const opt = { only: [], arch: null, show: 3, keep: null };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => {
    if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
    return argv[++i];
  };
  if (a === "--only") opt.only.push(next());
  else if (a === "--arch") opt.arch = next().split(",");
  else if (a === "--show") opt.show = Number(next());
  else if (a === "--keep") opt.keep = next();
  else if (a === "--quick") {
    // (compat-all passes it on; the sample is small already)
  } else throw new Error(`unknown argument ${a}`);
}

const env = { ...process.env, LC_ALL: "C", LANG: "C" };
const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { env, encoding: "latin1" });
  return r.status === 0;
};

/** Builds the generated sample of one machine into dir; returns the files made. */
function buildSample(m, dir) {
  if (!has("llc")) return [];
  let text = readFileSync(join(ROOT, "scripts/lib/nm-foreign-sample.ll"), "utf8");
  if (m.noIfunc) text = text.replace(/^.*; ifunc\n/gm, "");
  const ir = join(dir, "sample.ll");
  writeFileSync(ir, text);
  const out = [];
  const as = `${m.triplet}-as`;
  const ld = `${m.triplet}-ld`;
  const ar = `${m.triplet}-ar`;
  for (const b of m.builds) {
    for (const level of ["-O0", "-O2"]) {
      const base = join(dir, `${b.name}${level}`);
      const common = [...b.llc, level, "-relocation-model=pic", ir];
      if (b.llc.includes("-relocation-model=static"))
        common.splice(common.indexOf("-relocation-model=pic"), 1);
      if (run("llc", [...common, "-filetype=obj", "-o", `${base}.llvm.o`])) out.push(`${base}.llvm.o`);
      if (!has(as) || !run("llc", [...common, "-o", `${base}.s`])) continue;
      if (!run(as, [...b.as, `${base}.s`, "-o", `${base}.o`])) continue;
      out.push(`${base}.o`);
      if (!has(ld)) continue;
      const emul =
        b.name === "mipsel" ? ["-m", "elf32ltsmip"] : b.name === "mips64" ? ["-m", "elf64btsmip"] : [];
      if (run(ld, [...emul, "-shared", "--hash-style=gnu", `${base}.o`, "-o", `${base}.so`]))
        out.push(`${base}.so`);
      if (
        run(ld, [
          ...emul,
          "-e",
          "global_fn",
          "--unresolved-symbols=ignore-all",
          `${base}.o`,
          "-o",
          `${base}.exe`,
        ])
      )
        out.push(`${base}.exe`);
      if (has(ar) && run(ar, ["rcD", `${base}.a`, `${base}.o`, `${base}.llvm.o`])) out.push(`${base}.a`);
    }
  }
  return out;
}

/** Symbol rewrites of the names file: ARM's Thumb-bit cases (value odd, every symbol type). */
const TYPE_PATCH = {
  f_func: { value: 1, info: 0x12 },
  f_ifunc: { value: 5, info: 0x1a },
  f_obj: { value: 9, info: 0x11 },
  f_notype: { value: 13, info: 0x10 },
  f_tls: { value: 17, info: 0x16 },
  f_weak: { value: 21, info: 0x22 },
  l_func: { value: 25, info: 0x02 },
  d_func: { value: 1, info: 0x02 },
  f_abs: { info: 0x1a },
  f_abs_obj: { info: 0x11 },
  f_common: { info: 0x12, size: 9, value: 3 },
  t_func10: { value: 29, info: 0x0a },
  t_func11: { value: 31, info: 0x0b },
  t_func12: { value: 33, info: 0x0c },
  t_func13: { value: 35, info: 0x0d },
  t_func15: { value: 37, info: 0x0f },
  und_func: { info: 0x12 },
};
/** ... and the processor-specific section indexes 0xff00-0xff05 (MIPS's ACOMMON, TEXT, DATA, SCOMMON, SUNDEFINED). */
const SHNDX_PATCHES = [
  {
    small: { shndx: 0xff03, value: 16, info: 0x01 },
    big: { shndx: 0xff00, value: 0x20 },
    f_func: { shndx: 0xff01, value: 3 },
    gsd: { shndx: 0xff02, value: 5 },
    lsmall: { shndx: 0xff04 },
    sd: { shndx: 0xff03, size: 6 },
    lbig: { shndx: 0xff05 },
  },
  {
    lbig: { shndx: 0xff00 },
    lsmall: { shndx: 0xff01 },
    sd: { shndx: 0xff02 },
    small: { shndx: 0xff03, info: 0x21 },
    big: { shndx: 0xff04, info: 0x21 },
    gsd: { shndx: 0xff03, info: 0x01, size: 3 },
  },
];

/** The names file assembled for one machine and patched three ways; returns the files made. */
function buildNames(m, dir) {
  const as = `${m.triplet}-as`;
  const base = join(dir, "names");
  if (!has(as) || !run(as, ["-L", join(ROOT, "scripts/lib/nm-foreign-names.s"), "-o", `${base}.raw.o`]))
    return [];
  const out = [`${base}.o`, `${base}.types.o`];
  patchSymbols(`${base}.raw.o`, out[0]);
  patchSymbols(`${base}.raw.o`, out[1], TYPE_PATCH);
  SHNDX_PATCHES.forEach((mods, k) => {
    out.push(`${base}.shndx${k}.o`);
    patchSymbols(`${base}.raw.o`, out[out.length - 1], mods);
  });
  rmSync(`${base}.raw.o`);
  return out;
}

/** The ELF files and archives under dir (one level), sorted. */
function filesIn(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile() && binaryKind(p) !== null);
}

const strip = (s) => s.replace(/^[^\n:]*\bnm: /gm, "");
const sampleDir = opt.keep ?? mkdtempSync(join(tmpdir(), "anatomy-nm-foreign-"));
mkdirSync(sampleDir, { recursive: true });
if (!opt.keep) process.on("exit", () => rmSync(sampleDir, { recursive: true, force: true }));
const options = opt.only.length ? opt.only : NM_FOREIGN_OPTIONS;
const cmds = await loadCommands(["nm"]);
let same = 0;
let total = 0;
for (const m of MACHINES) {
  if (opt.arch && !opt.arch.includes(m.arch)) continue;
  const gnuNm = has(`${m.triplet}-nm`) ? `${m.triplet}-nm` : "nm";
  const dir = join(sampleDir, m.arch);
  mkdirSync(dir, { recursive: true });
  const files = [
    ...filesIn(join(ROOT, "test/fixtures", m.arch)).map((p) => p.slice(ROOT.length + 1)),
    ...filesIn(`/usr/${m.triplet}/lib`),
    ...buildSample(m, dir),
    ...buildNames(m, dir),
  ];
  const perOption = new Map(options.map((o) => [o, { same: 0, diffs: [] }]));
  let archSame = 0;
  for (const f of files) {
    for (const o of options) {
      const args = [...split(o), f];
      const gnu = spawnSync(gnuNm, args, { cwd: ROOT, env, maxBuffer: 1 << 30 });
      const ours = await cmds.run("nm", args);
      const gout = gnu.stdout.toString("latin1");
      const gerr = gnu.stderr.toString("latin1");
      let why;
      if (ours.exception) why = `exception: ${ours.exception.stack ?? ours.exception}`;
      else if (ours.stdout !== gout) why = `stdout ${firstDifference(ours.stdout, gout)}`;
      else if (strip(ours.stderr) !== strip(gerr))
        why = `stderr ${firstDifference(strip(ours.stderr), strip(gerr))}`;
      else if (ours.status !== gnu.status) why = `status ${ours.status}, gnu ${gnu.status}`;
      const s = perOption.get(o);
      if (why) s.diffs.push(`    ${f}: ${why}`);
      else {
        s.same++;
        archSame++;
      }
    }
  }
  const n = files.length * options.length;
  same += archSame;
  total += n;
  console.log(`${m.arch} (${files.length} files, against ${gnuNm}): ${archSame}/${n} identical`);
  for (const [o, s] of perOption) {
    if (s.same === files.length) continue;
    console.log(`  nm ${o}: ${s.same}/${files.length} identical`);
    for (const d of s.diffs.slice(0, opt.show)) console.log(d);
  }
}
console.log(`total: ${same}/${total} identical`);
process.exitCode = same === total ? 0 : 1;
