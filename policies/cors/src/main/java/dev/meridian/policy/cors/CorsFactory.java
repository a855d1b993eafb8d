package dev.meridian.policy.cors;

import java.util.Map;

import org.osgi.service.component.annotations.Component;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyFactory;

/**
 * Provides the {@code cors} policy type. Needs nothing from the {@link dev.meridian.policy.api.PolicyContext}
 * (no I/O, no shared state), so it implements the 1.0 form of {@code create}.
 */
@Component(service = PolicyFactory.class, property = PolicyFactory.TYPE_PROPERTY + "=" + CorsFactory.TYPE)
public final class CorsFactory implements PolicyFactory {

    static final String TYPE = "cors";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Policy create(Map<String, Object> config) throws PolicyConfigException {
        return new CorsPolicy(CorsConfig.parse(config));
    }
}
