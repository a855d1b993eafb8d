/**
 * The {@code ip-filter} policy: IPv4 and IPv6 CIDR allow and deny lists checked against the
 * client address (behind trusted proxies). Private to its bundle: the engine sees only the
 * {@link dev.meridian.policy.api.PolicyFactory} service it registers.
 */
package dev.meridian.policy.ipfilter;
