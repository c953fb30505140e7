// `anatomy layout --aslr` and `--svg`: reading the ASLR sysctls and writing the SVG file, kept out of
// layout.ts so that file stays a thin option parser.
import { readFileSync, writeFileSync } from "node:fs";
import { type AslrSettings, DEFAULT_ASLR } from "../process/aslr.js";
import type { DiagramRow } from "../render/diagram.js";
import type { Output } from "../render/output.js";
import { renderSvgDiagram } from "../render/svg-diagram.js";

function sysctl(path: string): number | undefined {
  try {
    const v = Number.parseInt(readFileSync(path, "latin1").trim(), 10);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The settings `--aslr [LEVEL]` asks for: LEVEL, or this machine's randomize_va_space; its rnd bits. */
export function aslrSettings(level: string | undefined): AslrSettings {
  const raw = level === undefined ? sysctl("/proc/sys/kernel/randomize_va_space") : Number(level);
  const lv = raw === undefined ? DEFAULT_ASLR.level : raw <= 0 ? 0 : raw === 1 ? 1 : 2;
  return {
    level: lv,
    mmapRndBits: sysctl("/proc/sys/vm/mmap_rnd_bits") ?? DEFAULT_ASLR.mmapRndBits,
    mmapRndCompatBits: sysctl("/proc/sys/vm/mmap_rnd_compat_bits") ?? DEFAULT_ASLR.mmapRndCompatBits,
  };
}

/** Writes the SVG picture of `rows` to `file` ("-" = standard output). */
export function writeSvg(
  rows: DiagramRow[],
  is64: boolean,
  file: string,
  title: string,
  stdout: Output,
): void {
  const svg = renderSvgDiagram(rows, is64, { title });
  if (file === "-") stdout.write(svg);
  else writeFileSync(file, svg, "utf8");
}
