#!/usr/bin/env bash
# Invalidating one tag that covers ENTRIES (1,000,000) cached responses on a three-node
# cluster from the distribution, under load on another API:
#  - fills the cache through all three nodes (wrk, one sequential key range per node),
#  - measures p99 of cache hits on the other API: steady (the median of STEADY_WINDOWS windows),
#    then (windows of the same length, the worst one counts) from just before the tag is invalidated until its entries are purged
#    in the background; and pooled: the p99 of all the requests of the steady windows next to the
#    p99 of all the requests sent while the purge ran (every window's latency distribution, pooled),
#    which is the issue's "p99 of other traffic while a million entries are purged",
#  - prints the invalidation's answer time, checks that no node serves a covered entry right
#    after it, how long the physical purge took, the body size and each node's heap, and per
#    window the CPU each node's JIT compiler threads used (jit_cpu) and when it started (started,
#    epoch seconds: to line windows up with a node's -XX:+LogCompilation log via EXTRA_JAVA_OPTS).
#
# Usage: bench/invalidate.sh [ENTRIES=1000000] [DURATION_S=20]
# Env:   SHARED_BENCH, HEAP (per node, default 4g), CONNECTIONS (default 32), STEADY_WINDOWS (3),
#        PROFILE=1: a JFR recording (settings=profile) of every node from the invalidation to the
#        end of the purge, in target/bench-invalidate/n<i>/purge.jfr;
#        WARM=N: an experiment, not the measurement: before the steady window, N entries of a
#        third API (tag "warm") are stored through the three nodes, invalidated and purged, so
#        that the measured invalidation and purge run on code every node has compiled already
#        (is the first window's p99 the first purge after boot?);
#        CONTROL=N: the control, not the measurement: N windows of the same load with nothing
#        invalidated (what the worst of N windows is without a purge: 1.21x in one run);
#        MAX_WINDOWS (20): windows during the purge at most (a slower pace needs more)
# The upstream says max-age=60; the APIs ignore it (respectCacheControl: false) so that nothing
# expires during the run and every entry that leaves the map was purged.
# Needs: wrk, nginx, curl, a built distribution.
set -euo pipefail
entries=${1:-1000000} dur=${2:-20} conns=${CONNECTIONS:-32} heap=${HEAP:-4g}
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
shared=${SHARED_BENCH:-$repo/../shared/bench}
work=$repo/target/bench-invalidate UP=19300 PASSWORD=bench-$$
for t in wrk nginx curl; do command -v $t >/dev/null || { echo "$0: $t missing" >&2; exit 2; }; done
tarball=$(ls "$repo"/karaf-assembly/target/meridian-*.tar.gz 2>/dev/null | head -1)
[[ -n $tarball ]] || { echo "$0: build first: mvn install -DskipTests" >&2; exit 2; }
http() { echo $((19300 + $1 * 10)); }
admin() { echo $((19301 + $1 * 10)); }
members="127.0.0.1:5941,127.0.0.1:5942,127.0.0.1:5943"

cleanup() {
  for i in 1 2 3; do [[ -x $work/n$i/bin/stop ]] && "$work/n$i/bin/stop" >/dev/null 2>&1 || true; done
  RUN_DIR=$work/upstream "$shared/upstream.sh" stop $UP >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
rm -rf "$work" && mkdir -p "$work"
RUN_DIR=$work/upstream "$shared/upstream.sh" start $UP >/dev/null
for i in 1 2 3; do
  mkdir -p "$work/n$i" && tar xzf "$tarball" -C "$work/n$i" --strip-components=1
  MERIDIAN_HTTP_PORT=$(http $i) MERIDIAN_ADMIN_PORT=$(admin $i) MERIDIAN_SSH_PORT=0 MERIDIAN_ADMIN_PASSWORD=$PASSWORD \
    MERIDIAN_NODE_NAME=inv$i MERIDIAN_HEAP=$heap MERIDIAN_ACCESS_LOG=off MERIDIAN_CLUSTER_NAME=bench-invalidate \
    MERIDIAN_CLUSTER_PORT=594$i MERIDIAN_CLUSTER_MEMBERS=$members MERIDIAN_CLUSTER_SECRET="bench-$$" \
    EXTRA_JAVA_OPTS="-Xlog:gc:file=$work/n$i/gc.log:uptime,level ${EXTRA_JAVA_OPTS:-}" "$work/n$i/bin/start"
done
for i in 1 2 3; do
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$(admin $i)/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  # a node whose admin plane never came up (seen once: pax-web's whiteboard without its default
  # context, every admin servlet "No matching target context") would stall the fill for ever
  curl -fs "http://127.0.0.1:$(admin $i)/ready" >/dev/null 2>&1 \
    || { echo "$0: node inv$i not ready after 150 s (its log: $work/n$i/data/log/karaf.log)" >&2; exit 1; }
done
api() {
  curl -fsS -u "admin:$PASSWORD" -H 'Content-Type: application/yaml' -X PUT \
    "http://127.0.0.1:$(admin 1)/api/v1/apis/$1?wait=all" --data-binary "$2" >/dev/null
}
# maxBytes: 4 KiB an entry, far above what they take, so that the byte bound (256 MiB by default)
# evicts nothing: the run measures the purge, not a byte-bound pass trimming the map all along
api bulk "id: bulk
basePath: /bulk
upstream: { url: 'http://127.0.0.1:$UP/' }
cache: { ttl: 1h, respectCacheControl: false, tags: [bulk], maxEntries: $((entries * 2)), maxBytes: $(( (entries * 4 + 1023) / 1024 + 1 ))m }"
api other "id: other
basePath: /other
upstream: { url: 'http://127.0.0.1:$UP/' }
cache: { ttl: 1h, respectCacheControl: false }"
body=$(curl -fsS "http://127.0.0.1:$(http 1)/bulk/k0" | wc -c)

echo "# filling $entries entries of $body bytes through three nodes"
fill_start=$(date +%s)
per=$(( (entries + 2) / 3 ))
for i in 1 2 3; do
  from=$(( (i - 1) * per + 1 )); to=$(( i * per < entries ? i * per : entries ))
  cat > "$work/fill$i.lua" <<LUA
local from, to, threads = $from, $to, 2
local n = 0
local counter = 1
-- "id" stays a global: setup() sets it in each thread's state before init() runs there
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) n = from + (id - 1) end
request = function()
  local k = n; n = n + threads
  if n > to then n = from + (id - 1) end -- past the range: hits, until the fill is stopped
  return wrk.format("GET", "/bulk/k" .. k)
end
LUA
  timeout 1200 wrk -t2 -c16 -d1200s -s "$work/fill$i.lua" "http://127.0.0.1:$(http $i)/" >"$work/fill$i.out" 2>&1 &
done
stored_total() {
  local sum=0 i v
  for i in 1 2 3; do
    v=$(curl -fsS "http://127.0.0.1:$(admin $i)/metrics" | awk '/^meridian_cache_stored_total\{api="bulk"\}/ {print $2}')
    sum=$((sum + ${v:-0}))
  done
  echo $sum
}
while (( $(stored_total) < entries )) && pgrep -f "fill[123].lua" >/dev/null; do sleep 2; done
pkill -f "fill[123].lua" || true
wait
fill_s=$(( $(date +%s) - fill_start ))
stat() { curl -fsS -u "admin:$PASSWORD" "http://127.0.0.1:$(admin 1)/api/v1/cache/stats"; }
count() { stat | tr '{' '\n' | awk -F'"entries":' '/"api":"bulk"/ { split($2, a, ","); print a[1] }'; }
stored=$(count)
echo "filled in ${fill_s}s: $stored entries in the cluster's map"
heaps=""
for i in 1 2 3; do
  h=$(curl -fsS "http://127.0.0.1:$(admin $i)/metrics" | awk '/^jvm_heap_used_bytes/ {printf "%.0f", $2/1048576}')
  heaps="$heaps inv$i=${h}MiB"
done
echo "heap used:$heaps (of $heap each)"
if (( ${WARM:-0} > 0 )); then
  api warm "id: warm
basePath: /warm
upstream: { url: 'http://127.0.0.1:$UP/' }
cache: { ttl: 1h, respectCacheControl: false, tags: [warm] }"
  warm_count() { stat | tr '{' '\n' | awk -F'"entries":' '/"api":"warm"/ { split($2, a, ","); print a[1] }'; }
  for i in 1 2 3; do
    cat > "$work/warm$i.lua" <<LUA
local n = $i
request = function() local k = n; n = n + 3; return wrk.format("GET", "/warm/k" .. k) end
LUA
    timeout 600 wrk -t1 -c4 -d600s -s "$work/warm$i.lua" "http://127.0.0.1:$(http $i)/" >/dev/null 2>&1 &
  done
  while (( $(warm_count) < WARM )) && pgrep -f "warm[123].lua" >/dev/null; do sleep 1; done
  pkill -f "warm[123].lua" || true
  wait
  echo "warm-up: $(warm_count) entries of API warm; $(curl -fsS -u "admin:$PASSWORD" -H 'Content-Type: application/json' -X POST \
    "http://127.0.0.1:$(admin 2)/api/v1/cache/invalidate" --data '{"tags":["warm"]}')"
  warm_start=$(date +%s)
  # a tag's purge goes through every cached API's map (bulk's scan finds nothing): until all three are done
  for _ in $(seq 600); do
    (( $(cat "$work"/n*/data/log/*.log 2>/dev/null | grep -c "invalidated entries purged in" || true) >= 3 )) && break
    sleep 1
  done
  echo "warm-up purged in $(( $(date +%s) - warm_start )) s, $(warm_count) entries of API warm left"
fi
other_count() { stat | tr '{' '\n' | awk -F'"entries":' '/"api":"other"/ { split($2, a, ","); print a[1] }'; }

# warm the other API: 1000 keys on every node
cat > "$work/other.lua" <<'LUA'
math.randomseed(os.time())
request = function() return wrk.format("GET", "/other/k" .. math.random(1, 1000)) end
-- this window's latency distribution as "<microseconds> <requests>" lines, so that windows can
-- be pooled into one distribution: wrk 4.1's Lua gives percentiles, not its histogram, so each
-- line is one quantile step (0.01% above p90, 0.5% below) weighted by the requests in it
done = function(summary, latency, requests)
  local out = os.getenv("WRK_HIST")
  if out == nil or out == "" then return end
  local f = assert(io.open(out, "w"))
  local function step(from, to, by)
    for q = from + by, to + by / 2, by do
      f:write(string.format("%d %.3f\n", latency:percentile(math.min(q, 100)), summary.requests * by / 100))
    end
  end
  step(0, 90, 0.5)
  step(90, 100, 0.01)
  f:close()
end
LUA
for i in 1 2 3; do timeout 60 wrk -t1 -c8 -d5s -s "$work/other.lua" "http://127.0.0.1:$(http $i)/" >/dev/null; done
load() { WRK_HIST=${1:-} timeout $((dur + 30)) wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$work/other.lua" "http://127.0.0.1:$(http 1)/"; }
p99() { awk '/^ +99%/ { v=$2; if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /us$/) { sub(/us/, "", v); v=v/1000 } else if (v ~ /s$/) { sub(/s/, "", v); v=v*1000 } print v }'; }
rps() { awk '/Requests\/sec/ {print $2}'; }

pid_of() { pgrep -f "karaf.base=$work/n$1( |$)" | head -1; }
# young/full collections and their seconds so far, per node (jstat: YGC YGCT FGC FGCT)
gcs() { local i; for i in 1 2 3; do jstat -gc "$(pid_of $i)" | awk 'NR==2 {print $(NF-6), $(NF-5), $(NF-4), $(NF-3)}'; done; }
gc_delta() { # BEFORE AFTER: "inv1=<young>y/<ms>ms+<full>f/<ms>ms ..."
  paste -d' ' <(echo "$1") <(echo "$2") | awk '{ printf "inv%d=%dy/%.0fms+%df/%.0fms%s", NR, $5-$1, ($6-$2)*1000, $7-$3, ($8-$4)*1000, (NR<3?",":"") }'
}
# CPU seconds (user+system) of every process now: "pid ticks" lines
ticks() { { cat /proc/[0-9]*/stat 2>/dev/null || true; } | sed 's/^\([0-9]*\) (.*) [A-Za-z] /\1 /' | awk '{print $1, $12 + $13}'; }
hz=$(getconf CLK_TCK)
# CPU ticks of the JIT compiler threads of each node so far: "<inv1> <inv2> <inv3>"
jit() {
  local i t sum out=""
  for i in 1 2 3; do
    sum=0
    for t in /proc/"$(pid_of $i)"/task/*; do
      case $(cat "$t/comm" 2>/dev/null) in C1\ Compil*|C2\ Compil*) sum=$((sum + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0))) ;; esac
    done
    out="$out $sum"
  done
  echo "${out# }"
}
node_cpu() { # BEFORE AFTER: CPU seconds of each node between two ticks snapshots
  local i out=""
  for i in 1 2 3; do
    out="$out inv$i=$(awk -v p="$(pid_of $i)" -v hz="$hz" 'NR==FNR { if ($1==p) b=$2; next } $1==p { printf "%.1fs", ($2-b)/hz }' <(echo "$1") <(echo "$2"))"
  done
  echo "${out# }"
}
others() { # BEFORE AFTER: processes outside this run that used more than 0.5 s of CPU in between
  local mine=" $(pid_of 1) $(pid_of 2) $(pid_of 3) $$ $(pgrep -d' ' -x wrk) $(pgrep -d' ' -x nginx) "
  awk -v hz="$hz" -v mine="$mine" 'NR==FNR { b[$1]=$2; next } ($1 in b) && index(mine, " " $1 " ")==0 && ($2-b[$1])/hz > 0.5 { printf "%s %.1f\n", $1, ($2-b[$1])/hz }' \
    <(echo "$1") <(echo "$2") | sort -k2 -rn | head -5 | while read -r pid s; do
      printf '%s=%ss ' "$(describe "$pid")" "$s"
    done
}
describe() { # PID: the command, for java its main class and whose directory (Maven project, Karaf base)
  tr '\0' '\n' </proc/$1/cmdline 2>/dev/null | awk '
    NR==1 { n=$0; sub(/.*\//, "", n) }
    n=="java" && /^-Dmaven.multiModuleProjectDirectory=|^-Dkaraf.base=|^-Dbasedir=/ { d=$0; sub(/^[^=]*=/, "", d) }
    n=="java" && /^[a-zA-Z_][a-zA-Z0-9_$]*(\.[a-zA-Z0-9_$]+)+$/ && !/^java\.se$/ { m=$0 }
    END { if (m != "") { sub(/.*\./, "", m); n=n ":" m } if (d != "") n=n "@" d; print n }' | cut -c1-80
}
# the fill leaves its own garbage in the old generation (ParallelGC collects it only in a full
# collection, 0.5-1.9 s on these heaps, which then fell at random in the steady or the purge
# windows): one full collection on every node now, so that both start from the same heap
for i in 1 2 3; do jcmd "$(pid_of $i)" GC.run >/dev/null; done
live=""
for i in 1 2 3; do
  h=$(curl -fsS "http://127.0.0.1:$(admin $i)/metrics" | awk '/^jvm_heap_used_bytes/ {printf "%.0f", $2/1048576}')
  live="$live inv$i=${h}MiB"
done
echo "heap used after a full collection:$live"
echo "other API: $(other_count) entries in the map"
# Steady is the median of STEADY_WINDOWS (3) windows of the same load back to back: one window's
# p99 moved 3.2-4.6 ms between runs of the same build (2026-12-05), and the ratio's denominator
# should not be one sample when its numerator is the worst of ten.
sw=${STEADY_WINDOWS:-3}
echo "# steady: $sw windows of ${dur}s of hits on another API, the median"
gc0=$(gcs); t0=$(ticks); j0=$(jit)
steady_p99s="" steady_rpss=""
for w in $(seq "$sw"); do
  steady=$(load "$work/steady$w.hist"); p=$(p99 <<<"$steady"); r=$(rps <<<"$steady")
  echo "steady window $w: rps=$r p99_ms=$p"
  steady_p99s="$steady_p99s $p" steady_rpss="$steady_rpss $r"
done
gc1=$(gcs); t1=$(ticks); j1=$(jit)
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR]=$1 } END { print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2 }'; }
steady_p99=$(median <<<"$steady_p99s"); steady_rps=$(median <<<"$steady_rpss")
echo "steady (median of $sw): rps=$steady_rps p99_ms=$steady_p99 jit_cpu=$(paste -d' ' <(echo "$j0") <(echo "$j1") | awk -v hz="$hz" '{ printf "inv1=%.1fs,inv2=%.1fs,inv3=%.1fs", ($4-$1)/hz, ($5-$2)/hz, ($6-$3)/hz }')"

echo "# the same load while tag 'bulk' ($stored entries) is invalidated and purged"
# windows of the same load back to back, from 3 s before the invalidation until the purge is
# over (a window starts only while it runs; at most MAX_WINDOWS): "during" is the worst window's p99
rm -f "$work/purged"
( w=1; jit >"$work/jit0"; date +%s >"$work/start1"; load "$work/during1.hist" >"$work/during1.out"; jit >"$work/jit1"
  while [[ ! -e $work/purged ]] && (( w < ${CONTROL:-${MAX_WINDOWS:-20}} )); do
    w=$((w + 1)); date +%s >"$work/start$w"; load "$work/during$w.hist" >"$work/during$w.out"; jit >"$work/jit$w"
  done ) &
loadpid=$!
sleep 3
if [[ -n ${PROFILE:-} ]]; then
  for i in 1 2 3; do jcmd "$(pid_of $i)" JFR.start name=purge settings=profile filename="$work/n$i/purge.jfr" >/dev/null; done
fi
t2=$(ticks)
if (( ${CONTROL:-0} > 0 )); then
  # the control: the same windows, nothing invalidated (what the worst of N windows is without a purge)
  answer='{"control":true}' served=0 purged_s=""
else
  answer=$(curl -fsS -u "admin:$PASSWORD" -H 'Content-Type: application/json' -X POST \
    "http://127.0.0.1:$(admin 2)/api/v1/cache/invalidate" --data '{"tags":["bulk"]}')
  purge_start=$(date +%s%N)
  echo "answer: $answer"
  served=0
  for i in 1 2 3; do
    # keys no other node asked for since the answer (a key refetched by one node is a fresh hit on the next)
    for k in $((10 + i)) $((entries / 2 + i)) $((entries - 10 + i)); do
      x=$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$(http $i)/bulk/k$k" | awk 'tolower($1)=="x-cache:" {print $2}' | tr -d '\r')
      [[ $x == HIT ]] && served=$((served + 1))
    done
  done
  purged_s=""
  for _ in $(seq $(( ${MAX_WINDOWS:-20} * 2 * (dur + 1) ))); do
    left=$(count); if (( left < stored / 100 )); then purged_s=$(awk -v s="$purge_start" -v e="$(date +%s%N)" 'BEGIN {printf "%.1f", (e-s)/1e9}'); t3=$(ticks); break; fi
    sleep 0.5
  done
  touch "$work/purged"
fi
wait $loadpid || true
t4=$(ticks)
gc2=$(gcs)
if [[ -n ${PROFILE:-} ]]; then
  for i in 1 2 3; do jcmd "$(pid_of $i)" JFR.stop name=purge >/dev/null; done
fi
echo "gc steady: $(gc_delta "$gc0" "$gc1")"
for i in 1 2 3; do # full collections after the one above, with their cause and the heap before -> after
  awk '/Pause Full \(Diagnostic Command\)/ { n=NR } { l[NR]=$0 } END { for (i=n+1; i<=NR; i++) if (l[i] ~ /Pause Full/) print "full gc inv'"$i"': " l[i] }' "$work/n$i/gc.log"
done
echo "gc during: $(gc_delta "$gc1" "$gc2")"
echo "cpu of the nodes, steady ${sw}x${dur}s: $(node_cpu "$t0" "$t1")"
echo "cpu of the nodes, invalidation to purged: $(node_cpu "$t2" "${t3:-$t4}")"
echo "other processes, steady: $(others "$t0" "$t1")"
echo "other processes, during: $(others "$t1" "$t4")"
windows=$(ls "$work"/during*.out | wc -l)
for w in $(seq "$windows"); do
  jitcpu=$(paste -d' ' "$work/jit$((w - 1))" "$work/jit$w" 2>/dev/null | awk -v hz="$hz" '{ printf "inv1=%.1fs,inv2=%.1fs,inv3=%.1fs", ($4-$1)/hz, ($5-$2)/hz, ($6-$3)/hz }')
  echo "during window $w: rps=$(rps <"$work/during$w.out") p99_ms=$(p99 <"$work/during$w.out") jit_cpu=${jitcpu:-?} started=$(cat "$work/start$w")"
done
during_p99=$(for w in $(seq "$windows"); do p99 <"$work/during$w.out"; done | sort -g | tail -1)
# p99 of all the requests of several windows at once (ms), from their weighted quantile lines
pooled_p99() {
  sort -n "$@" | awk '{ v[NR] = $1; n[NR] = $2; t += $2 } END { for (i = 1; i <= NR; i++) { s += n[i]; if (s >= 0.99 * t) { printf "%.2f", v[i] / 1000; exit } } }'
}
steady_pooled=$(pooled_p99 "$work"/steady*.hist)
during_pooled=$(pooled_p99 "$work"/during*.hist)
during_rps=$(for w in $(seq "$windows"); do rps <"$work/during$w.out"; done | sort -g | head -1)
echo "other API after: $(other_count) entries in the map; bulk left: $(count)"
# the purge runs on the node that answered the invalidation; it logs what it did per map
grep -h "purge of" "$work"/n2/data/log/*.log 2>/dev/null | sed 's/.*cache map /purge (inv2): cache map /' || true
took=$(sed -n 's/.*"tookMs":\([0-9]*\).*/\1/p' <<<"$answer")
echo "during ($windows windows of ${dur}s, the worst): rps=$during_rps p99_ms=$during_p99"
echo "pooled: p99 of every request of the $sw steady windows ${steady_pooled} ms, of the $windows windows during ${during_pooled} ms"
awk -v e="$stored" -v b="$body" -v t="$took" -v s="$served" -v p="${purged_s:-none}" -v sp="$steady_p99" -v dp="$during_p99" -v h="$heaps" \
  -v spp="$steady_pooled" -v dpp="$during_pooled" 'BEGIN {
  printf "SUMMARY invalidate entries=%d body_bytes=%d answer_ms=%d covered_hits_after_answer=%d purge_s=%s steady_p99_ms=%.2f during_p99_ms=%.2f p99_ratio=%.2f pooled_steady_p99_ms=%.2f pooled_during_p99_ms=%.2f pooled_p99_ratio=%.2f heap=%s\n",
         e, b, t, s, p, sp, dp, dp/sp, spp, dpp, dpp/spp, h }'
