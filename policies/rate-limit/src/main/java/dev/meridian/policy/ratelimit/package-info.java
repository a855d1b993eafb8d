/**
 * The {@code rate-limit} policy: fixed windows aligned on the epoch, one count per API, key
 * value and window, kept on the node or across the cluster with token leases
 * ({@link dev.meridian.policy.api.SharedState#take}). Private to its bundle: the engine sees only
 * the {@link dev.meridian.policy.api.PolicyFactory} service it registers.
 */
package dev.meridian.policy.ratelimit;
