package dev.meridian.core;

import java.util.Optional;

import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

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
    private final LongAdder inFlight = new LongAdder();
    private final Consumers consumers;

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
