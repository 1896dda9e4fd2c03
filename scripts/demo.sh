#!/usr/bin/env bash
# Sets up, builds, and runs the main job on bundled data: hash the sample
# photos (reference CLI format) and check them against a small block list.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target hashguard_cli scan_file >/dev/null
echo "== PDQ hashes (hash,quality,path) of the bundled photos"
(cd data/photos && ../../build/hashguard hash *.jpg *.png)
echo
echo "== Verdicts against data/lists/sample-blocklist.txt (verdict,distance,transform,list,id,metadata,path)"
set +e
build/hashguard match --list data/lists/sample-blocklist.txt data/photos/*.jpg data/photos/*.png data/photos/formats/*
rc=$?
set -e
# Exit status 3 means "something matched", which is the expected demo outcome.
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
echo
echo "== The same photos through the scanner's C API (examples/scan_file.c): verdict and matches"
set +e
build/examples/scan_file --block demo=data/lists/sample-blocklist.txt data/photos/*.jpg data/photos/*.png
rc=$?
set -e
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
