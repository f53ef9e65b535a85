#!/usr/bin/env bash
# Replica figures (`make bench`, never `make test`): release replicas over one
# throw-away PostgreSQL behind Debian's nginx (benches/replicas.rs): decisions
# per second with one and two replicas, p50/p99 of the inbox page at 16 clients,
# and the time to recover after kill -9 (restart to the first page served).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/postgres.sh
trap pg_stop EXIT

step "replica benchmark (release build)"
cargo bench -q --bench replicas --no-run
pg_start
BENCH_DATABASE_URL="$COUNTERSIGN_TEST_POSTGRES_URL" cargo bench -q --bench replicas
