package dev.meridian.http.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.model.Upstream;
import dev.meridian.policy.api.SharedState;

/**
 * The peak size of this node's upstream pools, per origin, shared in the cluster so that a node
 * joining a loaded cluster opens as many connections before it reports ready as its peers hold
 * (issue 12 item 4): its first requests then find warm connections instead of paying a connect
 * each (a TCP handshake, and a TLS one for {@code https}), at the moment the load balancer sends
 * it its share of the traffic at once.
 *
 * <p>Each node samples its pools every {@value #SAMPLE_SECONDS} s (a sum of counters per pool,
 * no lock) and keeps the last {@value #WINDOW} samples: the peak is the largest of them, the
 * pools' recent high-water mark. It writes it, when it changed or once a minute, into the shared
 * space {@value #SPACE}, key = a digest of the origin ({@link #key}), value = one line per node
 * ({@code node peak epochMillis}), each node replacing its own line by compare-and-set; a line
 * older than {@link #TTL} is dropped, and the key expires {@link #TTL} after its last write. A
 * reader takes the largest recent peak of any node.
 */
final class PoolPeaks {

    private static final Logger LOG = LoggerFactory.getLogger(PoolPeaks.class);
    /** The cluster-shared space. */
    static final String SPACE = "http.pools";
    static final int SAMPLE_SECONDS = 5;
    /** Samples kept: three minutes. */
    static final int WINDOW = 36;
    /** How long a node's figure counts: the window. */
    static final Duration TTL = Duration.ofSeconds((long) SAMPLE_SECONDS * WINDOW);
    private static final long REFRESH_MILLIS = 60_000;
    private static final int CAS_ATTEMPTS = 4;

    private final String node;
    /** Per origin: the last samples, a ring. Touched by the sampling thread only. */
    private final Map<String, int[]> rings = new HashMap<>();
    private int slot;
    /** Per origin: what this node last wrote and when (epoch ms). */
    private final Map<String, long[]> written = new ConcurrentHashMap<>();

    /** @param node this node's name (whitespace replaced: it is a field of the shared value) */
    PoolPeaks(String node) {
        this.node = node.replaceAll("\\s", "_");
    }

    /** The origin of an upstream, as pools are keyed in the cluster. */
    static String origin(Upstream u) {
        return origin(u.scheme(), u.host(), u.port());
    }

    static String origin(String scheme, String host, int port) {
        return scheme + "://" + host + ":" + port;
    }

    /**
     * The shared key of an origin: a digest of it, not the origin itself, since an upstream's host
     * may come from a secret ({@code ${secret:...}}) and must not be written anywhere in clear.
     */
    static String key(String origin) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(origin.getBytes(StandardCharsets.UTF_8));
            return "o-" + java.util.HexFormat.of().formatHex(d, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    /** Records one sample: the connections open (or opening) per origin now; origins absent count 0. */
    synchronized void sample(Map<String, Integer> counts) {
        slot = (slot + 1) % WINDOW;
        for (Map.Entry<String, Integer> c : counts.entrySet()) {
            rings.computeIfAbsent(c.getKey(), o -> new int[WINDOW]);
        }
        for (var it = rings.entrySet().iterator(); it.hasNext(); ) {
            var ring = it.next();
            ring.getValue()[slot] = counts.getOrDefault(ring.getKey(), 0);
            if (Arrays.stream(ring.getValue()).allMatch(n -> n == 0) && !written.containsKey(ring.getKey())) {
                it.remove(); // an origin no longer used, its zero already told (or never worth telling)
            }
        }
    }

    /** This node's peak per origin over the window. */
    synchronized Map<String, Integer> peaks() {
        Map<String, Integer> out = new LinkedHashMap<>();
        rings.forEach((origin, ring) -> out.put(origin, Arrays.stream(ring).max().orElse(0)));
        return out;
    }

    /**
     * Writes this node's peaks that changed (or were last written a minute ago) into {@code state}.
     * Completes when every write has; never fails (a failed write is retried at the next sample).
     */
    CompletionStage<Void> publish(SharedState state, long nowMillis) {
        CompletableFuture<?>[] writes = peaks().entrySet().stream()
            .filter(p -> {
                long[] w = written.get(p.getKey());
                return w == null ? p.getValue() > 0 : w[0] != p.getValue() || nowMillis - w[1] >= REFRESH_MILLIS;
            })
            .map(p -> write(state, p.getKey(), p.getValue(), nowMillis, CAS_ATTEMPTS).toCompletableFuture())
            .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(writes).handle((v, e) -> null);
    }

    private CompletionStage<Void> write(SharedState state, String origin, int peak, long nowMillis, int attempts) {
        String key = key(origin);
        return state.get(key).thenCompose(old -> {
            Map<String, long[]> lines = decode(old.orElse(null), nowMillis);
            lines.put(node, new long[] {peak, nowMillis});
            byte[] value = encode(lines);
            CompletionStage<Boolean> set = old.isPresent() ? state.compareAndSet(key, old.get(), value, TTL)
                : state.putIfAbsent(key, value, TTL);
            return set.thenCompose(done -> {
                if (done) {
                    if (peak == 0) {
                        written.remove(origin);
                    } else {
                        written.put(origin, new long[] {peak, nowMillis});
                    }
                    return CompletableFuture.completedFuture(null);
                }
                return attempts > 1 ? write(state, origin, peak, nowMillis, attempts - 1) : CompletableFuture.completedFuture(null);
            });
        }).exceptionally(e -> {
            LOG.debug("publishing the pool size of {} failed: {}", origin, e.toString());
            return null;
        });
    }

    /**
     * The largest recent peak of any node per origin of {@code origins} (absent: none known).
     * Never fails: an origin whose read fails is left out.
     */
    static CompletionStage<Map<String, Integer>> read(SharedState state, Collection<String> origins, long nowMillis) {
        Map<String, Integer> out = new ConcurrentHashMap<>();
        CompletableFuture<?>[] reads = origins.stream()
            .map(origin -> state.get(key(origin)).thenAccept(value -> {
                int peak = peakOf(value, nowMillis);
                if (peak > 0) {
                    out.put(origin, peak);
                }
            }).exceptionally(e -> null).toCompletableFuture())
            .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(reads).handle((v, e) -> Map.copyOf(out));
    }

    /** The largest peak of the recent lines of a shared value. */
    static int peakOf(Optional<byte[]> value, long nowMillis) {
        return decode(value.orElse(null), nowMillis).values().stream().mapToInt(l -> (int) l[0]).max().orElse(0);
    }

    /** The value's lines not older than {@link #TTL}: node → {peak, epochMillis}. Lines that do not parse are dropped. */
    static Map<String, long[]> decode(byte[] value, long nowMillis) {
        Map<String, long[]> lines = new LinkedHashMap<>();
        if (value == null) {
            return lines;
        }
        for (String line : new String(value, StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length != 3) {
                continue;
            }
            try {
                long peak = Long.parseLong(f[1]);
                long at = Long.parseLong(f[2]);
                if (peak >= 0 && nowMillis - at <= TTL.toMillis()) {
                    lines.put(f[0], new long[] {peak, at});
                }
            } catch (NumberFormatException e) {
                // another writer's garbage is not ours to keep
            }
        }
        return lines;
    }

    static byte[] encode(Map<String, long[]> lines) {
        StringBuilder sb = new StringBuilder();
        lines.forEach((node, l) -> sb.append(node).append(' ').append(l[0]).append(' ').append(l[1]).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
