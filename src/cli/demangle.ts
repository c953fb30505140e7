import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * C++ and Rust demangling through gecko-profiler-demangle (WASM; gives c++filt's text). Its index.js
 * imports the .wasm as a module (bundler style), so in Node we instantiate index_bg.wasm ourselves with
 * index_bg.js as its import object and hand the exports to __wbg_set_wasm. Loaded only for -C.
 */
let loaded: Promise<(name: string) => string> | undefined;

/** The demangler, instantiated once per process: the glue caches views of the first instance's memory. */
export function loadDemangler(): Promise<(name: string) => string> {
  loaded ??= instantiate();
  return loaded;
}

async function instantiate(): Promise<(name: string) => string> {
  const require = createRequire(import.meta.url);
  const jsPath = require.resolve("gecko-profiler-demangle/index_bg.js");
  const glue = (await import(jsPath)) as Record<string, unknown> & {
    __wbg_set_wasm(exports: WebAssembly.Exports): void;
    demangle_any(name: string): string;
  };
  const wasmBytes = readFileSync(jsPath.replace(/index_bg\.js$/, "index_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(wasmBytes, {
    "./index_bg.js": glue as WebAssembly.ModuleImports,
  });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  const cache = new Map<string, string>();
  return (name: string) => {
    // Only Itanium C++ (_Z...) and Rust v0 (_R...) manglings, as binutils' demangler accepts them;
    // demangle_any would also rewrite plain names such as `$d` or `_Exit`. Names are byte strings:
    // anything not ASCII is left alone.
    if (!/^_[ZR]/.test(name) || /[^\x20-\x7e]/.test(name)) return name;
    let out = cache.get(name);
    if (out === undefined) {
      out = glue.demangle_any(name);
      // When it cannot demangle, demangle_any may hand back the name without its first underscore.
      if (out === name.slice(1)) out = name;
      else if (name.startsWith("_ZT")) out = libibertySpecialName(out);
      else out = libibertyStandardNames(name, out);
      cache.set(name, out);
    }
    return out;
  };
}

const OFFSET = String.raw`\{(?:offset\(-?\d+\)|virtual offset\(-?\d+, -?\d+\))\}`;
const SPECIAL_NAMES: Array<[RegExp, string]> = [
  // Two offsets first: the one-offset patterns would take the second offset as part of the name.
  [
    new RegExp(`^\\{virtual override thunk\\(${OFFSET}, ${OFFSET}, (.*)\\)\\}$`, "s"),
    "covariant return thunk to $1",
  ],
  [/^\{vtable\((.*)\)\}$/s, "vtable for $1"],
  [/^\{vtt\((.*)\)\}$/s, "VTT for $1"],
  [/^\{virtual override thunk\(\{offset\(-?\d+\)\}, (.*)\)\}$/s, "non-virtual thunk to $1"],
  [/^\{virtual override thunk\(\{virtual offset\(-?\d+, -?\d+\)\}, (.*)\)\}$/s, "virtual thunk to $1"],
];

/**
 * The special names (_ZT...) in libiberty's words, as nm and readelf print them: the Rust demangler
 * writes `{vtable(X)}`, `{vtt(X)}` and `{virtual override thunk(...)}` where libiberty writes
 * "vtable for X", "VTT for X", "non-virtual thunk to", "virtual thunk to" and "covariant return thunk
 * to", and names a construction vtable (_ZTC) derived-in-base where libiberty says base-in-derived.
 */
export function libibertySpecialName(text: string): string {
  for (const [pattern, replacement] of SPECIAL_NAMES)
    if (pattern.test(text)) return text.replace(pattern, replacement);
  const construction = /^construction vtable for (.*?)-in-(.*)$/s.exec(text);
  if (construction) return `construction vtable for ${construction[2]}-in-${construction[1]}`;
  return text;
}

/** libiberty's standard substitutions (cp-demangle.c standard_subs) for streams and strings. */
const STANDARD = [
  { full: "std::basic_istream<char, std::char_traits<char> >", simple: "std::istream", name: "istream" },
  { full: "std::basic_iostream<char, std::char_traits<char> >", simple: "std::iostream", name: "iostream" },
  { full: "std::basic_ostream<char, std::char_traits<char> >", simple: "std::ostream", name: "ostream" },
  {
    full: "std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
    simple: "std::string",
    name: "string",
  },
];

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Si, Sd, So and Ss as nm prints them (libiberty without DMGL_VERBOSE): the short name (std::istream),
 * except as the prefix of a constructor or destructor, where it is the full template
 * (std::basic_istream<char, std::char_traits<char> >::basic_istream()). The Rust demangler prints Si
 * and Sd in full everywhere, and So and Ss short everywhere. A name that spells the template out
 * (13basic_istream ...) is printed in full by both, so those names are left as they are.
 */
export function libibertyStandardNames(mangled: string, text: string): string {
  for (const { full, simple, name } of STANDARD) {
    const basic = `basic_${name}`;
    if (mangled.includes(`${basic.length}${basic}`)) continue;
    // A constructor or destructor of the class itself: the full template, named basic_X.
    const ctor = new RegExp(
      `^(?:${escapeRegExp(full)}|${escapeRegExp(simple)})::(~?)(?:${basic}|${name})(?=[(<])`,
    );
    const head = ctor.exec(text);
    const rest = head ? text.slice(head[0].length) : text;
    const shortened = rest.split(full).join(simple);
    text = head ? `${full}::${head[1]}${basic}${shortened}` : shortened;
  }
  return text;
}
