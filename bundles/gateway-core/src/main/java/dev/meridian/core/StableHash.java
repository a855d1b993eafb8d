package dev.meridian.core;

import java.nio.charset.StandardCharsets;

/**
 * The one stable 64-bit string hash of the gateway: 64-bit FNV-1a over the UTF-8 bytes, then
 * murmur3's {@code fmix64} finaliser (FNV's low bits alone spread poorly modulo a bucket count).
 * The same value on every node and JVM, so it may decide what the cluster must agree on: a
 * split's buckets ({@link ShapeSplit}), a consistent-hash ring's points, the cache's URL
 * generation buckets. Never change it: users would move between shapes and targets, and stored
 * URL hashes would stop matching.
 */
public final class StableHash {

    /** FNV-1a's 64-bit offset basis: the state before any byte. */
    public static final long START = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private StableHash() {
    }

    /** {@link #mix}({@link #add}({@link #START}, s)). */
    public static long of(String s) {
        return mix(add(START, s));
    }

    /** The FNV-1a state {@code h} after the UTF-8 bytes of {@code s}. */
    public static long add(long h, String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = addByte(h, b);
        }
        return h;
    }

    /** The FNV-1a state {@code h} after one byte (a separator between two strings, say). */
    public static long addByte(long h, int b) {
        return (h ^ (b & 0xff)) * PRIME;
    }

    /** murmur3's 64-bit finaliser. */
    public static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
