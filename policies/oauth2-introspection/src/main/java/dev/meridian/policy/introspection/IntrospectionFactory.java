package dev.meridian.policy.introspection;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyFactory;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

@Component(service = PolicyFactory.class, property = "meridian.policy.type=oauth2-introspection")
public final class IntrospectionFactory implements PolicyFactory {
   static final String TYPE = "oauth2-introspection";
   static final String STATE = "introspection";

   public String type() {
      return "oauth2-introspection";
   }

   public Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
      IntrospectionConfig c = IntrospectionConfig.parse(config);
      IdentityProvider idp = new IdentityProvider(context.http(), c, context.clock());
      SharedLookup lookup = new SharedLookup(
         context.state("introspection"),
         context.scheduler(),
         context.clock(),
         context.nodeName(),
         new SharedLookup.Freshness(c.cacheTtl(), c.inactiveTtl()),
         c.timeout(),
         idp::introspect
      );
      RevocationView revocations = new RevocationView(context.state("introspection"));
      revocations.ensureExists();
      return new IntrospectionPolicy(c, lookup, revocations, context.clock());
   }
}
