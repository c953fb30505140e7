import type { SmapsTable } from "../process/smaps-table.js";
import type { Output } from "./output.js";
import {
  type ExtendedRun,
  newExtendedRun,
  type PmapOptions,
  type PmapProcess,
  renderPmapExtended,
} from "./pmap.js";

/**
 * pmap's rc file (procps-ng 4.0.2 src/pmap.c: config_create, config_read) and the -c/-C view it
 * selects: print_extended_maps with only the fields the rc enables.
 */

/** What `pmap -n` / `pmap -N FILE` write (config_create's template), byte for byte. */
export const PMAP_RC_TEXT = `# pmap's Config File

# All the entries are case sensitive.
# Unsupported entries are ignored!

[Fields Display]

# To enable a field uncomment its entry

#Perm
#Offset
#Device
#Inode
#Size
#Rss
#Pss
#Shared_Clean
#Shared_Dirty
#Private_Clean
#Private_Dirty
#Referenced
#Anonymous
#AnonHugePages
#Swap
#KernelPageSize
#MMUPageSize
#Locked
#VmFlags
#Mapping


[Mapping]

# to show paths in the mapping column uncomment the following line
#ShowPath

`;

export interface PmapRc {
  /** The [Fields Display] entries: smaps keys, plus Perm, Offset, Device, Inode, VmFlags and Mapping. */
  fields: Set<string>;
  /** Each `ShowPath` in [Mapping] flips -p (config_read toggles map_desc_showpath), so -p plus ShowPath is off. */
  showPathToggled: boolean;
  /** config_read's warnings in file order, without the `pmap: ` prefix. */
  warnings: string[];
}

/** fgets' buffer in config_read is MAX_CNF_LINE_LEN + 1 bytes. */
const MAX_LINE = 1024;
/** cnf_listnode.description is char[32]: longer entries are cut to 31 bytes. */
const MAX_FIELD = 31;

type Section = "none" | "unsupported" | "fields" | "mapping";

/** config_read: `text` is the file as a byte string (Latin-1). */
export function parsePmapRc(text: string): PmapRc {
  const rc: PmapRc = { fields: new Set(), showPathToggled: false, warnings: [] };
  const syntax = (n: number): void => {
    rc.warnings.push(`syntax error found in the config - line ${n}`);
  };
  let section: Section = "none";
  let lineNumber = 0;
  let pos = 0;
  while (pos < text.length) {
    // One fgets: up to the newline, at most MAX_LINE bytes.
    const nl = text.indexOf("\n", pos);
    const stop = Math.min(nl < 0 ? text.length : nl + 1, pos + MAX_LINE);
    let line = text.slice(pos, stop);
    pos = stop;
    lineNumber++;
    const nul = line.indexOf("\0");
    if (nul >= 0) line = line.slice(0, nul); // strlen stops there
    if (line.endsWith("\n")) line = line.slice(0, -1);
    else if (line.length === MAX_LINE) {
      rc.warnings.push(`config line too long - line ${lineNumber}`);
      // The rest of the line is read and dropped.
      const rest = text.indexOf("\n", pos);
      pos = rest < 0 ? text.length : rest + 1;
    }
    let t = line.replace(/^[ \t]+/, "");
    if (t === "" || t[0] === "#") continue;
    if (t[0] === "[") {
      if (t.startsWith("[Fields Display]")) {
        t = t.slice(16);
        section = "fields";
      } else if (t.startsWith("[Mapping]")) {
        t = t.slice(9);
        section = "mapping";
      } else {
        const close = t.indexOf("]");
        if (close >= 0) {
          section = "unsupported";
          rc.warnings.push(`unsupported section found in the config - line ${lineNumber}`);
          t = t.slice(close + 1);
        } else {
          syntax(lineNumber);
          t = "";
        }
      }
      t = t.replace(/^[ \t]+/, "");
      if (t === "" || t[0] === "#") continue;
      // Text after the section name is reported, then read as an entry of the new section.
      syntax(lineNumber);
    }
    if (section === "unsupported") continue;
    if (section === "none") {
      syntax(lineNumber);
      continue;
    }
    // strtok(" \t"): the first word is the entry; a second word must start a comment.
    const words = t.split(/[ \t]+/).filter((w) => w !== "");
    const [token, tail] = words;
    if (token === undefined) continue;
    if (tail !== undefined && tail[0] !== "#") syntax(lineNumber);
    if (section === "fields") rc.fields.add(token.slice(0, MAX_FIELD));
    else if (token === "ShowPath") rc.showPathToggled = !rc.showPathToggled;
  }
  return rc;
}

/**
 * `pmap -c` / `-C FILE`: print_extended_maps with is_enabled() answering from the rc (Address always
 * shows; Perm, Offset, Device, Inode, VmFlags and Mapping only when listed), ShowPath flipping -p.
 */
export function renderPmapRc(
  proc: PmapProcess,
  table: SmapsTable,
  rc: PmapRc,
  opts: PmapOptions,
  out: Output,
  run: ExtendedRun = newExtendedRun(),
): void {
  const view = { ...opts, showPath: opts.showPath !== rc.showPathToggled };
  renderPmapExtended(proc, table, view, out, (name) => rc.fields.has(name), run);
}
