import { readFileSync } from "node:fs";
import { ElfFile, ET_DYN, isElfMagic, PF_R, PF_W, PF_X, type ProgramHeader } from "../elf/index.js";
import {
  aslrOffLoadBias,
  type DefaultBias,
  isZeroFill,
  lookupProblems,
  mappedLoadBias,
  segmentAt,
} from "../process/addr-resolve.js";
import { loadSegments } from "../process/exec-layout.js";
import { type MapsEntry, parseMaps } from "../process/proc-maps.js";
import { type FileLocation, locateInFile } from "../process/symbolize.js";
import { type AddrAnswer, renderAddrText } from "../render/addr.js";
import { loadDemangler } from "./demangle.js";
import { type CommandIO, errnoReason } from "./io.js";
import { inputProblem, problemLine, reportProblem } from "./problem.js";

const USAGE = `Usage: anatomy addr [--json] [--no-demangle] [--base ADDR] PID|FILE ADDRESS...
  Which mapping, file, section and symbol+offset each address is in.
  PID: addresses in the live process (from a crash log); each object's load bias comes from its maps.
  FILE: an address inside the file's PT_LOAD range is taken as link-time (the file's own vaddr);
    any other is a runtime address, minus the load bias: --base ADDR, or by default, for a PIE,
    the kernel's ASLR-off base (x86-64 0x555555554000, i386 0x56555000, aarch64 0xaaaaaaaa0000
    with 48-bit VA and 64 KiB p_align). A shared library needs --base (mmap chose its address).
    --base 0 reads every address as link-time.
  Exit status 1 when some address could not be explained or an input is broken.
`;

const hex = (v: bigint) => `0x${v.toString(16)}`;
const HEX = /^(0x)?[0-9a-f]+$/i;
const parseHex = (a: string): bigint | undefined =>
  HEX.test(a) ? BigInt(/^0x/i.test(a) ? `0x${a.slice(2)}` : `0x${a}`) : undefined;
const permsOf = (ph: ProgramHeader) =>
  `${ph.p_flags & PF_R ? "r" : "-"}${ph.p_flags & PF_W ? "w" : "-"}${ph.p_flags & PF_X ? "x" : "-"}`;

export async function run(args: string[], io: CommandIO): Promise<number> {
  let json = false;
  let demangleNames = true;
  let baseText: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--json") json = true;
    else if (a === "--no-demangle") demangleNames = false;
    else if (a === "--base") baseText = args[++i] ?? "";
    else if (a.startsWith("--base=")) baseText = a.slice("--base=".length);
    else if (a === "--help" || a === "-h") {
      io.stdout.write(USAGE);
      return 0;
    } else rest.push(a);
  }
  const [target, ...addresses] = rest;
  if (target === undefined || addresses.length === 0) {
    io.stderr.write(USAGE);
    return 1;
  }
  const base = baseText === undefined ? undefined : parseHex(baseText);
  if (baseText !== undefined && base === undefined) {
    io.stderr.write(`anatomy addr: --base wants a hexadecimal load bias, not '${baseText}'\n${USAGE}`);
    return 1;
  }
  const pidMode = /^\d+$/.test(target);
  if (pidMode && base !== undefined) {
    io.stderr.write("anatomy addr: --base is for a FILE: a process's maps give each object's load bias\n");
    return 1;
  }
  const demangle = demangleNames ? await loadDemangler() : (s: string) => s;
  const c: Context = { io, demangle, files: new Map(), notes: [], status: 0 };
  const answers = pidMode ? inProcess(c, target, addresses) : inFile(c, target, addresses, base);
  if (answers === undefined) return 1;
  if (json) io.stdout.write(`${JSON.stringify(answers, null, 2)}\n`);
  else renderAddrText(io.stdout, c.notes, answers);
  return answers.some((a) => a.error !== undefined) ? 1 : c.status;
}

interface Context {
  io: CommandIO;
  demangle: (name: string) => string;
  /** Each file opened once: the ELF file, "not-elf", or undefined when its problem was reported. */
  files: Map<string, ElfFile | "not-elf" | undefined>;
  /** How the addresses were read, each said once before the answers. */
  notes: string[];
  /** 1 once a problem with an input was reported. */
  status: number;
}

/** Opens an ELF file once; a broken one gets its problem lines (then undefined), and counts as failed. */
function openElf(c: Context, path: string): ElfFile | "not-elf" | undefined {
  if (c.files.has(path)) return c.files.get(path);
  let result: ElfFile | "not-elf" | undefined;
  try {
    const source = c.io.openFile(path);
    result = source.size >= 4 && isElfMagic(source.read(0, 4)) ? ElfFile.open(source) : "not-elf";
    if (result instanceof ElfFile) {
      for (const p of lookupProblems(result)) {
        reportProblem(c.io, path, p);
        c.status = 1;
      }
    }
  } catch (e) {
    reportProblem(c.io, path, e);
    c.status = 1;
    result = undefined;
  }
  c.files.set(path, result);
  return result;
}

function note(c: Context, text: string): void {
  if (!c.notes.includes(text)) c.notes.push(text);
}

function located(c: Context, answer: AddrAnswer, loc: FileLocation, ph?: ProgramHeader): AddrAnswer {
  return {
    ...answer,
    vaddr: hex(loc.vaddr),
    ...(ph ? { segment: { index: ph.index, perms: permsOf(ph) } } : {}),
    section: loc.section ?? null,
    symbol: loc.symbol === undefined ? null : c.demangle(loc.symbol),
    symbolOffset: loc.symbolOffset === undefined ? null : hex(loc.symbolOffset),
    exact: loc.exact,
  };
}

/** FILE mode: link-time addresses, or runtime ones minus a load bias (--base, or a PIE's ASLR-off base). */
function inFile(
  c: Context,
  target: string,
  addresses: string[],
  base: bigint | undefined,
): AddrAnswer[] | undefined {
  const elf = openElf(c, target);
  if (elf === "not-elf") {
    c.io.stderr.write(problemLine(target, "not an ELF file (no \\x7fELF magic at offset 0)"));
    return undefined;
  }
  if (elf === undefined) return undefined;
  let loads: ProgramHeader[];
  let fallback: DefaultBias | undefined;
  try {
    loads = loadSegments(elf);
    fallback = base === undefined ? aslrOffLoadBias(elf) : undefined;
  } catch (e) {
    reportProblem(c.io, target, e);
    return undefined;
  }
  const isDyn = elf.header.e_type === ET_DYN;
  let low = 0n;
  let high = 0n;
  if (loads.length > 0) {
    low = loads.reduce((m, ph) => (ph.p_vaddr < m ? ph.p_vaddr : m), loads[0]!.p_vaddr);
    high = loads.reduce((m, ph) => (ph.p_vaddr + ph.p_memsz > m ? ph.p_vaddr + ph.p_memsz : m), 0n);
  }
  const range = `its PT_LOAD segments span ${hex(low)}-${hex(high)}`;
  return addresses.map((text): AddrAnswer => {
    const addr = parseHex(text);
    if (addr === undefined) return { address: text, error: "is not a hexadecimal address" };
    const answer: AddrAnswer = { address: hex(addr) };
    if (loads.length === 0) {
      // A relocatable object (or no program headers): the section addresses are all there is.
      const loc = locateInFile(elf, addr);
      if (loc.section === undefined && loc.symbol === undefined)
        return { ...answer, error: `is in no section of ${target}` };
      return located(c, answer, loc);
    }
    let bias: bigint;
    if (base !== undefined) {
      bias = base;
      note(c, `runtime address, load bias ${hex(base)} (from --base)`);
    } else if (segmentAt(loads, addr)) {
      bias = 0n;
      if (isDyn) note(c, `link-time address (inside ${target}: ${range}; --base ADDR for a runtime one)`);
    } else if (fallback && addr >= fallback.bias && segmentAt(loads, addr - fallback.bias)) {
      bias = fallback.bias;
      note(c, `runtime address, load bias ${hex(bias)} (${fallback.why})`);
    } else {
      const why = fallback
        ? ` (neither link-time, as ${range}, nor runtime at the ASLR-off load bias ${hex(fallback.bias)}; --base ADDR to say where it was loaded)`
        : isDyn
          ? ` (not link-time, as ${range}; at runtime a shared object is where mmap put it: give --base ADDR)`
          : ` (${range})`;
      return { ...answer, error: `is in no segment of ${target}${why}` };
    }
    const vaddr = addr - bias;
    const ph = addr >= bias ? segmentAt(loads, vaddr) : undefined;
    if (!ph)
      return {
        ...answer,
        error: `is in no segment of ${target} (at load bias ${hex(bias)}; ${range})`,
      };
    const interpreted: AddrAnswer = { ...answer, interpretation: bias === 0n ? "link-time" : "runtime" };
    if (bias !== 0n) interpreted.loadBias = hex(bias);
    return located(c, interpreted, locateInFile(elf, vaddr), ph);
  });
}

/** PID mode: the mapping, then the object's vaddr through its load bias (read off its first mapping). */
function inProcess(c: Context, pid: string, addresses: string[]): AddrAnswer[] | undefined {
  let maps: MapsEntry[];
  const mapsPath = `/proc/${pid}/maps`;
  try {
    maps = parseMaps(readFileSync(mapsPath, "latin1"), mapsPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what =
      code === "ENOENT"
        ? `no such process (process ${pid} does not exist)`
        : typeof code === "string"
          ? errnoReason(code)
          : (inputProblem(e) ?? (e as Error).message);
    c.io.stderr.write(problemLine(code === "ENOENT" ? `/proc/${pid}` : mapsPath, what));
    return undefined;
  }
  return addresses.map((text): AddrAnswer => {
    const addr = parseHex(text);
    if (addr === undefined) return { address: text, error: "is not a hexadecimal address" };
    const index = maps.findIndex((e) => addr >= e.start && addr < e.end);
    if (index < 0) return { address: hex(addr), error: `is in no mapping of process ${pid}` };
    const m = maps[index]!;
    const answer: AddrAnswer = {
      address: hex(addr),
      mapping: {
        start: hex(m.start),
        end: hex(m.end),
        perms: m.perms,
        path: m.path,
        offsetInMapping: hex(addr - m.start),
      },
    };
    if (m.path.startsWith("/")) return inMappedFile(c, maps, index, addr, answer);
    // Anonymous memory right after a file's mapping may be the zero-filled end of its data segment
    // (.bss past the last file page); with ASLR off the first brk can merge it into [heap].
    const below = maps[index - 1];
    if ((m.path === "" || m.path === "[heap]") && below?.end === m.start && below.path.startsWith("/")) {
      const path = below.path.replace(/ \(deleted\)$/, "");
      const elf = c.files.get(path) ?? quietElf(c, path);
      if (elf instanceof ElfFile) {
        const bias = mappedLoadBias(maps, index - 1, elf);
        const ph = bias === undefined ? undefined : segmentAt(loadSegments(elf), addr - bias);
        if (bias !== undefined && ph && isZeroFill(ph, addr - bias)) {
          const inObject: AddrAnswer = { ...answer, object: path, loadBias: hex(bias) };
          return located(c, inObject, locateInFile(elf, addr - bias), ph);
        }
      }
    }
    return answer;
  });
}

/** An ELF file looked at only in passing (the neighbour of an anonymous mapping): no problem lines. */
function quietElf(c: Context, path: string): ElfFile | undefined {
  try {
    const source = c.io.openFile(path);
    return source.size >= 4 && isElfMagic(source.read(0, 4)) ? ElfFile.open(source) : undefined;
  } catch {
    return undefined;
  }
}

function inMappedFile(
  c: Context,
  maps: MapsEntry[],
  index: number,
  addr: bigint,
  answer: AddrAnswer,
): AddrAnswer {
  const m = maps[index]!;
  const path = m.path.replace(/ \(deleted\)$/, "");
  const elf = openElf(c, path);
  const fileOffset = m.offset + (addr - m.start);
  // A file that is not ELF (a locale archive, a font): the mapping and offset are the whole answer.
  if (elf === "not-elf") return { ...answer, fileOffset: hex(fileOffset) };
  if (elf === undefined)
    return { ...answer, fileOffset: hex(fileOffset), error: `${path} could not be read` };
  try {
    const bias = mappedLoadBias(maps, index, elf);
    if (bias === undefined) {
      // The first segment's mapping is gone (unmapped, or mapped by hand): go by file offset alone.
      const vaddr = elf.offsetToVaddr(fileOffset);
      const withOffset = { ...answer, fileOffset: hex(fileOffset) };
      if (vaddr === undefined) return { ...withOffset, error: `is in no PT_LOAD segment of ${path}` };
      return located(c, withOffset, locateInFile(elf, vaddr), segmentAt(loadSegments(elf), vaddr));
    }
    const vaddr = addr - bias;
    const ph = segmentAt(loadSegments(elf), vaddr);
    if (!ph)
      return {
        ...answer,
        fileOffset: hex(fileOffset),
        loadBias: hex(bias),
        error: `is in the page padding of ${path}'s mapping, outside its PT_LOAD segments`,
      };
    const inObject: AddrAnswer = { ...answer, loadBias: hex(bias) };
    // Past p_filesz the memory is zero-filled (.bss): those bytes are nowhere in the file.
    if (!isZeroFill(ph, vaddr)) inObject.fileOffset = hex(ph.p_offset + (vaddr - ph.p_vaddr));
    return located(c, inObject, locateInFile(elf, vaddr), ph);
  } catch (e) {
    reportProblem(c.io, path, e);
    c.status = 1;
    return { ...answer, fileOffset: hex(fileOffset), error: `${path} could not be read` };
  }
}
