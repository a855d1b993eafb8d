package dev.meridian.cluster.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.client.map.impl.nearcache.NearCachedClientMapProxy;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.nearcache.NearCache;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.proxy.NearCachedMapProxyImpl;
import com.hazelcast.spi.impl.SerializationServiceSupport;

import dev.meridian.policy.api.SharedState;

/**
 * One space of {@link dev.meridian.policy.api.SharedState}: the map {@code meridian.state.<name>}
 * of sealed {@link StateValue}s, with a near cache on every node ({@link HazelcastSharedStates#configure}).
 *
 * <p>{@link #peek} reads Hazelcast's near cache record itself ({@code getNearCache()} of the map
 * proxy, member or client: Hazelcast's public {@code IMap} has no call that reads only the near
 * cache; {@code get} on a miss goes to the owner and would block). Hazelcast keeps that near
 * cache coherent (invalidation on change, with its own guard against a late read filling a stale
 * value), so this class keeps no copy of its own. Every value read is checked: its seal for this
 * space and key, and its expiry, whatever Hazelcast still holds.
 *
 * <p>Writes use Hazelcast's asynchronous calls ({@code setAsync}, {@code removeAsync}) and, for
 * the conditional ones, an entry processor submitted with {@code submitToKey}
 * ({@link StateProcessors}); reads run Hazelcast's {@code get} on the executor ({@link #get} says why). Every stage the caller gets completes on the
 * component's executor, never on the caller's thread nor on a Hazelcast partition thread.
 */
final class HazelcastSharedState implements SharedState {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastSharedState.class);

    private final String name;
    private final IMap<String, byte[]> map;
    private final ClusterSeal seal;
    private final Executor executor;
    /** The near cache of {@link #map} on this node, null when Hazelcast gave a map without one. */
    private final NearCache<Object, Object> nearCache;
    private final SerializationService serialization;
    /** When a refused value was last logged: at most once a minute per space, a flood must not flood the log. */
    private final AtomicLong refusedLoggedAt = new AtomicLong(Long.MIN_VALUE);

    HazelcastSharedState(HazelcastInstance hazelcast, String name, ClusterSeal seal, Executor executor) {
        this.name = name;
        this.seal = seal;
        this.executor = executor;
        this.map = hazelcast.getMap(HazelcastSharedStates.PREFIX + name);
        this.nearCache = nearCacheOf(map);
        this.serialization = ((SerializationServiceSupport) hazelcast).getSerializationService();
        if (nearCache == null) {
            LOG.warn("shared state {} has no near cache on this node: peek will always miss", name);
        }
    }

    private static NearCache<Object, Object> nearCacheOf(IMap<String, byte[]> map) {
        if (map instanceof NearCachedMapProxyImpl<?, ?> member) {
            return member.getNearCache();
        }
        if (map instanceof NearCachedClientMapProxy<?, ?> client) {
            return client.getNearCache();
        }
        return null;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<byte[]> peek(String key) {
        requireKey(key);
        if (nearCache == null) {
            return Optional.empty();
        }
        Object cached;
        try {
            cached = nearCache.get(key); // keys are not serialized in the near cache (serializeKeys=false)
        } catch (RuntimeException e) {
            LOG.debug("near cache of shared state {} failed on a peek: {}", name, e.toString());
            return Optional.empty();
        }
        byte[] stored;
        if (cached instanceof Data data) {
            stored = serialization.toObject(data);
        } else if (cached instanceof byte[] bytes) {
            stored = bytes;
        } else {
            return Optional.empty(); // not cached, or cached as absent
        }
        return Optional.ofNullable(live(key, stored, System.currentTimeMillis())).map(StateValue::payload);
    }

    /**
     * Hazelcast's {@code get} on the executor, not {@code getAsync}: on a near-cached map,
     * {@code getAsync} completes its future first and fills the near cache afterwards, from a
     * callback on Hazelcast's default async executor (a new thread per callback on a 2-core
     * machine, where the common pool has one thread), so a {@link #peek} right after the stage
     * completed missed (measured: ~2,200 misses in the first 200,000 peeks). {@code get} fills
     * the near cache before it returns; a hit does not leave the node, a miss holds an executor
     * thread for one round trip to the key's owner.
     */
    @Override
    public CompletionStage<Optional<byte[]>> get(String key) {
        requireKey(key);
        CompletableFuture<Optional<byte[]>> out = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    byte[] stored = map.get(key);
                    out.complete(Optional.ofNullable(live(key, stored, System.currentTimeMillis())).map(StateValue::payload));
                } catch (RuntimeException e) {
                    out.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            out.completeExceptionally(new IllegalStateException("shared state " + name + " is closed", e));
        }
        return out.minimalCompletionStage();
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
        requireKey(key);
        Objects.requireNonNull(value, "value");
        long expiresAt = StateValue.expiry(System.currentTimeMillis(), ttlMillis(ttl));
        byte[] sealed = seal.seal(StateProcessors.context(name, key), StateValue.bytes(value, expiresAt).encode());
        long hazelcastTtl = StateValue.hazelcastTtlMillis(expiresAt, System.currentTimeMillis());
        return complete(map.setAsync(key, sealed, hazelcastTtl, TimeUnit.MILLISECONDS), done -> null);
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl) {
        requireKey(key);
        Objects.requireNonNull(value, "value");
        long expiresAt = StateValue.expiry(System.currentTimeMillis(), ttlMillis(ttl));
        byte[] sealed = seal.seal(StateProcessors.context(name, key), StateValue.bytes(value, expiresAt).encode());
        return complete(map.submitToKey(key, new StateProcessors.PutIfAbsent(name, sealed, expiresAt)), Function.identity());
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl) {
        requireKey(key);
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(value, "value");
        long expiresAt = StateValue.expiry(System.currentTimeMillis(), ttlMillis(ttl));
        byte[] sealed = seal.seal(StateProcessors.context(name, key), StateValue.bytes(value, expiresAt).encode());
        return complete(map.submitToKey(key, new StateProcessors.CompareAndSet(name, expected.clone(), sealed, expiresAt)),
            Function.identity());
    }

    @Override
    public CompletionStage<Boolean> remove(String key) {
        requireKey(key);
        long now = System.currentTimeMillis();
        return complete(map.removeAsync(key), stored -> live(key, stored, now) != null);
    }

    @Override
    public CompletionStage<Long> addAndGet(String key, long delta, Duration ttl) {
        requireKey(key);
        long expiresAt = StateValue.expiry(System.currentTimeMillis(), ttlMillis(ttl));
        byte[] arguments = seal.seal(StateProcessors.additionContext(name, key),
            StateProcessors.AddAndGet.arguments(delta, expiresAt));
        return complete(map.submitToKey(key, new StateProcessors.AddAndGet(name, arguments)), Function.identity());
    }

    /** One entry processor ({@link StateProcessors.Take}) on the key's owner: one round trip, atomic, never past the cap. */
    @Override
    public CompletionStage<Taken> take(String key, long want, long cap, Duration ttl) {
        requireKey(key);
        if (want < 1 || cap < 0) {
            throw new IllegalArgumentException("take wants >= 1 from a cap >= 0, not " + want + " from " + cap);
        }
        long expiresAt = StateValue.expiry(System.currentTimeMillis(), ttlMillis(ttl));
        byte[] arguments = seal.seal(StateProcessors.takeContext(name, key), StateProcessors.Take.arguments(want, cap, expiresAt));
        return complete(map.submitToKey(key, new StateProcessors.Take(name, arguments)),
            r -> new Taken(r[0], Math.max(0, cap - r[1])));
    }

    /**
     * {@code stage}'s result mapped by {@code then}, completed on {@link #executor}: Hazelcast
     * completes its futures on its own threads, or at once on a near-cache hit, and neither may
     * run the policy's continuation.
     */
    private <T, R> CompletionStage<R> complete(CompletionStage<T> stage, Function<? super T, ? extends R> then) {
        CompletableFuture<R> out = new CompletableFuture<>();
        stage.whenCompleteAsync((result, failure) -> {
            if (failure != null) {
                out.completeExceptionally(failure);
                return;
            }
            try {
                out.complete(then.apply(result));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        }, executor).exceptionally(rejected -> {
            // the executor was shut down (the node stops): the caller still gets an answer
            out.completeExceptionally(rejected);
            return null;
        });
        return out.minimalCompletionStage();
    }

    /** The live value of {@code stored}: null when absent, past its expiry or refused (logged). */
    private StateValue live(String key, byte[] stored, long now) {
        if (stored == null) {
            return null;
        }
        StateValue value;
        try {
            value = StateValue.decode(seal.open(StateProcessors.context(name, key), stored));
        } catch (ClusterSeal.Forged | IllegalArgumentException e) {
            refused(key, e.getMessage());
            return null;
        }
        return value.expired(now) ? null : value;
    }

    private void refused(String key, String why) {
        long now = System.nanoTime();
        long last = refusedLoggedAt.get();
        if ((last == Long.MIN_VALUE || now - last > 60_000_000_000L) && refusedLoggedAt.compareAndSet(last, now)) {
            LOG.warn("a value of shared state {} (key {}) is refused and read as absent: {}; a process with another"
                + " MERIDIAN_CLUSTER_SECRET, or none, wrote it (logged at most once a minute)", name, key, why);
        }
    }

    private static void requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a shared-state key must not be null or empty");
        }
    }

    private static long ttlMillis(Duration ttl) {
        if (ttl == null || ttl.isNegative()) {
            throw new IllegalArgumentException("a shared-state TTL must be zero (never expires) or positive, not " + ttl);
        }
        return ttl.isZero() ? 0 : Math.max(1, ttl.toMillis());
    }
}
