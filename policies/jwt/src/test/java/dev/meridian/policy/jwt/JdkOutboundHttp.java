package dev.meridian.policy.jwt;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;

/**
 * {@link OutboundHttp} over the JDK's {@link HttpClient} (plain HTTP to the test's local IdP):
 * asynchronous, the request's timeout and body cap honoured, failures as {@link IOException},
 * stages completed on {@code executor}, header names lower-case, as the SPI says.
 */
final class JdkOutboundHttp implements OutboundHttp {

    private final HttpClient client;
    private final Executor executor;

    JdkOutboundHttp(Executor executor) {
        this.executor = executor;
        this.client = HttpClient.newBuilder().executor(executor).version(HttpClient.Version.HTTP_1_1).build();
    }

    @Override
    public CompletionStage<OutboundResponse> send(OutboundRequest request) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(request.uri()).timeout(request.timeout())
            .method(request.method(), request.body().length == 0
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        request.headers().forEach((name, values) -> values.forEach(v -> builder.header(name, v)));
        return client.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofByteArray())
            .thenApplyAsync(response -> {
                if (response.body().length > request.maxBodyBytes()) {
                    throw new CompletionException(new IOException("body above " + request.maxBodyBytes() + " bytes"));
                }
                Map<String, List<String>> headers = new LinkedHashMap<>();
                response.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
                return new OutboundResponse(response.statusCode(), headers, response.body());
            }, executor)
            .exceptionallyCompose(failure -> {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                return CompletableFuture.failedFuture(cause instanceof IOException ? cause : new IOException(cause));
            });
    }
}
