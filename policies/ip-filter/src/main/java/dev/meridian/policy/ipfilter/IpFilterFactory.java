package dev.meridian.policy.ipfilter;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyFactory;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

@Component(service = PolicyFactory.class, property = "meridian.policy.type=ip-filter")
public final class IpFilterFactory implements PolicyFactory {
   static final String TYPE = "ip-filter";

   public String type() {
      return "ip-filter";
   }

   public Policy create(Map<String, Object> config) throws PolicyConfigException {
      return new IpFilterPolicy(IpFilterConfig.parse(config));
   }
}
