package dev.meridian.policy.introspection;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

final class Revocations {
   static final String KEY = "revocations";
   static final String HEADER = "meridian-revocations 1 ";
   static final byte[] EMPTY = "meridian-revocations 1 0\n".getBytes(StandardCharsets.UTF_8);
   static final Revocations NONE = parse(EMPTY);
   private final byte[] header;
   private final Map<String, Long> markers;

   private Revocations(byte[] header, Map<String, Long> markers) {
      this.header = header;
      this.markers = markers;
   }

   static Revocations parse(byte[] value) {
      String text = new String(value, StandardCharsets.UTF_8);
      int end = text.indexOf(10);
      String first = end < 0 ? text : text.substring(0, end);
      Map<String, Long> markers = new HashMap<>();
      if (first.startsWith("meridian-revocations 1 ") && end >= 0) {
         for (String line : text.substring(end + 1).split("\n")) {
            String[] f = line.split(" ", 3);
            if (f.length == 3 && (f[0].equals("token") || f[0].equals("sub") || f[0].equals("client"))) {
               try {
                  markers.merge(f[0] + " " + URLDecoder.decode(f[2], StandardCharsets.UTF_8), Long.parseLong(f[1]), Math::max);
               } catch (IllegalArgumentException var11) {
               }
            }
         }
      }

      return new Revocations(first.getBytes(StandardCharsets.UTF_8), Map.copyOf(markers));
   }

   boolean sameAs(byte[] value) {
      if (value.length > this.header.length && value[this.header.length] == 10) {
         for (int i = this.header.length - 1; i >= 0; i--) {
            if (value[i] != this.header[i]) {
               return false;
            }
         }

         return true;
      } else {
         return false;
      }
   }

   boolean revokes(String tokenHash, TokenInfo info) {
      if (this.markers.isEmpty()) {
         return false;
      }

      if (this.markers.containsKey("token " + tokenHash)) {
         return true;
      }

      long issued = info.iat() > 0L ? info.iat() * 1000L : info.fetchedAt();
      return this.before(issued, "sub", info.sub()) || this.before(issued, "client", info.clientId());
   }

   int size() {
      return this.markers.size();
   }

   private boolean before(long issued, String kind, String value) {
      if (value.isEmpty()) {
         return false;
      }

      Long at = this.markers.get(kind + " " + value);
      return at != null && issued <= at;
   }
}
