package dev.meridian.policy.api;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Creates policies of one type from their configuration. Register one per type as an OSGi
 * service with the property {@value #TYPE_PROPERTY} = the type name, e.g. with DS:
 *
 * <pre>{@code
 * @Component(service = PolicyFactory.class, property = PolicyFactory.TYPE_PROPERTY + "=set-headers")
 * public final class SetHeadersFactory implements PolicyFactory { ... }
 * }</pre>
 *
 * <p>{@link #create} is called at apply time (and for validation dry runs), never per request.
 * It must validate everything it is given and report every problem at once, with paths
 * relative to the policy entry (e.g. {@code request.set.X-Env}).
 */
@ConsumerType
public interface PolicyFactory {

    /** Service property naming the policy type this factory provides. */
    String TYPE_PROPERTY = "meridian.policy.type";

    /** The type name, equal to the {@value #TYPE_PROPERTY} service property. */
    String type();

    /**
     * Builds a thread-safe policy from its configuration: every field of the definition's
     * policy entry except {@code type}, as JSON values ({@code Map}, {@code List}, {@code String},
     * {@code Long}/{@code Double}, {@code Boolean}); immutable.
     *
     * @throws PolicyConfigException naming every invalid field
     */
    default Policy create(Map<String, Object> config) throws PolicyConfigException {
        throw new PolicyConfigException("", "policy type '" + type() + "' needs a Meridian with policy API 1.2 (a PolicyContext)");
    }

    /**
     * As {@link #create(Map)}, with what the gateway offers policies beyond the request (HTTP
     * client, shared state, scheduler, clock, consumers). The engine always calls this one; the
     * default ignores the context, so 1.0/1.1 factories (which implement {@link #create(Map)})
     * keep working. A factory overrides exactly one of the two.
     *
     * @since 1.2
     */
    default Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
        return create(config);
    }
}
