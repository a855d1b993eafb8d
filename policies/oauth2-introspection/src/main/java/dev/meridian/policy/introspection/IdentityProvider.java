package dev.meridian.policy.introspection;

import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

final class IdentityProvider {
   static final int MAX_ANSWER = 65536;
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
         .withMaxBodyBytes(65536);
      this.template = config.ca().<OutboundRequest>map(r::withTrustedCaPem).orElse(r);
   }

   CompletionStage<TokenInfo> introspect(String token) {
      byte[] form = ("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8) + "&token_type_hint=access_token").getBytes(StandardCharsets.US_ASCII);
      OutboundRequest request = new OutboundRequest(
         this.template.method(),
         this.template.uri(),
         this.template.headers(),
         form,
         this.template.timeout(),
         this.template.maxBodyBytes(),
         this.template.trustedCaPem()
      );
      long askedAt = this.clock.millis();
      return this.http
         .send(request)
         .thenCompose(
            response -> response.status() != 200
               ? CompletableFuture.failedFuture(new IOException("identity provider answered " + response.status()))
               : IntrospectionAnswer.parse(response.body(), askedAt)
                  .map(CompletableFuture::completedFuture)
                  .orElseGet(() -> CompletableFuture.failedFuture(new IOException("identity provider answered no introspection object")))
         );
   }
}
