package dev.meridian.cluster.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What one key of a shared-state space holds in the cluster, before its {@link ClusterSeal seal}:
 * a format byte, the kind (bytes or counter), the absolute expiry in epoch milliseconds (0:
 * never) and the payload (a counter's is its value, 8 bytes big-endian).
 *
 * <p>The expiry travels inside the sealed value because Hazelcast's own expiry is a cleanup, not
 * a deadline: its sweeper can remove an entry seconds late and a near copy can outlive it. A
 * reader treats a value past its expiry as absent whatever Hazelcast still holds, so a TTL is
 * exact on every node (to the members' clock agreement).
 */
record StateValue(byte kind, long expiresAt, byte[] payload) {

    static final byte BYTES = 0;
    static final byte COUNTER = 1;
    private static final byte FORMAT = 1;
    private static final int HEADER = 2 + Long.BYTES;

    /** Bytes with their expiry ({@code 0}: never). */
    static StateValue bytes(byte[] payload, long expiresAt) {
        return new StateValue(BYTES, expiresAt, payload);
    }

    /** A counter with its expiry ({@code 0}: never). */
    static StateValue counter(long value, long expiresAt) {
        return new StateValue(COUNTER, expiresAt, ByteBuffer.allocate(Long.BYTES).putLong(value).array());
    }

    /** The stored form (unsealed). */
    byte[] encode() {
        return ByteBuffer.allocate(HEADER + payload.length).put(FORMAT).put(kind).putLong(expiresAt).put(payload).array();
    }

    /** @throws IllegalArgumentException when {@code stored} is not a value of this format */
    static StateValue decode(byte[] stored) {
        if (stored.length < HEADER || stored[0] != FORMAT || (stored[1] != BYTES && stored[1] != COUNTER)) {
            throw new IllegalArgumentException("not a shared-state value of format " + FORMAT);
        }
        long expiresAt = ByteBuffer.wrap(stored, 2, Long.BYTES).getLong();
        byte[] payload = Arrays.copyOfRange(stored, HEADER, stored.length);
        if (stored[1] == COUNTER && payload.length != Long.BYTES) {
            throw new IllegalArgumentException("a shared-state counter of " + payload.length + " bytes");
        }
        return new StateValue(stored[1], expiresAt, payload);
    }

    boolean expired(long nowMillis) {
        return expiresAt != 0 && nowMillis >= expiresAt;
    }

    boolean isCounter() {
        return kind == COUNTER;
    }

    /** A counter's value. */
    long count() {
        return ByteBuffer.wrap(payload).getLong();
    }

    /**
     * The time Hazelcast keeps an entry expiring at {@code expiresAt}, in milliseconds (0:
     * forever): a second beyond the exact expiry, so Hazelcast's sweep never removes a value before readers stop seeing it.
     */
    static long hazelcastTtlMillis(long expiresAt, long nowMillis) {
        return expiresAt == 0 ? 0 : Math.max(1, expiresAt - nowMillis) + 1_000;
    }

    /** The absolute expiry of a value written now with {@code ttlMillis} (0: never). */
    static long expiry(long nowMillis, long ttlMillis) {
        return ttlMillis == 0 ? 0 : nowMillis + ttlMillis;
    }
}
