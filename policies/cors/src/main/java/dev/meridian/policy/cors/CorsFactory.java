package dev.meridian.policy.cors;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyFactory;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

@Component(service = PolicyFactory.class, property = "meridian.policy.type=cors")
public final class CorsFactory implements PolicyFactory {
   static final String TYPE = "cors";

   public String type() {
      return "cors";
   }

   public Policy create(Map<String, Object> config) throws PolicyConfigException {
      return new CorsPolicy(CorsConfig.parse(config));
   }
}
