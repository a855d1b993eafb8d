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

    private final ConcurrentMap<String, Verified> entries = new ConcurrentHashMap<>();

    /** The acceptance of {@code token} if it still holds under {@code current} at {@code now}, else null. */
    Verified find(String token, KeySnapshot current, long now) {
        Verified verified = entries.get(token);
        return verified != null && verified.holds(current, now) ? verified : null;
    }

    void remember(String token, Verified verified) {
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear();
        }
        entries.put(token, verified);
    }

    int size() {
        return entries.size();
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
