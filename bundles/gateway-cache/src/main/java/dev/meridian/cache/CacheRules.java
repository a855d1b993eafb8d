package dev.meridian.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.meridian.model.Durations;
import dev.meridian.model.Sizes;

/**
 * One API's cache configuration (CONTRACT §6), read once from the definition's validated
 * {@code cache:} block and shared by every request of a route table.
 *
 * <p>Immutable and thread-safe; no component is null (collections are unmodifiable copies).
 *
 * @param ttl lifetime when the upstream says nothing (and for every response when {@code
 *     respectCacheControl} is false); default 30s
 * @param grace how long past expiry an entry may be served while one request refreshes it;
 *     default 0s
 * @param ttlByStatus per-status lifetimes that replace {@code ttl}; default empty
 * @param respectCacheControl behave as an RFC 9111 shared cache; default true
 * @param keyParts {@code method}, {@code path}, {@code query}, {@code consumer} and {@code
 *     header:<Name>} (name as written, compared case-insensitively), in key order; default
 *     {@code [method, path, query]}
 * @param shared one entry for all consumers; default false (the consumer is part of the key)
 * @param tagTemplates tag templates, see {@link CacheTags}; default empty
 * @param maxEntries approximate cluster-wide entry limit; default 100000
 * @param maxBytes approximate cluster-wide limit of the bytes stored for the API; default 256 MiB
 * @param storeSetCookie store responses that carry {@code Set-Cookie} (with their {@code
 *     Set-Cookie} lines, served to every client that gets the entry); default false: such
 *     responses are not stored (CONTRACT §6)
 */
public record CacheRules(Duration ttl, Duration grace, Map<Integer, Duration> ttlByStatus,
    boolean respectCacheControl, List<String> keyParts, boolean shared, List<String> tagTemplates,
    long maxEntries, long maxBytes, boolean storeSetCookie) {

    static final String HEADER_PREFIX = "header:";

    private static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
    private static final List<String> DEFAULT_KEY = List.of("method", "path", "query");
    private static final long DEFAULT_MAX_ENTRIES = 100_000;
    /** The default of {@link #maxBytes()}: 256 MiB. */
    public static final long DEFAULT_MAX_BYTES = 256L << 20;
    private static final int VERSION_HEX_CHARS = 12;

    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException for a negative duration, a status outside 100..999, an
     *     unknown, empty or duplicate key part, {@code maxEntries < 1} or {@code maxBytes < 1}
     * @throws NullPointerException for a null component or element
     */
    public CacheRules {
        requireNonNegative(ttl, "ttl");
        requireNonNegative(grace, "grace");
        Map<Integer, Duration> byStatus = new TreeMap<>();
        for (Map.Entry<Integer, Duration> e : ttlByStatus.entrySet()) {
            int status = Objects.requireNonNull(e.getKey(), "ttlByStatus status");
            if (status < 100 || status > 999) {
                throw new IllegalArgumentException("ttlByStatus: not an HTTP status: " + status);
            }
            byStatus.put(status, requireNonNegative(e.getValue(), "ttlByStatus." + status));
        }
        ttlByStatus = Collections.unmodifiableMap(byStatus);
        keyParts = List.copyOf(keyParts);
        if (keyParts.isEmpty()) {
            throw new IllegalArgumentException("key: must not be empty");
        }
        Set<String> seen = new HashSet<>();
        for (String part : keyParts) {
            boolean header = part.startsWith(HEADER_PREFIX) && part.length() > HEADER_PREFIX.length();
            if (!header && !DEFAULT_KEY.contains(part) && !part.equals("consumer")) {
                throw new IllegalArgumentException(
                    "key: expected method, path, query, consumer or header:<Name>: " + part);
            }
            if (!seen.add(header ? part.toLowerCase(Locale.ROOT) : part)) {
                throw new IllegalArgumentException("key: duplicate key part " + part);
            }
        }
        tagTemplates = List.copyOf(tagTemplates);
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries: must be at least 1: " + maxEntries);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes: must be at least 1: " + maxBytes);
        }
    }

    /**
     * Whether a request carrying {@code Cookie} may be answered from and stored into this cache:
     * only when the API is {@link #shared() shared} (its owner says one answer fits everyone) or
     * its key has a {@code header:Cookie} part (each cookie string has entries of its own).
     * Otherwise a personalised answer fetched with one client's cookie could be served to every
     * client, so such a request bypasses the cache. Allocates nothing: asked per request.
     */
    public boolean cachesWithCookie() {
        if (shared) {
            return true;
        }
        for (int i = 0, n = keyParts.size(); i < n; i++) {
            if (keyParts.get(i).equalsIgnoreCase(COOKIE_PART)) {
                return true;
            }
        }
        return false;
    }

    private static final String COOKIE_PART = HEADER_PREFIX + "Cookie";

    /** The rules without the later components: {@link #DEFAULT_MAX_BYTES} and no {@code Set-Cookie} storage. */
    public CacheRules(Duration ttl, Duration grace, Map<Integer, Duration> ttlByStatus, boolean respectCacheControl,
        List<String> keyParts, boolean shared, List<String> tagTemplates, long maxEntries) {
        this(ttl, grace, ttlByStatus, respectCacheControl, keyParts, shared, tagTemplates, maxEntries,
            DEFAULT_MAX_BYTES, false);
    }

    /**
     * The rules of a validated {@code cache:} block ({@code ApiDefinition#cache()}): durations
     * in short form ({@code "30s"}) or as {@link Duration}, {@code ttlByStatus} keyed by status
     * strings or numbers, {@code maxEntries} any {@link Number}, {@code maxBytes} a {@link
     * Number} of bytes or a size string such as {@code "64m"} ({@link Sizes}). Unknown fields are
     * ignored.
     *
     * @return empty when the block is empty (the API has no cache)
     * @throws IllegalArgumentException naming the field when a value has the wrong type or range
     */
    public static Optional<CacheRules> of(Map<String, Object> cacheBlock) {
        if (cacheBlock.isEmpty()) {
            return Optional.empty();
        }
        Map<Integer, Duration> byStatus = new TreeMap<>();
        Object statuses = cacheBlock.get("ttlByStatus");
        if (statuses != null) {
            if (!(statuses instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException("ttlByStatus: expected an object");
            }
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String status = String.valueOf(e.getKey());
                try {
                    byStatus.put(Integer.parseInt(status), duration(e.getValue(), "ttlByStatus." + status));
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("ttlByStatus: not an HTTP status: " + status, ex);
                }
            }
        }
        Object maxEntries = cacheBlock.get("maxEntries");
        if (maxEntries != null && !(maxEntries instanceof Number)) {
            throw new IllegalArgumentException("maxEntries: expected a number");
        }
        Object maxBytes = cacheBlock.get("maxBytes");
        return Optional.of(new CacheRules(
            cacheBlock.containsKey("ttl") ? duration(cacheBlock.get("ttl"), "ttl") : DEFAULT_TTL,
            cacheBlock.containsKey("grace") ? duration(cacheBlock.get("grace"), "grace") : Duration.ZERO,
            byStatus,
            bool(cacheBlock, "respectCacheControl", true),
            strings(cacheBlock, "key", DEFAULT_KEY),
            bool(cacheBlock, "shared", false),
            strings(cacheBlock, "tags", List.of()),
            maxEntries == null ? DEFAULT_MAX_ENTRIES : ((Number) maxEntries).longValue(),
            maxBytes == null ? DEFAULT_MAX_BYTES : size(maxBytes, "maxBytes"),
            bool(cacheBlock, "storeSetCookie", false)));
    }

    /**
     * A short, stable fingerprint (the first 12 hex digits of a SHA-256) of the rules that decide
     * keys, lifetimes and who may see an entry: ttl, grace, ttlByStatus, respectCacheControl,
     * keyParts (header names lower-cased), shared and storeSetCookie — not tags, maxEntries nor
     * maxBytes. Equal rules give equal versions in every JVM, so entries stored under other rules
     * can be told apart.
     *
     * <p>storeSetCookie is part of it for the reason shared is: turning it off must stop the
     * {@code Set-Cookie} lines already stored from being served to anyone at once (a new
     * version starts an empty map), not when those entries expire. It enters the fingerprint
     * only when true, so that rules written before it existed keep their version.
     *
     * <p>Computed on each call (a record holds no derived state; it costs one small digest):
     * compute it once per compiled route, not per request.
     */
    public String version() {
        StringBuilder canonical = new StringBuilder(128).append("cache-rules/1");
        field(canonical, "ttl", ttl.toString());
        field(canonical, "grace", grace.toString());
        field(canonical, "ttlByStatus", Integer.toString(ttlByStatus.size()));
        for (Map.Entry<Integer, Duration> e : ttlByStatus.entrySet()) { // sorted by status
            field(canonical, e.getKey().toString(), e.getValue().toString());
        }
        field(canonical, "respectCacheControl", Boolean.toString(respectCacheControl));
        field(canonical, "key", Integer.toString(keyParts.size()));
        for (String part : keyParts) {
            field(canonical, "part", part.startsWith(HEADER_PREFIX) ? part.toLowerCase(Locale.ROOT) : part);
        }
        field(canonical, "shared", Boolean.toString(shared));
        if (storeSetCookie) {
            field(canonical, "storeSetCookie", "true");
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return Tokens.hex(digest, VERSION_HEX_CHARS / 2);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /**
     * The configured lifetime for a response with {@code status} that carries no freshness
     * information: its {@code ttlByStatus} entry, else {@code ttl} when RFC 9111 §4.2.2 lets the
     * status be cached heuristically (200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414,
     * 501), else zero.
     */
    public Duration ttlFor(int status) {
        if (!ttlByStatus.isEmpty()) {
            Duration byStatus = ttlByStatus.get(status);
            if (byStatus != null) {
                return byStatus;
            }
        }
        return heuristicallyCacheable(status) ? ttl : Duration.ZERO;
    }

    /** Whether {@code ttlByStatus} names {@code status}. */
    boolean hasTtlFor(int status) {
        return !ttlByStatus.isEmpty() && ttlByStatus.containsKey(status);
    }

    static boolean heuristicallyCacheable(int status) {
        switch (status) {
            case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501:
                return true;
            default:
                return false;
        }
    }

    private static void field(StringBuilder sb, String name, String value) {
        // length-prefixed, so no value can imitate a separator
        sb.append('|').append(name.length()).append(':').append(name)
            .append('=').append(value.length()).append(':').append(value);
    }

    private static Duration requireNonNegative(Duration d, String field) {
        if (Objects.requireNonNull(d, field).isNegative()) {
            throw new IllegalArgumentException(field + ": must not be negative: " + d);
        }
        return d;
    }

    private static Duration duration(Object value, String field) {
        if (value instanceof Duration d) {
            return d;
        }
        if (value instanceof String s) {
            try {
                return Durations.parse(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException(field + ": expected a duration such as 30s");
    }

    private static long size(Object value, String field) {
        if (value instanceof Number n && !(value instanceof Double || value instanceof Float)) {
            return n.longValue();
        }
        if (value instanceof String s) {
            try {
                return Sizes.parse(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException(field + ": expected a size such as 64m");
    }

    private static boolean bool(Map<String, Object> block, String field, boolean absent) {
        Object value = block.get(field);
        if (value == null) {
            return absent;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(field + ": expected true or false");
    }

    private static List<String> strings(Map<String, Object> block, String field, List<String> absent) {
        Object value = block.get(field);
        if (value == null) {
            return absent;
        }
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException(field + ": expected a list of strings");
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof String s)) {
                throw new IllegalArgumentException(field + ": expected a list of strings");
            }
            out.add(s);
        }
        return out;
    }
}
