import { spawnSync } from "node:child_process";
import {
  BufferSource,
  ElfFile,
  EM_386,
  EM_X86_64,
  ET_DYN,
  PF_R,
  PF_W,
  PF_X,
  PT_LOAD,
} from "../../src/elf/index.js";
import type { ExecLayoutOptions, MappedFile } from "../../src/process/exec-layout.js";
import { kernelProfile } from "../../src/process/kernel-profile.js";
import { makeElf } from "./make-elf.js";

/** The layout tests' kernel: 6.18's vDSO sizes, so predictions do not depend on the machine. */
export const testProfile = kernelProfile("6.18.0", { vvar: 0x4000, vvarVclock: 0x2000, vdso: 0x2000 });

/** execve options for /t/prog with an empty environment and an 8 MiB stack limit. */
export const execOptions = (over: Partial<ExecLayoutOptions> = {}): ExecLayoutOptions => ({
  profile: testProfile,
  stackLimit: 8n << 20n,
  legacy: false,
  addrLimit3GB: false,
  execfn: "/t/prog",
  argv: ["/t/prog"],
  envp: [],
  ...over,
});

/** A synthetic ELF image as the kernel would see the file (device fe:00). */
export function mappedElf(bytes: Uint8Array, path: string, inode = 1n): MappedFile {
  return { file: ElfFile.open(new BufferSource(bytes)), path, devMajor: 0xfe, devMinor: 0, inode };
}

/**
 * A two-segment program: text at `base`, data+bss at base + 0x2e10 (filesz 0x200, memsz 0x3000); a
 * small PIE at base 0, or ET_EXEC at its address.
 */
export function testProgram(is64: boolean, type: number, base: bigint, align = 0x1000n): Uint8Array {
  return makeElf({
    is64,
    e_type: type,
    e_machine: is64 ? EM_X86_64 : EM_386,
    e_entry: base + 0x1000n,
    size: 0x4000,
    phdrs: [
      {
        p_type: PT_LOAD,
        p_flags: PF_R | PF_X,
        p_offset: 0n,
        p_vaddr: base,
        p_filesz: 0x1800n,
        p_memsz: 0x1800n,
        p_align: align,
      },
      {
        p_type: PT_LOAD,
        p_flags: PF_R | PF_W,
        p_offset: 0x2e10n,
        p_vaddr: base + 0x2e10n,
        p_filesz: 0x200n,
        p_memsz: 0x3000n,
        p_align: align,
      },
    ],
  });
}

/** An interpreter-like shared object of span 0x3000, as /t/ld.so. */
export function testInterpreter(is64 = true, inode = 1n): MappedFile {
  const bytes = makeElf({
    is64,
    e_type: ET_DYN,
    e_machine: is64 ? EM_X86_64 : EM_386,
    e_entry: 0x100n,
    size: 0x3000,
    phdrs: [
      {
        p_type: PT_LOAD,
        p_flags: PF_R | PF_X,
        p_offset: 0n,
        p_vaddr: 0n,
        p_filesz: 0x2000n,
        p_memsz: 0x2000n,
        p_align: 0x1000n,
      },
      {
        p_type: PT_LOAD,
        p_flags: PF_R | PF_W,
        p_offset: 0x2000n,
        p_vaddr: 0x2000n,
        p_filesz: 0x800n,
        p_memsz: 0x800n,
        p_align: 0x1000n,
      },
    ],
  });
  return mappedElf(bytes, "/t/ld.so", inode);
}

export const hasGdb = spawnSync("gdb", ["--version"]).status === 0;

/**
 * /proc/PID/maps of `prog` under gdb (ASLR off, an environment of just `env`) at a temporary breakpoint
 * on AT_ENTRY, as scripts/compat-layout.mjs takes it; undefined when gdb cannot trace here.
 */
export function mapsAtEntry(prog: string, env: Record<string, string> = {}): string | undefined {
  const script = [
    "set disable-randomization on",
    "set startup-with-shell off",
    "unset environment",
    ...Object.entries(env).map(([name, value]) => `set environment ${name}=${value}`),
    "starti",
    'python import gdb, re; e = int(re.search(r"AT_ENTRY\\s.*?(0x[0-9a-f]+)", gdb.execute("info auxv", to_string=True)).group(1), 16); int(gdb.parse_and_eval("$pc")) == e or (gdb.execute("tbreak *%#x" % e), gdb.execute("continue"))',
    'python import gdb; print("@@MAPS@@"); print(open("/proc/%d/maps" % gdb.selected_inferior().pid).read(), end=""); print("@@END@@")',
    "kill",
  ];
  const real = spawnSync("env", ["-i", "gdb", "-nx", "-batch", ...script.flatMap((c) => ["-ex", c]), prog], {
    encoding: "latin1",
  });
  return /@@MAPS@@\n([\s\S]*?)@@END@@/.exec(real.stdout)?.[1];
}

/** `anatomy layout --env-clear --format maps` of `prog` from the sources: the entry stage by default. */
export function predictedMaps(prog: string, extra: string[] = []): { stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "layout", "--env-clear", "--format", "maps"].concat(
      ["--stack-limit", String(8 << 20)],
      extra,
      [prog],
    ),
    { encoding: "latin1" },
  );
  return { stdout: r.stdout, stderr: r.stderr };
}
