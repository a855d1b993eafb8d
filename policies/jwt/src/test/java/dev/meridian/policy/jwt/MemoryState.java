package dev.meridian.policy.jwt;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.meridian.policy.api.SharedState;

/**
 * An in-memory {@link SharedState} as its javadoc describes it, standing for the cluster in unit
 * tests: TTLs on the test's clock, atomic putIfAbsent / compare-and-set / addAndGet, and every
 * stage completed on {@code executor} (never the caller's thread). One instance shared by several
 * test contexts is one cluster seen by several nodes; {@link #peek} reads the map itself (a near
 * cache that is always current). Counts the writes, so tests can tell a warm start from a fetch.
 */
final class MemoryState implements SharedState {

    private record Entry(byte[] value, long expiresAt) {
        boolean live(long now) {
            return expiresAt == 0 || now < expiresAt;
        }
    }

    private final String name;
    private final Clock clock;
    private final Executor executor;
    private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();
    final AtomicLong writes = new AtomicLong();

    MemoryState(String name, Clock clock, Executor executor) {
        this.name = name;
        this.clock = clock;
        this.executor = executor;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<byte[]> peek(String key) {
        return live(key).map(byte[]::clone);
    }

    @Override
    public CompletionStage<Optional<byte[]>> get(String key) {
        return async(() -> live(key).map(byte[]::clone));
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
        return async(() -> {
            writes.incrementAndGet();
            entries.put(key, entry(value, ttl));
            return null;
        });
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl) {
        return async(() -> {
            long now = clock.millis();
            boolean[] set = {false};
            entries.compute(key, (k, old) -> {
                if (old != null && old.live(now)) {
                    return old;
                }
                set[0] = true;
                return entry(value, ttl);
            });
            if (set[0]) {
                writes.incrementAndGet();
            }
            return set[0];
        });
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl) {
        return async(() -> {
            long now = clock.millis();
            boolean[] set = {false};
            entries.computeIfPresent(key, (k, old) -> {
                if (old.live(now) && Arrays.equals(old.value(), expected)) {
                    set[0] = true;
                    return entry(value, ttl);
                }
                return old;
            });
            if (set[0]) {
                writes.incrementAndGet();
            }
            return set[0];
        });
    }

    @Override
    public CompletionStage<Boolean> remove(String key) {
        return async(() -> {
            Entry old = entries.remove(key);
            return old != null && old.live(clock.millis());
        });
    }

    @Override
    public CompletionStage<Long> addAndGet(String key, long delta, Duration ttl) {
        return async(() -> {
            long now = clock.millis();
            Entry next = entries.compute(key, (k, old) -> {
                long base = old != null && old.live(now) ? decodeLong(old.value()) : 0;
                long expires = old != null && old.live(now) ? old.expiresAt() : entry(new byte[0], ttl).expiresAt();
                return new Entry(Long.toString(base + delta).getBytes(), expires);
            });
            return decodeLong(next.value());
        });
    }

    /** The raw value under {@code key}, for assertions. */
    Optional<byte[]> raw(String key) {
        return live(key);
    }

    private Optional<byte[]> live(String key) {
        Entry e = entries.get(key);
        return e != null && e.live(clock.millis()) ? Optional.of(e.value()) : Optional.empty();
    }

    private Entry entry(byte[] value, Duration ttl) {
        return new Entry(value.clone(), ttl.isZero() ? 0 : clock.millis() + ttl.toMillis());
    }

    private static long decodeLong(byte[] raw) {
        return Long.parseLong(new String(raw));
    }

    private <T> CompletionStage<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, executor);
    }
}
