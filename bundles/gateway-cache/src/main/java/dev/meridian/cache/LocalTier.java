package dev.meridian.cache;

import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import dev.meridian.core.StripedCounter;

/**
 * This node's fast tier: decoded, ready-to-send entries of every cached API in one budget of
 * bytes ({@code MERIDIAN_CACHE_LOCAL_BYTES}), each API in its own {@link Segment}. Past the
 * budget the least recently used entries go, approximated by the CLOCK algorithm: a hit only
 * sets a flag (no lock, no list to reorder on the hot path); the evictor walks entries in
 * insertion order, gives a flagged one a second chance and removes the first unflagged one.
 *
 * <p>Hand-written rather than Caffeine: the tier must stay JDK-only (it moves to a JDK-only
 * cache bundle), and a hit must cost one map lookup and one flag write, which this gives.
 *
 * <p>Thread-safe. One thread evicts at a time; others skip eviction rather than wait.
 */
public final class LocalTier {

    private final long maxBytes;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicInteger dead = new AtomicInteger();
    /** Every stored node in insertion order (the clock's hand is its head); removed ones are skipped. */
    private final ConcurrentLinkedQueue<Node> ring = new ConcurrentLinkedQueue<>();
    private final ReentrantLock evicting = new ReentrantLock();

    public LocalTier(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("negative local tier budget");
        }
        this.maxBytes = maxBytes;
    }

    /** A new, empty part of the tier for one API's cache; its evictions are counted in {@code stats}. */
    public Segment segment(CacheStats stats) {
        return new Segment(stats);
    }

    /** Bytes held (approximate: by {@link CachedResponse#weight}). */
    public long bytes() {
        return bytes.get();
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Entries held across all segments. */
    public int entries() {
        return live.get();
    }

    private static final class Node {
        final Segment owner;
        final String key;
        final Object value;
        final long weight;
        /** Set by a hit, cleared by the evictor: a second chance. A plain race here only costs accuracy. */
        volatile boolean referenced;
        /** When the cluster's copy was last marked used for this node's hits ({@link System#nanoTime}). */
        volatile long touchedNanos;
        volatile boolean removed;

        Node(Segment owner, String key, Object value, long weight) {
            this.owner = owner;
            this.key = key;
            this.value = value;
            this.weight = weight;
            this.touchedNanos = System.nanoTime();
        }
    }

    /** One API's entries in the shared budget. */
    public final class Segment {
        private final ConcurrentHashMap<String, Node> map = new ConcurrentHashMap<>();
        private final CacheStats stats;

        private Segment(CacheStats stats) {
            this.stats = stats;
        }

        /** The value under {@code key}, marking it recently used; null when absent. */
        public Object get(String key) {
            Node n = map.get(key);
            if (n == null) {
                return null;
            }
            if (!n.referenced) {
                n.referenced = true;
            }
            return n.value;
        }

        /**
         * Stores {@code value}, replacing what {@code key} held, then evicts past the budget. A
         * value heavier than an eighth of the budget is not kept here (it would push out many).
         */
        /**
         * Whether the hits this node answers from {@code key} should now be told to the cluster's
         * copy (at most once per {@code everyNanos}): the cluster's bounds evict least recently
         * used entries, and without it the hottest entries, answered here, would look coldest there.
         */
        public boolean touchDue(String key, long nowNanos, long everyNanos) {
            Node n = map.get(key);
            if (n == null) {
                return false;
            }
            long last = n.touchedNanos;
            if (nowNanos - last < everyNanos) {
                return false;
            }
            n.touchedNanos = nowNanos; // a race lets two threads touch: harmless
            return true;
        }

        public void put(String key, Object value, long weight) {
            if (weight > maxBytes / 8) {
                remove(key);
                return;
            }
            Node node = new Node(this, key, value, weight);
            Node old = map.put(key, node);
            bytes.addAndGet(weight);
            live.incrementAndGet();
            ring.offer(node);
            if (old != null) {
                retire(old);
            }
            maintain();
        }

        public void remove(String key) {
            Node n = map.remove(key);
            if (n != null) {
                retire(n);
                maintain();
            }
        }

        /** Removes, without counting them as evictions, the entries {@code test} accepts; answers how many. */
        public int removeIf(Predicate<Object> test) {
            Sweep sweep = sweep(test, null);
            int removed = 0;
            while (!sweep.done()) {
                removed += sweep.step(Integer.MAX_VALUE);
            }
            return removed;
        }

        /**
         * A removal of the entries {@code test} accepts, in steps (so that it can be paced);
         * {@code removedCounter}, when given, counts what it removes. Entries stored after it
         * began may or may not be visited (the map's iterator is weakly consistent): a test that
         * looks at the current state of the world, not at the sweep's start, keeps that safe.
         */
        public Sweep sweep(Predicate<Object> test, StripedCounter removedCounter) {
            return new Sweep(this, test, removedCounter);
        }

        /** Empties this segment (its API was deleted or its settings changed). */
        public void clear() {
            for (Node n : map.values()) {
                if (map.remove(n.key, n)) {
                    retire(n);
                }
            }
        }

        public int size() {
            return map.size();
        }
    }

    /** One pass over a segment, in steps; one thread at a time. */
    public final class Sweep {
        private final Segment segment;
        private final Iterator<Node> nodes;
        private final Predicate<Object> test;
        private final StripedCounter removedCounter;

        private Sweep(Segment segment, Predicate<Object> test, StripedCounter removedCounter) {
            this.segment = segment;
            this.nodes = segment.map.values().iterator();
            this.test = test;
            this.removedCounter = removedCounter;
        }

        /** Visits at most {@code max} entries; answers how many of them it removed. */
        public int step(int max) {
            int removed = 0;
            for (int visited = 0; visited < max && nodes.hasNext(); visited++) {
                Node n = nodes.next();
                if (test.test(n.value) && segment.map.remove(n.key, n)) {
                    retire(n);
                    removed++;
                }
            }
            if (removed > 0) {
                if (removedCounter != null) {
                    removedCounter.add(removed);
                }
                maintain();
            }
            return removed;
        }

        /** Whether every entry has been visited. */
        public boolean done() {
            return !nodes.hasNext();
        }
    }

    private void retire(Node n) {
        if (!n.removed) {
            n.removed = true;
            bytes.addAndGet(-n.weight);
            live.decrementAndGet();
            dead.incrementAndGet();
        }
    }

    private boolean tooManyDead() {
        int d = dead.get();
        return d > 1024 && d > live.get();
    }

    /** Evicts past the budget, and drops removed entries from the ring when they outnumber the live ones. */
    private void maintain() {
        if (bytes.get() > maxBytes || tooManyDead()) {
            evict();
        }
    }

    private void evict() {
        if (!evicting.tryLock()) {
            return; // another thread is evicting; this put is accounted for
        }
        try {
            // two turns of the clock at most: the first clears every flag it passes
            long budget = 2L * (live.get() + dead.get()) + 16;
            while (bytes.get() > maxBytes && budget-- > 0) {
                Node n = ring.poll();
                if (n == null) {
                    break;
                }
                if (n.removed) {
                    dead.decrementAndGet();
                    continue;
                }
                if (n.referenced) {
                    n.referenced = false;
                    ring.offer(n);
                    continue;
                }
                if (n.owner.map.remove(n.key, n)) {
                    retire(n);
                    dead.decrementAndGet(); // retire counted it dead; it has already left the ring
                    n.owner.stats.size.increment();
                } else {
                    dead.decrementAndGet();
                }
            }
            if (tooManyDead()) {
                // replaced and removed entries wait in the ring for the hand; drop them in one pass
                int dropped = 0;
                for (java.util.Iterator<Node> it = ring.iterator(); it.hasNext(); ) {
                    if (it.next().removed) {
                        it.remove();
                        dropped++;
                    }
                }
                dead.addAndGet(-dropped);
            }
        } finally {
            evicting.unlock();
        }
    }
}
