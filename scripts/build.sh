#!/usr/bin/env bash
# Builds the site and the server without cargo-leptos:
#   1. app → WebAssembly (feature hydrate), 2. wasm-bindgen → target/site/pkg,
#   3. (release) wasm-opt -Oz, 4. stylesheet with tailwind-rs, 5. public/ assets,
#   6. the server binary (feature ssr).
# Usage: scripts/build.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

release=false
[[ "${1:-}" == "--release" ]] && release=true

site=target/site
mkdir -p "$site/pkg"

if $release; then
  wasm_profile=wasm-release; server_flags=(--release)
else
  wasm_profile=dev; server_flags=()
fi
wasm_dir=$([[ $wasm_profile == dev ]] && echo debug || echo "$wasm_profile")

step "WebAssembly ($wasm_profile)"
cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features \
  --features hydrate --profile "$wasm_profile"

step "wasm-bindgen"
wasm-bindgen "target/wasm32-unknown-unknown/$wasm_dir/app.wasm" \
  --target web --no-typescript --out-dir "$site/pkg" --out-name countersign

if $release; then
  step "wasm-opt -Oz"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$site/pkg/countersign_bg.wasm" -o "$site/pkg/countersign_bg.wasm.opt"
  mv "$site/pkg/countersign_bg.wasm.opt" "$site/pkg/countersign_bg.wasm"
fi

step "stylesheet (tailwind-rs)"
cargo run -q -p countersign-style "${server_flags[@]}" -- app/src style/base.css "$site/pkg/countersign.css"

cp -r public/. "$site/"

step "server"
cargo build -p countersign "${server_flags[@]}"
