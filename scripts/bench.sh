#!/usr/bin/env bash
# Prints how fast the catalog and the audit trail answer at scale: 100,000 access
# items and 1,000,000 audit records in a scratch SQLite database (or PostgreSQL:
# BENCH_DATABASE_URL=postgres://… on an empty database), timing first pages, deep
# keyset pages, a kind filter, a substring search and audit filters; then the
# people pickers' searches (p50/p99) in a directory of 10,000 people.
# Then the outbox (see the end). Usage: scripts/bench.sh [items] [records] [people]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

cargo build -q --release -p countersign
dir=$(mktemp -d /tmp/countersign-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
url="${BENCH_DATABASE_URL:-sqlite:$dir/bench.db}"
step "benchmark on ${url%%:*}"
DATABASE_URL="$url" RUST_LOG=warn ./target/release/countersign bench --items "${1:-100000}" --records "${2:-1000000}" --people "${3:-10000}"
./scripts/bench_directory.sh

# Provisioning through the outbox to a webhook receiver on loopback: jobs per
# second with 1 and 2 workers, p50/p99 from approval to the receiver's 2xx.
# BENCH_OUTBOX_JOBS, BENCH_OUTBOX_SAMPLES, BENCH_OUTBOX_INTERVAL_MS (default 1000,
# as COUNTERSIGN_OUTBOX_INTERVAL_MS).
outbox_url="${BENCH_OUTBOX_DATABASE_URL:-sqlite:$dir/outbox.db}"
step "outbox benchmark on ${outbox_url%%:*}"
DATABASE_URL="$outbox_url" RUST_LOG=warn ./target/release/countersign bench-outbox \
  --jobs "${BENCH_OUTBOX_JOBS:-2000}" --samples "${BENCH_OUTBOX_SAMPLES:-200}" \
  --interval-ms "${BENCH_OUTBOX_INTERVAL_MS:-1000}"

# Replicas behind nginx on PostgreSQL: decisions/s, inbox p99, recovery after kill -9.
./scripts/bench_replicas.sh
