package dev.meridian.policy.jwt;

import java.util.Map;

import dev.meridian.policy.api.Decision;

/**
 * The policy's rejections, with the {@code WWW-Authenticate} challenges of RFC 6750 §3: no
 * error code when no token was presented, {@code invalid_token} (401) for a token that does not
 * verify, {@code insufficient_scope} (403) for a valid token without a required scope. The
 * descriptions are fixed texts chosen here (never token content), so nothing a client sends is
 * echoed into a header.
 */
final class Challenge {

    static final String HEADER = "WWW-Authenticate";
    static final String REALM = "Bearer realm=\"meridian\"";

    private Challenge() {
    }

    static Decision missing() {
        return Decision.reject(401, "missing bearer token", Map.of(HEADER, REALM));
    }

    static Decision invalid(String description) {
        return Decision.reject(401, "invalid token: " + description,
            Map.of(HEADER, REALM + ", error=\"invalid_token\", error_description=\"" + description + "\""));
    }

    /** @param scopes the required scopes, space-separated (validated as RFC 6749 scope tokens) */
    static Decision insufficientScope(String scopes) {
        return Decision.reject(403, "insufficient scope", Map.of(HEADER, REALM
            + ", error=\"insufficient_scope\", error_description=\"the token lacks a required scope\", scope=\"" + scopes + "\""));
    }

    /** No key was ever obtained for the issuer (the IdP unreachable since the start): the client may retry. */
    static Decision keysUnavailable() {
        return Decision.reject(503, "identity provider keys unavailable", Map.of("Retry-After", "1"));
    }
}
