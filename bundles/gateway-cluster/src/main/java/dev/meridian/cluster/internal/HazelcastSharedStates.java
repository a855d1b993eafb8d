package dev.meridian.cluster.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.core.HazelcastInstance;

import dev.meridian.core.SharedStates;
import dev.meridian.policy.api.SharedState;

/**
 * The cluster-shared state offered to policies ({@code PolicyContext.state(name)}): one
 * {@link HazelcastSharedState} per name on this node, each on its own map
 * {@code meridian.state.<name>}. Registered by {@link HazelcastMembership} with the member it
 * owns; the spaces outlive every policy revision and bundle update, so what a policy shares (a
 * JWKS, introspection answers, counters) stays warm across them.
 */
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service",
    attribute = "objectClass:List<String>=dev.meridian.core.SharedStates") // registered by HazelcastMembership, not DS
final class HazelcastSharedStates implements SharedStates, AutoCloseable {

    static final String PREFIX = "meridian.state.";
    /** Names become map names: letters, digits, '.', '_' and '-', as policy types and ids are. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** Near copies kept per space and node (least recently used go first). */
    static final int NEAR_ENTRIES = 50_000;

    private final HazelcastInstance hazelcast;
    private final ClusterSeal seal;
    private final ConcurrentMap<String, HazelcastSharedState> spaces = new ConcurrentHashMap<>();
    /**
     * Where every stage handed to a policy completes (SPI: a platform thread, never the
     * caller's): the continuation of a policy's pending decision runs here, so it must not block.
     * Reads that miss the near cache hold a thread for a round trip ({@link HazelcastSharedState#get}):
     * twice the cores, at least 4.
     */
    private final ExecutorService executor;

    /** @param seal seals every value for its space and key, and refuses what it did not seal (CONTRACT §9) */
    HazelcastSharedStates(HazelcastInstance hazelcast, ClusterSeal seal) {
        this(hazelcast, seal, Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "meridian-state-io");
            t.setDaemon(true);
            return t;
        }));
    }

    /** @param executor where every stage completes; closed with this */
    HazelcastSharedStates(HazelcastInstance hazelcast, ClusterSeal seal, ExecutorService executor) {
        this.hazelcast = hazelcast;
        this.seal = seal;
        this.executor = executor;
    }

    /**
     * The spaces' maps on a member: one synchronous backup, as the shared cache; values kept
     * serialized (BINARY) where they live and in the near cache, which every member holds
     * (invalidated on every change, entries this member owns cached too). Near-cache
     * invalidations are sent at once rather than batched: Hazelcast's default batch waits up
     * to 10 s for 100 of them, far from the SPI's "within milliseconds"; only maps with a near
     * cache send any, and only these have one. The member's {@link ClusterSeal} goes into its
     * user context for the {@link StateProcessors} that run there.
     */
    static void configure(Config c, ClusterSeal seal) {
        c.addMapConfig(new MapConfig(PREFIX + "*")
            .setBackupCount(1)
            .setInMemoryFormat(InMemoryFormat.BINARY)
            .setNearCacheConfig(nearCache()));
        c.setProperty("hazelcast.map.invalidation.batch.enabled", "false");
        if (c.getUserContext() == null) {
            c.setUserContext(new ConcurrentHashMap<>());
        }
        c.getUserContext().put(StateProcessors.SEAL, seal);
    }

    /**
     * A client node's near caches of the spaces (the members it joins hold the maps; a client
     * owns no entries, and Hazelcast refuses {@code cache-local-entries} on a client).
     */
    static void configure(ClientConfig c) {
        c.addNearCacheConfig(nearCache().setCacheLocalEntries(false));
    }

    private static NearCacheConfig nearCache() {
        return new NearCacheConfig(PREFIX + "*")
            .setInMemoryFormat(InMemoryFormat.BINARY)
            .setInvalidateOnChange(true)
            .setCacheLocalEntries(true)
            .setSerializeKeys(false)
            .setEvictionConfig(new EvictionConfig()
                .setEvictionPolicy(EvictionPolicy.LRU)
                .setMaxSizePolicy(MaxSizePolicy.ENTRY_COUNT)
                .setSize(NEAR_ENTRIES));
    }

    @Override
    public SharedState open(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a shared-state name is 1-128 letters, digits, '.', '_' or '-',"
                + " starting with a letter or digit: " + name);
        }
        HazelcastSharedState space = spaces.get(name);
        return space != null ? space
            : spaces.computeIfAbsent(name, n -> new HazelcastSharedState(hazelcast, n, seal, executor));
    }

    @Override
    public void close() {
        executor.shutdown();
        spaces.clear();
    }
}
