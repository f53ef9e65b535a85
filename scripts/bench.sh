#!/usr/bin/env bash
# Prints how fast the catalog and the audit trail answer at scale: 100,000 access
# items and 1,000,000 audit records in a scratch SQLite database (or PostgreSQL:
# BENCH_DATABASE_URL=postgres://… on an empty database), timing first pages, deep
# keyset pages, a kind filter, a substring search and audit filters; then the
# people pickers' searches (p50/p99) in a directory of 10,000 people.
# Usage: scripts/bench.sh [items] [records] [people]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

cargo build -q --release -p countersign
dir=$(mktemp -d /tmp/countersign-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
url="${BENCH_DATABASE_URL:-sqlite:$dir/bench.db}"
step "benchmark on ${url%%:*}"
DATABASE_URL="$url" RUST_LOG=warn ./target/release/countersign bench --items "${1:-100000}" --records "${2:-1000000}" --people "${3:-10000}"
