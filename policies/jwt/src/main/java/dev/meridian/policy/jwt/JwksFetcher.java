package dev.meridian.policy.jwt;

import java.io.IOException;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;

import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;

/**
 * Fetches a source's JWKS over the node's {@link OutboundHttp} (never nimbus's own blocking
 * {@code JWKSourceBuilder}: a request thread must never wait on the IdP), following OIDC
 * discovery first when the source is an issuer. Every failure (connect, TLS, status, a document
 * that is not a JWKS) completes the stage with an {@link IOException} that names the URL.
 */
final class JwksFetcher {

    /** A JWKS is a few KiB; a larger answer is not one. */
    static final int MAX_BYTES = 512 * 1024;
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final OutboundHttp http;

    JwksFetcher(OutboundHttp http) {
        this.http = http;
    }

    CompletionStage<JWKSet> fetch(KeySourceId source) {
        if (!source.discovery()) {
            return jwks(source, source.url());
        }
        return send(source, source.discoveryUrl()).thenCompose(response -> jwks(source, jwksUri(source, response)));
    }

    /** The discovery document's {@code jwks_uri}, after checking its {@code issuer} is the one configured (OIDC Discovery §4.3). */
    private static URI jwksUri(KeySourceId source, OutboundResponse response) {
        try {
            Map<String, Object> doc = JSONObjectUtils.parse(response.text());
            String issuer = JSONObjectUtils.getString(doc, "issuer");
            if (issuer != null && !trimSlash(issuer).equals(trimSlash(source.url().toString()))) {
                throw new ParseException("discovery names issuer " + issuer + ", not " + source.url(), 0);
            }
            String jwksUri = JSONObjectUtils.getString(doc, "jwks_uri");
            if (jwksUri == null) {
                throw new ParseException("discovery document has no jwks_uri", 0);
            }
            URI uri = URI.create(jwksUri);
            if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
                throw new ParseException("jwks_uri is not an http(s) URL: " + jwksUri, 0);
            }
            return uri;
        } catch (ParseException | IllegalArgumentException e) {
            throw new CompletionException(new IOException("discovery " + source.discoveryUrl() + ": " + e.getMessage(), e));
        }
    }

    private CompletionStage<JWKSet> jwks(KeySourceId source, URI uri) {
        return send(source, uri).thenApply(response -> {
            try {
                return JWKSet.parse(response.text());
            } catch (ParseException e) {
                throw new CompletionException(new IOException("JWKS " + uri + ": " + e.getMessage(), e));
            }
        });
    }

    private CompletionStage<OutboundResponse> send(KeySourceId source, URI uri) {
        OutboundRequest request = OutboundRequest.get(uri)
            .withHeader("Accept", "application/json")
            .withTimeout(TIMEOUT)
            .withMaxBodyBytes(MAX_BYTES);
        if (source.ca().isPresent()) {
            request = request.withTrustedCaPem(source.ca().get());
        }
        return http.send(request).thenApply(response -> {
            if (response.status() != 200) {
                throw new CompletionException(new IOException(uri + " answered " + response.status()));
            }
            return response;
        });
    }

    private static String trimSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
