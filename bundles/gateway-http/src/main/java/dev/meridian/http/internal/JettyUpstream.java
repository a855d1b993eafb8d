package dev.meridian.http.internal;

import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.net.ssl.SSLException;

import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.ContentSourceRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Route;
import dev.meridian.core.flow.Answer;
import dev.meridian.core.flow.Exchange;
import dev.meridian.core.flow.Step;
import dev.meridian.core.flow.UpstreamClient;
import dev.meridian.model.Upstream;

/**
 * The upstream call over Jetty 12's async client: pooled keep-alive connections, the client's
 * body received whole first, in memory or spooled to disk ({@link BodyReader}; streamed to the
 * upstream with {@code MERIDIAN_REQUEST_BUFFERING=off}); the upstream's handed on as a {@link JettyBody} so the handler
 * streams it back with back-pressure. No thread waits for the upstream.
 */
final class JettyUpstream implements UpstreamClient {

    private static final Logger LOG = LoggerFactory.getLogger(JettyUpstream.class);
    /** At most one upstream-TLS warning per second: a misconfigured upstream under load must not flood the log. */
    private static final RateLimitedLog TLS_LOG = new RateLimitedLog(LOG, 1_000);

    static final long MAX_BODY = 10L * 1024 * 1024;
    private static final String EXCHANGE = "meridian.exchange";
    private static final Map<String, String> CLOSE = Map.of("Connection", "close");
    private static final HttpHeader[] CONDITIONS = {HttpHeader.IF_NONE_MATCH, HttpHeader.IF_MODIFIED_SINCE,
        HttpHeader.IF_MATCH, HttpHeader.IF_UNMODIFIED_SINCE, HttpHeader.IF_RANGE, HttpHeader.RANGE};

    private final HttpClient client;
    private final Executor executor;
    /** Bodiless idempotent requests to plain-http upstreams; null = every request through Jetty's client. */
    private final Http1Upstream lean;
    private volatile HttpField forwardedPort;
    private final Step call = this::send;
    /** The TLS contexts of {@code https} upstreams with a {@code tls} setting (checked before a request goes out). */
    private final UpstreamTlsContexts tls;
    /** Where request bodies are received whole before the upstream call; null = streamed ({@code MERIDIAN_REQUEST_BUFFERING=off}). */
    private final BodyStore bodies;

    /** The node's trusted proxies: whose {@code X-Forwarded-For} chain is passed on. */
    private final TrustedProxies proxies;
    /** Upstreams of several targets (CONTRACT §8); null in tests that have none. */
    private volatile Targets targets;
    /** The body sent to a target, kept for a retry on another (set only for upstreams with targets). */
    private static final Exchange.Slot<org.eclipse.jetty.client.Request.Content> SENT_BODY = new Exchange.Slot<>("sent-body");

    /** An upstream client for a node that trusts no proxy. */
    JettyUpstream(HttpClient client, Executor executor, boolean lean, UpstreamTlsContexts tls, BodyStore bodies) {
        this(client, executor, lean, tls, bodies, TrustedProxies.NONE);
    }

    /** @param bodies where request bodies are kept until they arrived whole; null streams them to the upstream */
    JettyUpstream(HttpClient client, Executor executor, boolean lean, UpstreamTlsContexts tls, BodyStore bodies,
                  TrustedProxies proxies) {
        this.proxies = proxies;
        this.bodies = bodies;
        this.client = client;
        this.executor = executor;
        this.lean = lean ? new Http1Upstream(client, executor) : null;
        this.tls = tls;
    }

    /** Sets where upstreams with targets find their groups (the data plane's, once). */
    void targets(Targets targets) {
        this.targets = targets;
    }

    /** The connections of Meridian's own HTTP/1.1 client, or null when it is off. */
    Http1Upstream lean() {
        return lean;
    }

    @Override
    public Step call() {
        return call;
    }

    private boolean send(Exchange e, Step.Next next) {
        if (e.answered()) {
            return true;
        }
        if (!client.isRunning()) {
            // the node is stopping (or the warm-up outlived the client): answered at once; Jetty's
            // scheduler would refuse the timeout task with an exception, our own pool never answer
            e.answer(new Answer.Rejection(503, ClientStopped.MESSAGE));
            return true;
        }
        Upstream u = e.upstream();
        if (u.hasTargets()) {
            // an upstream of several targets (CONTRACT §8): TargetCall picks one (setting
            // e.upstream()) and comes back here; a single url pays this one test and no more
            Targets t = targets;
            if (t == null) {
                e.answer(new Answer.Rejection(503, TargetCall.NONE_AVAILABLE));
                return true;
            }
            return TargetCall.start(this, t, e, next);
        }
        Request in = GatewayHandler.serverRequest(e);
        if (lean != null && Http1Upstream.accepts(u, e.method(), in)) {
            HttpFields from = ((JettyFields) e.requestFields()).fields();
            HttpFields.Mutable fields = HttpFields.build(from.size() + 4);
            copyRequestHeaders(e, in, from, fields);
            String target = targetPath(u.path(), e.route().basePath(), e.path(), e.upstreamQuery());
            try {
                lean.send(e, next, target, fields);
            } catch (IllegalArgumentException invalid) {
                e.answer(new Answer.Rejection(400, invalid.getMessage()));
                return true;
            }
            return false;
        }
        String unusable = unusableTls(u);
        if (unusable != null) {
            e.answer(new Answer.Rejection(502, unusable));
            return true;
        }
        if (!hasBody(in)) {
            forward(e, next, null);
            return false;
        }
        // the body's clock starts now, not at its head: a policy that held the request is not the client's fault
        GuardedConnection.bodyReadStarts(in);
        if (bodies != null) {
            receiveWhole(e, next, in);
            return false;
        }
        forward(e, next, new LimitedContent(in, MAX_BODY));
        return false;
    }

    /** {@link TargetCall}'s way in once it chose a target: the usual path; true when answered at once. */
    boolean sendTargeted(Exchange e, Step.Next next) {
        return send(e, next);
    }

    /** Whether the exchange's request can be sent again: no body, or one kept whole in memory. */
    boolean canResend(Exchange e) {
        org.eclipse.jetty.client.Request.Content body = e.get(SENT_BODY);
        return body == null ? !hasBody(GatewayHandler.serverRequest(e))
            : body instanceof org.eclipse.jetty.client.ByteBufferRequestContent; // in memory: rewinds
    }

    /** Sends the exchange's request again (to the target now chosen); {@code next} runs once it is answered. */
    void resend(Exchange e, Step.Next next) {
        org.eclipse.jetty.client.Request.Content body = e.get(SENT_BODY);
        if (body == null) {
            if (send(e, next)) {
                next.run();
            }
        } else if (body.rewind()) {
            forward(e, next, body);
        } else {
            e.answer(new Answer.Rejection(502, "upstream failed"));
            next.run();
        }
    }

    /**
     * Receives the client's body whole (memory or spool, {@link BodyReader}) before the upstream
     * is asked for anything: a client trickling its body holds no upstream connection, and the
     * upstream never sees a request whose body does not arrive (the sweeper closes the client's
     * connection; the read then fails: 400 to a closed connection, which completes the request).
     * What the body holds is freed when the exchange ends, however it ends.
     */
    private void receiveWhole(Exchange e, Step.Next next, Request in) {
        BodyReader reader = new BodyReader(in, in.getLength(), in.getHeaders().get(HttpHeader.CONTENT_TYPE), bodies,
            in.getComponents().getExecutor(), new BodyReader.Outcome() {
                @Override
                public void kept(org.eclipse.jetty.client.Request.Content body) {
                    forward(e, next, body);
                }

                @Override
                public void refused(int status, String message) {
                    // 413 and 503 leave the rest of the body unread: the connection cannot carry another request
                    e.answer(status == 400 ? new Answer.Rejection(status, message)
                        : new Answer.Rejection(status, message, CLOSE));
                    next.run();
                }
            });
        Request.addCompletionListener(in, failure -> reader.release());
        reader.start();
    }

    /** Sends the exchange's request through Jetty's client, with {@code body} (null: none). */
    private void forward(Exchange e, Step.Next next, org.eclipse.jetty.client.Request.Content body) {
        Upstream u = e.upstream();
        org.eclipse.jetty.client.Request up = request(e, e.method(), u);
        if (body != null) {
            up.body(body);
            if (e.targeted()) {
                e.put(SENT_BODY, body);
            }
        }
        up.attribute(EXCHANGE, e); // for interim responses (103 Early Hints), forwarded to this exchange's client
        Listener listener = new Listener(e, next, System.nanoTime(), executor);
        try {
            listener.timeout = client.getScheduler().schedule(() -> up.abort(new UpstreamTimeout()),
                u.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException stopped) {
            // the client stopped since send looked (its scheduler refuses tasks): answered, not thrown
            e.answer(new Answer.Rejection(503, ClientStopped.MESSAGE));
            next.run();
            return;
        }
        up.onResponseContentSource(listener);
        up.send(listener);
    }

    /** The upstream request of an exchange: target, method and the request fields as a proxy forwards them. */
    private org.eclipse.jetty.client.Request request(Exchange e, String method, Upstream u) {
        HttpFields from = ((JettyFields) e.requestFields()).fields();
        Request in = GatewayHandler.serverRequest(e);
        return client.newRequest(u.host(), u.port())
            .scheme(u.scheme())
            .tag(u) // one connection pool per upstream configuration, sized by its pool.maxConnections
            .method(method)
            .path(targetPath(u.path(), e.route().basePath(), e.path(), e.upstreamQuery()))
            .headers(h -> copyRequestHeaders(e, in, from, h));
    }

    @Override
    public CompletionStage<Fetched> fetch(Exchange e, Map<String, String> conditions, int maxBody) {
        CompletableFuture<Fetched> out = new CompletableFuture<>();
        Upstream u = e.upstream();
        if (u.hasTargets()) {
            // a background refresh goes to a target the balancer picks, uncounted (no client waits)
            Targets t = targets;
            TargetGroup.Member m = t == null ? null : t.group(e.route()).choose(e, 0, System.nanoTime());
            if (m == null) {
                out.completeExceptionally(new java.io.IOException(TargetCall.NONE_AVAILABLE));
                return out;
            }
            u = m.upstream();
        }
        String unusable = unusableTls(u);
        if (unusable != null) {
            out.completeExceptionally(new SSLException(unusable));
            return out;
        }
        org.eclipse.jetty.client.Request up = request(e, "GET", u).headers(h -> {
            // the cache's own request: the client's preconditions are not its own
            for (HttpHeader condition : CONDITIONS) {
                h.remove(condition);
            }
            conditions.forEach(h::put);
        });
        up.timeout(e.timeoutMillis(), TimeUnit.MILLISECONDS).send(new BufferingResponseListener(maxBody) {
            @Override
            public void onComplete(Result result) {
                if (result.isFailed()) {
                    out.completeExceptionally(result.getFailure());
                    return;
                }
                Response r = result.getResponse();
                List<Map.Entry<String, String>> fields = new ArrayList<>(r.getHeaders().size());
                for (HttpField f : r.getHeaders()) {
                    fields.add(Map.entry(f.getName(), f.getValue()));
                }
                out.complete(new Fetched(r.getStatus(), fields, getContent()));
            }
        });
        return out;
    }

    /**
     * Null when the upstream's TLS setting (if any) loads, else why not: answered 502 before a
     * connection is tried. A map look-up once the setting has loaded; its PEM files are read
     * again while they fail (the first request after a fix succeeds).
     */
    private String unusableTls(Upstream u) {
        if (u.tls().isNone()) {
            return null;
        }
        try {
            tls.of(u.tls());
            return null;
        } catch (UpstreamTlsContexts.Unusable failure) {
            TLS_LOG.warn(failure.getMessage() + " (upstream " + u.shown() + ")");
            return failure.getMessage();
        }
    }

    /**
     * Forwards interim {@code 103 Early Hints} from the upstream to the exchange's client (RFC 9110
     * §15.2: a proxy forwards 1xx responses), never to the cache. Registered on the client in
     * place of Jetty's handler, which drops them.
     */
    static org.eclipse.jetty.client.ProtocolHandler earlyHints() {
        return new org.eclipse.jetty.client.EarlyHintsProtocolHandler() {
            @Override
            protected void onEarlyHints(org.eclipse.jetty.client.Request request, HttpFields headers) {
                if (request.getAttributes().get(EXCHANGE) instanceof Exchange e) {
                    forwardEarlyHints(e, headers);
                }
            }
        };
    }

    /** Writes an upstream's {@code 103} to the exchange's client, hop-by-hop fields dropped. */
    static void forwardEarlyHints(Exchange e, HttpFields headers) {
        Request in = GatewayHandler.serverRequest(e);
        if (in.getConnectionMetaData().getHttpVersion() != org.eclipse.jetty.http.HttpVersion.HTTP_1_1) {
            return; // HTTP/1.0 clients get no interim responses (RFC 9110 §15.2)
        }
        HttpFields.Mutable hints = HttpFields.build();
        String[] tokens = Headers.connectionTokens(headers);
        for (HttpField field : headers) {
            if (!Headers.isHopByHop(field, tokens) && field.getHeader() != HttpHeader.CONTENT_LENGTH) {
                hints.add(field);
            }
        }
        GatewayHandler.serverResponse(e).writeInterim(103, hints.asImmutable());
    }

    /** The gateway's answer for an upstream call that failed before its answer's head. */
    static Answer.Rejection rejectionFor(Throwable failure, Exchange exchange) {
        Throwable cause = rootOf(failure);
        if (cause instanceof UpstreamTimeout || cause instanceof TimeoutException) {
            return new Answer.Rejection(504, "upstream timed out");
        }
        if (cause instanceof ClientStopped) {
            return new Answer.Rejection(503, ClientStopped.MESSAGE);
        }
        if (cause instanceof BodyTooLarge) {
            return new Answer.Rejection(413, "request body larger than 10 MiB");
        }
        if (cause instanceof ClientBodyFailed || cause instanceof BadMessageException bad && bad.getCode() == 400) {
            // the client's body broke its framing (a bare LF in the chunked coding, say) or was cut short
            return new Answer.Rejection(400, "malformed or incomplete request body");
        }
        if (cause instanceof ConnectException) {
            return new Answer.Rejection(502, "upstream refused the connection");
        }
        SSLException ssl = sslIn(failure);
        if (ssl != null) {
            // the JDK's messages may name the host, which may be a secret's value: redacted for the answer and the log
            Route route = exchange.route();
            String reason = route.redact(tlsReason(ssl));
            TLS_LOG.warn("upstream TLS of API " + exchange.apiId() + " failed: " + reason + " (" + route.redact(ssl.getMessage()) + ")");
            return new Answer.Rejection(502, "upstream TLS failed: " + reason);
        }
        if ("https".equals(exchange.upstream().scheme())) {
            // a TLS 1.3 upstream that refuses the client certificate says so after the handshake,
            // which reaches here as a closed connection, not as an SSLException: say what it was
            TLS_LOG.warn("upstream call of API " + exchange.apiId() + " over TLS failed: " + exchange.route().redact(String.valueOf(cause)));
            // EOF when the refusal arrives before the request is written, a closed channel when
            // the request's write races it (both seen in CI on the same test)
            if (cause instanceof java.io.EOFException || cause instanceof java.nio.channels.ClosedChannelException) {
                return new Answer.Rejection(502, "upstream closed the TLS connection without answering "
                    + "(as one that requires a client certificate does: upstream.tls.cert/key)");
            }
        }
        if (LOG.isDebugEnabled()) {
            // the failure's text, not its stack trace: its messages may quote the upstream's resolved address
            LOG.debug("upstream call of API {} failed (request {}): {}", exchange.apiId(), exchange.requestId(),
                exchange.route().redact(String.valueOf(failure)));
        }
        return new Answer.Rejection(502, "upstream failed");
    }

    /** A short reason for an upstream handshake failure, for the answer (the log has the JDK's message too). */
    static String tlsReason(Throwable ssl) {
        String m = String.valueOf(ssl.getMessage());
        if (m.contains("PKIX") || m.contains("unable to find valid certification path")) {
            return "the upstream's certificate is not trusted (add its CA as upstream.tls.ca)";
        }
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
            return "the upstream's certificate does not name its host";
        }
        if (m.contains("certificate_required") || m.contains("bad_certificate")) {
            return "the upstream refused the gateway's client certificate (upstream.tls.cert)";
        }
        return m;
    }

    /** The first TLS failure in a cause chain (the root is often the certificate path's own exception), or null. */
    private static SSLException sslIn(Throwable t) {
        Throwable c = t;
        for (int i = 0; i < 8 && c != null; i++) {
            if (c instanceof SSLException ssl) {
                return ssl;
            }
            c = c.getCause() == c ? null : c.getCause();
        }
        return null;
    }

    private static Throwable rootOf(Throwable t) {
        Throwable c = t;
        for (int i = 0; i < 8 && c.getCause() != null && c.getCause() != c; i++) {
            if (c instanceof UpstreamTimeout || c instanceof BodyTooLarge || c instanceof ClientBodyFailed
                || c instanceof BadMessageException) {
                return c;
            }
            c = c.getCause();
        }
        return c;
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

    static boolean hasBody(Request in) {
        return in.getLength() > 0 || in.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /**
     * The client's fields as a proxy forwards them, then the gateway's own {@code X-Forwarded-*}.
     * {@code X-Forwarded-For} is the chain a trusted proxy sent with that proxy appended
     * (CONTRACT §8); from any other peer, the peer alone: what it says about earlier hops is not
     * believed, and never reaches the upstream.
     */
    private void copyRequestHeaders(Exchange e, Request in, HttpFields from, HttpFields.Mutable to) {
        String[] tokens = Headers.connectionTokens(from);
        for (HttpField field : from) {
            if (Headers.isHopByHop(field, tokens) || Headers.skipOnRequest(field) || field.is(GatewayHandler.REQUEST_ID)) {
                continue;
            }
            to.add(field);
        }
        to.put(HttpHeader.X_FORWARDED_FOR, proxies.forwardedFor(e.peerAddress(), in.getHeaders()));
        to.put(HttpHeader.X_FORWARDED_PROTO, in.isSecure() ? "https" : "http");
        String host = in.getHeaders().get(HttpHeader.HOST);
        if (host != null) {
            to.put(HttpHeader.X_FORWARDED_HOST, host);
        }
        to.put(forwardedPort(Request.getLocalPort(in)));
        to.put(GatewayHandler.REQUEST_ID, e.requestId());
    }

    /** {@code X-Forwarded-Port}, encoded once: the traffic port's number does not change per request. */
    private HttpField forwardedPort(int port) {
        HttpField f = forwardedPort;
        if (f == null || f.getIntValue() != port) {
            f = new PreEncodedHttpField(HttpHeader.X_FORWARDED_PORT, Integer.toString(port));
            forwardedPort = f; // a benign race: any thread's value for the same port is as good
        }
        return f;
    }

    /** Thrown into an upstream exchange that passed its timeout before the response headers. */
    static final class UpstreamTimeout extends TimeoutException {
        private static final long serialVersionUID = 1L;

        UpstreamTimeout() {
            super("upstream timed out");
        }
    }

    /** The upstream client stopped (the node is stopping) before the call had its answer: 503. */
    static final class ClientStopped extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final String MESSAGE = "upstream client stopped";

        ClientStopped() {
            super(MESSAGE, null, false, false);
        }
    }

    /** Reading the client's body failed: it was malformed or its connection went away. */
    static final class ClientBodyFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClientBodyFailed(Throwable cause) {
            super("the client's request body failed", cause, false, false);
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
            if (Content.Chunk.isFailure(chunk) && !(chunk.getFailure() instanceof ClientBodyFailed)) {
                // the client's body failed (its framing broke, its connection closed): the client's
                // fault, answered 400, not the upstream's (502)
                return Content.Chunk.from(new ClientBodyFailed(chunk.getFailure()), true);
            }
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

        private final transient Exchange exchange;
        private final transient Step.Next next;
        private final long sentNanos;
        private final transient Executor executor;
        transient Scheduler.Task timeout;

        Listener(Exchange exchange, Step.Next next, long sentNanos, Executor executor) {
            this.exchange = exchange;
            this.next = next;
            this.sentNanos = sentNanos;
            this.executor = executor;
        }

        @Override
        public void onContentSource(Response response, Content.Source source) {
            if (!compareAndSet(false, true)) {
                source.fail(new IllegalStateException("exchange already answered"));
                return;
            }
            timeout.cancel();
            exchange.upstreamNanos(System.nanoTime() - sentNanos);
            HttpFields headers = response.getHeaders();
            exchange.answer(new Answer.Upstream(response.getStatus(), new JettyFields(headers),
                new JettyBody(source, headers.getLongField(HttpHeader.CONTENT_LENGTH), executor)));
            next.run();
        }

        @Override
        public void onComplete(Result result) {
            if (!result.isFailed() || !compareAndSet(false, true)) {
                return;
            }
            timeout.cancel();
            exchange.upstreamNanos(System.nanoTime() - sentNanos);
            Answer.Rejection answer = rejectionFor(result.getFailure(), exchange);
            exchange.answer(answer);
            next.run();
        }
    }
}
