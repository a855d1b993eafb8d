package dev.meridian.policy.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

final class KeySnapshot {
   private final byte[] raw;
   private final long fetchedAt;
   private final Map<String, List<KeySnapshot.Key>> byKid;
   private final List<KeySnapshot.Key> all;

   private KeySnapshot(byte[] raw, long fetchedAt, List<KeySnapshot.Key> keys) {
      this.raw = raw;
      this.fetchedAt = fetchedAt;
      this.all = List.copyOf(keys);
      Map<String, List<KeySnapshot.Key>> index = new HashMap<>();

      for (KeySnapshot.Key key : keys) {
         if (key.jwk().getKeyID() != null) {
            index.computeIfAbsent(key.jwk().getKeyID(), k -> new ArrayList<>(1)).add(key);
         }
      }

      index.replaceAll((kid, list) -> List.copyOf((Collection<? extends KeySnapshot.Key>)list));
      this.byKid = Map.copyOf(index);
   }

   long fetchedAt() {
      return this.fetchedAt;
   }

   List<KeySnapshot.Key> keys(String kid) {
      return kid == null ? this.all : this.byKid.getOrDefault(kid, List.of());
   }

   boolean knows(String kid) {
      return kid == null ? !this.all.isEmpty() : this.byKid.containsKey(kid);
   }

   int publishedCount() {
      return (int)this.all.stream().filter(k -> !k.retired()).count();
   }

   byte[] raw() {
      return (byte[])this.raw.clone();
   }

   boolean sameDocument(byte[] other) {
      return Arrays.equals(this.raw, other);
   }

   static KeySnapshot decode(byte[] raw) throws ParseException {
      Map<String, Object> doc = JSONObjectUtils.parse(new String(raw, StandardCharsets.UTF_8));
      long fetchedAt = JSONObjectUtils.getLong(doc, "fetchedAt");
      List<KeySnapshot.Key> keys = new ArrayList<>();

      for (Map<String, Object> jwk : JSONObjectUtils.getJSONObjectArray(doc, "keys")) {
         addKey(keys, JWK.parse(jwk), Long.MAX_VALUE);
      }

      Map<String, Object>[] retired = JSONObjectUtils.getJSONObjectArray(doc, "retired");

      for (Map<String, Object> entry : retired == null ? List.<Map<String, Object>>of() : Arrays.asList(retired)) {
         addKey(keys, JWK.parse(JSONObjectUtils.getJSONObject(entry, "key")), JSONObjectUtils.getLong(entry, "removedAt"));
      }

      return new KeySnapshot((byte[])raw.clone(), fetchedAt, keys);
   }

   static KeySnapshot fromFetch(JWKSet fetched, long fetchedAt, KeySnapshot previous, long keepRetired) throws ParseException {
      List<Map<String, Object>> published = new ArrayList<>();
      List<String> publishedIds = new ArrayList<>();

      for (JWK jwk : fetched.getKeys()) {
         JWK pub = jwk.toPublicJWK();
         if (pub != null && verifier(pub) != null) {
            published.add(pub.toJSONObject());
            publishedIds.add(identity(pub));
         }
      }

      if (published.isEmpty()) {
         throw new ParseException("the JWKS holds no RSA or EC signing key", 0);
      }

      List<Map<String, Object>> retired = new ArrayList<>();
      if (previous != null) {
         for (KeySnapshot.Key key : previous.all) {
            String id = identity(key.jwk());
            long removedAt = key.retired() ? key.removedAt() : fetchedAt;
            if (!publishedIds.contains(id) && fetchedAt - removedAt <= keepRetired) {
               Map<String, Object> entry = new LinkedHashMap<>();
               entry.put("removedAt", removedAt);
               entry.put("key", key.jwk().toJSONObject());
               retired.add(entry);
            }
         }
      }

      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("fetchedAt", fetchedAt);
      doc.put("keys", published);
      doc.put("retired", retired);
      return decode(JSONObjectUtils.toJSONString(doc).getBytes(StandardCharsets.UTF_8));
   }

   private static void addKey(List<KeySnapshot.Key> keys, JWK jwk, long removedAt) {
      JWSVerifier verifier = verifier(jwk);
      if (verifier != null) {
         keys.add(new KeySnapshot.Key(jwk, verifier, removedAt));
      }
   }

   private static JWSVerifier verifier(JWK jwk) {
      if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
         return null;
      }

      try {
         if (jwk instanceof RSAKey rsa && !rsa.isPrivate()) {
            return new RSASSAVerifier(rsa);
         } else {
            return jwk instanceof ECKey ec && !ec.isPrivate() ? new ECDSAVerifier(ec) : null;
         }
      } catch (JOSEException e) {
         return null;
      }
   }

   private static String identity(JWK jwk) {
      try {
         return jwk.getKeyID() + "#" + jwk.computeThumbprint();
      } catch (JOSEException e) {
         return jwk.getKeyID() + "#" + jwk.toJSONString();
      }
   }

   @Override
   public String toString() {
      return "KeySnapshot[fetchedAt=" + this.fetchedAt + ", keys=" + this.all.size() + "]";
   }

   @Override
   public boolean equals(Object o) {
      return o instanceof KeySnapshot other && Arrays.equals(this.raw, other.raw);
   }

   @Override
   public int hashCode() {
      return Objects.hash(Arrays.hashCode(this.raw));
   }

   record Key(JWK jwk, JWSVerifier verifier, long removedAt) {
      boolean retired() {
         return this.removedAt != Long.MAX_VALUE;
      }

      boolean fits(JWSAlgorithm alg) {
         return this.verifier.supportedJWSAlgorithms().contains(alg)
            && (this.jwk.getAlgorithm() == null || this.jwk.getAlgorithm().getName().equals(alg.getName()));
      }
   }
}
