#!/usr/bin/env bash
# Times `hashguard store import` of N random PDQ hashes (default 10^6) into a
# fresh database, then `store publish` and `store sync` of that version, and
# the import of the same feed again (nothing new: the daily full-dump case).
#   bash bench/store_import.sh [N] [text|ncmec-xml] [BUILD_DIR]
# Uses $HASHGUARD_TEST_PG_DSN when set, else starts a throwaway server
# (scripts/pg-test-server.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"; format="${2:-text}"; build="${3:-build}"
work="$(mktemp -d /tmp/hg-store-bench.XXXXXX)"
started=""
cleanup() {
  [ -n "${HASHGUARD_TEST_PG_DSN:-}" ] && psql "$HASHGUARD_TEST_PG_DSN" -qc "DROP DATABASE IF EXISTS hg_bench WITH (FORCE)" >/dev/null 2>&1 || true
  [ -n "$started" ] && bash scripts/pg-test-server.sh stop "$started"
  rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${HASHGUARD_TEST_PG_DSN:-}" ]; then
  eval "$(bash scripts/pg-test-server.sh start)"
  started="$HASHGUARD_TEST_PG_DIR"
fi
PGOPTIONS="-c client_min_messages=warning" psql "$HASHGUARD_TEST_PG_DSN" -qc "DROP DATABASE IF EXISTS hg_bench WITH (FORCE)" -c "CREATE DATABASE hg_bench" >/dev/null
dsn="$HASHGUARD_TEST_PG_DSN dbname=hg_bench"
/usr/bin/python3 bench/store_feed.py "$n" "$work/feed" --format "$format"
echo "feed: $n records, $(du -h "$work/feed" | cut -f1) ($format)"
"$build/hashguard" store init --dsn "$dsn" >/dev/null
t() { local s=$EPOCHREALTIME; "$@"; awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN { printf "  -> %.2f s\n", b - a }'; }
echo "import:"; t "$build/hashguard" store import --dsn "$dsn" --format "$format" --source bench "$work/feed"
echo "publish:"; t "$build/hashguard" store publish --dsn "$dsn"
echo "sync:"; t "$build/hashguard" store sync --dsn "$dsn" --dir "$work/sync"
echo "the same feed again (every record already listed):"; t "$build/hashguard" store import --dsn "$dsn" --format "$format" --source bench "$work/feed"
du -sh "$work/sync/lists"
