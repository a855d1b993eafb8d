package dev.meridian.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Cache keys: the primary key of a request under one API's {@link CacheRules}, the secondary
 * key of a response that varies on request headers, and the query normalisation they share.
 *
 * <p>A key is readable ({@code GET|/orders/1|a=1&b=2|h:accept=application/json|c:-}) and
 * collision-free for one set of rules: parts appear in the configured order, separated by
 * {@code |}, and {@code |} and {@code \} inside values are escaped with {@code \}, so a key
 * splits back into its parts unambiguously. Keys of different rules are not comparable: the
 * caller namespaces them by API and {@link CacheRules#version()}.
 *
 * <p>Stateless and thread-safe. Arguments are non-null unless a parameter says otherwise.
 */
public final class CacheKeys {

    private static final int AUTH_DIGEST_BYTES = 16;
    private static final Comparator<String> PARAMETER_ORDER =
        (a, b) -> compareParameters(a, 0, a.length(), b, 0, b.length());

    private CacheKeys() {}

    /**
     * The query with empty parameters dropped and the rest sorted by name, then value, in byte
     * order of their raw (still percent-encoded) UTF-8 text; nothing is decoded, so {@code +},
     * {@code %20} and {@code %2B} stay distinct. A parameter without {@code =} sorts before the
     * same name with an empty value. An already normal query is returned as is.
     *
     * @param rawQuery the query without {@code ?}; may be null
     * @return the normal form; {@code ""} for null or empty
     */
    public static String normaliseQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        int n = rawQuery.length();
        int prevStart = -1;
        int prevEnd = -1;
        boolean normal = true;
        int count = 0;
        for (int start = 0; start <= n; ) {
            int end = rawQuery.indexOf('&', start);
            if (end < 0) {
                end = n;
            }
            if (end == start) {
                normal = false; // empty parameter (or leading/trailing/double '&')
            } else {
                count++;
                if (prevStart >= 0 && compareParameters(rawQuery, prevStart, prevEnd, rawQuery, start, end) > 0) {
                    normal = false;
                }
                prevStart = start;
                prevEnd = end;
            }
            start = end + 1;
        }
        if (normal) {
            return rawQuery;
        }
        String[] params = new String[count];
        int i = 0;
        for (int start = 0; start <= n; ) {
            int end = rawQuery.indexOf('&', start);
            if (end < 0) {
                end = n;
            }
            if (end > start) {
                params[i++] = rawQuery.substring(start, end);
            }
            start = end + 1;
        }
        Arrays.sort(params, PARAMETER_ORDER);
        return String.join("&", params);
    }

    /**
     * The primary cache key of a request: the configured {@link CacheRules#keyParts()} in order.
     * <ul>
     *   <li>{@code method}: as given, except that {@code HEAD} becomes {@code GET}, so a {@code
     *       HEAD} is answered from a stored {@code GET};
     *   <li>{@code path}: as given;
     *   <li>{@code query}: {@link #normaliseQuery(String) normalised};
     *   <li>{@code header:<Name>}: {@code h:<name lower-cased>=<values>}, every field line
     *       trimmed and joined with {@code ,}; an absent header is {@code h:<name>} (no {@code
     *       =}), distinct from an empty one;
     *   <li>{@code consumer}: {@code c=<consumer>}, or {@code c:-} when there is none. On an API
     *       that is not {@link CacheRules#shared() shared} this part is added at the end even when
     *       not listed (CONTRACT §6), and a request with no identified consumer that carries
     *       {@code Authorization} is keyed by a digest of its credentials instead ({@code
     *       c#<hex>}), so that no one is answered with a response to someone else's credentials.
     * </ul>
     *
     * @param rawQuery the query without {@code ?}; may be null
     * @param consumer the consumer a request policy identified; may be null
     */
    public static String key(CacheRules rules, String method, String path, String rawQuery, HeaderView request,
        String consumer) {
        List<String> parts = rules.keyParts();
        StringBuilder sb = new StringBuilder(48 + path.length() + (rawQuery == null ? 0 : rawQuery.length()));
        boolean consumerWritten = false;
        for (int i = 0, n = parts.size(); i < n; i++) {
            if (i > 0) {
                sb.append('|');
            }
            String part = parts.get(i);
            switch (part) {
                case "method" -> Tokens.appendEscaped(sb, "HEAD".equals(method) ? "GET" : method);
                case "path" -> Tokens.appendEscaped(sb, path);
                case "query" -> Tokens.appendEscaped(sb, normaliseQuery(rawQuery));
                case "consumer" -> {
                    appendConsumer(sb, rules, consumer, request);
                    consumerWritten = true;
                }
                default -> appendHeader(sb, part, request);
            }
        }
        if (!consumerWritten && !rules.shared()) {
            sb.append('|');
            appendConsumer(sb, rules, consumer, request);
        }
        return sb.toString();
    }

    /**
     * The secondary key of a response that varies: {@code baseKey}, a {@code |v} marker, then for
     * each named request header (names lower-cased, sorted, deduplicated) {@code |name=value} —
     * the field lines joined with {@code ,}, list elements trimmed so that whitespace around
     * commas does not matter — or {@code |name} when the request lacks it.
     *
     * @param varyHeaderNames the names from {@link #varyNames(HeaderView)} (any case or order is
     *     accepted)
     */
    public static String varyKey(String baseKey, List<String> varyHeaderNames, HeaderView request) {
        List<String> names = normalNames(varyHeaderNames);
        StringBuilder sb = new StringBuilder(baseKey.length() + 16 + 32 * names.size()).append(baseKey).append("|v");
        for (int i = 0, n = names.size(); i < n; i++) {
            String name = names.get(i);
            sb.append('|');
            Tokens.appendLowerCase(sb, name, 0, name.length(), true);
            List<String> values = request.values(name);
            if (values.isEmpty()) {
                continue;
            }
            sb.append('=');
            for (int v = 0, vn = values.size(); v < vn; v++) {
                if (v > 0) {
                    sb.append(',');
                }
                appendListTrimmed(sb, values.get(v));
            }
        }
        return sb.toString();
    }

    /**
     * The header names a response's {@code Vary} fields list: lower-cased, sorted, deduplicated;
     * {@code ["*"]} when any is {@code *}; empty when there is no {@code Vary}. Immutable.
     */
    public static List<String> varyNames(HeaderView response) {
        List<String> vary = response.values(Fields.VARY);
        if (vary.isEmpty()) {
            return List.of();
        }
        TreeSet<String> names = new TreeSet<>();
        for (int i = 0, n = vary.size(); i < n; i++) {
            Tokens.addLowerCase(vary.get(i), names);
        }
        if (names.contains("*")) {
            return List.of("*");
        }
        return List.copyOf(names);
    }

    private static List<String> normalNames(List<String> names) {
        for (int i = 0, n = names.size(); i < n; i++) {
            String name = names.get(i);
            boolean lower = name.equals(name.toLowerCase(Locale.ROOT));
            if (!lower || i > 0 && names.get(i - 1).compareTo(name) >= 0) {
                TreeSet<String> sorted = new TreeSet<>();
                for (String each : names) {
                    sorted.add(each.toLowerCase(Locale.ROOT));
                }
                return new ArrayList<>(sorted);
            }
        }
        return names;
    }

    private static void appendConsumer(StringBuilder sb, CacheRules rules, String consumer, HeaderView request) {
        if (consumer != null) {
            sb.append("c=");
            Tokens.appendEscaped(sb, consumer);
            return;
        }
        List<String> authorization = rules.shared() ? List.of() : request.values(Fields.AUTHORIZATION);
        if (authorization.isEmpty()) {
            sb.append("c:-");
            return;
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (int i = 0, n = authorization.size(); i < n; i++) {
                digest.update(authorization.get(i).getBytes(StandardCharsets.UTF_8));
                digest.update((byte) '\n');
            }
            sb.append("c#").append(Tokens.hex(digest.digest(), AUTH_DIGEST_BYTES));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    private static void appendHeader(StringBuilder sb, String part, HeaderView request) {
        int nameStart = CacheRules.HEADER_PREFIX.length();
        String name = part.substring(nameStart);
        sb.append("h:");
        Tokens.appendLowerCase(sb, part, nameStart, part.length(), true);
        List<String> values = request.values(name);
        if (values.isEmpty()) {
            return;
        }
        sb.append('=');
        for (int i = 0, n = values.size(); i < n; i++) {
            if (i > 0) {
                sb.append(',');
            }
            String value = values.get(i);
            int start = Tokens.skipOws(value, 0, value.length());
            int end = Tokens.trimOws(value, start, value.length());
            Tokens.appendEscaped(sb, value, start, end, '|');
        }
    }

    /** Appends the comma-separated elements of {@code value}, each trimmed, joined with {@code ,}. */
    private static void appendListTrimmed(StringBuilder sb, String value) {
        int n = value.length();
        int i = 0;
        while (true) {
            int start = i;
            while (i < n && value.charAt(i) != ',') {
                i++;
            }
            int end = i;
            start = Tokens.skipOws(value, start, end);
            end = Tokens.trimOws(value, start, end);
            Tokens.appendEscaped(sb, value, start, end, '|');
            if (i >= n) {
                return;
            }
            sb.append(',');
            i++;
        }
    }

    /** Orders raw parameters by name, then "no value" before any value, then value; code point order. */
    static int compareParameters(String a, int aStart, int aEnd, String b, int bStart, int bEnd) {
        int aEq = indexOf(a, '=', aStart, aEnd);
        int bEq = indexOf(b, '=', bStart, bEnd);
        int byName = Tokens.compareCodePoints(a, aStart, aEq < 0 ? aEnd : aEq, b, bStart, bEq < 0 ? bEnd : bEq);
        if (byName != 0) {
            return byName;
        }
        if (aEq < 0 || bEq < 0) {
            return (aEq < 0 ? 0 : 1) - (bEq < 0 ? 0 : 1);
        }
        return Tokens.compareCodePoints(a, aEq + 1, aEnd, b, bEq + 1, bEnd);
    }

    private static int indexOf(String s, char c, int start, int end) {
        for (int i = start; i < end; i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }
}
