#!/usr/bin/env bash
# Installs what building, running and testing Countersign needs, by package name
# only (rustup components, crates.io, Debian, npm). Idempotent: a second run
# checks and installs nothing.
#   - the wasm32 target, rustfmt and clippy (rustup)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (crates.io)
#   - chromium and postgresql (Debian), only when missing
#   - end2end/node_modules: Playwright, axe-core, oidc-provider, binaryen's wasm-opt (npm)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "Rust toolchain parts"
installed_targets=$(rustup target list --installed)
grep -qx wasm32-unknown-unknown <<<"$installed_targets" || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

want_bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [[ "$have_bindgen" != "$want_bindgen" ]]; then
  step "wasm-bindgen-cli $want_bindgen (crates.io)"
  # Without --locked: its own lockfile pins a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want_bindgen" --force
fi

missing=()
command -v chromium >/dev/null || missing+=(chromium)
{ command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || missing+=(postgresql)
if ((${#missing[@]})); then
  step "Debian packages: ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm: reinstall only when package-lock.json changed since the last install.
if [[ ! -f end2end/node_modules/.package-lock.json ]] \
  || [[ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
  step "npm packages (end2end/)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi
