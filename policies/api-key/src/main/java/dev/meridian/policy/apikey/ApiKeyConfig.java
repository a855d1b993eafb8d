package dev.meridian.policy.apikey;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

record ApiKeyConfig(String header, String query, Set<String> allow) {
   static final String DEFAULT_HEADER = "X-Api-Key";
   private static final Set<String> FIELDS = Set.of("header", "query", "allow");
   private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
   private static final Pattern PARAM = Pattern.compile("[A-Za-z0-9._~-]{1,64}");
   private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

   ApiKeyConfig {
      Objects.requireNonNull(header, "header");
      Objects.requireNonNull(query, "query");
      if (header.isEmpty() == query.isEmpty()) {
         throw new IllegalArgumentException("exactly one of header and query");
      }

      allow = Set.copyOf(allow);
   }

   boolean inQuery() {
      return !this.query.isEmpty();
   }

   static ApiKeyConfig parse(Map<String, Object> config) throws PolicyConfigException {
      List<Problem> problems = new ArrayList<>();
      config.keySet()
         .stream()
         .filter(k -> !FIELDS.contains(k))
         .sorted()
         .forEach(k -> problems.add(new Problem(k, "unknown field (api-key takes header or query, and allow)")));
      if (config.containsKey("header") && config.containsKey("query")) {
         problems.add(new Problem("", "header and query exclude each other: the key is looked for in one place"));
      }

      String header = text(config, "header", TOKEN, "an HTTP header name", problems);
      String query = text(config, "query", PARAM, "a query parameter name of 1-64 of A-Z a-z 0-9 . _ ~ -", problems);
      Set<String> allow = new LinkedHashSet<>();
      if (config.get("allow") instanceof List<?> list) {
         for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof String s && NAME.matcher(s).matches()) {
               allow.add(s);
            } else {
               problems.add(new Problem("allow[" + i + "]", "expected a consumer id or group ([a-z0-9][a-z0-9-]{0,63})"));
            }
         }

         if (list.isEmpty()) {
            problems.add(new Problem("allow", "an empty list lets nobody through: leave allow out for any known consumer"));
         }
      } else if (config.containsKey("allow")) {
         problems.add(new Problem("allow", "expected a list of consumer ids or groups"));
      }

      if (!problems.isEmpty()) {
         throw new PolicyConfigException(problems);
      }

      if (header.isEmpty() && query.isEmpty()) {
         header = "X-Api-Key";
      }

      return new ApiKeyConfig(header, query, allow);
   }

   private static String text(Map<String, Object> config, String field, Pattern valid, String what, List<Problem> problems) {
      if (!config.containsKey(field)) {
         return "";
      } else if (config.get(field) instanceof String s && valid.matcher(s).matches()) {
         return s;
      } else {
         problems.add(new Problem(field, "expected " + what));
         return "";
      }
   }
}
