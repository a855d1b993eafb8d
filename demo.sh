#!/usr/bin/env bash
# Builds Meridian, starts one node with the example API in front of a demo upstream, prints
# the URLs to try. Stop everything with: ./demo.sh stop
set -euo pipefail
cd "$(dirname "$0")"
DEMO=target/demo
HTTP=${MERIDIAN_HTTP_PORT:-8080}; ADMIN=${MERIDIAN_ADMIN_PORT:-8181}
export MERIDIAN_ADMIN_PASSWORD=${MERIDIAN_ADMIN_PASSWORD:-demo-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')}

stop() {
  [[ -x $DEMO/meridian/bin/stop ]] && "$DEMO/meridian/bin/stop" >/dev/null 2>&1 || true
  for pid in upstream idp; do
    [[ -f $DEMO/$pid.pid ]] && kill "$(cat "$DEMO/$pid.pid")" 2>/dev/null || true
    rm -f "$DEMO/$pid.pid"
  done
  echo "demo stopped"
}
if [[ ${1:-} == stop ]]; then stop; exit 0; fi

stop >/dev/null 2>&1 || true
mvn -q -B -ntp install -DskipTests
rm -rf "$DEMO" && mkdir -p "$DEMO/meridian"
tar xzf karaf-assembly/target/meridian-*.tar.gz -C "$DEMO/meridian" --strip-components=1

python3 -m http.server 9000 --bind 127.0.0.1 --directory examples/demo-upstream >"$DEMO/upstream.log" 2>&1 &
echo $! > "$DEMO/upstream.pid"
# the identity provider of the JWT example: a key, its JWKS on :9001, one token
TOKEN=$(examples/demo-idp.sh "$DEMO/idp")
python3 -m http.server 9001 --bind 127.0.0.1 --directory "$DEMO/idp/public" >"$DEMO/idp.log" 2>&1 &
echo $! > "$DEMO/idp.pid"

MERIDIAN_HTTP_PORT=$HTTP MERIDIAN_ADMIN_PORT=$ADMIN "$DEMO/meridian/bin/start"
echo -n "starting Meridian"
for _ in $(seq 180); do
  curl -fs "http://127.0.0.1:$ADMIN/ready" >/dev/null 2>&1 && break
  echo -n .; sleep 1
done
echo
curl -fsS -u "admin:$MERIDIAN_ADMIN_PASSWORD" -H 'Content-Type: application/yaml' \
  -X PUT --data-binary @examples/orders.api.yaml "http://127.0.0.1:$ADMIN/api/v1/apis/orders"
echo
curl -fsS -u "admin:$MERIDIAN_ADMIN_PASSWORD" -H 'Content-Type: application/yaml' \
  -X PUT --data-binary @examples/secure-orders.api.yaml "http://127.0.0.1:$ADMIN/api/v1/apis/secure-orders"
echo
cat <<TXT

Meridian is serving.
  console      http://127.0.0.1:$ADMIN/console/   (admin / $MERIDIAN_ADMIN_PASSWORD)
  traffic      curl -i http://127.0.0.1:$HTTP/orders/42
  with a JWT   curl -i http://127.0.0.1:$HTTP/secure/orders/42                (401: no token)
               curl -i -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$HTTP/secure/orders/42
  admin API    curl -u admin:$MERIDIAN_ADMIN_PASSWORD http://127.0.0.1:$ADMIN/api/v1/apis
  revisions    curl -u admin:$MERIDIAN_ADMIN_PASSWORD http://127.0.0.1:$ADMIN/api/v1/revisions
  readiness    curl http://127.0.0.1:$ADMIN/ready      metrics: http://127.0.0.1:$ADMIN/metrics
  web console  http://127.0.0.1:$ADMIN/system/console  (admin / $MERIDIAN_ADMIN_PASSWORD)
  shell        ssh -p 8101 admin@127.0.0.1   then: gateway:list
  logs         $DEMO/meridian/data/log/karaf.log
Stop it with: ./demo.sh stop
TXT
