// The option matrix shared by make-golden (golden outputs of the fixtures) and compat (system files):
// which GNU readelf/nm/size command lines we promise to reproduce byte for byte.

/** readelf views, each run both as is and with -W. */
export const READELF_VIEWS = [
  "-h",
  "-l",
  "-S",
  "-s",
  "--dyn-syms",
  "-d",
  "-r",
  "-n",
  "-V",
  "-e",
  "-a",
  "-g",
  "-t",
  "-I",
  "-A",
  "-D -s",
  "-D -r",
];

/** Section dumps (-W does not change them). */
export const READELF_DUMPS = [
  "-x .interp",
  "-p .interp",
  "-x .comment",
  "-p .comment",
  "-x .rodata",
  "-p .rodata",
  "-x 1",
];

export const NM_OPTIONS = [
  "",
  "-D",
  "-a",
  "-g",
  "-u",
  "--defined-only",
  "-n",
  "-p",
  "-r",
  "-S",
  "-A",
  "-C",
  "-D -C",
];

export const SIZE_OPTIONS = ["", "-A", "-B", "-d", "-o", "-x", "-t"];

/** objdump views for x86 fixtures (golden outputs; scripts/compat-objdump.mjs runs more over the system). */
export const OBJDUMP_OPTIONS = ["-f", "-h", "-t", "-T", "-r", "-R", "-s", "-p", "-x", "-d", "-d -r"];
/** For the other architectures, which this x86 build of objdump reads as generic ELF (no disassembler). */
export const OBJDUMP_GENERIC_OPTIONS = ["-f", "-h", "-t", "-r", "-p"];

/** Every { tool, args } of the matrix; `extra` adds cases that only make sense for some inputs. */
export function matrix({ archive = false, debug = false, objdump = [] } = {}) {
  const cases = [];
  for (const v of READELF_VIEWS) {
    cases.push({ tool: "readelf", args: split(v) });
    cases.push({ tool: "readelf", args: ["-W", ...split(v)] });
  }
  for (const d of READELF_DUMPS) cases.push({ tool: "readelf", args: split(d) });
  if (archive) {
    cases.push({ tool: "readelf", args: ["-c"] });
    cases.push({ tool: "readelf", args: ["-c", "-h"] });
  }
  if (debug) {
    for (const d of ["-p .debug_str", "-z -p .debug_str", "-x .debug_abbrev", "-z -x .debug_abbrev", "-W -t"])
      cases.push({ tool: "readelf", args: split(d) });
  }
  for (const o of NM_OPTIONS) cases.push({ tool: "nm", args: split(o) });
  for (const o of SIZE_OPTIONS) cases.push({ tool: "size", args: split(o) });
  for (const o of objdump) cases.push({ tool: "objdump", args: split(o) });
  return dedupe(cases);
}

/** A case's command line as one string, e.g. "readelf -W -S". */
export function caseLabel(c) {
  return [c.tool, ...c.args].join(" ");
}

/** A filesystem-safe file name for a case: "readelf_-W_-S", "nm". */
export function caseFileName(c) {
  return [c.tool, ...c.args].join("_").replace(/[^A-Za-z0-9._=-]/g, "+");
}

/** Parses a user-given option string ("-W -S") the way the matrix spells it. */
export function split(s) {
  return s.split(" ").filter((x) => x !== "");
}

function dedupe(cases) {
  const seen = new Set();
  return cases.filter((c) => {
    const k = caseLabel(c);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
