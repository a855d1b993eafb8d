# Shared by the bench scripts: start the shared/bench upstream and nginx peer and a Meridian
# node from the built distribution, all on loopback, and stop them on exit. Source it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); repo=$(cd "$here/.." && pwd)
shared=${SHARED_BENCH:-$repo/../shared/bench}
work=$repo/target/bench; node=$work/node
UP=19000 PEER=19081 HTTP=19080 ADMIN=19181 PASSWORD=bench-$$

for t in wrk nginx curl; do command -v $t >/dev/null || { echo "$0: $t missing (apt-get install wrk nginx curl)" >&2; exit 2; }; done
tarball=$(ls "$repo"/karaf-assembly/target/meridian-*.tar.gz 2>/dev/null | head -1)
[[ -n $tarball ]] || { echo "$0: build first: mvn install -DskipTests" >&2; exit 2; }

cleanup() {
  [[ -x $node/bin/stop ]] && "$node/bin/stop" >/dev/null 2>&1 || true
  RUN_DIR=$work/peer "$shared/peer-nginx.sh" stop $PEER >/dev/null 2>&1 || true
  RUN_DIR=$work/upstream "$shared/upstream.sh" stop $UP >/dev/null 2>&1 || true
}

# start_all: upstream, nginx peer (proxy), Meridian (env MERIDIAN_* passes through)
start_all() {
  trap cleanup EXIT
  cleanup
  rm -rf "$node" && mkdir -p "$node"
  tar xzf "$tarball" -C "$node" --strip-components=1
  RUN_DIR=$work/upstream "$shared/upstream.sh" start $UP >/dev/null
  RUN_DIR=$work/peer "$shared/peer-nginx.sh" start $PEER 127.0.0.1:$UP proxy >/dev/null
  MERIDIAN_HTTP_PORT=$HTTP MERIDIAN_ADMIN_PORT=$ADMIN MERIDIAN_SSH_PORT=0 MERIDIAN_ADMIN_PASSWORD=$PASSWORD \
    MERIDIAN_NODE_NAME=bench "$node/bin/start"
  for _ in $(seq 240); do curl -fs "http://127.0.0.1:$ADMIN/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "http://127.0.0.1:$ADMIN/ready" >/dev/null || { echo "$0: Meridian did not become ready" >&2; exit 1; }
}

# put_api ID YAML: apply one definition through the admin API
put_api() {
  curl -fsS -u "admin:$PASSWORD" -H 'Content-Type: application/yaml' -X PUT \
    "http://127.0.0.1:$ADMIN/api/v1/apis/$1" --data-binary "$2" >/dev/null
}

# summarize LABEL PEER_NAME: reads "<who> <bench.sh line>" lines (who = nginx | meridian) on
# stdin and prints the means and Meridian/nginx ratios of requests/s and p99 in one line
# The hdr lane's API: pass-through through one trivial policy, what any policy's route costs.
put_hdr_api() {
  put_api hdr "id: hdr
basePath: /hdr
upstream: { url: 'http://127.0.0.1:$UP' }
policies:
  - type: set-headers
    request: { set: { X-Bench: '1' } }"
}

summarize() {
  awk -v label="$1" -v peer="$2" '
    { who=$1; for (i=2;i<=NF;i++){ split($i,kv,"="); v[kv[1]]=kv[2] }
      rps[who]+=v["rps"]; p99[who]+=v["p99_ms"]; n[who]++; bad[who]+=v["non2xx3xx"]+v["errors"] }
    END { rn=rps["nginx"]/n["nginx"]; rm=rps["meridian"]/n["meridian"]; pn=p99["nginx"]/n["nginx"]; pm=p99["meridian"]/n["meridian"];
          printf "SUMMARY %s%s_rps=%.0f meridian_rps=%.0f ratio=%.2f nginx_p99_ms=%.2f meridian_p99_ms=%.2f p99_ratio=%.2f failures_nginx=%d failures_meridian=%d\n",
                 label, peer, rn, rm, rm/rn, pn, pm, pm/pn, bad["nginx"], bad["meridian"] }'
}

# interleave ROUNDS DUR CONNS PEER_URL MERIDIAN_URL: nginx, Meridian, nginx, ... each line
# printed and collected; prints the collected lines on fd 3 for summarize
interleave() {
  local rounds=$1 dur=$2 conns=$3 peer_url=$4 meridian_url=$5 r n m
  for r in $(seq "$rounds"); do
    sleep 2; n=$("$shared/bench.sh" "$peer_url" "$dur" "$conns"); echo "nginx    $n" >&2; echo "nginx $n" >&3
    sleep 2; m=$("$shared/bench.sh" "$meridian_url" "$dur" "$conns"); echo "meridian $m" >&2; echo "meridian $m" >&3
  done
}
