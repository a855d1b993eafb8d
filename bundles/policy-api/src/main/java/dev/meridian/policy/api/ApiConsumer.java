package dev.meridian.policy.api;

import java.util.Objects;
import java.util.Set;

/**
 * A known consumer as policies see it: its id, its groups and (when found by a key) the id of
 * the key that matched. Never carries a secret.
 *
 * @param id the consumer's id (what {@link PolicyRequest#CONSUMER} is set to)
 * @param groups the groups it belongs to, for {@code allow} lists
 * @param keyId the matching key's id, or empty when looked up by id
 * @since 1.2
 */
public record ApiConsumer(String id, Set<String> groups, String keyId) {

    public ApiConsumer {
        Objects.requireNonNull(id, "id");
        groups = Set.copyOf(groups);
        Objects.requireNonNull(keyId, "keyId");
    }

    /** Whether this consumer is {@code name} or belongs to the group {@code name}. */
    public boolean is(String name) {
        return id.equals(name) || groups.contains(name);
    }
}
