package dev.meridian.policy.ipfilter;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import java.util.Objects;

final class IpFilterPolicy implements Policy {
   static final String REFUSED = "client address not allowed";
   static final String UNKNOWN = "client address not recognised";
   private final IpFilterConfig config;

   IpFilterPolicy(IpFilterConfig config) {
      this.config = Objects.requireNonNull(config, "config");
   }

   public int order() {
      return -1000;
   }

   public Decision onRequest(PolicyRequest request) {
      IpAddress client = IpAddress.parseClient(request.clientAddress());
      if (client == null) {
         return Decision.reject(403, "client address not recognised");
      } else if (this.config.deny().contains(client)) {
         return Decision.reject(403, "client address not allowed");
      } else {
         return this.config.allow().isPresent() && !this.config.allow().get().contains(client)
            ? Decision.reject(403, "client address not allowed")
            : Decision.proceed();
      }
   }

   @Override
   public String toString() {
      return "ip-filter{allow=" + this.config.allow().map(set -> set.blocks() + " blocks").orElse("all") + ", deny=" + this.config.deny().blocks() + " blocks}";
   }
}
