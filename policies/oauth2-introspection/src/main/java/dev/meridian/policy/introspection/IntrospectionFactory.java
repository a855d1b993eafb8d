package dev.meridian.policy.introspection;

import java.util.Map;

import org.osgi.service.component.annotations.Component;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyFactory;

/**
 * Provides the {@code oauth2-introspection} policy type. Every policy it creates shares the
 * cluster's answers and revocations through the context's {@link dev.meridian.policy.api.SharedState}
 * spaces, so a new revision or a new build of this bundle starts warm.
 */
@Component(service = PolicyFactory.class, property = PolicyFactory.TYPE_PROPERTY + "=" + IntrospectionFactory.TYPE)
public final class IntrospectionFactory implements PolicyFactory {

    static final String TYPE = "oauth2-introspection";
    /** Introspection answers by token digest (and IdP), with their leases. */
    static final String ANSWERS = TYPE + ".answers";
    /**
     * The revocation list, written by the admin API ({@code POST /api/v1/introspection/revoke} in
     * gateway-manager, which opens the same name).
     */
    static final String REVOCATIONS = TYPE + ".revocations";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
        IntrospectionConfig c = IntrospectionConfig.parse(config);
        IdentityProvider idp = new IdentityProvider(context.http(), c, context.clock());
        SharedLookup lookup = new SharedLookup(context.state(ANSWERS), context.scheduler(), context.clock(),
            context.nodeName(), new SharedLookup.Freshness(c.cacheTtl(), c.inactiveTtl()), c.timeout(), idp::introspect);
        return new IntrospectionPolicy(c, lookup, new RevocationView(context.state(REVOCATIONS)), context.clock());
    }
}
