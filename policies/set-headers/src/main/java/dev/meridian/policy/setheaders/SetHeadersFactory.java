package dev.meridian.policy.setheaders;

import java.util.Map;

import org.osgi.service.component.annotations.Component;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyFactory;

/** Provides the {@code set-headers} policy type: remove, set and add request and response headers. */
@Component(service = PolicyFactory.class, property = PolicyFactory.TYPE_PROPERTY + "=" + SetHeadersFactory.TYPE)
public final class SetHeadersFactory implements PolicyFactory {

    static final String TYPE = "set-headers";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Policy create(Map<String, Object> config) throws PolicyConfigException {
        return new SetHeadersPolicy(SetHeadersConfig.parse(config));
    }
}
