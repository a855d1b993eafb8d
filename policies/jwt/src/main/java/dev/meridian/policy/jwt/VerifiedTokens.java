package dev.meridian.policy.jwt;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

final class VerifiedTokens {
   static final int MAX_ENTRIES = 4096;
   private final ConcurrentMap<String, VerifiedTokens.Verified> entries = new ConcurrentHashMap<>();

   VerifiedTokens.Verified find(String token, KeySnapshot current, long now) {
      VerifiedTokens.Verified verified = this.entries.get(token);
      return verified != null && verified.holds(current, now) ? verified : null;
   }

   void remember(String token, VerifiedTokens.Verified verified) {
      if (this.entries.size() >= 4096) {
         this.entries.clear();
      }

      this.entries.put(token, verified);
   }

   int size() {
      return this.entries.size();
   }

   record Verified(KeySnapshot keys, String consumer, long notBefore, long until) {
      boolean holds(KeySnapshot current, long now) {
         return this.keys == current && now >= this.notBefore && now <= this.until;
      }
   }
}
