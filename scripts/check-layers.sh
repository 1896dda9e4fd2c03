#!/usr/bin/env bash
# Dependencies between src/ layers point one way (HACKING.md, "Layers"):
#   modules (the module ABI), common <- kernels <- pdq <- index, decode <- scan, video, import <- capi <- store <- cli
# A file in src/<layer>/ may include "<other>/..." only from its own layer or a
# lower one (index and decode are siblings: neither includes the other).
# Public headers (include/hashguard/) are the API every layer may use.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
declare -A rank=([modules]=0 [common]=0 [kernels]=1 [pdq]=2 [index]=3 [decode]=3 [scan]=4 [video]=4 [import]=4 [capi]=5 [store]=6 [cli]=7)
bad=0
for dir in "${!rank[@]}"; do
  [ -d "src/$dir" ] || continue
  while IFS= read -r hit; do
    file=${hit%%:*}
    inc=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$hit")
    [ -n "${rank[$inc]+x}" ] || continue
    if [ "$inc" != "$dir" ] && [ "${rank[$inc]}" -ge "${rank[$dir]}" ]; then
      echo "layering: $file includes $inc/ (layer $dir may only use lower layers)"
      bad=1
    fi
  done < <(grep -HE '^#include "[a-z_]+/' -r "src/$dir" || true)
done
[ "$bad" = 0 ] && echo "layers: every include points down"
exit "$bad"
