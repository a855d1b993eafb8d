package dev.meridian.policy.jwt;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Tokens this policy instance accepted, so a client sending the same token again costs a map
 * lookup instead of a signature check (RS256 and ES256 verifications are tens to hundreds of
 * microseconds). An entry holds only while the keys are the very snapshot it was verified
 * with (a new fetch or a rotation re-verifies everything once) and only within the token's
 * validity window as computed at acceptance ({@code nbf}/{@code iat} to {@code exp} with skew,
 * cut at the end of a retired key's grace). Bounded: at {@link #MAX_ENTRIES} it is emptied, a
 * cost of one re-verification per token rather than an eviction structure on the hot path.
 */
final class VerifiedTokens {

    static final int MAX_ENTRIES = 4096;

    /** How many of a token's last characters its key is hashed on ({@link Token}). */
    static final int HASHED = 32;

    private final ConcurrentMap<Token, Verified> entries = new ConcurrentHashMap<>();

    /** The acceptance of {@code token} if it still holds under {@code current} at {@code now}, else null. */
    Verified find(String token, KeySnapshot current, long now) {
        Verified verified = entries.get(new Token(token));
        return verified != null && verified.holds(current, now) ? verified : null;
    }

    void remember(String token, Verified verified) {
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear();
        }
        entries.put(new Token(token), verified);
    }

    int size() {
        return entries.size();
    }

    /**
     * A token as the map's key: hashed on its last {@link #HASHED} characters, compared whole.
     * Each request's token is a new string, and {@code String.hashCode} of 700 characters is a
     * serial loop on JDK 17: under load the lookup was 3.7% of the jwt lane's samples
     * ({@code bench/identity.sh} with {@code PROFILE=1}, 2026-12-04), ~1.7 µs of ~46 µs a request.
     * A JWS ends with its signature, whose base64url characters are as good as random, so its
     * tail spreads the keys as well as the whole would. Only verified tokens are remembered: a
     * forged token sharing a tail costs one more string comparison in its bucket, never an entry.
     */
    record Token(String text, int hash) {

        Token(String text) {
            this(text, tailHash(text));
        }

        static int tailHash(String text) {
            int n = text.length();
            int h = n;
            for (int i = Math.max(0, n - HASHED); i < n; i++) {
                h = 31 * h + text.charAt(i);
            }
            return h;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Token t && t.hash == hash && t.text.equals(text);
        }
    }

    /**
     * @param keys the snapshot the token was verified with (compared by identity)
     * @param consumer the consumer claim's value
     * @param notBefore the first millisecond the token is valid (skew included)
     * @param until the last millisecond it is valid (skew and key grace included)
     */
    record Verified(KeySnapshot keys, String consumer, long notBefore, long until) {

        boolean holds(KeySnapshot current, long now) {
            return keys == current && now >= notBefore && now <= until;
        }
    }
}
