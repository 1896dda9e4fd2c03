#!/usr/bin/env bash
# Sets up and runs the whole test suite: a release build (GCC) and its tests,
# the function-size check (clang-tidy), the AArch64
# kernel tests under qemu, a clang ASan+UBSan build of the same tests followed
# by every libFuzzer target for FUZZ_SECONDS (default 12) each, then a TSan
# build of the concurrency tests. A throwaway PostgreSQL server
# (scripts/pg-test-server.sh) serves the list store's tests. Tests that need ../shared skip (ctest
# reports them as skipped) when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
jobs="$(nproc)"

# A throwaway PostgreSQL 15 (unix socket only) for test_store, stopped at exit.
# Without one the store's tests report skipped.
eval "$(bash scripts/pg-test-server.sh start)"
trap 'bash scripts/pg-test-server.sh stop "${HASHGUARD_TEST_PG_DIR:-}"' EXIT

echo "== [$(date +%T), ${SECONDS}s] release build + tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHASHGUARD_BUILD_BENCH=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== [$(date +%T), ${SECONDS}s] code rules: no function in src/ over 80 lines"
bash scripts/check-function-size.sh build

echo "== [$(date +%T), ${SECONDS}s] AArch64 (NEON) kernels, cross-built, under qemu-user"
bash scripts/test-neon.sh

echo "== [$(date +%T), ${SECONDS}s] clang ASan+UBSan build (libFuzzer coverage) + tests, then each fuzzer for ${FUZZ_SECONDS:-12}s"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHASHGUARD_FUZZ=ON \
  -DHASHGUARD_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs"
(cd build-fuzz && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")
FUZZ_SECONDS="${FUZZ_SECONDS:-12}" bash scripts/fuzz.sh

echo "== [$(date +%T), ${SECONDS}s] ThreadSanitizer build of the concurrency tests (parallel scans, hot reload with deltas, shared indexes, the batch pipeline, the importer's read/apply pipe)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHASHGUARD_TSAN=ON -DHASHGUARD_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j"$jobs" --target test_scanner test_index test_batch test_reload test_snapshot test_video test_import test_follow hashguard_cli
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
   ctest --output-on-failure -R '^(test_scanner|test_batch|test_reload|test_snapshot|test_import|test_follow)$')
# Concurrent video scans (the video module loaded from the TSan build's modules).
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 HASHGUARD_MODULE_DIR="$PWD/build-tsan/hashguard-modules" \
  build-tsan/tests/test_video --warn NoTests "Concurrent video scans on one scanner give the single-threaded answers"
# test_index's threaded cases only (its single-threaded property tests take minutes under TSan).
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build-tsan/tests/test_index --warn NoTests \
  "One index queried from many threads gives the single-threaded answers,MIH built on two threads equals the one-thread build and brute force"
echo "== [$(date +%T), ${SECONDS}s] all stages passed"
