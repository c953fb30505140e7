import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { nodeBundleFs, run } from "../src/cli/bundle.js";
import { openFile } from "../src/cli/io.js";
import { ElfFile } from "../src/elf/file.js";
import { type BundlePlan, dlopenNotes, nsswitchServices, planBundle } from "../src/link/bundle.js";
import { StringOutput } from "../src/render/output.js";
import { TAR_BLOCK, tarHeader, tarPadding } from "../src/render/tar.js";

const here = dirname(fileURLToPath(import.meta.url));
const bundleFix = join(here, "fixtures", "bundle");
const linkFix = join(here, "fixtures", "link");
const isRoot = process.getuid?.() === 0;
const chroot = ["/usr/sbin/chroot", "/usr/bin/chroot"].find((p) => existsSync(p));
const chrootSkip = !isRoot ? "chroot needs root" : !chroot ? "no chroot command" : false;

async function bundle(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const stdout = new StringOutput();
  const stderr = new StringOutput();
  const status = await run(args, { stdout, stderr, openFile, env: {}, isTTY: false });
  return { status, out: stdout.toString(), err: stderr.toString() };
}

function plan(program: string, root?: string): BundlePlan {
  return planBundle(program, { fs: nodeBundleFs(root), env: {} });
}

function inChroot(dir: string, argv: string[], env: Record<string, string> = {}) {
  return spawnSync(chroot!, [dir, ...argv], {
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin", ...env },
    timeout: 20_000,
  });
}

const temp = (): string => mkdtempSync(join(tmpdir(), "anatomy-bundle-"));

test("tar headers: ustar fields, checksum, long names through prefix and pax", () => {
  const h = tarHeader({ name: "usr/bin/ls", type: "file", mode: 0o755, size: 1234 });
  assert.equal(h.length, TAR_BLOCK);
  const text = (a: number, n: number) =>
    Buffer.from(h.subarray(a, a + n))
      .toString("latin1")
      .replace(/\0.*$/s, "");
  assert.equal(text(0, 100), "usr/bin/ls");
  assert.equal(text(100, 8), "0000755");
  assert.equal(Number.parseInt(text(124, 12), 8), 1234);
  assert.equal(text(156, 1), "0");
  assert.equal(text(257, 6), "ustar");
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  assert.equal(Number.parseInt(text(148, 8), 8), sum);
  const link = tarHeader({ name: "lib", type: "symlink", mode: 0o777, size: 0, linkname: "usr/lib" });
  assert.equal(Buffer.from(link.subarray(156, 157)).toString(), "2");
  assert.equal(Buffer.from(link.subarray(157, 164)).toString(), "usr/lib");
  const long = `${"d".repeat(90)}/${"f".repeat(90)}`;
  const split = tarHeader({ name: long, type: "file", mode: 0o644, size: 0 });
  assert.equal(split.length, TAR_BLOCK);
  assert.equal(Buffer.from(split.subarray(345, 435)).toString(), "d".repeat(90));
  const huge = tarHeader({ name: "x".repeat(300), type: "file", mode: 0o644, size: 0 });
  assert.equal(huge.length, 3 * TAR_BLOCK); // pax header, its record, the member
  assert.equal(Buffer.from(huge.subarray(156, 157)).toString(), "x");
  assert.match(Buffer.from(huge.subarray(512, 1024)).toString(), /^310 path=x{300}\n/);
  assert.equal(tarPadding(512).length, 0);
  assert.equal(tarPadding(513).length, 511);
});

test("nsswitch.conf services: actions and comments left out", () => {
  const s = nsswitchServices(
    "# c\npasswd: files systemd\nhosts: files [NOTFOUND=return] dns # x\nbad line\n",
  );
  assert.deepEqual([...s], ["files", "systemd", "dns"]);
});

test("FDO .note.dlopen JSON is read from the note descriptor", () => {
  const src = openFile(join(bundleFix, "lib", "libhost.so"));
  try {
    const notes = dlopenNotes(ElfFile.open(src));
    assert.deepEqual(notes, [
      {
        feature: "plugin",
        description: "Demo plugin",
        priority: "recommended",
        soname: ["libplugin-missing.so.9", "libplugin.so.1"],
      },
    ]);
  } finally {
    src.close();
  }
});

test("plan: RUNPATH $ORIGIN libraries, dlopen note with the plugin's own dependency and SONAME link", () => {
  const prog = join(bundleFix, "dlprog");
  const p = plan(prog);
  const at = (path: string) => p.entries.find((e) => e.path === path);
  assert.equal(at(prog)?.kind, "program");
  assert.equal(at(join(bundleFix, "lib", "libhost.so"))?.kind, "library");
  const link = at(join(bundleFix, "lib", "libplugin.so.1"));
  assert.equal(link?.type, "symlink");
  assert.equal(link?.target, "libplugin.so.1.0.0");
  assert.equal(at(join(bundleFix, "lib", "libplugin.so.1.0.0"))?.kind, "dlopen");
  assert.equal(at(join(bundleFix, "lib", "libplugdep.so"))?.kind, "dlopen");
  assert.equal(at("/proc")?.type, "directory");
  assert.ok(p.entries.some((e) => e.kind === "interpreter" && e.type === "file"));
  assert.ok(p.entries.some((e) => e.path.endsWith("/libc.so.6")));
  // No NSS or iconv import: neither nsswitch.conf nor gconv.
  assert.ok(!p.entries.some((e) => e.kind === "nss" || e.kind === "gconv"));
  assert.deepEqual(p.missing, []);
});

test("plan --root: a library found through the root's ld.so.cache outside default dirs brings the cache", () => {
  const p = plan("/usr/bin/app", join(linkFix, "root"));
  const paths = new Map(p.entries.map((e) => [e.path, e]));
  assert.equal(paths.get("/opt/lib/libopt.so.1")?.kind, "library");
  assert.equal(paths.get("/etc/ld.so.cache")?.kind, "config");
  assert.equal(paths.get("/usr/bin/app")?.kind, "program");
  // The fixture root holds no libc and no ld.so: reported, not taken from the host.
  assert.ok(p.missing.some((m) => m.startsWith("libc.so.6")));
  assert.ok(p.missing.includes("/lib64/ld-linux-x86-64.so.2"));
});

test("bundle --dry-run --json writes nothing and exits 1 when something is missing", async () => {
  const dir = temp();
  try {
    const r = await bundle([
      "/usr/bin/app",
      "--root",
      join(linkFix, "root"),
      "--out",
      join(dir, "o"),
      "--dry-run",
      "--json",
    ]);
    assert.equal(r.status, 1);
    const model = JSON.parse(r.out);
    assert.ok(model.entries.length > 0);
    assert.ok(model.totals.files > 0);
    assert.equal(existsSync(join(dir, "o")), false);
    const bad = await bundle(["/usr/bin/ls"]);
    assert.equal(bad.status, 1);
    assert.match(bad.err, /--out DIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("chroot: ls, bash (tree and tar), python3, $ORIGIN fixtures run in their bundles", {
  skip: chrootSkip,
}, async (t) => {
  const dir = temp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  await t.test("ls --version", async () => {
    const out = join(dir, "ls");
    const r = await bundle(["/usr/bin/ls", "--out", out]);
    assert.equal(r.status, 0, r.out + r.err);
    assert.equal(readlinkSync(join(out, "lib64")), "usr/lib64");
    const c = inChroot(out, ["/usr/bin/ls", "--version"]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /^ls \(GNU coreutils\)/);
    const l = inChroot(out, ["/usr/bin/ls", "-ln", "/etc/passwd"]);
    assert.equal(l.status, 0, l.stderr);
  });

  await t.test("bash -c 'echo ok', from the tree and from the tar", async () => {
    const out = join(dir, "bash");
    const tar = join(dir, "bash.tar");
    const r = await bundle(["/bin/bash", "--out", out, "--tar", tar]);
    assert.equal(r.status, 0, r.out + r.err);
    assert.equal(inChroot(out, ["/bin/bash", "-c", "echo ok"]).stdout, "ok\n");
    const x = join(dir, "bash-x");
    mkdirSync(x);
    const un = spawnSync("tar", ["-xf", tar, "-C", x], { encoding: "utf8" });
    assert.equal(un.status, 0, un.stderr);
    assert.ok(lstatSync(join(x, "bin")).isSymbolicLink());
    assert.equal(inChroot(x, ["/bin/bash", "-c", "echo ok"]).stdout, "ok\n");
  });

  await t.test(
    "python3 with its standard library",
    { skip: !existsSync("/usr/lib/python3.11") && "no python3.11" },
    async () => {
      const out = join(dir, "py");
      const r = await bundle(["/usr/bin/python3", "--out", out, "--with", "/usr/lib/python3.11"]);
      assert.equal(r.status, 0, r.out + r.err);
      const c = inChroot(out, ["/usr/bin/python3", "-c", "import json; print(1)"]);
      assert.equal(c.stdout, "1\n", c.stderr);
    },
  );

  await t.test("dlopen note fixture: $ORIGIN, dlopen()ed plugin and its dependency", async () => {
    const out = join(dir, "dl");
    const prog = join(bundleFix, "dlprog");
    const r = await bundle([prog, "--out", out]);
    assert.equal(r.status, 0, r.out + r.err);
    // Without /proc mounted, glibc takes the program's $ORIGIN from LD_ORIGIN_PATH.
    const c = inChroot(out, [prog], { LD_ORIGIN_PATH: bundleFix });
    assert.equal(c.status, 42, c.stderr);
  });

  await t.test(
    "link fixture: RPATH $ORIGIN, RUNPATH of a library, glibc-hwcaps, a wrong-class library skipped",
    async () => {
      // test/fixtures/link/prog misses libonly.so on purpose; give it one where libr.so's RUNPATH looks.
      const tree = join(dir, "tree");
      for (const d of ["prog", "rp", "rp2", "wrong"])
        cpSync(join(linkFix, d), join(tree, d), { recursive: true });
      mkdirSync(join(tree, "rp", "none"));
      cpSync(join(linkFix, "rp", "libonly.so"), join(tree, "rp", "none", "libonly.so"));
      const host = spawnSync(join(tree, "prog"));
      const out = join(dir, "prog");
      const r = await bundle([join(tree, "prog"), "--out", out]);
      assert.equal(r.status, 0, r.out + r.err);
      assert.ok(!existsSync(join(out, tree, "wrong", "libwa.so")));
      const c = inChroot(out, [join(tree, "prog")], { LD_ORIGIN_PATH: tree });
      assert.equal(c.status, host.status, c.stderr);
      assert.ok(c.status === 13 || c.status === 12, `exit ${c.status}`); // 1+2+(hwcaps 4 or base 3)+6
    },
  );
});
