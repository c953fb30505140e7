// Which files of a directory are ELF, for the comparison scripts.
import { closeSync, lstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";

/** A regular file starting with the ELF magic; `followLinks: false` leaves symbolic links out. */
export function isElf(path, { followLinks = true } = {}) {
  try {
    if (!(followLinks ? statSync(path) : lstatSync(path)).isFile()) return false;
    const fd = openSync(path, "r");
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, 4, 0);
    closeSync(fd);
    return n === 4 && b.toString("latin1") === "\x7fELF";
  } catch {
    return false;
  }
}

/** The ELF files directly in `dir`, sorted by name. */
export function elfFilesIn(dir, options) {
  return readdirSync(dir)
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => isElf(p, options));
}

/** "elf", "archive" (ar's `!<arch>\n`), or null: what a file is by its first bytes. */
export function binaryKind(path) {
  let fd;
  try {
    fd = openSync(path, "r");
    const b = Buffer.alloc(8);
    const n = readSync(fd, b, 0, 8, 0);
    if (n >= 4 && b.subarray(0, 4).toString("latin1") === "\x7fELF") return "elf";
    if (n === 8 && b.toString("latin1") === "!<arch>\n") return "archive";
    return null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
