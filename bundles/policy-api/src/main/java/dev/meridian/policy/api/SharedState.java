package dev.meridian.policy.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
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

    /** UTF-8 convenience for {@link #put}. */
    default CompletionStage<Void> putString(String key, String value, Duration ttl) {
        return put(key, value.getBytes(StandardCharsets.UTF_8), ttl);
    }

    /** UTF-8 convenience for {@link #peek}. */
    default Optional<String> peekString(String key) {
        return peek(key).map(b -> new String(b, StandardCharsets.UTF_8));
    }
}
