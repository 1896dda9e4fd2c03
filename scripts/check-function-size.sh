#!/usr/bin/env bash
# Lists functions in src/ longer than the project's limit (80 lines), with
# clang-tidy's readability-function-size over the build's compile commands.
#   bash scripts/check-function-size.sh [BUILD_DIR]   (default: build; configured with
#   -DCMAKE_EXPORT_COMPILE_COMMANDS=ON, as scripts/test.sh does)
# Exit status 1 when any function is over the limit.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json"; exit 2; }
files=$(find src -name '*.cpp' | sort)
out=$(printf '%s\n' $files | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet --header-filter="$(pwd)/src/.*" \
      -checks='-*,readability-function-size' \
      -config='{CheckOptions: [{key: readability-function-size.LineThreshold, value: 80}]}' 2>/dev/null \
      | grep -A1 'warning: function' || true)
if [ -n "$out" ]; then
  echo "$out" | grep 'warning: function' | sed 's/ \[readability-function-size\]//'
  exit 1
fi
echo "no function in src/ over 80 lines ($(echo "$files" | wc -l) files)"
