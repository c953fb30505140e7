import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { nodeLinkFs } from "../src/cli/link-fs.js";
import { cacheLibcmp, LinkSession, parseLdCache } from "../src/link/index.js";

const fix = join(dirname(fileURLToPath(import.meta.url)), "fixtures/link");
const have = existsSync(join(fix, "prog"));
const opts = { skip: have ? false : "run scripts/make-link-fixtures.sh first" };

function link(file: string, extra: { env?: Record<string, string>; x86Level?: number; root?: string } = {}) {
  const s = new LinkSession({
    fs: nodeLinkFs(extra.root),
    env: extra.env ?? {},
    mode: "ldd",
    x86Level: extra.x86Level ?? 2,
  });
  return s.link(file);
}
const byName = (g: ReturnType<typeof link>, n: string) => g.objects.find((o) => o.name === n);

test(
  "RUNPATH stops RPATH inheritance; RPATH of the executable reaches a library without RUNPATH",
  opts,
  () => {
    const g = link(join(fix, "prog"));
    assert.equal(byName(g, "libonly.so")?.kind, "missing");
    assert.equal(byName(g, "libinherit.so")?.via, "rpath");
    assert.ok(byName(g, "libinherit.so")?.path.endsWith("/rp/libinherit.so"));
    assert.equal(byName(g, "libr.so")?.path, `${fix}/rp/libr.so`); // $ORIGIN expanded, unnormalised
  },
);

test("glibc-hwcaps/x86-64-v2 is preferred when the CPU level allows it", opts, () => {
  assert.ok(
    byName(link(join(fix, "prog"), { x86Level: 2 }), "libhw.so")?.path.endsWith(
      "/glibc-hwcaps/x86-64-v2/libhw.so",
    ),
  );
  assert.ok(byName(link(join(fix, "prog"), { x86Level: 1 }), "libhw.so")?.path.endsWith("/rp/libhw.so"));
});

test("a wrong-machine library earlier on the path is skipped", opts, () => {
  const wa = byName(link(join(fix, "prog")), "libwa.so")!;
  assert.ok(wa.path.endsWith("/rp2/libwa.so"));
  assert.ok(wa.tried.some((t) => t.path.endsWith("/wrong/libwa.so") && t.result.startsWith("wrong machine")));
});

test("an object preloaded by path is reused for its SONAME", opts, () => {
  const pre = join(fix, "rp2/libsoname-file.so");
  const g = link(join(fix, "sprog"), { env: { LD_PRELOAD: pre } });
  assert.deepEqual(
    g.objects.map((o) => o.name),
    [join(fix, "sprog"), "linux-vdso.so.1", pre, "libc.so.6", "/lib64/ld-linux-x86-64.so.2"],
  );
  assert.equal(link(join(fix, "sprog")).objects.find((o) => o.name === "libs.so.1")?.kind, "missing");
});

test("--root uses the tree's own ld.so.cache", opts, () => {
  const g = link("/usr/bin/app", { root: join(fix, "root") });
  const opt = byName(g, "libopt.so.1")!;
  assert.equal(opt.via, "ld.so.cache");
  assert.equal(opt.path, "/opt/lib/libopt.so.1");
  const cache = parseLdCache(nodeLinkFs(join(fix, "root")).readFile("/etc/ld.so.cache")!);
  assert.equal(cache.format, "new");
  assert.ok(cache.entries.some((e) => e.key === "libopt.so.1" && e.flags === 0x303));
});

test("cacheLibcmp compares digit runs numerically", () => {
  assert.ok(cacheLibcmp("libfoo.so.10", "libfoo.so.9") > 0);
  assert.equal(cacheLibcmp("libfoo.so.01", "libfoo.so.1"), 0);
  assert.ok(cacheLibcmp("liba.so", "libb.so") < 0);
});

test("deps and ldd never run the program or its interpreter", opts, async () => {
  const interp = "/tmp/anatomy-link-test-interp";
  const marker = "/tmp/anatomy-link-test-marker";
  rmSync(marker, { force: true });
  writeFileSync(interp, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  try {
    const out = { write() {} };
    const io = {
      stdout: out,
      stderr: out,
      env: {},
      isTTY: false,
      openFile: () => {
        throw new Error("unused");
      },
    };
    const deps = await import("../src/cli/deps.js");
    const ldd = await import("../src/cli/ldd.js");
    await deps.run([join(fix, "marker-prog")], io);
    await ldd.run([join(fix, "marker-prog")], io);
    const g = link(join(fix, "marker-prog"));
    assert.equal(g.interpreter, interp);
    assert.equal(existsSync(marker), false);
  } finally {
    rmSync(interp, { force: true });
  }
});
