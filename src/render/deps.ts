import type { LinkedObject, LinkGraph } from "../link/index.js";
import type { Output } from "./output.js";

/** Box-drawing text as the UTF-8 byte string the CLI writes back byte for byte (Latin-1). */
function utf8(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) out += String.fromCharCode(b);
  return out;
}
const TEE = utf8("├── ");
const ELBOW = utf8("└── ");
const PIPE = utf8("│   ");

/** How an object got into the process, as a bracketed tag. */
function tag(o: LinkedObject): string {
  switch (o.kind) {
    case "main":
      return "";
    case "interpreter":
      return "[interpreter]";
    case "vdso":
      return "[vdso]";
    case "missing":
      return "not found";
    case "preload":
      return `[preload${o.via && o.via !== "path" ? `, ${o.via}` : ""}]`;
    default:
      return `[${o.via}]`;
  }
}

export interface DepsTreeOptions {
  /** Also show DT_NEEDED edges to objects loaded elsewhere in the tree (collapsed). */
  all?: boolean;
  /** List every path tried for a missing library. */
  tried?: boolean;
}

/**
 * The dependency tree: each object expanded under the DT_NEEDED edge that loaded it, with how it was
 * found; a missing library lists the paths ld.so tried.
 */
export function renderDepsTree(g: LinkGraph, out: Output, opts: DepsTreeOptions = {}): void {
  const lines: string[] = [g.file];
  if (!g.dynamic) lines.push("  (statically linked)");
  const preloads = g.objects.filter((o) => o.kind === "preload");
  const walk = (o: LinkedObject, indent: string): void => {
    const edges = o.deps.filter((d) => opts.all || d.loaded || d.object.kind === "missing");
    const items: Array<{ label: string; object: LinkedObject; expand: boolean }> = edges.map((d) => ({
      label: d.name,
      object: d.object,
      expand: d.loaded,
    }));
    if (o.kind === "main") {
      items.unshift(...preloads.map((p) => ({ label: p.name, object: p, expand: true })));
    }
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      const t = item.object;
      const branch = last ? ELBOW : TEE;
      let line: string;
      if (t.kind === "missing") line = `${item.label} not found`;
      else if (!item.expand) line = `${item.label} (loaded: ${t.path})`;
      else if (t.kind === "interpreter" || t.kind === "vdso") line = `${item.label} ${tag(t)} ${t.path}`;
      else line = `${item.label} ${tag(t)} ${t.path}`;
      lines.push(indent + branch + line);
      const next = indent + (last ? "    " : PIPE);
      if (t.kind === "missing" && opts.tried !== false) {
        for (const a of t.tried)
          lines.push(`${next}  tried ${a.path} [${a.via}]${a.result === "missing" ? "" : ` (${a.result})`}`);
      }
      if (item.expand && t.kind !== "missing") walk(t, next);
    });
  };
  walk(g.main, "");
  for (const w of g.warnings) lines.push(`warning: ${w}`);
  if (g.fatal) lines.push(`error: ${g.fatal}`);
  out.write(`${lines.join("\n")}\n`);
}

/** The flat load order (the link_map chain), one object a line. */
export function renderDepsList(g: LinkGraph, out: Output): void {
  let text = "";
  for (const o of g.objects) {
    if (o.kind === "main") continue;
    if (o.kind === "missing") text += `${o.name} not found\n`;
    else text += `${o.name} ${tag(o)} ${o.path}\n`;
  }
  if (g.fatal) text += `error: ${g.fatal}\n`;
  out.write(text);
}

/** The JSON model: objects in load order, each with its edges as indices into `objects`. */
export function depsModel(g: LinkGraph): unknown {
  const index = new Map(g.objects.map((o, i) => [o, i]));
  // Objects outside the chain (ld.so when nothing needs it) are left out of the edges' targets.
  return {
    file: g.file,
    flavor: g.flavor,
    arch: g.profile.triplet,
    interpreter: g.interpreter ?? null,
    dynamic: g.dynamic,
    fatal: g.fatal ?? null,
    warnings: g.warnings,
    objects: g.objects.map((o) => ({
      kind: o.kind,
      name: o.name,
      path: o.kind === "missing" ? null : o.path,
      via: o.via ?? null,
      soname: o.soname ?? null,
      rpath: o.rpath ?? null,
      runpath: o.runpath ?? null,
      loader: o.loader ? (index.get(o.loader) ?? null) : null,
      needed: o.deps.map((d) => ({ name: d.name, object: index.get(d.object) ?? null, loaded: d.loaded })),
      tried: o.tried.length > 0 ? o.tried : undefined,
    })),
    searchList: g.searchList.map((o) => index.get(o) ?? null),
  };
}

/**
 * glibc ldd's lines for a graph (rtld.c's trace output, with Debian's `name (addr)` form when the name
 * is the path). Load addresses are not predicted yet, so the ` (0x...)` part is left out.
 */
export function renderLdd(g: LinkGraph, out: Output): void {
  let text = "";
  for (const o of g.objects) {
    if (o.kind === "main") continue;
    if (o.kind === "missing") text += `\t${o.name} => not found\n`;
    else if (o.name === o.path) text += `\t${o.name}\n`;
    else text += `\t${o.name} => ${o.path}\n`;
  }
  out.write(text);
}
