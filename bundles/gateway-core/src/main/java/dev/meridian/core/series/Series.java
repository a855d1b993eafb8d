package dev.meridian.core.series;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One key's slots on this node, and the handle the data plane records on: ask
 * {@link SeriesBook#series} once per route, keep the handle with the route (like
 * {@code ApiMetrics}) and call {@link #record} for every answer.
 *
 * <p><b>Cost.</b> {@link #record}: two volatile reads, the thread's id and three or four atomic
 * increments into a preallocated int array (requests,
 * the status class, the cache outcome if the route has a cache, the latency bucket); no lock, no
 * allocation. The increments go to the current second's {@link Stripes stripe} of the recording
 * thread, not to the shared second slot: threads recording at once each write their own cache
 * line instead of bouncing one between cores. Once per second, the first record of the new second
 * takes this series' lock to fold the stripes into the completed second's slot (clearing them) and
 * reset the new second's slot. Nothing else runs per request: the minute slots are filled by
 * {@link SeriesBook#roll} from completed seconds.
 *
 * <p><b>Memory.</b> Nothing until the first record; then {@value Layout#STRIDE} int counters and a
 * long epoch per slot (468 bytes), 900 second slots and 1440 minute slots (1,095,120 bytes), and
 * the current second's stripes (at most {@value Stripes#MAX_BYTES} bytes): at most {@value #BYTES}
 * bytes (~1.05 MiB) per series, held until {@link SeriesBook#forget}.
 *
 * <p><b>Time.</b> A record counts in the second of its {@code nowMillis}; a late one (its second
 * older than the newest this series has seen) counts in the newest. A record never changes a
 * completed second: its increments count in the second that is the newest when they land, so a
 * record racing the turn of the second (it read the older second as the newest, then the turn
 * folded the stripes before its increments) counts in the newer second, possibly some of its
 * increments in each (and in the next minute when the turn starts one). An eviction racing the
 * turn counts in the completed second, which the minute roll-up waits {@value
 * #ROLL_GRACE_SECONDS} s for. A clock set back counts in the newest second until it catches up.
 *
 * <p>Thread-safe: any thread records, the owner's thread rolls, any thread reads. A reader of a
 * second copies its slot, plus the stripes while it is the newest, between two reads of the turn
 * count (retrying if a turn ran meanwhile), and checks the slot's epoch before and after: a copy
 * never mixes two seconds, nor counts an increment twice or misses one that the turn moved from
 * the stripes to the slot (it may see the current second half-written: some of its increments and
 * not the others).
 */
public final class Series {

    static final int SECONDS = Resolution.SECOND.slots();
    static final int MINUTES = Resolution.MINUTE.slots();
    /** Bytes per slot: the int counters and the epoch. */
    public static final int BYTES_PER_SLOT = Layout.STRIDE * 4 + 8;
    /** Bytes of one series at most: its rings and its stripes (array headers aside). */
    public static final int BYTES = (SECONDS + MINUTES) * BYTES_PER_SLOT + Stripes.MAX_BYTES;
    /**
     * Seconds after a minute's end before {@link SeriesBook#roll} sums it: an eviction that read the
     * newest second just before it turned still lands in it meanwhile (a record lands in the
     * stripes, which count in the newest second).
     */
    static final int ROLL_GRACE_SECONDS = 2;
    /** The epoch of a slot never used, or being reset. */
    private static final long NONE = Long.MIN_VALUE;

    private final Key key;
    /** Null before the first record and after {@link #drop}; written under {@code this}. */
    private volatile Rings rings;
    private boolean dropped;
    private final Object rollLock = new Object();

    Series(Key key) {
        this.key = key;
    }

    public Key key() {
        return key;
    }

    /**
     * One answer: {@code status} (its class counted for 100..599; a request in any case) after
     * {@code latencyNanos}, with {@code outcome} from the cache ({@link CacheOutcome#NONE} when the
     * route has none), completed at {@code nowMillis} (wall clock, epoch milliseconds). Never
     * blocks except for the one turn per second; does nothing once its API was forgotten.
     */
    public void record(int status, long latencyNanos, CacheOutcome outcome, long nowMillis) {
        long second = Math.floorDiv(nowMillis, 1000);
        Rings r = rings;
        if (r == null || second > r.current) {
            r = turn(second);
            if (r == null) {
                return;
            }
        }
        // this thread's stripe: the newest second (late answers count in it) until the turn folds it
        int base = Stripes.mine();
        AtomicIntegerArray counts = r.stripes;
        counts.incrementAndGet(base + Layout.REQUESTS);
        int cls = Layout.status(status);
        if (cls >= 0) {
            counts.incrementAndGet(base + cls);
        }
        int cache = Layout.cache(outcome);
        if (cache >= 0) {
            counts.incrementAndGet(base + cache);
        }
        counts.incrementAndGet(base + Layout.LATENCY + Layout.bucket(latencyNanos / 1_000));
    }

    /** {@code count} cache entries of this series' route left the store for {@code reason} at {@code nowMillis}. */
    public void evicted(EvictionReason reason, int count, long nowMillis) {
        if (count <= 0) {
            return;
        }
        long second = Math.floorDiv(nowMillis, 1000);
        Rings r = rings;
        if (r == null || second > r.current) {
            r = turn(second);
            if (r == null) {
                return;
            }
        }
        int base = (int) Math.floorMod(r.current, SECONDS) * Layout.STRIDE;
        r.seconds.addAndGet(base + Layout.EVICTIONS + reason.ordinal(), count);
    }

    /**
     * Makes {@code second} the newest if it is newer: folds the stripes into the completed second's
     * slot and clears them, resets the new second's slot, all between two increments of the turn
     * count (odd meanwhile: readers retry).
     */
    private synchronized Rings turn(long second) {
        if (dropped) {
            return null;
        }
        Rings r = rings;
        if (r == null) {
            r = new Rings(second);
            rings = r;
            return r;
        }
        if (second > r.current) {
            long turns = r.turns;
            r.turns = turns + 1;
            try {
                r.fold((int) Math.floorMod(r.current, SECONDS));
                int slot = (int) Math.floorMod(second, SECONDS);
                r.secondEpochs.set(slot, NONE);
                int base = slot * Layout.STRIDE;
                for (int i = 0; i < Layout.STRIDE; i++) {
                    r.seconds.set(base + i, 0);
                }
                r.secondEpochs.set(slot, second);
                r.current = second;
            } finally {
                r.turns = turns + 2; // even again whatever happened: a reader never waits for a turn that ended
            }
        }
        return r;
    }

    /** Releases the rings: later records do nothing. */
    synchronized void drop() {
        dropped = true;
        rings = null;
    }

    /** Whether this series recorded anything and was not dropped. */
    boolean used() {
        return rings != null;
    }

    /**
     * Sums every completed minute not rolled yet (ended at least {@link #ROLL_GRACE_SECONDS} before
     * {@code nowMillis}, at most the last 24 hours) into the minute ring. Idempotent.
     */
    void roll(long nowMillis) {
        synchronized (rollLock) {
            Rings r = rings;
            if (r == null) {
                return;
            }
            long last = Math.floorDiv(Math.floorDiv(nowMillis, 1000) - ROLL_GRACE_SECONDS, 60) - 1;
            long rolled = r.rolledThrough;
            if (last <= rolled) {
                return;
            }
            int[] sum = new int[Layout.STRIDE];
            for (long m = Math.max(rolled + 1, last - MINUTES + 1); m <= last; m++) {
                if (!sumSeconds(r, m, sum)) {
                    continue; // no data: the slot keeps an older epoch and reads as empty
                }
                int slot = (int) Math.floorMod(m, MINUTES);
                int base = slot * Layout.STRIDE;
                r.minuteEpochs.set(slot, NONE);
                for (int i = 0; i < Layout.STRIDE; i++) {
                    r.minutes.set(base + i, sum[i]);
                }
                r.minuteEpochs.set(slot, m);
            }
            r.rolledThrough = last;
        }
    }

    /** Adds into {@code into} (cleared first) the seconds of minute {@code minute} still in the ring; whether any had data. */
    private static boolean sumSeconds(Rings r, long minute, int[] into) {
        Arrays.fill(into, 0);
        int[] one = new int[Layout.STRIDE];
        boolean any = false;
        for (long s = minute * 60; s < minute * 60 + 60; s++) {
            if (copySecond(r, s, one) && hasData(one)) {
                for (int i = 0; i < Layout.STRIDE; i++) {
                    into[i] += one[i];
                }
                any = true;
            }
        }
        return any;
    }

    /**
     * The slots with data whose start lies in {@code [from, to)} (epoch seconds) and in the kept
     * window ending at {@code nowSecond}, oldest first.
     */
    List<Frame.Point> read(Resolution res, long from, long to, long nowSecond) {
        Rings r = rings;
        List<Frame.Point> out = new ArrayList<>();
        if (r == null) {
            return out;
        }
        int[] slot = new int[Layout.STRIDE];
        if (res == Resolution.SECOND) {
            long lo = Math.max(from, nowSecond - SECONDS + 1);
            long hi = Math.min(to - 1, nowSecond);
            for (long s = lo; s <= hi; s++) {
                if (copySecond(r, s, slot) && hasData(slot)) {
                    out.add(Frame.Point.of(s, slot));
                }
            }
            return out;
        }
        long nowMinute = Math.floorDiv(nowSecond, 60);
        long firstMinute = Math.floorDiv(from, 60) + (Math.floorMod(from, 60) == 0 ? 0 : 1); // starts at or after from
        long lo = Math.max(firstMinute, nowMinute - MINUTES + 1);
        long hi = Math.min(Math.floorDiv(to - 1, 60), nowMinute);
        long rolled = r.rolledThrough;
        for (long m = lo; m <= hi; m++) {
            boolean found = m <= rolled
                ? copy(r.minuteEpochs, r.minutes, (int) Math.floorMod(m, MINUTES), m, slot)
                : sumSeconds(r, m, slot); // not rolled yet (the current minute, or roll() paused): its seconds so far
            if (found && hasData(slot)) {
                out.add(Frame.Point.of(m * 60, slot));
            }
        }
        return out;
    }

    /**
     * Copies second {@code second} into {@code into} if its slot holds it, with the stripes added
     * while it is the newest second: all of it between two reads of the same even turn count, so
     * no turn moved counts from the stripes to the slot meanwhile (a turn takes microseconds, once
     * a second: a reader that meets one waits for it).
     */
    private static boolean copySecond(Rings r, long second, int[] into) {
        int slot = (int) Math.floorMod(second, SECONDS);
        for (int tries = 0;; tries++) {
            long turns = r.turns;
            if ((turns & 1) == 0) {
                boolean found = copy(r.secondEpochs, r.seconds, slot, second, into);
                if (found && r.current == second) {
                    r.addStripes(into);
                }
                if (r.turns == turns) {
                    return found;
                }
            }
            if (tries < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the turning thread lost its core
            }
        }
    }

    /** Copies slot {@code slot} into {@code into} if it holds epoch {@code epoch} before and after the copy. */
    private static boolean copy(AtomicLongArray epochs, AtomicIntegerArray counts, int slot, long epoch, int[] into) {
        if (epochs.get(slot) != epoch) {
            return false;
        }
        int base = slot * Layout.STRIDE;
        for (int i = 0; i < Layout.STRIDE; i++) {
            into[i] = counts.get(base + i);
        }
        return epochs.get(slot) == epoch;
    }

    private static boolean hasData(int[] slot) {
        for (int i = 0; i < Layout.FIXED; i++) {
            if (slot[i] != 0) {
                return true;
            }
        }
        return false;
    }

    /** The arrays of a series that recorded; allocated at its first record. */
    private static final class Rings {
        final AtomicIntegerArray seconds = new AtomicIntegerArray(SECONDS * Layout.STRIDE);
        final AtomicLongArray secondEpochs = new AtomicLongArray(SECONDS);
        final AtomicIntegerArray minutes = new AtomicIntegerArray(MINUTES * Layout.STRIDE);
        final AtomicLongArray minuteEpochs = new AtomicLongArray(MINUTES);
        /** The counts of the newest second not folded into its slot yet, per {@link Stripes stripe}. */
        final AtomicIntegerArray stripes = new AtomicIntegerArray(Stripes.LENGTH);
        /** The newest second recorded in; written under the series' lock. */
        volatile long current;
        /** Turns of the second so far, twice: odd while one runs; written under the series' lock. */
        volatile long turns;
        /** The last minute rolled up; written under the roll lock. */
        volatile long rolledThrough;

        Rings(long second) {
            for (int i = 0; i < SECONDS; i++) {
                secondEpochs.set(i, NONE);
            }
            for (int i = 0; i < MINUTES; i++) {
                minuteEpochs.set(i, NONE);
            }
            secondEpochs.set((int) Math.floorMod(second, SECONDS), second);
            current = second;
            rolledThrough = Math.floorDiv(second, 60) - 1;
        }

        /**
         * Moves the stripes' counts into second slot {@code slot}, clearing them (under the series'
         * lock, in a turn): each counter is taken by an atomic get-and-set, so an increment racing
         * it lands either before (in this slot) or after (in the stripes: the next second).
         */
        void fold(int slot) {
            int into = slot * Layout.STRIDE;
            for (int s = 0; s < Stripes.COUNT; s++) {
                int base = Stripes.base(s);
                for (int i = 0; i < Layout.STRIDE; i++) {
                    if (stripes.get(base + i) != 0) {
                        seconds.addAndGet(into + i, stripes.getAndSet(base + i, 0));
                    }
                }
            }
        }

        /** Adds the stripes' counts into {@code into}. */
        void addStripes(int[] into) {
            for (int s = 0; s < Stripes.COUNT; s++) {
                int base = Stripes.base(s);
                for (int i = 0; i < Layout.STRIDE; i++) {
                    into[i] += stripes.get(base + i);
                }
            }
        }
    }
}
