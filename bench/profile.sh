#!/usr/bin/env bash
# Where Meridian's CPU goes, per request path: JFR (settings=profile) of one Meridian node under
# wrk, for pass-through (one API, no policies, no cache) and for cache hits (one URL), with the
# execution samples bucketed by the top frame's owner, and the hottest methods.
#
# Usage: bench/profile.sh [DURATION_S=15] [CONNECTIONS=64]
#   LANES="passthrough hits" (default) picks the lanes; "auth" is pass-through with a 700-byte
#   `Authorization: Bearer` header (what a JWT's bytes cost without any policy: bench/identity.sh);
#   "hdr" is pass-through through one trivial policy (set-headers: what the policy pipeline costs).
# Writes: target/bench/profile-<lane>.jfr and prints the tables.
# Needs: wrk, nginx, a built distribution, and a JDK 21+ `jfr` for `jfr view` (Temurin 25 is
#        looked up under /usr/lib/jvm; set JFR=/path/to/jfr otherwise).
set -euo pipefail
dur=${1:-15} conns=${2:-64}
source "$(dirname "$0")/lib.sh"
jfr=${JFR:-$(ls /usr/lib/jvm/temurin-2*/bin/jfr /usr/lib/jvm/*/bin/jfr 2>/dev/null | head -1)}
# the profile settings, sampling Java stacks every millisecond (instead of 10-20 ms) for enough samples
jfc=$work/profile-1ms.jfc
mkdir -p "$work"
sed '/<event name="jdk.ExecutionSample">/,/<\/event>/ s#<setting name="period"\([^>]*\)>[^<]*</setting>#<setting name="period"\1>1 ms</setting>#' \
  "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" > "$jfc"
# compiled code keeps debug information between safepoints, or JFR (started later, by jcmd)
# charges a sample to the nearest safepoint's frame: without it stacks named Jetty's connect
# callbacks and a branch the lane never takes
export EXTRA_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints ${EXTRA_JAVA_OPTS:-}"
MERIDIAN_ACCESS_LOG=${ACCESS_LOG:-} start_all
put_api pass "id: pass
basePath: /
upstream: { url: 'http://127.0.0.1:$UP' }"
put_api hits "id: hits
basePath: /hits
upstream: { url: 'http://127.0.0.1:$UP/' }
cache: { ttl: 1h }"
put_hdr_api
curl -fsS -o /dev/null "http://127.0.0.1:$HTTP/hits/item"
pid=$(pgrep -f "karaf.base=$node" | head -1)

profile() { # NAME URL [HEADER]
  HEADER=${3:-} "$shared/bench.sh" "$2" "$dur" "$conns" >/dev/null # warm-up
  jcmd "$pid" JFR.start name="$1" settings="$jfc" duration="${dur}s" filename="$work/profile-$1.jfr" >/dev/null
  echo "## $1: $(HEADER=${3:-} "$shared/bench.sh" "$2" "$dur" "$conns")"
  sleep 2
  "$jfr" print --events jdk.ExecutionSample "$work/profile-$1.jfr" | awk '
    /jdk.ExecutionSample/ { top=""; next }
    /line:/ && top=="" { top=$1; n++
      b = top ~ /^dev\.meridian/ ? "Meridian" \
        : top ~ /^org\.apache\.camel/ ? "Camel" \
        : top ~ /^org\.eclipse\.jetty\.http\./ ? "Jetty HTTP parse/generate" \
        : top ~ /^org\.eclipse\.jetty\.client/ ? "Jetty client" \
        : top ~ /^org\.eclipse\.jetty\.(server|io|util)/ ? "Jetty server, io, util" \
        : top ~ /^com\.hazelcast/ ? "Hazelcast" \
        : top ~ /^java\.util\.concurrent|LockSupport|Unsafe\.park|Unsafe\.unpark/ ? "j.u.c, park/unpark" \
        : top ~ /^(sun\.nio|java\.nio)/ ? "NIO" \
        : top ~ /^org\.ops4j\.pax\.logging|^org\.slf4j/ ? "logging" \
        : "JDK and other"
      c[b]++ }
    END { for (k in c) printf "%5.1f%%  %s\n", 100*c[k]/n, k | "sort -rn"; close("sort -rn"); printf "(%d samples)\n", n }'
  if "$jfr" view hot-methods "$work/profile-$1.jfr" >/dev/null 2>&1; then
    "$jfr" view --width 160 hot-methods "$work/profile-$1.jfr" | head -28
  fi
}
for lane in ${LANES:-passthrough hits}; do
  case $lane in
    passthrough) profile passthrough "http://127.0.0.1:$HTTP/" ;;
    hits) profile hits "http://127.0.0.1:$HTTP/hits/item" ;;
    hdr) profile hdr "http://127.0.0.1:$HTTP/hdr/" ;;
    # a token-sized credential (base64url, 700 bytes after "Bearer ") on the pass-through API
    auth) profile auth "http://127.0.0.1:$HTTP/" "Authorization: Bearer $(head -c 525 /dev/urandom | base64 -w0 | tr '+/' '-_')" ;;
    *) echo "$0: unknown lane $lane" >&2; exit 2 ;;
  esac
done
