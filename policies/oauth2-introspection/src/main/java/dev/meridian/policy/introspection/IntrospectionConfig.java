package dev.meridian.policy.introspection;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

record IntrospectionConfig(
   URI url,
   String clientId,
   String basicAuthorization,
   Duration cacheTtl,
   Duration inactiveTtl,
   Optional<String> ca,
   String consumerClaim,
   Set<String> requiredScopes,
   Duration timeout
) {
   static final Set<String> FIELDS = Set.of("url", "clientId", "clientSecret", "cacheTtl", "inactiveTtl", "ca", "consumerClaim", "requiredScopes", "timeout");
   static final Set<String> CLAIMS = Set.of("sub", "client_id", "username");
   static final Duration MAX_TTL = Duration.ofHours(24L);
   private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
   private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+");

   IntrospectionConfig {
      requiredScopes = Collections.unmodifiableSet(new LinkedHashSet<>(requiredScopes));
   }

   @Override
   public String toString() {
      return "IntrospectionConfig[url=" + this.url + ", clientId=" + this.clientId + ", cacheTtl=" + this.cacheTtl + "]";
   }

   static IntrospectionConfig parse(Map<String, Object> config) throws PolicyConfigException {
      List<Problem> problems = new ArrayList<>();

      for (String key : config.keySet()) {
         if (!FIELDS.contains(key)) {
            problems.add(new Problem(key, "unknown field (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")"));
         }
      }

      URI url = null;
      String rawUrl = text(config, "url", true, problems);
      if (rawUrl != null) {
         try {
            url = new URI(rawUrl);
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null || url.getRawFragment() != null) {
               problems.add(new Problem("url", "expected an absolute http or https URL without fragment"));
               url = null;
            }
         } catch (URISyntaxException e) {
            problems.add(new Problem("url", "not a URL: " + e.getReason()));
         }
      }

      String clientId = text(config, "clientId", true, problems);
      String secret = text(config, "clientSecret", true, problems);
      Duration cacheTtl = duration(config, "cacheTtl", Duration.ofMinutes(5L), problems);
      Duration inactiveTtl = duration(config, "inactiveTtl", Duration.ofSeconds(10L), problems);
      Duration timeout = duration(config, "timeout", Duration.ofSeconds(5L), problems);
      if (timeout != null && timeout.compareTo(Duration.ofSeconds(60L)) > 0) {
         problems.add(new Problem("timeout", "at most 60s"));
      }

      String ca = text(config, "ca", false, problems);
      if (ca != null && !ca.contains("-----BEGIN CERTIFICATE-----")) {
         problems.add(new Problem("ca", "expected PEM certificates (-----BEGIN CERTIFICATE-----)"));
      }

      String claim = text(config, "consumerClaim", false, problems);
      if (claim != null && !CLAIMS.contains(claim)) {
         problems.add(new Problem("consumerClaim", "expected one of sub, client_id, username"));
      }

      Set<String> scopes = scopes(config.get("requiredScopes"), problems);
      if (!problems.isEmpty()) {
         throw new PolicyConfigException(problems);
      }

      String basic = "Basic " + Base64.getEncoder().encodeToString((form(clientId) + ":" + form(secret)).getBytes(StandardCharsets.UTF_8));
      return new IntrospectionConfig(url, clientId, basic, cacheTtl, inactiveTtl, Optional.ofNullable(ca), claim == null ? "sub" : claim, scopes, timeout);
   }

   private static String form(String s) {
      return URLEncoder.encode(s, StandardCharsets.UTF_8);
   }

   private static String text(Map<String, Object> config, String field, boolean required, List<Problem> problems) {
      Object v = config.get(field);
      if (v == null) {
         if (required) {
            problems.add(new Problem(field, "required"));
         }

         return null;
      } else if (!(v instanceof String s && !s.isBlank() && s.length() <= 65536)) {
         problems.add(new Problem(field, "expected a non-empty string"));
         return null;
      } else if (!field.equals("ca") && s.chars().anyMatch(c -> c < 32 || c == 127)) {
         problems.add(new Problem(field, "control characters are not allowed"));
         return null;
      } else {
         return s;
      }
   }

   private static Duration duration(Map<String, Object> config, String field, Duration byDefault, List<Problem> problems) {
      Object v = config.get(field);
      if (v == null) {
         return byDefault;
      }

      Matcher m = v instanceof String s ? DURATION.matcher(s) : null;
      if (m != null && m.matches()) {
         long n = Long.parseLong(m.group(1));

         Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
         };
         if (!d.isZero() && d.compareTo(MAX_TTL) <= 0) {
            return d;
         }

         problems.add(new Problem(field, "expected more than 0 and at most 24h"));
         return null;
      } else {
         problems.add(new Problem(field, "expected a duration such as 500ms, 10s, 5m or 1h"));
         return null;
      }
   }

   private static Set<String> scopes(Object v, List<Problem> problems) {
      if (v == null) {
         return Set.of();
      }

      if (v instanceof List<?> list && !list.isEmpty() && list.size() <= 100) {
         Set<String> out = new LinkedHashSet<>();

         for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof String s && SCOPE.matcher(s).matches()) {
               out.add(s);
            } else {
               problems.add(new Problem("requiredScopes[" + i + "]", "expected a scope token (RFC 6749 §3.3)"));
            }
         }

         return out;
      } else {
         problems.add(new Problem("requiredScopes", "expected a list of 1 to 100 scopes"));
         return Set.of();
      }
   }
}
