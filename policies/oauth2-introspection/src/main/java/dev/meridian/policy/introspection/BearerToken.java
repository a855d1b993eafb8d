package dev.meridian.policy.introspection;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/** The bearer token of a request (RFC 6750 §2.1) and the digest it is known by in the cluster. */
final class BearerToken {

    /** RFC 6750's b64token is {@code 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="}; bounded: a longer "token" is not worth an IdP call. */
    private static final int MAX_TOKEN = 8192;
    /** The b64token characters before the padding, by code (all below 128). */
    private static final boolean[] B64 = new boolean[128];

    static {
        for (char c : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/".toCharArray()) {
            B64[c] = true;
        }
    }

    private BearerToken() {
    }

    /** Whether the header names the Bearer scheme (case-insensitive), whatever follows. */
    static boolean isBearer(Optional<String> authorization) {
        return authorization.isPresent() && authorization.get().regionMatches(true, 0, "Bearer ", 0, 7);
    }

    /** The token of a well-formed {@code Authorization: Bearer <token>}, else empty. */
    static Optional<String> from(Optional<String> authorization) {
        if (!isBearer(authorization)) {
            return Optional.empty();
        }
        String token = authorization.get().substring(7).strip();
        return isB64Token(token) ? Optional.of(token) : Optional.empty();
    }

    /**
     * Whether {@code token} is a b64token of at most {@link #MAX_TOKEN} characters before its
     * padding. A table lookup per character: the regular expression it replaces (a union of
     * character classes, one predicate call per class and character) was ~4% of the
     * introspection lane's samples ({@code bench/identity.sh} with {@code PROFILE=1}).
     */
    static boolean isB64Token(String token) {
        int end = token.length();
        while (end > 0 && token.charAt(end - 1) == '=') {
            end--;
        }
        if (end == 0 || end > MAX_TOKEN) {
            return false;
        }
        for (int i = 0; i < end; i++) {
            char c = token.charAt(i);
            if (c >= B64.length || !B64[c]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Lower-case hex SHA-256 of {@code text}'s UTF-8 bytes: tokens are keyed, logged and revoked
     * by this, never stored as they are.
     */
    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
