package dev.meridian.policy.apikey;

import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

final class ApiKeyPolicy implements Policy {
   static final String CHALLENGE = "Key realm=\"meridian\"";
   private final ApiKeyConfig config;
   private final Consumers consumers;
   private final Decision missing;
   private final Decision unknown;
   private final Decision forbidden = Decision.reject(403, "consumer not allowed");

   ApiKeyPolicy(ApiKeyConfig config, Consumers consumers) {
      this.config = config;
      this.consumers = consumers;
      Map<String, String> challenge = Map.of("WWW-Authenticate", "Key realm=\"meridian\"");
      String where = config.inQuery() ? "query parameter " + config.query() : "header " + config.header();
      this.missing = Decision.reject(401, "missing API key (" + where + ")", challenge);
      this.unknown = Decision.reject(401, "unknown or expired API key", challenge);
   }

   public Decision onRequest(PolicyRequest request) {
      Optional<String> key = this.config.inQuery() ? request.query().flatMap(this::fromQuery) : request.header(this.config.header());
      if (!key.isEmpty() && !key.get().isEmpty()) {
         Optional<ApiConsumer> consumer = this.consumers.byKey(key.get());
         if (consumer.isEmpty()) {
            return this.unknown;
         }

         if (!this.config.allow().isEmpty() && !this.allowed(consumer.get())) {
            return this.forbidden;
         }

         request.attributes().put("consumer", consumer.get().id());
         if (!this.config.inQuery()) {
            request.removeHeader(this.config.header());
         }

         return Decision.proceed();
      } else {
         return this.missing;
      }
   }

   private boolean allowed(ApiConsumer consumer) {
      for (String name : this.config.allow()) {
         if (consumer.is(name)) {
            return true;
         }
      }

      return false;
   }

   private Optional<String> fromQuery(String query) {
      String name = this.config.query();
      int i = 0;

      while (i <= query.length()) {
         int end = query.indexOf(38, i);
         if (end < 0) {
            end = query.length();
         }

         if (query.startsWith(name, i) && i + name.length() < end && query.charAt(i + name.length()) == '=') {
            String raw = query.substring(i + name.length() + 1, end);
            return Optional.of(raw.indexOf(37) < 0 && raw.indexOf(43) < 0 ? raw : decode(raw));
         }

         i = end + 1;
      }

      return Optional.empty();
   }

   private static String decode(String raw) {
      try {
         return URLDecoder.decode(raw, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException malformed) {
         return "";
      }
   }
}
