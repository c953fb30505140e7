import assert from "node:assert/strict";
import { test } from "node:test";
import type { DiagramRow } from "../src/render/diagram.js";
import { renderSvgDiagram, xmlEscape } from "../src/render/svg-diagram.js";

interface Element {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: Element[];
}

/** A strict little XML reader: balanced tags, quoted attributes, known entities only; throws otherwise. */
function parseXml(src: string): Element {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${i}: ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  const checkEntities = (s: string) => {
    for (const m of s.matchAll(/&([^;\s]*);?/g)) {
      if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(m[0])) fail(`bad entity ${m[0]}`);
    }
    if (/[<]/.test(s)) fail("raw < in text");
  };
  if (src.startsWith("<?xml")) i = src.indexOf("?>") + 2;
  const root: Element = { name: "#root", attrs: {}, text: "", children: [] };
  const stack: Element[] = [root];
  while (i < src.length) {
    const lt = src.indexOf("<", i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    checkEntities(text);
    stack[stack.length - 1]!.text += text;
    if (lt < 0) break;
    i = lt;
    if (src.startsWith("</", i)) {
      const m = /^<\/([\w:-]+)\s*>/.exec(src.slice(i));
      if (!m) fail("bad end tag");
      const open = stack.pop();
      if (!open || open.name !== m![1]) fail(`</${m![1]}> closes <${open?.name}>`);
      i += m![0].length;
      continue;
    }
    const m = /^<([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/.exec(src.slice(i));
    if (!m) fail("bad start tag");
    const attrs: Record<string, string> = {};
    for (const a of m![2]!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (a[1]! in attrs) fail(`duplicate attribute ${a[1]}`);
      checkEntities(a[2]!);
      attrs[a[1]!] = a[2]!;
    }
    const el: Element = { name: m![1]!, attrs, text: "", children: [] };
    stack[stack.length - 1]!.children.push(el);
    if (!m![3]) stack.push(el);
    i += m![0].length;
  }
  if (stack.length !== 1) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  assert.equal(root.children.length, 1, "one document element");
  return root.children[0]!;
}

function all(el: Element, pred: (e: Element) => boolean, out: Element[] = []): Element[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) all(c, pred, out);
  return out;
}
const textOf = (el: Element): string => el.text + el.children.map(textOf).join("");

const rows: DiagramRow[] = [
  {
    start: 0x555555554000n,
    end: 0x555555556000n,
    kind: "rodata",
    name: "cat",
    perms: "r--p",
    detail: ".interp .dynsym",
  },
  { start: 0x555555556000n, end: 0x55555555b000n, kind: "text", name: "cat", perms: "r-xp", detail: ".text" },
  { start: 0x55555555e000n, end: 0x55555555e000n, kind: "heap", name: "(brk; empty)", perms: "rw-p" },
  { start: 0x7ffff7fc5000n, end: 0x7ffff7fc7000n, kind: "vdso", name: "[vdso]", perms: "r-xp" },
  { start: 0x7ffff7fc7000n, end: 0x7ffff7fff000n, kind: "text", name: "a<b&c\"'.so", perms: "r-xp" },
  { start: 0x7ffffffde000n, end: 0x7ffffffff000n, kind: "stack", name: "[stack]", perms: "rw-p" },
  {
    start: 0xffffffffff600000n,
    end: 0xffffffffff601000n,
    kind: "vsyscall",
    name: "[vsyscall]",
    perms: "--xp",
  },
];

test("the SVG is well formed, standalone, and has one group per region, top to bottom", () => {
  const svg = renderSvgDiagram(rows, true, { title: "cat & friends" });
  const doc = parseXml(svg);
  assert.equal(doc.name, "svg");
  assert.equal(doc.attrs.xmlns, "http://www.w3.org/2000/svg");
  assert.ok(Number(doc.attrs.width) > 0 && Number(doc.attrs.height) > 0);
  // Nothing fetched from outside: no href, no url() other than the local pattern, no script.
  assert.doesNotMatch(svg, /href|<script|@import|url\((?!#hatch\))/);
  const regions = all(doc, (e) => e.name === "g" && e.attrs.class === "region");
  assert.equal(regions.length, rows.length);
  assert.deepEqual(
    regions.map((g) => g.attrs["data-kind"]),
    ["vsyscall", "stack", "text", "vdso", "heap", "text", "rodata"],
  );
  // Boxes go down the page as addresses go down.
  const ys = regions.map((g) => Number(g.children.find((c) => c.name === "rect")!.attrs.y));
  for (let k = 1; k < ys.length; k++) assert.ok(ys[k]! > ys[k - 1]!, "descending addresses, ascending y");
  const all_text = textOf(doc);
  assert.match(all_text, /cat &amp; friends/);
  assert.match(all_text, /a&lt;b&amp;c&quot;&apos;\.so/);
  assert.match(all_text, /20 KiB {2}r-x/);
  assert.match(all_text, /\.interp \.dynsym/);
  assert.match(all_text, /0x00007ffffffff000/);
  assert.match(all_text, /kernel space, not mapped for user code/);
  assert.match(all_text, /~ 42\.\d TiB unmapped ~/);
  // The empty heap's single address is labelled once.
  assert.equal(all_text.split("0x000055555555e000").length - 1, 1);
});

test("32-bit addresses are 8 digits; a gap down to 0 is drawn", () => {
  const svg = renderSvgDiagram(
    [{ start: 0x8048000n, end: 0x8049000n, kind: "text", name: "prog", perms: "r-xp" }],
    false,
  );
  const t = textOf(parseXml(svg));
  assert.match(t, /0x08049000/);
  assert.match(t, /0x00000000/);
  assert.match(t, /32-bit address space/);
});

test("xmlEscape and the checker reject what they should", () => {
  assert.equal(xmlEscape(`<&>"'`), "&lt;&amp;&gt;&quot;&apos;");
  assert.throws(() => parseXml("<svg><g></svg>"));
  assert.throws(() => parseXml("<svg>a & b</svg>"));
});
