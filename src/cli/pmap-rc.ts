import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { PMAP_RC_TEXT, type PmapRc, parsePmapRc } from "../render/pmap-rc.js";
import type { CommandIO } from "./io.js";

/**
 * The file side of pmap's rc options (procps-ng 4.0.2 src/pmap.c): -n/-N create, -c/-C read. Each
 * function writes procps' messages itself and says how to exit.
 */

const warn = (io: CommandIO, message: string): void => io.stderr.write(`pmap: ${message}\n`);

/**
 * get_default_rc_filename: `$HOME/.pmaprc` (HOME only, no XDG; an empty HOME gives `/.pmaprc`).
 * Undefined, after procps' warning, when HOME is not set.
 */
export function defaultRcPath(io: CommandIO): string | undefined {
  const home = io.env.HOME;
  if (home === undefined) {
    warn(io, "HOME variable undefined");
    return undefined;
  }
  return `${home}/.pmaprc`;
}

/** config_create: refuses a path fopen(r) can open (a directory too), else fopen(w) and the template. */
function createRc(io: CommandIO, path: string): boolean {
  try {
    closeSync(openSync(path, "r"));
    warn(io, "the file already exists - delete or rename it first");
    return false;
  } catch {
    // Not openable for reading: try to create it.
  }
  try {
    writeFileSync(path, PMAP_RC_TEXT, { encoding: "latin1", mode: 0o666 });
    return true;
  } catch {
    return false;
  }
}

/**
 * -n (file undefined: the default rc) or -N FILE. Returns the exit status: 0 with procps' "successfully
 * created" note on stderr, 1 with its error.
 */
export function createPmapRc(io: CommandIO, file: string | undefined): number {
  if (file !== undefined) {
    if (createRc(io, file)) {
      warn(io, "rc file successfully created, feel free to edit the content");
      return 0;
    }
    warn(io, "couldn't create the rc file");
    return 1;
  }
  const path = defaultRcPath(io);
  if (path === undefined) return 1;
  if (createRc(io, path)) {
    warn(io, "~/.pmaprc file successfully created, feel free to edit the content");
    return 0;
  }
  warn(io, "couldn't create ~/.pmaprc");
  return 1;
}

/**
 * -c (file undefined: the default rc) or -C FILE: the parsed rc, its warnings already written; or
 * undefined after procps' error, when pmap exits with status 1. A directory opens (fopen "r") and
 * reads as empty, enabling no field.
 */
export function readPmapRc(io: CommandIO, file: string | undefined): PmapRc | undefined {
  const path = file ?? defaultRcPath(io);
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path).toString("latin1");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EISDIR") text = "";
    else {
      warn(io, file === undefined ? "couldn't read ~/.pmaprc" : "couldn't read the rc file");
      return undefined;
    }
  }
  const rc = parsePmapRc(text);
  for (const w of rc.warnings) warn(io, w);
  return rc;
}
