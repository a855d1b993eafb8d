/**
 * The {@code oauth2-introspection} policy (RFC 7662). Private to its bundle: the engine sees only
 * the {@link dev.meridian.policy.api.PolicyFactory} service it registers. Answers live in the
 * cluster ({@link dev.meridian.policy.api.SharedState}) as bytes this package encodes itself, so
 * an update of the bundle strands nothing and a joining node finds them.
 */
package dev.meridian.policy.introspection;
