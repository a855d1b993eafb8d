/**
 * The {@code jwt} policy: bearer tokens verified against keys from a JWKS (or OIDC discovery)
 * that the cluster fetches once and shares. Private to its bundle: the engine sees only the
 * {@link dev.meridian.policy.api.PolicyFactory} service it registers.
 */
package dev.meridian.policy.jwt;
