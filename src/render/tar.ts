/**
 * A small POSIX ustar writer (POSIX.1-2001 pax "ustar Interchange Format"): 512-byte headers, contents
 * padded to 512 bytes, two zero blocks at the end. Names that do not fit ustar's prefix/name split get a
 * pax extended header ('x') with `path` / `linkpath` records. Only the bytes are made here; the caller
 * writes them (no I/O in render/).
 */

export type TarType = "file" | "symlink" | "directory";

export interface TarEntry {
  /** Path inside the archive, without a leading "/" (directories without a trailing one). */
  name: string;
  type: TarType;
  mode: number;
  /** Bytes of a file's contents (0 for links and directories). */
  size: number;
  /** A symbolic link's target. */
  linkname?: string;
  /** Seconds since the epoch; 0 keeps archives reproducible. */
  mtime?: number;
}

export const TAR_BLOCK = 512;

const encoder = new TextEncoder();

function putString(buf: Uint8Array, at: number, len: number, s: string): void {
  const b = encoder.encode(s);
  buf.set(b.subarray(0, len), at);
}

/** Octal, zero-padded to len-1 digits and a NUL, as ustar numeric fields are. */
function putOctal(buf: Uint8Array, at: number, len: number, n: number): void {
  putString(buf, at, len - 1, n.toString(8).padStart(len - 1, "0"));
}

/** ustar's split of a long name into prefix (<= 155 bytes) and name (<= 100 bytes) at a "/". */
function splitName(name: string): { prefix: string; name: string } | undefined {
  const bytes = encoder.encode(name).length;
  if (bytes <= 100) return { prefix: "", name };
  for (let i = name.indexOf("/"); i >= 0; i = name.indexOf("/", i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(rest).length <= 100 && rest !== "") {
      return { prefix, name: rest };
    }
  }
  return undefined;
}

function header(e: {
  name: string;
  prefix: string;
  typeflag: string;
  mode: number;
  size: number;
  linkname: string;
  mtime: number;
}): Uint8Array {
  const h = new Uint8Array(TAR_BLOCK);
  putString(h, 0, 100, e.name);
  putOctal(h, 100, 8, e.mode & 0o7777);
  putOctal(h, 108, 8, 0); // uid
  putOctal(h, 116, 8, 0); // gid
  putOctal(h, 124, 12, e.size);
  putOctal(h, 136, 12, e.mtime);
  h.fill(0x20, 148, 156); // chksum counts as spaces while summing
  putString(h, 156, 1, e.typeflag);
  putString(h, 157, 100, e.linkname);
  putString(h, 257, 6, "ustar"); // "ustar\0"
  putString(h, 263, 2, "00");
  putString(h, 265, 32, "root");
  putString(h, 297, 32, "root");
  putOctal(h, 329, 8, 0);
  putOctal(h, 337, 8, 0);
  putString(h, 345, 155, e.prefix);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += h[i]!;
  putString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** A pax record "LEN key=value\n", LEN counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = encoder.encode(body).length;
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return `${len}${body}`;
}

/** Zero bytes that complete a member of `size` bytes to a whole block. */
export function tarPadding(size: number): Uint8Array {
  const rest = size % TAR_BLOCK;
  return new Uint8Array(rest === 0 ? 0 : TAR_BLOCK - rest);
}

/** The header block(s) of one member; a file's contents and tarPadding(size) follow. */
export function tarHeader(e: TarEntry): Uint8Array {
  const name = e.type === "directory" ? `${e.name}/` : e.name;
  const typeflag = e.type === "file" ? "0" : e.type === "symlink" ? "2" : "5";
  const linkname = e.linkname ?? "";
  const size = e.type === "file" ? e.size : 0;
  const mtime = e.mtime ?? 0;
  const split = splitName(name);
  const longLink = encoder.encode(linkname).length > 100;
  const parts: Uint8Array[] = [];
  if (!split || longLink) {
    let pax = "";
    if (!split) pax += paxRecord("path", name);
    if (longLink) pax += paxRecord("linkpath", linkname);
    const data = encoder.encode(pax);
    const short = `PaxHeaders/${name.slice(-80)}`.replace(/^\/+/, "");
    parts.push(
      header({
        name: short.slice(0, 100),
        prefix: "",
        typeflag: "x",
        mode: 0o644,
        size: data.length,
        linkname: "",
        mtime,
      }),
    );
    parts.push(data, tarPadding(data.length));
  }
  const s = split ?? { prefix: "", name: name.slice(-100) };
  parts.push(
    header({
      name: s.name,
      prefix: s.prefix,
      typeflag,
      mode: e.mode,
      size,
      linkname: linkname.slice(0, 100),
      mtime,
    }),
  );
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The end-of-archive marker: two zero blocks. */
export function tarEnd(): Uint8Array {
  return new Uint8Array(2 * TAR_BLOCK);
}
