package dev.meridian.policy.apikey;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyFactory;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

@Component(service = PolicyFactory.class, property = "meridian.policy.type=api-key")
public final class ApiKeyFactory implements PolicyFactory {
   static final String TYPE = "api-key";

   public String type() {
      return "api-key";
   }

   public Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
      return new ApiKeyPolicy(ApiKeyConfig.parse(config), context.consumers());
   }
}
