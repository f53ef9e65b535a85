#!/usr/bin/env bash
# Everything `make test` runs: installs what is missing, then
#   1. cargo fmt --check and cargo clippy -D warnings
#   2. the Rust tests on SQLite
#   2b. the deployment example checked (scripts/check_deploy.py)
#   3. the same tests on a real PostgreSQL started here (and stopped, also on failure)
#   4. the site build and the Playwright browser tests in Debian's Chromium
set -euo pipefail
# A clean build needs no incremental state; it only costs disk and time here.
export CARGO_INCREMENTAL=0
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/postgres.sh

./scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test — database: SQLite"
COUNTERSIGN_TEST_DATABASE=sqlite cargo test --workspace

step "deployment example: Dockerfile, deploy/ (nginx -t, systemd unit run)"
python3 scripts/check_deploy.py

step "cargo test — database: PostgreSQL"
trap pg_stop EXIT
pg_start
COUNTERSIGN_TEST_DATABASE=postgres cargo test --workspace
pg_stop

step "browser tests — Chromium"
./scripts/build.sh
(cd end2end && npx playwright test)
