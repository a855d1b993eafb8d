#!/usr/bin/env bash
# What rate limiting costs: requests/s and p99 of one node through an API with the rate-limit
# policy (scope cluster: token leases from the node's Hazelcast member, a limit never reached),
# next to plain pass-through, a route with a trivial policy (set-headers: what any policy costs,
# the Camel pipeline), nginx pass-through and nginx with limit_req at a rate it never hits, all
# in front of the same upstream, interleaved in one run (nginx, nginx-limit, pass, hdr, rl, ...).
# Issue 13's goal: rate-limit adds at most 0.2 ms at p99.
#
# Usage: bench/ratelimit.sh [DURATION_S=10] [ROUNDS=2] [CONNECTIONS=64]
#   then the paced lanes: PACED_CONNS [16] connections each waiting PACE_MS [2] between requests
#   (below saturation: the latency a request pays, not the queue's); PACED_ONLY=1 runs only those.
# PAIRED=1: instead of all that, the paired lanes (PairedLatency.java): PAIRED_CONNS [8]
#   connections at PAIRED_RATE [3000] requests/s in all, each connection sending to /pass/,
#   /hdr/, /rl/ and a control (/hdr/ with 200 µs added to each recorded latency) in turn, ROUNDS rounds of DURATION_S; the added p99 is the median of the
#   per-round differences (noise that hits one request hits the three lanes alike).
# Run it only under both locks:
#   flock /tmp/meridian-build.lock flock /tmp/meridian-e2e.lock bench/ratelimit.sh
# Needs: wrk, nginx, curl, a built distribution (mvn install -DskipTests).
set -euo pipefail
dur=${1:-10} rounds=${2:-2} conns=${3:-64}
source "$(dirname "$0")/lib.sh"
# this script's own ports (19500-19599), apart from the other scripts' and the e2e tests'
UP=19500 PEER=19581 HTTP=19580 ADMIN=19591
LIMITED=19582
limited_dir=$work/peer-limit

stop_limited() {
  [[ -f $limited_dir/nginx.pid ]] && kill -QUIT "$(cat "$limited_dir/nginx.pid")" 2>/dev/null || true
  rm -f "$limited_dir/nginx.pid"
}
trap 'stop_limited; cleanup' EXIT
start_all
trap 'stop_limited; cleanup' EXIT

# nginx with limit_req: one zone keyed by client address, a rate no client reaches (1M r/s,
# burst 100k, nodelay), so every request pays the lookup and the accounting, none is refused
mkdir -p "$limited_dir"
user=""; ((EUID == 0)) && user="user $(id -un) $(id -gn);"
cat >"$limited_dir/nginx.conf" <<CONF
$user
worker_processes ${WORKERS:-auto};
pid $limited_dir/nginx.pid;
error_log $limited_dir/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $limited_dir/tmp-body; proxy_temp_path $limited_dir/tmp-proxy;
  fastcgi_temp_path $limited_dir/tmp-fcgi; uwsgi_temp_path $limited_dir/tmp-uwsgi; scgi_temp_path $limited_dir/tmp-scgi;
  keepalive_requests 100000;
  limit_req_zone \$binary_remote_addr zone=bench:10m rate=1000000r/s;
  upstream backend { server 127.0.0.1:$UP; keepalive 128; keepalive_requests 100000; }
  server {
    listen 127.0.0.1:$LIMITED backlog=4096;
    location / {
      limit_req zone=bench burst=100000 nodelay;
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
/usr/sbin/nginx -p "$limited_dir" -c "$limited_dir/nginx.conf" -e "$limited_dir/error.log" -t -q
/usr/sbin/nginx -p "$limited_dir" -c "$limited_dir/nginx.conf" -e "$limited_dir/error.log"

put_api pass "id: pass
basePath: /pass
upstream: { url: 'http://127.0.0.1:$UP' }"
put_hdr_api
put_api rl "id: rl
basePath: /rl
upstream: { url: 'http://127.0.0.1:$UP' }
policies:
  - type: rate-limit
    limit: 1000000000
    per: 1s
    key: ip
    scope: cluster"

check() { local code; code=$(curl -s -o /dev/null -w '%{http_code}' "$@"); [[ $code == 200 ]] || { echo "$0: $* answered $code" >&2; exit 1; }; }
check "http://127.0.0.1:$LIMITED/"
check "http://127.0.0.1:$HTTP/pass/"
check "http://127.0.0.1:$HTTP/hdr/"
check "http://127.0.0.1:$HTTP/rl/"
curl -s -D - -o /dev/null "http://127.0.0.1:$HTTP/rl/" | grep -i '^ratelimit' >&2

run() { # WHO URL
  local who=$1 url=$2 line; sleep 2
  line=$("$shared/bench.sh" "$url" "$dur" "$conns"); echo "$who $line" >&2; echo "$who $line"
}
echo "# warm-up ${dur}s each" >&2
for path in /pass/ /hdr/ /rl/; do "$shared/bench.sh" "http://127.0.0.1:$HTTP$path" "$dur" "$conns" >/dev/null; done

if [[ -n ${PAIRED:-} ]]; then
  java "$(dirname "$0")/PairedLatency.java" "127.0.0.1:$HTTP" /pass/,/hdr/,/rl/,/hdr/@200 \
    "${PAIRED_CONNS:-8}" "${PAIRED_RATE:-3000}" "$dur" "$rounds" 10
  exit
fi

# PACED_ONLY=1: only the paced lanes (below), for more rounds of them in the same time
lines=$([[ -n ${PACED_ONLY:-} ]] || for r in $(seq "$rounds"); do
  run nginx "http://127.0.0.1:$PEER/"
  run nginxlimit "http://127.0.0.1:$LIMITED/"
  run pass "http://127.0.0.1:$HTTP/pass/"
  run hdr "http://127.0.0.1:$HTTP/hdr/"
  run rl "http://127.0.0.1:$HTTP/rl/"
done)

# paced: PACED_CONNS connections each waiting PACE_MS between requests (well below saturation):
# the latency a request pays, where the closed loop above measures mostly the queue
paced() { # WHO URL
  local who=$1 url=$2 out line; sleep 1
  out=$(PACE_MS=${PACE_MS:-2} timeout -k 5 $((dur + 30)) wrk -t2 -c"${PACED_CONNS:-16}" -d"${dur}s" --timeout 2s \
    -s "$(dirname "$0")/paced.lua" "$url" 2>&1)
  line=$(grep '^SUMMARY ' <<<"$out" | sed 's/^SUMMARY //'); echo "paced-$who $line" >&2; echo "$who $line"
}
paced_lines=$(for r in $(seq "$rounds"); do
  paced pass "http://127.0.0.1:$HTTP/pass/"
  paced hdr "http://127.0.0.1:$HTTP/hdr/"
  paced rl "http://127.0.0.1:$HTTP/rl/"
done)

awk '
  { who=$1; for (i=2;i<=NF;i++){ split($i,kv,"="); v[kv[1]]=kv[2] }
    rps[who]+=v["rps"]; p50[who]+=v["p50_ms"]; p99[who]+=v["p99_ms"]; n[who]++; bad[who]+=v["non2xx3xx"]+v["errors"] }
  END { for (w in rps) { r[w]=rps[w]/n[w]; p[w]=p99[w]/n[w]; m[w]=p50[w]/n[w] }
        printf "PACED conns='"${PACED_CONNS:-16}"' pace_ms='"${PACE_MS:-2}"' pass_rps=%.0f hdr_rps=%.0f rl_rps=%.0f p50_ms_pass=%.3f p50_ms_hdr=%.3f p50_ms_rl=%.3f p99_ms_pass=%.3f p99_ms_hdr=%.3f p99_ms_rl=%.3f rl_added_p99_ms_vs_hdr=%.3f rl_added_p99_ms_vs_pass=%.3f failures=%d\n",
               r["pass"], r["hdr"], r["rl"], m["pass"], m["hdr"], m["rl"], p["pass"], p["hdr"], p["rl"], p["rl"]-p["hdr"], p["rl"]-p["pass"],
               bad["pass"]+bad["hdr"]+bad["rl"] }' <<<"$paced_lines"

[[ -n ${PACED_ONLY:-} ]] || awk '
  { who=$1; for (i=2;i<=NF;i++){ split($i,kv,"="); v[kv[1]]=kv[2] }
    rps[who]+=v["rps"]; p99[who]+=v["p99_ms"]; n[who]++; bad[who]+=v["non2xx3xx"]+v["errors"] }
  END { for (w in rps) { r[w]=rps[w]/n[w]; p[w]=p99[w]/n[w] }
        printf "SUMMARY nginx_rps=%.0f nginx_limit_rps=%.0f pass_rps=%.0f hdr_rps=%.0f rl_rps=%.0f rl_vs_pass=%.3f rl_vs_hdr=%.3f nginx_limit_vs_nginx=%.3f pass_vs_nginx=%.2f rl_vs_nginx_limit=%.2f p99_ms_nginx=%.2f p99_ms_nginx_limit=%.2f p99_ms_pass=%.2f p99_ms_hdr=%.2f p99_ms_rl=%.2f rl_added_p99_ms_vs_hdr=%.2f failures=%d\n",
               r["nginx"], r["nginxlimit"], r["pass"], r["hdr"], r["rl"], r["rl"]/r["pass"], r["rl"]/r["hdr"],
               r["nginxlimit"]/r["nginx"], r["pass"]/r["nginx"], r["rl"]/r["nginxlimit"],
               p["nginx"], p["nginxlimit"], p["pass"], p["hdr"], p["rl"], p["rl"]-p["hdr"],
               bad["nginx"]+bad["nginxlimit"]+bad["pass"]+bad["hdr"]+bad["rl"] }' <<<"$lines"
