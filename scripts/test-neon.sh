#!/usr/bin/env bash
# Cross-builds the kernel tests and the decoder-free core conformance test for
# AArch64 (NEON) and runs them under qemu-user, once per kernel set.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in g++-aarch64-linux-gnu qemu-user catch2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
out=build-neon
mkdir -p "$out/inc"
ln -sfn /usr/include/catch2 "$out/inc/catch2"   # header-only; no host headers on the cross path
# hashguard/version.h, as CMake generates it from project(VERSION) (no CMake on this path).
version=$(sed -n 's/^project(hashguard VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
IFS=. read -r vmaj vmin vpat <<<"$version"
mkdir -p "$out/inc/hashguard"
sed -e "s/@PROJECT_VERSION_MAJOR@/$vmaj/" -e "s/@PROJECT_VERSION_MINOR@/$vmin/" -e "s/@PROJECT_VERSION_PATCH@/$vpat/" \
    -e "s/@PROJECT_VERSION@/$version/" cmake/version.h.in >"$out/inc/hashguard/version.h"

shared="${HASHGUARD_SHARED_DIR:-../shared}"
vec=""
if [ -d "$shared/pdq-reference" ]; then
  vec="$out/vectors"
  mkdir -p "$vec"
  for f in "$shared"/pdq-reference/decoded/*.pnm.gz "$shared"/pdq-reference/synthetic/*.gz; do
    gzip -dc "$f" > "$vec/$(basename "$f" .gz)"
  done
  cp "$shared"/pdq-reference/decoded/pnm-hashes-noresize.csv "$shared"/pdq-reference/synthetic/core-hashes-noresize.csv \
     "$shared"/pdq-reference/synthetic/cli-dihedral-across.csv "$vec/"
else
  echo "note: $shared not found: core vectors will be skipped, kernel tests still run"
fi

objs=()
compile() {  # src -> object, in parallel-friendly form
  local o="$out/$(echo "$1" | tr / _).o"
  aarch64-linux-gnu-g++ -std=c++20 -O2 -Wall -Wextra -ffp-contract=off -Iinclude -Isrc -Itests -I"$out/inc" \
    -c "$1" -o "$o"
  objs+=("$o")
}
for s in src/common/status.cpp src/pdq/pdq.cpp src/pdq/pdq_core.cpp src/kernels/scalar.cpp \
         src/kernels/dispatch.cpp src/kernels/drivers.cpp \
         src/kernels/reference.cpp src/kernels/neon.cpp tests/test_kernels.cpp tests/cross/core_vectors.cpp \
         tests/cross/main.cpp; do
  compile "$s"
done
aarch64-linux-gnu-g++ -static -o "$out/test_neon" "${objs[@]}"

for k in neon scalar; do
  echo "== AArch64 under qemu, HASHGUARD_FORCE_KERNEL=$k"
  HASHGUARD_FORCE_KERNEL=$k HG_VECTORS_DIR="$vec" qemu-aarch64 "$out/test_neon"
done
