#!/usr/bin/env bash
# Propagation of an apply across a three-node cluster (cluster issue): starts three Meridian
# nodes from the built distribution on loopback (one Hazelcast cluster), then applies APPLIES
# revisions of one API, round-robin through the three admin APIs. For each apply it measures,
# from just before the PUT is sent, the time until each node serves the new revision as seen
# from outside (X-Meridian-Revision on GET /prop/x, polled over a keep-alive connection per
# node, the three nodes in parallel, from t0 on). Prints per-node and overall p50/p99/max,
# misses (not seen within TIMEOUT_MS), the PUT call's own latency, the latency of as many PUTs
# interleaved with them that nobody polls (does polling slow the apply down?) and a SUMMARY line.
# Target: p99 <= 50 ms.
#
# Usage: bench/propagation.sh [APPLIES=200] [PAUSE_MS=20] [WARMUP=20] [TIMEOUT_MS=5000] [POLL_GAP_MS=0]
#        POLL_GAP_MS: sleep between two polls of a node (0: back to back)
#        COLD_BOOTS=N (env): instead, N times: boot three fresh nodes, time the first PUT ?wait=all and
#        until all three serve it (the first apply after a cold boot; target 200 ms), stop them;
#        the pollers keep POLL_GAP_MS between polls as in a normal run. Every normal run prints
#        that FIRST line too, before its warm-up.
#        POLLER=socket|jdk (env): how the pollers ask (default socket: a blocking keep-alive socket per node,
#        answers read on the polling thread; jdk: java.net.http's HttpClient, as before 2026-12-02's third session).
#        TARBALL=path (env): the distribution to run (default: karaf-assembly/target's), e.g. an
#        older build to compare with in the same hour.
# Needs: java 17 (JDK: the poller is a single-file source program), curl, a built distribution
#        (mvn install -DskipTests).
set -euo pipefail
applies=${1:-200} pause=${2:-20} warmup=${3:-20} timeout=${4:-5000} gap=${5:-0}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); repo=$(cd "$here/.." && pwd)
work=$repo/target/bench/cluster
PASSWORD=bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
NODES=(1 2 3)
http_port() { echo $((31600 + $1 * 10)); }  # below the ephemeral range (32768-60999)
admin_port() { echo $((31601 + $1 * 10)); }
MEMBERS=127.0.0.1:5951,127.0.0.1:5952,127.0.0.1:5953

for t in java curl; do command -v $t >/dev/null || { echo "$0: $t missing" >&2; exit 2; }; done
tarball=${TARBALL:-$(ls "$repo"/karaf-assembly/target/meridian-*.tar.gz 2>/dev/null | head -1)}
[[ -n $tarball ]] || { echo "$0: build first: mvn install -DskipTests" >&2; exit 2; }
for i in "${NODES[@]}"; do
  for p in $(http_port $i) $(admin_port $i); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; then echo "$0: port $p is in use" >&2; exit 2; fi
  done
done

stop_node() {
  local dir=$work/n$1 pid
  [[ -x $dir/bin/stop ]] && "$dir/bin/stop" >/dev/null 2>&1 || true
  pid=$(cat "$dir/karaf.pid" 2>/dev/null || true)
  [[ -n $pid ]] || return 0
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill "$pid" 2>/dev/null || true
}
cleanup() {
  for i in "${NODES[@]}"; do stop_node $i & done
  wait
}
trap cleanup EXIT

mkdir -p "$work"
# The poller: one thread per node, each with its own HttpClient (HTTP/1.1 keep-alive).
cat > "$work/Propagation.java" <<'JAVA'
import java.io.*;
import java.net.Socket;
import java.net.URI;
import java.net.http.*;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.*;

public class Propagation {
    static final long UNKNOWN = Long.MAX_VALUE, CANCEL = Long.MIN_VALUE, MISS = -1;
    static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");
    static int[] httpPorts, adminPorts;
    static String auth;
    static long timeoutNs, gapMs;
    static final AtomicLong pollErrors = new AtomicLong(), polls = new AtomicLong();

    public static void main(String[] a) throws Exception {
        int applies = Integer.parseInt(a[0]), pauseMs = Integer.parseInt(a[1]), warmup = Integer.parseInt(a[2]);
        timeoutNs = Long.parseLong(a[3]) * 1_000_000L;
        gapMs = Long.parseLong(a[7]);
        auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + a[4]).getBytes(StandardCharsets.UTF_8));
        httpPorts = Arrays.stream(a[5].split(",")).mapToInt(Integer::parseInt).toArray();
        adminPorts = Arrays.stream(a[6].split(",")).mapToInt(Integer::parseInt).toArray();
        int n = httpPorts.length;
        boolean jdk = a.length > 8 && a[8].equals("jdk");
        Probe[] traffic = new Probe[n];
        HttpClient[] admin = new HttpClient[n];
        for (int i = 0; i < n; i++) {
            traffic[i] = jdk ? new JdkProbe(httpPorts[i]) : new SocketProbe(httpPorts[i]);
            admin[i] = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        long prev = first(pool, traffic, admin[0], adminPorts[0]);
        if (applies == 0) {
            pool.shutdownNow();
            return;
        }
        double[][] lat = new double[n][applies];
        double[] putMs = new double[applies];
        int[] misses = new int[n];
        int putFailures = 0;
        List<Double> bare = new ArrayList<>();
        for (int k = -warmup; k < applies; k++) {
            boolean measured = k >= 0;
            int via = Math.floorMod(k, n);
            AtomicLong target = new AtomicLong(UNKNOWN);
            long t0 = System.nanoTime();
            final long before = prev;
            List<Future<Long>> seen = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                final int node = i;
                seen.add(pool.submit(() -> poll(traffic[node], httpPorts[node], t0, before, target)));
            }
            long rev;
            try {
                rev = put(admin[via], adminPorts[via], Integer.toString(k));
            } catch (Exception e) {
                rev = CANCEL;
                if (measured && putFailures < 3) System.err.println("apply " + k + " failed: " + e.getMessage());
            }
            long putNs = System.nanoTime() - t0;
            target.set(rev);
            for (int i = 0; i < n; i++) {
                long ns = seen.get(i).get();
                if (!measured) continue;
                if (rev == CANCEL) { lat[i][k] = Double.NaN; continue; }
                if (ns == MISS) { misses[i]++; lat[i][k] = Double.NaN; continue; }
                lat[i][k] = ns / 1e6;
            }
            if (rev == CANCEL) { if (measured) { putFailures++; putMs[k] = Double.NaN; } }
            else {
                prev = rev;
                if (measured) putMs[k] = putNs / 1e6;
            }
            Thread.sleep(pauseMs);
            if (!measured) continue;
            // Interleaved: the same PUT with nobody polling (how much do the pollers slow the apply?).
            long b0 = System.nanoTime();
            try {
                prev = put(admin[via], adminPorts[via], "bare-" + k);
                bare.add((System.nanoTime() - b0) / 1e6);
            } catch (Exception e) {
                if (putFailures < 3) System.err.println("unpolled apply " + k + " failed: " + e.getMessage());
                putFailures++;
            }
            Thread.sleep(pauseMs);
        }
        pool.shutdownNow();

        List<Double> all = new ArrayList<>(), viaNode = new ArrayList<>(), others = new ArrayList<>();
        List<double[]> samples = new ArrayList<>(); // ms, apply, node, via
        for (int i = 0; i < n; i++) {
            List<Double> v = new ArrayList<>();
            for (int k = 0; k < applies; k++) {
                double x = lat[i][k];
                if (Double.isNaN(x)) continue;
                v.add(x); all.add(x);
                (Math.floorMod(k, n) == i ? viaNode : others).add(x);
                samples.add(new double[] {x, k, i, Math.floorMod(k, n)});
            }
            System.out.printf("pn%d (http %d)   %s misses=%d%n", i + 1, httpPorts[i], stats(v), misses[i]);
        }
        System.out.printf("all nodes        %s misses=%d%n", stats(all), Arrays.stream(misses).sum());
        System.out.printf("  node applied on %s%n", stats(viaNode));
        System.out.printf("  other two nodes %s%n", stats(others));
        List<Double> puts = new ArrayList<>();
        for (double x : putMs) if (!Double.isNaN(x)) puts.add(x);
        List<Double> lastNode = new ArrayList<>();
        for (int k = 0; k < applies; k++) {
            double m = 0;
            for (int i = 0; i < n; i++) m = Double.isNaN(lat[i][k]) || Double.isNaN(m) ? Double.NaN : Math.max(m, lat[i][k]);
            if (!Double.isNaN(m)) lastNode.add(m);
        }
        System.out.printf("  all 3 serve it  %s%n", stats(lastNode));
        System.out.printf("PUT call itself  %s failures=%d%n", stats(puts), putFailures);
        System.out.printf("PUT, no polling  %s%n", stats(bare));
        samples.sort((x, y) -> Double.compare(y[0], x[0]));
        StringBuilder s = new StringBuilder("slowest:");
        for (int j = 0; j < Math.min(5, samples.size()); j++) {
            double[] x = samples.get(j);
            s.append(String.format(" %.1fms(apply %d, pn%d, via pn%d)", x[0], (int) x[1], (int) x[2] + 1, (int) x[3] + 1));
        }
        System.out.println(s);
        System.out.printf("polls=%d poll_errors=%d last_revision=%d%n", polls.get(), pollErrors.get(), prev);
        Collections.sort(all); Collections.sort(puts); Collections.sort(bare);
        int missTotal = Arrays.stream(misses).sum();
        double p99 = pct(all, 0.99);
        System.out.printf(Locale.ROOT, "SUMMARY applies=%d nodes=%d prop_p50_ms=%.1f prop_p99_ms=%.1f prop_max_ms=%.1f misses=%d "
                + "put_p50_ms=%.1f put_p99_ms=%.1f put_nopoll_p50_ms=%.1f put_nopoll_p99_ms=%.1f put_failures=%d target_p99_ms=50 pass=%s%n",
            applies, n, pct(all, 0.5), p99, all.isEmpty() ? Double.NaN : all.get(all.size() - 1), missTotal,
            pct(puts, 0.5), pct(puts, 0.99), pct(bare, 0.5), pct(bare, 0.99), putFailures, p99 <= 50 && missTotal == 0 && putFailures == 0 ? "yes" : "no");
    }

    /**
     * The first apply after a cold boot: PUT ?wait=all through the first node while every node is
     * polled from t0 on; prints how long the PUT took and when each node (and the last) served it.
     */
    static long first(ExecutorService pool, Probe[] traffic, HttpClient admin, int adminPort) throws Exception {
        int n = traffic.length;
        // this program's own HTTP clients are cold too (a fresh JVM): one request on each before t0,
        // so that the figure is the gateway's first apply, not this JVM's first connection
        for (int i = 0; i < n; i++) {
            traffic[i].revision();
        }
        admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/api/v1/apis")).header("Authorization", auth)
            .GET().build(), HttpResponse.BodyHandlers.discarding());
        AtomicLong target = new AtomicLong(UNKNOWN);
        long t0 = System.nanoTime();
        List<Future<Long>> seen = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int node = i;
            seen.add(pool.submit(() -> poll(traffic[node], httpPorts[node], t0, 0, target)));
        }
        long rev;
        try {
            rev = put(admin, adminPort, "init", "?wait=all");
        } catch (Exception e) {
            target.set(CANCEL);
            throw e;
        }
        double putMs = (System.nanoTime() - t0) / 1e6;
        target.set(rev);
        double last = 0;
        StringBuilder per = new StringBuilder();
        for (int i = 0; i < n; i++) {
            long ns = seen.get(i).get();
            double ms = ns == MISS ? Double.NaN : ns / 1e6;
            last = Double.isNaN(ms) || Double.isNaN(last) ? Double.NaN : Math.max(last, ms);
            per.append(String.format(Locale.ROOT, " pn%d_ms=%.1f", i + 1, ms));
        }
        System.out.printf(Locale.ROOT, "FIRST apply after cold boot: revision=%d put_wait_all_ms=%.1f all_serve_ms=%.1f%s target_ms=200 pass=%s%n",
            rev, putMs, last, per, putMs <= 200 && last <= 200 ? "yes" : "no");
        return rev;
    }

    /** Polls one node from t0 until it serves a revision >= target (known once the PUT answered). */
    static long poll(Probe probe, int port, long t0, long before, AtomicLong target) {
        long deadline = t0 + timeoutNs, firstRev = -1, firstAt = -1; // first revision > before seen, and when
        long lastRev = -1, lastAt = -1;
        while (true) {
            long tgt = target.get();
            if (tgt == CANCEL) return MISS;
            if (tgt != UNKNOWN) {
                if (firstRev >= tgt) return firstAt - t0;
                if (lastRev >= tgt) return lastAt - t0;
            }
            if (System.nanoTime() - deadline > 0) return MISS;
            try {
                long rev = probe.revision();
                long at = System.nanoTime();
                polls.incrementAndGet();
                if (rev > before && firstRev < 0) { firstRev = rev; firstAt = at; }
                if (rev > lastRev && rev > before) { lastRev = rev; lastAt = at; }
                if (gapMs > 0 && rev < target.get()) Thread.sleep(gapMs);
            } catch (Exception e) {
                pollErrors.incrementAndGet();
                try { Thread.sleep(1); } catch (InterruptedException ie) { return MISS; }
            }
        }
    }

    /** One GET /prop/x on a node's traffic port: the X-Meridian-Revision it answered with (-1: none). */
    interface Probe {
        long revision() throws Exception;
    }

    /** POLLER=jdk: java.net.http's client (each request crosses its selector thread twice). */
    static final class JdkProbe implements Probe {
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final HttpRequest req;

        JdkProbe(int port) {
            req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/prop/x")).timeout(Duration.ofSeconds(2)).GET().build();
        }

        public long revision() throws Exception {
            HttpResponse<Void> r = client.send(req, HttpResponse.BodyHandlers.discarding());
            return r.headers().firstValue("X-Meridian-Revision").map(Long::parseLong).orElse(-1L);
        }
    }

    /**
     * POLLER=socket (default): one blocking keep-alive socket, the request written and the answer
     * read on the polling thread itself (no hand-off): less CPU taken from the nodes per poll and
     * no selector thread between the answer and its timestamp.
     */
    static final class SocketProbe implements Probe {
        final int port;
        final byte[] request;
        Socket socket;
        InputStream in;
        OutputStream out;

        SocketProbe(int port) {
            this.port = port;
            this.request = ("GET /prop/x HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }

        public long revision() throws Exception {
            try {
                if (socket == null) {
                    socket = new Socket("127.0.0.1", port);
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(2000);
                    in = new BufferedInputStream(socket.getInputStream(), 8192);
                    out = socket.getOutputStream();
                }
                out.write(request);
                out.flush();
                long rev = -1, length = -1;
                boolean chunked = false, close = false;
                String line = line(in);
                if (!line.startsWith("HTTP/1.1 ")) throw new IOException("bad status line: " + line);
                while (!(line = line(in)).isEmpty()) {
                    int colon = line.indexOf(':');
                    String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT), value = line.substring(colon + 1).trim();
                    switch (name) {
                        case "x-meridian-revision" -> rev = Long.parseLong(value);
                        case "content-length" -> length = Long.parseLong(value);
                        case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                        case "connection" -> close = value.equalsIgnoreCase("close");
                        default -> { }
                    }
                }
                if (chunked) {
                    long size;
                    while ((size = Long.parseLong(line(in).split(";")[0].trim(), 16)) > 0) {
                        in.skipNBytes(size);
                        line(in);
                    }
                    while (!line(in).isEmpty()) { }
                } else if (length > 0) {
                    in.skipNBytes(length);
                } else if (length < 0) {
                    close = true; // read to the end: not sent by Meridian, but then the connection cannot be reused
                }
                if (close) closeQuietly();
                return rev;
            } catch (IOException e) {
                closeQuietly();
                throw e;
            }
        }

        void closeQuietly() {
            try { if (socket != null) socket.close(); } catch (IOException ignored) { }
            socket = null;
        }

        static String line(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) throw new EOFException("connection closed");
                if (c != '\r') b.append((char) c);
            }
            return b.toString();
        }
    }

    static long put(HttpClient client, int port, String shape) throws Exception {
        return put(client, port, shape, "");
    }

    static long put(HttpClient client, int port, String shape, String query) throws Exception {
        String yaml = "id: prop\nbasePath: /prop\nupstream: { url: \"http://127.0.0.1:9\" }\npolicies:\n"
            + "  - type: set-headers\n    response: { set: { X-Shape: \"" + shape + "\" } }\n";
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/apis/prop" + query))
            .timeout(Duration.ofSeconds(30)).header("Authorization", auth).header("Content-Type", "application/yaml")
            .PUT(HttpRequest.BodyPublishers.ofString(yaml)).build();
        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
        Matcher m = REVISION.matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) throw new IllegalStateException("PUT " + r.statusCode() + ": " + r.body());
        return Long.parseLong(m.group(1));
    }

    static double pct(List<Double> sorted, double q) {
        if (sorted.isEmpty()) return Double.NaN;
        return sorted.get(Math.max(0, (int) Math.ceil(q * sorted.size()) - 1));
    }

    static String stats(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return String.format(Locale.ROOT, "n=%d p50=%.1fms p99=%.1fms max=%.1fms", s.size(), pct(s, 0.5), pct(s, 0.99),
            s.isEmpty() ? Double.NaN : s.get(s.size() - 1));
    }
}
JAVA

boot_cluster() {
  for i in "${NODES[@]}"; do
    dir=$work/n$i
    rm -rf "$dir" && mkdir -p "$dir"
    tar xzf "$tarball" -C "$dir" --strip-components=1
    MERIDIAN_NODE_NAME=pn$i MERIDIAN_HTTP_PORT=$(http_port $i) MERIDIAN_ADMIN_PORT=$(admin_port $i) MERIDIAN_SSH_PORT=0 \
      MERIDIAN_ADMIN_PASSWORD=$PASSWORD MERIDIAN_CLUSTER_NAME=bench-prop MERIDIAN_CLUSTER_PORT=$((5950 + i)) \
      MERIDIAN_CLUSTER_MEMBERS=$MEMBERS MERIDIAN_CLUSTER_SECRET="bench-$$" MERIDIAN_HEAP=${HEAP:-1g} KARAF_REDIRECT=$dir/console.log \
      EXTRA_JAVA_OPTS="-Xlog:gc:file=$dir/gc.log:time,uptime,level ${EXTRA_JAVA_OPTS:-}" "$dir/bin/start" >/dev/null 2>&1
  done
  echo "# starting pn1..pn3 (up to 180 s)"
  deadline=$((SECONDS + 180))
  for i in "${NODES[@]}"; do
    until curl -fs -o /dev/null "http://127.0.0.1:$(admin_port $i)/ready"; do
      (( SECONDS < deadline )) || { echo "$0: pn$i not ready after 180 s; see $work/n$i/data/log" >&2; return 1; }
      sleep 0.5
    done
  done
  listed=0
  for _ in $(seq 60); do
    listed=$( (curl -fsS -u "admin:$PASSWORD" "http://127.0.0.1:$(admin_port 1)/api/v1/cluster" || true) \
      | { grep -o '"name":"pn[123]"' || true; } | sort -u | wc -l)
    (( listed == 3 )) && break; sleep 0.5
  done
  (( listed == 3 )) || { echo "$0: the cluster lists $listed of 3 nodes" >&2; return 1; }
  echo "# cluster ready after $((SECONDS - deadline + 180)) s, 3 nodes listed"
}


ports() { local out=() i; for i in "${NODES[@]}"; do out+=($($1 $i)); done; (IFS=,; echo "${out[*]}"); }
if (( ${COLD_BOOTS:-0} > 0 )); then
  # Only the first apply after a cold boot, COLD_BOOTS times: fresh data dirs, boot, one PUT ?wait=all, stop.
  for run in $(seq "$COLD_BOOTS"); do
    boot_cluster
    java "$work/Propagation.java" 0 0 0 "$timeout" "$PASSWORD" "$(ports http_port)" "$(ports admin_port)" "$gap" "${POLLER:-socket}" \
      | tee -a "$work/cold.txt"
    cleanup
  done
  exit 0
fi
boot_cluster
echo "# load average before: $(cut -d" " -f1-3 /proc/loadavg)"
run_start=$(date +%T.%3N)
echo "# $warmup warm-up applies, $applies measured (pause ${pause} ms, poll gap ${gap} ms, miss after ${timeout} ms), each followed by one PUT nobody polls"
java "$work/Propagation.java" "$applies" "$pause" "$warmup" "$timeout" "$PASSWORD" "$(ports http_port)" "$(ports admin_port)" "$gap" "${POLLER:-socket}" \
  | tee "$work/result.txt"
echo "# load average after: $(cut -d" " -f1-3 /proc/loadavg)"
echo "# GC pauses of 10 ms or more during the run (wall clock; the run: $run_start to $(date +%T.%3N)):"
for i in "${NODES[@]}"; do
  awk -v n=pn$i -v s="$run_start" '{t=substr($1,13,12)} t>=s && match($0,/[0-9.]+ms$/){ms=substr($0,RSTART,RLENGTH-2); if (ms+0>=10) print "  " n " " $0}' "$work/n$i/gc.log"
done
for i in "${NODES[@]}"; do
  curl -sS -D - -o /dev/null "http://127.0.0.1:$(http_port $i)/prop/x" | tr -d '\r' \
    | awk -v n=pn$i -F': ' 'tolower($1)=="x-meridian-revision"{r=$2} tolower($1)=="x-shape"{s=$2} END{printf "%s serves revision %s, X-Shape %s\n", n, r, s}'
done
