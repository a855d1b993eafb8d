package dev.meridian.policy.apikey;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;

/**
 * Identifies the consumer from its API key (CONTRACT §8): no key is 401 with
 * {@code WWW-Authenticate: Key realm="meridian"}; a key no consumer holds (unknown, expired,
 * revoked) is the same 401; a known consumer outside {@code allow} is 403. On success the
 * consumer's id is the request's {@link PolicyRequest#CONSUMER} (what the response cache and
 * rate limits key on) and the key header is removed, so the upstream never sees the key.
 *
 * <p>The look-up is the registry's (one SHA-256 and a hash-map probe, expiry checked per call);
 * the decisions are built once. Thread-safe: only final, immutable fields.
 */
final class ApiKeyPolicy implements Policy {

    static final String CHALLENGE = "Key realm=\"meridian\"";

    private final ApiKeyConfig config;
    private final Consumers consumers;
    private final Decision missing;
    private final Decision unknown;
    private final Decision forbidden = Decision.reject(403, "consumer not allowed");

    ApiKeyPolicy(ApiKeyConfig config, Consumers consumers) {
        this.config = config;
        this.consumers = consumers;
        Map<String, String> challenge = Map.of("WWW-Authenticate", CHALLENGE);
        this.missing = Decision.reject(401, "missing API key (" + config.where() + ")", challenge);
        // one answer for unknown, expired and revoked: which one it is would tell a guesser too much
        this.unknown = Decision.reject(401, "unknown or expired API key", challenge);
    }

    @Override
    public Decision onRequest(PolicyRequest request) {
        Optional<String> key = config.inQuery() ? request.query().flatMap(this::fromQuery) : request.header(config.header());
        if (key.isEmpty() || key.get().isEmpty()) {
            return missing;
        }
        Optional<ApiConsumer> consumer = consumers.byKey(key.get());
        if (consumer.isEmpty()) {
            return unknown;
        }
        if (!config.allow().isEmpty() && !allowed(consumer.get())) {
            return forbidden;
        }
        request.attributes().put(PolicyRequest.CONSUMER, consumer.get().id());
        if (config.inQuery()) {
            request.removeQueryParameter(config.query());
        } else {
            request.removeHeader(config.header());
        }
        return Decision.proceed();
    }

    private boolean allowed(ApiConsumer consumer) {
        for (String name : config.allow()) {
            if (consumer.is(name)) {
                return true;
            }
        }
        return false;
    }

    /** The first value of the configured parameter, percent-decoded; empty if absent or malformed. */
    private Optional<String> fromQuery(String query) {
        String name = config.query();
        int i = 0;
        while (i <= query.length()) {
            int end = query.indexOf('&', i);
            if (end < 0) {
                end = query.length();
            }
            if (query.startsWith(name, i) && i + name.length() < end && query.charAt(i + name.length()) == '=') {
                String raw = query.substring(i + name.length() + 1, end);
                return Optional.of(raw.indexOf('%') < 0 && raw.indexOf('+') < 0 ? raw : decode(raw));
            }
            i = end + 1;
        }
        return Optional.empty();
    }

    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return "";
        }
    }
}
