# The two commands of the README. Both install what they need first (scripts/setup.sh).
.PHONY: run test build release sizes bench

run:
	./scripts/run.sh

test:
	./scripts/test.sh

build:
	./scripts/setup.sh && ./scripts/build.sh

release:
	./scripts/setup.sh && ./scripts/build.sh --release

sizes:
	./scripts/setup.sh && ./scripts/sizes.sh

# Benchmarks (release builds, scratch databases): never part of `make test`.
bench:
	./scripts/setup.sh && ./scripts/bench.sh
