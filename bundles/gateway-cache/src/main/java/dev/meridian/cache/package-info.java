/**
 * The HTTP caching rules of Meridian's response cache (CONTRACT §6), free of any server,
 * Camel or Hazelcast type: the validated {@code cache:} block as {@link
 * dev.meridian.cache.CacheRules}, RFC 9111 storability, freshness and age, cache keys,
 * tags, and the byte encoding of a stored response.
 *
 * <p>Everything here is immutable or stateless and safe to share across threads; nothing
 * blocks, and the per-request methods avoid regular expressions and streams.
 */
@Export
@Version("2.2.0")
package dev.meridian.cache;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
