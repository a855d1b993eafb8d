package dev.meridian.http.internal;

/**
 * Eight bytes at a time: the word tests the field scans share ({@link BulkFieldParser} on the
 * server's input, {@link Http1Upstream.Latin1} on the upstream's head). Each is exact as a
 * yes/no (a borrow from one byte into the next only happens when the lower byte already matched).
 */
final class Words {

    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    /** A control byte: below 0x20 ({@link #hasBelow}). */
    static final long SPACES = 0x2020202020202020L;

    private Words() {
    }

    /** {@code b} in each of the eight bytes. */
    static long repeat(int b) {
        return ONES * (b & 0xff);
    }

    /** Whether a byte of {@code x} is below {@code bound}'s (a {@link #repeat}, byte ≤ 0x80). */
    static boolean hasBelow(long x, long bound) {
        return ((x - bound) & ~x & HIGHS) != 0;
    }

    /** Whether a byte of {@code x} equals {@code b}'s (a {@link #repeat}). */
    static boolean has(long x, long b) {
        long y = x ^ b;
        return ((y - ONES) & ~y & HIGHS) != 0;
    }
}
