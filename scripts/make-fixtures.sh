#!/usr/bin/env bash
# Builds the committed test fixtures in test/fixtures/ from the sources in test/fixtures/src/.
#
# Per architecture (x86_64 i386 aarch64 arm riscv64 s390x mips): demo.o (relocatable, -fPIC),
# libdemo.so (versioned symbols via demo.map, TLS, weak), pie and nopie (programs using libdemo).
# x86_64 also gets: cxx.o (mangled C++ names), static-pie (libc-free), relr (-z pack-relative-relocs),
# libsysv.so (--hash-style=sysv, stripped), debug-zlib (-g -gz=zlib), debug-zstd (objcopy
# --compress-debug-sections=zstd: gcc 12 has no -gz=zstd), debug-zlib-gnu.o (legacy .zdebug_*),
# noshdrs (the pie with its section header table removed by src/strip-shdrs.py), libdemo.a (ar
# archive, one member name longer than 15 characters) and core (a gdb `gcore` of src/start.c stopped
# by SIGSTOP). aarch64 also gets cxx.o.
#
# Reproducible: compiled from inside src/ with relative names and -ffile-prefix-map, so no build path
# reaches the output; ar runs in deterministic mode (D). The core file is the exception (it holds a
# live stack and the kernel's vdso), so it is only rebuilt when missing or with `--core`:
#   bash scripts/make-fixtures.sh [--core]
# After rebuilding, regenerate the golden outputs: bash scripts/make-golden.sh
set -euo pipefail
export LC_ALL=C SOURCE_DATE_EPOCH=0 ZERO_AR_DATE=1

root=$(cd "$(dirname "$0")/.." && pwd)
fix="$root/test/fixtures"
cd "$fix/src"

rebuild_core=0
[ "${1:-}" = "--core" ] && rebuild_core=1

CFLAGS=(-Os -ffile-prefix-map="$fix/src"=.)

# arch directory, compiler, C++ compiler (or -)
ARCHES=(
  "x86_64 gcc g++"
  "i386 i686-linux-gnu-gcc -"
  "aarch64 aarch64-linux-gnu-gcc aarch64-linux-gnu-g++"
  "arm arm-linux-gnueabihf-gcc -"
  "riscv64 riscv64-linux-gnu-gcc -"
  "s390x s390x-linux-gnu-gcc -"
  "mips mips-linux-gnu-gcc -"
)

for spec in "${ARCHES[@]}"; do
  read -r arch cc cxx <<<"$spec"
  if ! command -v "$cc" >/dev/null; then
    echo "skip $arch: $cc not installed" >&2
    continue
  fi
  out="../$arch"
  mkdir -p "$out"
  "$cc" "${CFLAGS[@]}" -fPIC -c demo.c -o "$out/demo.o"
  "$cc" "${CFLAGS[@]}" -fPIC -shared -Wl,--version-script=demo.map -Wl,-soname,libdemo.so.1 \
    demo.c -o "$out/libdemo.so"
  "$cc" "${CFLAGS[@]}" -fPIE -pie prog.c -L"$out" -ldemo -Wl,-rpath,'$ORIGIN' -o "$out/pie"
  "$cc" "${CFLAGS[@]}" -fno-pie -no-pie prog.c -L"$out" -ldemo -Wl,-rpath,'$ORIGIN' -o "$out/nopie"
  if [ "$cxx" != "-" ] && command -v "$cxx" >/dev/null; then
    "$cxx" "${CFLAGS[@]}" -fPIC -c cxx.cc -o "$out/cxx.o"
  fi
done

x=../x86_64
# Static PIE without libc: a self-contained ET_DYN with R_X86_64_RELATIVE relocations and no PT_INTERP.
gcc "${CFLAGS[@]}" -fPIE -static-pie -nostdlib start.c -o "$x/static-pie"
# Packed relative relocations (DT_RELR), binutils >= 2.38.
gcc "${CFLAGS[@]}" -fPIE -pie -Wl,-z,pack-relative-relocs prog.c -L"$x" -ldemo -Wl,-rpath,'$ORIGIN' \
  -o "$x/relr"
# Only a SysV .hash (no .gnu.hash), and no .symtab: nm falls back to "no symbols".
gcc "${CFLAGS[@]}" -fPIC -shared -s -Wl,--hash-style=sysv -Wl,--version-script=demo.map \
  -Wl,-soname,libsysv.so demo.c -o "$x/libsysv.so"
# Compressed debug sections: SHF_COMPRESSED with zlib, with zstd (via objcopy), legacy .zdebug_*.
gcc "${CFLAGS[@]}" -g -gz=zlib -fPIE -pie prog.c -L"$x" -ldemo -Wl,-rpath,'$ORIGIN' -o "$x/debug-zlib"
objcopy --decompress-debug-sections "$x/debug-zlib" "$x/.tmp-debug"
objcopy --compress-debug-sections=zstd "$x/.tmp-debug" "$x/debug-zstd"
rm -f "$x/.tmp-debug"
gcc "${CFLAGS[@]}" -g -gz=zlib-gnu -c demo.c -o "$x/debug-zlib-gnu.o"
# No section header table (e_shoff = e_shnum = e_shstrndx = 0, file cut after the last segment).
python3 strip-shdrs.py "$x/pie" "$x/noshdrs"
# An archive: several members, one with a long name (GNU // table), with a symbol index.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc "${CFLAGS[@]}" -c member.c -o "$tmp/a_member_with_a_long_name.o"
gcc "${CFLAGS[@]}" -c prog.c -o "$tmp/prog.o"
cp "$x/demo.o" "$x/cxx.o" "$tmp/"
rm -f "$x/libdemo.a"
(cd "$tmp" && ar rcsD "$fix/x86_64/libdemo.a" demo.o prog.o a_member_with_a_long_name.o cxx.o)

# Core file: gdb runs the libc-free program until it stops itself, then writes a core with `gcore`.
# The program lives in a fixed directory because the core's NT_FILE note names its path.
if [ ! -f "$x/core" ] || [ "$rebuild_core" = 1 ]; then
  if command -v gdb >/dev/null; then
    cdir=/tmp/anatomy-core
    rm -rf "$cdir" && mkdir -p "$cdir"
    gcc "${CFLAGS[@]}" -DSTOP_SELF -fno-pie -no-pie -static -nostdlib start.c -o "$cdir/stopper"
    (cd "$cdir" && gdb -batch -nx -ex run -ex "gcore $cdir/core" ./stopper >/dev/null 2>&1) || true
    if [ -f "$cdir/core" ]; then
      cp "$cdir/core" "$x/core"
    else
      echo "warning: gdb could not write a core file (ptrace not permitted?); core not rebuilt" >&2
    fi
    rm -rf "$cdir"
  else
    echo "warning: gdb not installed; core not rebuilt" >&2
  fi
fi

chmod -x "$fix"/*/*.o "$fix"/*/*.so "$fix"/*/*.a 2>/dev/null || true
du -sh "$fix" | sed 's/^/fixtures total: /'
