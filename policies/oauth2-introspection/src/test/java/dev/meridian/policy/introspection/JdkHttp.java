package dev.meridian.policy.introspection;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;

/**
 * {@link OutboundHttp} over the JDK's client, for tests against a real local server: timeouts,
 * the body cap and failures as {@link IOException}, stages completed on the client's threads.
 * (The node's real one is Jetty's, in gateway-http; plain HTTP here, no per-call CA.)
 */
final class JdkHttp implements OutboundHttp, AutoCloseable {

    private final ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "jdk-http");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client = HttpClient.newBuilder().executor(threads).build();

    @Override
    public CompletionStage<OutboundResponse> send(OutboundRequest request) {
        HttpRequest.Builder b = HttpRequest.newBuilder(request.uri()).timeout(request.timeout())
            .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
        request.headers().forEach((name, values) -> values.forEach(v -> b.header(name, v)));
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
            .thenApplyAsync(r -> {
                if (r.body().length > request.maxBodyBytes()) {
                    throw new CompletionException(new IOException("response body above " + request.maxBodyBytes() + " bytes"));
                }
                Map<String, List<String>> headers = new TreeMap<>();
                r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
                return new OutboundResponse(r.statusCode(), headers, r.body());
            }, threads)
            .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                e instanceof CompletionException && e.getCause() != null ? e.getCause() : e));
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
