package dev.meridian.cache;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The cluster's shared storage for cached responses, with JDK types only (the cluster bundle
 * implements it over Hazelcast; nothing else sees Hazelcast). Entries are opaque bytes
 * ({@link CachedResponse#encode()}), grouped in named maps: one per API and cache-settings
 * version, so starting clean for one API is dropping one map.
 *
 * <p>Every method is thread-safe. Methods returning a stage never block the caller; the others
 * may make one network round trip and must not be called on the request path unless noted.
 */
@ProviderType
public interface CacheStore {

    /**
     * Readies a map before its first use: its bounds of about {@code maxEntries} entries and
     * {@code maxBytes} bytes cluster-wide (least recently used entries go first past either).
     * Blocking (a cluster round trip); call it off the request path. A later, different bound for
     * the same map keeps the first one.
     */
    void prepare(String map, long maxEntries, long maxBytes);

    /** The entry, or {@code null} when absent or expired. Non-blocking. */
    CompletionStage<byte[]> get(String map, String key);

    /**
     * Stores an entry with a time to live (least recently used evicted first past the map's
     * bound). Non-blocking; the stage completes once the entry is readable from every node (a
     * failed write completes it too: a lost write is a later miss).
     */
    CompletionStage<Void> put(String map, String key, byte[] value, long ttlMillis);

    /**
     * Marks an entry used, for the map's least-recently-used bounds, without reading it (a node
     * answers hits from its own copy). Non-blocking, best effort.
     */
    void touch(String map, String key);

    /** Removes one entry. Non-blocking. */
    void remove(String map, String key);

    /**
     * Removes one entry if it still holds exactly {@code expected} (an entry found invalidated,
     * which another node may have replaced meanwhile with a valid one). Non-blocking.
     */
    void remove(String map, String key, byte[] expected);

    /**
     * Removes, cluster-wide, the entries of a map that an invalidation covers
     * ({@link CachedResponse#coveredBy}): the background purge after an invalidation.
     * Runs where the entries live, partition by partition; may take seconds for millions of
     * entries. Call it off the request path.
     */
    void purge(String map, Invalidated raised);

    /**
     * {@link #purge(String, Invalidated)} as one of several maps one invalidation purges, one
     * after the other: {@code startedNanos} ({@link System#nanoTime}) is when that invalidation's
     * purge began, so that a store that paces a purge more gently in its first seconds does so
     * once per invalidation, not once per map (with fifty cached APIs, fifty gentle starts).
     */
    default void purge(String map, Invalidated raised, long startedNanos) {
        purge(map, raised);
    }

    /** Drops a whole map, cluster-wide (its API was deleted or its settings changed). */
    void destroy(String map);

    /** Entries a map holds cluster-wide (primary copies only). */
    long entries(String map);

    /**
     * What the map removed by itself among the entries this node owns: {@code [expired,
     * evicted]} (past their time to live; past the map's bound). Zeros for a node that owns no
     * entries (a client).
     */
    long[] localRemovals(String map);

    /**
     * Moves whenever this node's view of the cluster changes: a member joins or leaves, this node
     * (re)connects, or a split cluster merges. Local and cheap: a node that sees it move re-reads
     * {@link #generations()}, as it may have missed broadcasts.
     */
    long membershipVersion();

    /**
     * The named invalidation generations the cluster knows ({@code api:<id>}, {@code tag:<tag>})
     * whose value is at least {@code sinceMillis}: as a bump takes at least the bumping node's
     * clock ({@link Generations#next}), those bumped since then (by that clock); 0 answers all.
     * Filtered where the generations live: a node reads only what changed.
     */
    Map<String, Long> generations(long sinceMillis);

    /**
     * The URL buckets ({@link UrlGenerations}) changed at or after {@code sinceMillis} (0: all),
     * each as the change a node applies ({@code [floor, h1, g1, ...]}). Filtered where they live.
     */
    Map<Integer, long[]> urlGenerations(long sinceMillis);

    /**
     * Invalidates URLs cluster-wide in one round trip ({@link UrlGenerations#bump} on each
     * bucket's owner, with the caller's clock): {@code hashes} by bucket, and {@code whole} buckets
     * entirely. Answers the change of each bucket touched, for the nodes to apply. The cluster
     * forgets a bucket {@code retention} after its last change.
     */
    Map<Integer, long[]> bumpUrls(Map<Integer, long[]> hashes, java.util.Set<Integer> whole, Duration retention);

    /**
     * Raises generations cluster-wide, in one round trip, to {@link Generations#next} of their
     * current values, and answers the new values. The cluster forgets a generation
     * {@code retention} after its last bump (it then reads as 0 until bumped again, above every
     * earlier value); the caller makes sure no entry whose request started before the bump
     * outlives that.
     */
    Map<String, Long> bump(Collection<String> names, Duration retention);

    /**
     * Runs {@code message} through the broadcast handler of every live node (this one included)
     * and answers each node's reply, or its failure, within {@code timeout}.
     */
    List<NodeReply> broadcast(String message, Duration timeout);

    /** Sets this node's broadcast handler (one per node); closing it removes it. */
    AutoCloseable onBroadcast(Function<String, String> handler);

    /**
     * Whether this node's handler takes part in {@link #broadcast}: false for a node connected
     * as a Hazelcast client, which therefore must not keep entries of its own beyond a lookup.
     */
    boolean receivesBroadcasts();

    /**
     * One node's answer to a broadcast.
     *
     * @param millis time from the broadcast to this node's reply
     * @param reply the handler's answer, {@code null} when the node failed or did not answer
     * @param error why there is no reply, {@code null} when there is one
     */
    record NodeReply(String node, long millis, String reply, String error) {
    }
}
