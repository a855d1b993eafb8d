#!/usr/bin/env bash
# What identity costs: requests/s of one node through an API with the jwt policy (RS256 token,
# JWKS from a local server), one with the api-key policy (10,000 consumers applied), one with
# oauth2-introspection (an opaque token whose answer the cluster already holds: the cache-hit
# cost) and one plain pass-through API, next to the nginx peer, in front of the same upstream,
# interleaved in one run (nginx, pass, hdr, auth, jwt, key, intro, nginx, ...). Issue 12's goal:
# jwt and api-key at most 15% below pass-through.
# Lanes: pass = no policy; hdr = a trivial policy (set-headers: what any policy costs, the Camel
# pipeline); auth = no policy with the jwt lane's Authorization header (the bytes a 700-byte
# token adds to the request and to the upstream request, which the policy forwards).
#
# Usage: bench/identity.sh [DURATION_S=10] [ROUNDS=2] [CONNECTIONS=64] [CONSUMERS=10000]
#   PROFILE=1 also records each Meridian lane with JFR (Java stacks every millisecond) into
#   target/bench/identity-<lane>.jfr (the last round's): the figures of such a run include JFR's cost.
# Needs: wrk, nginx, curl, openssl, python3, a built distribution (mvn install -DskipTests).
set -euo pipefail
dur=${1:-10} rounds=${2:-2} conns=${3:-64} consumers=${4:-10000}
source "$(dirname "$0")/lib.sh"
JWKS_PORT=19090
keys=$work/identity; rm -rf "$keys"; mkdir -p "$keys/public"

# A signing key, its JWKS (served over HTTP on loopback) and one token valid for a day.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/key.pem" 2>/dev/null
modulus=$(openssl rsa -in "$keys/key.pem" -noout -modulus | cut -d= -f2)
python3 - "$modulus" >"$keys/public/jwks.json" <<'PY'
import base64, json, sys
n = bytes.fromhex(sys.argv[1])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
print(json.dumps({"keys": [{"kty": "RSA", "kid": "bench-1", "use": "sig", "alg": "RS256",
                            "n": b64(n), "e": b64((65537).to_bytes(3, "big"))}]}))
PY
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
head=$(printf '{"alg":"RS256","kid":"bench-1","typ":"JWT"}' | b64url)
body=$(printf '{"iss":"https://idp.bench/","aud":"orders","sub":"bench-user","scope":"orders:read","iat":%d,"exp":%d}' "$now" $((now + 86400)) | b64url)
sig=$(printf '%s.%s' "$head" "$body" | openssl dgst -sha256 -sign "$keys/key.pem" -binary | b64url)
token="$head.$body.$sig"

# The identity provider stand-in: the JWKS (GET) and an RFC 7662 endpoint (POST /introspect)
# that calls every token active for a day.
python3 - "$JWKS_PORT" "$keys/public/jwks.json" >/dev/null 2>&1 <<'PY' &
import http.server, json, sys, time
jwks = open(sys.argv[2], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, body, kind="application/json"):
        self.send_response(200); self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_GET(self):
        self.answer(jwks)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer(json.dumps({"active": True, "sub": "bench-user", "scope": "orders:read",
                                "exp": int(time.time()) + 86400}).encode())
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
jwks_pid=$!
trap 'kill $jwks_pid 2>/dev/null || true; cleanup' EXIT

# PROFILE: debug information between safepoints too, so JFR charges each sample to its own frame (profile.sh)
[[ -n ${PROFILE:-} ]] && export EXTRA_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints ${EXTRA_JAVA_OPTS:-}"
start_all
trap 'kill $jwks_pid 2>/dev/null || true; cleanup' EXIT
put_api pass "id: pass
basePath: /pass
upstream: { url: 'http://127.0.0.1:$UP' }"
# the same route with a trivial policy (set-headers): what any policy costs (the Camel pipeline),
# to tell it from what identity itself costs
put_hdr_api
put_api jwt "id: jwt
basePath: /jwt
upstream: { url: 'http://127.0.0.1:$UP' }
policies:
  - type: jwt
    jwksUrl: http://127.0.0.1:$JWKS_PORT/jwks.json
    issuer: https://idp.bench/
    audience: [orders]
    algorithms: [RS256]
    requiredScopes: [orders:read]"

put_api auth "id: auth
basePath: /auth
upstream: { url: 'http://127.0.0.1:$UP' }"
put_api intro "id: intro
basePath: /intro
upstream: { url: 'http://127.0.0.1:$UP' }
policies:
  - type: oauth2-introspection
    url: http://127.0.0.1:$JWKS_PORT/introspect
    clientId: gateway
    clientSecret: bench-secret
    requiredScopes: [orders:read]"
opaque=bench-opaque-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# $consumers consumers with one key each (stored as SHA-256), applied as one revision.
python3 - "$consumers" >"$keys/consumers.yaml" <<'PY'
import hashlib, sys
for i in range(int(sys.argv[1])):
    h = hashlib.sha256(f"bench-key-{i}".encode()).hexdigest()
    print(f"---\nkind: consumer\nid: c{i}\ngroups: [bench]\nkeys: [{{id: k{i}, hash: 'sha256:{h}'}}]")
PY
curl -fsS -u "admin:$PASSWORD" -H 'Content-Type: application/yaml' -X POST \
  "http://127.0.0.1:$ADMIN/api/v1/apply" --data-binary @"$keys/consumers.yaml" >/dev/null
put_api key "id: key
basePath: /key
upstream: { url: 'http://127.0.0.1:$UP' }
policies:
  - type: api-key
    allow: [bench]"
apikey=bench-key-$((consumers / 2))

check() { local code; code=$(curl -s -o /dev/null -w '%{http_code}' "$@"); [[ $code == 200 ]] || { echo "$0: $* answered $code" >&2; exit 1; }; }
check "http://127.0.0.1:$HTTP/pass/"
check "http://127.0.0.1:$HTTP/hdr/"
check -H "Authorization: Bearer $token" "http://127.0.0.1:$HTTP/jwt/"
check -H "X-Api-Key: $apikey" "http://127.0.0.1:$HTTP/key/"
check -H "Authorization: Bearer $token" "http://127.0.0.1:$HTTP/auth/"
check -H "Authorization: Bearer $opaque" "http://127.0.0.1:$HTTP/intro/"

# The node's CPU per request beside the requests/s: a lane's requests/s on this 2-core VM moves by
# 10-25% with the host's CPU steal (vmstat "st"), the node's CPU time per request much less; steal_pct
# says how disturbed a lane was.
pid=$(pgrep -f "karaf.base=$node" | head -1)
jfc=$work/profile-1ms.jfc
sed '/<event name="jdk.ExecutionSample">/,/<\/event>/ s#<setting name="period"\([^>]*\)>[^<]*</setting>#<setting name="period"\1>1 ms</setting>#' \
  "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" > "$jfc"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
box_ticks() { awk '/^cpu / {t=0; for (i=2;i<=NF;i++) t+=$i; print $9, t}' /proc/stat; }
run() { # WHO URL [HEADER]
  local who=$1 url=$2 line c0 c1 b0 b1 hz; sleep 2
  hz=$(getconf CLK_TCK); c0=$(cpu_ticks); b0=$(box_ticks)
  if [[ -n ${PROFILE:-} && $who != nginx ]]; then # JFR of the lane (the last round's file stays): figures then include JFR's cost
    jcmd "$pid" JFR.start name="$who" settings="$jfc" duration="${dur}s" filename="$work/identity-$who.jfr" >/dev/null
  fi
  line=$(HEADER=${3:-} "$shared/bench.sh" "$url" "$dur" "$conns")
  c1=$(cpu_ticks); b1=$(box_ticks)
  line="$line $(awk -v c="$((c1 - c0))" -v hz="$hz" -v b0="$b0" -v b1="$b1" -v l="$line" 'BEGIN {
    split(l, f, " "); for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
    split(b0, x, " "); split(b1, y, " ")
    printf "node_cpu_us_per_req=%.1f steal_pct=%.1f", c * 1e6 / hz / v["requests"], 100 * (y[1] - x[1]) / (y[2] - x[2]) }')"
  echo "$who $line" >&2; echo "$who $line"
}
echo "# warm-up ${dur}s each" >&2
for lane in "/pass/" "/hdr/" "/auth/|Authorization: Bearer $token" "/jwt/|Authorization: Bearer $token" \
    "/key/|X-Api-Key: $apikey" "/intro/|Authorization: Bearer $opaque"; do
  HEADER=${lane#*|}; [[ $lane == *"|"* ]] || HEADER=
  HEADER=$HEADER "$shared/bench.sh" "http://127.0.0.1:$HTTP${lane%%|*}" "$dur" "$conns" >/dev/null
done

lines=$(for r in $(seq "$rounds"); do
  run nginx "http://127.0.0.1:$PEER/"
  run pass "http://127.0.0.1:$HTTP/pass/"
  run hdr "http://127.0.0.1:$HTTP/hdr/"
  run auth "http://127.0.0.1:$HTTP/auth/" "Authorization: Bearer $token"
  run jwt "http://127.0.0.1:$HTTP/jwt/" "Authorization: Bearer $token"
  run key "http://127.0.0.1:$HTTP/key/" "X-Api-Key: $apikey"
  run intro "http://127.0.0.1:$HTTP/intro/" "Authorization: Bearer $opaque"
done)

awk '
  { who=$1; for (i=2;i<=NF;i++){ split($i,kv,"="); v[kv[1]]=kv[2] }
    rps[who]+=v["rps"]; p99[who]+=v["p99_ms"]; n[who]++; bad[who]+=v["non2xx3xx"]+v["errors"]
    cpu[who]+=v["node_cpu_us_per_req"]; st[who]+=v["steal_pct"] }
  END { for (w in rps) { r[w]=rps[w]/n[w]; p[w]=p99[w]/n[w]; u[w]=cpu[w]/n[w] }
        printf "CPU node_us_per_req pass=%.1f hdr=%.1f auth=%.1f jwt=%.1f key=%.1f intro=%.1f capacity_jwt_vs_pass=%.3f capacity_key_vs_pass=%.3f capacity_intro_vs_pass=%.3f capacity_auth_vs_pass=%.3f mean_steal_pct=%.1f\n",
               u["pass"], u["hdr"], u["auth"], u["jwt"], u["key"], u["intro"], u["pass"]/u["jwt"], u["pass"]/u["key"],
               u["pass"]/u["intro"], u["pass"]/u["auth"], (st["pass"]+st["hdr"]+st["auth"]+st["jwt"]+st["key"]+st["intro"])/(n["pass"]*6)
        printf "SUMMARY nginx_rps=%.0f pass_rps=%.0f hdr_rps=%.0f auth_rps=%.0f jwt_rps=%.0f key_rps=%.0f intro_rps=%.0f jwt_vs_pass=%.3f key_vs_pass=%.3f intro_vs_pass=%.3f hdr_vs_pass=%.3f auth_vs_pass=%.3f jwt_vs_auth=%.3f intro_vs_auth=%.3f jwt_vs_hdr=%.3f key_vs_hdr=%.3f pass_vs_nginx=%.2f p99_ms_pass=%.2f p99_ms_jwt=%.2f p99_ms_key=%.2f p99_ms_intro=%.2f failures=%d\n",
               r["nginx"], r["pass"], r["hdr"], r["auth"], r["jwt"], r["key"], r["intro"], r["jwt"]/r["pass"], r["key"]/r["pass"],
               r["intro"]/r["pass"], r["hdr"]/r["pass"], r["auth"]/r["pass"], r["jwt"]/r["auth"], r["intro"]/r["auth"],
               r["jwt"]/r["hdr"], r["key"]/r["hdr"], r["pass"]/r["nginx"],
               p["pass"], p["jwt"], p["key"], p["intro"], bad["pass"]+bad["hdr"]+bad["auth"]+bad["jwt"]+bad["key"]+bad["intro"] }' <<<"$lines"
