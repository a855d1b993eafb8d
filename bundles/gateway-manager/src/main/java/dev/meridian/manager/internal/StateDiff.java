package dev.meridian.manager.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.meridian.core.GatewayState;
import dev.meridian.manager.Change;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.ConsumerDefinition;

/** What a change does to a state: the ids it adds, updates (by meaning, not spelling) and removes. */
final class StateDiff {

    /** How a consumer is named in a change's lists, the revision history and the audit. */
    static final String CONSUMER = "consumer:";

    private StateDiff() {
    }

    /**
     * @param revision the revision the change would create
     * @param forCommit when nothing changes, answer {@code base}'s revision (no revision is made)
     */
    static Change between(GatewayState base, Map<String, ApiDefinition> next, long revision, boolean forCommit) {
        return between(base, base.withApis(next), revision, forCommit);
    }

    /**
     * As {@link #between(GatewayState, Map, long, boolean)}, with consumers: they are listed as
     * {@code consumer:<id>} (an API id cannot hold a colon), after the APIs.
     */
    static Change between(GatewayState base, GatewayState nextState, long revision, boolean forCommit) {
        Map<String, ApiDefinition> next = nextState.apis();
        List<String> added = new ArrayList<>();
        List<String> updated = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        next.forEach((id, api) -> {
            ApiDefinition old = base.apis().get(id);
            if (old == null) {
                added.add(id);
            } else if (!old.toTree().equals(api.toTree())) {
                updated.add(id);
            }
        });
        base.apis().keySet().forEach(id -> {
            if (!next.containsKey(id)) {
                removed.add(id);
            }
        });
        added.sort(null);
        updated.sort(null);
        removed.sort(null);
        nextState.consumers().forEach((id, consumer) -> {
            ConsumerDefinition old = base.consumers().get(id);
            if (old == null) {
                added.add(CONSUMER + id);
            } else if (!old.equals(consumer)) {
                updated.add(CONSUMER + id);
            }
        });
        base.consumers().keySet().forEach(id -> {
            if (!nextState.consumers().containsKey(id)) {
                removed.add(CONSUMER + id);
            }
        });
        boolean changed = !added.isEmpty() || !updated.isEmpty() || !removed.isEmpty();
        return new Change(changed || !forCommit ? revision : base.revision(), changed, added, updated, removed);
    }

    /** The definitions of {@code next} that {@code base} does not hold as they are: the ones to check. */
    static List<ApiDefinition> changedApis(GatewayState base, Map<String, ApiDefinition> next) {
        return next.values().stream().filter(api -> !api.equals(base.apis().get(api.id()))).toList();
    }
}
