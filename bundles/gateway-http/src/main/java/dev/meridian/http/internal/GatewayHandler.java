package dev.meridian.http.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.CanaryMeter;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ShapeSplit;
import dev.meridian.core.StripedCounter;
import dev.meridian.core.flow.Answer;
import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.Exchange;
import dev.meridian.model.CanaryPolicy;
import dev.meridian.model.Upstream;
import dev.meridian.core.flow.Fields;
import dev.meridian.core.flow.Pipeline;
import dev.meridian.core.flow.Steps;
import dev.meridian.core.flow.StoredFields;
import dev.meridian.core.series.CacheOutcome;

/**
 * The traffic port's only handler. Reads the current route table once per request and keeps it
 * until the answer is written; routes; makes the request an {@link Exchange} and runs its steps
 * (through the Camel pipeline when the route has policies, directly when it has nothing
 * asynchronous to do); writes the answer the steps left: the upstream's streamed, a stored one,
 * or a small JSON error.
 */
final class GatewayHandler extends Handler.Abstract.NonBlocking {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayHandler.class);
    private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");
    private static final HttpField CLOSE = new PreEncodedHttpField(HttpHeader.CONNECTION, "close");
    static final String REVISION = "X-Meridian-Revision";
    static final String REQUEST_ID = "X-Request-Id";
    static final String X_CACHE = "X-Cache";
    static final String SHAPE = "X-Meridian-Shape";
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    /** The server's own objects of a request, owned by this handler (the upstream client reads them). */
    private static final Exchange.Slot<Jetty> JETTY = new Exchange.Slot<>("jetty");

    private record Jetty(Request request, Response response, Callback callback) {
    }

    /** The table each request reads once: the engine's current one (a warm-up's own, see {@link ProxyWarmup}). */
    private final Supplier<RouteTable> tables;
    private final Runnable unmatched;
    private final AccessLog accessLog; // null = off
    private final StripedCounter inFlight = new StripedCounter(); // per request, from every request thread
    private final StoredWire storedWire = new StoredWire();
    /** {@code X-Meridian-Revision} of the table last stamped, encoded once per table. */
    private volatile RevisionField revisionField = new RevisionField(null, null);

    private record RevisionField(RouteTable table, HttpField field) {
    }
    /** The steps and the cache's part of them, swapped together when the cache comes or goes. */
    private volatile Steps steps;
    private volatile CacheSteps cache = CacheSteps.NONE;
    private final Supplier<Pipeline> pipeline;
    /** Whose {@code X-Forwarded-For} is believed: the client address of policies and the access log. */
    private final TrustedProxies proxies;
    private volatile boolean draining;
    /** Fresh hits answered by the connection ({@link HitShortcut}); MERIDIAN_HIT_SHORTCUT=off turns it off. */
    private volatile boolean hitShortcut;

    GatewayHandler(GatewayEngine engine, AccessLog accessLog, Supplier<Pipeline> pipeline, TrustedProxies proxies) {
        this(engine::current, engine::countUnmatched, accessLog, pipeline, proxies);
    }

    /** A handler serving the tables {@code tables} gives, counting requests no route matches with {@code unmatched}. */
    GatewayHandler(Supplier<RouteTable> tables, Runnable unmatched, AccessLog accessLog, Supplier<Pipeline> pipeline,
                   TrustedProxies proxies) {
        this.proxies = proxies;
        this.tables = tables;
        this.unmatched = unmatched;
        this.accessLog = accessLog;
        this.pipeline = pipeline;
    }

    /** The steps to run, and the cache they include (or {@link CacheSteps#NONE}). */
    void steps(Steps steps, CacheSteps cache) {
        this.cache = cache;
        this.steps = steps;
    }

    void drain() {
        draining = true;
    }

    void hitShortcut(boolean on) {
        hitShortcut = on;
    }

    /** Whether a connection may hold a request for {@link #answerHit} now: on, not draining, with a cache. */
    boolean answersHits() {
        return hitShortcut && !draining && cache != CacheSteps.NONE;
    }

    long inFlight() {
        return inFlight.sum();
    }

    static Request serverRequest(Exchange e) {
        return e.get(JETTY).request;
    }

    static Response serverResponse(Exchange e) {
        return e.get(JETTY).response;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (request.getConnectionMetaData().getConnection() instanceof GuardedConnection g
            && g.runAfterHitWritten(() -> handleNow(request, response, callback))) {
            return true; // the connection is still writing the answer of the request before this one
        }
        return handleNow(request, response, callback);
    }

    private boolean handleNow(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        inFlight.increment();
        RouteTable table = tables.get();
        if (table.canary() != null) {
            table = canarySide(table, request, response);
        }
        table.acquire();
        String requestId = requestId(request.getHeaders());
        HttpURI uri = request.getHttpURI();
        String path;
        try {
            // routing, the cache key and the upstream all see this one form (CONTRACT §9)
            path = RequestPath.normalise(uri.getPath());
        } catch (RequestPath.Refused refused) {
            local(request, response, callback, table, null, requestId, start, 400, refused.getMessage());
            return true;
        }
        String te = request.getHeaders().get(HttpHeader.TRANSFER_ENCODING);
        if (te != null && !te.equalsIgnoreCase("chunked")) {
            // Jetty refuses a final coding other than chunked; "gzip, chunked" would reach the upstream
            // as a body still gzip-coded but no longer labelled so: refused, and the connection with it
            // (what follows on it cannot be framed with certainty)
            response.getHeaders().put(CLOSE);
            local(request, response, callback, table, null, requestId, start, 400,
                "Transfer-Encoding other than chunked is not accepted");
            return true;
        }
        Route route = table.match(path);
        if (route == null || !route.allows(request.getMethod()) && !(route.admitsPreflight() && preflight(request))) {
            unmatched.run();
            local(request, response, callback, table, null, requestId, start, 404, "no API matches " + request.getMethod() + " " + path);
            return true;
        }
        if (request.getLength() > JettyUpstream.MAX_BODY) {
            local(request, response, callback, table, route, requestId, start, 413, "request body larger than 10 MiB");
            return true;
        }
        String peer = Request.getRemoteAddr(request);
        Exchange e = new Exchange(table, route, request.getMethod(), path, uri.getQuery(), requestId,
            proxies.client(peer, request.getHeaders()), peer, start, new JettyFields(request.getHeaders()));
        e.put(JETTY, new Jetty(request, response, callback));
        Steps run = steps;
        CacheSteps c = cache;
        if (route.policyCount() == 0) {
            // nothing in the route may suspend on a policy: a hit is answered from memory at once,
            // anything else runs its steps here, without a Camel exchange (jvm-ceiling.md: ~15 µs)
            // (not for a split API: its shape, part of the cache key, is chosen in the request phase)
            if (!route.api().cache().isEmpty() && route.split() == null && c.answeredBeforePipeline(e)) {
                finish(e, c, null);
                return true;
            }
            run.runDirect(e, failure -> finish(e, c, failure));
            return true;
        }
        Pipeline p = pipeline.get();
        if (p == null) {
            run.runDirect(e, failure -> finish(e, c, failure)); // the pipeline bundle is being replaced
        } else {
            p.run(e, run, failure -> finish(e, c, failure));
        }
        return true;
    }

    /**
     * Answers a request that {@code conn} holds when it is a fresh hit of this node's memory on a
     * route without policies (see {@link HitShortcut}), the way {@link #handle} would: the same
     * table, path, route, request id, client address, cache decision, fields, stamps, metrics and
     * access log line. Returns false, having changed nothing, for any other request (a canary
     * apply, a path {@link RequestPath} refuses, no route, a route with policies or a split, a
     * method the route does not allow, anything but a fresh hit): the connection hands it to Jetty.
     */
    boolean answerHit(HitShortcut conn, String method, HttpURI uri, HttpFields fields) {
        RouteTable table = tables.get();
        if (table.canary() != null || draining) {
            return false;
        }
        String path;
        try {
            path = RequestPath.normalise(uri.getPath());
        } catch (RequestPath.Refused refused) {
            return false;
        }
        Route route = table.match(path);
        if (route == null || route.policyCount() != 0 || route.split() != null || route.api().cache().isEmpty()
            || !route.allows(method)) {
            return false;
        }
        CacheSteps c = cache;
        long start = System.nanoTime();
        table.acquire();
        Exchange e;
        try {
            String peer = conn.peer();
            e = new Exchange(table, route, method, path, uri.getQuery(), requestId(fields),
                proxies.client(peer, fields), peer, start, new JettyFields(fields));
            if (!c.answeredIfFreshHit(e)) {
                table.release();
                return false;
            }
        } catch (RuntimeException bug) {
            // nothing was answered: Jetty's way takes the request (and meets the bug again, with its own handling)
            LOG.error("a fresh hit of API {} could not be decided on the connection", route.id(), bug);
            table.release();
            return false;
        }
        inFlight.increment();
        conn.begin();
        try {
            CompletionStage<Void> ready = c.beforeWrite(e); // nothing to wait for on a fresh hit, as a rule
            if (ready == null) {
                writeHit(conn, e, c, uri.getPath());
            } else {
                ready.whenCompleteAsync((v, x) -> writeHit(conn, e, c, uri.getPath()), getServer().getThreadPool());
            }
        } catch (RuntimeException bug) {
            hitFailed(conn, e, uri.getPath(), bug);
        }
        return true;
    }

    /** An answer decided on the connection could not be written: its bookkeeping, and the connection closed. */
    private void hitFailed(HitShortcut conn, Exchange e, String rawPath, Throwable failure) {
        LOG.error("request {} of API {} failed", e.requestId(), e.apiId(), failure);
        conn.cancel(); // nothing written: ends the write begun, running what waited for it
        done(e.method(), rawPath, null, e.table(), e.route(), e.requestId(), e.startNanos(), 500, 0, null, null,
            e.peerAddress(), e.clientAddress(), failure);
        conn.abort(failure);
    }

    /** Writes the answer {@link #answerHit} decided: the bytes Jetty's generator would write for it. */
    private void writeHit(HitShortcut conn, Exchange e, CacheSteps c, String rawPath) {
        try {
            writeHitNow(conn, e, c, rawPath);
        } catch (RuntimeException bug) {
            hitFailed(conn, e, rawPath, bug);
        }
    }

    private void writeHitNow(HitShortcut conn, Exchange e, CacheSteps c, String rawPath) {
        Answer.Stored s = (Answer.Stored) e.answer();
        String outcome = c.outcome(e);
        byte[] body = s.body();
        boolean head = "HEAD".equals(e.method());
        ByteBuffer[] buffers;
        if (s.status() == 200 && s.headers() instanceof StoredFields stored && stored.unchanged() != null
            && outcome != null && e.route().shape() == null) {
            // the entry's fields written once per entry (StoredWire): the bytes of the way below
            // (storedFields, then HitWire.encode: HitWireTest), without a fields object per hit
            StoredWire.Prepared wire = storedWire.of(stored.unchanged());
            buffers = HitWire.storedHit(conn, wire.date() != null ? wire.date() : getServer().getDateField(), wire.wire(),
                stored.age(), revision(e.table()), e.requestId(), outcomeField(outcome), body, head);
        } else {
            HttpFields.Mutable out = HttpFields.build(24);
            storedFields(out, e, s, outcome, getServer().getDateField());
            // a drain that began since answerHit: this connection does not close after the answer,
            // so the answer does not say it will (the next request is Jetty's, which says so)
            out.remove(HttpHeader.CONNECTION);
            buffers = HitWire.encode(conn, s.status(), out, body, head);
        }
        String peer = e.peerAddress();
        String client = e.clientAddress();
        conn.write(Callback.from(
            () -> done(e.method(), rawPath, null, e.table(), e.route(), e.requestId(), e.startNanos(), s.status(), 0,
                null, outcome, peer, client, null),
            failure -> {
                done(e.method(), rawPath, null, e.table(), e.route(), e.requestId(), e.startNanos(), s.status(), 0,
                    null, outcome, peer, client, failure);
                conn.abort(failure);
            }), buffers);
    }

    /**
     * The side of a running canary that serves {@code request} (CONTRACT §8): its sticky key's
     * bucket, salted with the canary's revision, decides on every node alike. Chosen first, before
     * routing: each side is a whole revision (its routes, policies and upstreams). A cookie canary
     * gives a client without the cookie a random id and sets it, so the client stays on its side.
     */
    private RouteTable canarySide(RouteTable table, Request request, Response response) {
        CanaryPolicy policy = table.canary().canary().policy();
        HttpFields fields = request.getHeaders();
        String key;
        switch (policy.stickyBy()) {
            case HEADER -> {
                key = fields.get(policy.stickyName());
                if (key == null || key.isEmpty()) {
                    key = proxies.client(Request.getRemoteAddr(request), fields);
                }
            }
            case COOKIE -> {
                key = ShapeSplit.cookie(fields.getValuesList(HttpHeader.COOKIE), policy.stickyName());
                if (key == null) {
                    key = ShapeSplit.newCookieValue();
                    response.getHeaders().add(HttpHeader.SET_COOKIE,
                        policy.stickyName() + "=" + key + "; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax");
                }
            }
            default -> key = proxies.client(Request.getRemoteAddr(request), fields);
        }
        return table.side(key);
    }

    /** Answers once the steps are done; {@code failure}: what a step threw, if one did. */
    private void finish(Exchange e, CacheSteps c, Throwable failure) {
        if (failure != null) {
            LOG.error("request {} of API {} failed", e.requestId(), e.apiId(), failure);
            c.abandon(e);
            e.answer(new Answer.Rejection(500, "internal error"));
        }
        CompletionStage<Void> ready = c.beforeWrite(e);
        if (ready == null) {
            write(e, c);
        } else {
            // the cache holds the answer back (a writer waits for its invalidation), on no thread
            Request request = serverRequest(e);
            ready.whenCompleteAsync((v, x) -> write(e, c), request.getComponents().getExecutor());
        }
    }

    private void write(Exchange e, CacheSteps c) {
        Jetty j = e.get(JETTY);
        Response response = j.response;
        Answer a = e.answer();
        if (a == null) {
            a = new Answer.Rejection(500, "internal error"); // a step broke its contract
        }
        HttpFields.Mutable out = response.getHeaders();
        response.setStatus(a.status());
        String outcome = c.outcome(e);
        Callback done = completion(j.request, j.callback, e.table(), e.route(), e.requestId(), e.startNanos(), a.status(),
            e.upstreamNanos(), e.targeted() || e.upstreamNanos() > 0 ? e.upstream() : null, outcome, e.peerAddress(),
            e.clientAddress(), null);
        if (a instanceof Answer.Rejection r) {
            writeRejection(e, j, r, outcome, done);
            return;
        }
        if (a instanceof Answer.Respond r) {
            // a policy's answer without the upstream (a CORS preflight): its fields, then the response phase's, no body
            out.put(serverDate(j.request));
            r.headers().forEach(out::put);
            putResponsePhaseFields(out, e);
            stamp(out, e.table(), e.requestId(), outcome, false);
            stampShape(out, e.route(), e.shapeCookie());
            response.write(true, BufferUtil.EMPTY_BUFFER, done);
            return;
        }
        if (a instanceof Answer.Stored s) {
            storedFields(out, e, s, outcome, serverDate(j.request));
            boolean noBody = s.status() == 304 || "HEAD".equals(e.method());
            response.write(true, noBody ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(s.body()), done);
            return;
        }
        Answer.Upstream up = (Answer.Upstream) a;
        HttpFields from = ((JettyFields) up.headers()).fields();
        String[] tokens = Headers.connectionTokens(from);
        boolean dated = false;
        for (HttpField field : from) {
            if (Headers.isHopByHop(field, tokens)) {
                continue;
            }
            if (field.getHeader() == HttpHeader.DATE) {
                out.put(field); // the origin's (RFC 9110 §6.6.1)
                dated = true;
            } else if (!Headers.skipOnResponse(field)) {
                out.add(field);
            }
        }
        if (!dated) {
            out.add(serverDate(j.request)); // RFC 9110 §6.6.1: a recipient with a clock adds one
        }
        stamp(out, e.table(), e.requestId(), outcome, false);
        stampShape(out, e.route(), e.shapeCookie());
        Content.copy(((JettyBody) up.body()).source(), response, Callback.from(done::succeeded, failure -> {
            if (response.isCommitted()) {
                done.failed(failure); // part of the answer went out: the client sees it cut short
                return;
            }
            // Nothing reached the client: the upstream failed before the first byte of its body
            // (Jetty would answer 500 for a failed, uncommitted response). Answered as a failure
            // before the upstream's head is: 502, in the gateway's own format, logged with why.
            response.reset();
            writeRejection(e, j, UPSTREAM_FAILED, outcome, completion(j.request, j.callback, e.table(), e.route(),
                e.requestId(), e.startNanos(), UPSTREAM_FAILED.status(), e.upstreamNanos(), e.upstream(), outcome,
                e.peerAddress(), e.clientAddress(), failure));
        }));
    }

    private static final Answer.Rejection UPSTREAM_FAILED = new Answer.Rejection(502, "upstream failed");

    /** The fields of a stored answer {@code s}, into {@code out} (empty): its own, {@code Age}, the gateway's stamps. */
    private void storedFields(HttpFields.Mutable out, Exchange e, Answer.Stored s, String outcome, HttpField serverDate) {
        if (s.headers() instanceof StoredFields stored && stored.unchanged() != null) {
            // the hit path: the response's fields start empty (Jetty adds no Date, see
            // DataPlaneComponent) and the prepared ones hold none of the names stamped below,
            // so every field is appended: no search of the fields, no replacement object
            StoredWire.Prepared wire = storedWire.of(stored.unchanged());
            out.add(wire.date() != null ? wire.date() : serverDate);
            for (HttpField f : wire.fields()) {
                out.add(f);
            }
            if (stored.age() != null) {
                out.add(new HttpField(HttpHeader.AGE, stored.age()));
            }
            stamp(out, e.table(), e.requestId(), outcome, true);
            stampShape(out, e.route(), e.shapeCookie());
        } else {
            out.put(serverDate);
            s.headers().forEach((name, value) -> {
                if (name.equalsIgnoreCase("Date")) {
                    out.put(name, value); // the stored Date (RFC 9110 §6.6.1), which Age completes
                } else if (!Headers.skipOnResponse(name)) {
                    out.add(name, value);
                }
            });
            stamp(out, e.table(), e.requestId(), outcome, false);
            stampShape(out, e.route(), e.shapeCookie());
        }
    }

    /** Writes the gateway's own answer {@code r}: its fields, the response phase's, the gateway's stamps and a JSON body. */
    private void writeRejection(Exchange e, Jetty j, Answer.Rejection r, String outcome, Callback done) {
        HttpFields.Mutable out = j.response.getHeaders();
        j.response.setStatus(r.status());
        out.put(serverDate(j.request));
        r.headers().forEach(out::put);
        putResponsePhaseFields(out, e);
        stamp(out, e.table(), e.requestId(), outcome, false);
        stampShape(out, e.route(), e.shapeCookie());
        out.put(JSON);
        Content.Sink.write(j.response, true, ErrorBodies.json(r.message()), done);
    }

    /** A CORS preflight (Fetch §3.2.2): {@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}. */
    private static boolean preflight(Request request) {
        HttpFields h = request.getHeaders();
        return HttpMethod.OPTIONS.is(request.getMethod()) && h.contains(HttpHeader.ORIGIN)
            && h.contains("Access-Control-Request-Method");
    }

    /** The fields the response phase set on the gateway's own answer (a rejection, a policy's respond). */
    private static void putResponsePhaseFields(HttpFields.Mutable out, Exchange e) {
        Fields extra = e.rejectionFields();
        if (extra != null) {
            extra.forEach((name, value) -> {
                if (!Headers.skipOnResponse(name)) {
                    out.put(name, value);
                }
            });
        }
    }

    private void local(Request request, Response response, Callback callback, RouteTable table, Route route,
                       String requestId, long start, int status, String message) {
        response.setStatus(status);
        HttpFields.Mutable out = response.getHeaders();
        out.put(serverDate(request));
        stamp(out, table, requestId, null, false);
        stampShape(out, route, null);
        out.put(JSON);
        Content.Sink.write(response, true, ErrorBodies.json(message),
            completion(request, callback, table, route, requestId, start, status, 0, null, null, null, null, null));
    }

    /**
     * The gateway's own fields; {@code absent}: the caller knows {@code out} holds none of them, so
     * they are appended ({@code put} searches every field by name and replaces).
     */
    private void stamp(HttpFields.Mutable out, RouteTable table, String requestId, String outcome, boolean absent) {
        HttpField revision = revision(table);
        if (absent) {
            out.add(revision);
            out.add(new HttpField(REQUEST_ID, requestId));
            if (outcome != null) {
                out.add(outcomeField(outcome));
            }
        } else {
            out.put(revision);
            out.put(REQUEST_ID, requestId);
            if (outcome != null) {
                out.put(outcomeField(outcome));
            }
        }
        if (draining) {
            out.put(CLOSE);
        }
    }

    /** {@code X-Meridian-Revision} of {@code table}, encoded once per table. */
    private HttpField revision(RouteTable table) {
        RevisionField r = revisionField;
        if (r.table != table) {
            r = new RevisionField(table, new PreEncodedHttpField(REVISION, Long.toString(table.revision())));
            revisionField = r;
        }
        return r.field;
    }

    /**
     * {@code X-Meridian-Shape} on every answer of an API with a split ({@code main} or the shape's
     * name; none on other APIs: nothing to tell, and nothing added to their path), and the
     * {@code Set-Cookie} of a cookie split that gave the client its id.
     */
    private static void stampShape(HttpFields.Mutable out, Route route, String setCookie) {
        if (route != null && route.shape() != null) {
            out.put(SHAPE, route.shape());
            if (setCookie != null) {
                out.add(HttpHeader.SET_COOKIE, setCookie);
            }
        }
    }

    /**
     * Jetty's {@code Date} field of the current second (made once a second). The server adds none
     * itself ({@code sendDateHeader} off): each answer adds exactly one, its own or this one.
     */
    static HttpField serverDate(Request request) {
        return request.getConnectionMetaData().getConnector().getServer().getDateField();
    }

    private static final HttpField HIT = new PreEncodedHttpField(X_CACHE, "HIT");
    private static final HttpField MISS = new PreEncodedHttpField(X_CACHE, "MISS");
    private static final HttpField STALE = new PreEncodedHttpField(X_CACHE, "STALE");
    private static final HttpField BYPASS = new PreEncodedHttpField(X_CACHE, "BYPASS");

    /** The series' cache outcome of an {@code X-Cache} value (null: the route has no cache). */
    private static CacheOutcome cacheOutcome(String outcome) {
        if (outcome == null) {
            return CacheOutcome.NONE;
        }
        return switch (outcome) {
            case "HIT" -> CacheOutcome.HIT;
            case "MISS" -> CacheOutcome.MISS;
            case "STALE" -> CacheOutcome.STALE;
            case "BYPASS" -> CacheOutcome.BYPASS;
            default -> CacheOutcome.NONE;
        };
    }

    private static HttpField outcomeField(String outcome) {
        return switch (outcome) {
            case "HIT" -> HIT;
            case "MISS" -> MISS;
            case "STALE" -> STALE;
            case "BYPASS" -> BYPASS;
            default -> new HttpField(X_CACHE, outcome);
        };
    }

    /**
     * Bookkeeping once the response is written: metrics, access log, release of the table.
     * {@code peer} and {@code client}: the exchange's addresses (null before there is one: then
     * worked out again for the log line); {@code answered}: why the answer sent is not the one
     * planned (for the access log), or null.
     */
    private Callback completion(Request request, Callback callback, RouteTable table, Route route, String requestId,
                                long start, int status, long upstreamNanos, Upstream upstream, String cacheOutcome,
                                String peer, String client, Throwable answered) {
        return Callback.from(() -> {
            done(request.getMethod(), request.getHttpURI().getPath(), request, table, route, requestId, start, status,
                upstreamNanos, upstream, cacheOutcome, peer, client, answered);
            callback.succeeded();
        }, failure -> {
            done(request.getMethod(), request.getHttpURI().getPath(), request, table, route, requestId, start, status,
                upstreamNanos, upstream, cacheOutcome, peer, client, failure);
            // Jetty may hand a failed request to the error handler (JsonErrorHandler), which logs
            // the requests this handler never saw: this one has its line already
            request.setAttribute(JsonErrorHandler.LOGGED, Boolean.TRUE);
            callback.failed(failure);
        });
    }

    /**
     * {@code method} and {@code rawPath}: the request's, as the client sent them; {@code request}:
     * Jetty's, when there is one (the addresses are worked out from it when {@code peer} is null).
     */
    private void done(String method, String rawPath, Request request, RouteTable table, Route route, String requestId,
                      long start, int status, long upstreamNanos, Upstream upstream, String cacheOutcome, String peer,
                      String client, Throwable failure) {
        long total = System.nanoTime() - start;
        table.release();
        CanaryMeter.Side meter = table.meter();
        if (meter != null) {
            meter.record(status, total, start + total);
        }
        inFlight.decrement();
        if (route != null) {
            route.metrics().record(status, total, cacheOutcome(cacheOutcome));
        }
        if (accessLog != null) {
            LogLine line = accessLog.line();
            // method and path as the client sent them, escaped (LogLine.text: no forged field or line)
            accessLog.timestamp(line, System.currentTimeMillis()).raw(" api=").text(route == null ? "-" : route.id());
            if (route != null && route.shape() != null) {
                line.raw(" shape=").text(route.shape());
            }
            line.raw(" rev=").number(table.revision())
                .raw(" method=").text(method)
                .raw(" path=\"").text(rawPath)
                .raw("\" status=").number(status)
                .raw(" upstream_ms=").millis(upstreamNanos)
                .raw(" total_ms=").millis(total)
                .raw(" request_id=").text(requestId);
            // the client the trusted proxies imply, and the peer beside it when that is a proxy (the
            // exchange's, else worked out here: formatting the peer's address is not free)
            if (peer == null) {
                peer = Request.getRemoteAddr(request);
                client = proxies.client(peer, request.getHeaders());
            }
            line.raw(" client=").text(client);
            if (!client.equals(peer)) {
                line.raw(" peer=").text(peer);
            }
            // the upstream that answered last (X-Meridian-Upstream): the target of an upstream with
            // targets, else the upstream's URL, as the definition shows it (a secret stays a
            // reference); "-" when none was called (a cache hit, a policy's answer)
            line.raw(" upstream=").text(upstream == null ? "-" : upstream.shown());
            if (failure != null) {
                // a failure's text may name the upstream's resolved address (a secret's value): redacted
                String text = failure.toString();
                line.raw(" error=\"").text(route == null ? text : route.redact(text)).raw('"');
            }
            accessLog.log(line);
        }
    }

    /** The client's {@code X-Request-Id} when sane, else 32 random hex digits. */
    static String requestId(HttpFields headers) {
        String given = headers.get(REQUEST_ID);
        if (given != null && !given.isEmpty() && given.length() <= 200 && printable(given)) {
            return given;
        }
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        byte[] id = new byte[32]; // bytes, not chars: a Latin-1 string is made of them without compressing
        long a = rnd.nextLong();
        long b = rnd.nextLong();
        for (int i = 0; i < 16; i++) {
            id[i] = (byte) HEX[(int) (a >>> (i * 4)) & 0xf];
            id[16 + i] = (byte) HEX[(int) (b >>> (i * 4)) & 0xf];
        }
        return new String(id, java.nio.charset.StandardCharsets.ISO_8859_1);
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
