package dev.meridian.policy.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One named key/value space shared by every node of the cluster ({@link PolicyContext#state}).
 * Values are bytes (or longs for counters) so that no class of a policy bundle ever crosses the
 * cluster: a bundle update must not strand values the old bundle wrote. Entries expire after
 * their TTL ({@link Duration#ZERO} = never).
 *
 * <p><b>Near cache.</b> {@link #peek} answers from this node's memory only and never blocks: use
 * it on the request path, and {@link #get} (which may cross the network) when it misses. A
 * change made on any node invalidates the other nodes' near copies (asynchronously, within
 * milliseconds; a removal is visible to {@code get} everywhere once its stage completes).
 *
 * <p>Stages complete on a platform thread, never the caller's.
 *
 * @since 1.2
 */
@ProviderType
public interface SharedState {

    /** The name this space was opened with. */
    String name();

    /** This node's near copy of {@code key}, empty when absent or not cached here. Never blocks. */
    Optional<byte[]> peek(String key);

    /** The value of {@code key} (filling this node's near copy), empty when absent. */
    CompletionStage<Optional<byte[]>> get(String key);

    /** Sets {@code key}. */
    CompletionStage<Void> put(String key, byte[] value, Duration ttl);

    /** Sets {@code key} only if absent; true if this call set it (a cluster-wide lease, a first writer wins). */
    CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl);

    /** Replaces {@code key}'s value only if it equals {@code expected} (byte-wise); true if replaced. */
    CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl);

    /** Removes {@code key}; true if it was there. */
    CompletionStage<Boolean> remove(String key);

    /**
     * Adds {@code delta} to the counter {@code key} (created at 0 with {@code ttl} if absent; the
     * TTL is not extended by later additions) and answers the new value, atomically across the cluster.
     */
    CompletionStage<Long> addAndGet(String key, long delta, Duration ttl);

    /**
     * Takes up to {@code want} units from the budget {@code cap} kept under {@code key}, atomically
     * across the cluster, and answers how many were granted, {@code min(want, cap - taken)} (0
     * when the budget is spent, never more), with what is left after it. What was taken stays
     * taken until the key expires (a counter created at 0 with {@code ttl} if absent; later takes
     * do not extend the TTL). The cap is the caller's at each call and is not stored, so a caller
     * that raises or lowers it keeps the count taken so far (a rate limit changed mid-window). The
     * key is a counter: {@link #get} reads what was taken (8 bytes, big-endian).
     *
     * <p>Tokens are debited before they are used: nodes that each take a slice of a shared budget
     * and spend it locally never spend more than {@code cap} together; what a node took and did
     * not spend is lost with it.
     *
     * <pre>{@code
     * // GOOD: one take per slice of requests, the slice spent locally
     * state.take("orders|alice|1764745200", 32, 1000, ttl).thenAccept(t -> slice.add(t.granted()));
     * // BAD: read, compare and add in three calls: two nodes race past the cap
     * state.get(key).thenCompose(v -> count(v) < cap ? state.addAndGet(key, 1, ttl) : ...);
     * }</pre>
     *
     * <p>The default fails the stage: a provider of SPI 1.2 does not offer it.
     *
     * @param want how many units the caller would like, {@code >= 1}
     * @param cap the budget, {@code >= 0}
     * @return a stage with the units granted; failed when {@code key} holds bytes
     * @throws IllegalArgumentException for {@code want < 1} or {@code cap < 0}
     * @since 1.3
     */
    default CompletionStage<Taken> take(String key, long want, long cap, Duration ttl) {
        return CompletableFuture.failedStage(
            new UnsupportedOperationException("shared state " + name() + " does not offer take (SPI 1.3)"));
    }

    /**
     * What a {@link #take} granted, {@code 0..want}, and what is left of the budget after it,
     * {@code max(0, cap - taken)} (others may take it before the caller asks again).
     *
     * @since 1.3
     */
    record Taken(long granted, long remaining) {
        public Taken {
            if (granted < 0 || remaining < 0) {
                throw new IllegalArgumentException("granted and remaining are >= 0: " + granted + ", " + remaining);
            }
        }
    }

    /** UTF-8 convenience for {@link #put}. */
    default CompletionStage<Void> putString(String key, String value, Duration ttl) {
        return put(key, value.getBytes(StandardCharsets.UTF_8), ttl);
    }

    /** UTF-8 convenience for {@link #peek}. */
    default Optional<String> peekString(String key) {
        return peek(key).map(b -> new String(b, StandardCharsets.UTF_8));
    }
}
