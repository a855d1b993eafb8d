package dev.meridian.policy.api;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The consumers of the newest revision this node serves (CONTRACT §8), for authenticating
 * policies. Keys are stored hashed; lookups hash the presented key and compare digests, check the
 * key's expiry against the node's clock on every call, and never block. A consumer or key removed
 * or expired by an apply is unknown here as soon as this node publishes that revision, including
 * for requests already in flight on an older one.
 *
 * @since 1.2
 */
@ProviderType
public interface Consumers {

    /** The consumer owning the presented API key, if that key exists and has not expired. */
    Optional<ApiConsumer> byKey(String presentedKey);

    /** The consumer with this id. */
    Optional<ApiConsumer> byId(String id);

    /** How many consumers there are. */
    int size();
}
