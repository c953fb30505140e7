#!/usr/bin/env bash
# Builds test/fixtures/bind/ for test/bind.test.ts: a small versioned library (two versions of one
# symbol, a protected one, a copy-relocated object), an older build of it that lacks a version and a
# symbol, and programs using them; then records what glibc's ld.so binds, with the process ids
# removed, as *.golden (ld.so only lists and relocates here: the programs never run).
#   bash scripts/make-bind-fixtures.sh
set -euo pipefail
export LC_ALL=C SOURCE_DATE_EPOCH=0
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/bind"
rm -rf "$out" && mkdir -p "$out/new" "$out/old"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
CC=(gcc -Os -ffile-prefix-map="$work"=.)
cat > v.map <<'M'
V1 { global: foo; };
V2 { global: foo; bar; shared_data; prot; gone; } V1;
M
cat > v.c <<'C'
int foo_v1(void) { return 1; }
int foo_v2(void) { return 2; }
__asm__(".symver foo_v1, foo@V1");
__asm__(".symver foo_v2, foo@@V2");
int bar(void) { return 3; }
int shared_data[4] = { 1, 2, 3, 4 };
__attribute__((visibility("protected"))) int prot(void) { return 5; }
int gone(void) { return 6; }
int (*self_ref)(void) = prot;
C
"${CC[@]}" -fPIC -shared -o "$out/new/libv.so" v.c -Wl,-soname,libv.so,--version-script=v.map
cat > old.map <<'M'
V1 { global: foo; bar; shared_data; prot; };
M
cat > old.c <<'C'
int foo(void) { return 1; }
int bar(void) { return 3; }
int shared_data[4] = { 1, 2, 3, 4 };
int prot(void) { return 5; }
C
"${CC[@]}" -fPIC -shared -o "$out/old/libv.so" old.c -Wl,-soname,libv.so,--version-script=old.map
cat > prog.c <<'C'
extern int foo(void), bar(void), gone(void), prot(void);
extern int shared_data[4];
extern int maybe(void) __attribute__((weak));
int main(void) { return foo() + bar() + gone() + prot() + shared_data[1] + (maybe ? maybe() : 0); }
C
# Non-PIE so shared_data gets a copy relocation.
"${CC[@]}" -fno-pie -no-pie -o "$out/prog" prog.c -L"$out/new" -lv
strip "$out/prog" "$out/new/libv.so" "$out/old/libv.so"
golden() { # golden NAME LIBDIR
  env -i LD_LIBRARY_PATH="$2" LD_DEBUG=bindings LD_TRACE_LOADED_OBJECTS=1 LD_WARN=yes LD_BIND_NOW=yes \
    /lib64/ld-linux-x86-64.so.2 "$out/prog" 2> "$work/err" > /dev/null || true
  sed -e 's/^ *[0-9]*:\t/0:\t/' -e "s#$out#FIX#g" "$work/err" > "$out/$1.golden"
}
golden new "$out/new"
golden old "$out/old"
ls -la "$out"
