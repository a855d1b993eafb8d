package dev.meridian.manager;

import java.util.List;

/**
 * The outcome of a call that may change state.
 *
 * @param revision the revision now current (the new one, or the unchanged current one)
 * @param changed whether a revision was created
 */
public record Change(long revision, boolean changed, List<String> added, List<String> updated, List<String> removed) {

    public Change {
        added = List.copyOf(added);
        updated = List.copyOf(updated);
        removed = List.copyOf(removed);
    }
}
