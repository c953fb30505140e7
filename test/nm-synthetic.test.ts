// nm --synthetic: bfd's name@plt symbols, one per PLT stub, from the relocation on the GOT slot each
// jumps through. Expected lines recorded from GNU nm 2.40 on the fixtures.
import assert from "node:assert/strict";
import { test } from "node:test";
import { run } from "../src/cli/nm.js";
import { runCli } from "./helpers/run-cli.js";

const plt = async (args: string[]) =>
  (await runCli(run, args, { LC_ALL: "C" })).out.split("\n").filter((l) => l.endsWith("@plt"));

test("x86-64 PIE: the @plt symbols, W where the called symbol is weak, sorted with the rest", async () => {
  assert.deepEqual(await plt(["--synthetic", "test/fixtures/x86_64/pie"]), [
    "0000000000001078 W __cxa_finalize@plt",
    "0000000000001060 T demo_add@plt",
    "0000000000001050 T demo_count@plt",
    "0000000000001030 T demo_hook@plt",
    "0000000000001070 W optional_plugin_init@plt",
    "0000000000001040 T printf@plt",
  ]);
});

test("i386 PIE with -D: the .plt stubs through %ebx and the .plt.got ones", async () => {
  assert.deepEqual(await plt(["--synthetic", "-D", "test/fixtures/i386/pie"]), [
    "00001080 W __cxa_finalize@plt",
    "00001030 T __libc_start_main@plt",
    "00001070 T demo_add@plt",
    "00001060 T demo_count@plt",
    "00001040 T demo_hook@plt",
    "00001088 W optional_plugin_init@plt",
    "00001050 T printf@plt",
  ]);
});

test("without --synthetic there are none", async () => {
  assert.deepEqual(await plt(["test/fixtures/x86_64/pie"]), []);
});
