import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { describeElfError, ElfFile, isElfError } from "../elf/index.js";
import {
  type ExecLayoutOptions,
  interpreterPath,
  type MappedFile,
  predictExecLayout,
} from "../process/exec-layout.js";
import { kernelProfile, measureSpecials } from "../process/kernel-profile.js";
import { renderLayout } from "../render/layout.js";
import type { CommandIO } from "./io.js";

const USAGE = `Usage: anatomy layout [options] FILE [-- ARG...]
  The /proc/PID/maps FILE would have right after execve, without running it (ASLR off).
  --stage exec          as the kernel leaves it at execve (program, interpreter, vdso, stack)
  --env-clear           start from an empty environment (like env -i)
  --env NAME=VALUE      add an environment variable (repeatable)
  --stack-limit N       RLIMIT_STACK in bytes, or 'unlimited' (default: this process's limit)
  --legacy              the legacy bottom-up layout (setarch -L)
  --3gb                 i386 only: a 3 GiB address space (setarch -3)
  --root DIR            resolve the interpreter inside DIR
  --format maps         exactly /proc/PID/maps lines (default: annotated)
  --diagram             draw the address space
  --json                the model as JSON
`;

/** Device numbers as the kernel's maps prints them (new_encode_dev split into major:minor). */
function deviceOf(dev: number): [number, number] {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return [major, minor];
}

function mappedFile(path: string, io: CommandIO): MappedFile {
  const real = realpathSync(path);
  const st = statSync(real, { bigint: true });
  const [devMajor, devMinor] = deviceOf(Number(st.dev));
  const source = io.openFile(real);
  return { file: ElfFile.open(source), path: real, devMajor, devMinor, inode: st.ino };
}

function currentStackLimit(): bigint | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "latin1");
    const m = /^Max stack size\s+(\S+)/m.exec(limits);
    if (!m || m[1] === "unlimited") return undefined;
    return BigInt(m[1]!);
  } catch {
    return 8n << 20n;
  }
}

function kernelRelease(): string {
  try {
    return readFileSync("/proc/sys/kernel/osrelease", "latin1").trim();
  } catch {
    return "0.0";
  }
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  let file: string | undefined;
  let argv: string[] | undefined;
  let envClear = false;
  const extraEnv: string[] = [];
  let stackLimit: bigint | undefined | null = null;
  let legacy = false;
  let addrLimit3GB = false;
  let root = "";
  let format: "annotated" | "maps" = "annotated";
  let json = false;
  let diagram = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "--") {
        argv = args.slice(i + 1);
        break;
      } else if (a === "--stage") {
        const v = value();
        if (v !== "exec") throw new UsageError(`--stage ${v}: only the exec stage is modelled so far`);
      } else if (a === "--env-clear") envClear = true;
      else if (a === "--env") extraEnv.push(value());
      else if (a === "--stack-limit") {
        const v = value();
        if (v === "unlimited") stackLimit = undefined;
        else if (/^\d+$/.test(v)) stackLimit = BigInt(v);
        else throw new UsageError(`--stack-limit: '${v}' is not a number of bytes`);
      } else if (a === "--legacy") legacy = true;
      else if (a === "--3gb") addrLimit3GB = true;
      else if (a === "--root") root = value();
      else if (a === "--format") {
        const v = value();
        if (v !== "maps" && v !== "annotated") throw new UsageError(`--format ${v}: use maps or annotated`);
        format = v;
      } else if (a === "--json") json = true;
      else if (a === "--diagram") diagram = true;
      else if (a === "--help" || a === "-h") {
        io.stdout.write(USAGE);
        return 0;
      } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
      else if (file === undefined) file = a;
      else throw new UsageError(`unexpected argument ${a} (program arguments go after --)`);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`anatomy layout: ${e.message}\n${USAGE}`);
      return 1;
    }
  }
  if (file === undefined) {
    io.stderr.write(USAGE);
    return 1;
  }
  let exe: MappedFile;
  try {
    exe = mappedFile(file, io);
  } catch (e) {
    io.stderr.write(
      `anatomy layout: ${file}: ${isElfError(e) ? describeElfError(e) : (e as Error).message}\n`,
    );
    return 1;
  }
  try {
    const interpName = interpreterPath(exe.file);
    let interp: MappedFile | undefined;
    if (interpName !== undefined) {
      const where = root
        ? resolve(root, `.${interpName}`)
        : isAbsolute(interpName)
          ? interpName
          : resolve(dirname(file), interpName);
      interp = mappedFile(where, io);
    }
    const envp = envClear
      ? []
      : Object.entries(io.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    envp.push(...extraEnv);
    let maps = "";
    try {
      maps = readFileSync("/proc/self/maps", "latin1");
    } catch {
      // no /proc: the profile's defaults stand
    }
    const opts: ExecLayoutOptions = {
      profile: kernelProfile(kernelRelease(), measureSpecials(maps)),
      stackLimit: stackLimit === null ? currentStackLimit() : stackLimit,
      legacy,
      addrLimit3GB,
      execfn: file,
      argv: [file, ...(argv ?? [])],
      envp,
    };
    const layout = predictExecLayout(exe, interp, opts);
    renderLayout(layout, { format, json, diagram }, io.stdout);
    return 0;
  } catch (e) {
    if (!isElfError(e) && !(e instanceof Error && "code" in e)) throw e;
    io.stderr.write(
      `anatomy layout: ${file}: ${isElfError(e) ? describeElfError(e) : (e as Error).message}\n`,
    );
    return 1;
  }
}

class UsageError extends Error {}
