#!/usr/bin/env bash
# The response cache next to nginx's proxy_cache (the shared/bench peer in "cache" mode), in
# one run, both in front of the same upstreams:
#  1. cache hits: one URL, warmed, interleaved nginx / Meridian runs -> requests/s and p99 ratio;
#  2. backend reduction: a slow upstream (DELAY_MS, default 20 ms), KEYS distinct URLs picked at
#     random by wrk -> front requests/s next to the upstream calls/s Meridian made (its misses).
#
# Usage: bench/cache.sh [DURATION_S=15] [ROUNDS=2] [CONNECTIONS=64]
# Env:   SHARED_BENCH  path to shared/bench (default: ../shared/bench next to the repo)
#        KEYS=1000 DELAY_MS=20
#        WARM_EXPIRY=1  Meridian's warm-up lasts until its entry has expired (the upstream's
#                       max-age, 60 s) and been fetched again, so that the rounds measure the hit
#                       path as it runs once entries have expired; 0: the warm-up is DURATION_S
#                       only, and the entry's first expiry falls in Meridian's second round, where
#                       it throws away the compiled hit path once (bench/README, 2026-12-06)
# Needs: wrk, nginx, libnginx-mod-http-echo (the delayed upstream), a built distribution.
set -euo pipefail
dur=${1:-15} rounds=${2:-2} conns=${3:-64}
keys=${KEYS:-1000} delay=${DELAY_MS:-20}
source "$(dirname "$0")/lib.sh"
SLOW=19001 CPEER=19082
stop_extra() {
  RUN_DIR=$work/cpeer "$shared/peer-nginx.sh" stop $CPEER >/dev/null 2>&1 || true
  RUN_DIR=$work/slow "$shared/upstream.sh" stop $SLOW >/dev/null 2>&1 || true
}
MERIDIAN_ACCESS_LOG=${ACCESS_LOG:-} start_all
trap 'stop_extra; cleanup' EXIT
RUN_DIR=$work/slow "$shared/upstream.sh" start $SLOW "$delay" >/dev/null
RUN_DIR=$work/cpeer "$shared/peer-nginx.sh" start $CPEER 127.0.0.1:$UP cache >/dev/null
put_api hits "id: hits
basePath: /hits
upstream: { url: 'http://127.0.0.1:$UP/' }
cache: { ttl: 60s }"
put_api slow "id: slow
basePath: /slow
upstream: { url: 'http://127.0.0.1:$SLOW/' }
cache: { ttl: 60s }"
hit_url="http://127.0.0.1:$HTTP/hits/item"
curl -fsS -o /dev/null "$hit_url" && curl -fsS -D - -o /dev/null "$hit_url" | grep -qi '^x-cache: HIT' \
  || { echo "Meridian does not answer hits" >&2; exit 1; }
curl -fsS -o /dev/null "http://127.0.0.1:$CPEER/hits/item"

echo "# 1. cache hits, one URL (nginx proxy_cache vs Meridian), warm-up ${dur}s each"
"$shared/bench.sh" "http://127.0.0.1:$CPEER/hits/item" "$dur" "$conns" >/dev/null
"$shared/bench.sh" "$hit_url" "$dur" "$conns" >/dev/null
if [[ ${WARM_EXPIRY:-1} = 1 ]]; then
  head=$(curl -fsS -D - -o /dev/null "$hit_url" | tr -d '\r')
  age=$(awk 'tolower($1) == "age:" {print $2 + 0}' <<<"$head")
  maxage=$(grep -io 'max-age=[0-9]*' <<<"$head" | head -1 | cut -d= -f2)
  left=$(( ${maxage:-0} - ${age:-0} + 2 ))
  if (( left > 0 && left < 120 )); then
    echo "# Meridian's warm-up goes on ${left}s more: its entry (max-age=${maxage}, age ${age}) expires and is fetched again under load"
    "$shared/bench.sh" "$hit_url" "$left" "$conns" >/dev/null
    now_age=$(curl -fsS -D - -o /dev/null "$hit_url" | tr -d '\r' | awk 'tolower($1) == "age:" {print $2 + 0}')
    (( ${now_age:-0} < left )) || { echo "the entry was not fetched again in the warm-up (age ${now_age})" >&2; exit 1; }
  fi
fi
{ interleave "$rounds" "$dur" "$conns" "http://127.0.0.1:$CPEER/hits/item" "$hit_url" 3>&1 1>&2 | summarize "hits " nginx_cache; } 2>&1

echo "# 2. backend reduction: $keys URLs at random, upstream ${delay} ms"
lua=$work/random-keys.lua
cat > "$lua" <<LUA
math.randomseed(os.time())
request = function() return wrk.format("GET", "/slow/k" .. math.random(1, $keys)) end
LUA
misses() {
  curl -fsS "http://127.0.0.1:$ADMIN/metrics" | awk '/^meridian_cache_misses_total\{api="slow"\}/ {print $2}'
}
before=$(misses)
out=$(timeout $((dur + 30)) wrk -t2 -c"$conns" -d"${dur}s" -s "$lua" "http://127.0.0.1:$HTTP/" 2>&1)
after=$(misses)
front=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
echo "$out" | grep -E "Latency|Requests/sec|Non-2xx|Socket errors" || true
awk -v f="$front" -v b="$before" -v a="$after" -v d="$dur" -v k="$keys" 'BEGIN {
  up=(a-b)/d; printf "SUMMARY reduction front_rps=%.0f upstream_calls_per_s=%.1f upstream_calls=%d keys=%d reduction=%.0fx\n", f, up, a-b, k, (up>0? f/up : f) }'
