package dev.meridian.core.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * {@link Fields} in a list of name/value pairs, for answers the gateway makes itself (stored
 * ones, rejections) and for tests. Linear lookups: these hold a few dozen fields at most.
 */
public final class ListFields implements Fields {

    private final ArrayList<String> lines;

    public ListFields() {
        lines = new ArrayList<>(8);
    }

    /** A copy of {@code fields} (name, value pairs in order). */
    public ListFields(List<Map.Entry<String, String>> fields) {
        lines = new ArrayList<>(fields.size() * 2);
        for (Map.Entry<String, String> f : fields) {
            lines.add(f.getKey());
            lines.add(f.getValue());
        }
    }

    @Override
    public String first(String name) {
        for (int i = 0; i < lines.size(); i += 2) {
            if (lines.get(i).equalsIgnoreCase(name)) {
                return lines.get(i + 1);
            }
        }
        return null;
    }

    @Override
    public List<String> all(String name) {
        List<String> out = null;
        for (int i = 0; i < lines.size(); i += 2) {
            if (lines.get(i).equalsIgnoreCase(name)) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(lines.get(i + 1));
            }
        }
        return out == null ? List.of() : out;
    }

    @Override
    public void set(String name, String value) {
        remove(name);
        add(name, value);
    }

    @Override
    public void add(String name, String value) {
        lines.add(name);
        lines.add(value);
    }

    @Override
    public void remove(String name) {
        for (int i = lines.size() - 2; i >= 0; i -= 2) {
            if (lines.get(i).equalsIgnoreCase(name)) {
                lines.remove(i + 1);
                lines.remove(i);
            }
        }
    }

    @Override
    public void forEach(BiConsumer<String, String> line) {
        for (int i = 0; i < lines.size(); i += 2) {
            line.accept(lines.get(i), lines.get(i + 1));
        }
    }

    public int size() {
        return lines.size() / 2;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        forEach((n, v) -> sb.append(sb.length() > 1 ? ", " : "").append(n).append(": ").append(v));
        return sb.append(']').toString();
    }
}
