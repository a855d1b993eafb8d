package dev.meridian.policy.jwt;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.osgi.service.component.annotations.Component;

import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyFactory;

/**
 * Provides the {@code jwt} policy type: bearer tokens verified against an issuer's JWKS.
 *
 * <p>The factory, not the compiled policies, owns the {@link KeySource}s, one per source: every
 * entry, API and revision that names the same JWKS shares its keys, so an apply compiles new
 * policies around keys already held and fetches nothing. The keys themselves live in the
 * cluster ({@value #STATE}), so the factory of an updated bundle starts warm too.
 */
@Component(service = PolicyFactory.class, property = PolicyFactory.TYPE_PROPERTY + "=" + JwtFactory.TYPE)
public final class JwtFactory implements PolicyFactory {

    static final String TYPE = "jwt";
    /** The shared-state space: the key documents and the refetch leases. */
    static final String STATE = "jwt.jwks";

    private final ConcurrentMap<KeySourceId, KeySource> sources = new ConcurrentHashMap<>();

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
        JwtConfig parsed = JwtConfig.parse(config);
        KeySource source = sources.computeIfAbsent(parsed.source(), id -> new KeySource(id, context.state(STATE),
            new JwksFetcher(context.http()), context.scheduler(), context.clock(), context.nodeName(),
            parsed.refreshInterval(), parsed.minRefetchInterval()).start());
        source.configure(parsed.refreshInterval(), parsed.minRefetchInterval());
        return new JwtPolicy(parsed, source, context.clock());
    }
}
