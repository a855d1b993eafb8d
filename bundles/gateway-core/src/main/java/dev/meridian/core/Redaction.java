package dev.meridian.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Puts {@code ${secret:NAME}} back in place of the values a compile resolved, for a message that
 * may quote them (an upstream's host in a TLS or connection failure). Immutable; any thread.
 * Meant for failures, not for every request: {@link #apply} walks every value.
 */
public final class Redaction {

    private static final Comparator<Map.Entry<String, String>> LONGEST_FIRST =
        Comparator.comparingInt((Map.Entry<String, String> e) -> e.getKey().length()).reversed();

    /** Nothing was resolved: text stays as it is. */
    public static final Redaction NONE = new Redaction(List.of());

    /** (value, reference) pairs, longest value first, so that a value inside another is replaced after it. */
    private final List<Map.Entry<String, String>> pairs;

    private Redaction(List<Map.Entry<String, String>> pairs) {
        this.pairs = pairs;
    }

    /** @param values secret name → the value it resolved to (empty values are ignored) */
    public static Redaction of(Map<String, String> values) {
        if (values.isEmpty()) {
            return NONE;
        }
        List<Map.Entry<String, String>> pairs = new ArrayList<>();
        values.forEach((name, value) -> {
            if (!value.isEmpty()) {
                pairs.add(Map.entry(value, "${secret:" + name + "}"));
            }
        });
        pairs.sort(LONGEST_FIRST);
        return new Redaction(List.copyOf(pairs));
    }

    /**
     * This redaction and {@code value} (when not empty) shown as {@code shownAs}: a text a value
     * became part of, such as the host an upstream URL's template resolved to.
     */
    public Redaction and(String value, String shownAs) {
        if (value.isEmpty()) {
            return this;
        }
        List<Map.Entry<String, String>> more = new ArrayList<>(pairs);
        more.add(Map.entry(value, shownAs));
        more.sort(LONGEST_FIRST);
        return new Redaction(List.copyOf(more));
    }

    /** This redaction and {@code other}'s pairs (an upstream's targets, each resolved on its own). */
    public Redaction and(Redaction other) {
        if (other.pairs.isEmpty()) {
            return this;
        }
        if (pairs.isEmpty()) {
            return other;
        }
        List<Map.Entry<String, String>> more = new ArrayList<>(pairs);
        more.addAll(other.pairs);
        more.sort(LONGEST_FIRST);
        return new Redaction(List.copyOf(more));
    }

    /** {@code text} with every value replaced by its reference; null stays null. */
    public String apply(String text) {
        if (pairs.isEmpty() || text == null) {
            return text;
        }
        String out = text;
        for (Map.Entry<String, String> p : pairs) {
            out = out.replace(p.getKey(), p.getValue());
        }
        return out;
    }
}
