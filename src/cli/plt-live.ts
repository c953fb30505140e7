// `anatomy plt PID`: the GOT slots of a running program, read from /proc/PID/mem, each either still
// pointing back into the PLT (lazy binding has not happened yet) or bound, and then to which symbol of
// which mapped object.
import { closeSync, openSync, readlinkSync, readSync } from "node:fs";
import { SHN_UNDEF, SHT_DYNSYM } from "../elf/constants.js";
import { ElfFile } from "../elf/file.js";
import { mappedLoadBias } from "../process/addr-resolve.js";
import { type MapsEntry, parseMaps } from "../process/proc-maps.js";
import { pltModel, renderPlt } from "../render/plt.js";
import { type CommandIO, readUnsized } from "./io.js";
import { fileReport } from "./plt.js";
import { problemLine } from "./problem.js";

/** Plain words for why a process could not be read. */
function whyNot(code: string | undefined, pid: number): string {
  if (code === "ENOENT" || code === "ESRCH") return "no such process";
  if (code === "EACCES" || code === "EPERM")
    return `cannot read process ${pid}'s memory: it belongs to another user, or ptrace is restricted (kernel.yama.ptrace_scope; run as its owner with ptrace_scope 0, or as root)`;
  return `cannot read process ${pid} (${code ?? "unknown error"})`;
}

/** The mapped object and symbol an address falls in: `libc.so.6 puts+0x0`. */
/** A mapped object's ELF file and its defined dynamic symbols, read once per path. */
interface MappedObject {
  file: ElfFile;
  defined: { name: string; value: bigint; size: bigint }[];
}

function symbolAt(
  maps: MapsEntry[],
  addr: bigint,
  io: CommandIO,
  files: Map<string, MappedObject | null>,
): string | undefined {
  const i = maps.findIndex((m) => addr >= m.start && addr < m.end);
  if (i < 0) return undefined;
  const m = maps[i]!;
  if (!m.path.startsWith("/")) return m.path || "anonymous memory";
  let obj = files.get(m.path);
  if (obj === undefined) {
    obj = null;
    try {
      const file = ElfFile.open(io.openFile(m.path));
      const dynsym = file.sectionHeaders.find((s) => s.sh_type === SHT_DYNSYM);
      const defined = (dynsym ? file.symbols(dynsym) : [])
        .filter((s) => s.st_shndx !== SHN_UNDEF && s.name)
        .map((s) => ({ name: s.name!, value: s.st_value, size: s.st_size }));
      obj = { file, defined };
    } catch {
      // not readable as ELF: named by its path alone
    }
    files.set(m.path, obj);
  }
  const base = m.path.slice(m.path.lastIndexOf("/") + 1);
  if (!obj) return base;
  const bias = mappedLoadBias(maps, i, obj.file);
  if (bias === undefined) return base;
  const value = addr - bias;
  // The defined dynamic symbol whose range holds the address (an exported function's start, usually).
  let best: { name: string; value: bigint } | undefined;
  for (const s of obj.defined) {
    if (s.value > value) continue;
    if (s.value === value || (s.size > 0n && value < s.value + s.size))
      if (!best || s.value > best.value) best = s;
  }
  if (!best) return obj.defined.length ? base : `${base}+0x${value.toString(16)}`;
  return `${base} ${best.name}${value === best.value ? "" : `+0x${(value - best.value).toString(16)}`}`;
}

export async function livePlt(
  pid: number,
  io: CommandIO,
  json: boolean,
  showCallers: boolean,
): Promise<number> {
  const what = `process ${pid}`;
  let exePath: string;
  let maps: MapsEntry[];
  try {
    exePath = readlinkSync(`/proc/${pid}/exe`);
    maps = parseMaps(readUnsized(`/proc/${pid}/maps`).toString("latin1"));
  } catch (e) {
    io.stderr.write(problemLine(what, whyNot((e as NodeJS.ErrnoException).code, pid)));
    return 1;
  }
  let elf: ElfFile;
  try {
    elf = ElfFile.open(io.openFile(`/proc/${pid}/exe`));
  } catch (e) {
    io.stderr.write(problemLine(what, whyNot((e as NodeJS.ErrnoException).code, pid)));
    return 1;
  }
  const exeIndex = maps.findIndex((m) => m.path === exePath);
  const bias = exeIndex >= 0 ? mappedLoadBias(maps, exeIndex, elf) : undefined;
  if (bias === undefined) {
    io.stderr.write(problemLine(what, `${exePath} is not mapped where its program headers say`));
    return 1;
  }
  const report = await fileReport(exePath, elf, io);
  if (typeof report === "number") return report;
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/mem`, "r");
  } catch (e) {
    io.stderr.write(problemLine(what, whyNot((e as NodeJS.ErrnoException).code, pid)));
    return 1;
  }
  const word = elf.is64 ? 8 : 4;
  const buf = Buffer.alloc(word);
  const plt = elf.sectionHeaders.filter((s) => (elf.sectionName(s) ?? "").startsWith(".plt"));
  const inPlt = (v: bigint) => plt.some((s) => v >= bias + s.sh_addr && v < bias + s.sh_addr + s.sh_size);
  const files = new Map<string, MappedObject | null>();
  let status = 0;
  try {
    for (const row of report.rows) {
      let n = 0;
      try {
        n = readSync(fd, buf, 0, word, bias + row.got);
      } catch (e) {
        io.stderr.write(problemLine(what, whyNot((e as NodeJS.ErrnoException).code, pid)));
        return 1;
      }
      if (n !== word) {
        status = 1;
        continue;
      }
      const live = elf.is64 ? buf.readBigUInt64LE(0) : BigInt(buf.readUInt32LE(0));
      row.live = live;
      row.resolved = row.kind === "COPY" ? true : !inPlt(live) && live !== 0n;
      row.target = row.resolved && row.kind !== "COPY" ? live : undefined;
      const at = row.resolved && row.kind !== "COPY" ? symbolAt(maps, live, io, files) : undefined;
      if (at) row.library = at;
    }
  } finally {
    closeSync(fd);
  }
  report.pid = pid;
  report.loadBias = bias;
  if (json) io.stdout.write(`${JSON.stringify(pltModel(report), null, 2)}\n`);
  else renderPlt(report, io.stdout, showCallers);
  return status;
}
