package dev.meridian.cache;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cache directives of one request or response (RFC 9111 §5.2).
 *
 * <p>{@link #parse(List)} reads {@code Cache-Control} field lines tolerantly: directive names in
 * any case, values as tokens or quoted strings (commas inside quotes do not split), unknown
 * directives and garbage ignored, the first occurrence of a repeated directive wins (RFC 9111
 * §4.2.1). A delta-seconds directive whose value is invalid or missing, or that is malformed (a
 * space before or after its {@code =}, or more text before the next comma) counts as present
 * with value 0: for {@code max-age} and {@code s-maxage} that makes the response stale, as RFC
 * 9111 §4.2.1 encourages for invalid freshness information. Leading zeros are valid ({@code
 * max-age=003600} is 3600, §1.2.2); values above 2147483648 are clamped to it (§1.2.2). The
 * qualified forms {@code no-cache="field"} and {@code private="field"} are treated as the
 * unqualified directives (allowed by §5.2.2.4 and §5.2.2.7).
 *
 * <p>{@link #forResponse(HeaderView)} is the entry point for every response-side decision: it
 * applies the targeted fields of RFC 9213 before {@code Cache-Control}.
 *
 * <p>Immutable and thread-safe. Delta accessors return seconds, or -1 when absent.
 */
public final class CacheControl {

    /** The field targeted at Meridian alone; it takes precedence over every other (RFC 9213 §2.2). */
    public static final String MERIDIAN_CACHE_CONTROL = "Meridian-Cache-Control";
    /** The field targeted at CDN caches (RFC 9213 §3), which Meridian is one of. */
    public static final String CDN_CACHE_CONTROL = "CDN-Cache-Control";
    /** Meridian's target list (RFC 9213 §2.2), most applicable first. */
    public static final List<String> TARGET_LIST = List.of(MERIDIAN_CACHE_CONTROL, CDN_CACHE_CONTROL);

    /** No directive at all. */
    public static final CacheControl NONE = new CacheControl(0, new long[] {-1, -1, -1, -1, -1, -1}, Fields.CACHE_CONTROL);

    static final long MAX_DELTA_SECONDS = 2_147_483_648L;

    private static final int NO_STORE = 1;
    private static final int NO_CACHE = 1 << 1;
    private static final int PRIVATE = 1 << 2;
    private static final int PUBLIC = 1 << 3;
    private static final int MUST_REVALIDATE = 1 << 4;
    private static final int PROXY_REVALIDATE = 1 << 5;
    private static final int ONLY_IF_CACHED = 1 << 6;
    private static final int NO_TRANSFORM = 1 << 7;

    private static final int MAX_AGE = 0;
    private static final int S_MAXAGE = 1;
    private static final int MAX_STALE = 2;
    private static final int MIN_FRESH = 3;
    private static final int STALE_WHILE_REVALIDATE = 4;
    private static final int STALE_IF_ERROR = 5;

    private static final CacheControl PRAGMA_NO_CACHE =
        new CacheControl(NO_CACHE, new long[] {-1, -1, -1, -1, -1, -1}, Fields.PRAGMA);

    private final int flags;
    private final long maxAge;
    private final long sMaxAge;
    private final long maxStale;
    private final long minFresh;
    private final long staleWhileRevalidate;
    private final long staleIfError;
    private final String field;

    private CacheControl(int flags, long[] deltas, String field) {
        this.flags = flags;
        this.maxAge = deltas[MAX_AGE];
        this.sMaxAge = deltas[S_MAXAGE];
        this.maxStale = deltas[MAX_STALE];
        this.minFresh = deltas[MIN_FRESH];
        this.staleWhileRevalidate = deltas[STALE_WHILE_REVALIDATE];
        this.staleIfError = deltas[STALE_IF_ERROR];
        this.field = field;
    }

    /**
     * Parses all {@code Cache-Control} field lines of a message. For the directives that govern
     * a response use {@link #forResponse(HeaderView)}, which applies the targeted fields first.
     *
     * @param fieldValues the field lines, as from {@link HeaderView#values(String)}; null
     *     elements are skipped
     * @return {@link #NONE} when there is no directive; never null
     */
    public static CacheControl parse(List<String> fieldValues) {
        if (fieldValues.isEmpty()) {
            return NONE;
        }
        int flags = 0;
        long[] deltas = null;
        for (int i = 0, n = fieldValues.size(); i < n; i++) {
            String line = fieldValues.get(i);
            if (line == null) {
                continue;
            }
            int p = 0;
            int len = line.length();
            while (p < len) {
                char c = line.charAt(p);
                if (c == ',' || Tokens.ows(c)) {
                    p++;
                    continue;
                }
                if (c == '"' || c == '=') {
                    p = skipToComma(line, p); // garbage where a name belongs
                    continue;
                }
                int nameStart = p;
                while (p < len && (c = line.charAt(p)) != ',' && c != '=' && c != '"' && !Tokens.ows(c)) {
                    p++;
                }
                int nameLength = p - nameStart;
                boolean malformed = false;
                if (p < len && Tokens.ows(line.charAt(p))) {
                    int q = Tokens.skipOws(line, p, len);
                    malformed = q < len && line.charAt(q) != ','; // "max-age =1", "max-age 1"
                    p = q;
                }
                int valueStart = -1;
                int valueEnd = -1;
                boolean escaped = false;
                if (!malformed && p < len && line.charAt(p) == '=') {
                    p++;
                    if (p < len && Tokens.ows(line.charAt(p))) {
                        malformed = true; // "max-age= 1"
                    } else if (p < len && line.charAt(p) == '"') {
                        valueStart = ++p;
                        while (p < len && (c = line.charAt(p)) != '"') {
                            if (c == '\\') {
                                escaped = true;
                                p++;
                            }
                            p++;
                        }
                        valueEnd = Math.min(p, len);
                        p++;
                    } else {
                        valueStart = p;
                        while (p < len && (c = line.charAt(p)) != ',' && !Tokens.ows(c)) {
                            p++;
                        }
                        valueEnd = p;
                    }
                    if (!malformed) {
                        int q = Tokens.skipOws(line, Math.min(p, len), len);
                        malformed = q < len && line.charAt(q) != ','; // "max-age=1 trailing"
                    }
                }
                p = skipToComma(line, Math.min(p, len));
                int flag = flag(line, nameStart, nameLength);
                if (flag != 0) {
                    if (!(malformed && flag == PUBLIC)) { // a malformed public grants nothing
                        flags |= flag;
                    }
                    continue;
                }
                int delta = delta(line, nameStart, nameLength);
                if (delta < 0) {
                    continue;
                }
                if (deltas == null) {
                    deltas = new long[] {-1, -1, -1, -1, -1, -1};
                }
                if (deltas[delta] != -1) {
                    continue; // the first occurrence wins (RFC 9111 §4.2.1)
                }
                if (malformed) {
                    deltas[delta] = 0;
                } else if (valueStart < 0) {
                    deltas[delta] = delta == MAX_STALE ? Long.MAX_VALUE : 0;
                } else {
                    deltas[delta] = escaped ? 0 : deltaSeconds(line, valueStart, valueEnd);
                }
            }
        }
        if (flags == 0 && deltas == null) {
            return NONE;
        }
        return new CacheControl(flags, deltas == null ? NONE.deltas() : deltas, Fields.CACHE_CONTROL);
    }

    /**
     * The directives that govern Meridian's handling of {@code response} (RFC 9213 §2.2): those of
     * the first field of {@link #TARGET_LIST} ({@code Meridian-Cache-Control}, then {@code
     * CDN-Cache-Control}) that is present, a valid RFC 8941 Dictionary, not empty, and whose
     * known directives have the types RFC 9213 §2.1 infers; otherwise {@code Cache-Control} as
     * {@link #parse(List)} reads it. When a targeted field is used, {@code Cache-Control} is
     * ignored entirely, and {@code Expires} too ({@link #targeted()}; see {@link
     * Freshness#lifetimeMillis}).
     *
     * <p>In a targeted field, {@code max-age}, {@code s-maxage}, {@code stale-while-revalidate}
     * and {@code stale-if-error} must be non-negative Integers (above 2147483648 clamped);
     * {@code no-store}, {@code must-revalidate}, {@code proxy-revalidate}, {@code public} and
     * {@code no-transform} must be Boolean true; {@code no-cache} and {@code private} Boolean
     * true or a String (a field list, treated as unqualified). Any other type for these makes the
     * whole field invalid, as a parse error does ({@code max-age="60"} is not consumed, §2.1).
     * Parameters and unknown directives are ignored; a repeated directive keeps its last value
     * (RFC 8941 §4.2.2). Request-only directives ({@code max-stale}, {@code min-fresh}, {@code
     * only-if-cached}) are ignored there.
     *
     * @return never null; {@link #NONE} when no field says anything
     */
    public static CacheControl forResponse(HeaderView response) {
        for (String name : TARGET_LIST) {
            List<String> lines = response.values(name);
            if (lines.isEmpty()) {
                continue;
            }
            CacheControl targeted = targeted(name, lines);
            if (targeted != null) {
                return targeted;
            }
        }
        return parse(response.values(Fields.CACHE_CONTROL));
    }

    /** A targeted field's directives, or null when it is invalid or empty. */
    private static CacheControl targeted(String name, List<String> lines) {
        Optional<Map<String, StructuredFields.Member>> parsed = StructuredFields.parseDictionary(lines);
        if (parsed.isEmpty() || parsed.get().isEmpty()) {
            return null;
        }
        int flags = 0;
        long[] deltas = {-1, -1, -1, -1, -1, -1};
        for (Map.Entry<String, StructuredFields.Member> member : parsed.get().entrySet()) {
            String key = member.getKey();
            Object value = member.getValue() instanceof StructuredFields.Item item ? item.value() : null;
            int flag = flag(key, 0, key.length());
            int delta = delta(key, 0, key.length());
            if (flag == ONLY_IF_CACHED || delta == MAX_STALE || delta == MIN_FRESH) {
                continue; // request directives
            }
            if (flag != 0) {
                boolean fieldList = (flag == NO_CACHE || flag == PRIVATE) && value instanceof String;
                if (!Boolean.TRUE.equals(value) && !fieldList) {
                    return null;
                }
                flags |= flag;
            } else if (delta >= 0) {
                if (!(value instanceof Long seconds) || seconds < 0) {
                    return null;
                }
                deltas[delta] = Math.min(seconds, MAX_DELTA_SECONDS);
            }
        }
        return new CacheControl(flags, deltas, name);
    }

    /**
     * The request directives of {@code request}: its {@code Cache-Control}, or, only when it has
     * no {@code Cache-Control} field at all, {@code Pragma: no-cache} as {@code no-cache} (RFC
     * 9111 §5.4).
     */
    public static CacheControl parseRequest(HeaderView request) {
        List<String> cacheControl = request.values(Fields.CACHE_CONTROL);
        if (!cacheControl.isEmpty()) {
            return parse(cacheControl);
        }
        List<String> pragma = request.values(Fields.PRAGMA);
        for (int i = 0, n = pragma.size(); i < n; i++) {
            String line = pragma.get(i);
            if (line != null && Tokens.listContains(line, "no-cache")) {
                return PRAGMA_NO_CACHE;
            }
        }
        return NONE;
    }

    /**
     * The field these directives were read from: {@code Cache-Control} (also for {@link #NONE}),
     * {@code Pragma}, or one of {@link #TARGET_LIST}.
     */
    public String field() {
        return field;
    }

    /**
     * Whether these directives come from a targeted field (RFC 9213): then {@code Cache-Control}
     * and {@code Expires} of the response do not count.
     */
    public boolean targeted() {
        return !field.equals(Fields.CACHE_CONTROL) && !field.equals(Fields.PRAGMA);
    }

    public boolean noStore() {
        return (flags & NO_STORE) != 0;
    }

    public boolean noCache() {
        return (flags & NO_CACHE) != 0;
    }

    public boolean isPrivate() {
        return (flags & PRIVATE) != 0;
    }

    public boolean isPublic() {
        return (flags & PUBLIC) != 0;
    }

    public boolean mustRevalidate() {
        return (flags & MUST_REVALIDATE) != 0;
    }

    public boolean proxyRevalidate() {
        return (flags & PROXY_REVALIDATE) != 0;
    }

    public boolean onlyIfCached() {
        return (flags & ONLY_IF_CACHED) != 0;
    }

    public boolean noTransform() {
        return (flags & NO_TRANSFORM) != 0;
    }

    /** {@code max-age} in seconds, or -1. */
    public long maxAge() {
        return maxAge;
    }

    /** {@code s-maxage} in seconds, or -1. */
    public long sMaxAge() {
        return sMaxAge;
    }

    /** {@code max-stale} in seconds, {@link Long#MAX_VALUE} when present without a value, or -1. */
    public long maxStale() {
        return maxStale;
    }

    /** {@code min-fresh} in seconds, or -1. */
    public long minFresh() {
        return minFresh;
    }

    /** {@code stale-while-revalidate} (RFC 5861) in seconds, or -1. */
    public long staleWhileRevalidate() {
        return staleWhileRevalidate;
    }

    /** {@code stale-if-error} (RFC 5861) in seconds, or -1. */
    public long staleIfError() {
        return staleIfError;
    }

    private long[] deltas() {
        return new long[] {maxAge, sMaxAge, maxStale, minFresh, staleWhileRevalidate, staleIfError};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheControl other && flags == other.flags
            && Arrays.equals(deltas(), other.deltas()) && field.equals(other.field);
    }

    @Override
    public int hashCode() {
        return (31 * flags + Arrays.hashCode(deltas())) * 31 + field.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(targeted() ? field + "[" : "CacheControl[");
        String[] names = {"no-store", "no-cache", "private", "public", "must-revalidate", "proxy-revalidate",
            "only-if-cached", "no-transform"};
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                sb.append(names[i]).append(',');
            }
        }
        String[] deltaNames = {"max-age", "s-maxage", "max-stale", "min-fresh", "stale-while-revalidate",
            "stale-if-error"};
        long[] deltas = deltas();
        for (int i = 0; i < deltas.length; i++) {
            if (deltas[i] >= 0) {
                sb.append(deltaNames[i]).append('=').append(deltas[i]).append(',');
            }
        }
        if (sb.charAt(sb.length() - 1) == ',') {
            sb.setLength(sb.length() - 1);
        }
        return sb.append(']').toString();
    }

    /** The index after the next comma outside a quoted string, or the end. */
    private static int skipToComma(String s, int p) {
        int len = s.length();
        while (p < len) {
            char c = s.charAt(p);
            if (c == ',') {
                return p + 1;
            }
            if (c == '"') {
                p++;
                while (p < len && (c = s.charAt(p)) != '"') {
                    p += c == '\\' ? 2 : 1;
                }
            }
            p++;
        }
        return len;
    }

    private static int flag(String s, int at, int len) {
        switch (len) {
            case 6:
                return is(s, at, len, "public") ? PUBLIC : 0;
            case 7:
                return is(s, at, len, "private") ? PRIVATE : 0;
            case 8:
                return is(s, at, len, "no-store") ? NO_STORE : is(s, at, len, "no-cache") ? NO_CACHE : 0;
            case 12:
                return is(s, at, len, "no-transform") ? NO_TRANSFORM : 0;
            case 14:
                return is(s, at, len, "only-if-cached") ? ONLY_IF_CACHED : 0;
            case 15:
                return is(s, at, len, "must-revalidate") ? MUST_REVALIDATE : 0;
            case 16:
                return is(s, at, len, "proxy-revalidate") ? PROXY_REVALIDATE : 0;
            default:
                return 0;
        }
    }

    private static int delta(String s, int at, int len) {
        switch (len) {
            case 7:
                return is(s, at, len, "max-age") ? MAX_AGE : -1;
            case 8:
                return is(s, at, len, "s-maxage") ? S_MAXAGE : -1;
            case 9:
                return is(s, at, len, "max-stale") ? MAX_STALE : is(s, at, len, "min-fresh") ? MIN_FRESH : -1;
            case 14:
                return is(s, at, len, "stale-if-error") ? STALE_IF_ERROR : -1;
            case 22:
                return is(s, at, len, "stale-while-revalidate") ? STALE_WHILE_REVALIDATE : -1;
            default:
                return -1;
        }
    }

    private static boolean is(String s, int at, int len, String name) {
        return s.regionMatches(true, at, name, 0, len);
    }

    /** Digits only, clamped to {@link #MAX_DELTA_SECONDS}; anything else is 0. */
    static long deltaSeconds(String s, int start, int end) {
        if (start >= end) {
            return 0;
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return 0;
            }
            if (value < MAX_DELTA_SECONDS) {
                value = Math.min(MAX_DELTA_SECONDS, value * 10 + (c - '0'));
            }
        }
        return value;
    }
}
