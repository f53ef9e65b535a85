#!/usr/bin/env bash
# Sourced by scripts/test.sh: a throw-away PostgreSQL server in a temp directory on
# a free loopback port. `pg_start` exports COUNTERSIGN_TEST_POSTGRES_URL; `pg_stop`
# stops the server and removes its directory (also called from the caller's trap).

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [[ -x "$dir/pg_ctl" ]] && { echo "$dir"; return; }; done
  dirname "$(command -v pg_ctl)"
}

# PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user.
pg_as() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  local bin port
  bin=$(pg_bin)
  PG_DIR=$(mktemp -d /tmp/countersign-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres "$PG_DIR"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pg_as "$bin/initdb" -D "$PG_DIR/data" -U countersign --auth=trust -E UTF8 --no-locale >"$PG_DIR/initdb.log"
  pg_as "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  export COUNTERSIGN_TEST_POSTGRES_URL="postgres://countersign@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($PG_DIR)"
}

pg_stop() {
  [[ -n "${PG_DIR:-}" && -d "$PG_DIR" ]] || return 0
  pg_as "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}
