#!/usr/bin/env bash
# Builds test/fixtures/bundle/ for test/bundle.test.ts: a program that finds its libraries through
# RUNPATH $ORIGIN/lib, one of which carries an FDO .note.dlopen (type 0x407c0c0a) naming a plugin it
# dlopen()s at run time; the plugin has its own dependency, and is installed as libplugin.so.1.0.0 with a
# SONAME symlink. `dlprog` exits with 42 when everything was found.
#   bash scripts/make-bundle-fixtures.sh
set -euo pipefail
export LC_ALL=C SOURCE_DATE_EPOCH=0
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/bundle"
rm -rf "$out" && mkdir -p "$out/lib"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
CC=(gcc -Os -fPIC -ffile-prefix-map="$work"=.)

echo 'int plugdep(void){return 2;}' > plugdep.c
"${CC[@]}" -shared -o "$out/lib/libplugdep.so" plugdep.c -Wl,-soname,libplugdep.so

echo 'int plugdep(void); int plugin_value(void){return plugdep()+40;}' > plugin.c
"${CC[@]}" -shared -o "$out/lib/libplugin.so.1.0.0" plugin.c -Wl,-soname,libplugin.so.1 \
  -L"$out/lib" -lplugdep -Wl,--enable-new-dtags,-rpath,'$ORIGIN'
ln -s libplugin.so.1.0.0 "$out/lib/libplugin.so.1"

# The note as systemd's ELF_NOTE_DLOPEN macro lays it out: owner "FDO", a JSON array descriptor.
json='[{"feature":"plugin","description":"Demo plugin","priority":"recommended","soname":["libplugin-missing.so.9","libplugin.so.1"]}]'
cat > host.c <<EOF
#include <dlfcn.h>
#define JSON "$(printf '%s' "$json" | sed 's/"/\\"/g')"
__attribute__((used, section(".note.dlopen"), aligned(4))) static const struct {
  unsigned namesz, descsz, type; char name[4]; char desc[(sizeof(JSON) + 3) & ~3];
} note = {4, sizeof(JSON), 0x407c0c0a, "FDO", JSON};
int host_run(void) {
  void *h = dlopen("libplugin.so.1", RTLD_NOW);
  if (!h) return 1;
  int (*f)(void) = (int (*)(void))dlsym(h, "plugin_value");
  return f ? f() : 2;
}
EOF
"${CC[@]}" -shared -o "$out/lib/libhost.so" host.c -Wl,-soname,libhost.so -Wl,--enable-new-dtags,-rpath,'$ORIGIN'

echo 'int host_run(void); int main(void){return host_run();}' > dlprog.c
"${CC[@]}" -o "$out/dlprog" dlprog.c -L"$out/lib" -lhost -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'
strip "$out/dlprog" "$out"/lib/*.so "$out/lib/libplugin.so.1.0.0"
