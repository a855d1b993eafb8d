package dev.meridian.policy.ipfilter;

import java.util.Map;

import org.osgi.service.component.annotations.Component;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyFactory;

/**
 * Provides the {@code ip-filter} policy type. Needs nothing from the {@link dev.meridian.policy.api.PolicyContext}:
 * the client address comes with each request, resolved by the gateway against its trusted proxies.
 */
@Component(service = PolicyFactory.class, property = PolicyFactory.TYPE_PROPERTY + "=" + IpFilterFactory.TYPE)
public final class IpFilterFactory implements PolicyFactory {

    static final String TYPE = "ip-filter";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Policy create(Map<String, Object> config) throws PolicyConfigException {
        return new IpFilterPolicy(IpFilterConfig.parse(config));
    }
}
