# The two commands of the README. Both install what they need first (scripts/setup.sh).
.PHONY: run test build release sizes timing bench

run:
	./scripts/run.sh

test:
	./scripts/test.sh

build:
	./scripts/setup.sh && ./scripts/build.sh

release:
	./scripts/setup.sh && ./scripts/build.sh --release

# The release WebAssembly's weight, what takes it (twiggy), and its budget
# (COUNTERSIGN_WASM_BUDGET_KB, default 300 KB gzip): fails above it.
sizes:
	./scripts/setup.sh && ./scripts/sizes.sh

# Time until the inbox and the catalog work, cold cache, loopback and 10 Mbit/s.
timing:
	./scripts/setup.sh && ./scripts/timing.sh

# Benchmarks (release builds, scratch databases): never part of `make test`.
bench:
	./scripts/setup.sh && ./scripts/bench.sh
