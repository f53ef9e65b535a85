#!/usr/bin/env bash
# `make sizes`: builds the release site and prints what a browser downloads
# (the WebAssembly, its JS glue and the stylesheet: raw, gzip -9 and the brotli
# copy the server sends), then what takes the WebAssembly's space (twiggy:
# the largest items, what keeps them in, generic instantiations, and a total
# per crate), and fails when the WebAssembly and its glue, gzip -9, weigh more
# than COUNTERSIGN_WASM_BUDGET_KB (default 300).
# Not part of `make test`. COUNTERSIGN_SIZES_NO_BUILD=1 measures the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

budget_kb="${COUNTERSIGN_WASM_BUDGET_KB:-300}"
[[ "$budget_kb" =~ ^[0-9]+$ ]] || { echo "COUNTERSIGN_WASM_BUDGET_KB must be a whole number of KB, not '$budget_kb'" >&2; exit 2; }

if [[ -z "${COUNTERSIGN_SIZES_NO_BUILD:-}" ]]; then
  ./scripts/build.sh --release >/dev/null
fi
name=$(cat target/site/output-name)
pkg=target/site/pkg

kb() { awk "BEGIN{printf \"%.1f\", $1/1000}"; }

step "release asset sizes ($name)"
printf '%-14s %12s %12s %12s\n' file raw gzip-9 brotli
total_gz=0
for kind in _bg.wasm .js .css; do
  f="$pkg/$name$kind"
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  br=$([[ -f "$f.br" ]] && stat -c %s "$f.br" || echo 0)
  printf '%-14s %9s KB %9s KB %9s KB\n' "${kind#_bg}" "$(kb "$raw")" "$(kb "$gz")" "$(kb "$br")"
  [[ $kind == .css ]] || total_gz=$((total_gz + gz))
done

# What takes the space, measured on the WebAssembly as rustc wrote it (it still
# has its function names; wasm-opt then shrinks it by about a third).
if ! command -v twiggy >/dev/null; then
  step "twiggy (crates.io)"
  cargo install twiggy --locked
fi
wasm=target/wasm32-unknown-unknown/wasm-release/app.wasm
step "twiggy top: the largest items of $wasm"
twiggy top -n 25 "$wasm"
step "twiggy dominators: what keeps the most in"
twiggy dominators -d 3 -r 30 "$wasm"
step "twiggy monos: generic functions instantiated most"
twiggy monos -m 5 -n 20 "$wasm"
step "size per crate (twiggy top, every item, by the first path segment of its name)"
twiggy top -n 1000000 -f csv "$wasm" | python3 scripts/wasm_by_crate.py

step "budget"
budget=$((budget_kb * 1000))
printf 'WebAssembly + JS, gzip -9: %s KB; budget %s KB (COUNTERSIGN_WASM_BUDGET_KB)\n' "$(kb "$total_gz")" "$budget_kb"
if ((total_gz > budget)); then
  printf 'OVER BUDGET by %s KB\n' "$(kb $((total_gz - budget)))" >&2
  exit 1
fi
echo "within budget"
