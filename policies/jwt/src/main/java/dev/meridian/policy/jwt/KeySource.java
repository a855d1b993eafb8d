package dev.meridian.policy.jwt;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.policy.api.Scheduler;
import dev.meridian.policy.api.SharedState;

/**
 * The keys of one source on this node, kept in step with the cluster.
 *
 * <p><b>Where keys live.</b> The cluster holds one document per source in {@code jwt.jwks}
 * ({@link KeySnapshot}'s JSON, no TTL): the last good keys outlive IdP outages, applies, bundle
 * updates and nodes, and a node that joins reads them instead of calling the IdP. This node
 * keeps the decoded snapshot in an {@link AtomicReference}; a request reads it without waiting.
 *
 * <p><b>Who fetches.</b> A fetch is made only by the node that sets the source's lease
 * ({@link SharedState#putIfAbsent}, TTL {@code minRefetchInterval}, 1 s by default): whatever the
 * flood of unknown {@code kid}s on however many nodes, the IdP sees at most one fetch per
 * interval per source. A node that loses the lease waits a little and rereads the shared
 * document. Within a node, concurrent reads and fetch rounds are coalesced into one.
 * A failed fetch holds the lease for {@link #FAILURE_BACKOFF}, so a dead IdP is asked every
 * few seconds, not every second, and the last good keys keep serving.
 *
 * <p><b>Freshness.</b> Every {@link #TICK} the node adopts the shared document if it changed (the
 * near cache makes that a local read) and, when the keys are older than {@code refreshInterval},
 * enters a fetch round; a token with an unknown {@code kid} enters one at once
 * ({@link #awaitKey}). Only a newer document ({@code fetchedAt}) replaces the one a node holds.
 * A source idle for {@link #IDLE} is no longer refreshed; its next request revives it.
 *
 * <p>Thread-safe; nothing here blocks: every wait is a {@link CompletionStage}.
 */
final class KeySource {

    private static final Logger LOG = LoggerFactory.getLogger(KeySource.class);

    /** How long the cluster leaves a failing IdP alone after a failed fetch. */
    static final Duration FAILURE_BACKOFF = Duration.ofSeconds(5);
    /** The longest a request with an unknown kid waits for a fetch before it is answered with the keys there are. */
    static final Duration MAX_WAIT = Duration.ofMillis(2500);
    /** How long a node that lost the lease waits before it rereads the shared document. */
    static final Duration LOST_LEASE_PAUSE = Duration.ofMillis(200);
    static final Duration TICK = Duration.ofSeconds(1);
    /**
     * A source no request asked for in this long is not refreshed any more (its shared document
     * is still adopted): a dry-run validation or a removed API must not leave a node polling an
     * IdP, or logging its failures, for the rest of the bundle's life.
     */
    static final Duration IDLE = Duration.ofMinutes(10);

    private final KeySourceId id;
    private final SharedState state;
    private final JwksFetcher fetcher;
    private final Scheduler scheduler;
    private final Clock clock;
    private final String nodeName;
    private final byte[] nodeBytes;
    private volatile Duration refreshInterval;
    private volatile Duration minRefetchInterval;
    private final AtomicReference<KeySnapshot> current = new AtomicReference<>();
    /** The shared-document read in flight on this node, if any. */
    private final AtomicReference<CompletableFuture<Void>> sync = new AtomicReference<>();
    /** The fetch round (lease, fetch, publish) in flight on this node, if any. */
    private final AtomicReference<CompletableFuture<Void>> round = new AtomicReference<>();
    private volatile long lastFailure = Long.MIN_VALUE;
    /** When a request last read these keys (to the second); creation counts as a use. */
    private volatile long lastUse;

    KeySource(KeySourceId id, SharedState state, JwksFetcher fetcher, Scheduler scheduler, Clock clock, String nodeName,
              Duration refreshInterval, Duration minRefetchInterval) {
        this.id = id;
        this.state = state;
        this.fetcher = fetcher;
        this.scheduler = scheduler;
        this.clock = clock;
        this.nodeName = nodeName;
        this.nodeBytes = nodeName.getBytes(StandardCharsets.UTF_8);
        this.refreshInterval = refreshInterval;
        this.minRefetchInterval = minRefetchInterval;
        this.lastUse = clock.millis();
    }

    /** Reads the shared document (a warm cluster: no fetch) and starts the tick. */
    KeySource start() {
        scheduler.every(TICK, this::tick);
        sync();
        return this;
    }

    /** The intervals of the newest policy entry using this source (entries of one source share one lease). */
    void configure(Duration refresh, Duration minRefetch) {
        this.refreshInterval = refresh;
        this.minRefetchInterval = minRefetch;
    }

    KeySourceId id() {
        return id;
    }

    /** The keys this node holds, or null before any were read or fetched. Never blocks. */
    KeySnapshot current() {
        long now = clock.millis();
        if (now - lastUse >= 1000) {
            lastUse = now;                       // at most one volatile write per second per source
        }
        KeySnapshot snapshot = current.get();
        if (snapshot == null) {
            state.peek(id.documentKey()).ifPresent(this::adopt);
            snapshot = current.get();
        }
        return snapshot;
    }

    /**
     * The keys once {@code kid} is known, or once a fetch started at or after {@code since}
     * (the request's arrival) has answered or failed, or after {@link #MAX_WAIT}: then the
     * request is judged on the keys there are (an unknown kid is rejected). Completes with
     * null only when no key was ever obtained.
     */
    CompletionStage<KeySnapshot> awaitKey(String kid, long since) {
        return awaitKey(kid, since, since + MAX_WAIT.toMillis());
    }

    private CompletionStage<KeySnapshot> awaitKey(String kid, long since, long deadline) {
        if (settled(kid, since, deadline)) {
            return CompletableFuture.completedFuture(current.get());
        }
        return sync().thenCompose(read -> settled(kid, since, deadline)
            ? CompletableFuture.completedFuture(current.get())
            : fetchRound().thenCompose(fetched -> awaitKey(kid, since, deadline)));
    }

    private boolean settled(String kid, long since, long deadline) {
        KeySnapshot snapshot = current.get();
        if (snapshot != null && snapshot.knows(kid)) {
            return true;
        }
        long askedAt = Math.max(lastFailure, snapshot == null ? Long.MIN_VALUE : snapshot.fetchedAt());
        return askedAt >= since || clock.millis() >= deadline;
    }

    /** Reads the shared document and adopts it if newer; one read at a time per node. */
    CompletableFuture<Void> sync() {
        return coalesce(sync, () -> state.get(id.documentKey()).thenAccept(found -> found.ifPresent(this::adopt)));
    }

    /** Takes the cluster's lease and fetches, or, if another node holds it, pauses; one round at a time per node. */
    CompletableFuture<Void> fetchRound() {
        return coalesce(round, () -> state.putIfAbsent(id.leaseKey(), nodeBytes, minRefetchInterval)
            .thenCompose(won -> won ? fetchAndPublish() : pause(LOST_LEASE_PAUSE)));
    }

    private CompletionStage<Void> fetchAndPublish() {
        long askedAt = clock.millis();
        return fetcher.fetch(id)
            .thenCompose(jwks -> {
                try {
                    KeySnapshot next = KeySnapshot.fromFetch(jwks, askedAt, current.get(), JwtConfig.MAX_KEY_GRACE.toMillis());
                    adopt(next);
                    return publish(next, 3);
                } catch (ParseException e) {
                    throw new CompletionException(e);
                }
            })
            .handle((ok, failure) -> {
                if (failure != null) {
                    lastFailure = askedAt;
                    LOG.warn("jwt: fetching the keys of {} failed on {}; the last good keys stay in use: {}", id, nodeName,
                        rootMessage(failure));
                    state.put(id.leaseKey(), nodeBytes, FAILURE_BACKOFF);
                }
                return null;
            });
    }

    /**
     * Writes {@code next} as the shared document unless the cluster already holds a newer one
     * (two fetches may overlap when one outlives its lease): compare-and-set on what was read,
     * retried a few times.
     */
    private CompletionStage<Void> publish(KeySnapshot next, int attempts) {
        String key = id.documentKey();
        return state.get(key).thenCompose(shared -> {
            if (shared.isEmpty()) {
                return state.putIfAbsent(key, next.raw(), Duration.ZERO).thenCompose(set -> retry(set, next, attempts));
            }
            if (next.sameDocument(shared.get()) || fetchedAt(shared.get()) >= next.fetchedAt()) {
                return CompletableFuture.completedFuture(null);
            }
            return state.compareAndSet(key, shared.get(), next.raw(), Duration.ZERO).thenCompose(set -> retry(set, next, attempts));
        });
    }

    private CompletionStage<Void> retry(boolean done, KeySnapshot next, int attempts) {
        return done || attempts <= 1 ? CompletableFuture.completedFuture(null) : publish(next, attempts - 1);
    }

    private static long fetchedAt(byte[] raw) {
        try {
            return KeySnapshot.decode(raw).fetchedAt();
        } catch (ParseException | RuntimeException e) {
            return Long.MIN_VALUE;
        }
    }

    private CompletableFuture<Void> pause(Duration delay) {
        CompletableFuture<Void> pause = new CompletableFuture<>();
        try {
            scheduler.schedule(() -> pause.complete(null), delay);
        } catch (RuntimeException refused) {
            // the factory's scheduler is closed (bundle stopping): still let the waiting requests finish
            CompletableFuture.runAsync(() -> pause.complete(null), CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS));
        }
        return pause;
    }

    /** Adopts a changed shared document (from the near cache when it holds one) and refreshes stale keys. */
    void tick() {
        Optional<byte[]> near = state.peek(id.documentKey());
        CompletableFuture<Void> read = near.isPresent() ? CompletableFuture.completedFuture(null) : sync();
        near.ifPresent(this::adopt);
        read.thenRun(() -> {
            KeySnapshot snapshot = current.get();
            long now = clock.millis();
            if (now - lastUse > IDLE.toMillis()) {
                return;
            }
            if (snapshot == null || now - snapshot.fetchedAt() >= refreshInterval.toMillis()) {
                fetchRound();
            }
        });
    }

    private void adopt(byte[] raw) {
        KeySnapshot mine = current.get();
        if (mine != null && mine.sameDocument(raw)) {
            return;
        }
        try {
            adopt(KeySnapshot.decode(raw));
        } catch (ParseException | RuntimeException e) {
            LOG.warn("jwt: the shared keys of {} could not be read on {}; keeping this node's: {}", id, nodeName, e.toString());
        }
    }

    /** Only a newer fetch replaces the snapshot: a late read of an older document never rolls keys back. */
    private void adopt(KeySnapshot next) {
        current.accumulateAndGet(next, (mine, theirs) -> mine != null && theirs.fetchedAt() <= mine.fetchedAt() ? mine : theirs);
    }

    /** Runs {@code work} unless a run is in flight in {@code slot}, whose completion is then shared. */
    private static CompletableFuture<Void> coalesce(AtomicReference<CompletableFuture<Void>> slot, Supplier<CompletionStage<Void>> work) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        while (!slot.compareAndSet(null, mine)) {
            CompletableFuture<Void> running = slot.get();
            if (running != null) {
                return running;
            }
        }
        CompletionStage<Void> started;
        try {
            started = work.get();
        } catch (RuntimeException e) {
            started = CompletableFuture.failedFuture(e);
        }
        started.whenComplete((ok, failure) -> {
            slot.compareAndSet(mine, null);
            if (failure != null) {
                LOG.debug("jwt: a shared-state call failed", failure);
            }
            mine.complete(null);
        });
        return mine;
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        String name = cause.getClass().getSimpleName();
        return cause.getMessage() == null ? name : name + ": " + cause.getMessage();
    }
}
