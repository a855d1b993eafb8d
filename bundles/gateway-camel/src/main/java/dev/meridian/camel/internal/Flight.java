package dev.meridian.camel.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/**
 * One request in flight: everything the pipeline's steps share, carried as the Camel message
 * body (no header maps are copied into Camel). Mutated by one step at a time; steps hand over
 * through Camel's async callbacks, which establish happens-before.
 */
final class Flight implements PolicyRequest {

    final Request request;
    final Response response;
    final Callback callback;
    final RouteTable table;
    final Route route;
    final String path;
    final String query;
    final String requestId;
    final long startNanos;

    private HttpFields.Mutable requestHeaders; // copy-on-write of request.getHeaders()
    private Map<String, Object> attributes;

    /** Request-phase policies that ran (their response phases run, in reverse). */
    int policiesRun;
    /** Set when a policy or the engine answers instead of the upstream. */
    Decision.Reject rejection;

    int status;
    HttpFields upstreamHeaders;
    HttpFields.Mutable responseHeaders; // copy-on-write of upstreamHeaders
    Content.Source upstreamBody;
    long upstreamNanos;

    /** The API's cache, or null; what the lookup gave: an answer, or the fill of a miss. */
    dev.meridian.cache.RouteCache cache;
    dev.meridian.cache.CachedResponse cached;
    long cachedAgeMillis;
    dev.meridian.cache.Fill fill;
    /** A lookup started before the pipeline ({@link CacheStep#answeredBeforePipeline}), finished by the cache step. */
    java.util.concurrent.CompletableFuture<dev.meridian.cache.Lookup> lookup;
    /** A stale answer is being served: this fill refreshes it in the background (stale-while-revalidate). */
    dev.meridian.cache.Fill refresh;
    /** The upstream request carries the cache's own validators (a 304 renews the stored entry). */
    boolean revalidating;
    /** {@code X-Cache}: HIT, MISS, STALE or BYPASS; null when the API has no cache. */
    String xCache;

    Flight(Request request, Response response, Callback callback, RouteTable table, Route route, String path,
           String query, String requestId, long startNanos) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.table = table;
        this.route = route;
        this.path = path;
        this.query = query;
        this.requestId = requestId;
        this.startNanos = startNanos;
    }

    HttpFields effectiveRequestHeaders() {
        return requestHeaders != null ? requestHeaders : request.getHeaders();
    }

    private HttpFields.Mutable mutableRequestHeaders() {
        if (requestHeaders == null) {
            requestHeaders = HttpFields.build(request.getHeaders());
        }
        return requestHeaders;
    }

    HttpFields effectiveResponseHeaders() {
        return responseHeaders != null ? responseHeaders : upstreamHeaders;
    }

    void reject(Decision.Reject reject) {
        this.rejection = reject;
        this.cached = null;
        this.status = reject.status();
        this.upstreamHeaders = HttpFields.EMPTY;
        this.responseHeaders = null;
        this.upstreamBody = null;
    }

    // ---- PolicyRequest

    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public Optional<String> query() {
        return Optional.ofNullable(query);
    }

    @Override
    public String apiId() {
        return route.id();
    }

    @Override
    public long revision() {
        return table.revision();
    }

    @Override
    public String clientAddress() {
        return Request.getRemoteAddr(request);
    }

    @Override
    public Optional<String> header(String name) {
        return Optional.ofNullable(effectiveRequestHeaders().get(name));
    }

    @Override
    public List<String> headers(String name) {
        return effectiveRequestHeaders().getValuesList(name);
    }

    @Override
    public void setHeader(String name, String value) {
        mutableRequestHeaders().put(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        mutableRequestHeaders().add(name, value);
    }

    @Override
    public void removeHeader(String name) {
        mutableRequestHeaders().remove(name);
    }

    /** An attribute a policy set, without creating the map. */
    Object attribute(String name) {
        return attributes == null ? null : attributes.get(name);
    }

    @Override
    public Map<String, Object> attributes() {
        if (attributes == null) {
            attributes = new HashMap<>();
        }
        return attributes;
    }

    /** The response as the response phase sees it. */
    PolicyResponse responseView() {
        return new PolicyResponse() {
            @Override
            public int status() {
                return status;
            }

            @Override
            public Optional<String> header(String name) {
                HttpFields h = effectiveResponseHeaders();
                return Optional.ofNullable(h == null ? null : h.get(name));
            }

            @Override
            public List<String> headers(String name) {
                HttpFields h = effectiveResponseHeaders();
                return h == null ? List.of() : h.getValuesList(name);
            }

            @Override
            public void setHeader(String name, String value) {
                mutableResponseHeaders().put(name, value);
            }

            @Override
            public void addHeader(String name, String value) {
                mutableResponseHeaders().add(name, value);
            }

            @Override
            public void removeHeader(String name) {
                mutableResponseHeaders().remove(name);
            }
        };
    }

    private HttpFields.Mutable mutableResponseHeaders() {
        if (responseHeaders == null) {
            responseHeaders = upstreamHeaders == null ? HttpFields.build() : HttpFields.build(upstreamHeaders);
        }
        return responseHeaders;
    }
}
