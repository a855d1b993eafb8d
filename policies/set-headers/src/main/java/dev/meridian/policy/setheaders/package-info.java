/**
 * The {@code set-headers} policy. Private to its bundle: the engine sees only the
 * {@link dev.meridian.policy.api.PolicyFactory} service it registers.
 */
package dev.meridian.policy.setheaders;
