/**
 * The classic address-space picture as a standalone SVG (no scripts, fonts or images from outside):
 * the same rows renderDiagram draws in the terminal, high addresses on top, gaps collapsed.
 */
import { type DiagramRow, humanSize } from "./diagram.js";

export interface SvgDiagramOptions {
  /** A heading above the picture. */
  title?: string;
}

/** Fill and edge colours per region kind: code warm, data green, anonymous memory blue/purple. */
const COLORS: Record<string, [string, string]> = {
  text: ["#fde2cf", "#d9771f"],
  rodata: ["#fdf2c4", "#c9a227"],
  relro: ["#d9f0ea", "#3a9a82"],
  data: ["#dcf2d4", "#4f9a3a"],
  bss: ["#eaf7e4", "#7cb86a"],
  tls: ["#e8f4d8", "#7ca04a"],
  heap: ["#dbe8fb", "#3f74c4"],
  mmap: ["#e6e9f0", "#6b7a93"],
  stack: ["#ebdff8", "#7b4fb8"],
  vvar: ["#f9dceb", "#b8508a"],
  vdso: ["#f9dceb", "#b8508a"],
  vsyscall: ["#ececec", "#8a8a8a"],
  hole: ["#f4f4f4", "#b0b0b0"],
};
const OTHER: [string, string] = ["#eeeeee", "#888888"];

const SANS = "DejaVu Sans, Helvetica, Arial, sans-serif";
const MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;",
  );
}

/** Cuts text to about `px` pixels at `size`-pixel type (average advance ~0.6 em), with an ellipsis. */
function fit(text: string, px: number, size: number): string {
  const max = Math.max(1, Math.floor(px / (size * 0.6)));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Taller boxes for bigger regions, on a log scale, so a 4 KiB page and 2 MiB library both read. */
function boxHeight(size: bigint, detail: boolean): number {
  if (size === 0n) return 26;
  const pages = Number(size / 4096n) || 1;
  const h = 40 + Math.min(24, Math.max(0, Math.log2(pages) * 1.6));
  return Math.round(h + (detail ? 14 : 0));
}

export function renderSvgDiagram(rows: DiagramRow[], is64: boolean, opts: SvgDiagramOptions = {}): string {
  const w = is64 ? 16 : 8;
  const userTop = is64 ? 0x800000000000n : 0x100000000n;
  const addr = (v: bigint) => `0x${v.toString(16).padStart(w, "0")}`;
  const margin = 24;
  const addrW = (w + 2) * 7.8 + 16;
  const boxX = margin + addrW;
  const boxW = 560;
  const width = Math.round(boxX + boxW + margin);
  const gapH = 30;
  const body: string[] = [];
  let y = margin;
  if (opts.title) {
    body.push(
      `<text x="${margin}" y="${y + 16}" font-family="${SANS}" font-size="17" font-weight="bold" fill="#222">${xmlEscape(opts.title)}</text>`,
    );
    y += 26;
  }
  body.push(
    `<text x="${margin}" y="${y + 12}" font-family="${SANS}" font-size="12" fill="#666">${is64 ? "64" : "32"}-bit address space, high addresses on top; unmapped gaps collapsed</text>`,
  );
  y += 28;

  // An empty region (the heap before its first brk) has one address: label it once.
  let lastLabel: bigint | undefined;
  const addrLabel = (v: bigint, at: number) => {
    if (v === lastLabel) return;
    lastLabel = v;
    body.push(
      `<text x="${boxX - 10}" y="${at + 4}" text-anchor="end" font-family="${MONO}" font-size="12" fill="#333">${addr(v)}</text>`,
      `<line x1="${boxX - 6}" y1="${at}" x2="${boxX}" y2="${at}" stroke="#999" stroke-width="1"/>`,
    );
  };
  const gap = (text: string) => {
    body.push(
      `<g class="gap"><rect x="${boxX}" y="${y}" width="${boxW}" height="${gapH}" fill="url(#hatch)" stroke="#bbb" stroke-dasharray="4 3"/>`,
      `<text x="${boxX + boxW / 2}" y="${y + gapH / 2 + 4}" text-anchor="middle" font-family="${SANS}" font-size="12" font-style="italic" fill="#777">${xmlEscape(text)}</text></g>`,
    );
    y += gapH;
  };

  let below: bigint | undefined;
  const sorted = [...rows].sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : 0));
  for (const r of sorted) {
    if (below !== undefined && r.end < below) {
      addrLabel(below, y);
      const text =
        r.end < userTop && below > userTop
          ? "kernel space, not mapped for user code"
          : `${humanSize(below - r.end)} unmapped`;
      gap(`~ ${text} ~`);
    }
    const size = r.end - r.start;
    const h = boxHeight(size, r.detail !== undefined && size > 0n);
    const [fill, edge] = COLORS[r.kind] ?? OTHER;
    addrLabel(r.end, y);
    const perms = r.perms.slice(0, 3);
    const right = size > 0n ? `${humanSize(size)}  ${perms}` : perms;
    const mid = y + (r.detail && size > 0n ? h / 2 - 3 : h / 2 + 5);
    body.push(
      `<g class="region" data-kind="${xmlEscape(r.kind)}" data-start="${addr(r.start)}" data-end="${addr(r.end)}">`,
      `<rect x="${boxX}" y="${y}" width="${boxW}" height="${h}" fill="${fill}" stroke="${edge}" stroke-width="1.2"/>`,
      `<rect x="${boxX}" y="${y}" width="6" height="${h}" fill="${edge}"/>`,
      `<text x="${boxX + 16}" y="${mid}" font-family="${SANS}" font-size="14" fill="#222"><tspan font-weight="bold">${xmlEscape(r.kind)}</tspan><tspan dx="10">${xmlEscape(fit(r.name, boxW - 230, 14))}</tspan></text>`,
      `<text x="${boxX + boxW - 12}" y="${mid}" text-anchor="end" font-family="${MONO}" font-size="13" fill="#333">${xmlEscape(right)}</text>`,
    );
    if (r.detail && size > 0n) {
      body.push(
        `<text x="${boxX + 16}" y="${mid + 17}" font-family="${MONO}" font-size="11" fill="#666">${xmlEscape(fit(r.detail, boxW - 32, 11))}</text>`,
      );
    }
    body.push("</g>");
    y += h;
    below = r.start;
  }
  if (below !== undefined) {
    addrLabel(below, y);
    if (below > 0n) {
      gap(`~ ${humanSize(below)} unmapped ~`);
      addrLabel(0n, y);
    }
  }
  const height = Math.round(y + margin);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    "<defs>",
    '<pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">',
    '<rect width="8" height="8" fill="#fafafa"/><line x1="0" y1="0" x2="0" y2="8" stroke="#e4e4e4" stroke-width="3"/>',
    "</pattern>",
    "</defs>",
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
