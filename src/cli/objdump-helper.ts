// A worker thread of `objdump -d` (listing-threads.ts): lists the pieces of sections it is asked for,
// from the descriptor the main thread has open.
import { parentPort, workerData } from "node:worker_threads";
import type { InstructionDecoder } from "../disasm/decoder.js";
import {
  listingDecoder,
  listingIndex,
  listPiece,
  type SectionListing,
  sectionListing,
} from "../disasm/listing.js";
import type { SymbolIndex } from "../disasm/symbols.js";
import { ElfFile } from "../elf/index.js";
import { loadDemangler } from "./demangle.js";
import { FileSource } from "./io.js";
import type { HelperMessage, HelperRequest, HelperSetup } from "./listing-threads.js";

const port = parentPort;
if (port) void serve(workerData as HelperSetup);

async function serve(setup: HelperSetup): Promise<void> {
  const send = (m: HelperMessage, transfer: ArrayBuffer[] = []) => port?.postMessage(m, transfer);
  let file: ElfFile;
  let index: SymbolIndex;
  let decoder: InstructionDecoder;
  const { demangle, ...rest } = setup.options;
  const options = { ...rest, ...(demangle ? { demangle: await loadDemangler() } : {}) };
  try {
    // Not closed here: the descriptor is the main thread's.
    file = ElfFile.open(new FileSource(setup.fd, setup.size));
    index = listingIndex(file, options);
    decoder = await listingDecoder(file, options);
  } catch (e) {
    send({ failed: (e as Error).message });
    return;
  }
  const sections = new Map<number, SectionListing>();
  port?.on("message", ({ id, section, piece }: HelperRequest) => {
    try {
      let ctx = sections.get(section);
      if (ctx === undefined) {
        ctx = sectionListing(file, file.section(section), index, options);
        sections.set(section, ctx);
      }
      const listing = listPiece(ctx, decoder, piece);
      send(
        { id, listing },
        listing.chunks.map((c) => c.buffer as ArrayBuffer),
      );
    } catch (e) {
      send({ failed: (e as Error).message });
    }
  });
  send({ ready: true });
}
