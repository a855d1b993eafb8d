package dev.meridian.policy.introspection;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/** The bearer token of a request (RFC 6750 §2.1) and the digest it is known by in the cluster. */
final class BearerToken {

    /** RFC 6750's b64token, bounded: a longer "token" is not worth an IdP call. */
    private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]{1,8192}=*");

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
        return B64TOKEN.matcher(token).matches() ? Optional.of(token) : Optional.empty();
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
