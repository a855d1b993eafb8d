package dev.meridian.policy.introspection;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import dev.meridian.policy.api.SharedState;

/**
 * The cluster's shared state in memory, as {@link SharedState}'s javadoc describes it: one
 * store per name, TTLs against a {@link Clock}, a near copy per node filled by {@code get} and
 * {@code put} and dropped on every node when any node changes the key, stages completed on a
 * pool thread (never the caller's). Each {@link #node(String)} is one member's view.
 */
final class MemoryCluster implements AutoCloseable {

    private record Entry(byte[] value, long expiresAt) {
        boolean alive(long now) {
            return expiresAt == 0 || now < expiresAt;
        }
    }

    private final Clock clock;
    private final ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "memory-cluster");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Map<String, Entry>> stores = new ConcurrentHashMap<>();
    private final List<Node> nodes = new CopyOnWriteArrayList<>();
    /** Calls that crossed "the network" (everything but peek), for tests that count them. */
    final AtomicInteger remoteCalls = new AtomicInteger();

    MemoryCluster(Clock clock) {
        this.clock = clock;
    }

    Node node(String name) {
        Node n = new Node(name);
        nodes.add(n);
        return n;
    }

    /** The TTL left on {@code key} in {@code space}, empty when absent or without TTL. */
    Optional<Duration> ttlLeft(String space, String key) {
        Entry e = store(space).get(key);
        if (e == null || e.expiresAt() == 0 || !e.alive(clock.millis())) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(e.expiresAt() - clock.millis()));
    }

    Optional<byte[]> value(String space, String key) {
        Entry e = store(space).get(key);
        return e == null || !e.alive(clock.millis()) ? Optional.empty() : Optional.of(e.value().clone());
    }

    private Map<String, Entry> store(String space) {
        return stores.computeIfAbsent(space, s -> new ConcurrentHashMap<>());
    }

    private long expiry(Duration ttl) {
        return ttl.isZero() ? 0 : clock.millis() + ttl.toMillis();
    }

    private <T> CompletionStage<T> async(Supplier<T> work) {
        remoteCalls.incrementAndGet();
        return CompletableFuture.supplyAsync(work, pool);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** One member: its near copies, and the spaces it opens. */
    final class Node {

        final String name;
        private final Map<String, Map<String, Entry>> near = new ConcurrentHashMap<>();

        Node(String name) {
            this.name = name;
        }

        SharedState state(String space) {
            return new Space(space);
        }

        private Map<String, Entry> near(String space) {
            return near.computeIfAbsent(space, s -> new ConcurrentHashMap<>());
        }

        private void changed(String space, String key, Entry now) {
            for (Node n : nodes) {
                if (n != this) {
                    n.near(space).remove(key);
                }
            }
            if (now == null) {
                near(space).remove(key);
            } else {
                near(space).put(key, now);
            }
        }

        private final class Space implements SharedState {

            private final String space;

            Space(String space) {
                this.space = space;
            }

            @Override
            public String name() {
                return space;
            }

            @Override
            public Optional<byte[]> peek(String key) {
                Entry e = near(space).get(key);
                return e == null || !e.alive(clock.millis()) ? Optional.empty() : Optional.of(e.value().clone());
            }

            @Override
            public CompletionStage<Optional<byte[]>> get(String key) {
                return async(() -> {
                    Entry e = store(space).get(key);
                    if (e == null || !e.alive(clock.millis())) {
                        near(space).remove(key);
                        return Optional.empty();
                    }
                    near(space).put(key, e);
                    return Optional.of(e.value().clone());
                });
            }

            @Override
            public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
                byte[] copy = value.clone();
                return async(() -> {
                    Entry e = new Entry(copy, expiry(ttl));
                    store(space).put(key, e);
                    changed(space, key, e);
                    return null;
                });
            }

            @Override
            public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl) {
                byte[] copy = value.clone();
                return async(() -> {
                    Entry e = new Entry(copy, expiry(ttl));
                    boolean[] set = {false};
                    store(space).compute(key, (k, old) -> {
                        if (old != null && old.alive(clock.millis())) {
                            return old;
                        }
                        set[0] = true;
                        return e;
                    });
                    if (set[0]) {
                        changed(space, key, e);
                    }
                    return set[0];
                });
            }

            @Override
            public CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl) {
                byte[] copy = value.clone();
                byte[] want = expected.clone();
                return async(() -> {
                    Entry e = new Entry(copy, expiry(ttl));
                    boolean[] set = {false};
                    store(space).computeIfPresent(key, (k, old) -> {
                        if (old.alive(clock.millis()) && Arrays.equals(old.value(), want)) {
                            set[0] = true;
                            return e;
                        }
                        return old;
                    });
                    if (set[0]) {
                        changed(space, key, e);
                    }
                    return set[0];
                });
            }

            @Override
            public CompletionStage<Boolean> remove(String key) {
                return async(() -> {
                    Entry old = store(space).remove(key);
                    changed(space, key, null);
                    return old != null && old.alive(clock.millis());
                });
            }

            @Override
            public CompletionStage<Long> addAndGet(String key, long delta, Duration ttl) {
                return async(() -> {
                    long[] now = new long[1];
                    Entry e = store(space).compute(key, (k, old) -> {
                        boolean alive = old != null && old.alive(clock.millis());
                        now[0] = (alive ? ByteBuffer.wrap(old.value()).getLong() : 0) + delta;
                        byte[] bytes = ByteBuffer.allocate(8).putLong(now[0]).array();
                        return new Entry(bytes, alive ? old.expiresAt() : expiry(ttl)); // the TTL is not extended
                    });
                    changed(space, key, e);
                    return now[0];
                });
            }
        }
    }
}
