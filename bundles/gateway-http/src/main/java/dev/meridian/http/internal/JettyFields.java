package dev.meridian.http.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

import dev.meridian.core.flow.Fields;

/**
 * Jetty's header fields as the steps see them, copied only when a step changes them: a request
 * no policy touches, or an answer no response policy touches, is forwarded from Jetty's own
 * parsed fields.
 */
final class JettyFields implements Fields {

    private HttpFields fields;
    private HttpFields.Mutable copy;

    JettyFields(HttpFields fields) {
        this.fields = fields;
    }

    /** The fields as they are now (Jetty's, or the copy a step changed). */
    HttpFields fields() {
        return copy != null ? copy : fields;
    }

    private HttpFields.Mutable mutable() {
        if (copy == null) {
            copy = HttpFields.build(fields);
            fields = copy;
        }
        return copy;
    }

    @Override
    public String first(String name) {
        return fields().get(name);
    }

    @Override
    public List<String> all(String name) {
        // asked of absent fields on every cache hit (Cache-Control, Authorization, conditionals):
        // no list, and no CSV parser Jetty's getValuesList would set up, when there is none
        List<String> values = null;
        for (HttpField f : fields()) {
            if (f.is(name)) {
                if (values == null) {
                    values = new ArrayList<>(2);
                }
                values.add(f.getValue());
            }
        }
        return values == null ? List.of() : values;
    }

    @Override
    public boolean has(String name) {
        return fields().contains(name);
    }

    @Override
    public void set(String name, String value) {
        mutable().put(name, value);
    }

    @Override
    public void add(String name, String value) {
        mutable().add(name, value);
    }

    @Override
    public void remove(String name) {
        if (fields().contains(name)) {
            mutable().remove(name);
        }
    }

    @Override
    public void forEach(BiConsumer<String, String> line) {
        for (HttpField f : fields()) {
            line.accept(f.getName(), f.getValue());
        }
    }
}
