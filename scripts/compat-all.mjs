#!/usr/bin/env node
// `npm run compat`: every comparison with the reference tools on this machine, one after another.
// Arguments go to scripts/compat.mjs (readelf/nm/size); e.g. `npm run compat -- --quick`.
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const steps = [
  ["readelf, nm and size against GNU binutils", ["scripts/compat.mjs", ...args]],
  ["objdump against GNU objdump", ["scripts/compat-objdump.mjs", ...args.filter((a) => a === "--quick")]],
  ["objdump -d against GNU objdump, line by line", ["scripts/compat-disasm.mjs"]],
  ["objdump -d on AArch64 against aarch64-linux-gnu-objdump", ["scripts/compat-disasm.mjs", "--aarch64"]],
  [
    "objdump -d on ARM, RISC-V, s390x and MIPS against the cross objdumps",
    ["scripts/compat-disasm-foreign.mjs"],
  ],
  ["nm on other machines against the target-aware nm", ["scripts/compat-nm-foreign.mjs"]],
  ["ldd paths against ldd", ["scripts/compat-ldd.mjs"]],
  ["ldd load addresses against setarch -R ldd", ["scripts/compat-ldd.mjs", "--addresses"]],
  ["check against checksec", ["scripts/compat-check.mjs"]],
  ["bind against LD_DEBUG=bindings", ["scripts/compat-bind.mjs"]],
  ["pmap against procps pmap on this machine's processes", ["scripts/compat-pmap.mjs"]],
  ["layout against the real maps under gdb (exec stage)", ["scripts/compat-layout.mjs"]],
  ["layout against the real maps under gdb (entry stage)", ["scripts/compat-layout.mjs", "--stage", "entry"]],
  ["plt against objdump's @plt labels and branches, and readelf -D -r", ["scripts/compat-plt.mjs"]],
  ["build against objdump -dr, readelf and gcc -###", ["scripts/compat-build.mjs"]],
  ["readelf, nm and size on truncated files against GNU binutils", ["scripts/compat-truncated.mjs"]],
  ["layout --aslr against 300 real runs of cat", ["scripts/check-aslr.mjs", "--bin", "node bin/anatomy.js"]],
  [
    "layout --aslr against 150 real runs of sed, libraries included",
    [
      "scripts/check-aslr.mjs",
      "--runs",
      "150",
      "--bin",
      "node bin/anatomy.js",
      "/usr/bin/sed",
      "-n",
      "p",
      "/proc/self/maps",
    ],
  ],
];
let failed = 0;
for (const [what, argv] of steps) {
  console.log(`\n== ${what}`);
  const r = spawnSync(process.execPath, argv, { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
