/** The classic picture of an address space: high addresses on top, one box per region, gaps collapsed. */
export interface DiagramRow {
  start: bigint;
  end: bigint;
  /** What it is: text, data, bss, heap, stack, vdso ... */
  kind: string;
  /** Whose it is: a file's base name or a special name. */
  name: string;
  perms: string;
  /** A second line of detail (sections), if any. */
  detail?: string;
}

/** 4096 -> "4 KiB", 0x21000 -> "132 KiB": sizes as people read them. */
export function humanSize(bytes: bigint): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(value < 10 ? 2 : 1);
  return `${text} ${units[unit]}`;
}

export function renderDiagram(rows: DiagramRow[], is64: boolean): string {
  const w = is64 ? 16 : 8;
  const userTop = is64 ? 0x800000000000n : 0x100000000n;
  const inner = 50;
  const addr = (v: bigint) => `0x${v.toString(16).padStart(w, "0")}`;
  const pad = " ".repeat(w + 3);
  const rule = `+${"-".repeat(inner)}+`;
  const box = (text: string, edge = "|") =>
    `${pad}${edge} ${text.slice(0, inner - 2).padEnd(inner - 2)} ${edge}`;
  const out: string[] = [];
  let below: bigint | undefined;
  for (const r of [...rows].sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : 0))) {
    if (below !== undefined && r.end < below) {
      out.push(`${addr(below)} ${rule}`);
      // Above the user address space lies the kernel's half (and, on 64-bit, the non-canonical hole).
      const gap =
        r.end < userTop && below > userTop
          ? "kernel space, not mapped for user code"
          : `${humanSize(below - r.end)} unmapped`;
      out.push(box(`~ ${gap} ~`, ":"));
    }
    out.push(`${addr(r.end)} ${rule}`);
    const left = `${r.kind.padEnd(12)} ${r.name}`;
    const right = `${humanSize(r.end - r.start).padStart(9)} ${r.perms.slice(0, 3)}`;
    out.push(box(`${left.slice(0, inner - 2 - right.length - 1).padEnd(inner - 2 - right.length)}${right}`));
    if (r.detail) out.push(box(`  ${r.detail}`));
    below = r.start;
  }
  if (below !== undefined) {
    out.push(`${addr(below)} ${rule}`);
    if (below > 0n) {
      out.push(box(`~ ${humanSize(below)} unmapped ~`, ":"));
      out.push(`${addr(0n)} ${rule}`);
    }
  }
  return `${out.join("\n")}\n`;
}
