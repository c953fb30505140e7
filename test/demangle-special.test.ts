import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { libibertySpecialName, loadDemangler } from "../src/cli/demangle.js";

// Special names (_ZT...) as libiberty (nm -C, readelf -C, c++filt) words them.
const CASES: Array<[string, string]> = [
  ["_ZTVN10__cxxabiv117__class_type_infoE", "vtable for __cxxabiv1::__class_type_info"],
  ["_ZTTSd", "VTT for std::basic_iostream<char, std::char_traits<char> >"],
  ["_ZThn16_NK1A1gEv", "non-virtual thunk to A::g() const"],
  ["_ZTv0_n24_N1A1fEv", "virtual thunk to A::f()"],
  ["_ZTchn8_h16_N1B1fEv", "covariant return thunk to B::f()"],
  ["_ZTcv0_n12_v0_n16_N1B1fEv", "covariant return thunk to B::f()"],
  ["_ZTCN1a1BE8_NS_1CE", "construction vtable for a::C-in-a::B"],
  ["_ZTIN10__cxxabiv117__class_type_infoE", "typeinfo for __cxxabiv1::__class_type_info"],
];

test("special names are worded as libiberty words them", async () => {
  const demangle = await loadDemangler();
  for (const [mangled, want] of CASES) assert.equal(demangle(mangled), want, mangled);
});

test("the same text as c++filt for the special names", {
  skip: spawnSync("c++filt", ["--version"]).status !== 0,
}, () => {
  const r = spawnSync(
    "c++filt",
    CASES.map(([m]) => m),
    { encoding: "latin1" },
  );
  assert.deepEqual(
    r.stdout.trim().split("\n"),
    CASES.map(([, want]) => want),
  );
});

test("text that is not a special name is left alone", () => {
  assert.equal(libibertySpecialName("A::f()"), "A::f()");
  assert.equal(libibertySpecialName("{lambda()#1}::operator()"), "{lambda()#1}::operator()");
});
