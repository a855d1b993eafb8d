package dev.meridian.http.internal;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import dev.meridian.core.StableHash;
import dev.meridian.core.flow.Exchange;
import dev.meridian.model.Upstream;
import dev.meridian.model.UpstreamTargets;
import dev.meridian.policy.api.PolicyRequest;

/**
 * The targets of one route's upstream as this node calls them: the balancer (CONTRACT §8
 * {@code balance}) over members whose {@link TargetState} is shared with every other route that
 * has the same target, and the upstream's retry budget. Built once per upstream instance (an apply
 * that keeps the upstream keeps the instance, and so this group and its round-robin position).
 *
 * <ul>
 * <li>{@code round-robin}: smooth weighted round-robin (nginx): every pick adds each available
 *     target's weight to its current weight, takes the largest and subtracts the total; 3:1
 *     gives a a b a, 5:1:1 a a b a c a a, never a burst of one target.
 * <li>{@code least-requests}: the target with the fewest requests in flight per unit of weight,
 *     ties drawn by weight (nginx's {@code least_conn}).
 * <li>{@code hash:<consumer|ip|header:X>}: a consistent-hash ring, 100 points per unit of weight
 *     (at most 40,000 points in all, scaled down beyond), each point placed by the target's URL: removing
 *     a target moves only the keys it had. A request without the key (no consumer, no header) is
 *     balanced round-robin.
 * </ul>
 * Unavailable targets (unhealthy, ejected, breaker open) are skipped by each. Thread-safe.
 */
final class TargetGroup {

    static final int POINTS_PER_WEIGHT = 100;
    static final int MAX_POINTS = 40_000;

    /** One target of the group. */
    record Member(int index, Upstream upstream, int weight, TargetState state) {
    }

    final Upstream upstream;
    final UpstreamTargets config;
    final Member[] members;
    final RetryBudget budget = new RetryBudget();
    /** The API ids that use this group (for the log and metrics): set by whoever built it. */
    final String apiId;
    private final int[] current;
    private final long[] ringPoints;
    private final int[] ringOwners;

    /** @param states the state of each target of {@code upstream}, in order */
    TargetGroup(Upstream upstream, String apiId, Function<Upstream, TargetState> states) {
        this.upstream = upstream;
        this.apiId = apiId;
        this.config = upstream.targets();
        List<UpstreamTargets.Target> targets = config.targets();
        if (targets.size() > 64) {
            throw new IllegalArgumentException("at most 64 targets"); // the exclusion mask is a long
        }
        this.members = new Member[targets.size()];
        for (int i = 0; i < members.length; i++) {
            UpstreamTargets.Target t = targets.get(i);
            members[i] = new Member(i, t.upstream(), t.weight(), states.apply(t.upstream()));
        }
        this.current = new int[members.length];
        if (config.balance().kind() == UpstreamTargets.Balance.Kind.HASH) {
            long[][] ring = ring(members);
            ringPoints = ring[0];
            ringOwners = Arrays.stream(ring[1]).mapToInt(l -> (int) l).toArray();
        } else {
            ringPoints = null;
            ringOwners = null;
        }
    }

    /**
     * A target for this request, or null when none is available; {@code excluded}: a bit per
     * member index already tried. Does not take the target ({@link TargetState#acquire}).
     */
    Member choose(Exchange e, long excluded, long now) {
        return switch (config.balance().kind()) {
            case ROUND_ROBIN -> roundRobin(excluded, now);
            case LEAST_REQUESTS -> leastRequests(excluded, now);
            case HASH -> {
                String key = key(e);
                yield key == null ? roundRobin(excluded, now) : byHash(key, excluded, now);
            }
        };
    }

    /** Whether some member not in {@code excluded} is available. */
    boolean anyAvailable(long excluded, long now) {
        for (Member m : members) {
            if ((excluded & (1L << m.index)) == 0 && usable(m, now)) {
                return true;
            }
        }
        return false;
    }

    private boolean usable(Member m, long now) {
        return m.state.available(now, config.circuitBreaker());
    }

    synchronized Member roundRobin(long excluded, long now) {
        int total = 0;
        int best = -1;
        for (int i = 0; i < members.length; i++) {
            if ((excluded & (1L << i)) != 0 || !usable(members[i], now)) {
                continue;
            }
            current[i] += members[i].weight;
            total += members[i].weight;
            if (best < 0 || current[i] > current[best]) {
                best = i;
            }
        }
        if (best < 0) {
            return null;
        }
        current[best] -= total;
        return members[best];
    }

    /**
     * The available target with the fewest requests in flight per unit of weight (nginx's
     * {@code least_conn}: a full scan, at most 64 targets); ties drawn at random by weight, so
     * idle targets share requests by weight.
     */
    Member leastRequests(long excluded, long now) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        Member best = null;
        long tieWeights = 0;
        for (int i = 0; i < members.length; i++) {
            Member m = members[i];
            if ((excluded & (1L << i)) != 0 || !usable(m, now)) {
                continue;
            }
            if (best == null) {
                best = m;
                tieWeights = m.weight;
                continue;
            }
            // m.inFlight / m.weight against best's, without division
            long cm = (long) m.state.inFlight.get() * best.weight;
            long cb = (long) best.state.inFlight.get() * m.weight;
            if (cm < cb) {
                best = m;
                tieWeights = m.weight;
            } else if (cm == cb) {
                tieWeights += m.weight;
                if (rnd.nextLong(tieWeights) < m.weight) {
                    best = m; // each of the tied kept with probability weight / tied weights
                }
            }
        }
        return best;
    }

    Member byHash(String key, long excluded, long now) {
        long h = hash(key);
        int at = Arrays.binarySearch(ringPoints, h);
        if (at < 0) {
            at = -at - 1;
        }
        long seen = 0;
        for (int k = 0; k < ringPoints.length; k++) {
            int owner = ringOwners[(at + k) % ringPoints.length];
            long bit = 1L << owner;
            if ((seen & bit) != 0) {
                continue;
            }
            seen |= bit;
            if ((excluded & bit) == 0 && usable(members[owner], now)) {
                return members[owner];
            }
        }
        return null;
    }

    /** The request's hash key, or null when it has none. */
    String key(Exchange e) {
        String by = config.balance().hashBy();
        if (by.equals("ip")) {
            return e.clientAddress();
        }
        if (by.equals("consumer")) {
            Object consumer = e.attribute(PolicyRequest.CONSUMER);
            return consumer == null ? null : String.valueOf(consumer);
        }
        return e.header(by.substring("header:".length())).orElse(null);
    }

    /** Ring points (sorted hashes) and their owners' indexes. */
    private static long[][] ring(Member[] members) {
        long weights = 0;
        for (Member m : members) {
            weights += m.weight;
        }
        double scale = Math.min(1.0, (double) MAX_POINTS / (weights * POINTS_PER_WEIGHT));
        int count = 0;
        int[] points = new int[members.length];
        for (int i = 0; i < members.length; i++) {
            points[i] = Math.max(1, (int) Math.round(members[i].weight * POINTS_PER_WEIGHT * scale));
            count += points[i];
        }
        long[][] entries = new long[count][];
        int k = 0;
        for (int i = 0; i < members.length; i++) {
            String url = members[i].upstream.url().toString();
            for (int p = 0; p < points[i]; p++) {
                entries[k++] = new long[] {hash(url + "#" + p), i};
            }
        }
        Arrays.sort(entries, (x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        long[] hashes = new long[count];
        long[] owners = new long[count];
        for (int i = 0; i < count; i++) {
            hashes[i] = entries[i][0];
            owners[i] = entries[i][1];
        }
        return new long[][] {hashes, owners};
    }

    /** The gateway's stable hash ({@link StableHash}): the ring is the same on every node. */
    static long hash(String s) {
        return StableHash.of(s);
    }
}
