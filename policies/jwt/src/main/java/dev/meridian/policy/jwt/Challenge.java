package dev.meridian.policy.jwt;

import dev.meridian.policy.api.Decision;
import java.util.Map;

final class Challenge {
   static final String REALM = "Bearer realm=\"meridian\"";

   private Challenge() {
   }

   static Decision missing() {
      return Decision.reject(401, "missing bearer token", Map.of("WWW-Authenticate", "Bearer realm=\"meridian\""));
   }

   static Decision invalid(String description) {
      return Decision.reject(
         401,
         "invalid token: " + description,
         Map.of("WWW-Authenticate", "Bearer realm=\"meridian\", error=\"invalid_token\", error_description=\"" + description + "\"")
      );
   }

   static Decision insufficientScope(String scopes) {
      return Decision.reject(
         403,
         "insufficient scope",
         Map.of(
            "WWW-Authenticate",
            "Bearer realm=\"meridian\", error=\"insufficient_scope\", error_description=\"the token lacks a required scope\", scope=\"" + scopes + "\""
         )
      );
   }

   static Decision keysUnavailable() {
      return Decision.reject(503, "identity provider keys unavailable", Map.of("Retry-After", "1"));
   }
}
