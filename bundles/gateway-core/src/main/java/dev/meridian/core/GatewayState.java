package dev.meridian.core;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.ConsumerDefinition;

/**
 * What a revision serves: its number, its API definitions and its consumers (CONTRACT §8), each by
 * id. Immutable.
 *
 * @param revision cluster-wide revision number, 0 = no state
 * @param apis definitions by id, sorted by id
 * @param consumers consumers by id, sorted by id; their keys hashed
 * @param canary when this revision is a canary: its stable side and policy (else null)
 */
public record GatewayState(long revision, Map<String, ApiDefinition> apis, Map<String, ConsumerDefinition> consumers,
                           Canary canary) {

    public static final GatewayState EMPTY = new GatewayState(0, Map.of());

    public GatewayState {
        if (revision < 0) {
            throw new IllegalArgumentException("revision must be >= 0");
        }
        apis = Collections.unmodifiableMap(new TreeMap<>(apis));
        consumers = Collections.unmodifiableMap(new TreeMap<>(consumers));
        if (canary != null && canary.stableRevision() > revision) {
            throw new IllegalArgumentException("a canary's stable revision precedes it: " + canary.stableRevision()
                + " > " + revision);
        }
    }

    /** A state that is no canary. */
    public GatewayState(long revision, Map<String, ApiDefinition> apis, Map<String, ConsumerDefinition> consumers) {
        this(revision, apis, consumers, null);
    }

    /** A state without consumers. */
    public GatewayState(long revision, Map<String, ApiDefinition> apis) {
        this(revision, apis, Map.of());
    }

    public static GatewayState of(long revision, Collection<ApiDefinition> apis) {
        return of(revision, apis, List.of());
    }

    public static GatewayState of(long revision, Collection<ApiDefinition> apis, Collection<ConsumerDefinition> consumers) {
        Map<String, ApiDefinition> byId = new TreeMap<>();
        apis.forEach(api -> byId.put(api.id(), api));
        Map<String, ConsumerDefinition> consumersById = new TreeMap<>();
        consumers.forEach(c -> consumersById.put(c.id(), c));
        return new GatewayState(revision, byId, consumersById);
    }

    public GatewayState withRevision(long newRevision) {
        return new GatewayState(newRevision, apis, consumers, canary);
    }

    /** This state with other APIs, the same consumers. */
    public GatewayState withApis(Map<String, ApiDefinition> newApis) {
        return new GatewayState(revision, newApis, consumers, canary);
    }

    /** This state with other consumers, the same APIs. */
    public GatewayState withConsumers(Map<String, ConsumerDefinition> newConsumers) {
        return new GatewayState(revision, apis, newConsumers, canary);
    }

    /** This state as a canary beside {@code stable} (or, with null, as no canary). */
    public GatewayState withCanary(Canary newCanary) {
        return new GatewayState(revision, apis, consumers, newCanary);
    }
}
