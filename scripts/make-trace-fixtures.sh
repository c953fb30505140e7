#!/bin/sh
# Captures test/fixtures/trace/captured/*: real runs kept by `anatomy trace --keep` (strace's text,
# /proc/PID/maps read at each execve and exit_group, run.json), which the trace tests read without
# running anything. Needs gcc, strace and a built dist/ (npm run build). The captures hold this
# machine's pids, addresses and library builds; the tests check what holds on any run of them.
set -eu
cd "$(dirname "$0")/.."
out=test/fixtures/trace/captured
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O0 -o "$tmp/life" test/fixtures/trace/life.c
gcc -O0 -o "$tmp/crash" test/fixtures/trace/crash.c
gcc -O0 -o "$tmp/rules" test/fixtures/trace/rules.c

capture() {
  name=$1
  shift
  rm -rf "${out:?}/$name"
  mkdir -p "$out/$name"
  # A long hold: each snapshot is read while strace holds the process, on a busy machine too.
  node bin/anatomy.js trace --stacks --hold 200 --keep "$out/$name" -o /dev/null -- "$@" >/dev/null || true
}

capture life "$tmp/life" "$tmp/life.maps"
cp "$tmp/life.maps" "$out/life/self.maps"
capture crash "$tmp/crash"
capture rules "$tmp/rules" "$tmp/rules.maps"
for f in "$tmp"/rules.maps.*; do cp "$f" "$out/rules/self.maps.${f##*.}"; done
capture ls-version ls --version
capture sh-child /bin/sh -c '/bin/true; exit 3'
for d in "$out"/*/; do
  printf '%s: %s lines of strace, %s snapshots\n' "$d" "$(wc -l <"$d/strace.txt")" "$(ls "$d" | grep -c '^maps\.')"
done
