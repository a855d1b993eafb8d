/**
 * The {@code cors} policy: answers CORS preflights at the edge of the chain (before any
 * authentication) and writes the {@code Access-Control-*} headers of actual cross-origin answers.
 * Private to its bundle: the engine sees only the {@link dev.meridian.policy.api.PolicyFactory}
 * service it registers.
 */
package dev.meridian.policy.cors;
