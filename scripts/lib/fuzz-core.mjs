// Malformed-input fuzzing: derives files from the committed fixtures by targeted mutation (ELF header,
// section and program header fields, dynamic entries, string offsets, version tables, notes, archive
// headers, truncation, byte flips), runs every view on each in a worker thread under a watchdog, and
// counts what happened. A view may fail only cleanly (the command's own error message and status);
// an exception escaping the command, an "internal error" line, a hang or runaway memory is a failure.
//
// Every mutation is a pure function of (seed, fixture bytes), so a failure is reproduced with
// `node scripts/fuzz.mjs --seed N --count 1 --save DIR`.
//
// The trace replay (runTraceFuzz, `fuzz.mjs --trace`) mutates kept runs instead
// (test/fixtures/trace/captured/*: strace's text, the maps snapshots, ld.so's files, run.json) and
// reads each with `trace --replay`, which runs nothing: no mutant is ever executed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES, listFixtures, ROOT } from "./fixtures.mjs";
import { CommandRunner } from "./runner.mjs";

/** What runs on each mutant: [tool, args...]; the file name is appended, or stands where "{}" is. */
export const VIEWS = [
  ["readelf", "-a", "-W"],
  ["readelf", "-W", "--dyn-syms"],
  ["readelf", "-W", "-t", "-D", "-d", "-r"],
  ["readelf", "-x", ".text"],
  ["readelf", "-p", ".dynstr"],
  ["readelf", "-z", "-x", ".debug_info"],
  ["readelf", "-c"],
  ["nm"],
  ["nm", "-D"],
  ["size"],
  ["size", "-A"],
  ["objdump", "-x"],
  ["objdump", "-s"],
  ["objdump", "-T", "-R"],
  ["objdump", "-d", "-r"],
  ["objdump", "-D", "--no-show-raw-insn"],
  ["objdump", "-d", "-M", "intel,suffix"],
  ["overview"],
  // The commands that follow the file to its interpreter and libraries get it as a file on disk.
  ["layout"],
  ["layout", "--stage", "exec", "--json"],
  ["layout", "--aslr", "--diagram"],
  ["check"],
  ["deps"],
  ["ldd"],
  ["bind", "--ld-debug"],
  ["bundle", "{}", "--dry-run"],
  ["addr", "{}", "0x0", "0x1000", "0x555555555159", "0x401000"],
  ["plt", "--json", "--callers"],
];

/**
 * Views that run a compiler (about 100 ms each): on every SPARSE_EVERY-th mutant only. `build` gets
 * the mutant as an object the driver links (gcc runs ld on it), its relocations followed if it links.
 */
export const SPARSE_VIEWS = [["build", "--json", "--keep", "{}.build", "{}"]];
const SPARSE_EVERY = 40;

// ---- seeded PRNG (mulberry32): small, fast and the same everywhere
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
  };
}

// ---- a minimal ELF layout reader for the mutator (it must itself survive garbage: every access checked)
function layout(bytes) {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45) return null;
  const is64 = bytes[4] === 2;
  const le = bytes[5] !== 2;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ok = (off, n) => off >= 0 && off + n <= bytes.length;
  const get = (off, n) => {
    if (!ok(off, n)) return 0;
    if (n === 1) return dv.getUint8(off);
    if (n === 2) return dv.getUint16(off, le);
    if (n === 4) return dv.getUint32(off, le);
    return Number(dv.getBigUint64(off, le) & 0xffffffffffffn);
  };
  const set = (off, n, v) => {
    if (!ok(off, n)) return;
    if (n === 1) dv.setUint8(off, Number(BigInt.asUintN(8, BigInt(v))));
    else if (n === 2) dv.setUint16(off, Number(BigInt.asUintN(16, BigInt(v))), le);
    else if (n === 4) dv.setUint32(off, Number(BigInt.asUintN(32, BigInt(v))), le);
    else dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), le);
  };
  const W = is64 ? 8 : 4;
  // Field offsets (gABI "ELF Header", "Section Header", "Program Header").
  const eh = is64
    ? {
        e_type: [16, 2],
        e_machine: [18, 2],
        e_entry: [24, 8],
        e_phoff: [32, 8],
        e_shoff: [40, 8],
        e_flags: [48, 4],
        e_ehsize: [52, 2],
        e_phentsize: [54, 2],
        e_phnum: [56, 2],
        e_shentsize: [58, 2],
        e_shnum: [60, 2],
        e_shstrndx: [62, 2],
      }
    : {
        e_type: [16, 2],
        e_machine: [18, 2],
        e_entry: [24, 4],
        e_phoff: [28, 4],
        e_shoff: [32, 4],
        e_flags: [36, 4],
        e_ehsize: [40, 2],
        e_phentsize: [42, 2],
        e_phnum: [44, 2],
        e_shentsize: [46, 2],
        e_shnum: [48, 2],
        e_shstrndx: [50, 2],
      };
  const sh = is64
    ? {
        sh_name: [0, 4],
        sh_type: [4, 4],
        sh_flags: [8, 8],
        sh_addr: [16, 8],
        sh_offset: [24, 8],
        sh_size: [32, 8],
        sh_link: [40, 4],
        sh_info: [44, 4],
        sh_addralign: [48, 8],
        sh_entsize: [56, 8],
      }
    : {
        sh_name: [0, 4],
        sh_type: [4, 4],
        sh_flags: [8, 4],
        sh_addr: [12, 4],
        sh_offset: [16, 4],
        sh_size: [20, 4],
        sh_link: [24, 4],
        sh_info: [28, 4],
        sh_addralign: [32, 4],
        sh_entsize: [36, 4],
      };
  const ph = is64
    ? {
        p_type: [0, 4],
        p_flags: [4, 4],
        p_offset: [8, 8],
        p_vaddr: [16, 8],
        p_paddr: [24, 8],
        p_filesz: [32, 8],
        p_memsz: [40, 8],
        p_align: [48, 8],
      }
    : {
        p_type: [0, 4],
        p_offset: [4, 4],
        p_vaddr: [8, 4],
        p_paddr: [12, 4],
        p_filesz: [16, 4],
        p_memsz: [20, 4],
        p_flags: [24, 4],
        p_align: [28, 4],
      };
  const shoff = get(...eh.e_shoff);
  const shentsize = get(...eh.e_shentsize);
  const shnum = Math.min(get(...eh.e_shnum), 4096);
  const phoff = get(...eh.e_phoff);
  const phentsize = get(...eh.e_phentsize);
  const phnum = Math.min(get(...eh.e_phnum), 4096);
  const sections = [];
  if (shentsize >= (is64 ? 64 : 40)) {
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      if (!ok(at, shentsize)) break;
      sections.push({
        at,
        type: get(at + sh.sh_type[0], 4),
        offset: get(at + sh.sh_offset[0], sh.sh_offset[1]),
        size: get(at + sh.sh_size[0], sh.sh_size[1]),
        entsize: get(at + sh.sh_entsize[0], sh.sh_entsize[1]),
      });
    }
  }
  const segments = [];
  if (phentsize >= (is64 ? 56 : 32)) {
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (!ok(at, phentsize)) break;
      segments.push({
        at,
        type: get(at + ph.p_type[0], 4),
        offset: get(at + ph.p_offset[0], ph.p_offset[1]),
        size: get(at + ph.p_filesz[0], ph.p_filesz[1]),
      });
    }
  }
  return { is64, le, W, get, set, ok, eh, sh, ph, sections, segments };
}

/** Values that break parsers: zero, one, all-ones, off-by-one around the file size, huge, random. */
function interesting(r, size, width, current) {
  const max = width >= 8 ? 0xffffffffffffffffn : (1n << BigInt(width * 8)) - 1n;
  const choices = [
    0n,
    1n,
    2n,
    max,
    max >> 1n,
    max - 1n,
    BigInt(size),
    BigInt(Math.max(0, size - 1)),
    BigInt(size + 1),
    BigInt(r.int(Math.max(1, size))),
    BigInt(current) + BigInt(r.int(17) - 8),
    BigInt(current) * 2n,
    BigInt(current) + 0x10000n,
    0x7fffffffn,
    0x80000000n,
    BigInt(r.int(256)),
  ];
  const v = r.pick(choices);
  return v < 0n ? 0n : v & max;
}

const SHT = {
  NOTE: 7,
  DYNAMIC: 6,
  SYMTAB: 2,
  DYNSYM: 11,
  STRTAB: 3,
  VERDEF: 0x6ffffffd,
  VERNEED: 0x6ffffffe,
  VERSYM: 0x6fffffff,
  RELA: 4,
  REL: 9,
  HASH: 5,
  GNU_HASH: 0x6ffffff6,
  GROUP: 17,
  RELR: 19,
};
const PT = { DYNAMIC: 2, NOTE: 4, INTERP: 3 };
const DT_TAGS = [
  0, 1, 5, 6, 10, 11, 4, 0x6ffffef5, 0x6ffffffe, 0x6fffffff, 0x6ffffffc, 0x6ffffffd, 0x6ffffff0, 7, 8, 17, 18,
  23, 2, 36, 35, 14, 15, 29, 0x6ffffffb, 30,
];

/** Mutators: each changes `bytes` in place (or returns a new, shorter array); named for the report. */
const MUTATORS = {
  "header field"(b, r, L) {
    const name = r.pick(Object.keys(L.eh));
    const [off, w] = L.eh[name];
    L.set(off, w, interesting(r, b.length, w, L.get(off, w)));
    return name;
  },
  "ident byte"(b, r) {
    const i = r.pick([4, 5, 6, 7, 8]);
    b[i] = r.pick([0, 1, 2, 3, 0xff, r.int(256)]);
    return `e_ident[${i}]`;
  },
  "section header field"(b, r, L) {
    if (L.sections.length === 0) return null;
    const s = r.pick(L.sections);
    const name = r.pick(Object.keys(L.sh));
    const [off, w] = L.sh[name];
    L.set(
      s.at + off,
      w,
      name === "sh_flags" && r.next() < 0.3 ? 0x800n : interesting(r, b.length, w, L.get(s.at + off, w)),
    );
    return name;
  },
  "program header field"(b, r, L) {
    if (L.segments.length === 0) return null;
    const s = r.pick(L.segments);
    const name = r.pick(Object.keys(L.ph));
    const [off, w] = L.ph[name];
    L.set(s.at + off, w, interesting(r, b.length, w, L.get(s.at + off, w)));
    return name;
  },
  "dynamic entry"(b, r, L) {
    const d = L.sections.find((s) => s.type === SHT.DYNAMIC) ?? L.segments.find((s) => s.type === PT.DYNAMIC);
    if (!d || d.size < 2 * L.W) return null;
    const n = Math.floor(d.size / (2 * L.W));
    const at = d.offset + r.int(n) * 2 * L.W;
    if (r.next() < 0.4) {
      L.set(at, L.W, r.pick(DT_TAGS));
      return "d_tag";
    }
    L.set(at + L.W, L.W, interesting(r, b.length, L.W, L.get(at + L.W, L.W)));
    return "d_val";
  },
  "symbol field"(b, r, L) {
    const s = L.sections.filter((x) => x.type === SHT.SYMTAB || x.type === SHT.DYNSYM);
    if (s.length === 0) return null;
    const t = r.pick(s);
    const ent = L.is64 ? 24 : 16;
    const n = Math.floor(t.size / ent);
    if (n === 0) return null;
    const at = t.offset + r.int(n) * ent;
    // st_name (string table offset), st_shndx, st_info, st_value, st_size
    const fields = L.is64
      ? { st_name: [0, 4], st_info: [4, 1], st_shndx: [6, 2], st_value: [8, 8], st_size: [16, 8] }
      : { st_name: [0, 4], st_value: [4, 4], st_size: [8, 4], st_info: [12, 1], st_shndx: [14, 2] };
    const name = r.pick(Object.keys(fields));
    const [off, w] = fields[name];
    L.set(at + off, w, interesting(r, b.length, w, L.get(at + off, w)));
    return name;
  },
  "string table"(b, r, L) {
    // Remove terminators: a string that runs to the end of its table (or the file).
    const s = L.sections.filter((x) => x.type === SHT.STRTAB && x.size > 0);
    if (s.length === 0) return null;
    const t = r.pick(s);
    const from = t.offset + r.int(t.size);
    for (let i = from; i < Math.min(b.length, t.offset + t.size); i++) if (b[i] === 0) b[i] = 0x41;
    return "unterminated strings";
  },
  "version table"(b, r, L) {
    const s = L.sections.filter(
      (x) => x.type === SHT.VERDEF || x.type === SHT.VERNEED || x.type === SHT.VERSYM,
    );
    if (s.length === 0) return null;
    const t = r.pick(s);
    if (r.next() < 0.25) {
      L.set(t.at + L.sh.sh_link[0], 4, interesting(r, b.length, 4, 0));
      return "version sh_link";
    }
    if (t.size < 4) return null;
    // Verdef/Verneed records are made of 16-bit and 32-bit fields: counts, offsets to aux and next.
    const at = t.offset + 2 * r.int(Math.floor(t.size / 2));
    const w = r.pick([2, 4]);
    L.set(at - (at % w), w, interesting(r, b.length, w, L.get(at - (at % w), w)));
    return t.type === SHT.VERSYM ? "versym entry" : "verdef/verneed field";
  },
  "note header"(b, r, L) {
    const s = [
      ...L.sections.filter((x) => x.type === SHT.NOTE),
      ...L.segments.filter((x) => x.type === PT.NOTE),
    ];
    if (s.length === 0) return null;
    const t = r.pick(s);
    if (t.size < 12) return null;
    const field = r.int(3);
    L.set(t.offset + field * 4, 4, interesting(r, b.length, 4, L.get(t.offset + field * 4, 4)));
    return ["n_namesz", "n_descsz", "n_type"][field];
  },
  "relocation entry"(b, r, L) {
    const s = L.sections.filter(
      (x) => (x.type === SHT.RELA || x.type === SHT.REL || x.type === SHT.RELR) && x.size > 0,
    );
    if (s.length === 0) return null;
    const t = r.pick(s);
    const at = t.offset + r.int(Math.floor(t.size / L.W)) * L.W;
    L.set(at, L.W, interesting(r, b.length, L.W, L.get(at, L.W)));
    return "r_offset/r_info/r_addend";
  },
  "hash table"(b, r, L) {
    const s = L.sections.filter((x) => (x.type === SHT.HASH || x.type === SHT.GNU_HASH) && x.size >= 8);
    if (s.length === 0) return null;
    const t = r.pick(s);
    const at = t.offset + 4 * r.int(Math.min(8, Math.floor(t.size / 4)));
    L.set(at, 4, interesting(r, b.length, 4, L.get(at, 4)));
    return "nbucket/nchain/symoffset/bloom";
  },
  truncate(b, r) {
    return [b.subarray(0, r.int(b.length)), "truncate"];
  },
  "byte flips"(b, r) {
    const n = 1 + r.int(8);
    for (let i = 0; i < n; i++) b[r.int(b.length)] ^= 1 << r.int(8);
    return "byte flips";
  },
  "archive header"(b, r) {
    if (b.length < 68 || String.fromCharCode(...b.subarray(0, 7)) !== "!<arch>") return null;
    // Member headers are text: name[16] date[12] uid[6] gid[6] mode[8] size[10] fmag[2].
    let at = 8;
    const heads = [];
    while (at + 60 <= b.length && heads.length < 64) {
      heads.push(at);
      const size = Number.parseInt(String.fromCharCode(...b.subarray(at + 48, at + 58)).trim(), 10);
      if (!Number.isFinite(size) || size < 0) break;
      at += 60 + size + (size & 1);
    }
    const h = r.pick(heads);
    const field = r.pick([
      [0, 16],
      [48, 10],
      [58, 2],
    ]);
    const text = r.pick([
      "/",
      "//",
      "/0",
      "/99999",
      "#1/20",
      "9999999999",
      "-1",
      "0",
      "abc",
      " ",
      "/123456789",
    ]);
    for (let i = 0; i < field[1]; i++) b[h + field[0] + i] = i < text.length ? text.charCodeAt(i) : 0x20;
    return "ar member header";
  },
};

/** Derives one mutant from `seed`: picks a fixture and applies 1 to 3 mutations. */
export function mutate(seed, fixtures) {
  const r = prng(seed);
  const fx = fixtures[r.int(fixtures.length)];
  let bytes = Uint8Array.from(fx.bytes);
  const applied = [];
  const rounds = 1 + (r.next() < 0.3 ? r.int(3) : 0);
  for (let k = 0; k < rounds; k++) {
    const names = Object.keys(MUTATORS);
    for (let attempt = 0; attempt < 8; attempt++) {
      const m = r.pick(names);
      const L = layout(bytes);
      if (!L && !["truncate", "byte flips", "archive header"].includes(m)) continue;
      const res = MUTATORS[m](bytes, r, L);
      if (res === null) continue;
      if (Array.isArray(res)) {
        bytes = res[0];
        applied.push(res[1]);
      } else applied.push(`${m}: ${res}`);
      break;
    }
  }
  return { seed, fixture: fx.name, bytes, mutations: applied };
}

export function loadFixtures() {
  return listFixtures().map((name) => ({ name, bytes: readFileSync(join(ROOT, FIXTURES, name)) }));
}

/**
 * Runs `count` mutants (or until `seconds` pass) starting at `seed`. Returns the counts and the
 * failures, each with its seed, fixture, mutations and view.
 */
export async function runFuzz({
  seed = 1,
  count = 2000,
  seconds = Number.POSITIVE_INFINITY,
  timeoutMs = 2000,
  memoryLimitMb = 512,
  rssGrowthLimitMb = 300,
  views = VIEWS,
  sparseViews = SPARSE_VIEWS,
  onProgress = () => {},
  onMutant = () => {},
} = {}) {
  const fixtures = loadFixtures();
  const runner = new CommandRunner({ memoryLimitMb });
  const tally = new Tally(rssGrowthLimitMb);
  const started = Date.now();
  for (let i = 0; i < count && (Date.now() - started) / 1000 < seconds; i++) {
    const mutant = mutate(seed + i, fixtures);
    onMutant(mutant);
    const jobs = i % SPARSE_EVERY === 0 ? [...views, ...sparseViews] : views;
    const res = await runner.run({ jobs, path: "mutant", bytes: mutant.bytes, timeoutMs });
    tally.add(res, jobs, { seed: mutant.seed, fixture: mutant.fixture, mutations: mutant.mutations });
    onProgress(tally.counts, i);
  }
  await runner.stop();
  return tally.result();
}

/** The counts and failures of a fuzz run: each mutant's results from the runner, and the memory. */
class Tally {
  constructor(rssGrowthLimitMb) {
    this.rssGrowthLimitMb = rssGrowthLimitMb;
    this.rss0 = process.memoryUsage().rss;
    this.maxRss = this.rss0;
    this.counts = {
      mutations: 0,
      views: 0,
      ok: 0,
      cleanErrors: 0,
      internalErrors: 0,
      hangs: 0,
      crashes: 0,
      unavailable: 0,
    };
    this.unavailable = new Set();
    this.failures = [];
  }
  add(res, jobs, where) {
    const { counts, failures } = this;
    counts.mutations++;
    if (res.hang) {
      counts.hangs++;
      failures.push({ ...where, kind: "hang", view: res.job });
      return;
    }
    if (res.crash) {
      counts.crashes++;
      failures.push({ ...where, kind: "crash", view: res.job, message: res.crash });
      return;
    }
    for (const [k, v] of res.results.entries()) {
      counts.views++;
      if (v.unavailable) {
        counts.unavailable++;
        this.unavailable.add(viewLabel(jobs[k]));
      } else if (v.internal) {
        counts.internalErrors++;
        failures.push({ ...where, kind: "internal error", view: jobs[k], message: v.message });
      } else if (v.status === 0) counts.ok++;
      else counts.cleanErrors++;
    }
    const rss = Math.max(res.rss, process.memoryUsage().rss);
    if (rss > this.maxRss) this.maxRss = rss;
    if (rss - this.rss0 > this.rssGrowthLimitMb * 1024 * 1024 && !failures.some((f) => f.kind === "memory")) {
      failures.push({
        ...where,
        kind: "memory",
        message: `rss grew by ${((rss - this.rss0) / 1048576).toFixed(0)} MB`,
      });
    }
  }
  result() {
    return {
      counts: this.counts,
      failures: this.failures,
      maxRssMb: this.maxRss / 1048576,
      rssGrowthMb: (this.maxRss - this.rss0) / 1048576,
      unavailable: [...this.unavailable],
    };
  }
}

export function viewLabel(view) {
  return view.join(" ");
}

// ---- trace replay: kept runs mutated as text

/** What reads each mutated run: "{}" is its directory. */
export const TRACE_VIEWS = [
  ["trace", "--replay", "{}"],
  ["trace", "--replay", "{}", "--json"],
  ["trace", "--replay", "{}", "--full", "--maps-at", "3"],
];
export const TRACE_RUNS = "test/fixtures/trace/captured";

/** Each kept run under test/fixtures/trace/captured: its name and its files' bytes, by file name. */
export function loadTraceRuns() {
  const root = join(ROOT, TRACE_RUNS);
  return readdirSync(root)
    .sort()
    .filter((name) => statSync(join(root, name)).isDirectory())
    .map((name) => {
      const files = {};
      for (const f of readdirSync(join(root, name)).sort())
        if (statSync(join(root, name, f)).isFile()) files[f] = readFileSync(join(root, name, f));
      return { name, files };
    });
}

/** Numbers that break a reader of strace's text: zero, -1, past 2^53, past 2^64, a stray hex. */
function strangeNumber(r, current) {
  const hex = current.startsWith("0x");
  const n = hex ? BigInt(current) : BigInt(current.replace(/\..*/, "") || "0");
  const v = r.pick([
    0n,
    1n,
    -1n,
    n + 1n,
    n - 1n,
    n * 4096n,
    n ^ (1n << BigInt(r.int(64))),
    (1n << 53n) + 1n,
    (1n << 63n) - 1n,
    (1n << 64n) - 1n,
    1n << 64n,
    10n ** 30n,
    BigInt(r.int(1 << 30)),
  ]);
  if (hex) return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
  return r.next() < 0.1 ? `${v}.${r.int(1000000)}` : String(v);
}

const lines = (text) => text.split("\n");

/** Text mutators over one file (latin1, so a byte is a character): each returns the new text. */
const TEXT_MUTATORS = {
  "byte flips"(t, r) {
    const b = Buffer.from(t, "latin1");
    if (b.length === 0) return null;
    const n = 1 + r.int(8);
    for (let i = 0; i < n; i++) b[r.int(b.length)] ^= 1 << r.int(8);
    return b.toString("latin1");
  },
  truncate(t, r) {
    return t.slice(0, r.int(t.length + 1));
  },
  "truncate a line"(t, r) {
    const ls = lines(t);
    const k = r.int(ls.length);
    ls[k] = ls[k].slice(0, r.int(ls[k].length + 1));
    return ls.join("\n");
  },
  "duplicated lines"(t, r) {
    const ls = lines(t);
    const k = r.int(ls.length);
    const n = 1 + r.int(r.next() < 0.1 ? 200 : 4);
    ls.splice(k, 0, ...ls.slice(k, k + n));
    return ls.join("\n");
  },
  "deleted lines"(t, r) {
    const ls = lines(t);
    ls.splice(r.int(ls.length), 1 + r.int(r.next() < 0.1 ? 100 : 3));
    return ls.join("\n");
  },
  "swapped lines"(t, r) {
    const ls = lines(t);
    const a = r.int(ls.length);
    const b = r.int(ls.length);
    [ls[a], ls[b]] = [ls[b], ls[a]];
    return ls.join("\n");
  },
  "numbers changed"(t, r) {
    // A pid, a time, an address, a length, a result: some number in the text, 1 to 4 of them.
    const found = [...t.matchAll(/-?0x[0-9a-f]+|\d+(\.\d+)?/g)];
    if (found.length === 0) return null;
    let out = t;
    const n = 1 + r.int(4);
    for (const m of Array.from({ length: n }, () => r.pick(found)).sort((x, y) => y.index - x.index)) {
      const v = m[0].replace(/^-/, "");
      out = out.slice(0, m.index) + strangeNumber(r, v) + out.slice(m.index + m[0].length);
    }
    return out;
  },
};

/** The files of a run a mutation goes to: strace's text most often, the snapshots next. */
function pickFile(r, names) {
  const maps = names.filter((f) => f.startsWith("maps."));
  const other = names.filter((f) => f !== "strace.txt" && !f.startsWith("maps."));
  const p = r.next();
  if (p < 0.6 || (maps.length === 0 && other.length === 0)) return "strace.txt";
  if (p < 0.9 && maps.length) return r.pick(maps);
  return r.pick(other.length ? other : maps);
}

/** Derives one mutated run from `seed`: picks a kept run, applies 1 to 4 mutations to its files. */
export function mutateRun(seed, runs) {
  const r = prng(seed);
  const run = runs[r.int(runs.length)];
  const files = Object.fromEntries(Object.entries(run.files).map(([f, b]) => [f, b.toString("latin1")]));
  const applied = [];
  const rounds = 1 + (r.next() < 0.4 ? r.int(4) : 0);
  for (let k = 0; k < rounds; k++) {
    const file = pickFile(r, Object.keys(files));
    // run.json's fields are read as they are: only its numbers change, or it is cut short.
    const names = file === "run.json" ? ["numbers changed", "truncate"] : Object.keys(TEXT_MUTATORS);
    for (let attempt = 0; attempt < 8; attempt++) {
      const m = r.pick(names);
      const out = TEXT_MUTATORS[m](files[file], r);
      if (out === null) continue;
      files[file] = out;
      applied.push(`${file}: ${m}`);
      break;
    }
  }
  const bytes = Object.fromEntries(Object.entries(files).map(([f, t]) => [f, Buffer.from(t, "latin1")]));
  return { seed, fixture: run.name, files: bytes, mutations: applied };
}

/** Writes a mutated run's files into `dir` (emptied first). */
export function writeRun(dir, mutant) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, b] of Object.entries(mutant.files)) writeFileSync(join(dir, f), b);
}

/**
 * Runs `count` mutated runs (or until `seconds` pass) starting at `seed` through TRACE_VIEWS, each
 * written to a directory of this run. Returns what runFuzz returns.
 */
export async function runTraceFuzz({
  seed = 1,
  count = 200,
  seconds = Number.POSITIVE_INFINITY,
  timeoutMs = 5000,
  memoryLimitMb = 512,
  rssGrowthLimitMb = 300,
  views = TRACE_VIEWS,
  onProgress = () => {},
  onMutant = () => {},
} = {}) {
  const runs = loadTraceRuns();
  const runner = new CommandRunner({ memoryLimitMb });
  const tally = new Tally(rssGrowthLimitMb);
  const scratch = mkdtempSync(join(tmpdir(), "anatomy-fuzz-trace-"));
  const dir = join(scratch, "run");
  const started = Date.now();
  try {
    for (let i = 0; i < count && (Date.now() - started) / 1000 < seconds; i++) {
      const mutant = mutateRun(seed + i, runs);
      onMutant(mutant);
      writeRun(dir, mutant);
      const res = await runner.run({ jobs: views, path: dir, timeoutMs });
      tally.add(res, views, { seed: mutant.seed, fixture: mutant.fixture, mutations: mutant.mutations });
      onProgress(tally.counts, i);
    }
  } finally {
    await runner.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  return tally.result();
}
