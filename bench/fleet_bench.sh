#!/usr/bin/env bash
# A fleet end to end at list scale: a throwaway PostgreSQL (scripts/pg-test-server.sh), a
# list of N random PDQ hashes imported and published, `hashguard store sync --follow`
# writing the published directory, and a scanner process following it (tests/support/
# follow_probe: hg_lists_follow_dir + hg_scanner_set_lists every 200 ms). Then ADD new hashes
# are imported and published, and the time from the start of `store publish` to the
# follower having the version in its scanner is printed, ROUNDS times.
#   bash bench/fleet_bench.sh [N=10000000] [ADD=10000] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000000}"; add="${2:-10000}"; rounds="${3:-3}"
cli=build/hashguard probe=build/tests/follow_probe
[ -x "$cli" ] && [ -x "$probe" ] || { echo "build first: cmake --build build" >&2; exit 2; }
work="$(mktemp -d /tmp/hg-fleet-bench.XXXXXX)"
eval "$(bash scripts/pg-test-server.sh start)"
[ -n "${HASHGUARD_TEST_PG_DSN:-}" ] || { echo "no PostgreSQL server (install postgresql-15)" >&2; exit 2; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/pg-test-server.sh stop "$HASHGUARD_TEST_PG_DIR"
  rm -rf "$work"
}
trap cleanup EXIT
dsn="$HASHGUARD_TEST_PG_DSN"
now_ms() { date +%s%3N; }
feed() {  # feed FILE COUNT SEED: "pdq <hex>" lines
  /usr/bin/python3 -c '
import random, sys
rng = random.Random(int(sys.argv[3]))
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[2])):
        f.write("pdq %064x\n" % rng.getrandbits(256))
' "$1" "$2" "$3"
}
timed() { local t0; t0=$(now_ms); "$@" >/dev/null; echo $(( $(now_ms) - t0 )); }

"$cli" store init --dsn "$dsn" >/dev/null
feed "$work/base.txt" "$n" 1
echo "list: $n hashes; $(nproc) cores; kernel $("$cli" version | sed 's/.*kernels: //; s/)//')"
echo "store import: $(timed "$cli" store import --dsn "$dsn" --format text --source bench "$work/base.txt") ms"
echo "store publish: $(timed "$cli" store publish --dsn "$dsn") ms"
t0=$(now_ms)
"$cli" store sync --dsn "$dsn" --dir "$work/dir" --follow --poll-ms 1000 >"$work/sync.log" 2>&1 &
pids+=($!)
until [ -f "$work/dir/CURRENT" ]; do sleep 0.1; done
echo "first sync (base snapshot with its index): $(( $(now_ms) - t0 )) ms"
mkfifo "$work/probe.in"
"$probe" "$work/dir" 200 0 <"$work/probe.in" >"$work/probe.log" 2>&1 &
pids+=($!)
exec 3>"$work/probe.in"  # keeps the follower running
t0=$(now_ms)
until grep -q '^applied 1 ' "$work/probe.log"; do sleep 0.05; done
echo "follower's first load: $(( $(now_ms) - t0 )) ms"
for r in $(seq "$rounds"); do
  v=$((r + 1))
  feed "$work/add.txt" "$add" $((v + 100))
  imp=$(timed "$cli" store import --dsn "$dsn" --format text --source bench "$work/add.txt")
  t0=$(now_ms)
  "$cli" store publish --dsn "$dsn" >/dev/null
  until grep -q "^applied $v " "$work/probe.log"; do sleep 0.01; done
  applied=$(grep "^applied $v " "$work/probe.log" | cut -d' ' -f3)
  echo "round $r: $add additions imported in $imp ms; publish -> the follower scans with them: $((applied - t0)) ms"
done
exec 3>&-
