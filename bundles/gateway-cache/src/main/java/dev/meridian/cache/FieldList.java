package dev.meridian.cache;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** The {@link HeaderView} over an immutable list of fields. Immutable, thread-safe. */
final class FieldList implements HeaderView {

    private final List<Map.Entry<String, String>> fields;

    /** Takes {@code fields} as is: it must already be an immutable list of non-null entries. */
    FieldList(List<Map.Entry<String, String>> fields) {
        this.fields = fields;
    }

    List<Map.Entry<String, String>> fields() {
        return fields;
    }

    @Override
    public List<String> values(String name) {
        String single = null;
        List<String> many = null;
        for (int i = 0, n = fields.size(); i < n; i++) {
            Map.Entry<String, String> field = fields.get(i);
            if (field.getKey().equalsIgnoreCase(name)) {
                if (single == null) {
                    single = field.getValue();
                } else {
                    if (many == null) {
                        many = new ArrayList<>(4);
                        many.add(single);
                    }
                    many.add(field.getValue());
                }
            }
        }
        if (many != null) {
            return Collections.unmodifiableList(many);
        }
        return single == null ? List.of() : List.of(single);
    }

    @Override
    public String first(String name) {
        for (int i = 0, n = fields.size(); i < n; i++) {
            Map.Entry<String, String> field = fields.get(i);
            if (field.getKey().equalsIgnoreCase(name)) {
                return field.getValue();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
