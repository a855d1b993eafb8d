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
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
shared=${SHARED_BENCH:-$repo/../shared/bench}
dur=${1:-15} rounds=${2:-2} conns=${3:-64}
work=$repo/target/bench; node=$work/node
UP=19000 PEER=19081 HTTP=19080 ADMIN=19181 PASSWORD=bench-$$
export RUN_DIR_BASE=$work

for t in wrk nginx curl; do command -v $t >/dev/null || { echo "passthrough.sh: $t missing (apt-get install wrk nginx curl)" >&2; exit 2; }; done
tarball=$(ls "$repo"/karaf-assembly/target/meridian-*.tar.gz 2>/dev/null | head -1)
[[ -n $tarball ]] || { echo "passthrough.sh: build first: mvn install -DskipTests" >&2; exit 2; }

cleanup() {
  [[ -x $node/bin/stop ]] && "$node/bin/stop" >/dev/null 2>&1 || true
  RUN_DIR=$work/peer "$shared/peer-nginx.sh" stop $PEER >/dev/null 2>&1 || true
  RUN_DIR=$work/upstream "$shared/upstream.sh" stop $UP >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
rm -rf "$node" && mkdir -p "$node"
tar xzf "$tarball" -C "$node" --strip-components=1
access_log=${ACCESS_LOG:-}

RUN_DIR=$work/upstream "$shared/upstream.sh" start $UP >/dev/null
RUN_DIR=$work/peer "$shared/peer-nginx.sh" start $PEER 127.0.0.1:$UP proxy >/dev/null
MERIDIAN_ACCESS_LOG=$access_log MERIDIAN_HTTP_PORT=$HTTP MERIDIAN_ADMIN_PORT=$ADMIN MERIDIAN_SSH_PORT=0 MERIDIAN_ADMIN_PASSWORD=$PASSWORD \
  MERIDIAN_NODE_NAME=bench "$node/bin/start"
for _ in $(seq 240); do curl -fs "http://127.0.0.1:$ADMIN/ready" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS -u "admin:$PASSWORD" -H 'Content-Type: application/yaml' -X PUT "http://127.0.0.1:$ADMIN/api/v1/apis/bench" \
  --data-binary "id: bench
basePath: /
upstream: { url: 'http://127.0.0.1:$UP' }" >/dev/null
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
