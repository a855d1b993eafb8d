package dev.meridian.policy.introspection;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

import dev.meridian.policy.api.Scheduler;
import dev.meridian.policy.api.SharedState;

/**
 * Introspection answers shared by the cluster, with one IdP call per token cluster-wide.
 *
 * <p>On this node, concurrent lookups of one key share one stage. Across nodes, the first to
 * {@link SharedState#putIfAbsent put} the lease {@code lease:<key>} asks the IdP and stores the
 * answer under {@code <key>} with its TTL; the others poll the stored answer every
 * {@link #POLL}. When the call fails, the winner turns its lease into a failure mark held
 * {@link #FAILURE_HOLD}: every waiter, and every new request for that token in that time, fails
 * at once instead of calling again, so an IdP outage costs at most one call per token per
 * second for the whole cluster. A lease outlives a crashed winner by its TTL only.
 */
final class SharedLookup {

    static final Duration POLL = Duration.ofMillis(20);
    static final Duration FAILURE_HOLD = Duration.ofSeconds(1);
    static final String LEASE = "lease:";
    /** First byte of a lease that records a failed call (a node name never starts with it). */
    private static final byte FAILED = '!';

    private final SharedState state;
    private final Scheduler scheduler;
    private final Clock clock;
    private final byte[] nodeName;
    private final Freshness freshness;
    private final Duration leaseTtl;
    private final Function<String, CompletionStage<TokenInfo>> identityProvider;
    private final ConcurrentMap<String, CompletableFuture<TokenInfo>> inFlight = new ConcurrentHashMap<>();

    SharedLookup(SharedState state, Scheduler scheduler, Clock clock, String nodeName, Freshness freshness, Duration callTimeout,
                 Function<String, CompletionStage<TokenInfo>> identityProvider) {
        this.state = state;
        this.scheduler = scheduler;
        this.clock = clock;
        this.nodeName = nodeName.getBytes(StandardCharsets.UTF_8);
        this.freshness = freshness;
        this.leaseTtl = callTimeout.plusSeconds(1);
        this.identityProvider = identityProvider;
    }

    /** This node's held answer for {@code key}, if fresh; never blocks. */
    Optional<TokenInfo> peek(String key) {
        return state.peek(key).flatMap(TokenInfo::decode).filter(i -> freshness.fresh(i, clock.millis()));
    }

    /**
     * The answer for {@code key} from the cluster or, if nobody holds a fresh one fetched after
     * {@code notBefore} (epoch ms; {@link Long#MIN_VALUE} for any), from the IdP. Fails with an
     * {@link IOException} when the IdP fails or no answer comes in time.
     */
    CompletionStage<TokenInfo> lookup(String key, String token, long notBefore) {
        // a lookup after a revocation must not join one that may bring an answer from before it
        String flight = notBefore == Long.MIN_VALUE ? key : key + "#" + notBefore;
        CompletableFuture<TokenInfo> mine = new CompletableFuture<>();
        CompletableFuture<TokenInfo> running;
        while ((running = inFlight.putIfAbsent(flight, mine)) != null && running.isDone()) {
            inFlight.remove(flight, running);
        }
        if (running != null) {
            return running;
        }
        mine.whenComplete((i, e) -> inFlight.remove(flight, mine));
        long deadline = clock.millis() + 2 * leaseTtl.toMillis() + POLL.toMillis();
        stored(key, notBefore)
            .thenCompose(found -> found.isPresent() ? CompletableFuture.completedFuture(found.get()) : elect(key, token, notBefore, deadline))
            .whenComplete((info, e) -> {
                if (e != null) {
                    mine.completeExceptionally(cause(e));
                } else {
                    mine.complete(info);
                }
            });
        return mine;
    }

    private CompletionStage<Optional<TokenInfo>> stored(String key, long notBefore) {
        return state.get(key).thenApply(v -> v.flatMap(TokenInfo::decode)
            .filter(i -> i.fetchedAt() > notBefore && freshness.fresh(i, clock.millis())));
    }

    private CompletionStage<TokenInfo> elect(String key, String token, long notBefore, long deadline) {
        return state.putIfAbsent(LEASE + key, nodeName, leaseTtl).thenCompose(won -> {
            if (!won) {
                CompletableFuture<TokenInfo> waited = new CompletableFuture<>();
                scheduler.schedule(() -> poll(key, token, notBefore, deadline, waited), POLL);
                return waited;
            }
            // another node may have stored it between our read and our lease
            return stored(key, notBefore).thenCompose(found -> found.isPresent()
                ? release(key).thenApply(v -> found.get())
                : ask(key, token));
        });
    }

    private CompletionStage<TokenInfo> ask(String key, String token) {
        return identityProvider.apply(token).handle((info, e) -> {
            if (e != null) {
                byte[] failed = failureMark();
                return state.compareAndSet(LEASE + key, nodeName, failed, FAILURE_HOLD)
                    .handle((x, y) -> null)
                    .thenCompose(x -> CompletableFuture.<TokenInfo>failedFuture(cause(e)));
            }
            Duration ttl = freshness.ttl(info, clock.millis());
            CompletionStage<Void> kept = ttl.isZero()
                ? CompletableFuture.completedFuture(null)
                // read back: fills this node's near copy, so the next request is a peek
                : state.put(key, info.encode(), ttl).thenCompose(v -> state.get(key)).thenApply(v -> null);
            return kept.thenCompose(v -> release(key)).thenApply(v -> info);
        }).thenCompose(Function.identity());
    }

    private CompletionStage<Boolean> release(String key) {
        return state.remove(LEASE + key);
    }

    private byte[] failureMark() {
        byte[] mark = new byte[nodeName.length + 1];
        mark[0] = FAILED;
        System.arraycopy(nodeName, 0, mark, 1, nodeName.length);
        return mark;
    }

    private void poll(String key, String token, long notBefore, long deadline, CompletableFuture<TokenInfo> waited) {
        stored(key, notBefore).thenCompose(found -> {
            if (found.isPresent()) {
                return CompletableFuture.completedFuture(found);
            }
            if (clock.millis() >= deadline) {
                return CompletableFuture.<Optional<TokenInfo>>failedFuture(
                    new IOException("no introspection answer within " + (2 * leaseTtl.toMillis() + POLL.toMillis()) + " ms"));
            }
            return state.get(LEASE + key).thenCompose(lease -> {
                if (lease.isEmpty()) {
                    // the winner released without storing (an expiring token) or crashed: take over
                    return elect(key, token, notBefore, deadline).thenApply(Optional::of);
                }
                if (lease.get().length > 0 && lease.get()[0] == FAILED) {
                    String node = new String(Arrays.copyOfRange(lease.get(), 1, lease.get().length), StandardCharsets.UTF_8);
                    return CompletableFuture.<Optional<TokenInfo>>failedFuture(
                        new IOException("the identity provider failed for node " + node + " less than " + FAILURE_HOLD.toMillis() + " ms ago"));
                }
                return CompletableFuture.completedFuture(Optional.<TokenInfo>empty());
            });
        }).whenComplete((found, e) -> {
            if (e != null) {
                waited.completeExceptionally(cause(e));
            } else if (found.isPresent()) {
                waited.complete(found.get());
            } else {
                scheduler.schedule(() -> poll(key, token, notBefore, deadline, waited), POLL);
            }
        });
    }

    private static Throwable cause(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /**
     * How long answers are kept: an active one {@code cacheTtl} but never past its {@code exp}, an
     * inactive one {@code inactiveTtl} (a token may become active only by being a new token, but
     * an IdP's brief mistake should not stick).
     */
    record Freshness(Duration cacheTtl, Duration inactiveTtl) {

        /** The TTL to store {@code info} with; zero = do not store (expired already). */
        Duration ttl(TokenInfo info, long nowMillis) {
            if (!info.active()) {
                return inactiveTtl;
            }
            long millis = cacheTtl.toMillis();
            if (info.exp() > 0) {
                millis = Math.min(millis, info.exp() * 1000 - nowMillis);
            }
            return millis > 0 ? Duration.ofMillis(millis) : Duration.ZERO;
        }

        /** Whether a held answer may still be used at {@code nowMillis} (the store's TTL may lag a little). */
        boolean fresh(TokenInfo info, long nowMillis) {
            long keep = (info.active() ? cacheTtl : inactiveTtl).toMillis();
            return nowMillis - info.fetchedAt() < keep && !info.expired(nowMillis);
        }
    }
}
