package dev.meridian.policy.ratelimit;

import java.util.Map;

/**
 * The headers a rate-limited API answers with, in the syntax of the IETF httpapi draft
 * "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers-10): structured
 * fields naming a policy,
 *
 * <pre>
 * RateLimit-Policy: "consumer";q=1000;w=1
 * RateLimit: "consumer";r=0;t=1
 * </pre>
 *
 * where {@code q} is the quota per window, {@code w} the window in seconds, {@code r} what is
 * left of it and {@code t} the seconds until the window ends. A 429 adds {@code Retry-After} (RFC
 * 9110, seconds) equal to {@code t}. Pure functions.
 */
final class Answers {

    static final String POLICY = "RateLimit-Policy";
    static final String RATE_LIMIT = "RateLimit";
    static final String RETRY_AFTER = "Retry-After";
    static final String MESSAGE = "rate limit exceeded";

    private Answers() {
    }

    /** The policy's name in the headers: its key kind ({@code ip}, {@code consumer}, {@code header}, {@code api}). */
    static String name(RateLimitConfig config) {
        return config.key().kind().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** {@code "<name>";q=<limit>;w=<seconds>}: fixed for a compiled policy. */
    static String policy(RateLimitConfig config) {
        return "\"" + name(config) + "\";q=" + config.limit() + ";w=" + config.perSeconds();
    }

    /** {@code "<name>";r=<remaining>;t=<seconds left>}. */
    static String rateLimit(String name, long remaining, long secondsLeft) {
        return "\"" + name + "\";r=" + Math.max(0, remaining) + ";t=" + secondsLeft;
    }

    /** The headers of a 429. */
    static Map<String, String> limited(String policy, String name, long secondsLeft) {
        return Map.of(RETRY_AFTER, Long.toString(secondsLeft), POLICY, policy, RATE_LIMIT, rateLimit(name, 0, secondsLeft));
    }
}
