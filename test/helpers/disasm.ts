// The listing of src/disasm for a committed fixture, as the disassembly tests read it: `objdump -d`'s
// options with `opts` on top, no error and status 0 expected; `threads` share the listing out.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DISASSEMBLE_DEFAULTS, type DisassembleOptions, disassemble } from "../../src/disasm/listing.js";
import type { ListingThreads } from "../../src/disasm/pieces.js";
import { BufferSource, ElfFile } from "../../src/elf/index.js";

export async function listing(
  path: string,
  opts: Partial<DisassembleOptions> = {},
  threads?: ListingThreads,
): Promise<string> {
  const file = ElfFile.open(new BufferSource(new Uint8Array(readFileSync(path))));
  let out = "";
  let err = "";
  const rc = await disassemble(
    file,
    path,
    { ...DISASSEMBLE_DEFAULTS, ...opts },
    { write: (s) => (out += s) },
    { write: (s) => (err += s) },
    threads,
  );
  assert.equal(err, "");
  assert.equal(rc, 0);
  return out;
}
