import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

// Streams and strings as nm prints them (libiberty without DMGL_VERBOSE; c++filt is verbose): checked
// against `nm -C` on an object defining these names.
const STANDARD: Array<[string, string]> = [
  ["_ZNSi5ungetEv", "std::istream::unget()"],
  ["_ZNSirsERi", "std::istream::operator>>(int&)"],
  [
    "_ZNSi3getERSt15basic_streambufIcSt11char_traitsIcEE",
    "std::istream::get(std::basic_streambuf<char, std::char_traits<char> >&)",
  ],
  ["_ZNSiC1Ev", "std::basic_istream<char, std::char_traits<char> >::basic_istream()"],
  ["_ZNSdD1Ev", "std::basic_iostream<char, std::char_traits<char> >::~basic_iostream()"],
  ["_ZNSoC1Ev", "std::basic_ostream<char, std::char_traits<char> >::basic_ostream()"],
  ["_ZNSoD0Ev", "std::basic_ostream<char, std::char_traits<char> >::~basic_ostream()"],
  ["_ZNSsD1Ev", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::~basic_string()"],
  ["_ZNSs4swapERSs", "std::string::swap(std::string&)"],
  // Spelled out (13basic_istream): full, as libiberty prints it.
  [
    "_ZNSt13basic_istreamIcSt11char_traitsIcEE5ungetEv",
    "std::basic_istream<char, std::char_traits<char> >::unget()",
  ],
];

test("std::istream, std::ostream, std::string as nm words them", async () => {
  const demangle = await loadDemangler();
  for (const [mangled, want] of STANDARD) assert.equal(demangle(mangled), want, mangled);
});

test("the same text as nm -C for the stream and string names", {
  skip: spawnSync("gcc", ["--version"]).status !== 0,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "anatomy-demangle-"));
  try {
    writeFileSync(join(dir, "t.c"), STANDARD.map(([m]) => `void ${m}(void) {}\n`).join(""));
    assert.equal(spawnSync("gcc", ["-c", "-o", join(dir, "t.o"), join(dir, "t.c")]).status, 0);
    const r = spawnSync("nm", ["-C", "-p", join(dir, "t.o")], { encoding: "latin1", env: { LC_ALL: "C" } });
    const names = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.replace(/^[0-9a-f]+ T /, ""));
    assert.deepEqual(
      names,
      STANDARD.map(([, want]) => want),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("text that is not a special name is left alone", () => {
  assert.equal(libibertySpecialName("A::f()"), "A::f()");
  assert.equal(libibertySpecialName("{lambda()#1}::operator()"), "{lambda()#1}::operator()");
});
