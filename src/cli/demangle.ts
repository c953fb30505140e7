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
      cache.set(name, out);
    }
    return out;
  };
}
