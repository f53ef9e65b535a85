.PHONY: run test build
run:
	./scripts/build.sh && ./target/debug/countersign serve
test:
	rustup target add wasm32-unknown-unknown
	cargo fmt --check
	cargo test --workspace
build:
	./scripts/build.sh
