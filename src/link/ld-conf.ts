import { latin1 } from "../elf/strings.js";
import type { LinkFs } from "./link-fs.js";

/**
 * /etc/ld.so.conf as ldconfig reads it (elf/ldconfig.c parse_conf): one directory per line, `#` starts a
 * comment, `include GLOB` reads more files (a relative glob is relative to the including file's
 * directory), `hwcap` lines are obsolete and ignored. ld.so itself never reads this file: it only
 * matters through the cache ldconfig builds, and for telling which directories the cache should cover.
 */
export interface LdConf {
  dirs: string[];
  /** Every file read, in order. */
  files: string[];
}

const MAX_INCLUDE_DEPTH = 16;

export function readLdConf(fs: LinkFs, path = "/etc/ld.so.conf"): LdConf {
  const conf: LdConf = { dirs: [], files: [] };
  parseFile(fs, path, conf, 0);
  return conf;
}

function parseFile(fs: LinkFs, path: string, conf: LdConf, depth: number): void {
  if (depth > MAX_INCLUDE_DEPTH || conf.files.includes(path)) return;
  const bytes = fs.readFile(path);
  if (!bytes) return;
  conf.files.push(path);
  const dir = path.slice(0, path.lastIndexOf("/") + 1) || "/";
  for (const raw of latin1(bytes).split("\n")) {
    const hash = raw.indexOf("#");
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === "") continue;
    const word = /^(\S+)\s+(.*)$/.exec(line);
    if (word && word[1] === "include") {
      for (const pattern of word[2]!.split(/\s+/)) {
        const abs = pattern.startsWith("/") ? pattern : dir + pattern;
        for (const file of glob(fs, abs)) parseFile(fs, file, conf, depth + 1);
      }
    } else if (word && word[1] === "hwcap") {
      // Obsolete since glibc 2.37 and ignored by ldconfig before that for the cache's search.
    } else {
      // The old `DIR=TYPE` form: the type is dropped.
      let d = line.replace(/=.*$/, "").trim();
      while (d.length > 1 && d.endsWith("/")) d = d.slice(0, -1);
      if (d !== "" && !conf.dirs.includes(d)) conf.dirs.push(d);
    }
  }
}

/** glob(3) for absolute patterns with `*`, `?` and `[...]` in any component; results sorted. */
export function glob(fs: LinkFs, pattern: string): string[] {
  const parts = pattern.split("/").filter((p) => p !== "");
  let current = ["/"];
  for (const part of parts) {
    const next: string[] = [];
    const wild = /[*?[]/.test(part);
    for (const base of current) {
      const prefix = base === "/" ? "/" : `${base}/`;
      if (!wild) {
        next.push(prefix + part);
        continue;
      }
      const re = globRegExp(part);
      const names = (fs.readdir(base) ?? []).filter(
        (n) => re.test(n) && !(n.startsWith(".") && !part.startsWith(".")),
      );
      names.sort();
      for (const n of names) next.push(prefix + n);
    }
    current = next;
  }
  return current.filter((p) => fs.exists(p));
}

function globRegExp(part: string): RegExp {
  let re = "^";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = part.indexOf("]", i + 2);
      if (close < 0) re += "\\[";
      else {
        let body = part.slice(i + 1, close);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`${re}$`);
}
