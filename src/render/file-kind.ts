/**
 * What a file that is not ELF is, told by its first bytes (its magic), and which command reads it.
 * Pure: bytes in, a description out.
 */

export interface FileKind {
  /** A short stable name for JSON: "python-bytecode", "script", "java-class", "zip", ... */
  kind: string;
  /** What the file is, in words: "CPython 3.11 bytecode (.pyc), magic 3495". */
  description: string;
  /** Where to look instead, when something can say more: "run by /bin/sh: anatomy /bin/sh". */
  next?: string;
}

/**
 * The first two bytes of a .pyc (little-endian u16, followed by "\r\n"), measured with each pyenv
 * CPython's importlib.util.MAGIC_NUMBER (imp.get_magic() for 2.7). Development builds use other
 * numbers between these; they are named by the range they fall in.
 */
const PYC_MAGICS: [number, string][] = [
  [62211, "2.7"],
  [3379, "3.6"],
  [3394, "3.7"],
  [3413, "3.8"],
  [3425, "3.9"],
  [3439, "3.10"],
  [3495, "3.11"],
  [3531, "3.12"],
  [3571, "3.13"],
];

/** The JVM spec's class file major versions: 45 is JDK 1.1, 49 Java 5, ..., 61 Java 17. */
function javaRelease(major: number): string {
  if (major <= 48) return `JDK 1.${major - 44}`;
  return `Java ${major - 44}`;
}

function pythonVersion(magic: number): string | undefined {
  const exact = PYC_MAGICS.find(([m]) => m === magic);
  if (exact) return exact[1];
  // A pre-release: the first release whose magic is above it.
  if (magic >= 3000 && magic < 4000) {
    const next = PYC_MAGICS.find(([m]) => m > magic && m < 4000);
    return next ? `${next[1]} (pre-release)` : undefined;
  }
  return undefined;
}

const startsWith = (b: Uint8Array, magic: number[], at = 0): boolean =>
  b.length >= at + magic.length && magic.every((v, i) => b[at + i] === v);

const ascii = (b: Uint8Array): string => String.fromCharCode(...b);

/** Whether the bytes look like text: printable ASCII or UTF-8, tabs and line ends, no NUL. */
function looksLikeText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c === 0) return false;
    if (c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 12) return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    const extra = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : -1;
    if (extra < 0) return false;
    // A sequence cut by the end of the sample still counts as text.
    for (let k = 1; k <= extra && i + k < b.length; k++) if ((b[i + k]! & 0xc0) !== 0x80) return false;
    i += extra + 1;
  }
  return true;
}

/** `head` is the file's first bytes (512 are enough for every magic here); `size` its length. */
export function identifyFile(head: Uint8Array, size: number): FileKind {
  if (size === 0) return { kind: "empty", description: "an empty file" };
  const b = head;
  if (b.length >= 4 && b[2] === 0x0d && b[3] === 0x0a) {
    const magic = b[0]! | (b[1]! << 8);
    const version = pythonVersion(magic);
    if (version)
      return {
        kind: "python-bytecode",
        description: `CPython ${version} bytecode (.pyc), magic ${magic}`,
        next: `python${version.split(" ")[0]} -c "import dis, marshal, sys; f = open(sys.argv[1], 'rb'); f.seek(${magic === 62211 ? 8 : magic < 3394 ? 12 : 16}); dis.dis(marshal.load(f))" FILE`,
      };
  }
  if (startsWith(b, [0x23, 0x21])) {
    const end = b.indexOf(0x0a);
    const line = ascii(b.subarray(2, end < 0 ? Math.min(b.length, 256) : end)).trim();
    const [interpreter, ...rest] = line.split(/[ \t]+/);
    const arg = rest.length > 0 ? ` with the argument '${rest.join(" ")}'` : "";
    return {
      kind: "script",
      description: interpreter
        ? `a script: the kernel (binfmt_script) runs ${interpreter}${arg}, passing this file's path`
        : "a script with an empty #! line (execve fails with ENOEXEC)",
      ...(interpreter ? { next: `anatomy ${interpreter}` } : {}),
    };
  }
  if (startsWith(b, [0xca, 0xfe, 0xba, 0xbe]) && b.length >= 8) {
    const major = (b[6]! << 8) | b[7]!;
    const minor = (b[4]! << 8) | b[5]!;
    // Mach-O universal binaries share the magic; their next word is a small architecture count.
    if (major >= 45)
      return {
        kind: "java-class",
        description: `a Java class file, version ${major}.${minor} (${javaRelease(major)})`,
        next: "javap -c -p FILE",
      };
    return { kind: "mach-o", description: "a Mach-O universal (fat) binary, for macOS" };
  }
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06]))
    return {
      kind: "zip",
      description: "a zip archive (a .jar, .whl, .apk and .egg are zip files too)",
      next: "unzip -l",
    };
  if (startsWith(b, [0x1f, 0x8b])) return { kind: "gzip", description: "gzip-compressed data", next: "zcat" };
  if (startsWith(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
    return { kind: "xz", description: "xz-compressed data", next: "xzcat" };
  if (startsWith(b, [0x28, 0xb5, 0x2f, 0xfd]))
    return { kind: "zstd", description: "zstd-compressed data", next: "zstdcat" };
  if (startsWith(b, [0x42, 0x5a, 0x68])) return { kind: "bzip2", description: "bzip2-compressed data" };
  if (startsWith(b, [0x75, 0x73, 0x74, 0x61, 0x72], 257))
    return { kind: "tar", description: "a tar archive", next: "tar tvf" };
  if (startsWith(b, [0x00, 0x61, 0x73, 0x6d])) return { kind: "wasm", description: "a WebAssembly module" };
  if (startsWith(b, [0x4d, 0x5a]))
    return { kind: "pe", description: "a DOS/Windows executable (MZ, perhaps PE)" };
  for (const m of [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xcf, 0xfa, 0xed, 0xfe],
  ])
    if (startsWith(b, m)) return { kind: "mach-o", description: "a Mach-O binary, for macOS" };
  if (startsWith(b, [0x25, 0x50, 0x44, 0x46])) return { kind: "pdf", description: "a PDF document" };
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47])) return { kind: "png", description: "a PNG image" };
  if (looksLikeText(b.subarray(0, Math.min(b.length, 512))))
    return {
      kind: "text",
      description: "text with no #! line (execve fails with ENOEXEC; a shell would run it as a shell script)",
    };
  return { kind: "data", description: "data of no kind recognised here" };
}
