package dev.meridian.manager.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.meridian.cache.ResponseCache;
import dev.meridian.cluster.NodeQueries;
import dev.meridian.cluster.NodeQueryHandler;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.Settings;
import dev.meridian.core.series.EvictionReason;
import dev.meridian.core.series.Frame;
import dev.meridian.core.series.Resolution;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.AuditEntry;
import dev.meridian.model.Problem;

/**
 * The console's data (issue 14, CONTRACT §10): each node's time series ({@code SeriesBook} of the
 * engine, in memory) merged across the cluster on request — one question to every live node
 * through {@link NodeQueries} (this node answers its own part as {@link NodeQueryHandler} of topic
 * {@value #TOPIC}) — and the markers of the time axis, from the audit: every apply, rollback, canary
 * step and policy bundle change with its revision and user. Without the cluster bundle the answer
 * is this node's alone.
 */
@Component(service = {MetricsSeries.class, NodeQueryHandler.class}, property = NodeQueryHandler.TOPIC + "=" + MetricsSeries.TOPIC)
public final class MetricsSeries implements NodeQueryHandler {

    static final String TOPIC = "metrics.series";
    /** How long a merged read waits for the slowest node: a node that answers later is listed as failed. */
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(2);
    /** The widest range one read may ask: 15 minutes of seconds, 24 hours of minutes. */
    static final long MAX_SECONDS = 15 * 60;
    static final long MAX_MINUTES = 24 * 60;
    private static final int MAX_API_CHARS = 256;

    @Reference
    private GatewayEngine engine;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile NodeQueries queries;

    @Reference
    private AuditLog audit;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ResponseCache cache;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MetricsSeries.class);

    private final String nodeName = Settings.nodeName();
    private final Clock clock = Clock.systemUTC();

    /** One read: resolution, range in epoch seconds ({@code from} inclusive, {@code to} exclusive), optionally one API. */
    record Query(Resolution resolution, long from, long to, String api) {

        byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(1);
                out.writeByte(resolution.ordinal());
                out.writeLong(from);
                out.writeLong(to);
                out.writeUTF(api == null ? "" : api);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return bytes.toByteArray();
        }

        static Query decode(byte[] question) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(question))) {
                if (in.readByte() != 1) {
                    throw new IllegalArgumentException("unknown series question version");
                }
                int r = in.readByte();
                if (r < 0 || r >= Resolution.values().length) {
                    throw new IllegalArgumentException("unknown resolution " + r);
                }
                long from = in.readLong();
                long to = in.readLong();
                String api = in.readUTF();
                return new Query(Resolution.values()[r], from, to, api.isEmpty() ? null : api);
            } catch (IOException e) {
                throw new IllegalArgumentException("malformed series question: " + e);
            }
        }
    }

    /** The merged frame of a query, and which nodes answered and which did not (and why). */
    record Gathered(Frame frame, List<String> nodes, Map<String, String> failed) {
    }

    /**
     * {@code GET /api/v1/metrics/series?res=1s|1m&from=&to=[&api=][&fields=]}: parameters checked
     * (400 naming each), defaults the last 5 minutes of seconds (or 3 hours of minutes).
     */
    Map<String, Object> read(Map<String, String> params) throws AdminException {
        List<Problem> problems = new ArrayList<>();
        String res = params.getOrDefault("res", "1s");
        Resolution resolution = switch (res) {
            case "1s" -> Resolution.SECOND;
            case "1m" -> Resolution.MINUTE;
            default -> {
                problems.add(new Problem("res", "expected 1s or 1m"));
                yield Resolution.SECOND;
            }
        };
        long step = resolution == Resolution.SECOND ? 1 : 60;
        long now = clock.millis() / 1_000;
        long to = number(params, "to", now + 1, problems);
        long from = number(params, "from", to - (resolution == Resolution.SECOND ? 300 : 180 * 60), problems);
        long max = resolution == Resolution.SECOND ? MAX_SECONDS : MAX_MINUTES * 60;
        if (from >= to) {
            problems.add(new Problem("from", "must be before to"));
        } else if (to - from > max + step) {
            problems.add(new Problem("from", "the range may span at most " + (resolution == Resolution.SECOND ? "15 minutes at 1s" : "24 hours at 1m")));
        }
        String api = params.get("api");
        if (api != null && (api.isEmpty() || api.length() > MAX_API_CHARS)) {
            problems.add(new Problem("api", "expected an API id"));
        }
        Set<String> fields = fields(params.get("fields"), problems);
        if (!problems.isEmpty()) {
            throw new AdminException(400, "invalid series query", problems);
        }
        Query q = new Query(resolution, from, to, api);
        Gathered g = gather(q).toCompletableFuture().join();
        Map<String, Object> tree = new LinkedHashMap<>(g.frame().toTree(fields));
        tree.put("nodes", g.nodes());
        tree.put("failed", g.failed());
        tree.put("markers", markers(from, to, 1_000));
        return tree;
    }

    /** Every live node's part of {@code q}, merged; this node's alone without a cluster. */
    CompletionStage<Gathered> gather(Query q) {
        NodeQueries ask = queries;
        if (ask == null) {
            return CompletableFuture.completedFuture(new Gathered(local(q), List.of(nodeName), Map.of()));
        }
        return ask.askAll(TOPIC, q.encode(), ASK_TIMEOUT).thenApply(answers -> {
            List<Frame> frames = new ArrayList<>();
            Map<String, String> failed = new TreeMap<>(answers.failed());
            List<String> nodes = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : new TreeMap<>(answers.byNode()).entrySet()) {
                try {
                    frames.add(Frame.decode(e.getValue()));
                    nodes.add(e.getKey());
                } catch (IllegalArgumentException bad) {
                    failed.put(e.getKey(), "unreadable answer: " + bad.getMessage());
                }
            }
            return new Gathered(Frame.merge(frames), nodes, failed);
        });
    }

    /** This node's part of {@code q}. */
    Frame local(Query q) {
        return engine.series().read(q.resolution(), q.from(), q.to(), key -> q.api() == null || q.api().equals(key.apiId()));
    }

    @Override
    public byte[] answer(byte[] question) {
        return local(Query.decode(question)).encode();
    }

    /**
     * The audit entries that changed what is served (a revision) or the policy types of a node,
     * between {@code from} and {@code to} (epoch seconds), oldest first, at most {@code limit}.
     */
    List<Map<String, Object>> markers(long from, long to, int limit) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (AuditEntry e : audit.between(from * 1_000, to * 1_000)) {
            String kind = kind(e);
            if (kind != null) {
                out.add(marker(e, kind));
                if (out.size() >= limit) {
                    break;
                }
            }
        }
        return out;
    }

    /** A marker's kind for an audit entry, or null when it marks nothing. */
    static String kind(AuditEntry e) {
        String call = e.call().toLowerCase(Locale.ROOT);
        if (call.startsWith("bundle ")) {
            return "bundle";
        }
        if (e.revision() <= 0) {
            return null;
        }
        if (call.startsWith("canary rollback")) {
            return "canary-rollback";
        }
        if (call.startsWith("canary promote") || call.contains("/canary/promote")) {
            return "canary-promote";
        }
        if (call.startsWith("canary abort") || call.contains("/canary/abort")) {
            return "canary-abort";
        }
        if (call.contains("canary")) {
            return "canary-start";
        }
        if (call.contains("rollback")) {
            return "rollback";
        }
        return "apply";
    }

    static Map<String, Object> marker(AuditEntry e, String kind) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("t", java.math.BigDecimal.valueOf(e.time().toEpochMilli(), 3)); // epoch seconds with milliseconds, never 1.7E9
        m.put("kind", kind);
        m.put("revision", e.revision());
        m.put("user", e.user());
        m.put("summary", e.summary());
        return m;
    }

    private static long number(Map<String, String> params, String name, long otherwise, List<Problem> problems) {
        String v = params.get(name);
        if (v == null) {
            return otherwise;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0 || n > 1L << 40) {
                problems.add(new Problem(name, "expected epoch seconds"));
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(new Problem(name, "expected epoch seconds"));
            return otherwise;
        }
    }

    private static final Set<String> FIELDS = Set.of("requests", "errors4xx", "errors5xx", "status", "p50Ms", "p90Ms", "p99Ms",
        "cache", "evictions");

    private static Set<String> fields(String list, List<Problem> problems) {
        if (list == null || list.isBlank()) {
            return Set.of();
        }
        Set<String> out = new java.util.LinkedHashSet<>();
        for (String f : list.split(",")) {
            String t = f.trim();
            if (!FIELDS.contains(t)) {
                problems.add(new Problem("fields", "unknown field '" + (t.length() > 32 ? t.substring(0, 32) : t)
                    + "'; known: " + new java.util.TreeSet<>(FIELDS)));
            } else {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Each second (the stream's tick): this node's cache evictions since the last tick into the
     * series, by API and reason (the cache counts them per node: {@code ResponseCache.nodeStats}),
     * then every completed minute rolled up.
     */
    void roll() {
        long now = clock.millis();
        ResponseCache c = cache;
        if (c != null) {
            try {
                evictions(c.nodeStats(), now);
            } catch (RuntimeException e) {
                LOG.debug("cache evictions not sampled: {}", e.toString());
            }
        }
        engine.series().roll(now);
    }

    /** Eviction counts last seen, by API and reason (the tick's thread only). */
    private final Map<String, long[]> evictionsSeen = new java.util.HashMap<>();
    private static final String[] EVICTION_NAMES = {"expired", "size", "invalidated"};
    private static final EvictionReason[] EVICTION_REASONS = {EvictionReason.EXPIRED, EvictionReason.SIZE, EvictionReason.INVALIDATED};

    void evictions(Map<String, Object> nodeStats, long now) {
        Object apis = nodeStats.get("apis");
        if (!(apis instanceof Map<?, ?> byApi)) {
            return;
        }
        for (Map.Entry<?, ?> e : byApi.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> stats) || !(stats.get("evictions") instanceof Map<?, ?> ev)) {
                continue;
            }
            String api = String.valueOf(e.getKey());
            long[] seen = evictionsSeen.get(api);
            boolean first = seen == null; // counts since the node started: a baseline, not this second's
            if (first) {
                seen = new long[EVICTION_NAMES.length];
                evictionsSeen.put(api, seen);
            }
            for (int i = 0; i < EVICTION_NAMES.length; i++) {
                long n = ev.get(EVICTION_NAMES[i]) instanceof Number num ? num.longValue() : 0;
                long delta = n - seen[i];
                seen[i] = n;
                if (delta > 0 && !first) {
                    engine.series().series(api, "").evicted(EVICTION_REASONS[i], (int) Math.min(delta, Integer.MAX_VALUE), now);
                }
            }
        }
    }

    /** The time now, in epoch seconds (the stream's ticks). */
    long nowSeconds() {
        return TimeUnit.MILLISECONDS.toSeconds(clock.millis());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
