import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import type { LinkFs } from "../link/index.js";
import { type FileSource, isInputError, openFile } from "./io.js";

/**
 * The Node implementation of LinkFs. With `root`, every absolute path is taken inside it (symbolic links
 * too, as chroot would), so a foreign tree is analysed with its own /etc/ld.so.cache; /proc stays the
 * host's (the CPU is the one the program would run on).
 */
export function nodeLinkFs(root?: string): LinkFs {
  const base = root ? root.replace(/\/+$/, "") : "";
  const host = (p: string): string => {
    if (!base || !p.startsWith("/") || p.startsWith("/proc/")) return p;
    return base + p;
  };
  const realpath = (p: string): string | undefined => {
    if (!base) {
      try {
        return realpathSync(p);
      } catch {
        return undefined;
      }
    }
    return resolveInRoot(base, p.startsWith("/") ? p : `${process.cwd()}/${p}`);
  };
  return {
    readFile(p) {
      try {
        return readFileSync(host(p));
      } catch {
        return undefined;
      }
    },
    open(p): FileSource | undefined {
      try {
        return openFile(host(p));
      } catch {
        return undefined;
      }
    },
    openProblem(p) {
      try {
        openFile(host(p)).close();
        return undefined;
      } catch (e) {
        return isInputError(e) ? e.reason : undefined;
      }
    },
    exists(p) {
      try {
        statSync(host(p));
        return true;
      } catch {
        return false;
      }
    },
    realpath,
    readdir(p) {
      try {
        return readdirSync(host(p));
      } catch {
        return undefined;
      }
    },
    cwd: () => (base ? "/" : process.cwd()),
  };
}

/** realpath(3) inside `root`: absolute link targets restart at the root; at most 40 links. */
function resolveInRoot(root: string, path: string): string | undefined {
  let links = 0;
  const todo = path.split("/").filter((c) => c !== "");
  const done: string[] = [];
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === ".") continue;
    if (c === "..") {
      done.pop();
      continue;
    }
    const here = `${root}/${[...done, c].join("/")}`;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(here);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++links > 40) return undefined;
      const target = readlinkSync(here);
      if (target.startsWith("/")) done.length = 0;
      todo.unshift(...target.split("/").filter((x) => x !== ""));
    } else {
      done.push(c);
    }
  }
  return `/${done.join("/")}`;
}
