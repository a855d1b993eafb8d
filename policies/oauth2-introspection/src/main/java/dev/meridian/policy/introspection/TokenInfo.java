package dev.meridian.policy.introspection;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

record TokenInfo(boolean active, String sub, String clientId, String username, String scope, long exp, long iat, long fetchedAt) {
   private static final byte VERSION = 1;
   static final int MAX_CLAIM = 4096;

   static TokenInfo inactive(long fetchedAt) {
      return new TokenInfo(false, "", "", "", "", 0L, 0L, fetchedAt);
   }

   Optional<String> consumer(String claim) {
      String v = switch (claim) {
         case "client_id" -> this.clientId;
         case "username" -> this.username;
         default -> this.sub;
      };
      if (v.isEmpty()) {
         v = this.clientId;
      }

      return v.isEmpty() ? Optional.empty() : Optional.of(v);
   }

   boolean hasScopes(Set<String> required) {
      if (required.isEmpty()) {
         return true;
      }

      Set<String> granted = Set.of(Arrays.stream(this.scope.split(" ")).filter(s -> !s.isEmpty()).distinct().toArray(String[]::new));
      return granted.containsAll(required);
   }

   boolean expired(long nowMillis) {
      return this.exp > 0L && this.exp * 1000L <= nowMillis;
   }

   byte[] encode() {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + this.sub.length() + this.clientId.length() + this.scope.length());

      try (DataOutputStream out = new DataOutputStream(bytes)) {
         out.writeByte(1);
         out.writeBoolean(this.active);
         out.writeLong(this.exp);
         out.writeLong(this.iat);
         out.writeLong(this.fetchedAt);
         out.writeUTF(cut(this.sub));
         out.writeUTF(cut(this.clientId));
         out.writeUTF(cut(this.username));
         out.writeUTF(cut(this.scope));
      } catch (IOException e) {
         throw new UncheckedIOException(e);
      }

      return bytes.toByteArray();
   }

   static Optional<TokenInfo> decode(byte[] value) {
      if (value.length >= 1 && value[0] == 1) {
         try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value, 1, value.length - 1))) {
            boolean active = in.readBoolean();
            long exp = in.readLong();
            long iat = in.readLong();
            long fetchedAt = in.readLong();
            TokenInfo info = new TokenInfo(active, in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), exp, iat, fetchedAt);
            return in.available() == 0 ? Optional.of(info) : Optional.empty();
         } catch (IOException e) {
            return Optional.empty();
         }
      } else {
         return Optional.empty();
      }
   }

   private static String cut(String s) {
      return s.length() <= 4096 ? s : s.substring(0, 4096);
   }
}
