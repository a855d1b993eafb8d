package dev.meridian.core.flow;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * The header fields of one message as the steps see them: names compared case-insensitively,
 * values exactly as received. The data plane adapts its server's own container (no copy until a
 * step changes something).
 *
 * <p>Not thread-safe: used by the exchange's current step only.
 */
public interface Fields {

    /** The first field line named {@code name}, or null. */
    String first(String name);

    /** Every field line named {@code name}, in message order; empty when absent. */
    List<String> all(String name);

    /** Whether a field named {@code name} is present. */
    default boolean has(String name) {
        return first(name) != null;
    }

    /** Replaces every line named {@code name} with one. */
    void set(String name, String value);

    void add(String name, String value);

    void remove(String name);

    /** Each field line, in message order. */
    void forEach(BiConsumer<String, String> line);
}
