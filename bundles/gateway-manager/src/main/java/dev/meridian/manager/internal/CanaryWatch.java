package dev.meridian.manager.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.ClusterNode;
import dev.meridian.core.Canary;
import dev.meridian.core.CanaryMeter;
import dev.meridian.core.CanaryMeter.Window;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayState;
import dev.meridian.core.RouteTable;
import dev.meridian.core.SharedStates;
import dev.meridian.core.TableListener;
import dev.meridian.manager.AdminException;
import dev.meridian.model.CanaryPolicy;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Json;
import dev.meridian.policy.api.SharedState;

/**
 * Watches a running canary on this node (CONTRACT §8, issue 13): once a second it publishes this
 * node's counts of both sides over the window to the cluster (shared state
 * {@value #SPACE}, key {@code <revision>/<node>}, 15 s TTL), merges every live node's, judges them
 * ({@link CanaryJudge}) and, on a breach, rolls the canary back by itself.
 *
 * <p>Every node watches; none is elected. The rollback is a commit that names the canary's revision
 * (If-Match): the first node to commit it wins, the others' commits are refused (409) and they
 * see the new revision arrive. The same goes for a promote or abort by a caller at the same time:
 * exactly one of them ends the canary.
 *
 * <p>Told by the engine ({@link TableListener}) when a canary table is published or replaced:
 * the timer runs only while a canary does. The outcome of the last canary (promoted, aborted,
 * rolled back) is kept in the same shared state for {@code GET /api/v1/canary}.
 */
final class CanaryWatch implements TableListener {

    private static final Logger LOG = LoggerFactory.getLogger(CanaryWatch.class);

    static final String SPACE = "meridian-canary";
    private static final Duration ENTRY_TTL = Duration.ofSeconds(15);
    private static final Duration LAST_TTL = Duration.ofDays(7);
    private static final long READ_BOUND_MILLIS = 500;
    /** After an attempt to roll back, the next one waits this long (the revision is on its way). */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Ends a canary: commits its rollback naming its revision. */
    interface Rollback {
        void rollback(long canaryRevision, String reason) throws AdminException;
    }

    private final GatewayEngine engine;
    private final Supplier<SharedStates> states;
    private final Supplier<List<ClusterNode>> nodes;
    private final String nodeName;
    private final Rollback rollback;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meridian-canary-watch");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> task; // timer thread and swapped(): guarded by this
    private volatile Map<String, Object> lastLocal;
    private long nextAttemptNanos;
    /** Timer thread: checks in a row whose verdict was a p99 breach, of the canary {@link #watched}. */
    private int latencyBreaches;
    private Canary watched;
    private long attemptedFor;

    CanaryWatch(GatewayEngine engine, Supplier<SharedStates> states, Supplier<List<ClusterNode>> nodes, String nodeName,
                Rollback rollback) {
        this.engine = engine;
        this.states = states;
        this.nodes = nodes;
        this.nodeName = nodeName;
        this.rollback = rollback;
    }

    void stop() {
        timer.shutdownNow();
    }

    @Override
    public synchronized void swapped(RouteTable table, GatewayState state) {
        if (table.canary() != null && task == null) {
            try {
                task = timer.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
                LOG.info("canary of revision {} runs beside revision {}: {}", table.revision(),
                    table.canary().canary().stableRevision(), table.canary().canary().policy().describe());
            } catch (RejectedExecutionException stopped) {
                // stopping
            }
        } else if (table.canary() == null && task != null) {
            task.cancel(false);
            task = null;
        }
    }

    @Override
    public void nodeChanged() {
        // nothing: the canary follows the table only
    }

    private void tick() {
        try {
            RouteTable table = engine.current();
            if (table.canary() == null) {
                return;
            }
            if (!table.canary().canary().equals(watched)) { // another canary: its own count of p99 breaches
                watched = table.canary().canary();
                latencyBreaches = 0;
            }
            Merged m = merge(table, true);
            CanaryJudge.Verdict v = CanaryJudge.judge(table.canary().canary().policy(), m.stable, m.canary);
            boolean breached = v.kind() == CanaryJudge.Kind.BREACHED;
            latencyBreaches = breached && v.latency() ? latencyBreaches + 1 : 0;
            if (breached && (!v.latency() || latencyBreaches >= CanaryJudge.LATENCY_CHECKS)) {
                breached(table.revision(), v.latency() ? v.reason() + ", " + latencyBreaches + " checks in a row" : v.reason());
            }
        } catch (RuntimeException e) {
            LOG.warn("watching the canary failed this second: {}", e.toString());
        }
    }

    private void breached(long revision, String reason) {
        long now = System.nanoTime();
        if (attemptedFor == revision && now - nextAttemptNanos < 0) {
            return;
        }
        attemptedFor = revision;
        nextAttemptNanos = now + RETRY_NANOS;
        LOG.warn("canary of revision {} breaches its limits: {}; rolling it back", revision, reason);
        try {
            rollback.rollback(revision, reason);
        } catch (AdminException e) {
            if (e.status() == 409) {
                LOG.info("canary of revision {} already ended elsewhere: {}", revision, e.getMessage());
            } else {
                LOG.warn("rolling back the canary of revision {} failed: {}", revision, e.getMessage());
            }
        }
    }

    /** Both sides' counts over the window merged across the live nodes, and each node's. */
    private record Merged(Window stable, Window canary, List<Map<String, Object>> nodes) {
    }

    private Merged merge(RouteTable table, boolean publish) {
        CanaryMeter meter = table.canary().meter();
        long now = System.nanoTime();
        Window myStable = meter.stable().window(now);
        Window myCanary = meter.canary().window(now);
        SharedState space = space();
        if (publish && space != null) {
            space.putString(key(table.revision(), nodeName), myStable.encode() + "\n" + myCanary.encode(), ENTRY_TTL);
        }
        Window stable = myStable;
        Window canary = myCanary;
        List<Map<String, Object>> perNode = new ArrayList<>();
        for (ClusterNode n : nodes.get()) {
            Window[] sides = null;
            if (n.name().equals(nodeName)) {
                sides = new Window[] {myStable, myCanary};
            } else if (space != null) {
                sides = read(space, key(table.revision(), n.name()));
                if (sides != null) {
                    stable = stable.plus(sides[0]);
                    canary = canary.plus(sides[1]);
                }
            }
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("name", n.name());
            node.put("revision", n.revision());
            node.put("reported", sides != null);
            if (sides != null) {
                node.put("stable", counts(sides[0]));
                node.put("canary", counts(sides[1]));
            }
            perNode.add(node);
        }
        return new Merged(stable, canary, perNode);
    }

    private static Window[] read(SharedState space, String key) {
        try {
            Optional<byte[]> v = space.get(key).toCompletableFuture().get(READ_BOUND_MILLIS, TimeUnit.MILLISECONDS);
            if (v.isEmpty()) {
                return null;
            }
            String[] lines = new String(v.get(), StandardCharsets.UTF_8).split("\n");
            return new Window[] {Window.decode(lines[0]), Window.decode(lines[1])};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            LOG.debug("canary counts {} not read: {}", key, e.toString());
            return null;
        }
    }

    private SharedState space() {
        SharedStates s = states.get();
        return s == null ? null : s.open(SPACE);
    }

    static String key(long revision, String node) {
        return revision + "/" + node;
    }

    /** What {@code GET /api/v1/canary} answers (see {@code GatewayAdmin#canary}). */
    Map<String, Object> status() {
        RouteTable table = engine.current();
        Map<String, Object> out = new LinkedHashMap<>();
        if (table.canary() == null) {
            out.put("state", "none");
            last().ifPresent(l -> out.put("last", l));
            return out;
        }
        Canary c = table.canary().canary();
        CanaryPolicy p = c.policy();
        Merged m = merge(table, false);
        CanaryJudge.Verdict v = CanaryJudge.judge(p, m.stable, m.canary);
        out.put("state", "running");
        out.put("revision", table.revision());
        out.put("stable", c.stableRevision());
        out.put("share", p.share());
        out.put("stickyBy", p.stickyByText());
        Map<String, String> params = p.toParams();
        out.put("window", params.get("window"));
        out.put("maxErrorRate", params.get("maxErrorRate"));
        out.put("maxP99", params.get("maxP99"));
        out.put("minRequests", p.minRequests());
        out.put("startedAt", c.startedAt().toString());
        out.put("user", c.user());
        out.put("elapsedSeconds", Math.max(0, Duration.between(c.startedAt(), Instant.now()).toMillis()) / 1000.0);
        Map<String, Object> sides = new LinkedHashMap<>();
        sides.put("stable", side(c.stableRevision(), m.stable));
        sides.put("canary", side(table.revision(), m.canary));
        out.put("sides", sides);
        out.put("nodes", m.nodes);
        out.put("verdict", v.kind().wire());
        out.put("reason", v.reason());
        return out;
    }

    private static Map<String, Object> side(long revision, Window w) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("revision", revision);
        s.putAll(counts(w));
        s.put("errorRate", round(w.errorRate(), 6));
        boolean timed = w.latencyCount() > 0; // none in a node's first seconds with the canary (CanaryMeter)
        s.put("p50Ms", timed ? round(w.quantileMillis(0.5), 3) : null);
        s.put("p99Ms", timed ? round(w.quantileMillis(0.99), 3) : null);
        s.put("totalRequests", w.totalRequests());
        s.put("totalErrors", w.totalErrors());
        return s;
    }

    private static Map<String, Object> counts(Window w) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("requests", w.requests());
        s.put("errors", w.errors());
        return s;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** Records how a canary ended, for every node's {@code GET /api/v1/canary}. */
    void ended(String outcome, long canaryRevision, long revision, String user, String reason) {
        Map<String, Object> last = new LinkedHashMap<>();
        last.put("outcome", outcome);
        last.put("canary", canaryRevision);
        last.put("revision", revision);
        last.put("user", user);
        last.put("reason", reason);
        last.put("time", Instant.now().toString());
        lastLocal = last;
        SharedState space = space();
        if (space != null) {
            space.putString("last", new String(Json.write(last), StandardCharsets.UTF_8), LAST_TTL);
        }
        LOG.info("canary of revision {} {} by {} as revision {}: {}", canaryRevision, outcome.toLowerCase(Locale.ROOT), user,
            revision, reason);
    }

    private Optional<Map<String, Object>> last() {
        SharedState space = space();
        if (space != null) {
            try {
                Optional<byte[]> v = space.get("last").toCompletableFuture().get(READ_BOUND_MILLIS, TimeUnit.MILLISECONDS);
                if (v.isPresent() && Json.read(v.get()) instanceof Map<?, ?> m) {
                    Map<String, Object> out = new LinkedHashMap<>();
                    m.forEach((k, val) -> out.put(String.valueOf(k), val));
                    return Optional.of(out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (DefinitionException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.debug("last canary outcome not read: {}", e.toString());
            }
        }
        return Optional.ofNullable(lastLocal);
    }
}
