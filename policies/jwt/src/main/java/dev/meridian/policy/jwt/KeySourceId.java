package dev.meridian.policy.jwt;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

record KeySourceId(URI url, boolean discovery, Optional<String> ca) {
   KeySourceId {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(ca, "ca");
   }

   static KeySourceId jwks(URI url, String ca) {
      return new KeySourceId(url, false, Optional.ofNullable(ca));
   }

   static KeySourceId discovery(URI issuer, String ca) {
      return new KeySourceId(issuer, true, Optional.ofNullable(ca));
   }

   String documentKey() {
      return (this.discovery ? "oidc:" : "jwks:") + this.url;
   }

   String leaseKey() {
      return "lease:" + this.documentKey();
   }

   URI discoveryUrl() {
      String base = this.url.toString();
      return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/.well-known/openid-configuration");
   }

   @Override
   public String toString() {
      return this.documentKey();
   }
}
