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
# -D: data decoded as code, .bss listed as its zeros, an instruction cut at the next label, a prefix
# cut off by the section's end, the section-start label from the section's nearest symbol.
for f in x86_64/pie x86_64/ties x86_64/libdemo.so x86_64/static-pie x86_64/debug-zlib-gnu.o x86_64/debug-zstd; do
  LC_ALL=C objdump -D "test/fixtures/$f" | tail -n +4 > "$out/${f/\//-}.D.txt"
done
LC_ALL=C objdump -d --no-show-raw-insn test/fixtures/x86_64/pie | tail -n +4 > "$out/x86_64-pie.no-raw.txt"
LC_ALL=C objdump -d --no-addresses test/fixtures/x86_64/pie | tail -n +4 > "$out/x86_64-pie.no-addresses.txt"
LC_ALL=C objdump -dw test/fixtures/x86_64/pie | tail -n +4 > "$out/x86_64-pie.wide.txt"
# Which symbol names an address (src/disasm/symbols.ts): ties.s assembled, and linked with --emit-relocs
# so that the program keeps its section symbols and relocations.
as -o test/fixtures/x86_64/ties.o test/fixtures/x86_64/ties.s
ld -o test/fixtures/x86_64/ties --emit-relocs test/fixtures/x86_64/ties.o
for f in ties ties.o; do
  LC_ALL=C objdump -d "test/fixtures/x86_64/$f" | tail -n +4 > "$out/x86_64-$f.d.txt"
  LC_ALL=C objdump -d -r "test/fixtures/x86_64/$f" | tail -n +4 > "$out/x86_64-$f.dr.txt"
done
LC_ALL=C objdump -d --no-show-raw-insn test/fixtures/x86_64/ties.o | tail -n +4 > "$out/x86_64-ties.o.no-raw.txt"
# -M suffix and {evex}: suffix.o is assembled here from its source (src/disasm/x86.ts suffixMnemonic, vexEncodable).
as -o test/fixtures/x86_64/suffix.o test/fixtures/x86_64/suffix.s
LC_ALL=C objdump -d test/fixtures/x86_64/suffix.o | tail -n +4 > "$out/x86_64-suffix.o.d.txt"
LC_ALL=C objdump -d -M suffix test/fixtures/x86_64/suffix.o | tail -n +4 > "$out/x86_64-suffix.o.suffix.txt"
LC_ALL=C objdump -d -M suffix test/fixtures/x86_64/pie | tail -n +4 > "$out/x86_64-pie.suffix.txt"
LC_ALL=C objdump -d -M suffix test/fixtures/i386/pie | tail -n +4 > "$out/i386-pie.suffix.txt"
# -M intel (src/disasm/x86-intel.ts, test/disasm-x86-intel.test.ts): intel.o is assembled here from its source.
as -o test/fixtures/x86_64/intel.o test/fixtures/x86_64/intel.s
for f in x86_64/intel.o x86_64/pie x86_64/demo.o i386/pie i386/libdemo.so i386/demo.o; do
  LC_ALL=C objdump -d -M intel "test/fixtures/$f" | tail -n +4 > "$out/${f/\//-}.intel.txt"
done
LC_ALL=C objdump -d -M intel,suffix test/fixtures/x86_64/intel.o | tail -n +4 > "$out/x86_64-intel.o.intel-suffix.txt"
LC_ALL=C objdump -d -M intel,suffix test/fixtures/i386/pie | tail -n +4 > "$out/i386-pie.intel-suffix.txt"
LC_ALL=C objdump -d -r -M intel test/fixtures/x86_64/demo.o | tail -n +4 > "$out/x86_64-demo.o.intel-dr.txt"
LC_ALL=C objdump -D -M intel test/fixtures/i386/demo.o | tail -n +4 > "$out/i386-demo.o.intel-D.txt"
LC_ALL=C objdump -d --no-show-raw-insn -M intel test/fixtures/x86_64/pie | tail -n +4 > "$out/x86_64-pie.intel-no-raw.txt"

# Encodings objdump decodes otherwise than iced (src/disasm/x86-forms.ts, test/disasm-x86-forms.test.ts):
# segment-register movs, string-instruction and branch-hint segment prefixes, x87 holes, arpl, bound.
as -o test/fixtures/x86-forms/forms64.o test/fixtures/x86-forms/forms64.s
as --32 -o test/fixtures/x86-forms/forms32.o test/fixtures/x86-forms/forms32.s
for f in forms64.o forms32.o; do
  LC_ALL=C objdump -D "test/fixtures/x86-forms/$f" | tail -n +4 > "$out/x86-forms-$f.D.txt"
  LC_ALL=C objdump -D -M intel "test/fixtures/x86-forms/$f" | tail -n +4 > "$out/x86-forms-$f.intel-D.txt"
done

# AArch64, against aarch64-linux-gnu-objdump (test/disasm-aarch64.test.ts). mapping.o and relocs.o are
# assembled here from their sources; the other fixtures come from scripts/make-fixtures.sh.
if command -v aarch64-linux-gnu-objdump >/dev/null; then
  if command -v aarch64-linux-gnu-as >/dev/null; then
    aarch64-linux-gnu-as -o test/fixtures/aarch64/mapping.o test/fixtures/aarch64/mapping.s
    aarch64-linux-gnu-as -o test/fixtures/aarch64/relocs.o test/fixtures/aarch64/relocs.s
  fi
  for f in pie nopie libdemo.so demo.o cxx.o mapping.o relocs.o; do
    LC_ALL=C aarch64-linux-gnu-objdump -d "test/fixtures/aarch64/$f" | tail -n +4 > "$out/aarch64-$f.d.txt"
  done
  for f in demo.o cxx.o relocs.o; do
    LC_ALL=C aarch64-linux-gnu-objdump -d -r "test/fixtures/aarch64/$f" | tail -n +4 > "$out/aarch64-$f.dr.txt"
  done
  LC_ALL=C aarch64-linux-gnu-objdump -d --no-show-raw-insn test/fixtures/aarch64/pie | tail -n +4 > "$out/aarch64-pie.no-raw.txt"
  LC_ALL=C aarch64-linux-gnu-objdump -d --no-addresses test/fixtures/aarch64/pie | tail -n +4 > "$out/aarch64-pie.no-addresses.txt"
  LC_ALL=C aarch64-linux-gnu-objdump -D test/fixtures/aarch64/demo.o | tail -n +4 > "$out/aarch64-demo.o.D.txt"
else
  echo "aarch64-linux-gnu-objdump not found: AArch64 golden files left as they are" >&2
fi

# ARM, RISC-V, s390x and MIPS, against the cross objdump of each (test/disasm-foreign.test.ts). The .s
# sources are assembled here; the other fixtures come from scripts/make-fixtures.sh.
foreign() { # ARCH TRIPLET FILES...
  local arch=$1 triplet=$2
  shift 2
  if ! command -v "$triplet-objdump" >/dev/null; then
    echo "$triplet-objdump not found: $arch golden files left as they are" >&2
    return
  fi
  for f in "$@"; do
    LC_ALL=C "$triplet-objdump" -d "test/fixtures/$arch/$f" | tail -n +4 > "$out/$arch-$f.d.txt"
  done
  LC_ALL=C "$triplet-objdump" -d -r "test/fixtures/$arch/demo.o" | tail -n +4 > "$out/$arch-demo.o.dr.txt"
  LC_ALL=C "$triplet-objdump" -D "test/fixtures/$arch/demo.o" | tail -n +4 > "$out/$arch-demo.o.D.txt"
  LC_ALL=C "$triplet-objdump" -d --no-show-raw-insn "test/fixtures/$arch/pie" | tail -n +4 > "$out/$arch-pie.no-raw.txt"
  LC_ALL=C "$triplet-objdump" -d --no-addresses "test/fixtures/$arch/pie" | tail -n +4 > "$out/$arch-pie.no-addresses.txt"
}
if command -v riscv64-linux-gnu-as >/dev/null; then
  riscv64-linux-gnu-as -march=rv64gc_zifencei -o test/fixtures/riscv64/forms.o test/fixtures/riscv64/forms.s
fi
foreign riscv64 riscv64-linux-gnu pie nopie libdemo.so demo.o forms.o
if command -v arm-linux-gnueabihf-as >/dev/null; then
  arm-linux-gnueabihf-as -o test/fixtures/arm/mapping.o test/fixtures/arm/mapping.s
fi
foreign arm arm-linux-gnueabihf pie nopie libdemo.so demo.o mapping.o
if command -v s390x-linux-gnu-as >/dev/null; then
  s390x-linux-gnu-as -o test/fixtures/s390x/forms.o test/fixtures/s390x/forms.s
fi
foreign s390x s390x-linux-gnu pie nopie libdemo.so demo.o forms.o
if command -v mips-linux-gnu-as >/dev/null; then
  mips-linux-gnu-as -mips32r2 -o test/fixtures/mips/forms.o test/fixtures/mips/forms.s
fi
foreign mips mips-linux-gnu pie nopie libdemo.so demo.o forms.o
