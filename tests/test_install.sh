#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds examples/ against the
# *installed* package, through find_package(hashguard) (shared and static
# targets) and pkg-config; runs the results; checks the ABI rules: the soname,
# the exported symbols (exactly the C API hashguard.h declares, each in a
# version node, plus the C++ namespace), every enum value pinned.
#   tests/test_install.sh BUILD_DIR SOURCE_DIR
# No `grep -q` after a pipe: with pipefail, grep quitting early SIGPIPEs the writer
# (ldd, nm) and fails the pipeline at random.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
inc="$tmp/prefix/include/hashguard"
pc=$(find "$tmp/prefix" -name hashguard.pc)
cfg=$(find "$tmp/prefix" -name hashguardConfig.cmake)
lib=$(find "$tmp/prefix" -name 'libhashguard.so.*.*.*' -type f)
[ -n "$pc" ] && [ -n "$cfg" ] && [ -n "$lib" ] || fail "install lacks .pc, CMake config or shared library"
[ -f "$(dirname "$lib")/libhashguard.a" ] || fail "install lacks the static library"
# Only public headers are installed (version.h is generated from the project version).
for h in "$inc"/*; do
  case $(basename "$h") in
    config.hpp|status.hpp|image.hpp|pdq.hpp|video.hpp|lists.hpp|index.hpp|json.hpp|csv.hpp|import.hpp|hashguard.h|hashguard.hpp|version.h) ;;
    *) fail "unexpected installed header $h" ;;
  esac
done

# Soname: major.minor while the major version is 0 (each 0.x may break the ABI).
major=$(sed -n 's/^#define HG_VERSION_MAJOR \([0-9]*\)$/\1/p' "$inc/version.h")
minor=$(sed -n 's/^#define HG_VERSION_MINOR \([0-9]*\)$/\1/p' "$inc/version.h")
want=libhashguard.so.$major; [ "$major" = 0 ] && want=libhashguard.so.0.$minor
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = "$want" ] || fail "soname is '$soname', expected $want"

# Exported C symbols = the functions hashguard.h declares, each in a version node.
declared=$(sed -n 's/^\(HG_NODISCARD \)\?HG_API [^(]*[ *]\(hg_[a-z0-9_]*\)(.*/\2/p' "$inc/hashguard.h" | sort)
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed -n 's/^\(hg_[a-z0-9_]*\)@@HASHGUARD_[0-9.]*$/\1/p' | sort)
unversioned=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -E '^hg_' | grep -v '@@HASHGUARD_' || true)
[ -z "$unversioned" ] || fail "exported without a version node: $unversioned"
[ "$(echo "$declared" | wc -l)" -ge 30 ] || fail "could not read the declarations of hashguard.h"
if [ "$declared" != "$exported" ]; then
  diff <(echo "$declared") <(echo "$exported") || true
  fail "exported hg_* symbols differ from hashguard.h's declarations"
fi
# Nothing else but hashguard's C++ API (no dependency's or libstdc++'s symbol).
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@@.*//' | c++filt \
      | grep -v -E '^hg_|hashguard::|^HASHGUARD_[0-9.]+$' || true)
[ -z "$bad" ] || { echo "$bad" | head -20; fail "libhashguard.so exports non-hashguard symbols"; }
echo "ABI: soname $soname, $(echo "$exported" | wc -l) hg_* functions, all versioned"

# Every enum value pinned (C11, against the installed header).
cc -std=c11 -pedantic -Wall -Wextra -Werror -I"$tmp/prefix/include" "$src/tests/abi/abi_values.c" -o "$tmp/abi" \
  || fail "an enum value of hashguard.h changed (tests/abi/abi_values.c)"

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

# 2. The static archive through the exported hashguard::hashguard_static (find_dependency
#    brings in what it links).
cmake -S "$src/examples" -B "$tmp/s" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DHASHGUARD_EXAMPLES_STATIC=ON >/dev/null
cmake --build "$tmp/s" -j2 --target hash_file scan_file >/dev/null
if ldd "$tmp/s/hash_file" | grep libhashguard >/dev/null; then fail "the static build links libhashguard.so"; fi
"$tmp/s/hash_file" "$src/data/photos/aero1.jpg" | grep a953b751964c9928 >/dev/null || fail "static hash_file hash wrong"

# 3. pkg-config, plain C99 with -pedantic -Werror
export PKG_CONFIG_PATH=$(dirname "$pc")
cc -std=c99 -pedantic -Wall -Wextra -Werror "$src/examples/scan_file.c" $(pkg-config --cflags --libs hashguard) \
   -o "$tmp/scan_file_pc"
LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/scan_file_pc" "$src/data/photos/aero1.jpg" | grep "no_match" >/dev/null \
  || fail "pkg-config build does not run"

# 4. The installed CLI finds its library (relative RPATH) and uses only the public API.
"$tmp/prefix/bin/hashguard" version | grep "hashguard $major.$minor" >/dev/null || fail "installed CLI does not run"
ldd "$tmp/prefix/bin/hashguard" | grep "$tmp/prefix" >/dev/null || fail "the CLI does not link the installed library"
# 4b. Lean runtime: neither the library nor the CLI maps OpenCV or GDAL, nor libheif
#     or libtiff or libav* (HEIC/AVIF, TIFF and video live in the hashguard-heif,
#     hashguard-tiff and hashguard-video modules, loaded on first use), nor libcrypto (loaded on the first digest); at
#     most 25 libraries in all. The installed CLI decodes a HEIC and a TIFF through
#     the installed modules.
for bin in "$lib" "$tmp/prefix/bin/hashguard"; do
  deps=$(ldd "$bin")
  heavy=$(echo "$deps" | grep -E -i 'opencv|gdal|libheif|libde265|x265|dav1d|libaom|libtiff|libcrypto|libavformat|libavcodec' || true)
  [ -z "$heavy" ] || { echo "$heavy"; fail "$bin links a heavy library"; }
  n=$(echo "$deps" | wc -l)
  [ "$n" -le 25 ] || fail "$bin links $n libraries (at most 25)"
  echo "lean: $(basename "$bin") links $n libraries"
done
for m in heif tiff video; do
  [ -f "$(dirname "$lib")/hashguard-modules/hashguard-$m.so" ] || fail "the $m module is not installed"
done
HASHGUARD_MODULE_DIR= "$tmp/prefix/bin/hashguard" hash "$src/data/photos/formats/fruits.heic" | grep '^5181e3bd' >/dev/null \
  || fail "the installed CLI does not hash a HEIC through the installed module"
HASHGUARD_MODULE_DIR= "$tmp/prefix/bin/hashguard" hash "$src/data/photos/formats/messi5.tiff" | grep '^c86f3d1b' >/dev/null \
  || fail "the installed CLI does not hash a TIFF through the installed module"
# 5. Pulled into another project (add_subdirectory): the library and the CLI, no tests,
#    benches or examples (PROJECT_IS_TOP_LEVEL). Configure only.
mkdir -p "$tmp/outer"
cat >"$tmp/outer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(outer LANGUAGES C CXX)
add_subdirectory("$src" hashguard)
CMAKE
cmake -S "$tmp/outer" -B "$tmp/outer/b" >/dev/null
grep -q '^HASHGUARD_BUILD_TESTS:BOOL=OFF' "$tmp/outer/b/CMakeCache.txt" || fail "tests are built when hashguard is a subproject"
for d in tests bench examples; do
  [ ! -d "$tmp/outer/b/hashguard/$d" ] || fail "$d configured when hashguard is a subproject"
done
echo "install test: OK"
