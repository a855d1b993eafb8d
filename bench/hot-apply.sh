#!/usr/bin/env bash
# The hot-deploy claim under load (CONTRACT §4): wrk keeps 64 connections busy through Meridian
# while APPLIES revisions are applied (each changes the API's set-headers policy), and the same
# is done to the nginx peer with `nginx -s reload`. Prints steady p99, p99 during the changes,
# their ratio (target <= 1.5) and failures (target 0), for both.
#
# Usage: bench/hot-apply.sh [APPLIES=50] [INTERVAL_S=0.2] [STEADY_S=15]
# Needs: wrk, nginx, curl, a built distribution (mvn install -DskipTests).
set -euo pipefail
applies=${1:-50} every=${2:-0.2} steady=${3:-15}
source "$(dirname "$0")/lib.sh"
start_all

definition() {
  printf 'id: bench\nbasePath: /\nupstream: { url: "http://127.0.0.1:%s" }\npolicies:\n  - type: set-headers\n    response: { set: { X-Shape: "%s" } }\n' "$UP" "$1"
}
put_api bench "$(definition 0)"
counter=$work/shape; echo 0 > "$counter"
cat > "$work/apply-next.sh" <<SH
#!/usr/bin/env bash
n=\$((\$(cat "$counter") + 1)); echo \$n > "$counter"
curl -fsS -u "admin:$PASSWORD" -H 'Content-Type: application/yaml' -X PUT "http://127.0.0.1:$ADMIN/api/v1/apis/bench" \
  --data-binary "\$(printf 'id: bench\nbasePath: /\nupstream: { url: "http://127.0.0.1:$UP" }\npolicies:\n  - type: set-headers\n    response: { set: { X-Shape: "%s" } }\n' \$n)" >/dev/null
SH
chmod +x "$work/apply-next.sh"

echo "# warm-up"
"$shared/bench.sh" "http://127.0.0.1:$HTTP/" 10 >/dev/null
"$shared/bench.sh" "http://127.0.0.1:$PEER/" 10 >/dev/null

m_steady=$("$shared/bench.sh" "http://127.0.0.1:$HTTP/" "$steady"); echo "meridian steady  $m_steady"
m_apply=$("$shared/reload-under-load.sh" "http://127.0.0.1:$HTTP/" "$applies" "$every" -- "$work/apply-next.sh"); echo "meridian applies $m_apply"
n_steady=$("$shared/bench.sh" "http://127.0.0.1:$PEER/" "$steady"); echo "nginx steady     $n_steady"
n_apply=$(RUN_DIR=$work/peer "$shared/reload-under-load.sh" "http://127.0.0.1:$PEER/" "$applies" "$every" -- \
  env RUN_DIR="$work/peer" "$shared/peer-nginx.sh" reload $PEER); echo "nginx reloads    $n_apply"
shape=$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$HTTP/" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-shape"{print $2}')

printf '%s\n' "m $m_steady" "ma $m_apply" "n $n_steady" "na $n_apply" | awk -v shape="$shape" -v applied="$(cat "$counter")" '
  { for (i=2;i<=NF;i++){ split($i,kv,"="); v[$1,kv[1]]=kv[2] } }
  END { printf "SUMMARY meridian_p99_steady_ms=%s meridian_p99_applies_ms=%s meridian_ratio=%.2f meridian_failures=%d applies=%s last_shape=%s nginx_p99_steady_ms=%s nginx_p99_reloads_ms=%s nginx_ratio=%.2f nginx_failures=%d\n",
      v["m","p99_ms"], v["ma","p99_ms"], v["ma","p99_ms"]/v["m","p99_ms"], v["ma","non2xx3xx"]+v["ma","errors"], applied, shape,
      v["n","p99_ms"], v["na","p99_ms"], v["na","p99_ms"]/v["n","p99_ms"], v["na","non2xx3xx"]+v["na","errors"] }'
