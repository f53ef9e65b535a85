#!/usr/bin/env bash
# `make run`: the demo. Installs what is missing, builds, starts the local OIDC
# provider on 127.0.0.1:3001 and Countersign on http://127.0.0.1:3000 over a SQLite
# file (.demo/countersign.db), with a local SMTP sink on 127.0.0.1:2525 that prints
# every mail in this terminal. Ctrl-C stops them all. It serves the release
# build (optimised WebAssembly, hashed and precompressed assets): the first run
# builds it (several minutes), later runs only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

./scripts/setup.sh
./scripts/build.sh --release

mkdir -p .demo
idp_log=.demo/idp.log
step "local OIDC provider"
IDP_PORT=3001 IDP_SIGNING_KEYS=.demo/idp-signing-key.pem \
  node end2end/idp/server.js >"$idp_log" 2>&1 &
idp_pid=$!
trap 'kill $idp_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^READY ' "$idp_log" 2>/dev/null && break
  kill -0 $idp_pid 2>/dev/null || { cat "$idp_log"; exit 1; }
  sleep 0.1
done
echo "provider: $(grep '^READY ' "$idp_log" | cut -d' ' -f2)  (users alice, bob, carol, dave, erin; password countersign-demo)"

step "local mail sink (aiosmtpd) on 127.0.0.1:2525: every mail Countersign sends is printed here"
venv="${COUNTERSIGN_VENV:-$HOME/.cache/countersign/venv}"
"$venv/bin/python" scripts/smtp_sink.py --port 2525 &
sink_pid=$!
trap 'kill $idp_pid $sink_pid 2>/dev/null || true' EXIT

step "Countersign"
export COUNTERSIGN_SMTP_URL="${COUNTERSIGN_SMTP_URL:-smtp://127.0.0.1:2525?tls=none}"
export COUNTERSIGN_SMTP_FROM="${COUNTERSIGN_SMTP_FROM:-Countersign demo <countersign@example.com>}"
export DATABASE_URL="${DATABASE_URL:-sqlite:.demo/countersign.db}"
export OIDC_ISSUER_URL="${OIDC_ISSUER_URL:-http://127.0.0.1:3001}"
export OIDC_CLIENT_ID="${OIDC_CLIENT_ID:-countersign}"
export OIDC_CLIENT_SECRET="${OIDC_CLIENT_SECRET:-countersign-demo-secret}"
./target/release/countersign migrate
./target/release/countersign demo-seed --issuer "$OIDC_ISSUER_URL"
echo "Sign in as alice (requester), bob or dave (approvers), carol (admin) or erin (auditor); password countersign-demo."
./target/release/countersign serve
