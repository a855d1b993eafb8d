package dev.meridian.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test helper: header lists and views from alternating names and values. */
final class Headers {

    private Headers() {}

    static List<Map.Entry<String, String>> list(String... nameValues) {
        if (nameValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must alternate");
        }
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            out.add(Map.entry(nameValues[i], nameValues[i + 1]));
        }
        return out;
    }

    static HeaderView view(String... nameValues) {
        return HeaderView.of(list(nameValues));
    }

    static final HeaderView NONE = view();
}
