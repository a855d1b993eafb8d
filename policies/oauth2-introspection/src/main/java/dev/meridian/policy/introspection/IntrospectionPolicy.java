package dev.meridian.policy.introspection;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.Decision.Reject;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

final class IntrospectionPolicy implements Policy {
   private static final Logger LOG = System.getLogger(IntrospectionPolicy.class.getName());
   private static final long LOG_EVERY_MILLIS = 10000L;
   private static final String REALM = "Bearer realm=\"meridian\"";
   private final IntrospectionConfig config;
   private final SharedLookup lookup;
   private final RevocationView revocations;
   private final Clock clock;
   private final String keySuffix;
   private final Reject missing;
   private final Reject invalid;
   private final Reject insufficient;
   private final Reject unavailable;
   private final AtomicLong lastFailureLog = new AtomicLong(-4611686018427387904L);

   IntrospectionPolicy(IntrospectionConfig config, SharedLookup lookup, RevocationView revocations, Clock clock) {
      this.config = config;
      this.lookup = lookup;
      this.revocations = revocations;
      this.clock = clock;
      this.keySuffix = "@" + BearerToken.sha256(config.url() + "\n" + config.clientId()).substring(0, 16);
      this.missing = (Reject)Decision.reject(401, "missing bearer token", Map.of("WWW-Authenticate", "Bearer realm=\"meridian\""));
      this.invalid = (Reject)Decision.reject(401, "invalid token", Map.of("WWW-Authenticate", "Bearer realm=\"meridian\", error=\"invalid_token\""));
      this.insufficient = (Reject)Decision.reject(
         403,
         "insufficient scope",
         Map.of("WWW-Authenticate", "Bearer realm=\"meridian\", error=\"insufficient_scope\", scope=\"" + String.join(" ", config.requiredScopes()) + "\"")
      );
      this.unavailable = (Reject)Decision.reject(503, "token introspection unavailable", Map.of("Retry-After", "1"));
   }

   public Decision onRequest(PolicyRequest request) {
      Optional<String> token = BearerToken.from(request.header("Authorization"));
      if (token.isEmpty()) {
         return this.missing;
      }

      String hash = BearerToken.sha256(token.get());
      String key = hash + this.keySuffix;
      Optional<Revocations> revoked = this.revocations.peek();
      Optional<TokenInfo> hit = this.lookup.peek(key);
      if (revoked.isPresent() && hit.isPresent()) {
         return this.decide(request, hash, hit.get(), revoked.get());
      }

      CompletionStage<Revocations> list = revoked.<CompletionStage<Revocations>>map(CompletableFuture::completedFuture).orElseGet(this.revocations::load);
      CompletionStage<TokenInfo> info = hit.<CompletionStage<TokenInfo>>map(CompletableFuture::completedFuture).orElseGet(() -> this.lookup.lookup(key, token.get()));
      return Decision.pending(info.<Revocations, Decision>thenCombine(list, (i, r) -> this.decide(request, hash, i, r)).exceptionally(this::failed));
   }

   private Decision decide(PolicyRequest request, String hash, TokenInfo info, Revocations revoked) {
      if (!info.active() || info.expired(this.clock.millis()) || revoked.revokes(hash, info)) {
         return this.invalid;
      }

      if (!info.hasScopes(this.config.requiredScopes())) {
         return this.insufficient;
      }

      info.consumer(this.config.consumerClaim()).ifPresent(c -> request.attributes().put("consumer", c));
      return Decision.proceed();
   }

   private Decision failed(Throwable e) {
      long now = this.clock.millis();
      long last = this.lastFailureLog.get();
      if (now - last >= 10000L && this.lastFailureLog.compareAndSet(last, now)) {
         Throwable cause = e.getCause() != null ? e.getCause() : e;
         LOG.log(Level.WARNING, "oauth2-introspection (client '" + this.config.clientId() + "'): introspection failed, answering 503: " + cause.getMessage());
      }

      return this.unavailable;
   }
}
