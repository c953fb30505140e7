#!/usr/bin/env bash
# Regenerates test/golden/ from the GNU binutils installed here (readelf, nm, size and objdump 2.40, LC_ALL=C)
# over every fixture in test/fixtures/ and every option of scripts/lib/matrix.mjs.
# Run after scripts/make-fixtures.sh; commit the fixtures and the golden files together.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in readelf nm size objdump; do
  "$tool" --version | head -1 | grep -q ' 2\.40' || echo "warning: $tool is not binutils 2.40" >&2
done
exec node scripts/lib/make-golden.mjs
