package dev.meridian.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One stored response and what the cache knows about it, with its byte encoding for the cluster
 * store (JDK only, never Java serialization; only bytes cross the cluster).
 *
 * <p>Encoding, format 1: the magic {@code 0xCA 0xC4} and a format-version byte, then big-endian
 * fields (strings as a 4-byte length and UTF-8 bytes), the body last. A <em>vary marker</em>,
 * stored under a base key whose response had {@code Vary}, has its own magic ({@code 0xCA 0x7E}):
 * each decoder rejects the other's bytes.
 *
 * <p>Immutable and thread-safe, except that {@code body} is the caller's array, kept without a
 * copy (bodies are large): neither the caller nor a reader of {@link #body()} may modify it.
 * Equality compares bodies by content. No component is null: a null body becomes empty; the
 * collections are unmodifiable copies; headers are filtered through {@link
 * #storableHeaders(List)}.
 *
 * @param status the response status
 * @param headers the stored header fields, in order
 * @param body the response body (after content decoding, if the caller does any)
 * @param requestTimeMillis when the request that fetched or last revalidated it was sent
 * @param responseTimeMillis when that response was received
 * @param correctedInitialAgeMillis from {@link Freshness#correctedInitialAgeMillis}
 * @param lifetimeMillis from {@link Freshness#lifetimeMillis}
 * @param graceMillis how long past expiry it may be served while one request refreshes it
 * @param mustRevalidate from {@link Freshness#mustRevalidate}: never serve it stale
 * @param varyNames the request headers it varies on, from {@link CacheKeys#varyNames}
 * @param tagGenerations each tag with the generation it had when stored, for invalidation by tag
 * @param apiGeneration the API's invalidation generation when stored
 * @param urlHash {@link UrlGenerations#hash} of the URL it answers ({@link RouteCache#urlTag})
 * @param urlGeneration that URL's invalidation generation when stored
 */
public record CachedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body,
    long requestTimeMillis, long responseTimeMillis, long correctedInitialAgeMillis, long lifetimeMillis,
    long graceMillis, boolean mustRevalidate, List<String> varyNames, Map<String, Long> tagGenerations,
    long apiGeneration, long urlHash, long urlGeneration) {

    /** 2: the URL's hash and generation after the API's generation (1 kept the URL as a tag). */
    static final int FORMAT_VERSION = 2;

    private static final byte MAGIC_0 = (byte) 0xCA;
    private static final byte ENTRY_MAGIC_1 = (byte) 0xC4;
    private static final byte MARKER_MAGIC_1 = (byte) 0x7E;
    private static final int PREFIX = 3;
    private static final int FLAG_MUST_REVALIDATE = 1;
    private static final byte[] EMPTY = new byte[0];
    /** Fields a 304 may add although the stored response lacks them, when the 304 cannot list its own. */
    private static final List<String> MERGE_CANDIDATES = List.of(Fields.CACHE_CONTROL, "Content-Location",
        Fields.DATE, Fields.ETAG, Fields.EXPIRES, Fields.LAST_MODIFIED, Fields.VARY, Fields.CACHE_TAG,
        Fields.SURROGATE_KEY);

    /**
     * Validates and copies (except the body).
     *
     * @throws IllegalArgumentException for a status outside 100..999 or a negative age, lifetime
     *     or grace
     * @throws NullPointerException for a null collection, element, name or value
     */
    public CachedResponse {
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        if (correctedInitialAgeMillis < 0 || lifetimeMillis < 0 || graceMillis < 0) {
            throw new IllegalArgumentException("negative age, lifetime or grace");
        }
        headers = storableHeaders(headers);
        body = body == null ? EMPTY : body;
        varyNames = List.copyOf(varyNames);
        TreeMap<String, Long> tags = new TreeMap<>();
        for (Map.Entry<String, Long> e : tagGenerations.entrySet()) {
            tags.put(Objects.requireNonNull(e.getKey(), "tag"), Objects.requireNonNull(e.getValue(), "generation"));
        }
        tagGenerations = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
    }

    /** An entry that records no URL generation (tests and callers that do not track URLs). */
    public CachedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body,
        long requestTimeMillis, long responseTimeMillis, long correctedInitialAgeMillis, long lifetimeMillis,
        long graceMillis, boolean mustRevalidate, List<String> varyNames, Map<String, Long> tagGenerations,
        long apiGeneration) {
        this(status, headers, body, requestTimeMillis, responseTimeMillis, correctedInitialAgeMillis, lifetimeMillis,
            graceMillis, mustRevalidate, varyNames, tagGenerations, apiGeneration, 0, 0);
    }

    /** This entry recording other invalidation generations (stored anew after a revalidation). */
    public CachedResponse withGenerations(Map<String, Long> tags, long apiGeneration, long urlGeneration) {
        return new CachedResponse(status, headers, body, requestTimeMillis, responseTimeMillis, correctedInitialAgeMillis,
            lifetimeMillis, graceMillis, mustRevalidate, varyNames, tags, apiGeneration, urlHash, urlGeneration);
    }

    /**
     * Roughly what this entry costs in a JVM heap: the body, the header strings (two bytes a
     * character, compact strings aside) and a fixed overhead for the objects around them.
     */
    public long weight() {
        long w = 256L + body.length;
        for (int i = 0, n = headers.size(); i < n; i++) {
            Map.Entry<String, String> h = headers.get(i);
            w += 64 + 2L * (h.getKey().length() + h.getValue().length());
        }
        for (String tag : tagGenerations.keySet()) {
            w += 64 + 2L * tag.length();
        }
        return w;
    }

    /**
     * The fields of a response that may be stored: all but the hop-by-hop ones (Connection,
     * Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade, and any a Connection field
     * names) and Age (the cache computes its own). Order is kept. Immutable.
     *
     * @throws NullPointerException for a null list, entry, name or value
     */
    public static List<Map.Entry<String, String>> storableHeaders(List<Map.Entry<String, String>> fields) {
        return Fields.storable(fields);
    }

    /**
     * When it stops being fresh: {@code responseTime + lifetime - correctedInitialAge}. This
     * agrees with {@link Freshness#currentAgeMillis}: the entry is fresh exactly while {@code now
     * < expiresAtMillis()}, so the value may lie before the response time (stale on arrival).
     */
    public long expiresAtMillis() {
        return responseTimeMillis + lifetimeMillis - correctedInitialAgeMillis;
    }

    /** The end of the grace period: {@code expiresAtMillis() + grace}. */
    public long staleUntilMillis() {
        return expiresAtMillis() + graceMillis;
    }

    /** A case-insensitive view of {@link #headers()}. */
    public HeaderView headerView() {
        return new FieldList(headers);
    }

    /** The stored {@code ETag}, or null. */
    public String etag() {
        return first(Fields.ETAG);
    }

    /** The stored {@code Last-Modified}, or null. */
    public String lastModified() {
        return first(Fields.LAST_MODIFIED);
    }

    private String first(String name) {
        for (int i = 0, n = headers.size(); i < n; i++) {
            if (headers.get(i).getKey().equalsIgnoreCase(name)) {
                return headers.get(i).getValue();
            }
        }
        return null;
    }

    /**
     * This response updated by a 304 to a conditional request (RFC 9111 §4.3.4, §3.2): every
     * stored field the 304 also carries is replaced by the 304's lines (in the place of its
     * first stored occurrence), fields only in the 304 are appended; hop-by-hop fields, Age,
     * Content-Length, and Set-Cookie unless the rules store it, of the 304 are not taken. Age and lifetime are recomputed
     * from the 304 ({@code Date} and {@code Age} of the 304 itself) and the merged fields; grace
     * and {@code mustRevalidate} from {@code rules}; body, status, vary names and generations are
     * kept.
     *
     * <p>A {@link HeaderView} cannot list its names: pass {@link HeaderView#of(List)} of the 304's
     * fields to merge every one of them. Any other view merges the stored field names plus
     * Cache-Control, Content-Location, Date, ETag, Expires, Last-Modified, Vary, Cache-Tag and
     * Surrogate-Key. The caller should check {@link Storability#refusal} on the result (the 304
     * may now say {@code no-store}) before storing it again.
     */
    public CachedResponse mergedWith304(HeaderView notModifiedHeaders, long requestTimeMillis,
        long responseTimeMillis, CacheRules rules) {
        List<Map.Entry<String, String>> update;
        if (notModifiedHeaders instanceof FieldList list) {
            update = list.fields();
        } else {
            update = new ArrayList<>();
            List<String> asked = new ArrayList<>();
            for (Map.Entry<String, String> field : headers) {
                collect(notModifiedHeaders, field.getKey(), asked, update);
            }
            for (String name : MERGE_CANDIDATES) {
                collect(notModifiedHeaders, name, asked, update);
            }
        }
        // the 304's fields by lower-cased name, in order
        Map<String, List<Map.Entry<String, String>>> byName = new LinkedHashMap<>();
        for (Map.Entry<String, String> field : Fields.storable(update)) {
            String name = field.getKey();
            // RFC 9111 §3.2: every field but the framing ones (Content-Length; Transfer-Encoding is
            // hop-by-hop); Set-Cookie only where the API stores it at all
            if (name.equalsIgnoreCase(Fields.CONTENT_LENGTH)
                || !rules.storeSetCookie() && (name.equalsIgnoreCase(Fields.SET_COOKIE) || name.equalsIgnoreCase("Set-Cookie2"))) {
                continue;
            }
            byName.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(field);
        }
        List<Map.Entry<String, String>> merged = new ArrayList<>(headers.size() + byName.size());
        for (Map.Entry<String, String> field : headers) {
            String lower = field.getKey().toLowerCase(Locale.ROOT);
            if (!byName.containsKey(lower)) {
                merged.add(field);
                continue;
            }
            List<Map.Entry<String, String>> replacement = byName.get(lower);
            if (replacement != null) {
                merged.addAll(replacement);
                byName.put(lower, null); // written; later stored lines of this name are dropped
            }
        }
        for (List<Map.Entry<String, String>> rest : byName.values()) {
            if (rest != null) {
                merged.addAll(rest);
            }
        }
        List<Map.Entry<String, String>> fields = Collections.unmodifiableList(merged);
        HeaderView view = new FieldList(fields);
        long age = Freshness.correctedInitialAgeMillis(notModifiedHeaders, requestTimeMillis, responseTimeMillis);
        return new CachedResponse(status, fields, body, requestTimeMillis, responseTimeMillis, age,
            Freshness.lifetimeMillis(rules, status, view), rules.grace().toMillis(),
            Freshness.mustRevalidate(rules, view), varyNames, tagGenerations, apiGeneration, urlHash, urlGeneration);
    }

    private static void collect(HeaderView from, String name, List<String> asked,
        List<Map.Entry<String, String>> out) {
        for (String done : asked) {
            if (done.equalsIgnoreCase(name)) {
                return;
            }
        }
        asked.add(name);
        for (String value : from.values(name)) {
            out.add(Map.entry(name, value));
        }
    }

    /** This entry in format {@value #FORMAT_VERSION}; the array is exactly as long as the encoding. */
    public byte[] encode() {
        int size = PREFIX + 4 + 8 * 8 + 1 + 4 + 4 + 4 + 4 + body.length;
        for (Map.Entry<String, String> field : headers) {
            size += Codec.stringSize(field.getKey()) + Codec.stringSize(field.getValue());
        }
        for (String name : varyNames) {
            size += Codec.stringSize(name);
        }
        for (String tag : tagGenerations.keySet()) {
            size += Codec.stringSize(tag) + 8;
        }
        Codec.Writer w = new Codec.Writer(size).u8(MAGIC_0).u8(ENTRY_MAGIC_1).u8(FORMAT_VERSION)
            .i32(status).i64(requestTimeMillis).i64(responseTimeMillis).i64(correctedInitialAgeMillis)
            .i64(lifetimeMillis).i64(graceMillis).i64(apiGeneration).i64(urlHash).i64(urlGeneration)
            .u8(mustRevalidate ? FLAG_MUST_REVALIDATE : 0)
            .i32(headers.size());
        for (Map.Entry<String, String> field : headers) {
            w.string(field.getKey()).string(field.getValue());
        }
        w.i32(varyNames.size());
        for (String name : varyNames) {
            w.string(name);
        }
        w.i32(tagGenerations.size());
        for (Map.Entry<String, Long> tag : tagGenerations.entrySet()) {
            w.string(tag.getKey()).i64(tag.getValue());
        }
        return w.i32(body.length).bytes(body).done();
    }

    /**
     * Reads an entry written by {@link #encode()}.
     *
     * @throws IllegalArgumentException when the bytes are null, short, malformed (including bad
     *     UTF-8 and trailing bytes), a vary marker, or of an unknown format version
     */
    public static CachedResponse decode(byte[] bytes) {
        Codec.Reader r = open(bytes, ENTRY_MAGIC_1, "cached response");
        int status = r.i32();
        long requestTime = r.i64();
        long responseTime = r.i64();
        long correctedInitialAge = r.i64();
        long lifetime = r.i64();
        long grace = r.i64();
        long apiGeneration = r.i64();
        long urlHash = r.i64();
        long urlGeneration = r.i64();
        int flags = r.u8();
        if ((flags & ~FLAG_MUST_REVALIDATE) != 0) {
            throw new IllegalArgumentException("unknown flags " + flags);
        }
        int headerCount = r.count(8);
        List<Map.Entry<String, String>> headers = new ArrayList<>(headerCount);
        for (int i = 0; i < headerCount; i++) {
            headers.add(Map.entry(r.string(), r.string()));
        }
        int varyCount = r.count(4);
        List<String> vary = new ArrayList<>(varyCount);
        for (int i = 0; i < varyCount; i++) {
            vary.add(r.string());
        }
        int tagCount = r.count(12);
        Map<String, Long> tags = new LinkedHashMap<>();
        for (int i = 0; i < tagCount; i++) {
            tags.put(r.string(), r.i64());
        }
        byte[] body = r.bytes(r.count(1));
        r.end();
        return new CachedResponse(status, headers, body, requestTime, responseTime, correctedInitialAge, lifetime,
            grace, (flags & FLAG_MUST_REVALIDATE) != 0, vary, tags, apiGeneration, urlHash, urlGeneration);
    }

    /**
     * Whether the encoded entry is covered by an invalidation: its API generation is below the
     * raised one, one of its tags has a generation below the one raised for it, or its URL's
     * generation is below what the raised URL buckets give it. Reads only what precedes the body
     * and decodes only tag names; for the background purge, which runs over every stored entry.
     * A vary marker or malformed bytes answer false (left to expire).
     */
    public static boolean coveredBy(byte[] bytes, Invalidated raised) {
        return coveredBy(bytes, 0, raised);
    }

    /**
     * {@link #coveredBy(byte[], Invalidated)} of an encoding that starts at {@code offset} and
     * runs to the end of {@code bytes}: a store's own serialized form of the entry, read where it
     * lies instead of copied out (a purge visits every entry of a map, a million 1 KiB copies
     * are a gigabyte of garbage). An offset outside the array answers false.
     */
    public static boolean coveredBy(byte[] bytes, int offset, Invalidated raised) {
        if (bytes == null || offset < 0 || bytes.length - offset < PREFIX || bytes[offset] != MAGIC_0
            || bytes[offset + 1] != ENTRY_MAGIC_1 || bytes[offset + 2] != FORMAT_VERSION) {
            return false;
        }
        try {
            Codec.Reader r = new Codec.Reader(bytes, offset + PREFIX);
            r.i32();
            for (int i = 0; i < 5; i++) {
                r.i64();
            }
            if (r.i64() < raised.apiGeneration()) {
                return true;
            }
            long urlHash = r.i64();
            long urlGeneration = r.i64();
            long[] bucket = raised.urls().get(UrlGenerations.bucket(urlHash));
            if (bucket != null && urlGeneration < UrlGenerations.generationIn(bucket, urlHash)) {
                return true;
            }
            if (raised.tags().isEmpty()) {
                return false;
            }
            r.u8();
            for (int i = 0, n = r.count(8); i < n; i++) {
                r.skipString();
                r.skipString();
            }
            for (int i = 0, n = r.count(4); i < n; i++) {
                r.skipString();
            }
            for (int i = 0, n = r.count(12); i < n; i++) {
                Long g = raised.tags().get(r.string());
                if (r.i64() < (g == null ? Long.MIN_VALUE : g)) {
                    return true;
                }
            }
            return false;
        } catch (IllegalArgumentException malformed) {
            return false;
        }
    }

    /**
     * A vary marker: the names a base key's response varied on, so a lookup knows which
     * secondary key ({@link CacheKeys#varyKey}) to read.
     *
     * @param expiresAtMillis when the marker may be dropped (typically the latest stale-until of
     *     its variants); kept in the encoding for the store
     */
    public static byte[] encodeVaryMarker(List<String> varyNames, long expiresAtMillis) {
        int size = PREFIX + 8 + 4;
        for (String name : varyNames) {
            size += Codec.stringSize(name);
        }
        Codec.Writer w = new Codec.Writer(size).u8(MAGIC_0).u8(MARKER_MAGIC_1).u8(FORMAT_VERSION)
            .i64(expiresAtMillis).i32(varyNames.size());
        for (String name : varyNames) {
            w.string(name);
        }
        return w.done();
    }

    /**
     * The names in a vary marker.
     *
     * @return empty when {@code bytes} are not a vary marker (e.g. an encoded {@link
     *     CachedResponse}, or null)
     * @throws IllegalArgumentException when they are a marker but malformed or of an unknown
     *     format version
     */
    public static Optional<List<String>> decodeVaryMarker(byte[] bytes) {
        if (!isVaryMarker(bytes)) {
            return Optional.empty();
        }
        Codec.Reader r = open(bytes, MARKER_MAGIC_1, "vary marker");
        r.i64(); // expiresAtMillis: for the store
        int count = r.count(4);
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(r.string());
        }
        r.end();
        return Optional.of(List.copyOf(names));
    }

    /** Whether {@code bytes} start with the vary marker's magic (whatever their version). */
    public static boolean isVaryMarker(byte[] bytes) {
        return bytes != null && bytes.length >= 2 && bytes[0] == MAGIC_0 && bytes[1] == MARKER_MAGIC_1;
    }

    private static Codec.Reader open(byte[] bytes, byte magic1, String what) {
        if (bytes == null || bytes.length < PREFIX || bytes[0] != MAGIC_0 || bytes[1] != magic1) {
            throw new IllegalArgumentException("not an encoded " + what);
        }
        if (bytes[2] != FORMAT_VERSION) {
            throw new IllegalArgumentException("unknown " + what + " format version " + (bytes[2] & 0xFF));
        }
        return new Codec.Reader(bytes, PREFIX);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CachedResponse other && status == other.status
            && requestTimeMillis == other.requestTimeMillis && responseTimeMillis == other.responseTimeMillis
            && correctedInitialAgeMillis == other.correctedInitialAgeMillis
            && lifetimeMillis == other.lifetimeMillis && graceMillis == other.graceMillis
            && mustRevalidate == other.mustRevalidate && apiGeneration == other.apiGeneration
            && urlHash == other.urlHash && urlGeneration == other.urlGeneration
            && headers.equals(other.headers) && Arrays.equals(body, other.body)
            && varyNames.equals(other.varyNames) && tagGenerations.equals(other.tagGenerations);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(status, headers, requestTimeMillis, responseTimeMillis, correctedInitialAgeMillis,
            lifetimeMillis, graceMillis, mustRevalidate, varyNames, tagGenerations, apiGeneration, urlHash, urlGeneration);
        return 31 * h + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "CachedResponse[status=" + status + ", headers=" + headers + ", body=" + body.length + " bytes"
            + ", requestTimeMillis=" + requestTimeMillis + ", responseTimeMillis=" + responseTimeMillis
            + ", correctedInitialAgeMillis=" + correctedInitialAgeMillis + ", lifetimeMillis=" + lifetimeMillis
            + ", graceMillis=" + graceMillis + ", mustRevalidate=" + mustRevalidate + ", varyNames=" + varyNames
            + ", tagGenerations=" + tagGenerations + ", apiGeneration=" + apiGeneration + ", urlHash=" + urlHash
            + ", urlGeneration=" + urlGeneration + "]";
    }
}
