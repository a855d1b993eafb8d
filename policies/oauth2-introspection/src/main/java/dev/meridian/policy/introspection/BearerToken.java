package dev.meridian.policy.introspection;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

final class BearerToken {
   private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]{1,8192}=*");

   private BearerToken() {
   }

   static Optional<String> from(Optional<String> authorization) {
      if (authorization.isEmpty()) {
         return Optional.empty();
      } else {
         String h = authorization.get();
         if (h.length() >= 8 && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = h.substring(7).strip();
            return B64TOKEN.matcher(token).matches() ? Optional.of(token) : Optional.empty();
         } else {
            return Optional.empty();
         }
      }
   }

   static String sha256(String token) {
      try {
         return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
         throw new IllegalStateException("every JVM has SHA-256", e);
      }
   }
}
