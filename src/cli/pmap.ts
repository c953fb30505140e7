import { ProcFormatError, parseSmapsTable } from "../process/smaps-table.js";
import {
  defaultPmapOptions,
  extendedFields,
  InconsistentSmapsError,
  newExtendedRun,
  type PmapOptions,
  renderPmap,
  renderPmapExtended,
} from "../render/pmap.js";
import { type PmapRc, renderPmapRc } from "../render/pmap-rc.js";
import { type CommandIO, readUnsized } from "./io.js";
import { createPmapRc, readPmapRc } from "./pmap-rc.js";

const USAGE = `
Usage:
 pmap [options] PID [PID ...]

Options:
 -x, --extended              show details
 -X                          show even more details
            WARNING: format changes according to /proc/PID/smaps
 -XX                         show everything the kernel provides
 -c, --read-rc               read the default rc
 -C, --read-rc-from=<file>   read the rc from file
 -n, --create-rc             create new default rc
 -N, --create-rc-to=<file>   create new rc to file
            NOTE: pid arguments are not allowed with -n, -N
 -d, --device                show the device format
 -q, --quiet                 do not display header and footer
 -p, --show-path             show path in the mapping
 -A, --range=<low>[,<high>]  limit results to the given range

 -h, --help     display this help and exit
 -V, --version  output version information and exit

For more details see pmap(1).
`;

/** Reads a /proc file; undefined when the process is gone or unreadable. */
function readProcBytes(path: string): Buffer | undefined {
  try {
    return readUnsized(path);
  } catch {
    return undefined;
  }
}

/** A /proc file as a byte string. */
const readProc = (path: string): string | undefined => readProcBytes(path)?.toString("latin1");

/** cmdline with NULs as spaces, `[comm]` for kernel threads (what procps' PIDS_CMDLINE gives). */
function commandOf(pid: number): string | undefined {
  const cmdline = readProc(`/proc/${pid}/cmdline`);
  if (cmdline === undefined) return undefined;
  // procps shows control characters (argument separators, newlines inside arguments) as spaces.
  const args = cmdline.replace(/\0+$/, "").replace(/[\0-\x1f\x7f]/g, " ");
  if (args !== "") return args;
  const comm = readProc(`/proc/${pid}/comm`);
  return comm === undefined ? undefined : `[${comm.replace(/\n$/, "")}]`;
}

/** Field 28 of /proc/PID/stat (startstack); fields are counted after the `(comm)` field, which may hold spaces. */
function startStackOf(pid: number): bigint {
  const stat = readProc(`/proc/${pid}/stat`) ?? "";
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const value = rest[25];
  return value && /^\d+$/.test(value) ? BigInt(value) : 0n;
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  const opts: PmapOptions = defaultPmapOptions();
  // procps counts each of these once, however often it is given (-x -x is fine, -x -d is not).
  const flag = { c: false, C: false, d: false, n: false, N: false, x: false };
  /** -C FILE / -N FILE (the last one given). */
  let rcFile: string | undefined;
  const operands: string[] = [];
  let xCount = 0;
  const usage = (): number => {
    io.stderr.write(USAGE);
    return 1;
  };
  if (args.length === 0) return usage();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("--")) {
      // --name=value: the value is everything after the first '=' (a file name may hold more).
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (name === "extended") {
        opts.mode = "x";
        flag.x = true;
      } else if (name === "device") {
        opts.mode = "d";
        flag.d = true;
      } else if (name === "quiet") opts.quiet = true;
      else if (name === "show-path") opts.showPath = true;
      else if (name === "range") {
        if (!setRange(opts, value ?? args[++i] ?? ""))
          return fail(io, `failed to parse argument: '${value}'`);
      } else if (name === "read-rc" || name === "create-rc") {
        if (value !== undefined) {
          io.stderr.write(`pmap: option '--${name}' doesn't allow an argument\n`);
          return usage();
        }
        if (name === "read-rc") flag.c = true;
        else flag.n = true;
      } else if (name === "read-rc-from" || name === "create-rc-to") {
        rcFile = value ?? args[++i];
        if (rcFile === undefined) {
          io.stderr.write(`pmap: option '--${name}' requires an argument\n`);
          return usage();
        }
        if (name === "read-rc-from") flag.C = true;
        else flag.N = true;
      } else if (name === "help") {
        io.stdout.write(USAGE);
        return 0;
      } else if (name === "version") {
        io.stdout.write("pmap from procps-ng 4.0.2 (anatomy)\n");
        return 0;
      } else {
        io.stderr.write(`pmap: unrecognized option '${arg}'\n`);
        return usage();
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        if (c === "x") {
          opts.mode = "x";
          flag.x = true;
        } else if (c === "X") xCount++;
        else if (c === "d") {
          opts.mode = "d";
          flag.d = true;
        } else if (c === "q") opts.quiet = true;
        else if (c === "p") opts.showPath = true;
        else if (c === "c") flag.c = true;
        else if (c === "n") flag.n = true;
        else if (c === "r") io.stderr.write("pmap: option -r is ignored as SunOS compatibility\n");
        else if (c === "A") {
          const v = j + 1 < arg.length ? arg.slice(j + 1) : (args[++i] ?? "");
          if (!setRange(opts, v)) return fail(io, `failed to parse argument: '${v}'`);
          break;
        } else if (c === "C" || c === "N") {
          // The file is the rest of this word, else the next argument.
          rcFile = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
          if (rcFile === undefined) {
            io.stderr.write(`pmap: option requires an argument -- '${c}'\n`);
            return usage();
          }
          flag[c] = true;
          break;
        } else if (c === "h") {
          io.stdout.write(USAGE);
          return 0;
        } else if (c === "V") {
          io.stdout.write("pmap from procps-ng 4.0.2 (anatomy)\n");
          return 0;
        } else {
          io.stderr.write(`pmap: invalid option -- '${c}'\n`);
          return usage();
        }
      }
      continue;
    }
    operands.push(arg);
  }
  if (xCount > 0) opts.mode = xCount > 1 ? "XX" : "X";
  // The order of main()'s checks in procps 4.0.2 src/pmap.c.
  const exclusive = Object.values(flag).filter(Boolean).length + (xCount > 0 ? 1 : 0);
  if (exclusive > 1) return fail(io, "options -c, -C, -d, -n, -N, -x, -X are mutually exclusive");
  const create = flag.n || flag.N;
  if (create && (opts.quiet || opts.showPath))
    return fail(io, "options -p, -q are mutually exclusive with -n, -N");
  if (create && operands.length > 0) return fail(io, "too many arguments");
  if (create) return createPmapRc(io, flag.N ? rcFile : undefined);
  if (operands.length === 0) return fail(io, "argument missing");
  // -c / -C: the rc is read (its warnings printed) before the PIDs are looked at.
  let rc: PmapRc | undefined;
  if (flag.c || flag.C) {
    rc = readPmapRc(io, flag.C ? rcFile : undefined);
    if (rc === undefined) return 1;
  }
  const pids: number[] = [];
  for (const arg of operands) {
    const text = arg.startsWith("/proc/") ? arg.slice(6) : arg;
    if (arg.startsWith("/proc/") && !/^[0-9]/.test(text)) continue;
    if (!/^[0-9]+$/.test(text)) return usage();
    const pid = Number(text);
    if (pid < 1 || pid > 0x7fffffff) return usage();
    pids.push(pid);
  }
  // procps_pids_select fails when every operand was a /proc/NAME it skipped.
  if (pids.length === 0) return fail(io, "library failed pids statistics");

  let status = 0;
  let found = 0;
  // pmap 4.0.2 keeps the -X/-XX/-c columns and their totals from one PID to the next.
  const extendedRun = newExtendedRun();
  const enabled = extendedFields(opts.mode === "XX" ? "XX" : "X");
  for (const pid of pids) {
    const command = commandOf(pid);
    if (command === undefined) continue; // procps skips processes it cannot find
    found++;
    const smaps = rc !== undefined || (opts.mode !== "default" && opts.mode !== "d");
    const file = `/proc/${pid}/${smaps ? "smaps" : "maps"}`;
    const bytes = readProcBytes(file);
    if (bytes === undefined) {
      io.stdout.write(`${pid}:   ${command}\n`);
      status |= 1;
      continue;
    }
    try {
      const proc = { pid, command, startStack: startStackOf(pid) };
      if (!smaps) renderPmap(proc, parseSmapsTable(bytes, file, "maps"), opts, io.stdout);
      else {
        const table = parseSmapsTable(bytes, file);
        if (rc) renderPmapRc(proc, table, rc, opts, io.stdout, extendedRun);
        else if (opts.mode === "x") renderPmap(proc, table, opts, io.stdout);
        else renderPmapExtended(proc, table, opts, io.stdout, enabled, extendedRun);
      }
    } catch (e) {
      if (e instanceof InconsistentSmapsError) return fail(io, e.message); // procps exits there
      if (!(e instanceof ProcFormatError)) throw e;
      io.stderr.write(`pmap: ${e.file} line ${e.lineNumber}: ${e.message}\n`);
      status |= 1;
    }
  }
  if (found < pids.length) status |= 42; // procps: not every process asked for was found
  return status;
}

function fail(io: CommandIO, message: string): number {
  io.stderr.write(`pmap: ${message}\n`);
  return 1;
}

/** -A low[,high], hexadecimal; either side may be empty. */
function setRange(opts: PmapOptions, value: string): boolean {
  const [low, high = low] = value.split(",", 2) as [string, string | undefined];
  if (!/^[0-9a-fA-F]*$/.test(low) || !/^[0-9a-fA-F]*$/.test(high ?? "")) return false;
  if (low !== "") opts.rangeLow = BigInt(`0x${low}`);
  if (high) opts.rangeHigh = BigInt(`0x${high}`);
  return true;
}
