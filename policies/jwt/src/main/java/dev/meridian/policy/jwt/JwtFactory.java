package dev.meridian.policy.jwt;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.osgi.service.component.annotations.Component;

@Component(service = PolicyFactory.class, property = "meridian.policy.type=jwt")
public final class JwtFactory implements PolicyFactory {
   static final String TYPE = "jwt";
   static final String STATE = "jwt.jwks";
   private final ConcurrentMap<KeySourceId, KeySource> sources = new ConcurrentHashMap<>();

   public String type() {
      return "jwt";
   }

   public Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
      JwtConfig parsed = JwtConfig.parse(config);
      KeySource source = this.sources
         .computeIfAbsent(
            parsed.source(),
            id -> new KeySource(
                  id,
                  context.state("jwt.jwks"),
                  new JwksFetcher(context.http()),
                  context.scheduler(),
                  context.clock(),
                  context.nodeName(),
                  parsed.refreshInterval()
               )
               .start()
         );
      source.refreshEvery(parsed.refreshInterval());
      return new JwtPolicy(parsed, source, context.clock());
   }
}
