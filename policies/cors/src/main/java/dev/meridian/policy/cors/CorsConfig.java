package dev.meridian.policy.cors;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

record CorsConfig(
   boolean anyOrigin,
   Set<String> origins,
   boolean anyMethod,
   Set<String> methods,
   String allowMethods,
   boolean anyHeader,
   Set<String> headers,
   String allowHeaders,
   String exposeHeaders,
   boolean credentials,
   Optional<String> maxAge
) {
   static final String ORIGINS = "origins";
   static final String METHODS = "methods";
   static final String HEADERS = "headers";
   static final String EXPOSE_HEADERS = "exposeHeaders";
   static final String CREDENTIALS = "credentials";
   static final String MAX_AGE = "maxAge";
   static final String ANY = "*";
   private static final List<String> FIELDS = List.of("origins", "methods", "headers", "exposeHeaders", "credentials", "maxAge");
   static final List<String> SAFELISTED_METHODS = List.of("GET", "HEAD", "POST");
   private static final long MAX_AGE_CAP_SECONDS = 86400L;
   private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

   CorsConfig {
      origins = Collections.unmodifiableSet(caseInsensitive(origins));
      methods = Set.copyOf(methods);
      headers = Collections.unmodifiableSet(caseInsensitive(headers));
      Objects.requireNonNull(allowMethods, "allowMethods");
      Objects.requireNonNull(allowHeaders, "allowHeaders");
      Objects.requireNonNull(exposeHeaders, "exposeHeaders");
      Objects.requireNonNull(maxAge, "maxAge");
      if (anyOrigin && credentials) {
         throw new IllegalArgumentException("\"*\" origins cannot go with credentials");
      }
   }

   static CorsConfig parse(Map<String, Object> config) throws PolicyConfigException {
      Objects.requireNonNull(config, "config");
      List<Problem> problems = new ArrayList<>();

      for (String key : config.keySet()) {
         if (!FIELDS.contains(key)) {
            problems.add(new Problem(key, "unknown field; expected one of " + String.join(", ", FIELDS)));
         }
      }

      boolean credentials = false;
      if (config.containsKey("credentials")) {
         if (config.get("credentials") instanceof Boolean b) {
            credentials = b;
         } else {
            problems.add(new Problem("credentials", "expected true or false"));
         }
      }

      List<String> origins = origins(config, credentials, problems);
      List<String> methods = tokens(config, "methods", "method", problems);
      List<String> headers = tokens(config, "headers", "header name", problems);
      List<String> expose = tokens(config, "exposeHeaders", "header name", problems);
      if (credentials && expose.contains("*")) {
         problems.add(new Problem("exposeHeaders", "\"*\" exposes every header only without credentials (Fetch); list the headers"));
      }

      Optional<String> maxAge = maxAge(config, problems);
      if (!problems.isEmpty()) {
         throw new PolicyConfigException(problems);
      }

      boolean anyMethod = methods.contains("*");
      List<String> allowMethods = config.containsKey("methods") ? methods : SAFELISTED_METHODS;
      return new CorsConfig(
         origins.contains("*"),
         Set.copyOf(origins),
         anyMethod,
         Set.copyOf(allowMethods),
         String.join(", ", allowMethods),
         headers.contains("*"),
         Set.copyOf(headers),
         String.join(", ", headers),
         String.join(", ", expose),
         credentials,
         maxAge
      );
   }

   private static List<String> origins(Map<String, Object> config, boolean credentials, List<Problem> problems) {
      if (!config.containsKey("origins")) {
         problems.add(new Problem("origins", "required: the origins allowed, e.g. [https://app.example], or [\"*\"]"));
         return List.of();
      }

      List<String> origins = strings(config, "origins", "origin", problems);

      for (int i = 0; i < origins.size(); i++) {
         String text = origins.get(i);
         if (text != null && !"*".equals(text)) {
            try {
               origins.set(i, origin(text));
            } catch (IllegalArgumentException e) {
               problems.add(new Problem("origins[" + i + "]", e.getMessage()));
            }
         }
      }

      if (origins.contains("*") && origins.size() > 1) {
         problems.add(new Problem("origins", "\"*\" allows every origin: list it alone"));
      } else if (origins.contains("*") && credentials) {
         problems.add(new Problem("origins", "\"*\" is not allowed with credentials: true (browsers refuse it); list the origins"));
      }

      return origins;
   }

   static String origin(String text) {
      if ("null".equalsIgnoreCase(text)) {
         throw new IllegalArgumentException("the \"null\" origin (sandboxed frames, file: pages) is never allowed: any page can send it");
      }

      if (text.indexOf(42) >= 0) {
         throw new IllegalArgumentException("wildcards in origins are not supported: list each origin, or \"*\" alone");
      }

      URI uri;
      try {
         uri = new URI(text);
      } catch (URISyntaxException e) {
         throw new IllegalArgumentException("not an origin (scheme://host[:port]): " + e.getReason(), e);
      }

      if (uri.getScheme() != null
         && uri.getHost() != null
         && uri.getRawUserInfo() == null
         && uri.getRawQuery() == null
         && uri.getRawFragment() == null
         && uri.getRawPath().isEmpty()) {
         String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
         int port = uri.getPort();
         boolean defaultPort = "http".equals(scheme) && port == 80 || "https".equals(scheme) && port == 443;
         return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (port >= 0 && !defaultPort ? ":" + port : "");
      } else {
         throw new IllegalArgumentException("not an origin: expected scheme://host[:port] with nothing after it, e.g. https://app.example");
      }
   }

   private static List<String> tokens(Map<String, Object> config, String field, String what, List<Problem> problems) {
      List<String> tokens = strings(config, field, what, problems);

      for (int i = 0; i < tokens.size(); i++) {
         String token = tokens.get(i);
         if (token != null && !"*".equals(token) && !isToken(token)) {
            problems.add(new Problem(field + "[" + i + "]", "not a " + what + ": must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)"));
         }
      }

      if (tokens.contains("*") && tokens.size() > 1) {
         problems.add(new Problem(field, "\"*\" allows every " + what + ": list it alone"));
      }

      return tokens;
   }

   private static List<String> strings(Map<String, Object> config, String field, String what, List<Problem> problems) {
      if (!config.containsKey(field)) {
         return List.of();
      }

      if (config.get(field) instanceof List<?> list && !list.isEmpty()) {
         List<String> strings = new ArrayList<>();

         for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof String s) {
               strings.add(s);
            } else {
               strings.add(null);
               problems.add(new Problem(field + "[" + i + "]", "expected a " + what + " (a string)"));
            }
         }

         return strings;
      } else {
         problems.add(new Problem(field, "expected a non-empty list of " + what + "s"));
         return List.of();
      }
   }

   private static Optional<String> maxAge(Map<String, Object> config, List<Problem> problems) {
      if (!config.containsKey("maxAge")) {
         return Optional.empty();
      }

      Matcher m = config.get("maxAge") instanceof String s ? DURATION.matcher(s) : null;
      if (m != null && m.matches()) {
         long amount = Long.parseLong(m.group(1));

         long seconds = switch (m.group(2)) {
            case "ms" -> amount / 1000L;
            case "s" -> amount;
            case "m" -> amount * 60L;
            default -> amount * 3600L;
         };
         if (seconds > 86400L) {
            problems.add(new Problem("maxAge", "at most 24h (browsers cap it: Firefox 24h, Chromium 2h)"));
            return Optional.empty();
         } else {
            return Optional.of(Long.toString(seconds));
         }
      } else {
         problems.add(new Problem("maxAge", "expected a duration such as 30s, 10m or 1h"));
         return Optional.empty();
      }
   }

   private static Set<String> caseInsensitive(Set<String> values) {
      Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      set.addAll(values);
      return set;
   }

   static boolean isToken(String s) {
      if (s.isEmpty()) {
         return false;
      }

      for (int i = 0; i < s.length(); i++) {
         char c = s.charAt(i);
         boolean token = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
         if (!token) {
            return false;
         }
      }

      return true;
   }
}
