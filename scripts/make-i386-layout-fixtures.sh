#!/usr/bin/env bash
# Builds i386 programs for measuring `anatomy layout` (exec and entry stage) against gdb:
#   bash scripts/make-i386-layout-fixtures.sh [OUTDIR]        (default /tmp/anatomy-i386)
#   node scripts/compat-layout.mjs --stage entry OUTDIR/*     (after building)
#
# Compiled with i686-linux-gnu-gcc against Debian's cross libc (/usr/i686-linux-gnu/lib); at run time
# they load /lib/ld-linux.so.2 and /lib32/libc.so.6 (libc6-i386), found through /etc/ld.so.cache.
#   pie, nopie, static, static-pie  hello world in the four shapes
#   tls                             a PIE with 64-byte aligned TLS (initialised and bss)
#   libs                            a PIE needing libm, libpthread, libdl and librt
#   demo                            test/fixtures/i386/pie with libdemo.so.1 beside it ($ORIGIN run path)
#   cxx                             a C++ PIE (iostream); libstdc++ and libgcc_s have no i386 copy in
#                                   /lib32, so the cross ones are copied beside it ($ORIGIN run path)
#
#   bash scripts/make-i386-layout-fixtures.sh --capture
# instead captures, for test/layout-i386-entry.test.ts, the maps of the committed test/fixtures/i386/pie
# (libdemo.so.1 beside it is a link to libdemo.so) at AT_ENTRY under gdb (ASLR off, empty environment)
# into test/fixtures/i386/pie.entry-maps: the fixture directory written as @FIXTURES@, device and inode
# numbers zeroed (they differ per checkout), after a header naming the sizes of what the layout depends
# on (ld.so, libc, the kernel's version, /etc/ld.so.cache in pages): the test skips on a machine where they differ.
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--capture" ]; then
  fix="$root/test/fixtures/i386"
  maps=$(env -i gdb -nx -batch -ex 'set disable-randomization on' -ex 'set startup-with-shell off' \
    -ex starti \
    -ex 'python import gdb, re; e = re.search(r"AT_ENTRY\s.*?(0x[0-9a-f]+)", gdb.execute("info auxv", to_string=True)).group(1); gdb.execute("tbreak *" + e); gdb.execute("continue")' \
    -ex 'python import gdb; print("@@MAPS@@"); print(open("/proc/%d/maps" % gdb.selected_inferior().pid).read(), end=""); print("@@END@@")' \
    -ex kill "$fix/pie" 2>/dev/null | sed -n '/^@@MAPS@@$/,/^@@END@@$/p' | sed '1d;$d')
  [ -n "$maps" ] || { echo "make-i386-layout-fixtures: gdb gave no maps" >&2; exit 1; }
  {
    echo "# ld-linux.so.2 $(stat -Lc %s /lib/ld-linux.so.2)"
    echo "# libc.so.6 $(stat -Lc %s /lib32/libc.so.6)"
    echo "# kernel $(uname -r | cut -d. -f1,2)"
    echo "# ld.so.cache pages $((($(stat -Lc %s /etc/ld.so.cache) + 4095) / 4096))"
    printf '%s\n' "$maps" | sed -E "s|$fix|@FIXTURES@|; s/^(\S+ \S+ \S+) \S+ +[0-9]+/\1 00:00 0/"
  } >"$fix/pie.entry-maps"
  echo "$fix/pie.entry-maps"
  exit 0
fi
out=${1:-/tmp/anatomy-i386}
cc=i686-linux-gnu-gcc
cxx=i686-linux-gnu-g++
if ! command -v "$cc" >/dev/null; then
  echo "make-i386-layout-fixtures: $cc not installed (apt-get install gcc-i686-linux-gnu)" >&2
  exit 1
fi
mkdir -p "$out"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT

cat >"$src/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
EOF
cat >"$src/tls.c" <<'EOF'
#include <stdio.h>
__thread int counter = 3;
__thread char buffer[300] __attribute__((aligned(64)));
int main(void) { buffer[0] = (char)counter; printf("%d\n", buffer[0]); return 0; }
EOF
cat >"$src/libs.c" <<'EOF'
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
static void *work(void *arg) { return arg; }
int main(int argc, char **argv) {
  (void)argv;
  pthread_t t;
  struct timespec ts;
  pthread_create(&t, 0, work, 0);
  pthread_join(t, 0);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("%f %p\n", sqrt((double)argc), dlsym(RTLD_DEFAULT, "puts"));
  return 0;
}
EOF
cat >"$src/cxx.cc" <<'EOF'
#include <iostream>
#include <string>
int main(int argc, char **) { std::string s(argc, 'x'); std::cout << s << std::endl; return 0; }
EOF

O=(-O2)
"$cc" "${O[@]}" -fPIE -pie "$src/hello.c" -o "$out/pie"
"$cc" "${O[@]}" -fno-pie -no-pie "$src/hello.c" -o "$out/nopie"
"$cc" "${O[@]}" -static "$src/hello.c" -o "$out/static"
"$cc" "${O[@]}" -fPIE -static-pie "$src/hello.c" -o "$out/static-pie"
"$cc" "${O[@]}" -fPIE -pie "$src/tls.c" -o "$out/tls"
# --no-as-needed keeps every DT_NEEDED although glibc 2.34+ folded them into libc; the cross libc has
# only the versioned names of those stubs (no .so link), hence -l:NAME.
"$cc" "${O[@]}" -fPIE -pie "$src/libs.c" -Wl,--no-as-needed -lm -l:libpthread.so.0 -l:libdl.so.2 -l:librt.so.1 -o "$out/libs"

mkdir -p "$out/demo.d"
cp "$root/test/fixtures/i386/pie" "$out/demo.d/demo"
cp "$root/test/fixtures/i386/libdemo.so" "$out/demo.d/libdemo.so.1"
ln -sf demo.d/demo "$out/demo"

if command -v "$cxx" >/dev/null; then
  mkdir -p "$out/cxx.d"
  "$cxx" "${O[@]}" -fPIE -pie "$src/cxx.cc" -Wl,-rpath,'$ORIGIN' -o "$out/cxx.d/cxx"
  cp /usr/i686-linux-gnu/lib/libstdc++.so.6 /usr/i686-linux-gnu/lib/libgcc_s.so.1 "$out/cxx.d/"
  ln -sf cxx.d/cxx "$out/cxx"
else
  echo "make-i386-layout-fixtures: $cxx not installed: no cxx (apt-get install g++-i686-linux-gnu)" >&2
fi
echo "$out"
