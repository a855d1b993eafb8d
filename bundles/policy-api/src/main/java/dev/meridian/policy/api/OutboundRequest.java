package dev.meridian.policy.api;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One call through {@link OutboundHttp}. Immutable; build with {@link #get(URI)} or
 * {@link #post(URI, String, byte[])} and the {@code with...} methods.
 *
 * @param method upper-case HTTP method
 * @param uri absolute {@code http} or {@code https} URI
 * @param headers request headers (names as given; values in order)
 * @param body request body, empty for none
 * @param timeout the whole exchange, connect to last byte
 * @param maxBodyBytes a response body larger than this fails the call
 * @param trustedCaPem PEM certificates trusted for this call's TLS instead of the JVM's defaults
 *        (an identity provider with a private CA); empty = the JVM's trust store
 * @since 1.2
 */
public record OutboundRequest(String method, URI uri, Map<String, List<String>> headers, byte[] body,
                              Duration timeout, int maxBodyBytes, Optional<String> trustedCaPem) {

    /** Default timeout of a call: 5 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** Default response body cap: 1 MiB. */
    public static final int DEFAULT_MAX_BODY = 1 << 20;

    public OutboundRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("uri must be http or https: " + uri);
        }
        headers = Map.copyOf(headers);
        body = body.clone();
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive");
        }
        Objects.requireNonNull(trustedCaPem, "trustedCaPem");
    }

    public static OutboundRequest get(URI uri) {
        return new OutboundRequest("GET", uri, Map.of(), new byte[0], DEFAULT_TIMEOUT, DEFAULT_MAX_BODY, Optional.empty());
    }

    public static OutboundRequest post(URI uri, String contentType, byte[] body) {
        return new OutboundRequest("POST", uri, Map.of("Content-Type", List.of(contentType)), body,
            DEFAULT_TIMEOUT, DEFAULT_MAX_BODY, Optional.empty());
    }

    /** This request with one more header value. */
    public OutboundRequest withHeader(String name, String value) {
        Map<String, List<String>> copy = new java.util.LinkedHashMap<>(headers);
        copy.merge(name, List.of(value), (a, b) -> {
            List<String> both = new java.util.ArrayList<>(a);
            both.addAll(b);
            return List.copyOf(both);
        });
        return new OutboundRequest(method, uri, copy, body, timeout, maxBodyBytes, trustedCaPem);
    }

    public OutboundRequest withTimeout(Duration newTimeout) {
        return new OutboundRequest(method, uri, headers, body, newTimeout, maxBodyBytes, trustedCaPem);
    }

    public OutboundRequest withMaxBodyBytes(int max) {
        return new OutboundRequest(method, uri, headers, body, timeout, max, trustedCaPem);
    }

    public OutboundRequest withTrustedCaPem(String pem) {
        return new OutboundRequest(method, uri, headers, body, timeout, maxBodyBytes, Optional.of(pem));
    }

    /** The body; a copy (records expose their arrays, this one must stay immutable). */
    @Override
    public byte[] body() {
        return body.clone();
    }
}
