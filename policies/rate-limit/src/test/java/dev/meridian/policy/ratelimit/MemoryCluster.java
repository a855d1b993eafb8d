package dev.meridian.policy.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.meridian.policy.api.SharedState;

/**
 * The cluster's counts in memory, as {@link SharedState#take} describes them (atomic, never past
 * the cap, the count expiring with the TTL of the take that made it, on the test's clock), with
 * the test in charge of when a take's answer lands: {@link #land()} completes the takes asked so
 * far, in order, on the calling thread (standing for the platform thread). Only {@code take} and
 * {@code get} are offered; the rest is not what rate-limit uses.
 */
final class MemoryCluster implements SharedState {

    private record Count(long taken, long expiresAt) {
    }

    private record Asked(String key, long want, long cap, Duration ttl, CompletableFuture<Taken> answer) {
    }

    final MutableClock clock = new MutableClock();
    private final Map<String, Count> counts = new HashMap<>();
    private final ConcurrentLinkedQueue<Asked> asked = new ConcurrentLinkedQueue<>();
    final AtomicInteger takes = new AtomicInteger();
    final AtomicBoolean down = new AtomicBoolean();

    @Override
    public String name() {
        return Limiter.STATE;
    }

    @Override
    public CompletionStage<Taken> take(String key, long want, long cap, Duration ttl) {
        if (want < 1 || cap < 0) {
            throw new IllegalArgumentException(want + " from " + cap);
        }
        takes.incrementAndGet();
        CompletableFuture<Taken> answer = new CompletableFuture<>();
        asked.add(new Asked(key, want, cap, ttl, answer));
        return answer;
    }

    /** Answers every take asked so far (and those asked while answering); how many. */
    int land() {
        int n = 0;
        Asked a;
        while ((a = asked.poll()) != null) {
            n++;
            if (down.get()) {
                a.answer().completeExceptionally(new IllegalStateException("shared state is not available: gateway-cluster is not running"));
                continue;
            }
            Taken t;
            synchronized (this) {
                long now = clock.millis();
                Count c = counts.get(a.key());
                if (c != null && now >= c.expiresAt()) {
                    c = null;
                }
                long taken = c == null ? 0 : c.taken();
                long granted = Math.max(0, Math.min(a.want(), a.cap() - taken));
                if (granted > 0) {
                    counts.put(a.key(), new Count(taken + granted, c == null ? now + a.ttl().toMillis() : c.expiresAt()));
                }
                t = new Taken(granted, Math.max(0, a.cap() - taken - granted));
            }
            a.answer().complete(t);
        }
        return n;
    }

    /** Takes waiting for an answer. */
    int waiting() {
        return asked.size();
    }

    /** What was taken under every key starting with {@code prefix}. */
    synchronized long taken(String prefix) {
        return counts.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(e -> e.getValue().taken()).sum();
    }

    @Override
    public Optional<byte[]> peek(String key) {
        return Optional.empty();
    }

    @Override
    public CompletionStage<Optional<byte[]>> get(String key) {
        throw new UnsupportedOperationException("rate-limit reads counts only through take");
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
        throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl) {
        throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl) {
        throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Boolean> remove(String key) {
        throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Long> addAndGet(String key, long delta, Duration ttl) {
        throw new UnsupportedOperationException();
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private final AtomicLong millis = new AtomicLong(1_764_745_200_000L); // a whole hour: windows start here

        void set(long epochMillis) {
            millis.set(epochMillis);
        }

        void advance(long ms) {
            millis.addAndGet(ms);
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
