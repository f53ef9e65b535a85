#!/usr/bin/env bash
# `make timing`: on the release build, in Debian's Chromium, the time from
# navigating (cold cache) until the inbox's Approve button and the catalog work
# (the app's `<body data-hydrated>`), on loopback and with the network throttled
# to 10 Mbit/s; the median of COUNTERSIGN_TIMING_RUNS (default 5) loads each.
# Uses the browser tests' fixed ports (3100/3101), so it holds their lock.
# Not part of `make test`. COUNTERSIGN_TIMING_NO_BUILD=1 times the last build;
# COUNTERSIGN_TIMING_BIN (relative to end2end/) another server binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

if [[ -z "${COUNTERSIGN_TIMING_NO_BUILD:-}" ]]; then
  ./scripts/build.sh --release >/dev/null
fi
step "time until the page works (release build, cold cache)"
cd end2end
flock /tmp/countersign-e2e.lock npx playwright test --config timing.config.ts 2>&1 \
  | awk '/^TIMING$/ { on = 1; next } on && /^(inbox|catalog)/ { print }  !on { buf = buf $0 "\n" } END { if (!on) { printf "%s", buf; exit 1 } }'
