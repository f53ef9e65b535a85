#!/usr/bin/env bash
# Builds the release site and prints what a browser downloads: the WebAssembly,
# the JS glue and the stylesheet, raw and gzip-compressed (gzip -9).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

./scripts/build.sh --release >/dev/null
step "release asset sizes"
printf '%-28s %12s %12s\n' file raw gzip
for f in target/site/pkg/countersign_bg.wasm target/site/pkg/countersign.js target/site/pkg/countersign.css; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  printf '%-28s %9.1f KB %9.1f KB\n' "$(basename "$f")" "$(awk "BEGIN{print $raw/1000}")" "$(awk "BEGIN{print $gz/1000}")"
done
