#!/usr/bin/env bash
# A stand-in identity provider for the demo: makes an RSA key, writes its JWKS to DIR/public/jwks.json
# (serve DIR/public over HTTP; the key stays in DIR) and prints one RS256 token for issuer https://idp.demo/, audience orders,
# subject demo-user, scope orders:read, valid for a day. Needs openssl and python3.
# Usage: examples/demo-idp.sh DIR
set -euo pipefail
dir=${1:?usage: demo-idp.sh DIR}
mkdir -p "$dir/public"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/key.pem" 2>/dev/null
modulus=$(openssl rsa -in "$dir/key.pem" -noout -modulus | cut -d= -f2)
python3 - "$modulus" >"$dir/public/jwks.json" <<'PY'
import base64, json, sys
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
print(json.dumps({"keys": [{"kty": "RSA", "kid": "demo-1", "use": "sig", "alg": "RS256",
                            "n": b64(bytes.fromhex(sys.argv[1])), "e": b64((65537).to_bytes(3, "big"))}]}))
PY
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
head=$(printf '{"alg":"RS256","kid":"demo-1","typ":"JWT"}' | b64url)
body=$(printf '{"iss":"https://idp.demo/","aud":"orders","sub":"demo-user","scope":"orders:read","iat":%d,"exp":%d}' "$now" $((now + 86400)) | b64url)
sig=$(printf '%s.%s' "$head" "$body" | openssl dgst -sha256 -sign "$dir/key.pem" -binary | b64url)
echo "$head.$body.$sig"
