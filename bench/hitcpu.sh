#!/usr/bin/env bash
# CPU per cache hit, nginx proxy_cache next to Meridian, from /proc: the server's (all its
# processes or threads) and wrk's, user and system time apart, in alternating lanes of one run.
# On a box where wrk shares the cores with the server (this 2-core box), each server gets about
# the same CPU, so the throughput ratio follows the ratio of CPU per request; this says whose
# CPU moved when a cache.sh figure moves, and how much of Meridian's is the kernel's.
#
# Usage: bench/hitcpu.sh [DURATION_S=10] [ROUNDS=3] [CONNECTIONS=64]
# Prints per lane: rps, server µs/request (user+system, and system alone), wrk µs/request, cores
# used by each; then SUMMARY with the means. Ports as cache.sh (19000-19181, 19082).
# Needs: wrk, nginx, curl, a built distribution (mvn install -DskipTests).
set -euo pipefail
dur=${1:-10} rounds=${2:-3} conns=${3:-64}
(( dur >= 3 )) || { echo "$0: DURATION_S must be at least 3" >&2; exit 2; }
source "$(dirname "$0")/lib.sh"
CPEER=19082
MERIDIAN_ACCESS_LOG=${ACCESS_LOG:-} start_all
trap 'RUN_DIR=$work/cpeer "$shared/peer-nginx.sh" stop $CPEER >/dev/null 2>&1 || true; cleanup' EXIT
RUN_DIR=$work/cpeer "$shared/peer-nginx.sh" start $CPEER 127.0.0.1:$UP cache >/dev/null
put_api hits "id: hits
basePath: /hits
upstream: { url: 'http://127.0.0.1:$UP/' }
cache: { ttl: 1h }"
murl=http://127.0.0.1:$HTTP/hits/item nurl=http://127.0.0.1:$CPEER/hits/item
curl -fsS -o /dev/null "$murl"; curl -fsS -o /dev/null "$nurl"
curl -fsS -D - -o /dev/null "$murl" | grep -qi '^x-cache: HIT' || { echo "$0: Meridian does not answer hits" >&2; exit 1; }
jvm=$(pgrep -f "karaf.base=$node" | head -1)
master=$(pgrep -f "nginx.*cpeer/nginx.conf" | head -1)
[[ -n $jvm && -n $master ]] || { echo "$0: server processes not found" >&2; exit 1; }
nginx_pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
hz=$(getconf CLK_TCK)
ticks() { # PID...: "user system" ticks summed (a JVM's process line counts all its threads)
  local p u=0 s=0 line
  for p in "$@"; do
    line=$(awk '{print $14, $15}' "/proc/$p/stat" 2>/dev/null || echo "0 0")
    u=$((u + ${line% *})); s=$((s + ${line#* }))
  done
  echo "$u $s"
}
# warm-up: both, as long as a lane
"$shared/bench.sh" "$nurl" "$dur" "$conns" >/dev/null
"$shared/bench.sh" "$murl" "$dur" "$conns" >/dev/null
out=$work/hitcpu-wrk.out
{
for _ in $(seq "$rounds"); do
  for lane in nginx meridian; do
    if [[ $lane == nginx ]]; then url=$nurl pids=$nginx_pids; else url=$murl pids=$jvm; fi
    timeout $((dur + 30)) wrk -t2 -c"$conns" -d"${dur}s" "$url" >"$out" 2>&1 &
    wp=$!
    sleep 1 # measured from 1 s in to 1 s before the end: wrk's start and stop outside
    wrk_pid=$(pgrep -P "$wp" -x wrk || pgrep -x wrk | head -1)
    s0=$(ticks $pids); w0=$(ticks "$wrk_pid"); t0=$(date +%s%N)
    sleep $((dur - 2))
    s1=$(ticks $pids); w1=$(ticks "$wrk_pid"); t1=$(date +%s%N)
    wait "$wp"
    rps=$(awk '/Requests\/sec/ {print $2}' "$out")
    awk -v l="$lane" -v r="$rps" -v s0="$s0" -v s1="$s1" -v w0="$w0" -v w1="$w1" -v hz="$hz" -v ns=$((t1 - t0)) 'BEGIN {
      split(s0, a, " "); split(s1, b, " "); split(w0, c, " "); split(w1, d, " ")
      secs = ns / 1e9; n = r * secs
      su = (b[1] - a[1]) / hz; ss = (b[2] - a[2]) / hz; w = (d[1] + d[2] - c[1] - c[2]) / hz
      printf "%-8s rps=%.0f server_us=%.2f server_sys_us=%.2f wrk_us=%.2f server_cores=%.2f wrk_cores=%.2f\n",
        l, r, (su + ss) * 1e6 / n, ss * 1e6 / n, w * 1e6 / n, (su + ss) / secs, w / secs }'
  done
done
} | tee "$work/hitcpu.lines"
awk '{ who=$1; for (i=2;i<=NF;i++){ split($i,kv,"="); v[who, kv[1]] += kv[2] } n[who]++ }
  END { printf "SUMMARY hitcpu nginx_rps=%.0f meridian_rps=%.0f ratio=%.2f nginx_us=%.2f meridian_us=%.2f cpu_ratio=%.2f meridian_sys_us=%.2f nginx_sys_us=%.2f wrk_us_nginx=%.2f wrk_us_meridian=%.2f\n",
    v["nginx","rps"]/n["nginx"], v["meridian","rps"]/n["meridian"], (v["meridian","rps"]/n["meridian"])/(v["nginx","rps"]/n["nginx"]),
    v["nginx","server_us"]/n["nginx"], v["meridian","server_us"]/n["meridian"], (v["nginx","server_us"]/n["nginx"])/(v["meridian","server_us"]/n["meridian"]),
    v["meridian","server_sys_us"]/n["meridian"], v["nginx","server_sys_us"]/n["nginx"],
    v["nginx","wrk_us"]/n["nginx"], v["meridian","wrk_us"]/n["meridian"] }' "$work/hitcpu.lines"
