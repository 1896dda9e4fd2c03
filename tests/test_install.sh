#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds examples/ against the
# *installed* package, both through find_package(hashguard) and pkg-config;
# runs the results and checks the shared library exports only hashguard's API.
#   tests/test_install.sh BUILD_DIR SOURCE_DIR
# No `grep -q` after a pipe: with pipefail, grep quitting early SIGPIPEs the writer
# (ldd, nm) and fails the pipeline at random.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
ls "$tmp/prefix/include/hashguard/hashguard.h" "$tmp/prefix/include/hashguard/hashguard.hpp" >/dev/null
pc=$(find "$tmp/prefix" -name hashguard.pc)
cfg=$(find "$tmp/prefix" -name hashguardConfig.cmake)
lib=$(find "$tmp/prefix" -name 'libhashguard.so.*' -type f)
[ -n "$pc" ] && [ -n "$cfg" ] && [ -n "$lib" ] || fail "install lacks .pc, CMake config or shared library"
# Only public headers are installed.
for h in "$tmp"/prefix/include/hashguard/*; do
  case $(basename "$h") in config.hpp|status.hpp|image.hpp|pdq.hpp|lists.hpp|index.hpp|hashguard.h|hashguard.hpp) ;;
    *) fail "unexpected installed header $h" ;; esac
done

# 1. CMake: find_package(hashguard) -> hashguard::hashguard
cmake -S "$src/examples" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/b" -j2 >/dev/null
ldd "$tmp/b/scan_file" | grep "$tmp/prefix" >/dev/null || fail "scan_file does not link the installed library"
set +e
out=$("$tmp/b/scan_file" --block demo="$src/data/lists/sample-blocklist.txt" \
      "$src/data/photos/messi5.jpg" "$src/data/photos/aero1.jpg")
rc=$?
set -e
echo "$out"
[ $rc -eq 3 ] || fail "scan_file exit $rc, expected 3 (a match)"
echo "$out" | grep "messi5.jpg: match" >/dev/null || fail "messi5 not matched"
echo "$out" | grep "aero1.jpg: no_match" >/dev/null || fail "aero1 verdict wrong"
[ -x "$tmp/b/hash_file" ] || fail "hash_file (C++ API) not built"
"$tmp/b/hash_file" "$src/data/photos/aero1.jpg" | grep a953b751964c9928 >/dev/null || fail "hash_file hash wrong"
if pkg-config --exists cpp-httplib; then
  [ -x "$tmp/b/dm_upload_server" ] || fail "dm_upload_server not built against the installed package"
fi

# 2. pkg-config, plain C99 with -pedantic -Werror
export PKG_CONFIG_PATH=$(dirname "$pc")
cc -std=c99 -pedantic -Wall -Wextra -Werror "$src/examples/scan_file.c" $(pkg-config --cflags --libs hashguard) \
   -o "$tmp/scan_file_pc"
LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/scan_file_pc" "$src/data/photos/aero1.jpg" | grep "no_match" >/dev/null \
  || fail "pkg-config build does not run"

# 3. Exported symbols: the C API (hg_*) and hashguard's C++ API, nothing of the dependencies.
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | c++filt \
      | grep -v -E '^hg_|hashguard::|^HASHGUARD_0$' || true)
[ -z "$bad" ] || { echo "$bad" | head -20; fail "libhashguard.so exports non-hashguard symbols"; }
nm -D --defined-only "$lib" | grep -E ' T hg_scan(@@HASHGUARD_0)?$' >/dev/null || fail "hg_scan not exported"
echo "install test: OK"
