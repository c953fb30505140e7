// `@FILE` arguments, as binutils' programs take them (readelf, nm and size share this).
import { readFileSync } from "node:fs";

/** libiberty expandargv: `@file` is replaced by the whitespace-separated (quotable) words of the file. */
export function expandArgs(args: string[], depth = 0): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (!arg.startsWith("@") || depth > 10) {
      out.push(arg);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(arg.slice(1), "latin1");
    } catch {
      out.push(arg);
      continue;
    }
    out.push(...expandArgs(splitWords(text), depth + 1));
  }
  return out;
}

/** libiberty buildargv: words split at white space, with '', "" and backslash quoting. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let word = "";
    let quote = "";
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (!quote && /\s/.test(c)) break;
      if (c === "\\" && i + 1 < text.length) word += text[++i];
      else if (quote && c === quote) quote = "";
      else if (!quote && (c === "'" || c === '"')) quote = c;
      else word += c;
    }
    words.push(word);
  }
  return words;
}
