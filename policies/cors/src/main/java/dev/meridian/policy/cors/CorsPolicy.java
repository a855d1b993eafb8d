package dev.meridian.policy.cors;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

final class CorsPolicy implements Policy {
   static final String ORIGIN = "Origin";
   static final String REQUEST_METHOD = "Access-Control-Request-Method";
   static final String REQUEST_HEADERS = "Access-Control-Request-Headers";
   static final String ALLOW_ORIGIN = "Access-Control-Allow-Origin";
   static final String ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials";
   static final String ALLOW_METHODS = "Access-Control-Allow-Methods";
   static final String ALLOW_HEADERS = "Access-Control-Allow-Headers";
   static final String EXPOSE_HEADERS = "Access-Control-Expose-Headers";
   static final String MAX_AGE = "Access-Control-Max-Age";
   static final String VARY = "Vary";
   static final String ORIGIN_REFUSED = "CORS: origin not allowed";
   static final String METHOD_REFUSED = "CORS: method not allowed";
   static final String HEADERS_REFUSED = "CORS: request header not allowed";
   private final CorsConfig config;

   CorsPolicy(CorsConfig config) {
      this.config = Objects.requireNonNull(config, "config");
   }

   public int order() {
      return -1000;
   }

   public Decision onRequest(PolicyRequest request) {
      if (!"OPTIONS".equals(request.method())) {
         return Decision.proceed();
      }

      Optional<String> origin = request.header("Origin");
      Optional<String> method = request.header("Access-Control-Request-Method");
      return !origin.isEmpty() && !method.isEmpty() ? this.preflight(request, origin.get(), method.get()) : Decision.proceed();
   }

   private Decision preflight(PolicyRequest request, String origin, String method) {
      if (!this.allowed(origin)) {
         return Decision.reject(403, "CORS: origin not allowed");
      }

      if (!this.config.anyMethod() && !this.config.methods().contains(method) && !CorsConfig.SAFELISTED_METHODS.contains(method)) {
         return Decision.reject(403, "CORS: method not allowed");
      }

      String requested = String.join(",", request.headers("Access-Control-Request-Headers"));
      if (!this.config.anyHeader() && !this.headersAllowed(requested)) {
         return Decision.reject(403, "CORS: request header not allowed");
      }

      Map<String, String> headers = new LinkedHashMap<>();
      this.allowOrigin(origin, headers);
      headers.put("Access-Control-Allow-Methods", this.config.anyMethod() ? method : this.config.allowMethods());
      String allowHeaders = this.config.anyHeader() ? requested.strip() : this.config.allowHeaders();
      if (!allowHeaders.isEmpty()) {
         headers.put("Access-Control-Allow-Headers", allowHeaders);
      }

      this.config.maxAge().ifPresent(seconds -> headers.put("Access-Control-Max-Age", seconds));
      if (!this.config.anyOrigin()) {
         headers.put("Vary", "Origin");
      }

      return Decision.respond(204, headers);
   }

   public Decision onResponse(PolicyRequest request, PolicyResponse response) {
      if (!this.config.anyOrigin()) {
         Vary.addOrigin(response);
      }

      if (isPreflight(request)) {
         return Decision.proceed();
      }

      response.removeHeader("Access-Control-Allow-Origin");
      response.removeHeader("Access-Control-Allow-Credentials");
      response.removeHeader("Access-Control-Expose-Headers");
      Optional<String> origin = request.header("Origin");
      if (origin.isPresent() && this.allowed(origin.get())) {
         response.setHeader("Access-Control-Allow-Origin", this.config.anyOrigin() ? "*" : origin.get());
         if (this.config.credentials()) {
            response.setHeader("Access-Control-Allow-Credentials", "true");
         }

         if (!this.config.exposeHeaders().isEmpty()) {
            response.setHeader("Access-Control-Expose-Headers", this.config.exposeHeaders());
         }
      }

      return Decision.proceed();
   }

   private void allowOrigin(String origin, Map<String, String> headers) {
      headers.put("Access-Control-Allow-Origin", this.config.anyOrigin() ? "*" : origin);
      if (this.config.credentials()) {
         headers.put("Access-Control-Allow-Credentials", "true");
      }
   }

   private boolean allowed(String origin) {
      return this.config.anyOrigin() || this.config.origins().contains(origin);
   }

   private static boolean isPreflight(PolicyRequest request) {
      return "OPTIONS".equals(request.method()) && request.header("Origin").isPresent() && request.header("Access-Control-Request-Method").isPresent();
   }

   private boolean headersAllowed(String requested) {
      for (String name : List.of(requested.split(","))) {
         String trimmed = name.strip();
         if (!trimmed.isEmpty() && !this.config.headers().contains(trimmed)) {
            return false;
         }
      }

      return true;
   }

   @Override
   public String toString() {
      return "cors{origins=" + (this.config.anyOrigin() ? "*" : this.config.origins()) + ", credentials=" + this.config.credentials() + "}";
   }
}
