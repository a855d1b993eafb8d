package dev.meridian.policy.jwt;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;
import java.io.IOException;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

final class JwksFetcher {
   private static final int MAX_BYTES = 524288;
   private static final Duration TIMEOUT = Duration.ofSeconds(5L);
   private final OutboundHttp http;

   JwksFetcher(OutboundHttp http) {
      this.http = http;
   }

   CompletionStage<JWKSet> fetch(KeySourceId source) {
      return !source.discovery() ? this.jwks(source, source.url()) : this.send(source, source.discoveryUrl()).thenCompose(response -> {
         try {
            Map<String, Object> doc = JSONObjectUtils.parse(response.text());
            String jwksUri = JSONObjectUtils.getString(doc, "jwks_uri");
            if (jwksUri == null) {
               throw new ParseException("discovery document has no jwks_uri", 0);
            } else {
               URI uri = URI.create(jwksUri);
               if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
                  throw new ParseException("jwks_uri is not an http(s) URL: " + jwksUri, 0);
               } else {
                  return this.jwks(source, uri);
               }
            }
         } catch (ParseException | IllegalArgumentException e) {
            throw new CompletionException(new IOException("discovery " + source.discoveryUrl() + ": " + e.getMessage(), e));
         }
      });
   }

   private CompletionStage<JWKSet> jwks(KeySourceId source, URI uri) {
      return this.send(source, uri).thenApply(response -> {
         try {
            return JWKSet.parse(response.text());
         } catch (ParseException e) {
            throw new CompletionException(new IOException("JWKS " + uri + ": " + e.getMessage(), e));
         }
      });
   }

   private CompletionStage<OutboundResponse> send(KeySourceId source, URI uri) {
      OutboundRequest request = OutboundRequest.get(uri).withHeader("Accept", "application/json").withTimeout(TIMEOUT).withMaxBodyBytes(524288);
      if (source.ca().isPresent()) {
         request = request.withTrustedCaPem(source.ca().get());
      }

      return this.http.send(request).thenApply(response -> {
         if (response.status() != 200) {
            throw new CompletionException(new IOException(uri + " answered " + response.status()));
         } else {
            return (OutboundResponse)response;
         }
      });
   }
}
