#!/usr/bin/env bash
# Times `hashguard list import` of a synthetic NCMEC XML page of N entries (bench/gen_ncmec.py:
# 90% images with MD5, SHA-1 and PDQ, 10% videos, 1% deletedImage tombstones) into snapshots,
# side by side with Python's xml.etree iterparse merely walking the same file (how HMA's NCMEC
# client reads it; no lists are built), in alternating rounds.
#   bash bench/import_bench.sh [N=1000000] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"; rounds="${2:-3}"
cli=build/hashguard
[ -x "$cli" ] || { echo "build first: cmake --build build" >&2; exit 2; }
work="$(mktemp -d /tmp/hg-import-bench.XXXXXX)"; trap 'rm -rf "$work"' EXIT
/usr/bin/python3 bench/gen_ncmec.py "$n" "$work/feed.xml"
echo "feed: $n entries, $(du -m "$work/feed.xml" | cut -f1) MB; $(nproc) cores"
secs() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
for r in $(seq "$rounds"); do
  rm -rf "$work/out"
  hg=$(secs "$cli" list import --format ncmec-xml "$work/feed.xml" -o "$work/out")
  py=$(secs /usr/bin/python3 -c '
import sys, xml.etree.ElementTree as ET
n = 0
for _, el in ET.iterparse(sys.argv[1]):
    if el.tag.endswith("}image") or el.tag.endswith("}video"):
        n += 1
        el.clear()
' "$work/feed.xml")
  printf 'round %d: hashguard list import %d ms (snapshots: %s MB) | python iterparse only %d ms | ratio %s\n' \
    "$r" "$hg" "$(du -cm "$work"/out/*.snap | tail -1 | cut -f1)" "$py" \
    "$(/usr/bin/python3 -c "print(f'{$hg / $py:.2f}x')")"
done
