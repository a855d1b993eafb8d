package dev.meridian.policy.ipfilter;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

record IpFilterConfig(Optional<CidrSet> allow, CidrSet deny) {
   static final String ALLOW = "allow";
   static final String DENY = "deny";
   static final int MAX_BLOCKS = 100000;
   private static final int MAX_ECHO = 64;

   IpFilterConfig {
      Objects.requireNonNull(allow, "allow");
      Objects.requireNonNull(deny, "deny");
   }

   static IpFilterConfig parse(Map<String, Object> config) throws PolicyConfigException {
      Objects.requireNonNull(config, "config");
      List<Problem> problems = new ArrayList<>();

      for (String key : config.keySet()) {
         if (!"allow".equals(key) && !"deny".equals(key)) {
            problems.add(new Problem(key, "unknown field; expected allow or deny"));
         }
      }

      if (!config.containsKey("allow") && !config.containsKey("deny")) {
         problems.add(new Problem("", "at least one of allow, deny is required"));
      }

      List<Cidr> allow = blocks(config, "allow", problems);
      List<Cidr> deny = blocks(config, "deny", problems);
      if (config.containsKey("allow") && config.get("allow") instanceof List<?> list && list.isEmpty()) {
         problems.add(new Problem("allow", "an empty allow list would refuse every address; leave allow out to let every address not denied through"));
      }

      if (!problems.isEmpty()) {
         throw new PolicyConfigException(problems);
      } else {
         return new IpFilterConfig(config.containsKey("allow") ? Optional.of(new CidrSet(allow)) : Optional.empty(), new CidrSet(deny));
      }
   }

   private static List<Cidr> blocks(Map<String, Object> config, String field, List<Problem> problems) {
      if (!config.containsKey(field)) {
         return List.of();
      }

      if (config.get(field) instanceof List<?> list) {
         if (list.size() > 100000) {
            problems.add(new Problem(field, "at most 100000 entries"));
            return List.of();
         }

         List<Cidr> blocks = new ArrayList<>(list.size());

         for (int i = 0; i < list.size(); i++) {
            String at = field + "[" + i + "]";
            if (list.get(i) instanceof String text) {
               try {
                  blocks.add(Cidr.parse(text.strip()));
               } catch (IllegalArgumentException e) {
                  problems.add(new Problem(at, "not a CIDR: " + echo(text) + ": " + e.getMessage()));
               }
            } else {
               problems.add(new Problem(at, "not a CIDR: expected a string such as 10.0.0.0/8 or \"2001:db8::/32\""));
            }
         }

         return blocks;
      } else {
         problems.add(new Problem(field, "expected a list of CIDR blocks or IP addresses"));
         return List.of();
      }
   }

   private static String echo(String text) {
      String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
      return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
   }
}
