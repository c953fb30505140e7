#!/usr/bin/env bash
# Builds test/fixtures/link/ for test/link.test.ts: small stripped C libraries and programs that exercise
# glibc's library search (RPATH vs RUNPATH inheritance, $ORIGIN, glibc-hwcaps, a wrong-arch library
# earlier on the path, reuse by SONAME), a --root tree with its own ld.so.cache built by ldconfig, and a
# program whose PT_INTERP is a marker script (no command may ever run it).
#   bash scripts/make-link-fixtures.sh
set -euo pipefail
export LC_ALL=C SOURCE_DATE_EPOCH=0
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/link"
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
CC=(gcc -Os -fPIC -ffile-prefix-map="$work"=.)
lib() { # lib OUT SONAME SRC [LDFLAGS...]
  local o=$1 so=$2 src=$3; shift 3
  echo "$src" > "$(basename "$o").c"
  "${CC[@]}" -shared -o "$o" "$(basename "$o").c" -Wl,-soname,"$so" "$@"
  strip "$o"
}
mkdir -p "$out/rp/glibc-hwcaps/x86-64-v2" "$out/rp2" "$out/wrong"
# Reached only through the executable's RPATH.
lib "$out/rp/libonly.so" libonly.so 'int only(void){return 1;}'
lib "$out/rp/libinherit.so" libinherit.so 'int inherit(void){return 2;}'
# libr has a RUNPATH: the executable's RPATH is not inherited, so libonly.so is not found.
lib "$out/rp/libr.so" libr.so 'int only(void); int r(void){return only();}' -L"$out/rp" -lonly -Wl,--enable-new-dtags,-rpath,'$ORIGIN/none'
# libq has no RUNPATH: the executable's RPATH applies, libinherit.so is found there.
lib "$out/rp/libq.so" libq.so 'int inherit(void); int q(void){return inherit();}' -L"$out/rp" -linherit
# The same library plain and in glibc-hwcaps/x86-64-v2.
lib "$out/rp/libhw.so" libhw.so 'int hw(void){return 3;}'
lib "$out/rp/glibc-hwcaps/x86-64-v2/libhw.so" libhw.so 'int hw(void){return 4;}'
# An aarch64 libwa.so first on the path, the x86-64 one after it.
echo 'int wa(void){return 5;}' > wa.c
aarch64-linux-gnu-gcc -Os -fPIC -shared -o "$out/wrong/libwa.so" wa.c -Wl,-soname,libwa.so && aarch64-linux-gnu-strip "$out/wrong/libwa.so"
lib "$out/rp2/libwa.so" libwa.so 'int wa(void){return 6;}'
# Preloaded by path, then needed by SONAME.
lib "$out/rp2/libsoname-file.so" libs.so.1 'int s(void){return 7;}'
cp "$out/rp2/libsoname-file.so" libs.so.1
echo 'int r(void); int q(void); int hw(void); int wa(void); int main(void){return r()+q()+hw()+wa();}' > prog.c
"${CC[@]}" -o "$out/prog" prog.c -L"$out/rp" -L"$out/rp2" -lr -lq -lhw -Wl,--no-as-needed "$out/rp2/libwa.so" \
  -Wl,--disable-new-dtags,-rpath,'$ORIGIN/rp:$ORIGIN/wrong:$ORIGIN/rp2' -Wl,--allow-shlib-undefined
echo 'int s(void); int main(void){return s();}' > sprog.c
"${CC[@]}" -o "$out/sprog" sprog.c -L. -l:libs.so.1
strip "$out/prog" "$out/sprog"
# A --root tree: /opt/lib is known only to its own ld.so.conf and cache.
mkdir -p "$out/root/etc/ld.so.conf.d" "$out/root/opt/lib" "$out/root/usr/bin"
printf 'include /etc/ld.so.conf.d/*.conf\n' > "$out/root/etc/ld.so.conf"
printf '# comment\n/opt/lib\nhwcap 0 nosegneg\n' > "$out/root/etc/ld.so.conf.d/opt.conf"
lib "$out/root/opt/lib/libopt.so.1" libopt.so.1 'int opt(void){return 8;}'
echo 'int opt(void); int main(void){return opt();}' > app.c
"${CC[@]}" -o "$out/root/usr/bin/app" app.c "$out/root/opt/lib/libopt.so.1" && strip "$out/root/usr/bin/app"
ldconfig -X -r "$out/root" -f /etc/ld.so.conf -C /etc/ld.so.cache
# PT_INTERP is a script that leaves a marker when run: the test installs it, runs deps and ldd,
# and checks the marker is absent.
"${CC[@]}" -o "$out/marker-prog" prog.c -Wl,--dynamic-linker=/tmp/anatomy-link-test-interp -Wl,--unresolved-symbols=ignore-all
strip "$out/marker-prog"
ls -la "$out" "$out/root/etc"
