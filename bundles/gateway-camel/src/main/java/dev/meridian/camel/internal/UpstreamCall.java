package dev.meridian.camel.internal;

import java.net.ConnectException;
import java.util.List;
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

import dev.meridian.cache.CachedResponse;
import dev.meridian.cache.Fill;
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
    private static final String FLIGHT = "meridian.flight";
    private static final HttpHeader[] CONDITIONS = {HttpHeader.IF_NONE_MATCH, HttpHeader.IF_MODIFIED_SINCE,
        HttpHeader.IF_MATCH, HttpHeader.IF_UNMODIFIED_SINCE, HttpHeader.IF_RANGE, HttpHeader.RANGE};

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
        org.eclipse.jetty.client.Request up = request(f, f.method());
        Request in = f.request;
        if (hasBody(in)) {
            up.body(new LimitedContent(in, MAX_BODY));
        }
        up.attribute(FLIGHT, f); // for interim responses (103 Early Hints), forwarded to this flight's client
        Listener listener = new Listener(f, callback, System.nanoTime());
        listener.timeout = client.getScheduler().schedule(() -> up.abort(new UpstreamTimeout()),
            u.timeout().toMillis(), TimeUnit.MILLISECONDS);
        up.onResponseContentSource(listener);
        up.send(listener);
        return false;
    }

    /** The upstream request of a flight: target, method and the request fields as a proxy forwards them. */
    private org.eclipse.jetty.client.Request request(Flight f, String method) {
        Upstream u = f.route.api().upstream();
        HttpFields from = f.effectiveRequestHeaders();
        return client.newRequest(u.host(), u.port())
            .scheme(u.scheme())
            .tag(u) // one connection pool per upstream configuration, sized by its pool.maxConnections
            .method(method)
            .path(targetPath(u.path(), f.route.basePath(), f.path, f.query))
            .headers(h -> copyRequestHeaders(f, from, h));
    }

    /**
     * Refreshes a stale entry without a client waiting (RFC 5861 stale-while-revalidate): the
     * flight's GET as the request phase left it, conditional on the entry's validators when it
     * has some; the answer (or the 304 merged into the entry) is stored through {@code fill}, which
     * is released when nothing can be stored. Bounded by the upstream's timeout and the cache's
     * largest body.
     */
    void refresh(Flight f, Fill fill) {
        org.eclipse.jetty.client.Request up = request(f, "GET");
        CachedResponse stored = fill.revalidating();
        up.headers(h -> {
            // the cache's own request: the client's preconditions are not its own
            for (HttpHeader condition : CONDITIONS) {
                h.remove(condition);
            }
            if (stored != null && stored.etag() != null) {
                h.put(HttpHeader.IF_NONE_MATCH, stored.etag());
            }
            if (stored != null && stored.lastModified() != null) {
                h.put(HttpHeader.IF_MODIFIED_SINCE, stored.lastModified());
            }
        });
        int max = (int) Math.min(Integer.MAX_VALUE - 8, f.cache == null ? 1 << 20 : f.cache.maxBody());
        up.timeout(f.route.api().upstream().timeout().toMillis(), TimeUnit.MILLISECONDS)
            .send(new org.eclipse.jetty.client.BufferingResponseListener(max) {
                @Override
                public void onComplete(Result result) {
                    try {
                        if (result.isFailed()) {
                            fill.release();
                            return;
                        }
                        Response r = result.getResponse();
                        List<Map.Entry<String, String>> fields = CacheStep.fieldList(r.getHeaders());
                        if (r.getStatus() == 304 && stored != null) {
                            fill.notModified(fields);
                        } else if (fill.refusal("GET", r.getStatus(), CacheStep.view(r.getHeaders())) == null) {
                            fill.store(r.getStatus(), fields, getContent());
                        } else {
                            fill.release();
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("background refresh of API {} failed", f.route.id(), e);
                        fill.release();
                    }
                }
            });
    }

    /**
     * Forwards interim {@code 103 Early Hints} from the upstream to the flight's client (RFC 9110
     * §15.2: a proxy forwards 1xx responses), never to the cache. Registered on the client in
     * place of Jetty's handler, which drops them.
     */
    static org.eclipse.jetty.client.ProtocolHandler earlyHints() {
        return new org.eclipse.jetty.client.EarlyHintsProtocolHandler() {
            @Override
            protected void onEarlyHints(org.eclipse.jetty.client.Request request, HttpFields headers) {
                if (!(request.getAttributes().get(FLIGHT) instanceof Flight f)
                    || f.request.getConnectionMetaData().getHttpVersion() != org.eclipse.jetty.http.HttpVersion.HTTP_1_1) {
                    return; // HTTP/1.0 clients get no interim responses (RFC 9110 §15.2)
                }
                HttpFields.Mutable hints = HttpFields.build();
                String[] tokens = Headers.connectionTokens(headers);
                for (HttpField field : headers) {
                    if (!Headers.isHopByHop(field, tokens) && field.getHeader() != HttpHeader.CONTENT_LENGTH) {
                        hints.add(field);
                    }
                }
                f.response.writeInterim(103, hints.asImmutable());
            }
        };
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
