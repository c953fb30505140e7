// The linker's complaints about symbols, read from its own messages (kept verbatim beside) and
// explained from the objects' symbol tables: who needs an undefined symbol and which library on the
// search path would define it; which two files define a symbol twice, and as what.
//
//   /usr/bin/ld: a-math.o: in function `main':
//   math.c:(.text+0x27): undefined reference to `sqrt'
//   /usr/bin/ld: a-dup.o:(.data+0x0): multiple definition of `shared_counter'; a-two-b.o:(.bss+0x0): first defined here

export interface UndefinedReference {
  kind: "undefined";
  symbol: string;
  /** Each place that refers to it: the object, the function, and where (`.text+0x27` or `file.c:4`). */
  uses: { object: string; function: string | undefined; at: string }[];
}

export interface MultipleDefinition {
  kind: "multiple";
  symbol: string;
  /** The later definition ld complains about, and the one it met first. */
  again: { object: string; at: string };
  first: { object: string; at: string };
}

export type LinkError = UndefinedReference | MultipleDefinition;

/**
 * A place as ld writes it: `a-x.o:(.data+0x0)`, `math.c:(.text+0x27)`, `a-x.o:two-b.c:(.text+0x0)`,
 * `/src/undefined.c:4` (with debug info). The object is the part ending in `.o`, else `context`: the
 * object of the `in function` line before.
 */
function place(text: string, context: string | undefined): { object: string; at: string } {
  const inSection = /^(.*?):\(([^()]+)\)$/.exec(text);
  const file = inSection ? (inSection[1] as string) : text.replace(/:\d+$/, "");
  const at = inSection ? (inSection[2] as string) : text;
  const object = file.split(":").find((part) => /\.o$|\.o\)$/.test(part));
  return { object: object ?? context ?? file, at };
}

/** The symbol errors in a linker's stderr, in the order it gave them (one entry per symbol). */
export function parseLinkErrors(stderr: string): LinkError[] {
  const out: LinkError[] = [];
  const undefinedBySymbol = new Map<string, UndefinedReference>();
  let object: string | undefined;
  let inFunction: string | undefined;
  for (const raw of stderr.split("\n")) {
    // ld begins each message with its own path (`/usr/bin/ld: `); the lines after one belong to it.
    const ld = /^\S*\bld(\.bfd|\.gold|\.lld)?: /.exec(raw);
    const line = ld ? raw.slice(ld[0].length) : raw;
    if (ld) {
      object = undefined;
      inFunction = undefined;
    }
    const fn = /^(.+): in function `(.+)':$/.exec(line);
    if (fn) {
      object = fn[1];
      inFunction = fn[2];
      continue;
    }
    const undef = /^(.*): undefined reference to `(.+)'$/.exec(line);
    if (undef) {
      const symbol = undef[2] as string;
      const where = place(undef[1] as string, object);
      let entry = undefinedBySymbol.get(symbol);
      if (!entry) {
        entry = { kind: "undefined", symbol, uses: [] };
        undefinedBySymbol.set(symbol, entry);
        out.push(entry);
      }
      entry.uses.push({ ...where, function: where.object === object ? inFunction : undefined });
      continue;
    }
    const twice = /^(.*): multiple definition of `(.+)'; (.*): first defined here$/.exec(line);
    if (twice)
      out.push({
        kind: "multiple",
        symbol: twice[2] as string,
        again: place(twice[1] as string, object),
        first: place(twice[3] as string, undefined),
      });
  }
  return out;
}

/** What nm says of a symbol in one object: its letter (`U`, `T`, `D`, `B`, `C`...). */
export type SymbolLetters = (object: string, symbol: string) => string | undefined;

const LETTER_WORDS: Record<string, string> = {
  T: "a function (T, in .text)",
  t: "a local function (t)",
  D: "initialised data (D, in .data)",
  d: "local data (d)",
  B: "zero-initialised data (B, in .bss)",
  b: "local zero-initialised data (b)",
  R: "read-only data (R, in .rodata)",
  C: "a common symbol (C)",
  W: "a weak definition (W)",
  V: "a weak object (V)",
};

/**
 * Each error in words: for an undefined symbol, who needs it and what could define it (`providers`:
 * the libraries on the link's search path that export it, as `-lNAME`); for a duplicate, what each
 * definition is and the usual ways out.
 */
export function explainLinkErrors(
  errors: LinkError[],
  letters: SymbolLetters,
  providers: Map<string, string[]>,
): string[] {
  return errors.map((e) => {
    if (e.kind === "undefined") {
      const users = e.uses
        .map((u) => `${u.object}${u.function ? ` in ${u.function}` : ""} (${u.at})`)
        .join(", ");
      const found = providers.get(e.symbol) ?? [];
      const fix = found.length
        ? `; on the link's search path ${found.map((f) => `${f.slice(f.lastIndexOf("/") + 1)} (${libraryOption(f)})`).join(", ")} ${found.length === 1 ? "defines" : "define"} it: add ${[...new Set(found.map(libraryOption))].join(" or ")}`
        : "; no library on the link's search path defines it either: write it, or link the object or library that has it";
      return `undefined: ${e.symbol}, used by ${users} where nm shows U, is defined by none of the objects and libraries linked${fix}`;
    }
    const what = (object: string) => {
      const letter = letters(object, e.symbol);
      return letter ? (LETTER_WORDS[letter] ?? `nm letter ${letter}`) : "a definition";
    };
    return `defined twice: ${e.symbol} is ${what(e.first.object)} in ${e.first.object} (${e.first.at}) and ${what(e.again.object)} in ${e.again.object} (${e.again.at}); keep one, and make the other static or declare it extern`;
  });
}

/** `libm.so.6` or `/usr/lib/.../libm.so` as the option that links it: `-lm`. */
function libraryOption(library: string): string {
  const base = library.slice(library.lastIndexOf("/") + 1);
  const m = /^lib(.+?)\.(so|a)/.exec(base);
  return m ? `-l${m[1]}` : library;
}
