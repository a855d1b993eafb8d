package dev.meridian.policy.ratelimit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/**
 * One compiled {@code rate-limit} entry: counts each request in its window ({@link Limiter}),
 * refuses past the limit with 429 and {@code Retry-After}, and puts the draft's
 * {@code RateLimit-Policy} / {@code RateLimit} headers on 429s and on admitted answers
 * ({@link Answers}). Immutable; per-request state in the request's attributes.
 */
final class RateLimitPolicy implements Policy {

    /** Key values longer than this are counted by their SHA-256 (a header can be 8 KB; a cluster key need not). */
    static final int MAX_VALUE_CHARS = 128;
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final RateLimitConfig config;
    private final Limiter limiter;
    private final String policyHeader;
    private final String name;
    /** Where this instance leaves an admitted request's {@link Outcome.Admitted} for its response phase. */
    private final String attribute;
    /** The bucket-key prefix after the API id: scope, window and key, never the limit (an apply keeps the count). */
    private final String suffix;

    RateLimitPolicy(RateLimitConfig config, Limiter limiter) {
        this.config = config;
        this.limiter = limiter;
        this.policyHeader = Answers.policy(config);
        this.name = Answers.name(config);
        this.attribute = "rate-limit#" + INSTANCES.incrementAndGet();
        this.suffix = "\n" + config.scope().name().toLowerCase(java.util.Locale.ROOT) + "\n" + config.perSeconds() + "s\n"
            + config.key().spec() + "\n";
    }

    @Override
    public Decision onRequest(PolicyRequest request) {
        String api = request.apiId();
        Outcome outcome = limiter.acquire(api + suffix + keyValue(request), api + suffix + "\0overflow", config);
        return decide(outcome, request);
    }

    private Decision decide(Outcome outcome, PolicyRequest request) {
        if (outcome instanceof Outcome.Admitted admitted) {
            request.attributes().put(attribute, admitted);
            return Decision.proceed();
        }
        if (outcome instanceof Outcome.Limited limited) {
            return Decision.reject(429, Answers.MESSAGE, Answers.limited(policyHeader, name, limited.secondsLeft()));
        }
        Outcome.Later later = (Outcome.Later) outcome;
        return Decision.pending(later.stage().thenApply(o -> decide(o, request)));
    }

    @Override
    public Decision onResponse(PolicyRequest request, PolicyResponse response) {
        if (request.attributes().get(attribute) instanceof Outcome.Admitted admitted) {
            response.setHeader(Answers.POLICY, policyHeader);
            response.setHeader(Answers.RATE_LIMIT, Answers.rateLimit(name, admitted.remaining(), admitted.secondsLeft()));
        }
        return Decision.proceed();
    }

    /**
     * What this request is counted by: {@code ip:<client>}; {@code c:<consumer>} (a request
     * without a consumer is counted by its client address, as Kong does); {@code h:<value>} or
     * {@code absent} (every request without the header shares one count); {@code api}.
     */
    String keyValue(PolicyRequest request) {
        return switch (config.key().kind()) {
            case IP -> "ip:" + request.clientAddress();
            case CONSUMER -> request.attributes().get(PolicyRequest.CONSUMER) instanceof String consumer && !consumer.isEmpty()
                ? "c:" + bounded(consumer) : "ip:" + request.clientAddress();
            case HEADER -> request.header(config.key().header()).map(v -> "h:" + bounded(v)).orElse("absent");
            case API -> "api";
        };
    }

    private static String bounded(String value) {
        if (value.length() <= MAX_VALUE_CHARS) {
            return value;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}
