package dev.meridian.core.flow;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The fields of a stored answer: the entry's own list, shared by every hit of that entry, plus
 * the {@code Age} this hit computed (an {@code Age} the entry holds is replaced). Read without a
 * copy; the first change (a response policy, a 304 made from a 200) copies into a
 * {@link ListFields}, so the entry itself is never changed.
 *
 * <p>The data plane writes an unchanged one from a form it prepared once per entry
 * ({@link #unchanged()} is identical for every hit of the same entry); a changed one field by field.
 */
public final class StoredFields implements Fields {

    private static final String AGE = "Age";

    private final List<Map.Entry<String, String>> stored;
    private final String age;
    private ListFields copy;

    /** @param age the {@code Age} value of this hit, or null for none */
    public StoredFields(List<Map.Entry<String, String>> stored, String age) {
        this.stored = stored;
        this.age = age;
    }

    /** The entry's own fields (without this hit's Age) while nothing changed them; null after a change. */
    public List<Map.Entry<String, String>> unchanged() {
        return copy == null ? stored : null;
    }

    /** This hit's {@code Age} value, or null. */
    public String age() {
        return age;
    }

    /** Whether {@code name} is the {@code Age} field, which this view replaces. */
    public static boolean isAge(String name) {
        return name.length() == 3 && name.equalsIgnoreCase(AGE);
    }

    @Override
    public String first(String name) {
        if (copy != null) {
            return copy.first(name);
        }
        if (isAge(name)) {
            return age;
        }
        for (Map.Entry<String, String> f : stored) {
            if (f.getKey().equalsIgnoreCase(name)) {
                return f.getValue();
            }
        }
        return null;
    }

    @Override
    public List<String> all(String name) {
        if (copy != null) {
            return copy.all(name);
        }
        if (isAge(name)) {
            return age == null ? List.of() : List.of(age);
        }
        List<String> out = null;
        for (Map.Entry<String, String> f : stored) {
            if (f.getKey().equalsIgnoreCase(name)) {
                if (out == null) {
                    out = new java.util.ArrayList<>(2);
                }
                out.add(f.getValue());
            }
        }
        return out == null ? List.of() : out;
    }

    @Override
    public void set(String name, String value) {
        changed().set(name, value);
    }

    @Override
    public void add(String name, String value) {
        changed().add(name, value);
    }

    @Override
    public void remove(String name) {
        changed().remove(name);
    }

    @Override
    public void forEach(BiConsumer<String, String> line) {
        if (copy != null) {
            copy.forEach(line);
            return;
        }
        for (Map.Entry<String, String> f : stored) {
            if (!isAge(f.getKey())) {
                line.accept(f.getKey(), f.getValue());
            }
        }
        if (age != null) {
            line.accept(AGE, age);
        }
    }

    private ListFields changed() {
        if (copy == null) {
            ListFields c = new ListFields();
            forEach(c::add);
            copy = c;
        }
        return copy;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        forEach((n, v) -> sb.append(sb.length() > 1 ? ", " : "").append(n).append(": ").append(v));
        return sb.append(']').toString();
    }
}
