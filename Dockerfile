# Countersign as a container image: the release server and its site assets on
# Debian slim, running as a non-root user. Build from the repository root:
#   docker build -t countersign .
# deploy/compose.yaml runs two replicas of it over PostgreSQL behind nginx
# (docs/operations.md). Configuration is by environment variable only (README,
# .env.example); the ones set here are the image's defaults.

# ---- build: the same steps as `make release` (scripts/build.sh --release) ----
FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
# wasm-opt from npm binaryen 132: Debian's binaryen breaks hydration (docs/ARCHITECTURE.md).
RUN npm install --prefix /opt/binaryen --no-audit --no-fund binaryen@132
ENV PATH=/opt/binaryen/node_modules/.bin:$PATH CARGO_INCREMENTAL=0
WORKDIR /src
# wasm-bindgen's CLI at exactly the version in Cargo.lock, in a layer of its own.
COPY Cargo.lock ./
RUN cargo install wasm-bindgen-cli --version \
    "$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
COPY . .
RUN ./scripts/build.sh --release

# ---- runtime ----
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 countersign \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/countersign \
      --create-home --shell /usr/sbin/nologin countersign
COPY --from=build /src/target/release/countersign /usr/local/bin/countersign
COPY --from=build /src/target/site /usr/share/countersign/site
# A SQLite database (single replica) lives in the volume; set DATABASE_URL to
# postgres://… for replicas. COUNTERSIGN_PUBLIC_URL must be the https URL people use.
ENV COUNTERSIGN_ADDR=0.0.0.0:3000 \
    COUNTERSIGN_SITE_ROOT=/usr/share/countersign/site \
    COUNTERSIGN_LOG_FORMAT=json \
    DATABASE_URL=sqlite:/var/lib/countersign/countersign.db \
    RUST_LOG=info
VOLUME /var/lib/countersign
WORKDIR /var/lib/countersign
USER 10001:10001
EXPOSE 3000
# Liveness: the process answers and reaches its database (/readyz also needs the
# provider's discovery: use it for the load balancer, not for restarts).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:3000/healthz || exit 1
# SIGTERM stops gracefully within COUNTERSIGN_SHUTDOWN_GRACE_SECS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/countersign"]
CMD ["serve"]
