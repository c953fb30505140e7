import { LinkError, LinkSession } from "../link/index.js";
import { depsModel, renderLdd } from "../render/deps.js";
import { parseLinkArgs } from "./deps.js";
import type { CommandIO } from "./io.js";
import { nodeLinkFs } from "./link-fs.js";

const USAGE = `Usage: anatomy ldd [OPTIONS] FILE...
  Prints what glibc's ldd prints, without running the program or its interpreter.
  Load addresses are not predicted yet: lines end after the path.
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
  for (const file of a.files) {
    if (a.files.length > 1 && !a.json) io.stdout.write(`${file}:\n`);
    // ldd runs "./NAME" for a name without a slash, so that is the name ld.so sees.
    const path = file.includes("/") ? file : `./${file}`;
    if (!fs.exists(path)) {
      io.stderr.write(`ldd: ${path}: No such file or directory\n`);
      status = 1;
      continue;
    }
    if (!fs.open(path)) {
      io.stderr.write(`ldd: ${path}: not regular file\n`);
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
        renderLdd(g, io.stdout);
      }
    } catch (e) {
      if (!(e instanceof LinkError)) throw e;
      io.stderr.write("\tnot a dynamic executable\n");
      status = 1;
    }
  }
  if (a.json) io.stdout.write(`${JSON.stringify(a.files.length === 1 ? models[0] : models, null, 2)}\n`);
  return status;
}
