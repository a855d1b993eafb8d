package dev.meridian.core;

import java.util.Optional;

import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of what this node serves: one revision's compiled routes. A request
 * reads the current table once, {@link #acquire() acquires} it and keeps it to the end, so its
 * request and response phases run on the same chains whatever is published meanwhile.
 */
public final class RouteTable {

    private final long revision;
    private final long generation;
    private final Map<String, Route> byBasePath;
    private final List<Route> routes;
    private final StripedCounter inFlight = new StripedCounter(); // per request, from every request thread
    private final Consumers consumers;
    /** On the canary side's table, which is the one published: the stable side and how requests are split. */
    private final CanarySplit canary;
    /** On both sides' tables while a canary runs: where their answers are counted. */
    private final CanaryMeter.Side meter;

    /**
     * A canary (CONTRACT §8): the stable side's table, the canary's share in buckets of the
     * sticky key salted with {@link Canary#salt()}, and the meter both sides record into.
     */
    public record CanarySplit(RouteTable stable, Canary canary, String salt, CanaryMeter meter) {
    }

    /** The consumer registry of a table compiled from a state without consumers. */
    public static final Consumers NO_CONSUMERS = new Consumers() {
        @Override
        public Optional<ApiConsumer> byKey(String presentedKey) {
            return Optional.empty();
        }

        @Override
        public Optional<ApiConsumer> byId(String id) {
            return Optional.empty();
        }

        @Override
        public int size() {
            return 0;
        }
    };

    /**
     * @param revision the revision compiled
     * @param generation increases on every publish, also when the same revision is recompiled
     *                   after a policy bundle changed
     */
    public RouteTable(long revision, long generation, Collection<Route> routes) {
        this(revision, generation, routes, NO_CONSUMERS);
    }

    /** @param consumers the revision's consumers, indexed for the policies' look-ups (CONTRACT §8) */
    public RouteTable(long revision, long generation, Collection<Route> routes, Consumers consumers) {
        this.consumers = java.util.Objects.requireNonNull(consumers, "consumers");
        this.revision = revision;
        this.generation = generation;
        this.routes = List.copyOf(routes);
        Map<String, Route> map = new HashMap<>();
        for (Route r : routes) {
            map.put(r.basePath(), r);
        }
        this.byBasePath = Map.copyOf(map);
        this.canary = null;
        this.meter = null;
    }

    private RouteTable(RouteTable of, CanarySplit canary, CanaryMeter.Side meter) {
        this.revision = of.revision;
        this.generation = of.generation;
        this.routes = of.routes;
        this.byBasePath = of.byBasePath;
        this.consumers = of.consumers;
        this.canary = canary;
        this.meter = meter;
    }

    /**
     * This table (not yet published) as the canary side of {@code canary}: it serves the canary's
     * share of requests ({@link #side}), {@code stable} the rest, each recording into {@code meter}.
     */
    public RouteTable asCanary(RouteTable stable, Canary canary, CanaryMeter meter) {
        RouteTable stableSide = new RouteTable(stable, null, meter.stable());
        return new RouteTable(this, new CanarySplit(stableSide, canary, canary.salt(), meter), meter.canary());
    }

    /** The canary this table is the published side of, or null (one field read: the cost for tables without one). */
    public CanarySplit canary() {
        return canary;
    }

    /** Where this side of a running canary counts its answers, or null without a canary. */
    public CanaryMeter.Side meter() {
        return meter;
    }

    /**
     * The table that serves a request whose sticky key is {@code key}: this one, or the stable
     * side's for keys whose bucket is past the canary's share. Without a canary, this one.
     */
    public RouteTable side(String key) {
        CanarySplit c = canary;
        if (c == null) {
            return this;
        }
        return ShapeSplit.bucket(c.salt(), key) < c.canary().policy().basisPoints() ? this : c.stable();
    }

    /**
     * Every route a request may be served by from this table: its routes, their split's shapes, and
     * while a canary runs the stable side's too (what the data plane keeps pools, TLS contexts and
     * health checks for).
     */
    public List<Route> servedRoutes() {
        List<Route> out = new ArrayList<>();
        addServed(this, out);
        if (canary != null) {
            addServed(canary.stable(), out);
        }
        return out;
    }

    private static void addServed(RouteTable t, List<Route> out) {
        for (Route r : t.routes) {
            out.add(r);
            out.addAll(r.shapes());
        }
    }

    public static RouteTable empty() {
        return new RouteTable(0, 0, List.of());
    }

    public long revision() {
        return revision;
    }

    public long generation() {
        return generation;
    }

    /** The revision's consumers (what {@code PolicyContext.consumers()} answers from the newest table). */
    public Consumers consumers() {
        return consumers;
    }

    public List<Route> routes() {
        return routes;
    }

    /**
     * Longest basePath that matches {@code path} on whole segments, or {@code null}.
     * {@code path} must be normalised (absolute, dot-segments resolved).
     */
    public Route match(String path) {
        if (byBasePath.isEmpty()) {
            return null;
        }
        String candidate = path;
        while (true) {
            Route r = byBasePath.get(candidate);
            if (r != null) {
                return r;
            }
            int slash = candidate.lastIndexOf('/');
            if (slash <= 0) {
                return candidate.equals("/") ? null : byBasePath.get("/");
            }
            candidate = candidate.substring(0, slash);
        }
    }

    /** Marks one request as running on this table. Pair with {@link #release()}. */
    public void acquire() {
        inFlight.increment();
    }

    public void release() {
        inFlight.decrement();
    }

    /** Requests currently running on this table. */
    public long inFlight() {
        return inFlight.sum();
    }
}
