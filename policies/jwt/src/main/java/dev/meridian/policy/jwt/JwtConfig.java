package dev.meridian.policy.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

record JwtConfig(
   KeySourceId source,
   String issuer,
   Set<String> audience,
   Set<JWSAlgorithm> algorithms,
   Duration clockSkew,
   String consumerClaim,
   Set<String> requiredScopes,
   Duration keyGrace,
   Duration refreshInterval
) {
   static final Duration DEFAULT_SKEW = Duration.ofSeconds(30L);
   static final Duration DEFAULT_REFRESH = Duration.ofMinutes(5L);
   static final Duration MAX_KEY_GRACE = Duration.ofHours(24L);
   static final Set<JWSAlgorithm> SUPPORTED = Set.of(
      JWSAlgorithm.RS256,
      JWSAlgorithm.RS384,
      JWSAlgorithm.RS512,
      JWSAlgorithm.PS256,
      JWSAlgorithm.PS384,
      JWSAlgorithm.PS512,
      JWSAlgorithm.ES256,
      JWSAlgorithm.ES384,
      JWSAlgorithm.ES512
   );
   private static final Set<String> FIELDS = Set.of(
      "jwksUrl", "issuerUrl", "issuer", "audience", "algorithms", "clockSkew", "consumerClaim", "requiredScopes", "keyGrace", "ca", "refreshInterval"
   );

   JwtConfig {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(issuer, "issuer");
      audience = Set.copyOf(audience);
      algorithms = Set.copyOf(algorithms);
      Objects.requireNonNull(clockSkew, "clockSkew");
      Objects.requireNonNull(consumerClaim, "consumerClaim");
      requiredScopes = Set.copyOf(requiredScopes);
      Objects.requireNonNull(keyGrace, "keyGrace");
      Objects.requireNonNull(refreshInterval, "refreshInterval");
   }

   static JwtConfig parse(Map<String, Object> config) throws PolicyConfigException {
      Objects.requireNonNull(config, "config");
      List<Problem> problems = new ArrayList<>();

      for (String key : config.keySet()) {
         if (!FIELDS.contains(key)) {
            problems.add(new Problem(key, "unknown field; expected one of " + new TreeSet<String>(FIELDS)));
         }
      }

      URI jwksUrl = url(config, "jwksUrl", problems);
      URI issuerUrl = url(config, "issuerUrl", problems);
      if (jwksUrl != null && issuerUrl != null) {
         problems.add(new Problem("jwksUrl", "give jwksUrl or issuerUrl, not both"));
      } else if (jwksUrl == null && issuerUrl == null && !config.containsKey("jwksUrl") && !config.containsKey("issuerUrl")) {
         problems.add(new Problem("", "one of jwksUrl, issuerUrl is required"));
      }

      String issuer = text(config, "issuer", problems);
      if (issuer == null && issuerUrl != null) {
         issuer = issuerUrl.toString();
      } else if (issuer == null && !config.containsKey("issuer")) {
         problems.add(new Problem("issuer", "required with jwksUrl (the iss every token must carry)"));
      }

      Set<String> audience = strings(config, "audience", problems);
      Set<JWSAlgorithm> algorithms = algorithms(config, problems);
      Duration skew = duration(config, "clockSkew", DEFAULT_SKEW, Duration.ofMinutes(10L), problems);
      String consumerClaim = Optional.ofNullable(text(config, "consumerClaim", problems)).orElse("sub");
      Set<String> scopes = strings(config, "requiredScopes", problems);
      Duration keyGrace = duration(config, "keyGrace", Duration.ZERO, MAX_KEY_GRACE, problems);
      Duration refresh = duration(config, "refreshInterval", DEFAULT_REFRESH, Duration.ofDays(1L), problems);
      if (refresh.compareTo(Duration.ofSeconds(5L)) < 0) {
         problems.add(new Problem("refreshInterval", "must be at least 5s"));
      }

      String ca = text(config, "ca", problems);
      if (ca != null && !isPemCertificates(ca)) {
         problems.add(new Problem("ca", "expected PEM certificates (-----BEGIN CERTIFICATE-----)"));
      }

      if (!problems.isEmpty()) {
         throw new PolicyConfigException(problems);
      }

      KeySourceId source = jwksUrl != null ? KeySourceId.jwks(jwksUrl, ca) : KeySourceId.discovery(issuerUrl, ca);
      return new JwtConfig(source, issuer, audience, algorithms, skew, consumerClaim, scopes, keyGrace, refresh);
   }

   private static URI url(Map<String, Object> config, String field, List<Problem> problems) {
      String value = text(config, field, problems);
      if (value == null) {
         return null;
      }

      try {
         URI uri = new URI(value);
         if (("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme())) && uri.getHost() != null) {
            return uri;
         }

         problems.add(new Problem(field, "expected an absolute https (or http) URL"));
         return null;
      } catch (URISyntaxException e) {
         problems.add(new Problem(field, "invalid URL: " + e.getReason()));
         return null;
      }
   }

   private static String text(Map<String, Object> config, String field, List<Problem> problems) {
      if (!config.containsKey(field)) {
         return null;
      } else if (config.get(field) instanceof String s && !s.isBlank()) {
         return s;
      } else {
         problems.add(new Problem(field, "expected a non-empty string"));
         return null;
      }
   }

   private static Set<String> strings(Map<String, Object> config, String field, List<Problem> problems) {
      if (!config.containsKey(field)) {
         return Set.of();
      } else {
         Object value = config.get(field);
         if (value instanceof String s && !s.isBlank()) {
            return Set.of(s);
         } else if (!(value instanceof List<?> list)) {
            problems.add(new Problem(field, "expected a list of strings"));
            return Set.of();
         } else {
            LinkedHashSet out = new LinkedHashSet();

            for (int i = 0; i < list.size(); i++) {
               if (list.get(i) instanceof String s && !s.isBlank()) {
                  out.add(s);
               } else {
                  problems.add(new Problem(field + "[" + i + "]", "expected a non-empty string"));
               }
            }

            return out;
         }
      }
   }

   private static Set<JWSAlgorithm> algorithms(Map<String, Object> config, List<Problem> problems) {
      if (!config.containsKey("algorithms")) {
         return Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
      }

      Set<JWSAlgorithm> out = new LinkedHashSet<>();
      Set<String> names = strings(config, "algorithms", problems);
      int i = 0;

      for (String name : names) {
         JWSAlgorithm alg = JWSAlgorithm.parse(name);
         if (name.equalsIgnoreCase("none") || JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
            problems.add(new Problem("algorithms[" + i + "]", name + " is never accepted with keys from a JWKS"));
         } else if (!SUPPORTED.contains(alg)) {
            problems.add(new Problem("algorithms[" + i + "]", "unsupported algorithm " + name + "; expected RS*, PS* or ES*"));
         } else {
            out.add(alg);
         }

         i++;
      }

      if (names.isEmpty() && problems.isEmpty()) {
         problems.add(new Problem("algorithms", "expected at least one algorithm"));
      }

      return out;
   }

   static Duration duration(Map<String, Object> config, String field, Duration fallback, Duration max, List<Problem> problems) {
      if (!config.containsKey(field)) {
         return fallback;
      } else {
         Object value = config.get(field);
         Duration parsed = value instanceof Long n && n >= 0L
            ? Duration.ofSeconds(n)
            : (value instanceof Integer n && n >= 0 ? Duration.ofSeconds(n.intValue()) : (value instanceof String s ? parseDuration(s.trim()) : null));
         if (parsed == null) {
            problems.add(new Problem(field, "expected a duration such as 30s, 5m, 1h or 250ms"));
            return fallback;
         } else if (parsed.compareTo(max) > 0) {
            problems.add(new Problem(field, "must be at most " + max.toString().substring(2).toLowerCase(Locale.ROOT)));
            return fallback;
         } else {
            return parsed;
         }
      }
   }

   private static Duration parseDuration(String s) {
      int unitAt = 0;

      while (unitAt < s.length() && Character.isDigit(s.charAt(unitAt))) {
         unitAt++;
      }

      if (unitAt != 0 && unitAt <= 9) {
         long n = Long.parseLong(s.substring(0, unitAt));

         return switch (s.substring(unitAt)) {
            case "ms" -> Duration.ofMillis(n);
            case "s", "" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> null;
         };
      } else {
         return null;
      }
   }

   private static boolean isPemCertificates(String pem) {
      if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
         return false;
      }

      try {
         return !CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).isEmpty();
      } catch (CertificateException e) {
         return false;
      }
   }
}
