package dev.meridian.cluster.internal;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.SerializationConfig;

/**
 * Java deserialization in the cluster admits Meridian's own message classes and the JDK types
 * they carry, nothing else (CONTRACT §9): a process that reaches the cluster port cannot send a
 * gadget chain. Meridian's entry processors, predicates, the broadcast and the cluster queries'
 * task ({@link QueryTask}) are the only Java serialized objects it sends (their fields: strings,
 * boxed numbers, arrays of primitives, {@code HashMap}/{@code HashSet}); Hazelcast's own
 * operations use its identified format.
 * Applies to deserialization in this process, whoever sent the bytes.
 */
final class DeserializationFilter {

    private DeserializationFilter() {
    }

    static ClassFilter allowed() {
        // java.lang / java.util and Hazelcast's own classes stay allowed because exceptions cross
        // the cluster in Java form (a SplitBrainProtectionException in an error response, with its
        // stack trace): refusing them would turn every remote failure into a serialization error.
        // The known JDK-only gadget chains need classes outside these (java.net.URL,
        // com.sun.org.apache.xalan..., javax.management...), which stay refused.
        return new ClassFilter()
            .addPrefixes("dev.meridian.", "java.lang.", "java.util.", "com.hazelcast.",
                "[Ljava.lang.", "[Ljava.util.", "[Ldev.meridian.")
            .addClasses("[B", "[J", "[I", "[Z", "[C", "[S", "[D", "[F", "[[J", "[[B");
    }

    /** Sets the filter on a member's or client's serialization configuration. */
    static void apply(SerializationConfig config) {
        config.setJavaSerializationFilterConfig(new JavaSerializationFilterConfig()
            .setDefaultsDisabled(false) // Hazelcast's own list of known gadget classes stays on too
            .setWhitelist(allowed()));
    }
}
