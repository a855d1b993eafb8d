package dev.meridian.cache;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/** Header names and the field-list helpers shared by this package. Stateless. */
final class Fields {

    static final String AGE = "Age";
    static final String AUTHORIZATION = "Authorization";
    static final String CACHE_CONTROL = "Cache-Control";
    static final String CACHE_TAG = "Cache-Tag";
    static final String CONNECTION = "Connection";
    static final String CONTENT_LENGTH = "Content-Length";
    static final String DATE = "Date";
    static final String ETAG = "ETag";
    static final String IF_MODIFIED_SINCE = "If-Modified-Since";
    static final String IF_NONE_MATCH = "If-None-Match";
    static final String EXPIRES = "Expires";
    static final String LAST_MODIFIED = "Last-Modified";
    static final String PRAGMA = "Pragma";
    static final String SET_COOKIE = "Set-Cookie";
    /** Obsolete (RFC 2965), but it sets cookies all the same: treated as {@link #SET_COOKIE}. */
    static final String SET_COOKIE2 = "Set-Cookie2";
    static final String SURROGATE_KEY = "Surrogate-Key";
    static final String VARY = "Vary";

    private Fields() {}

    /** An immutable copy with {@link Map#entry} entries; nulls rejected. */
    static List<Map.Entry<String, String>> copy(List<Map.Entry<String, String>> fields) {
        List<Map.Entry<String, String>> out = new ArrayList<>(fields.size());
        for (int i = 0, n = fields.size(); i < n; i++) {
            Map.Entry<String, String> field = Objects.requireNonNull(fields.get(i), "header field");
            out.add(Map.entry(field.getKey(), field.getValue()));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Whether a field never enters the cache (RFC 9111 §3.1): the connection-specific fields of
     * RFC 9110 §7.6.1 (Connection, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade),
     * every {@code Proxy-*} field (Proxy-Authenticate, Proxy-Authentication-Info and
     * Proxy-Authorization belong to the proxy a response came through, §3.1), Trailer (a stored
     * body is whole, it has no trailer section) and Age, which the cache computes itself.
     */
    static boolean hopByHopOrAge(String name) {
        switch (name.length()) {
            case 2:
                return name.equalsIgnoreCase("TE");
            case 3:
                return name.equalsIgnoreCase(AGE);
            case 7:
                return name.equalsIgnoreCase("Trailer") || name.equalsIgnoreCase("Upgrade") || proxy(name);
            case 10:
                return name.equalsIgnoreCase(CONNECTION) || name.equalsIgnoreCase("Keep-Alive") || proxy(name);
            case 17:
                return name.equalsIgnoreCase("Transfer-Encoding") || proxy(name);
            default:
                return proxy(name);
        }
    }

    private static boolean proxy(String name) {
        return name.regionMatches(true, 0, "Proxy-", 0, 6);
    }

    /**
     * The fields of {@code fields} that may be stored: every end-to-end field as received, in
     * order, including unknown ones, {@code Content-*}, {@code Content-Location}, security
     * headers and {@code Set-Cookie} (whether a response with {@code Set-Cookie} is stored at
     * all is {@link Storability}'s decision) — without the fields of {@link #hopByHopOrAge} and
     * those that a Connection field names (RFC 9110 §7.6.1). Immutable result.
     */
    static List<Map.Entry<String, String>> storable(List<Map.Entry<String, String>> fields) {
        List<String> connectionOptions = null;
        for (int i = 0, n = fields.size(); i < n; i++) {
            Map.Entry<String, String> field = fields.get(i);
            if (field.getKey().equalsIgnoreCase(CONNECTION)) {
                if (connectionOptions == null) {
                    connectionOptions = new ArrayList<>();
                }
                Tokens.addLowerCase(field.getValue(), connectionOptions);
            }
        }
        List<Map.Entry<String, String>> out = new ArrayList<>(fields.size());
        for (int i = 0, n = fields.size(); i < n; i++) {
            Map.Entry<String, String> field = Objects.requireNonNull(fields.get(i), "header field");
            String name = field.getKey();
            if (hopByHopOrAge(name)
                || connectionOptions != null && connectionOptions.contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            out.add(Map.entry(name, field.getValue()));
        }
        return Collections.unmodifiableList(out);
    }
}
