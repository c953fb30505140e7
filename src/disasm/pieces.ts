// A long section listed by several threads at once: it is cut into pieces at symbols, other threads
// (src/cli/listing-threads.ts: worker threads with the same file open) list some pieces while this
// one lists others, and the output is written in order. Each piece's listing is exactly that part of
// the whole section's listing, since decoding starts again at each symbol (renderRange); the rare
// instruction that runs past the symbol ending its piece is caught by where the piece's listing
// ended, and the next piece is then listed again from there. No thread runs ahead of the writer by
// more than a few pieces, so the output held at once stays bounded.

/** Part of a section to list: `[from, to)`, its first label still to print `stops[next]`. */
export interface Piece {
  from: number;
  to: number;
  next: number;
  /** Where an instruction must end: the end of the whole range listed, not of the piece. */
  limit: number;
}

/** A piece's listing: the bytes to write, and the offset where listing stopped (past `to` when an instruction ran over). */
export interface PieceListing {
  chunks: Uint8Array[];
  end: number;
}

/** Another thread that lists pieces of the file's sections. */
export interface ListingHelper {
  /** It has the file open and its symbols read, and takes pieces. */
  readonly ready: boolean;
  /** Pieces asked of it not yet answered. */
  readonly pending: number;
  /** Settles when it is ready, or has failed. */
  readonly started: Promise<void>;
  /** The listing of a piece of section `section`; undefined when it could not list it. */
  list(section: number, piece: Piece): Promise<PieceListing | undefined>;
}

/** The helpers for one file, started when a section long enough to share is first listed. */
export interface ListingThreads {
  /** Bytes of a section in one piece (at least; pieces end at symbols). */
  readonly pieceBytes: number;
  /**
   * Wait for the helpers to start before listing, rather than list alone meanwhile: tests ask for it,
   * so that helpers take pieces of files smaller than their start-up.
   */
  readonly patient?: boolean;
  /** Starts the helpers (before this thread reads the symbols, so both read them at once). */
  helpers(): ListingHelper[];
  /** Resolves once messages that arrived meanwhile have been handled. */
  pause(): Promise<void>;
  stop(): void;
}

/** Pieces each thread may have listed ahead of the one being written. */
const AHEAD = 2;

/**
 * Cuts `[from, to)` at the first symbol (`stopOffsets`, from `stops[next]` on) at least `pieceBytes`
 * past the last cut. A section with too few symbols comes back as one piece.
 */
export function cutPieces(
  stopOffsets: readonly number[],
  from: number,
  to: number,
  next: number,
  pieceBytes: number,
): Piece[] {
  const pieces: Piece[] = [];
  let start = from;
  let startNext = next;
  for (let i = next; i < stopOffsets.length; i++) {
    const at = stopOffsets[i] as number;
    if (at >= to) break;
    if (at - start < pieceBytes || to - at < pieceBytes / 2) continue;
    pieces.push({ from: start, to: at, next: startNext, limit: to });
    start = at;
    startNext = i;
  }
  pieces.push({ from: start, to, next: startNext, limit: to });
  return pieces;
}

/**
 * Lists the pieces in order through `write`, sharing them out among the helpers that are ready and
 * this thread (`listHere`). A piece is listed again here when its helper failed, or when the piece
 * before it ended past its start; a listing that ends short of its piece (objdump stopped at bytes it
 * could not read) ends the section.
 */
export async function listInPieces(
  pieces: readonly Piece[],
  section: number,
  helpers: readonly ListingHelper[],
  listHere: (piece: Piece) => PieceListing,
  write: (chunks: Uint8Array[]) => void,
  pause: () => Promise<void>,
  patient = false,
): Promise<void> {
  if (patient) await Promise.all(helpers.map((h) => h.started));
  const results: (PieceListing | undefined)[] = [];
  const answered: boolean[] = [];
  const asked: Promise<void>[] = [];
  const window = AHEAD * (helpers.length + 1);
  let written = 0;
  let taken = 0;
  let end = (pieces[0] as Piece).from;
  while (written < pieces.length) {
    for (const h of helpers)
      while (h.ready && h.pending < AHEAD && taken < pieces.length && taken - written < window) {
        const i = taken++;
        asked[i] = h.list(section, pieces[i] as Piece).then((r) => {
          results[i] = r;
          answered[i] = true;
        });
      }
    if (answered[written]) {
      const piece = pieces[written] as Piece;
      let r = results[written];
      results[written] = undefined;
      if (r === undefined || piece.from !== end)
        r = listHere({ ...piece, from: end, to: Math.max(end, piece.to) });
      write(r.chunks);
      written++;
      if (r.end < piece.to) return;
      end = r.end;
      continue;
    }
    if (taken === written || (taken < pieces.length && taken - written < window)) {
      const i = taken++;
      results[i] = listHere(pieces[i] as Piece);
      answered[i] = true;
      // Lets the helpers' answers in before the next piece.
      await pause();
      continue;
    }
    await asked[written];
  }
}
