package dev.meridian.policy.introspection;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;

/**
 * The introspection endpoint as this policy calls it (RFC 7662 §2.1): a form POST of the token,
 * the gateway authenticated as a client with HTTP Basic (RFC 6749 §2.3.1, id and secret
 * form-encoded first), through the node's {@link OutboundHttp} so no request thread waits.
 */
final class IdentityProvider {

    /** An introspection answer is a few hundred bytes; a bigger one is refused before it is read whole. */
    static final int MAX_ANSWER = 64 * 1024;

    private final OutboundHttp http;
    private final OutboundRequest template;
    private final Clock clock;

    IdentityProvider(OutboundHttp http, IntrospectionConfig config, Clock clock) {
        this.http = http;
        this.clock = clock;
        OutboundRequest r = OutboundRequest.post(config.url(), "application/x-www-form-urlencoded", new byte[0])
            .withHeader("Authorization", config.basicAuthorization())
            .withHeader("Accept", "application/json")
            .withTimeout(config.timeout())
            .withMaxBodyBytes(MAX_ANSWER);
        this.template = config.ca().map(r::withTrustedCaPem).orElse(r);
    }

    /**
     * Asks about {@code token}. Fails with an {@link IOException} when the IdP cannot be reached,
     * answers anything but 200 (a 401 means the gateway's client credentials are wrong), or
     * answers something that is not an introspection object.
     */
    CompletionStage<TokenInfo> introspect(String token) {
        byte[] form = ("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8) + "&token_type_hint=access_token")
            .getBytes(StandardCharsets.US_ASCII);
        OutboundRequest request = new OutboundRequest(template.method(), template.uri(), template.headers(), form,
            template.timeout(), template.maxBodyBytes(), template.trustedCaPem());
        long askedAt = clock.millis();
        return http.send(request).thenCompose(response -> {
            if (response.status() != 200) {
                return CompletableFuture.failedFuture(new IOException("identity provider answered " + response.status()));
            }
            return IntrospectionAnswer.parse(response.body(), askedAt)
                .<CompletionStage<TokenInfo>>map(CompletableFuture::completedFuture)
                .orElseGet(() -> CompletableFuture.failedFuture(new IOException("identity provider answered no introspection object")));
        });
    }
}
