#!/usr/bin/env bash
# Builds the site and the server without cargo-leptos:
#   1. app → WebAssembly (feature hydrate), 2. wasm-bindgen,
#   3. (release) wasm-opt -Oz, 4. stylesheet with tailwind-rs,
#   5. hashed names: target/site/pkg/countersign.<hash>{.js,_bg.wasm,.css}, the
#      name in target/site/output-name (the server links to it, src/assets.rs),
#      each with its compressed copies (.br and .gz; gzip -1 only in debug),
#   6. public/ assets, 7. the server binary (feature ssr).
# Usage: scripts/build.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

release=false
[[ "${1:-}" == "--release" ]] && release=true

site=target/site
# This build's files before they get their hashed names.
stage=target/site-stage
rm -rf "$stage"
mkdir -p "$stage"

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
  --target web --no-typescript --out-dir "$stage" --out-name countersign

if $release; then
  step "wasm-opt -Oz"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$stage/countersign_bg.wasm" -o "$stage/countersign_bg.wasm.opt"
  mv "$stage/countersign_bg.wasm.opt" "$stage/countersign_bg.wasm"
fi

step "stylesheet (tailwind-rs)"
cargo run -q -p countersign-style "${server_flags[@]}" -- app/src style/base.css "$stage/countersign.css"

step "hashed names and compressed copies"
# One hash for the three: the glue and the WebAssembly only work as a pair.
hash=$(cat "$stage/countersign.js" "$stage/countersign_bg.wasm" "$stage/countersign.css" \
  | sha256sum | cut -c1-16)
name="countersign.$hash"
rm -rf "$site/pkg"
mkdir -p "$site/pkg"
mv "$stage/countersign.js" "$site/pkg/$name.js"
mv "$stage/countersign_bg.wasm" "$site/pkg/${name}_bg.wasm"
mv "$stage/countersign.css" "$site/pkg/$name.css"
if [[ -d "$stage/snippets" ]]; then mv "$stage/snippets" "$site/pkg/snippets"; fi
rm -rf "$stage"
assets=("$site/pkg/$name.js" "$site/pkg/${name}_bg.wasm" "$site/pkg/$name.css")
if $release; then
  gzip -9 -k -f "${assets[@]}"
  # brotli at its best quality, with Node's zlib (no extra package).
  node -e '
    const fs = require("fs"), zlib = require("zlib");
    for (const file of process.argv.slice(1)) {
      const raw = fs.readFileSync(file);
      fs.writeFileSync(file + ".br", zlib.brotliCompressSync(raw, { params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
    }' "${assets[@]}"
else
  # Debug: quick, but a 35 MB WebAssembly is not compressed on every load.
  gzip -1 -k -f "${assets[@]}"
fi
printf '%s\n' "$name" >"$site/output-name"
echo "$name"

cp -r public/. "$site/"

step "server"
cargo build -p countersign "${server_flags[@]}"
