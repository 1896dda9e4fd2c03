#!/usr/bin/env bash
# Installs the Debian 12 packages hashguard needs, only those missing.
set -euo pipefail
PKGS=(g++ cmake make pkg-config
      libopencv-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libgif-dev libtiff-dev libwebp-dev zlib1g-dev
      libxxhash-dev libssl-dev libpq-dev postgresql-15 libheif-dev libdav1d-dev libavcodec-dev libavutil-dev libavformat-dev libswscale-dev libcpp-httplib-dev libbenchmark-dev catch2 libfaiss-dev
      g++-aarch64-linux-gnu qemu-user clang clang-tidy libclang-rt-14-dev python3 locales
      python3-dev pybind11-dev python3-numpy python3-pytest python3-venv python3-setuptools python3-pip python3-wheel
      python3-dask python3-distributed)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "hashguard: installing missing packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# A locale with a decimal comma, so the tests can show the JSON reader and
# writer do not depend on LC_NUMERIC (test_json).
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO localedef -i de_DE -f UTF-8 de_DE.UTF-8 >/dev/null 2>&1 || echo "hashguard: could not generate de_DE.UTF-8 (test_json's locale case will be skipped)"
fi
