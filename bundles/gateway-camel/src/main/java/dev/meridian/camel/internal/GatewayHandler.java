package dev.meridian.camel.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.URIUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.GatewayEngine;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.policy.api.Decision;

/**
 * The traffic port's only handler. Reads the current route table once per request and keeps
 * it until the response is written; routes; hands the request to the Camel pipeline; writes
 * the answer (streamed from the upstream, or a small JSON error).
 */
final class GatewayHandler extends Handler.Abstract.NonBlocking {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayHandler.class);
    private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");
    private static final HttpField CLOSE = new PreEncodedHttpField(HttpHeader.CONNECTION, "close");
    static final String REVISION = "X-Meridian-Revision";
    static final String REQUEST_ID = "X-Request-Id";
    static final String X_CACHE = "X-Cache";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final GatewayEngine engine;
    private final java.util.function.Supplier<dev.meridian.cache.ResponseCache> caches;
    private final AccessLog accessLog; // null = off
    private final UpstreamCall upstream;
    private final LongAdder inFlight = new LongAdder();
    private volatile Pipeline pipeline;
    private volatile boolean draining;

    GatewayHandler(GatewayEngine engine, java.util.function.Supplier<dev.meridian.cache.ResponseCache> caches,
                   AccessLog accessLog, UpstreamCall upstream) {
        this.engine = engine;
        this.caches = caches;
        this.accessLog = accessLog;
        this.upstream = upstream;
    }

    void pipeline(Pipeline pipeline) {
        this.pipeline = pipeline;
    }

    void drain() {
        draining = true;
    }

    long inFlight() {
        return inFlight.sum();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        inFlight.increment();
        RouteTable table = engine.current();
        table.acquire();
        String requestId = requestId(request.getHeaders());
        HttpURI uri = request.getHttpURI();
        String path = URIUtil.normalizePath(uri.getPath());
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            local(request, response, callback, table, null, requestId, start, 400, "invalid path");
            return true;
        }
        Route route = table.match(path);
        if (route == null || !route.allows(request.getMethod())) {
            engine.countUnmatched();
            local(request, response, callback, table, null, requestId, start, 404, "no API matches " + request.getMethod() + " " + path);
            return true;
        }
        if (request.getLength() > UpstreamCall.MAX_BODY) {
            local(request, response, callback, table, route, requestId, start, 413, "request body larger than 10 MiB");
            return true;
        }
        Flight flight = new Flight(request, response, callback, table, route, path, uri.getQuery(), requestId, start);
        if (!route.api().cache().isEmpty()) {
            dev.meridian.cache.ResponseCache rc = caches.get();
            flight.cache = rc == null ? null : rc.forApi(route.api());
            if (route.policyCount() == 0 && CacheStep.answeredBeforePipeline(flight)) {
                finish(flight, null);
                return true;
            }
        }
        try {
            pipeline.run(flight, exchange -> finish(flight, exchange.getException()));
        } catch (RuntimeException e) {
            // Camel reports failures on the exchange; this only guards against the producer itself failing
            LOG.error("pipeline refused request {} of API {}", requestId, route.id(), e);
            CacheStep.abandon(flight);
            local(request, response, callback, table, route, requestId, start, 500, "internal error");
        }
        return true;
    }

    /** Writes the flight's answer; {@code failure}: what the pipeline failed with, if it did. */
    private void finish(Flight f, Throwable failure) {
        if (failure != null) {
            LOG.error("pipeline failed for API {} (request {})", f.route.id(), f.requestId, failure);
            CacheStep.abandon(f);
            if (f.upstreamBody != null) {
                f.upstreamBody.fail(failure);
            }
            f.reject(new Decision.Reject(500, "internal error", java.util.Map.of()));
        }
        Response response = f.response;
        HttpFields.Mutable out = response.getHeaders();
        response.setStatus(f.status);
        Callback done = completion(f.request, f.callback, f.table, f.route, f.requestId, f.startNanos, f.status, f.upstreamNanos);
        if (f.fill != null && (f.rejection != null || f.cached != null)) {
            f.fill.release();
        }
        if (f.refresh != null && f.rejection != null) {
            f.refresh.release(); // a stale answer replaced by a rejection: no background refresh either
            f.refresh = null;
        }
        if (f.rejection != null) {
            f.rejection.headers().forEach(out::put);
            HttpFields extra = f.effectiveResponseHeaders();
            if (extra != null) {
                extra.forEach(field -> {
                    if (!Headers.skipOnResponse(field)) {
                        out.put(field);
                    }
                });
            }
            stamp(out, f.table, f.requestId);
            if (f.xCache != null) {
                out.put(X_CACHE, f.xCache);
            }
            out.put(JSON);
            Content.Sink.write(response, true, ErrorBodies.json(f.rejection.message()), done);
            return;
        }
        HttpFields from = f.effectiveResponseHeaders();
        String[] tokens = Headers.connectionTokens(from);
        for (HttpField field : from) {
            if (Headers.isHopByHop(field, tokens)) {
                continue;
            }
            if (field.getHeader() == HttpHeader.DATE) {
                // the origin's (RFC 9110 §6.6.1), on hits the stored one, which Age completes
                out.put(field);
            } else if (!Headers.skipOnResponse(field)) {
                out.add(field);
            }
        }
        stamp(out, f.table, f.requestId);
        if (f.xCache != null) {
            out.put(X_CACHE, f.xCache);
        }
        if (f.refresh != null) {
            // stale-while-revalidate: this client gets the stale answer; the refresh runs without it
            dev.meridian.cache.Fill refresh = f.refresh;
            f.refresh = null;
            upstream.refresh(f, refresh);
        }
        if (f.cached != null) {
            out.put(HttpHeader.AGE, dev.meridian.cache.Freshness.ageFieldValue(f.cachedAgeMillis));
            // (when the cache revalidated, the conditions in the request are its own, not the client's)
            if (f.status == 200 && !f.revalidating && dev.meridian.cache.Conditionals.notModified(f::headers, f.cached)) {
                // the client holds this very response (its If-None-Match / If-Modified-Since): 304
                response.setStatus(304);
                out.remove(HttpHeader.CONTENT_LENGTH);
                out.remove(HttpHeader.CONTENT_TYPE);
                response.write(true, org.eclipse.jetty.util.BufferUtil.EMPTY_BUFFER, done);
                return;
            }
            boolean head = "HEAD".equals(f.request.getMethod());
            response.write(true, head ? org.eclipse.jetty.util.BufferUtil.EMPTY_BUFFER : java.nio.ByteBuffer.wrap(f.cached.body()), done);
            return;
        }
        Content.Source body = f.upstreamBody;
        if (f.cache != null && f.status < 400 && unsafe(f.request.getMethod())) {
            // the writer is answered once no node serves what it changed (read-your-writes on any
            // node), waiting at most UNSAFE_WAIT: past it the invalidation goes on in the background
            java.util.concurrent.CompletableFuture<Void> invalidated = invalidateAfterUnsafe(f);
            if (!invalidated.isDone()) {
                Content.Source answer = body;
                invalidated.copy().completeOnTimeout(null, UNSAFE_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)
                    .whenCompleteAsync((v, e) -> Content.copy(answer, response, done), f.request.getComponents().getExecutor());
                return;
            }
        }
        if (f.fill != null) {
            // decided at the headers: an answer that may not be stored is not copied either
            String refusal = f.fill.refusal(f.request.getMethod(), f.status, CacheStep.view(f.upstreamHeaders));
            if (refusal == null) {
                body = new TeeSource(body, f.fill, f.status, CacheStep.fieldList(f.upstreamHeaders), f.cache.maxBody(),
                    f.upstreamHeaders.getLongField(HttpHeader.CONTENT_LENGTH), f.request.getComponents().getExecutor());
            } else {
                f.fill.release();
            }
        }
        Content.copy(body, response, done);
    }

    /**
     * RFC 9111 §4.4: a non-error answer to an unsafe request invalidates its URL, and the URLs its
     * {@code Location} and {@code Content-Location} name when they are of the same origin (the
     * request's host, or the upstream's, whose paths map back under the API's basePath), in
     * whichever cached API serves them. Nothing else.
     */
    private java.util.concurrent.CompletableFuture<Void> invalidateAfterUnsafe(Flight f) {
        java.util.concurrent.CompletableFuture<Void> all = f.cache.unsafeRequestSucceeded(f.path, f.query).toCompletableFuture();
        HttpFields answer = f.upstreamHeaders;
        if (answer == null) {
            return all;
        }
        for (HttpHeader h : LOCATIONS) {
            String value = answer.get(h);
            if (value == null) {
                continue;
            }
            String[] target = Locations.sameOrigin(value, f.path, f.request.getHeaders().get(HttpHeader.HOST),
                f.route.api().upstream(), f.route.basePath());
            if (target == null) {
                continue;
            }
            Route route = f.table.match(target[0]);
            dev.meridian.cache.ResponseCache rc = caches.get();
            if (route != null && rc != null && !route.api().cache().isEmpty()) {
                dev.meridian.cache.RouteCache cache = rc.forApi(route.api());
                if (cache != null) {
                    all = all.thenCombine(cache.unsafeRequestSucceeded(target[0], target[1]), (a, b) -> null);
                }
            }
        }
        return all;
    }

    /** The longest a writer waits for the invalidation of what it wrote (normally a few milliseconds). */
    private static final long UNSAFE_WAIT_MILLIS = 2_000;

    private static final HttpHeader[] LOCATIONS = {HttpHeader.LOCATION, HttpHeader.CONTENT_LOCATION};

    /** RFC 9110 §9.2.1: anything but GET, HEAD, OPTIONS and TRACE may change the resource. */
    private static boolean unsafe(String method) {
        return !method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS") && !method.equals("TRACE");
    }

    private void local(Request request, Response response, Callback callback, RouteTable table, Route route,
                       String requestId, long start, int status, String message) {
        response.setStatus(status);
        HttpFields.Mutable out = response.getHeaders();
        stamp(out, table, requestId);
        out.put(JSON);
        Content.Sink.write(response, true, ErrorBodies.json(message),
            completion(request, callback, table, route, requestId, start, status, 0));
    }

    private void stamp(HttpFields.Mutable out, RouteTable table, String requestId) {
        out.put(REVISION, Long.toString(table.revision()));
        out.put(REQUEST_ID, requestId);
        if (draining) {
            out.put(CLOSE);
        }
    }

    /** Bookkeeping once the response is written: metrics, access log, release of the table. */
    private Callback completion(Request request, Callback callback, RouteTable table, Route route, String requestId,
                                long start, int status, long upstreamNanos) {
        return Callback.from(() -> {
            done(request, table, route, requestId, start, status, upstreamNanos, null);
            callback.succeeded();
        }, failure -> {
            done(request, table, route, requestId, start, status, upstreamNanos, failure);
            callback.failed(failure);
        });
    }

    private void done(Request request, RouteTable table, Route route, String requestId, long start, int status,
                      long upstreamNanos, Throwable failure) {
        long total = System.nanoTime() - start;
        table.release();
        inFlight.decrement();
        if (route != null) {
            route.metrics().record(status, total);
        }
        if (accessLog != null) {
            StringBuilder line = new StringBuilder(220);
            line.append(java.time.Instant.now()).append(" api=").append(route == null ? "-" : route.id())
                .append(" rev=").append(table.revision())
                .append(" method=").append(request.getMethod())
                .append(" path=\"").append(request.getHttpURI().getPath())
                .append("\" status=").append(status)
                .append(" upstream_ms=");
            millis(line, upstreamNanos).append(" total_ms=");
            millis(line, total).append(" request_id=").append(requestId)
                .append(" client=").append(Request.getRemoteAddr(request));
            if (failure != null) {
                line.append(" error=\"").append(failure).append('"');
            }
            accessLog.log(line.toString());
        }
    }

    private static StringBuilder millis(StringBuilder sb, long nanos) {
        long micros = nanos / 1000;
        return sb.append(micros / 1000).append('.').append((micros % 1000) / 100);
    }

    /** The client's {@code X-Request-Id} when sane, else 32 random hex digits. */
    private static String requestId(HttpFields headers) {
        String given = headers.get(REQUEST_ID);
        if (given != null && !given.isEmpty() && given.length() <= 200 && printable(given)) {
            return given;
        }
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        char[] id = new char[32];
        long a = rnd.nextLong();
        long b = rnd.nextLong();
        for (int i = 0; i < 16; i++) {
            id[i] = HEX[(int) (a >>> (i * 4)) & 0xf];
            id[16 + i] = HEX[(int) (b >>> (i * 4)) & 0xf];
        }
        return new String(id);
    }

    private static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
