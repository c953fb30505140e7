import { ElfFile, isArchive, isElfMagic, parseArchive } from "../elf/index.js";
import { identifyFile } from "../render/file-kind.js";
import {
  buildOverview,
  emptyFacts,
  type OverviewModel,
  otherFileOverview,
  problemLines,
  renderOverview,
  unreadableOverview,
} from "../render/overview.js";
import type { CommandIO } from "./io.js";
import { reportProblem } from "./problem.js";

const USAGE = "Usage: anatomy FILE [--json]\n";

/** JSON.stringify that refuses nothing: the model holds no bigint (addresses are hex strings). */
function toJson(model: OverviewModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** `anatomy FILE [--json]`: the overview; status 1 when the file could not be read or part of it is broken. */
export function run(args: string[], io: CommandIO): number {
  let json = false;
  const files: string[] = [];
  for (const a of args) {
    if (a === "--json") json = true;
    else if (a === "--help" || a === "-h") {
      io.stdout.write(USAGE);
      return 0;
    } else if (a.startsWith("-") && a !== "-") {
      io.stderr.write(`anatomy: unknown option '${a}'\n${USAGE}`);
      return 1;
    } else files.push(a);
  }
  if (files.length === 0) {
    io.stderr.write(USAGE);
    return 1;
  }
  let status = 0;
  files.forEach((file, i) => {
    let source: ReturnType<CommandIO["openFile"]>;
    try {
      source = io.openFile(file);
    } catch (e) {
      reportProblem(io, file, e);
      status = 1;
      return;
    }
    let model: OverviewModel;
    try {
      if (isArchive(source)) {
        model = archiveOverview(file, source);
      } else {
        let elf: ElfFile;
        try {
          const head = source.read(0, 512);
          if (source.size < 4 || !isElfMagic(head.subarray(0, 4))) {
            // Not a broken ELF file but another kind of file: say what it is.
            model = otherFileOverview(file, source.size, identifyFile(head, source.size));
          } else {
            elf = ElfFile.open(source);
            model = buildOverview(elf, file);
          }
        } catch (e) {
          model = unreadableOverview(file, source.size, e);
        }
      }
    } finally {
      source.close?.();
    }
    for (const line of problemLines(model)) io.stderr.write(`anatomy: ${line}\n`);
    if (model.problems.length > 0) status = 1;
    if (json) io.stdout.write(toJson(model));
    else {
      if (i > 0) io.stdout.write("\n");
      renderOverview(model, io.stdout);
    }
  });
  return status;
}

function archiveOverview(file: string, source: ReturnType<CommandIO["openFile"]>): OverviewModel {
  const model: OverviewModel = {
    file,
    fileSize: source.size,
    format: "archive",
    segments: [],
    notLoaded: [],
    facts: emptyFacts(),
    problems: [],
  };
  try {
    const ar = parseArchive(source);
    let elfMembers = 0;
    const kinds: Record<string, number> = {};
    for (const m of ar.members) {
      const head = m.source && m.size > 0 ? m.source.read(0, 512) : new Uint8Array(0);
      if (head.length >= 4 && isElfMagic(head.subarray(0, 4))) elfMembers++;
      else if (m.source) {
        const k = identifyFile(head, m.size).kind;
        kinds[k] = (kinds[k] ?? 0) + 1;
      }
    }
    model.archive = {
      members: ar.members.length,
      elfMembers,
      ...(Object.keys(kinds).length ? { kinds } : {}),
    };
  } catch (e) {
    return { ...unreadableOverview(file, source.size, e), format: "archive" };
  }
  return model;
}
