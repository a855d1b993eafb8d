package dev.meridian.camel.internal;

import java.net.ConnectException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.eclipse.jetty.client.ContentSourceRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.model.Upstream;
import dev.meridian.policy.api.Decision;

/**
 * The upstream call: Jetty 12's async client, pooled keep-alive connections, request body
 * streamed from the client connection, response body handed on as a {@link Content.Source} so
 * the handler streams it back with back-pressure. No thread waits for the upstream.
 */
final class UpstreamCall extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamCall.class);

    static final long MAX_BODY = 10L * 1024 * 1024;

    private final HttpClient client;

    UpstreamCall(HttpClient client) {
        this.client = client;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Flight f = (Flight) exchange.getIn().getBody();
        if (f.rejection != null || f.cached != null) {
            callback.done(true);
            return true;
        }
        Upstream u = f.route.api().upstream();
        org.eclipse.jetty.client.Request up = client.newRequest(u.host(), u.port())
            .scheme(u.scheme())
            .tag(u) // one connection pool per upstream configuration, sized by its pool.maxConnections
            .method(f.method())
            .path(targetPath(u.path(), f.route.basePath(), f.path, f.query));
        Request in = f.request;
        HttpFields from = f.effectiveRequestHeaders();
        up.headers(h -> copyRequestHeaders(f, from, h));
        if (hasBody(in)) {
            up.body(new LimitedContent(in, MAX_BODY));
        }
        Listener listener = new Listener(f, callback, System.nanoTime());
        listener.timeout = client.getScheduler().schedule(() -> up.abort(new UpstreamTimeout()),
            u.timeout().toMillis(), TimeUnit.MILLISECONDS);
        up.onResponseContentSource(listener);
        up.send(listener);
        return false;
    }

    /** The upstream path: the upstream URL's path, then what follows the basePath, joined by exactly one slash. */
    static String targetPath(String upstreamPath, String basePath, String path, String query) {
        String rest = basePath.equals("/") ? path : path.substring(basePath.length());
        String joined;
        if (rest.isEmpty()) {
            joined = upstreamPath.isEmpty() ? "/" : upstreamPath;
        } else if (rest.equals("/") && !upstreamPath.isEmpty()) {
            joined = upstreamPath + "/";
        } else {
            joined = upstreamPath + rest;
        }
        return query == null ? joined : joined + "?" + query;
    }

    private static boolean hasBody(Request in) {
        return in.getLength() > 0 || in.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    private static void copyRequestHeaders(Flight f, HttpFields from, HttpFields.Mutable to) {
        String[] tokens = Headers.connectionTokens(from);
        String forwardedFor = null;
        for (HttpField field : from) {
            if (Headers.isHopByHop(field, tokens) || Headers.skipOnRequest(field)) {
                continue;
            }
            if (field.getHeader() == HttpHeader.X_FORWARDED_FOR) {
                forwardedFor = forwardedFor == null ? field.getValue() : forwardedFor + ", " + field.getValue();
                continue;
            }
            if (field.is("X-Request-Id")) {
                continue;
            }
            to.add(field);
        }
        String client = Request.getRemoteAddr(f.request);
        to.put(HttpHeader.X_FORWARDED_FOR, forwardedFor == null ? client : forwardedFor + ", " + client);
        to.put(HttpHeader.X_FORWARDED_PROTO, f.request.isSecure() ? "https" : "http");
        String host = f.request.getHeaders().get(HttpHeader.HOST);
        if (host != null) {
            to.put(HttpHeader.X_FORWARDED_HOST, host);
        }
        to.put("X-Request-Id", f.requestId);
    }

    /** Thrown into an upstream exchange that passed its timeout before the response headers. */
    static final class UpstreamTimeout extends TimeoutException {
        private static final long serialVersionUID = 1L;

        UpstreamTimeout() {
            super("upstream timed out");
        }
    }

    /** The client body was larger than allowed. */
    static final class BodyTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BodyTooLarge() {
            super("request body too large", null, false, false);
        }
    }

    /** Streams the client's body to the upstream, failing once more than {@code limit} bytes arrived. */
    private static final class LimitedContent extends ContentSourceRequestContent {
        private final long limit;
        private long seen;

        LimitedContent(Request source, long limit) {
            super(source, source.getHeaders().get(HttpHeader.CONTENT_TYPE));
            this.limit = limit;
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = super.read();
            if (chunk != null && chunk.hasRemaining()) {
                seen += chunk.remaining();
                if (seen > limit) {
                    chunk.release();
                    BodyTooLarge tooLarge = new BodyTooLarge();
                    super.fail(tooLarge);
                    return Content.Chunk.from(tooLarge, true);
                }
            }
            return chunk;
        }
    }

    /**
     * Receives the upstream's answer. Exactly one of "headers arrived" and "failed before
     * headers" resumes the exchange (guarded by this AtomicBoolean).
     */
    private static final class Listener extends AtomicBoolean implements Response.ContentSourceListener, Response.CompleteListener {
        private static final long serialVersionUID = 1L;

        private final transient Flight flight;
        private final transient AsyncCallback callback;
        private final long sentNanos;
        transient Scheduler.Task timeout;

        Listener(Flight flight, AsyncCallback callback, long sentNanos) {
            this.flight = flight;
            this.callback = callback;
            this.sentNanos = sentNanos;
        }

        @Override
        public void onContentSource(Response response, Content.Source source) {
            if (!compareAndSet(false, true)) {
                source.fail(new IllegalStateException("exchange already answered"));
                return;
            }
            timeout.cancel();
            flight.upstreamNanos = System.nanoTime() - sentNanos;
            flight.status = response.getStatus();
            flight.upstreamHeaders = response.getHeaders();
            flight.upstreamBody = source;
            callback.done(false);
        }

        @Override
        public void onComplete(Result result) {
            if (!result.isFailed() || !compareAndSet(false, true)) {
                return;
            }
            timeout.cancel();
            flight.upstreamNanos = System.nanoTime() - sentNanos;
            Throwable failure = result.getFailure();
            Throwable cause = rootOf(failure);
            Decision.Reject answer;
            if (cause instanceof UpstreamTimeout || cause instanceof TimeoutException) {
                answer = new Decision.Reject(504, "upstream timed out", Map.of());
            } else if (cause instanceof BodyTooLarge) {
                answer = new Decision.Reject(413, "request body larger than 10 MiB", Map.of());
            } else if (cause instanceof ConnectException) {
                answer = new Decision.Reject(502, "upstream refused the connection", Map.of());
            } else {
                answer = new Decision.Reject(502, "upstream failed", Map.of());
                LOG.debug("upstream call of API {} failed (request {})", flight.route.id(), flight.requestId, failure);
            }
            flight.reject(answer);
            callback.done(false);
        }

        private static Throwable rootOf(Throwable t) {
            Throwable c = t;
            for (int i = 0; i < 8 && c.getCause() != null && c.getCause() != c; i++) {
                if (c instanceof UpstreamTimeout || c instanceof BodyTooLarge) {
                    return c;
                }
                c = c.getCause();
            }
            return c;
        }
    }
}
