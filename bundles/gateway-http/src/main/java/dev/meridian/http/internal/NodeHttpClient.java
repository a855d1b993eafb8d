package dev.meridian.http.internal;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Origin;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;
import dev.meridian.tls.Pem;

/**
 * The node's HTTP client for policies ({@link OutboundHttp}: JWKS, OIDC discovery, token
 * introspection). A Jetty 12 {@link HttpClient} of its own, apart from the upstream client: its
 * pools, threads and limits are sized for a few identity providers, not for traffic, and a flood
 * of forged tokens cannot take connections from upstreams (or the other way round).
 *
 * <ul>
 *   <li>Connections pooled per origin (and per trusted CA set), kept 60 s idle; at most
 *       {@value #MAX_CONNECTIONS} per origin, {@value #MAX_QUEUED} queued beyond that, then calls
 *       fail at once ("too many calls queued").
 *   <li>TLS: the JDK's trusted certificates, or only the request's
 *       {@link OutboundRequest#trustedCaPem()}; the host name is always verified.
 *   <li>Connect timeout {@value #CONNECT_TIMEOUT_MS} ms (or the request's timeout when shorter, which
 *       bounds the whole exchange); redirects not followed (an IdP that redirects its JWKS is
 *       misconfigured, and following would let a redirect choose where a secret goes); no cookies;
 *       no content decoding (the body cap counts the bytes that arrive).
 *   <li>The response body is collected up to the request's {@link OutboundRequest#maxBodyBytes()};
 *       one byte more aborts the exchange (its connection is closed, not reused).
 * </ul>
 *
 * <p><b>Threads.</b> {@link #send} never waits: it hands the request to Jetty and returns. Every
 * stage is completed by a task on the client's own pool ({@code meridian-outbound-*}), never on
 * the caller's thread, even when Jetty fails the request synchronously (a stopped client, a full
 * queue): a policy may complete its pending decision from the stage without surprises.
 */
final class NodeHttpClient implements OutboundHttp {

    private static final Logger LOG = LoggerFactory.getLogger(NodeHttpClient.class);

    static final int MAX_CONNECTIONS = 64;
    static final int MAX_QUEUED = 1024;
    static final long CONNECT_TIMEOUT_MS = 5_000;
    /** Distinct trusted-CA sets kept (one TLS context each): far more than a node's identity providers. */
    static final int MAX_TRUST_SETS = 64;

    private final QueuedThreadPool threads;
    private final HttpClient client;
    /** Where stages complete: the client's pool (a test may give another). */
    private final Executor completions;
    private final Map<String, SslContextFactory.Client> trust = new ConcurrentHashMap<>();

    NodeHttpClient() {
        this(null);
    }

    /** @param completions where stages complete; null = the client's own pool */
    NodeHttpClient(Executor completions) {
        threads = new QueuedThreadPool(8, 2);
        threads.setName("meridian-outbound");
        threads.setReservedThreads(0);
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setExecutor(threads);
        connector.setConnectTimeout(java.time.Duration.ofMillis(CONNECT_TIMEOUT_MS));
        SslContextFactory.Client jdkTrust = new SslContextFactory.Client();
        jdkTrust.setEndpointIdentificationAlgorithm("HTTPS");
        connector.setSslContextFactory(jdkTrust);
        client = new HttpClient(new Transport(connector));
        client.setExecutor(threads);
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.getContentDecoderFactories().clear();
        client.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, "Meridian"));
        client.setMaxConnectionsPerDestination(MAX_CONNECTIONS);
        client.setMaxRequestsQueuedPerDestination(MAX_QUEUED);
        client.setConnectTimeout(CONNECT_TIMEOUT_MS);
        client.setIdleTimeout(60_000);
        client.setDestinationIdleTimeout(300_000);
        this.completions = completions != null ? completions : threads;
    }

    /** Starts the client (its pool and selector); no connection is opened until a call. */
    void start() throws Exception {
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(NodeHttpClient.class.getClassLoader());
        try {
            client.start();
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    /** Stops it: calls in flight fail ("client stopped"), connections close. */
    void stop() {
        try {
            client.stop();
        } catch (Exception e) {
            LOG.warn("stopping the node's outbound HTTP client failed", e);
        }
        for (SslContextFactory.Client c : trust.values()) {
            try {
                c.stop();
            } catch (Exception e) {
                LOG.warn("stopping a TLS context of the outbound HTTP client failed", e);
            }
        }
        trust.clear();
    }

    @Override
    public CompletionStage<OutboundResponse> send(OutboundRequest request) {
        CompletableFuture<OutboundResponse> result = new CompletableFuture<>();
        String what = request.method() + " " + request.uri();
        try {
            Request out = client.newRequest(request.uri())
                .method(request.method())
                .timeout(request.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (request.trustedCaPem().isPresent()) {
                out.tag(new Trust(request.trustedCaPem().get()));
                context(request.trustedCaPem().get()); // a PEM that does not load fails here, naming the reason
            }
            out.headers(h -> request.headers().forEach((name, values) -> values.forEach(v -> h.add(name, v))));
            byte[] body = request.body();
            if (body.length > 0) {
                String type = out.getHeaders().get(HttpHeader.CONTENT_TYPE);
                out.body(new BytesRequestContent(type, body));
            }
            out.send(new Collector(request, what, result));
        } catch (RuntimeException e) {
            complete(result, null, failure(what, request, e));
        }
        return result;
    }

    /** Completes {@code result} on the completion executor: never on the thread that called {@link #send}. */
    private void complete(CompletableFuture<OutboundResponse> result, OutboundResponse response, IOException failure) {
        Runnable task = () -> {
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(response);
            }
        };
        try {
            completions.execute(task);
        } catch (RejectedExecutionException stopped) {
            ForkJoinPool.commonPool().execute(task); // the client is stopping: still another thread
        }
    }

    /** The failure as the SPI promises it: an {@link IOException} saying what failed and why. */
    private static IOException failure(String what, OutboundRequest request, Throwable cause) {
        if (cause instanceof BodyTooLarge large) {
            return new IOException(what + ": " + large.getMessage(), large);
        }
        if (cause instanceof TimeoutException || cause instanceof SocketTimeoutException) {
            IOException timeout = new SocketTimeoutException(what + ": no complete answer within "
                + request.timeout().toMillis() + " ms");
            timeout.initCause(cause);
            return timeout;
        }
        if (cause instanceof RejectedExecutionException) {
            return new IOException(what + ": too many calls queued (" + cause.getMessage() + ")", cause);
        }
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new IOException(what + ": " + reason, cause);
    }

    /** A response body past the request's cap. */
    private static final class BodyTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLarge(String message) {
            super(message);
        }
    }

    /** Collects one response (status, fields, body up to the cap) and completes the call. */
    private final class Collector implements Response.Listener {
        private final OutboundRequest request;
        private final String what;
        private final CompletableFuture<OutboundResponse> result;
        private byte[] body = new byte[0];
        private int size;

        Collector(OutboundRequest request, String what, CompletableFuture<OutboundResponse> result) {
            this.request = request;
            this.what = what;
            this.result = result;
        }

        @Override
        public void onHeaders(Response response) {
            long declared = response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
            if (declared > request.maxBodyBytes()) {
                response.abort(tooLarge("declares " + declared + " bytes"));
            } else if (declared > 0) {
                body = new byte[(int) declared];
            }
        }

        @Override
        public void onContent(Response response, ByteBuffer content) {
            int n = content.remaining();
            if ((long) size + n > request.maxBodyBytes()) {
                response.abort(tooLarge("passed " + request.maxBodyBytes() + " bytes"));
                return;
            }
            if (size + n > body.length) {
                body = Arrays.copyOf(body, Math.min(request.maxBodyBytes(), Math.max(size + n, Math.max(4096, body.length * 2))));
            }
            content.get(body, size, n);
            size += n;
        }

        private BodyTooLarge tooLarge(String how) {
            return new BodyTooLarge("response body " + how + ", over the limit of " + request.maxBodyBytes() + " bytes");
        }

        @Override
        public void onComplete(Result r) {
            if (r.isFailed()) {
                complete(result, null, failure(what, request, r.getFailure()));
                return;
            }
            Response response = r.getResponse();
            Map<String, List<String>> fields = new LinkedHashMap<>();
            for (HttpField f : response.getHeaders()) {
                fields.computeIfAbsent(f.getLowerCaseName(), k -> new ArrayList<>()).add(f.getValue());
            }
            fields.replaceAll((k, v) -> List.copyOf(v));
            byte[] exact = size == body.length ? body : Arrays.copyOf(body, size);
            complete(result, new OutboundResponse(response.getStatus(), fields, exact), null);
        }
    }

    /** The TLS context trusting exactly the certificates of {@code pem}: made once per distinct PEM. */
    private SslContextFactory.Client context(String pem) {
        SslContextFactory.Client c = trust.get(pem);
        if (c != null) {
            return c;
        }
        if (trust.size() >= MAX_TRUST_SETS) {
            throw new IllegalStateException("more than " + MAX_TRUST_SETS + " distinct trustedCaPem sets on this node");
        }
        return trust.computeIfAbsent(pem, NodeHttpClient::build);
    }

    private static SslContextFactory.Client build(String pem) {
        List<X509Certificate> certificates;
        try {
            certificates = Pem.certificates(pem);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("trustedCaPem unusable: " + e.getMessage(), e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("trustedCaPem holds no certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < certificates.size(); i++) {
                store.setCertificateEntry("ca-" + i, certificates.get(i));
            }
            SslContextFactory.Client f = new SslContextFactory.Client();
            f.setTrustStore(store);
            f.setEndpointIdentificationAlgorithm("HTTPS");
            f.start();
            return f;
        } catch (Exception e) {
            throw new IllegalArgumentException("trustedCaPem unusable: " + e, e);
        }
    }

    /** Requests tagged with a trusted CA set: their destination (and pool) is that origin with that trust. */
    private record Trust(String pem) {
    }

    /** HTTP/1.1 whose {@code https} destinations take the TLS context of their {@link Trust} tag. */
    private final class Transport extends HttpClientTransportOverHTTP {
        Transport(ClientConnector connector) {
            super(connector);
        }

        @Override
        public Destination newDestination(Origin origin) {
            return new HttpDestination(getHttpClient(), origin) {
                @Override
                public SslContextFactory.Client resolveSslContextFactory() {
                    if (origin.getTag() instanceof Trust t) {
                        return context(t.pem());
                    }
                    return super.resolveSslContextFactory();
                }
            };
        }
    }

    @Override
    public String toString() {
        return "NodeHttpClient[" + client.getState().toLowerCase(Locale.ROOT) + "]";
    }
}
