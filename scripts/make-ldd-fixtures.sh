#!/usr/bin/env bash
# Builds test/fixtures/ldd/ for test/ldd-missing.test.ts: a program that needs libfound.so (found through
# its $ORIGIN RUNPATH, so before ld.so maps /etc/ld.so.cache), then libraries that exist nowhere (four
# plain names, one absolute path), then libc; libfound.so needs a missing library before libm. ldd
# (ld.so in trace mode) fakes a link_map for each missing one and still maps, and prints, the others;
# the fakes' allocations move them.
#   bash scripts/make-ldd-fixtures.sh
set -euo pipefail
export LC_ALL=C SOURCE_DATE_EPOCH=0
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/ldd"
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
CC=(gcc -Os -fPIC -ffile-prefix-map="$work"=. -Wl,-z,noseparate-code)
echo 'int stub(void){return 0;}' > stub.c
# Stand-ins that give the program its DT_NEEDED names; they are not shipped.
needed=()
for i in 1 2 3 4; do
  "${CC[@]}" -shared -o "libanatomy-missing-$i.so" stub.c -Wl,-soname,"libanatomy-missing-$i.so"
  needed+=("./libanatomy-missing-$i.so")
done
"${CC[@]}" -shared -o libslash.so stub.c -Wl,-soname,/nonexistent/libanatomy-missing.so
"${CC[@]}" -shared -o libanatomy-gone.so stub.c -Wl,-soname,libanatomy-gone.so
echo 'double cos(double); int stub(void); double found(double x){return cos(x)+stub();}' > found.c
"${CC[@]}" -shared -o "$out/libfound.so" found.c -Wl,-soname,libfound.so -Wl,--no-as-needed ./libanatomy-gone.so -lm
echo 'double found(double); int main(void){return (int)found(0);}' > prog.c
"${CC[@]}" -o "$out/prog" prog.c -Wl,--no-as-needed "$out/libfound.so" "${needed[@]}" ./libslash.so -Wl,-rpath-link,. \
  -Wl,--enable-new-dtags,-rpath,'$ORIGIN'
strip "$out/prog" "$out/libfound.so"
ls -la "$out"
