import { EM_386, EM_X86_64, SHF_EXECINSTR } from "../elf/constants.js";
import { ElfFile } from "../elf/file.js";
import { bindGraph, relocationClass } from "../link/binding.js";
import { LinkSession } from "../link/index.js";
import { pltSupported, pltTrail } from "../link/plt.js";
import { type PltReport, type PltRow, pltModel, renderPlt } from "../render/plt.js";
import type { CommandIO } from "./io.js";
import { DEFAULT_EXEC, entryLayout, envMap, execStart } from "./layout.js";
import { nodeLinkFs } from "./link-fs.js";
import { problemLine, reportProblem } from "./problem.js";

const USAGE = `Usage: anatomy plt [OPTIONS] FILE | PID
  Each imported function and data pointer of FILE: the instructions that call it, the PLT stub, the GOT
  slot it jumps through and what the slot holds on disk, the dynamic relocation on the slot (JUMP_SLOT,
  GLOB_DAT, IRELATIVE, COPY, TLSDESC), the library and address ld.so binds it to on this machine (ASLR off), when
  (lazily at the first call, or at start-up with BIND_NOW) and whether the slot is read-only after
  start-up (full RELRO) or stays writable (partial RELRO). Nothing is run.
  For a PID: the GOT slots read from the running process (/proc/PID/mem), bound or still unresolved.
  --callers   list each call site under its entry
  --json      the model as JSON
`;

/** Where an address falls, as objdump names code: `.text+0x1a`. */
function sectionPlace(file: ElfFile, addr: bigint): string {
  for (const sh of file.sectionHeaders)
    if (sh.sh_addr !== 0n && addr >= sh.sh_addr && addr < sh.sh_addr + sh.sh_size)
      return `${file.sectionName(sh) ?? "?"}+0x${(addr - sh.sh_addr).toString(16)}`;
  return "?";
}

/** The call sites of every stub and GOT slot, from the executable sections but the PLT's own. */
async function callSites(file: ElfFile, rows: PltRow[]): Promise<void> {
  const machine = file.header.e_machine;
  if (machine !== EM_X86_64 && machine !== EM_386) return;
  const byTarget = new Map<bigint, PltRow>();
  for (const r of rows) {
    if (r.stub) byTarget.set(r.stub.address, r);
    byTarget.set(r.got, r);
  }
  const { x86References } = await import("../disasm/x86-refs.js");
  for (const sh of file.sectionHeaders) {
    const name = file.sectionName(sh) ?? "";
    if ((sh.sh_flags & SHF_EXECINSTR) === 0n || name.startsWith(".plt") || sh.sh_size === 0n) continue;
    const refs = await x86References(file.sectionData(sh), sh.sh_addr, file.is64 ? 64 : 32, (to) =>
      byTarget.has(to),
    );
    for (const ref of refs) {
      const row = byTarget.get(ref.to)!;
      row.callers.push({
        from: ref.from,
        kind: ref.kind,
        via: row.stub?.address === ref.to ? "stub" : "slot",
        where: sectionPlace(file, ref.from),
      });
    }
  }
}

/** Each x86 stub's instructions as objdump prints them, GOT slots and stubs named as objdump names them. */
async function stubInstructions(file: ElfFile, rows: PltRow[]): Promise<void> {
  const machine = file.header.e_machine;
  if (machine !== EM_X86_64 && machine !== EM_386) return;
  const names = new Map<bigint, string>();
  for (const r of rows) {
    if (r.symbol) names.set(r.got, `${r.symbol}${r.version ? `@${r.version}` : ""}`);
    if (r.stub && r.symbol) names.set(r.stub.address, `${r.symbol}@plt`);
  }
  // PLT0, where every lazy stub goes to call ld.so's resolver (it has no symbol of its own).
  const plt = file.sectionHeaders.find((s) => file.sectionName(s) === ".plt");
  if (plt) names.set(plt.sh_addr, "PLT0: to _dl_runtime_resolve");
  const { x86Disassembler } = await import("../disasm/x86.js");
  const dis = await x86Disassembler({ bits: file.is64 ? 64 : 32, syntax: "att", suffix: false });
  try {
    for (const r of rows) {
      if (!r.stub) continue;
      const sh = file.sectionHeaders.find((s) => file.sectionName(s) === r.stub!.section);
      if (!sh) continue;
      const bytes = file.sectionData(sh);
      const start = Number(r.stub.address - sh.sh_addr);
      const end = Math.min(bytes.length, start + (r.stub.section === ".plt.got" && !file.is64 ? 8 : 16));
      const text: string[] = [];
      for (let off = start; off < end; ) {
        const ins = dis.decode(
          bytes,
          off,
          sh.sh_addr,
          (a) => (names.has(a) ? ` <${names.get(a)}>` : ""),
          end,
        );
        if (ins.length <= 0) break;
        // The stub's padding (nop) is not part of the trail.
        if (!/^(nop|xchg\s+%ax,%ax)/.test(ins.text)) text.push(ins.text.replace(/\s+/g, " ").trim());
        off += ins.length;
      }
      r.stubInstructions = text;
    }
  } finally {
    dis.free();
  }
}

export async function run(args: string[], io: CommandIO): Promise<number> {
  let json = false;
  let showCallers = false;
  let target: string | undefined;
  for (const a of args) {
    if (a === "--json") json = true;
    else if (a === "--callers") showCallers = true;
    else if (a === "--help" || a === "-h") {
      io.stdout.write(USAGE);
      return 0;
    } else if (a.startsWith("-")) {
      io.stderr.write(`anatomy plt: unknown option ${a}\nTry 'anatomy plt --help' for the options.\n`);
      return 1;
    } else if (target === undefined) target = a;
    else {
      io.stderr.write("anatomy plt: one FILE or PID at a time\n");
      return 1;
    }
  }
  if (target === undefined) {
    io.stderr.write(USAGE);
    return 1;
  }
  if (/^\d+$/.test(target)) {
    const { livePlt } = await import("./plt-live.js");
    return livePlt(Number(target), io, json, showCallers);
  }
  const file = target;
  let elf: ElfFile;
  try {
    elf = ElfFile.open(io.openFile(file));
  } catch (e) {
    reportProblem(io, file, e);
    return 1;
  }
  try {
    const report = await fileReport(file, elf, io);
    if (typeof report === "number") return report;
    if (json) io.stdout.write(`${JSON.stringify(pltModel(report), null, 2)}\n`);
    else renderPlt(report, io.stdout, showCallers);
    for (const p of report.trail.problems) io.stderr.write(problemLine(file, p));
    return report.trail.problems.length ? 1 : 0;
  } catch (e) {
    reportProblem(io, file, e);
    return 1;
  }
}

/**
 * A lookup's key: symbol, version, and the relocation's type class. ld.so's lookup for a COPY skips
 * the program (the data is copied from the library that defines it) while a GLOB_DAT on the same symbol
 * finds the program's copy; a JUMP_SLOT skips the program's canonical PLT address of a function whose
 * address it takes (an undefined symbol with a value), which a GLOB_DAT finds.
 */
function bindingKey(symbol: string, version: string | undefined, typeClass: number): string {
  return `${symbol}@${version ?? ""} ${typeClass}`;
}

/**
 * The trail of FILE with what ld.so would bind each slot to here, the run-time addresses of what they
 * bind to (`parts.addresses`), and the call sites and each stub's instructions (`parts.code`).
 */
export async function fileReport(
  file: string,
  elf: ElfFile,
  io: CommandIO,
  parts: { code: boolean; addresses: boolean; programOnly?: boolean } = { code: true, addresses: true },
): Promise<PltReport | number> {
  if (!pltSupported(elf.header.e_machine)) {
    io.stderr.write(
      problemLine(file, `machine ${elf.header.e_machine}: only x86-64, i386 and AArch64 PLTs are read`),
    );
    return 1;
  }
  const trail = pltTrail(elf);
  if (trail.entries.length === 0 && !elf.programHeaders.some((p) => p.p_type === 2 /* PT_DYNAMIC */)) {
    io.stdout.write(`${file}: statically linked: no PLT and no GOT slot for ld.so to fill\n`);
    return 0;
  }
  const env = { LD_LIBRARY_PATH: io.env.LD_LIBRARY_PATH, LD_PRELOAD: io.env.LD_PRELOAD };
  const fs = nodeLinkFs();
  const graph = new LinkSession({ fs, env, mode: "exec" }).link(file);
  const bound = new Map<string, { to: string; value: bigint | undefined }>();
  const weakUnresolved = new Set<string>();
  if (!graph.fatal) {
    const result = bindGraph(graph, fs, { run: true, programOnly: parts.programOnly === true });
    for (const b of result.bindings) {
      if (b.from !== file || b.internal) continue;
      const key = bindingKey(b.symbol, b.version, relocationClass(elf.header.e_machine, b.relocType));
      if (!bound.has(key)) bound.set(key, { to: b.to, value: b.value });
    }
    for (const w of result.weakUnresolved)
      if (w.from === file) weakUnresolved.add(`${w.symbol}@${w.version ?? ""}`);
  }
  // Load biases at the entry point with ASLR off, as `anatomy layout` predicts them.
  const biases = new Map<string, bigint>();
  let loadBias: bigint | undefined;
  const start = parts.addresses ? execStart(file, { ...io, stderr: { write: () => {} } }, DEFAULT_EXEC) : 1;
  if (typeof start !== "number") {
    loadBias = start.layout.loadBias;
    if (start.interp) {
      try {
        const entry = entryLayout(start.layout, start.exe, start.interp, file, {
          root: "",
          env: envMap(start.envp),
          mode: "exec",
          profile: start.opts.profile,
          legacy: false,
          io,
        });
        for (const o of entry.objects) {
          biases.set(o.path, o.bias);
          biases.set(o.name, o.bias);
        }
      } catch {
        // ld.so would stop (a library missing): no runtime addresses, the rest stands
      }
    }
  }
  const realOf = (p: string): string => fs.realpath(p) ?? p;
  const rows: PltRow[] = trail.entries.map((e) => {
    const typeClass = relocationClass(elf.header.e_machine, e.relocationType);
    const b = e.symbol ? bound.get(bindingKey(e.symbol, e.version, typeClass)) : undefined;
    // The program's own definitions (what a COPY made, what it exports) are at its load bias.
    const bias = b ? (b.to === file ? loadBias : (biases.get(b.to) ?? biases.get(realOf(b.to)))) : undefined;
    const row: PltRow = {
      ...e,
      library: b?.to,
      value: b?.value,
      target:
        b?.value !== undefined && bias !== undefined && e.kind !== "TLSDESC" ? bias + b.value : undefined,
      weakUnresolved: e.symbol !== undefined && weakUnresolved.has(`${e.symbol}@${e.version ?? ""}`),
      callers: [],
    };
    return row;
  });
  // The call sites and the stubs' instructions need the disassembler; `anatomy build` asks without.
  if (parts.code) {
    await callSites(elf, rows);
    await stubInstructions(elf, rows);
  }
  return { file, trail, rows, loadBias };
}
