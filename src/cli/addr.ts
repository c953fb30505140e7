import { readFileSync } from "node:fs";
import { describeElfError, ElfFile, isElfError, isElfMagic } from "../elf/index.js";
import { type MapsEntry, parseMaps } from "../process/proc-maps.js";
import { type FileLocation, locateInFile } from "../process/symbolize.js";
import { loadDemangler } from "./demangle.js";
import type { CommandIO } from "./io.js";

const USAGE = `Usage: anatomy addr [--json] [--no-demangle] PID|FILE ADDRESS...
  Which mapping, file, section and symbol+offset each address is in.
  PID: addresses in the live process (from a crash log); FILE: virtual addresses of the file.
`;

interface Answer {
  address: string;
  mapping?: { start: string; end: string; perms: string; path: string; offsetInMapping: string };
  fileOffset?: string;
  vaddr?: string;
  section?: string | null;
  symbol?: string | null;
  symbolOffset?: string | null;
  exact?: boolean;
  error?: string;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

export async function run(args: string[], io: CommandIO): Promise<number> {
  let json = false;
  let demangleNames = true;
  const rest: string[] = [];
  for (const a of args) {
    if (a === "--json") json = true;
    else if (a === "--no-demangle") demangleNames = false;
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
  const parsed: (bigint | undefined)[] = addresses.map((a) =>
    /^(0x)?[0-9a-f]+$/i.test(a) ? BigInt(a.startsWith("0x") || a.startsWith("0X") ? a : `0x${a}`) : undefined,
  );
  const demangle = demangleNames ? await loadDemangler() : (s: string) => s;
  const files = new Map<string, ElfFile | string>();
  const openElf = (path: string): ElfFile | string => {
    const known = files.get(path);
    if (known !== undefined) return known;
    let result: ElfFile | string;
    try {
      const source = io.openFile(path);
      result = source.size >= 4 && isElfMagic(source.read(0, 4)) ? ElfFile.open(source) : "not an ELF file";
    } catch (e) {
      result = isElfError(e) ? describeElfError(e) : (e as Error).message;
    }
    files.set(path, result);
    return result;
  };
  const withSymbol = (answer: Answer, loc: FileLocation): Answer => ({
    ...answer,
    vaddr: hex(loc.vaddr),
    section: loc.section ?? null,
    symbol: loc.symbol === undefined ? null : demangle(loc.symbol),
    symbolOffset: loc.symbolOffset === undefined ? null : hex(loc.symbolOffset),
    exact: loc.exact,
  });

  const answers: Answer[] = [];
  let status = 0;
  if (/^\d+$/.test(target)) {
    let maps: MapsEntry[];
    try {
      maps = parseMaps(readFileSync(`/proc/${target}/maps`, "latin1"), `/proc/${target}/maps`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT"
          ? `process ${target} does not exist`
          : code === "EACCES"
            ? `cannot read /proc/${target}/maps: permission denied`
            : (e as Error).message;
      io.stderr.write(`anatomy addr: ${why}\n`);
      return 1;
    }
    addresses.forEach((text, i) => {
      const addr = parsed[i];
      if (addr === undefined) {
        answers.push({ address: text, error: "not a hexadecimal address" });
        status = 1;
        return;
      }
      const m = maps.find((e) => addr >= e.start && addr < e.end);
      if (!m) {
        answers.push({ address: hex(addr), error: "not in any mapping" });
        status = 1;
        return;
      }
      const answer: Answer = {
        address: hex(addr),
        mapping: {
          start: hex(m.start),
          end: hex(m.end),
          perms: m.perms,
          path: m.path,
          offsetInMapping: hex(addr - m.start),
        },
      };
      if (!m.path.startsWith("/")) {
        answers.push(answer);
        return;
      }
      const fileOffset = m.offset + (addr - m.start);
      answer.fileOffset = hex(fileOffset);
      const elf = openElf(m.path.replace(/ \(deleted\)$/, ""));
      if (typeof elf === "string") {
        answers.push({ ...answer, error: elf });
        return;
      }
      try {
        const vaddr = elf.offsetToVaddr(fileOffset);
        answers.push(
          vaddr === undefined
            ? { ...answer, error: "file offset is in no PT_LOAD segment" }
            : withSymbol(answer, locateInFile(elf, vaddr)),
        );
      } catch (e) {
        answers.push({ ...answer, error: isElfError(e) ? describeElfError(e) : (e as Error).message });
      }
    });
  } else {
    const elf = openElf(target);
    if (typeof elf === "string") {
      io.stderr.write(`anatomy addr: ${target}: ${elf}\n`);
      return 1;
    }
    addresses.forEach((text, i) => {
      const addr = parsed[i];
      if (addr === undefined) {
        answers.push({ address: text, error: "not a hexadecimal address" });
        status = 1;
        return;
      }
      try {
        answers.push(withSymbol({ address: hex(addr) }, locateInFile(elf, addr)));
      } catch (e) {
        answers.push({
          address: hex(addr),
          error: isElfError(e) ? describeElfError(e) : (e as Error).message,
        });
        status = 1;
      }
    });
  }
  if (json) io.stdout.write(`${JSON.stringify(answers, null, 2)}\n`);
  else {
    for (const a of answers) {
      const parts = [a.address];
      if (a.mapping)
        parts.push(
          `${a.mapping.path || "[anonymous]"} (${a.mapping.perms} ${a.mapping.start}-${a.mapping.end} +${a.mapping.offsetInMapping})`,
        );
      if (a.fileOffset) parts.push(`file offset ${a.fileOffset}`);
      if (a.vaddr && a.mapping) parts.push(`vaddr ${a.vaddr}`);
      if (a.section) parts.push(a.section);
      if (a.symbol)
        parts.push(`${a.symbol}+${a.symbolOffset}${a.exact ? "" : " (nearest preceding symbol)"}`);
      if (a.error) parts.push(`: ${a.error}`);
      io.stdout.write(`${parts.join("  ")}\n`);
    }
  }
  return status;
}
