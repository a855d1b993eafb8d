package dev.meridian.core;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.CanaryPolicy;

/**
 * A revision applied as a canary (CONTRACT §8, issue 13): the revision's APIs serve a sticky
 * share of requests on every node, the stable revision's APIs the rest. The stable side travels
 * with the canary's revision (in its state, its payload and its file), so a node that starts or
 * joins during the canary serves both sides without reading another revision.
 *
 * <p>Consumers are one registry for both sides (policies look them up in the newest table): a
 * canary never changes them, and a consumer change during a canary reaches both sides.
 *
 * @param policy share, stickiness, window and limits
 * @param stableRevision the revision the rest of the traffic stays on
 * @param stableApis that revision's APIs, by id
 * @param startedAt when the canary was committed
 * @param user who started it
 */
public record Canary(CanaryPolicy policy, long stableRevision, Map<String, ApiDefinition> stableApis, Instant startedAt,
                     String user) {

    public Canary {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(user, "user");
        stableApis = Collections.unmodifiableMap(new TreeMap<>(stableApis));
    }

    /** The stable side's state: its revision and APIs with {@code consumers} (those of the canary's state). */
    public GatewayState stableState(GatewayState canaryState) {
        return new GatewayState(stableRevision, stableApis, canaryState.consumers());
    }

    /**
     * The salt of every sticky key's bucket: the stable revision, the same for the canary's whole
     * life (a consumer change during the canary makes a newer revision of it, which must not
     * reshuffle users) and on every node; each canary draws its own slice (a canary starts from a
     * newer stable revision than the last), so the same users are not always the guinea pigs.
     */
    public String salt() {
        return "canary:" + stableRevision;
    }
}
