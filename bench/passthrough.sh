#!/usr/bin/env bash
# Pass-through throughput of Meridian next to the nginx peer of shared/bench, in front of the
# same upstream, measured interleaved in one run (nginx, Meridian, nginx, Meridian, ...).
# Prints each run and the ratio of mean requests/s and p99.
#
# Usage: bench/passthrough.sh [DURATION_S=15] [ROUNDS=2] [CONNECTIONS=64]
# Env:   SHARED_BENCH  path to shared/bench (default: ../shared/bench next to the repo)
#        ACCESS_LOG=off  turn Meridian's access log off for the run (default: on, as shipped)
#        PROFILE=1       record a JFR profile of Meridian's last run into target/bench/meridian.jfr
# Needs: wrk, nginx (apt-get install wrk nginx), a built distribution (mvn install -DskipTests).
set -euo pipefail
dur=${1:-15} rounds=${2:-2} conns=${3:-64}
source "$(dirname "$0")/lib.sh"
MERIDIAN_ACCESS_LOG=${ACCESS_LOG:-} start_all
put_api bench "id: bench
basePath: /
upstream: { url: 'http://127.0.0.1:$UP' }"
curl -fsS -o /dev/null "http://127.0.0.1:$HTTP/" || { echo "Meridian does not proxy" >&2; exit 1; }

echo "# warm-up ${dur}s each"
"$shared/bench.sh" "http://127.0.0.1:$PEER/" "$dur" "$conns" >/dev/null
"$shared/bench.sh" "http://127.0.0.1:$HTTP/" "$dur" "$conns" >/dev/null

results=()
for r in $(seq "$rounds"); do
  sleep 2; n=$("$shared/bench.sh" "http://127.0.0.1:$PEER/" "$dur" "$conns"); echo "nginx    $n"; results+=("nginx $n")
  sleep 2
  if [[ ${PROFILE:-0} == 1 && $r == "$rounds" ]]; then
    pid=$(pgrep -f "karaf.base=$node" | head -1)
    jcmd "$pid" JFR.start name=bench settings=profile duration="${dur}s" filename="$work/meridian.jfr" >/dev/null
  fi
  m=$("$shared/bench.sh" "http://127.0.0.1:$HTTP/" "$dur" "$conns"); echo "meridian $m"; results+=("meridian $m")
done

printf '%s\n' "${results[@]}" | awk '
  { who=$1; for (i=2;i<=NF;i++){ split($i,kv,"="); v[kv[1]]=kv[2] }
    rps[who]+=v["rps"]; p99[who]+=v["p99_ms"]; n[who]++; bad[who]+=v["non2xx3xx"]+v["errors"] }
  END { rn=rps["nginx"]/n["nginx"]; rm=rps["meridian"]/n["meridian"]; pn=p99["nginx"]/n["nginx"]; pm=p99["meridian"]/n["meridian"];
        printf "SUMMARY nginx_rps=%.0f meridian_rps=%.0f ratio=%.2f nginx_p99_ms=%.2f meridian_p99_ms=%.2f p99_ratio=%.2f failures_nginx=%d failures_meridian=%d\n",
               rn, rm, rm/rn, pn, pm, pm/pn, bad["nginx"], bad["meridian"] }'
