package dev.meridian.policy.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The request as a policy sees it, backed directly by the engine's request (no copies).
 * Header names are case-insensitive. Valid only during the request it belongs to; do not keep
 * a reference after a phase returns (except from a pending stage of the same request).
 */
@ProviderType
public interface PolicyRequest {

    /** Upper-case HTTP method. */
    String method();

    /** The client's path, decoded dot-segments resolved, as routed (e.g. {@code /orders/42}). */
    String path();

    /**
     * The raw query string without {@code ?} as the upstream will receive it (the client's,
     * less what {@link #removeQueryParameter} removed), or empty.
     */
    Optional<String> query();

    /**
     * Removes every parameter named {@code name} (compared as sent, not percent-decoded; with
     * or without a value) from the query the upstream receives, as {@link #removeHeader} does
     * for a header: a credential read from the query (an API key) then reaches no upstream log.
     * The response cache and invalidation tags keep seeing the client's query.
     *
     * @throws UnsupportedOperationException on an engine older than 1.4
     * @since 1.4
     */
    default void removeQueryParameter(String name) {
        throw new UnsupportedOperationException("removeQueryParameter needs policy SPI 1.4 in the engine");
    }

    /** The id of the API definition that routed this request. */
    String apiId();

    /** The revision serving this request. */
    long revision();

    /**
     * The client's IP address: the socket peer, or, when the peer is one of the node's trusted
     * proxies ({@code MERIDIAN_TRUSTED_PROXIES}, CONTRACT §8), the right-most
     * {@code X-Forwarded-For} hop that is not one of them. A spoofed header from any other peer
     * is ignored. (Until 1.2: always the socket peer.)
     */
    String clientAddress();

    /**
     * The IP address of the socket peer (a proxy when there is one).
     *
     * @since 1.2
     */
    default String peerAddress() {
        return clientAddress();
    }

    /** First value of a header. */
    Optional<String> header(String name);

    /** All values of a header, empty if absent. */
    List<String> headers(String name);

    /** Replaces every value of a header; this is what the upstream will receive. */
    void setHeader(String name, String value);

    /** Adds a value to a header. */
    void addHeader(String name, String value);

    /** Removes a header. */
    void removeHeader(String name);

    /**
     * The attribute under which an authenticating policy puts the consumer it identified (a
     * {@code String}: key id, token subject...). The response cache makes it part of the key
     * unless the API's cache is {@code shared}, so no cached answer crosses consumers.
     *
     * @since 1.1
     */
    String CONSUMER = "consumer";

    /**
     * Per-request attributes shared by the policies of one chain (e.g. the identified
     * consumer, {@link #CONSUMER}). Not thread-safe: use from the request's own phases only.
     */
    Map<String, Object> attributes();
}
