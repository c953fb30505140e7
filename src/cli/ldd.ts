import { readFileSync } from "node:fs";
import { LinkError, type LinkGraph, LinkSession } from "../link/index.js";
import { interpreterPath, predictExecLayout } from "../process/exec-layout.js";
import { kernelProfile, measureSpecials } from "../process/kernel-profile.js";
import { depsModel, renderLdd } from "../render/deps.js";
import { parseLinkArgs } from "./deps.js";
import type { CommandIO } from "./io.js";
import { entryLayout, mappedFile } from "./layout.js";
import { nodeLinkFs } from "./link-fs.js";

const USAGE = `Usage: anatomy ldd [OPTIONS] FILE...
  Prints what glibc's ldd prints, without running the program or its interpreter.
  Load addresses are predicted as \`setarch -R ldd\` shows them (ASLR off); with ASLR on they vary.
  --root DIR, --env NAME=VALUE, --x86-level N, --json   as for anatomy deps
`;

/** The ld.so programs ldd tries, in its order (RTLDLIST in Debian's ldd script). */
const RTLDLIST = ["/lib/ld-linux.so.2", "/lib64/ld-linux-x86-64.so.2", "/libx32/ld-linux-x32.so.2"];

export async function run(args: string[], io: CommandIO): Promise<number> {
  const a = parseLinkArgs(args, io, USAGE);
  if (typeof a === "number") return a;
  const fs = nodeLinkFs(a.root);
  const session = new LinkSession({ fs, env: a.env, mode: "ldd", x86Level: a.x86Level });
  let status = 0;
  const models: unknown[] = [];
  // What is printed so far goes out before a complaint, as it would from ldd's separate ld.so runs.
  const complain = (message: string) => {
    io.stdout.flush?.();
    io.stderr.write(message);
  };
  for (const file of a.files) {
    // ldd is a shell script running ld.so once per file: each file's lines are out before the next
    // file's, on stdout and stderr alike, even when both go to one file (`ldd A B > f 2>&1`).
    io.stdout.flush?.();
    if (a.files.length > 1 && !a.json) io.stdout.write(`${file}:\n`);
    // ldd runs "./NAME" for a name without a slash, so that is the name ld.so sees.
    const path = file.includes("/") ? file : `./${file}`;
    if (!fs.exists(path)) {
      complain(`ldd: ${path}: No such file or directory\n`);
      status = 1;
      continue;
    }
    if (!fs.open(path)) {
      complain(`ldd: ${path}: not regular file\n`);
      status = 1;
      continue;
    }
    try {
      const g = session.link(path);
      const usable = RTLDLIST.includes(g.profile.rtld) && fs.exists(g.profile.rtld) && g.flavor === "glibc";
      if (!usable || !g.dynamic) throw new LinkError("not-elf", "not a dynamic executable");
      if (a.json) {
        models.push(depsModel(g));
      } else if (g.fatal) {
        io.stdout.write(`${path}: error while loading shared libraries: ${g.fatal}\n`);
        status = 1;
      } else if (g.main.needed.length === 0) {
        io.stdout.write("\tstatically linked\n");
      } else {
        for (const w of g.warnings) io.stdout.write(`${w}\n`);
        const addresses = predictAddresses(g, path, a.root, a.env, io);
        if (addresses) io.stdout.write(lddLines(g, addresses));
        else renderLdd(g, io.stdout);
      }
    } catch (e) {
      if (!(e instanceof LinkError)) throw e;
      complain("\tnot a dynamic executable\n");
      status = 1;
    }
  }
  if (a.json) io.stdout.write(`${JSON.stringify(a.files.length === 1 ? models[0] : models, null, 2)}\n`);
  return status;
}

/**
 * Where ld.so, run by ldd as a program with FILE as its argument, puts each object (l_addr): the kernel
 * maps ld.so in the mmap area, ld.so maps FILE and then its libraries (see process/entry-layout.ts).
 */
function predictAddresses(
  g: LinkGraph,
  path: string,
  root: string | undefined,
  env: Record<string, string | undefined>,
  io: CommandIO,
): Map<string, bigint> | undefined {
  try {
    const rtldPath = root ? `${root}${g.profile.rtld}` : g.profile.rtld;
    const rtld = mappedFile(rtldPath, io);
    const program = mappedFile(root && path.startsWith("/") ? `${root}${path}` : path, io);
    if (interpreterPath(rtld.file) !== undefined) return undefined;
    let maps = "";
    try {
      maps = readFileSync("/proc/self/maps", "latin1");
    } catch {
      // the profile's defaults
    }
    const profile = kernelProfile(
      readFileSync("/proc/sys/kernel/osrelease", "latin1").trim(),
      measureSpecials(maps),
    );
    const exec = predictExecLayout(rtld, undefined, {
      profile,
      stackLimit: 8n << 20n,
      legacy: false,
      addrLimit3GB: false,
      execfn: g.profile.rtld,
      argv: [g.profile.rtld, path],
      envp: [],
    });
    const layout = entryLayout(
      exec,
      rtld,
      rtld,
      path,
      { root: root ?? "", env, mode: "ldd", profile, legacy: false, io },
      program,
    );
    const out = new Map<string, bigint>();
    for (const o of layout.objects) out.set(o.path, o.bias);
    out.set("\0rtld", exec.loadBias);
    const vdso = layout.mappings.find((m) => m.path === "[vdso]");
    if (vdso) out.set("\0vdso", vdso.start);
    return out;
  } catch {
    return undefined;
  }
}

/** ldd's lines (elf/rtld.c's trace output): `name => path (0x%0*lx)`, the address l_addr. */
function lddLines(g: LinkGraph, addresses: Map<string, bigint>): string {
  const width = g.profile.is64 ? 16 : 8;
  const at = (v: bigint | undefined): string =>
    v === undefined ? "" : ` (0x${v.toString(16).padStart(width, "0")})`;
  let text = "";
  for (const o of g.objects) {
    if (o.kind === "main") continue;
    if (o.kind === "missing") {
      text += `\t${o.name} => not found\n`;
      continue;
    }
    const addr =
      o.kind === "vdso"
        ? addresses.get("\0vdso")
        : o.kind === "interpreter"
          ? addresses.get("\0rtld")
          : addresses.get(o.path);
    if (o.name === o.path || o.kind === "vdso") text += `\t${o.name}${at(addr)}\n`;
    else text += `\t${o.name} => ${o.path}${at(addr)}\n`;
  }
  return text;
}
