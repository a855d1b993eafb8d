package dev.meridian.core.series;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The layout of a series' stripes (its current second's counters, one copy per stripe, so that
 * threads recording at once increment different cache lines) and which stripe a thread records
 * on.
 *
 * <p><b>Layout.</b> {@link #COUNT} stripes of {@link Layout#STRIDE} ints in one int array, each
 * starting {@link #SPAN} ints after the one before, the first {@link #PAD} ints in: at least 64
 * bytes lie between the array's header and the first stripe, between the last counter of a stripe
 * and the first of the next, and after the last stripe, so no two stripes (nor a stripe and the
 * header every access reads for its bounds check) share a 64-byte line, whatever the array's
 * alignment. At most {@value #MAX_BYTES} bytes a series.
 *
 * <p><b>A thread's stripe.</b> Each thread gets an index, round-robin from a counter, when it first
 * records, kept in a {@link ThreadLocal}: the stripe is the index modulo {@link #COUNT}, so
 * threads that start together get different stripes. Round-robin alone could still put two busy
 * threads on one stripe (a pool of many threads, few of them busy), so {@link Series#record}
 * increments the request counter by compare-and-set, and a thread whose compare-and-set fails
 * (another thread changed that counter in between: it shares the stripe) moves to the next stripe
 * for its following records: busy threads spread over distinct stripes as long as there are no
 * more of them than stripes. The counter and the {@code ThreadLocal} are this package's only
 * static mutable state, deliberately: they only pick where a thread writes (any stripe is
 * correct), and sharing them across series and books keeps one {@code ThreadLocal} lookup per
 * record. The value a thread holds is an {@code int[]} (a JDK class), so a request thread that
 * outlives this bundle pins none of its classes.
 */
final class Stripes {

    /** The most stripes a series has. */
    static final int MAX = 8;
    /** Ints of a 64-byte cache line. */
    private static final int LINE = 16;
    /** Ints before the first stripe. */
    static final int PAD = LINE;
    /** Ints from the start of a stripe to the start of the next: its counters and at least a line, whole lines. */
    static final int SPAN = (Layout.STRIDE + LINE + LINE - 1) / LINE * LINE;
    /** Stripes per series: twice the processors rounded up to a power of two, at most {@link #MAX}. */
    static final int COUNT = Math.min(MAX, nextPowerOfTwo(2 * Runtime.getRuntime().availableProcessors()));
    /** Ints of a series' stripes. */
    static final int LENGTH = PAD + COUNT * SPAN;
    /** Bytes of a series' stripes with {@link #MAX} of them (array header aside). */
    static final int MAX_BYTES = (PAD + MAX * SPAN) * 4;

    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final ThreadLocal<int[]> MINE = ThreadLocal.withInitial(() -> new int[] {NEXT.getAndIncrement()});

    private Stripes() {
    }

    /** This thread's holder: element 0 is its index (any int; {@link #base} takes it modulo {@link #COUNT}). */
    static int[] mine() {
        return MINE.get();
    }

    /** The first int of the stripe of index {@code index}. */
    static int base(int index) {
        return PAD + (index & (COUNT - 1)) * SPAN;
    }

    private static int nextPowerOfTwo(int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }
}
