package dev.meridian.policy.apikey;

import java.util.Map;

import org.osgi.service.component.annotations.Component;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyFactory;

/**
 * Makes {@code api-key} policies. Each holds the context's {@link PolicyContext#consumers()}: the
 * consumers of the newest revision this node serves, so a key revoked by an apply is refused by a
 * policy instance compiled before it (an apply that changes only consumers keeps the instances).
 */
@Component(service = PolicyFactory.class, property = PolicyFactory.TYPE_PROPERTY + "=" + ApiKeyFactory.TYPE)
public final class ApiKeyFactory implements PolicyFactory {

    static final String TYPE = "api-key";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
        return new ApiKeyPolicy(ApiKeyConfig.parse(config), context.consumers());
    }
}
