package dev.meridian.manager.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.meridian.core.GatewayState;
import dev.meridian.manager.Change;
import dev.meridian.model.ApiDefinition;

/** What a change does to a state: the ids it adds, updates (by meaning, not spelling) and removes. */
final class StateDiff {

    private StateDiff() {
    }

    /**
     * @param revision the revision the change would create
     * @param forCommit when nothing changes, answer {@code base}'s revision (no revision is made)
     */
    static Change between(GatewayState base, Map<String, ApiDefinition> next, long revision, boolean forCommit) {
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
        boolean changed = !added.isEmpty() || !updated.isEmpty() || !removed.isEmpty();
        return new Change(changed || !forCommit ? revision : base.revision(), changed, added.stream().sorted().toList(),
            updated.stream().sorted().toList(), removed.stream().sorted().toList());
    }

    /** The definitions of {@code next} that {@code base} does not hold as they are: the ones to check. */
    static List<ApiDefinition> changedApis(GatewayState base, Map<String, ApiDefinition> next) {
        return next.values().stream().filter(api -> !api.equals(base.apis().get(api.id()))).toList();
    }
}
