package dev.meridian.policy.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.SignedJWT;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import java.text.ParseException;
import java.time.Clock;

final class JwtPolicy implements Policy {
   private static final String BEARER = "Bearer ";
   private final JwtConfig config;
   private final KeySource keys;
   private final TokenCheck check;
   private final Clock clock;
   private final VerifiedTokens accepted = new VerifiedTokens();

   JwtPolicy(JwtConfig config, KeySource keys, Clock clock) {
      this.config = config;
      this.keys = keys;
      this.check = new TokenCheck(config);
      this.clock = clock;
   }

   public Decision onRequest(PolicyRequest request) {
      String authorization = (String)request.header("Authorization").orElse(null);
      if (authorization == null) {
         return Challenge.missing();
      }

      if (!authorization.regionMatches(true, 0, "Bearer ", 0, "Bearer ".length())) {
         return Challenge.invalid("expected a Bearer token");
      }

      String token = authorization.substring("Bearer ".length()).trim();
      KeySnapshot snapshot = this.keys.current();
      long now = this.clock.millis();
      VerifiedTokens.Verified known = snapshot == null ? null : this.accepted.find(token, snapshot, now);
      if (known != null) {
         request.attributes().put("consumer", known.consumer());
         return Decision.proceed();
      }

      SignedJWT jwt;
      try {
         jwt = SignedJWT.parse(token);
      } catch (ParseException | IllegalArgumentException e) {
         return Challenge.invalid("malformed token");
      }

      JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
      if (!this.config.algorithms().contains(alg)) {
         return Challenge.invalid("algorithm not allowed");
      }

      String kid = jwt.getHeader().getKeyID();
      return snapshot != null && snapshot.knows(kid)
         ? this.check.check(request, token, jwt, snapshot, now, this.accepted)
         : Decision.pending(
            this.keys
               .awaitKey(kid, now)
               .thenApply(
                  fresh -> fresh == null ? Challenge.keysUnavailable() : this.check.check(request, token, jwt, fresh, this.clock.millis(), this.accepted)
               )
         );
   }
}
