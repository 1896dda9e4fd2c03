#!/usr/bin/env bash
# Sets up and runs the whole test suite: a release build, the AArch64 kernel
# tests under qemu, then an ASan+UBSan build of the same tests, then a TSan
# build of the concurrency tests. Tests that need ../shared skip (ctest
# reports them as skipped) when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
jobs="$(nproc)"

echo "== release build + tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHASHGUARD_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== AArch64 (NEON) kernels, cross-built, under qemu-user"
bash scripts/test-neon.sh

echo "== ASan+UBSan build + tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHASHGUARD_SANITIZE=ON -DHASHGUARD_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")

echo "== ThreadSanitizer build of the concurrency tests (parallel scans, hot reload, shared indexes)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHASHGUARD_TSAN=ON -DHASHGUARD_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j"$jobs" --target test_scanner test_index
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
   ctest --output-on-failure -R '^(test_scanner|test_index)$')
