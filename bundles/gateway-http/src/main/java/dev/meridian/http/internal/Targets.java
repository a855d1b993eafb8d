package dev.meridian.http.internal;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.model.Upstream;
import dev.meridian.model.UpstreamTargets;
import dev.meridian.model.UpstreamTls;

/**
 * This node's upstream targets (CONTRACT §8): a {@link TargetState} per target URL and TLS
 * material, kept across applies for as long as a route has the target (so an apply that keeps a
 * target keeps its health, ejection and breaker; its connections are kept by the pools, which
 * key on the target's equal {@link Upstream}); a {@link TargetGroup} per route upstream
 * instance; the {@link HealthChecks}. Groups are looked up by identity in a map that is never
 * changed once published (copy on write), so a request's look-up takes no lock.
 */
final class Targets {

    /** What identifies a target across applies: its URL (resolved on this node) and its TLS material. */
    record Key(URI url, UpstreamTls tls) {
        static Key of(Upstream target) {
            return new Key(target.url(), target.tls());
        }
    }

    private final ConcurrentHashMap<Key, TargetState> states = new ConcurrentHashMap<>();
    private volatile Map<Upstream, TargetGroup> groups = new IdentityHashMap<>();
    private final HealthChecks health;

    Targets(HealthChecks health) {
        this.health = health;
    }

    /** The group of {@code route}'s upstream (which has targets), built on first use. */
    TargetGroup group(Route route) {
        TargetGroup g = groups.get(route.upstream());
        return g != null ? g : add(route.upstream(), route.id());
    }

    private synchronized TargetGroup add(Upstream u, String apiId) {
        TargetGroup g = groups.get(u);
        if (g == null) {
            g = new TargetGroup(u, apiId, this::state);
            Map<Upstream, TargetGroup> next = new IdentityHashMap<>(groups);
            next.put(u, g);
            groups = next;
        }
        return g;
    }

    TargetState state(Upstream target) {
        return states.computeIfAbsent(Key.of(target), k -> new TargetState(target.shown()));
    }

    /**
     * Keeps the groups and target states {@code table} uses (building those it adds), drops the
     * others, and runs the health checks of what is kept. Requests of an older table still in
     * flight keep the groups they hold.
     */
    synchronized void retainUsedBy(RouteTable table) {
        Map<Upstream, TargetGroup> next = new IdentityHashMap<>();
        Set<Key> used = new HashSet<>();
        // a split's shapes and a canary's stable side have upstreams of their own, targets too
        for (Route route : table.servedRoutes()) {
            Upstream u = route.upstream();
            if (!u.hasTargets() || next.containsKey(u)) {
                continue;
            }
            TargetGroup g = groups.get(u);
            if (g == null) {
                g = new TargetGroup(u, route.id(), this::state);
            }
            next.put(u, g);
            for (UpstreamTargets.Target t : u.targets().targets()) {
                used.add(Key.of(t.upstream()));
            }
        }
        states.keySet().retainAll(used);
        groups = next;
        health.retain(next.values());
    }

    Collection<TargetGroup> groups() {
        return groups.values();
    }

    void stop() {
        health.stopAll();
    }

    /** The {@code /metrics} families of targets (Prometheus text): per target and per API's retries. */
    void metrics(StringBuilder out) {
        Map<String, TargetState> byName = new TreeMap<>();
        states.values().forEach(s -> byName.putIfAbsent(s.name, s));
        long now = System.nanoTime();
        family(out, "meridian_upstream_target_requests_total", "counter", "Requests sent to the upstream target (retries included).");
        byName.forEach((n, s) -> sample(out, "meridian_upstream_target_requests_total", n, s.requests.sum()));
        family(out, "meridian_upstream_target_failures_total", "counter",
            "Requests to the target that failed: connect failure, timeout or a 5xx answer.");
        byName.forEach((n, s) -> sample(out, "meridian_upstream_target_failures_total", n, s.failures.sum()));
        family(out, "meridian_upstream_target_in_flight", "gauge", "Requests to the target awaiting its answer.");
        byName.forEach((n, s) -> sample(out, "meridian_upstream_target_in_flight", n, s.inFlight.get()));
        family(out, "meridian_upstream_target_healthy", "gauge", "1 while the active health checks find the target healthy, else 0.");
        byName.forEach((n, s) -> sample(out, "meridian_upstream_target_healthy", n, s.healthy() ? 1 : 0));
        family(out, "meridian_upstream_target_ejected", "gauge", "1 while live traffic's failures have the target ejected, else 0.");
        byName.forEach((n, s) -> sample(out, "meridian_upstream_target_ejected", n, s.ejected(now) ? 1 : 0));
        family(out, "meridian_upstream_target_ejections_total", "counter", "Times the target was ejected by live traffic's failures.");
        byName.forEach((n, s) -> sample(out, "meridian_upstream_target_ejections_total", n, s.ejections.get()));
        family(out, "meridian_upstream_target_breaker_state", "gauge", "The target's circuit breaker: 0 closed, 1 open, 2 half-open.");
        byName.forEach((n, s) -> sample(out, "meridian_upstream_target_breaker_state", n, s.breakerState()));
        family(out, "meridian_upstream_target_breaker_openings_total", "counter", "Times the target's circuit breaker opened.");
        byName.forEach((n, s) -> sample(out, "meridian_upstream_target_breaker_openings_total", n, s.breakerOpenings()));
        Map<String, long[]> retries = new TreeMap<>();
        for (TargetGroup g : groups.values()) {
            long[] r = retries.computeIfAbsent(g.apiId, k -> new long[2]);
            r[0] += g.budget.granted();
            r[1] += g.budget.refused();
        }
        family(out, "meridian_upstream_retries_total", "counter", "Retries sent to another (or the same) target, per API.");
        retries.forEach((api, r) -> out.append("meridian_upstream_retries_total{api=\"").append(api).append("\"} ")
            .append(r[0]).append('\n'));
        family(out, "meridian_upstream_retries_refused_total", "counter", "Retries the retry budget refused, per API.");
        retries.forEach((api, r) -> out.append("meridian_upstream_retries_refused_total{api=\"").append(api).append("\"} ")
            .append(r[1]).append('\n'));
    }

    private static void family(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
            .append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String target, long value) {
        out.append(name).append("{target=\"").append(target.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"} ")
            .append(value).append('\n');
    }
}
