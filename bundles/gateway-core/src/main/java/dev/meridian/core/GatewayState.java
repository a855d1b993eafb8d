package dev.meridian.core;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

import dev.meridian.model.ApiDefinition;

/**
 * What a revision serves: its number and its API definitions by id. Immutable.
 *
 * @param revision cluster-wide revision number, 0 = no state
 * @param apis definitions by id, sorted by id
 */
public record GatewayState(long revision, Map<String, ApiDefinition> apis) {

    public static final GatewayState EMPTY = new GatewayState(0, Map.of());

    public GatewayState {
        if (revision < 0) {
            throw new IllegalArgumentException("revision must be >= 0");
        }
        apis = java.util.Collections.unmodifiableMap(new TreeMap<>(apis));
    }

    public static GatewayState of(long revision, Collection<ApiDefinition> apis) {
        Map<String, ApiDefinition> byId = new TreeMap<>();
        apis.forEach(api -> byId.put(api.id(), api));
        return new GatewayState(revision, byId);
    }

    public GatewayState withRevision(long newRevision) {
        return new GatewayState(newRevision, apis);
    }
}
