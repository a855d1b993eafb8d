package dev.meridian.core;

/**
 * Node settings from the {@code MERIDIAN_*} environment variables of CONTRACT §2, with a system
 * property of the same name in lower case with dots ({@code MERIDIAN_HTTP_PORT} →
 * {@code meridian.http.port}) as the fallback used by tests and by {@code bin/setenv}.
 */
public final class Settings {

    private Settings() {
    }

    public static String string(String env, String defaultValue) {
        String v = System.getenv(env);
        if (v == null || v.isBlank()) {
            v = System.getProperty(env.toLowerCase(java.util.Locale.ROOT).replace('_', '.'));
        }
        return v == null || v.isBlank() ? defaultValue : v.trim();
    }

    public static int integer(String env, int defaultValue) {
        String v = string(env, null);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(env + " must be an integer, got '" + v + "'", e);
        }
    }

    /** A duration in the definition format ({@code 30s}, {@code 10m}, {@code 24h}). */
    public static java.time.Duration duration(String env, String defaultValue) {
        String v = string(env, defaultValue);
        try {
            return dev.meridian.model.Durations.parse(v);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(env + " must be a duration such as 30s, 10m or 24h, got '" + v + "'", e);
        }
    }

    /**
     * A size in bytes: a plain number of bytes, or a number with a binary unit {@code k}, {@code m}
     * or {@code g} ({@code 64m} = 64 MiB).
     */
    public static long bytes(String env, String defaultValue) {
        String v = string(env, defaultValue);
        try {
            return dev.meridian.model.Sizes.parse(v.toLowerCase(java.util.Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(env + " must be a size such as 65536, 512k or 64m, got '" + v + "'", e);
        }
    }

    /** {@code MERIDIAN_NODE_NAME}, else {@code <hostname>-<MERIDIAN_HTTP_PORT>} (CONTRACT §2). */
    public static String nodeName() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        return string("MERIDIAN_NODE_NAME", host + "-" + integer("MERIDIAN_HTTP_PORT", 8080));
    }
}
