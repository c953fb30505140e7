// Worker threads that list pieces of a long section for `objdump -d` (src/disasm/pieces.ts), so a
// 28 MB .text is decoded on every core. Each worker reads the same open descriptor (positional reads
// share no file offset), so it sees the very bytes this thread reads; it parses the file, its symbols
// and the section itself, and answers piece requests with the listing's bytes, transferred, not copied.
// Anything that goes wrong in a worker makes it stop taking pieces; this thread lists them instead.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { DisassembleOptions } from "../disasm/listing.js";
import type { ListingHelper, ListingThreads, Piece, PieceListing } from "../disasm/pieces.js";

/** What a worker is started with. */
export interface HelperSetup {
  fd: number;
  size: number;
  options: Omit<DisassembleOptions, "demangle"> & { demangle: boolean };
}

/** A request, and a worker's messages. */
export type HelperRequest = { id: number; section: number; piece: Piece };
export type HelperMessage =
  | { ready: true }
  | { failed: string }
  | { id: number; listing: PieceListing | undefined };

/** Code bytes per piece: about 2.5 MB of listing, a few hundred milliseconds of work. */
const PIECE_BYTES = 1 << 18;
/** Helpers at most, whatever the core count: each costs a parse of the file's symbols. */
const MAX_HELPERS = 3;

const helperScript = new URL("./objdump-helper.js", import.meta.url);

/**
 * How many threads list: ANATOMY_THREADS when set (1: this one alone), else one per core the process
 * may use, up to MAX_HELPERS + 1.
 */
export function listingThreadCount(env: Record<string, string | undefined>): number {
  const asked = Number.parseInt(env.ANATOMY_THREADS ?? "", 10);
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, MAX_HELPERS + 1);
  return Math.min(availableParallelism(), MAX_HELPERS + 1);
}

class WorkerHelper implements ListingHelper {
  ready = false;
  pending = 0;
  readonly started: Promise<void>;
  private settle: () => void = () => {};
  private broken = false;
  private nextId = 0;
  private readonly waiting = new Map<number, (listing: PieceListing | undefined) => void>();
  private readonly worker: Worker;

  constructor(setup: HelperSetup) {
    this.started = new Promise((done) => {
      this.settle = done;
    });
    this.worker = new Worker(helperScript, { workerData: setup, stdout: true, stderr: true });
    this.worker.unref();
    this.worker.on("message", (m: HelperMessage) => {
      if ("ready" in m) {
        this.ready = !this.broken;
        this.settle();
      } else if ("failed" in m) this.fail();
      else {
        this.pending--;
        this.waiting.get(m.id)?.(m.listing);
        this.waiting.delete(m.id);
      }
    });
    this.worker.on("error", () => this.fail());
    this.worker.on("exit", () => this.fail());
  }

  list(section: number, piece: Piece): Promise<PieceListing | undefined> {
    if (this.broken) return Promise.resolve(undefined);
    const id = this.nextId++;
    this.pending++;
    return new Promise((answer) => {
      this.waiting.set(id, answer);
      this.worker.postMessage({ id, section, piece } satisfies HelperRequest);
    });
  }

  /** Stops taking pieces; what it was asked and has not answered is listed by the caller. */
  private fail(): void {
    this.broken = true;
    this.ready = false;
    this.settle();
    this.pending = 0;
    for (const answer of this.waiting.values()) answer(undefined);
    this.waiting.clear();
  }

  stop(): void {
    this.fail();
    void this.worker.terminate();
  }
}

/** Helpers for one open file, started on first use; none when there is one core or no helper script. */
export function listingThreads(setup: HelperSetup, threads: number): ListingThreads | undefined {
  if (threads < 2 || !existsSync(helperScript)) return undefined;
  let started: WorkerHelper[] | undefined;
  return {
    pieceBytes: pieceBytes(),
    patient: process.env.ANATOMY_WAIT_FOR_THREADS === "1",
    helpers() {
      started ??= Array.from({ length: threads - 1 }, () => new WorkerHelper(setup));
      return started;
    },
    pause: () => new Promise((done) => setImmediate(done)),
    stop() {
      for (const h of started ?? []) h.stop();
    },
  };
}

/**
 * ANATOMY_PIECE_BYTES (tests cut small files into many pieces, with ANATOMY_WAIT_FOR_THREADS=1 so the
 * helpers start before the listing), else PIECE_BYTES.
 */
function pieceBytes(): number {
  const asked = Number.parseInt(process.env.ANATOMY_PIECE_BYTES ?? "", 10);
  return Number.isInteger(asked) && asked >= 16 ? asked : PIECE_BYTES;
}
