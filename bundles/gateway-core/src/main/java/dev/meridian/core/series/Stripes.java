package dev.meridian.core.series;

import dev.meridian.core.StripedCounter;

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
 * <p><b>A thread's stripe.</b> {@link StripedCounter#stripe()}: the thread's id modulo the stripes,
 * the same stripe the thread adds to in every {@link StripedCounter}. It never moves, so this
 * package keeps no state for it (no {@code ThreadLocal}, no lookup per record); two busy threads
 * whose ids meet on one stripe are still counted exactly (every increment is atomic), only at the
 * cost of sharing its lines. Jetty's selector threads, started together, have consecutive ids and
 * so distinct stripes.
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
    /** Stripes per series: {@link StripedCounter#STRIPES} (at most {@link #MAX}). */
    static final int COUNT = StripedCounter.STRIPES;
    /** Ints of a series' stripes. */
    static final int LENGTH = PAD + COUNT * SPAN;
    /** Bytes of a series' stripes with {@link #MAX} of them (array header aside). */
    static final int MAX_BYTES = (PAD + MAX * SPAN) * 4;

    private Stripes() {
    }

    /** The first int of the calling thread's stripe. */
    static int mine() {
        return base(StripedCounter.stripe());
    }

    /** The first int of the stripe of index {@code index}. */
    static int base(int index) {
        return PAD + (index & (COUNT - 1)) * SPAN;
    }
}
