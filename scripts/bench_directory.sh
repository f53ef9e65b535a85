#!/usr/bin/env bash
# An identity provider's initial SCIM push into a release server, timed: 10,000
# people (with the enterprise extension and managers) and 1,000 groups of about
# 30 members, one request at a time as Okta and Entra ID send them. Runs on a
# scratch SQLite database, and on a scratch PostgreSQL started here (on a
# loopback port in a temp dir, stopped afterwards) unless BENCH_SKIP_POSTGRES=1.
# Usage: scripts/bench_directory.sh [people] [groups]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/postgres.sh

people="${1:-10000}"
groups="${2:-1000}"
cargo build -q --release -p countersign
bin=./target/release/countersign
dir=$(mktemp -d /tmp/countersign-bench-directory.XXXXXX)
server=
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  pg_stop
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

push() { # database_url label
  local url=$1 port token
  step "directory push: $people people, $groups groups ($2)"
  token=$(DATABASE_URL="$url" RUST_LOG=warn "$bin" bench-directory-token)
  port=$(free_port)
  DATABASE_URL="$url" COUNTERSIGN_ADDR="127.0.0.1:$port" \
    COUNTERSIGN_PUBLIC_URL="http://127.0.0.1:$port" COUNTERSIGN_DIRECTORY=scim \
    RUST_LOG=warn "$bin" serve >"$dir/server-$2.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$dir/server-$2.log"; exit 1; }
    sleep 0.1
  done
  BENCH_SCIM_TOKEN="$token" "$bin" bench-directory --url "http://127.0.0.1:$port/scim/v2" \
    --users "$people" --groups "$groups"
  kill "$server" && wait "$server" 2>/dev/null || true
  server=
}

push "sqlite:$dir/directory.db" sqlite
if [[ "${BENCH_SKIP_POSTGRES:-}" != 1 ]]; then
  pg_start
  push "$COUNTERSIGN_TEST_POSTGRES_URL" postgresql
fi
