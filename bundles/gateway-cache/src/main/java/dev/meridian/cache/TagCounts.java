package dev.meridian.cache;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many entries this node stored under each tag since the tag was last invalidated; summed
 * over the nodes' acknowledgements into the {@code invalidated} count of an invalidation.
 * Node-local and lock-free, so storing costs no network call. Bounded: past {@code capacity}
 * distinct tags new ones are not counted (the count is then a lower bound). URL tags are not
 * counted (a key invalidation counts URLs).
 */
public final class TagCounts {

    private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final int capacity;

    public TagCounts(int capacity) {
        this.capacity = capacity;
    }

    void add(List<String> tags) {
        for (String tag : tags) {
            if (tag.startsWith("url:")) {
                continue;
            }
            LongAdder n = counts.get(tag);
            if (n == null) {
                if (counts.size() >= capacity) {
                    continue;
                }
                n = counts.computeIfAbsent(tag, t -> new LongAdder());
            }
            n.increment();
        }
    }

    /** The count of {@code tag}, reset to zero. */
    public long take(String tag) {
        LongAdder n = counts.remove(tag);
        return n == null ? 0 : n.sum();
    }
}
