package dev.meridian.policy.cors;

import dev.meridian.policy.api.PolicyResponse;
import java.util.List;

final class Vary {
   private static final String ORIGIN = "Origin";

   private Vary() {
   }

   static void addOrigin(PolicyResponse response) {
      List<String> lines = response.headers("Vary");

      for (String line : lines) {
         if (names(line, "Origin") || names(line, "*")) {
            return;
         }
      }

      if (lines.isEmpty()) {
         response.setHeader("Vary", "Origin");
      } else if (lines.size() == 1 && !lines.get(0).isBlank()) {
         response.setHeader("Vary", lines.get(0).strip() + ", Origin");
      } else {
         response.addHeader("Vary", "Origin");
      }
   }

   static boolean names(String line, String name) {
      int i = 0;
      int n = line.length();

      while (i < n) {
         while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t' || line.charAt(i) == ',')) {
            i++;
         }

         int start = i;

         while (i < n && line.charAt(i) != ',') {
            i++;
         }

         int end = i;

         while (end > start && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
            end--;
         }

         if (end - start == name.length() && line.regionMatches(true, start, name, 0, name.length())) {
            return true;
         }
      }

      return false;
   }
}
