package dev.meridian.policy.ratelimit;

import java.time.Duration;
import java.util.Map;

import org.osgi.service.component.annotations.Component;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyFactory;

/**
 * Provides the {@code rate-limit} policy type. The factory owns this node's counts (one
 * {@link Limiter}, made with the first context it is given, swept every second on the context's
 * scheduler), so every revision's policies count in the same windows; the cluster-scope counts
 * live in the shared-state space {@value Limiter#STATE}.
 */
@Component(service = PolicyFactory.class, property = PolicyFactory.TYPE_PROPERTY + "=" + RateLimitFactory.TYPE)
public final class RateLimitFactory implements PolicyFactory {

    static final String TYPE = "rate-limit";

    private Limiter limiter;
    private PolicyContext limiterContext;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
        return new RateLimitPolicy(RateLimitConfig.parse(config), limiter(context));
    }

    /** The limiter of {@code context}: the engine gives a factory one context for its lifetime. */
    synchronized Limiter limiter(PolicyContext context) {
        if (limiter == null || limiterContext != context) {
            Limiter made = new Limiter(context.state(Limiter.STATE), context.clock());
            context.scheduler().every(Duration.ofSeconds(1), made::sweep);
            limiter = made;
            limiterContext = context;
        }
        return limiter;
    }
}
