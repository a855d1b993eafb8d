package dev.meridian.manager.internal;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * Authentication of an admin API call (CONTRACT §9): {@code Authorization: Bearer <token>}, or
 * Basic with a token's name and the token as password (what ssh takes too), checked against the
 * {@link TokenStore}; any other Basic credentials against Karaf's realm ({@link BasicAuth}, the
 * {@code admin} password). The per-address slowing of failures is the caller's
 * ({@link LoginThrottle}).
 */
final class AdminAuth {

    private final TokenStore tokens;
    private final BasicAuth basic;

    AdminAuth(TokenStore tokens, BasicAuth basic) {
        this.tokens = tokens;
        this.basic = basic;
    }

    /** The caller, or empty for missing, malformed or wrong credentials. */
    Optional<Caller> authenticate(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return tokens.verify(null, authorization.substring(7).trim()).map(t -> new Caller(t.name(), t.role()));
        }
        Optional<String[]> pair = basicPair(authorization);
        if (pair.isPresent() && pair.get()[1].startsWith(Token.PREFIX)) {
            String[] p = pair.get();
            Optional<Caller> token = tokens.verify(p[0], p[1]).map(t -> new Caller(t.name(), t.role()));
            if (token.isPresent()) {
                return token;
            }
            // not a token: a Karaf user's password may start with the prefix too
        }
        return basic.authenticate(authorization);
    }

    /** The user name a header claims (for the refused-login log line; never the password), or {@code -}. */
    static String claimedUser(String authorization) {
        if (authorization == null) {
            return "-";
        }
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "(bearer token)";
        }
        return basicPair(authorization).map(p -> p[0].replaceAll("[^\\x20-\\x7e]", "?")).orElse("-");
    }

    private static Optional<String[]> basicPair(String authorization) {
        if (!authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon <= 0 ? Optional.empty() : Optional.of(new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)});
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
