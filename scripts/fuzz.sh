#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan, coverage on the whole
# library) and runs each for FUZZ_SECONDS (default 60) from seeds in data/ and
# tests/fuzz/seeds/. Fails on any crash, leak, timeout or out-of-memory; the
# input is saved under build-fuzz/artifacts/ (copy it into
# tests/fuzz/regressions/<target>/ once fixed: ctest replays it from then on).
#   FUZZ_SECONDS=300 bash scripts/fuzz.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
secs="${FUZZ_SECONDS:-60}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_decode fuzz_scan fuzz_lists fuzz_snapshot fuzz_video fuzz_import)

# The same configuration scripts/test.sh uses for its clang ASan+UBSan test
# run, so the two share one build directory.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHASHGUARD_FUZZ=ON \
  -DHASHGUARD_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"

declare -A seeds=(
  [fuzz_decode]="data/photos/formats tests/fuzz/seeds/decode"
  [fuzz_scan]="data/photos/formats tests/fuzz/seeds/decode"
  [fuzz_lists]="data/lists tests/fuzz/seeds/lists"
  [fuzz_snapshot]="tests/fuzz/seeds/snapshot"
  [fuzz_video]="tests/fuzz/seeds/video"
  [fuzz_import]="tests/fuzz/seeds/import"
)
mkdir -p build-fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  corpus="build-fuzz/corpus/$t"
  mkdir -p "$corpus"
  for s in ${seeds[$t]} "tests/fuzz/regressions/$t"; do
    find "$s" -type f ! -name README -size -300k -exec cp -n {} "$corpus/" \;
  done
  log="build-fuzz/$t.log"
  echo "== $t: ${secs}s from $(ls "$corpus" | wc -l) seed/corpus files"
  set +e
  # TIFF and HEIC/AVIF are decoded by modules (dlopen'ed, instrumented too).
  HASHGUARD_MODULE_DIR="$PWD/build-fuzz/hashguard-modules" \
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/tests/fuzz/$t" "$corpus" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=262144 -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  echo "   executions: $runs (~$rate exec/s); corpus now $(ls "$corpus" | wc -l) files; exit $rc"
  if [ $rc -ne 0 ]; then
    echo "   FAILED: see $log; inputs: $(ls build-fuzz/artifacts/ | grep "^$t-" | tr '\n' ' ')"
    grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -20
    status=1
  fi
done
exit $status
