import type { BindResult } from "../link/binding.js";
import type { Output } from "./output.js";

/**
 * LD_DEBUG=bindings lines as glibc 2.36's _dl_debug_bindings prints them: `%10d:\t` with the process id
 * (_dl_debug_vdprintf), then `binding file A [0] to B [0]: normal symbol `NAME' [VERSION]`. Nothing
 * runs, so the id is a placeholder (`pid`, 0 by default).
 */
export function renderLdDebug(r: BindResult, out: Output, pid = 0): void {
  const prefix = `${String(pid).padStart(10)}:\t`;
  const lines: string[] = [];
  const errors = r.problems.filter((p) => p.debug);
  let e = 0;
  const flush = (upTo: number) => {
    for (; e < errors.length && errors[e]!.debug!.at <= upTo; e++) {
      const d = errors[e]!.debug!;
      lines.push(`${prefix}${d.object}: error: ${d.category}: ${d.text} (continued)\n`);
    }
  };
  for (let i = 0; i < r.bindings.length; i++) {
    flush(i);
    const b = r.bindings[i]!;
    const v = b.version !== undefined ? ` [${b.version}]` : "";
    lines.push(
      `${prefix}binding file ${b.from} [0] to ${b.to} [0]: ${b.protected ? "protected" : "normal"} symbol \`${b.symbol}'${v}\n`,
    );
  }
  flush(Number.POSITIVE_INFINITY);
  out.write(lines.join(""));
}

/** One block per referencing object, in relocation order: `symbol@version  => object`. */
export function renderBindings(r: BindResult, out: Output): void {
  const parts: string[] = [];
  let from: string | undefined;
  const width = Math.min(
    48,
    Math.max(0, ...r.bindings.map((b) => b.symbol.length + (b.version ? b.version.length + 1 : 0))),
  );
  for (const b of r.bindings) {
    if (b.from !== from) {
      from = b.from;
      parts.push(`${parts.length ? "\n" : ""}${from}${b.internal ? " (ld.so's own lookups)" : ""}:\n`);
    }
    const name = b.version !== undefined ? `${b.symbol}@${b.version}` : b.symbol;
    const extra = [b.protected ? "protected" : "", b.relocations > 1 ? `${b.relocations} relocations` : ""]
      .filter((x) => x)
      .join(", ");
    parts.push(`  ${name.padEnd(width)} => ${b.to}${extra ? ` (${extra})` : ""}\n`);
  }
  if (r.weakUnresolved.length) {
    parts.push(`${parts.length ? "\n" : ""}weak, left unresolved:\n`);
    for (const w of r.weakUnresolved)
      parts.push(`  ${w.version !== undefined ? `${w.symbol}@${w.version}` : w.symbol} (${w.from})\n`);
  }
  out.write(parts.join(""));
}
