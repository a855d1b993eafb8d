/**
 * The {@code api-key} policy (CONTRACT §8): the consumer from an API key in a header or the query.
 * Private to its bundle: the engine sees only the {@link dev.meridian.policy.api.PolicyFactory}
 * service it registers.
 */
package dev.meridian.policy.apikey;
