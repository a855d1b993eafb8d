package dev.meridian.policy.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.PolicyRequest;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

final class TokenCheck {
   private final JwtConfig config;
   private final long skew;
   private final long grace;
   private final String scopeList;

   TokenCheck(JwtConfig config) {
      this.config = config;
      this.skew = config.clockSkew().toMillis();
      this.grace = config.keyGrace().toMillis();
      this.scopeList = String.join(" ", config.requiredScopes());
   }

   Decision check(PolicyRequest request, String token, SignedJWT jwt, KeySnapshot keys, long now, VerifiedTokens accepted) {
      JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
      String kid = jwt.getHeader().getKeyID();
      KeySnapshot.Key signer = null;
      boolean removed = false;

      for (KeySnapshot.Key key : keys.keys(kid)) {
         if (key.fits(alg) && verifies(jwt, key)) {
            signer = key;
            break;
         }
      }

      if (signer == null) {
         return Challenge.invalid(keys.knows(kid) ? "signature invalid" : "unknown signing key");
      }

      JWTClaimsSet claims;
      try {
         claims = jwt.getJWTClaimsSet();
      } catch (ParseException e) {
         return Challenge.invalid("malformed claims");
      }

      Date iat = claims.getIssueTime();
      if (signer.retired()) {
         removed = now >= signer.removedAt() + this.grace || iat == null || iat.getTime() > signer.removedAt() + this.skew;
      }

      if (removed) {
         return Challenge.invalid("signing key no longer published");
      }

      Date exp = claims.getExpirationTime();
      if (exp == null) {
         return Challenge.invalid("token has no exp");
      }

      if (now > exp.getTime() + this.skew) {
         return Challenge.invalid("token expired");
      }

      Date nbf = claims.getNotBeforeTime();
      if (nbf != null && now + this.skew < nbf.getTime()) {
         return Challenge.invalid("token not yet valid");
      }

      if (iat != null && now + this.skew < iat.getTime()) {
         return Challenge.invalid("token issued in the future");
      }

      if (!this.config.issuer().equals(claims.getIssuer())) {
         return Challenge.invalid("wrong issuer");
      }

      if (!this.config.audience().isEmpty() && !anyIn(claims.getAudience(), this.config)) {
         return Challenge.invalid("wrong audience");
      }

      Object consumer = claims.getClaim(this.config.consumerClaim());
      if (!(consumer instanceof String) && !(consumer instanceof Number)) {
         return Challenge.invalid("token has no consumer claim " + this.config.consumerClaim());
      }

      if (!this.config.requiredScopes().isEmpty() && !scopes(claims).containsAll(this.config.requiredScopes())) {
         return Challenge.insufficientScope(this.scopeList);
      }

      String id = consumer.toString();
      request.attributes().put("consumer", id);
      long until = exp.getTime() + this.skew;
      if (signer.retired()) {
         until = Math.min(until, signer.removedAt() + this.grace - 1L);
      }

      long notBefore = Math.max(nbf == null ? Long.MIN_VALUE : nbf.getTime() - this.skew, iat == null ? Long.MIN_VALUE : iat.getTime() - this.skew);
      accepted.remember(token, new VerifiedTokens.Verified(keys, id, notBefore, until));
      return Decision.proceed();
   }

   private static boolean verifies(SignedJWT jwt, KeySnapshot.Key key) {
      try {
         return jwt.verify(key.verifier());
      } catch (JOSEException | IllegalStateException e) {
         return false;
      }
   }

   private static boolean anyIn(List<String> audience, JwtConfig config) {
      for (String aud : audience) {
         if (config.audience().contains(aud)) {
            return true;
         }
      }

      return false;
   }

   private static List<String> scopes(JWTClaimsSet claims) {
      List<String> out = new ArrayList<>();
      addScopes(out, claims.getClaim("scope"));
      addScopes(out, claims.getClaim("scp"));
      return out;
   }

   private static void addScopes(List<String> out, Object value) {
      if (value instanceof String s) {
         for (String scope : s.split(" ")) {
            if (!scope.isEmpty()) {
               out.add(scope);
            }
         }
      } else if (value instanceof List) {
         for (Object scope : (List)value) {
            if (scope instanceof String s) {
               out.add(s);
            }
         }
      }
   }
}
