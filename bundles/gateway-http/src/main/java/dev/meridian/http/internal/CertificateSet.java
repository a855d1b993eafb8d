package dev.meridian.http.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import dev.meridian.tls.CertifiedKey;

/**
 * The traffic port's certificates: one {@link CertifiedKey} per pair name ({@code <name>.crt} +
 * {@code <name>.key} in {@code MERIDIAN_TLS_DIR}), in name order. Immutable; {@link #next} builds
 * the set that follows a look at the directory, with the rule that a pair which does not load
 * (half-written, one file missing, key of another certificate) never replaces or removes a pair
 * that loaded before.
 *
 * @param pairs by name, in name order
 */
record CertificateSet(SortedMap<String, CertifiedKey> pairs) {

    static final CertificateSet EMPTY = new CertificateSet(new TreeMap<>());

    CertificateSet {
        pairs = Collections.unmodifiableSortedMap(new TreeMap<>(pairs));
    }

    /** What a look at the directory found for one name: a loaded pair, or why it was refused. */
    record Loaded(CertifiedKey pair, String refusal) {
        static Loaded of(CertifiedKey pair) {
            return new Loaded(pair, null);
        }

        static Loaded refused(String reason) {
            return new Loaded(null, reason);
        }
    }

    /**
     * The set after a look at the directory: what changed ({@code added a [a.test]}, {@code replaced
     * a [...]}, {@code removed b}), logged as one line per reload, and what was refused and why,
     * each a warning of its own.
     */
    record Next(CertificateSet set, List<String> changes, List<String> refusals) {
        boolean changed(CertificateSet before) {
            return !set.equals(before);
        }
    }

    /**
     * Applies a directory scan: a pair that loaded is added or replaces its name's; a refused one
     * keeps its name's previous pair (if any); a name with neither file left is removed. Never
     * empties a set that had pairs: with no loadable pair left, the last ones stay.
     */
    Next next(Map<String, Loaded> scan) {
        TreeMap<String, CertifiedKey> out = new TreeMap<>();
        List<String> changes = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (Map.Entry<String, Loaded> e : new TreeMap<>(scan).entrySet()) {
            String name = e.getKey();
            Loaded loaded = e.getValue();
            CertifiedKey before = pairs.get(name);
            if (loaded.pair() != null) {
                out.put(name, loaded.pair());
                if (before == null) {
                    changes.add("added " + name + " " + loaded.pair().names());
                } else if (!before.equals(loaded.pair())) {
                    changes.add("replaced " + name + " " + loaded.pair().names());
                }
            } else if (before != null) {
                out.put(name, before);
                refusals.add("refused " + name + " (" + loaded.refusal() + "); keeping its previous certificate");
            } else {
                refusals.add("refused " + name + " (" + loaded.refusal() + ")");
            }
        }
        for (String name : pairs.keySet()) {
            if (!scan.containsKey(name)) {
                changes.add("removed " + name);
            }
        }
        if (out.isEmpty() && !pairs.isEmpty()) {
            refusals.add("no loadable pair left; keeping the last ones");
            return new Next(this, List.of(), List.copyOf(refusals));
        }
        return new Next(new CertificateSet(out), List.copyOf(changes), List.copyOf(refusals));
    }

    /** The pair served without SNI or when no name matches: {@code default}, else the first in name order. */
    String defaultName() {
        return pairs.containsKey("default") ? "default" : pairs.isEmpty() ? null : pairs.firstKey();
    }
}
