#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests: a cluster initdb'd in a
# temporary directory, listening only on a unix socket there (no TCP).
#   eval "$(bash scripts/pg-test-server.sh start)"   # exports HASHGUARD_TEST_PG_DSN, HASHGUARD_TEST_PG_DIR
#   bash scripts/pg-test-server.sh stop "$HASHGUARD_TEST_PG_DIR"
# As root the server runs as the postgres user (initdb refuses root).
# Prints nothing to eval when no server can be started (the store tests then skip).
set -euo pipefail
bindir="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if [ ! -x "$bindir/initdb" ]; then
    echo "pg-test-server: $bindir/initdb not found (install postgresql-15)" >&2
    return 0
  fi
  local dir
  dir="$(mktemp -d /tmp/hg-pg.XXXXXX)"
  chmod 755 "$dir"
  mkdir "$dir/data" "$dir/sock"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/data" "$dir/sock"
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { echo "pg-test-server: initdb failed (see $dir/initdb.log)" >&2; return 0; }
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/sock/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir/sock' -c fsync=off -c max_connections=50" start \
    >/dev/null 2>&1 || { echo "pg-test-server: the server did not start (see $dir/sock/server.log)" >&2; return 0; }
  echo "export HASHGUARD_TEST_PG_DIR='$dir'"
  echo "export HASHGUARD_TEST_PG_DSN='host=$dir/sock dbname=postgres user=postgres'"
}

stop() {
  local dir="$1"
  [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
