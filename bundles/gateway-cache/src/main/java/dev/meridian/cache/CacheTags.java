package dev.meridian.cache;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The tags of a stored response (CONTRACT §6): the definition's templates, compiled once per
 * route and expanded per request, and the upstream's {@code Cache-Tag} / {@code Surrogate-Key}.
 *
 * <p>Template placeholders: {@code {path.N}} is the N-th segment (1-based, raw, not decoded) of
 * the request path ({@code /orders/42/lines}: {@code path.1} = {@code orders}); {@code
 * {query.name}} is the first value of that query parameter, percent-decoded as UTF-8 ({@code +}
 * stays {@code +}; names are compared after decoding); {@code {header.Name}} is the first value
 * of that request header (case-insensitive), trimmed. A placeholder with no value, or an empty
 * one, drops the whole tag. Anything else in braces (unknown placeholder, unbalanced brace) is
 * kept as literal text; the model already rejects such templates. Tags longer than 256
 * characters are dropped; duplicates are removed, first occurrence kept.
 *
 * <p>Immutable and thread-safe. Arguments are non-null unless a parameter says otherwise.
 */
public final class CacheTags {

    static final int MAX_TAGS = 64;
    static final int MAX_TAG_LENGTH = 256;

    private static final int PATH = 0;
    private static final int QUERY = 1;
    private static final int HEADER = 2;

    private final Template[] templates;

    private CacheTags(Template[] templates) {
        this.templates = templates;
    }

    /** Parses the templates once. */
    public static CacheTags compile(List<String> templates) {
        Template[] compiled = new Template[templates.size()];
        for (int i = 0; i < compiled.length; i++) {
            compiled[i] = Template.parse(templates.get(i));
        }
        return new CacheTags(compiled);
    }

    /**
     * The tags of one request, in template order.
     *
     * @param path the request path as received (not the upstream's)
     * @param rawQuery the query without {@code ?}; may be null
     * @return an unmodifiable list; empty when no template yields a tag
     */
    public List<String> expand(String path, String rawQuery, HeaderView request) {
        List<String> out = null;
        for (Template template : templates) {
            String tag = template.expand(path, rawQuery, request);
            if (tag == null || tag.isEmpty() || tag.length() > MAX_TAG_LENGTH) {
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(templates.length);
            }
            if (!out.contains(tag)) {
                out.add(tag);
            }
        }
        return out == null ? List.of() : Collections.unmodifiableList(out);
    }

    /**
     * The upstream's tags: {@code Cache-Tag} (comma-separated) then {@code Surrogate-Key}
     * (space-separated), trimmed, empties and duplicates dropped, tags over 256 characters
     * dropped, at most 64 kept. Immutable; empty when there are none.
     */
    public static List<String> fromResponse(HeaderView response) {
        List<String> cacheTag = response.values(Fields.CACHE_TAG);
        List<String> surrogateKey = response.values(Fields.SURROGATE_KEY);
        if (cacheTag.isEmpty() && surrogateKey.isEmpty()) {
            return List.of();
        }
        Set<String> tags = new LinkedHashSet<>();
        for (String line : cacheTag) {
            split(line, true, tags);
        }
        for (String line : surrogateKey) {
            split(line, false, tags);
        }
        return List.copyOf(tags);
    }

    private static void split(String line, boolean commas, Set<String> out) {
        int n = line.length();
        int i = 0;
        while (i < n && out.size() < MAX_TAGS) {
            int start = i;
            while (i < n && (commas ? line.charAt(i) != ',' : !Tokens.ows(line.charAt(i)))) {
                i++;
            }
            int end = i;
            start = Tokens.skipOws(line, start, end);
            end = Tokens.trimOws(line, start, end);
            if (end > start && end - start <= MAX_TAG_LENGTH) {
                out.add(line.substring(start, end));
            }
            i++;
        }
    }

    @Override
    public String toString() {
        List<String> sources = new ArrayList<>(templates.length);
        for (Template template : templates) {
            sources.add(template.source);
        }
        return "CacheTags" + sources;
    }

    /** One compiled template: literal strings and placeholders, alternating as written. */
    private static final class Template {

        private final String source;
        /** {@code String} literals and {@link Placeholder}s. */
        private final Object[] parts;
        /** The whole tag when the template has no placeholder, else null. */
        private final String constant;

        private Template(String source, Object[] parts) {
            this.source = source;
            this.parts = parts;
            this.constant = parts.length == 0 ? "" : parts.length == 1 && parts[0] instanceof String s ? s : null;
        }

        static Template parse(String source) {
            List<Object> parts = new ArrayList<>();
            StringBuilder literal = new StringBuilder();
            int n = source.length();
            int i = 0;
            while (i < n) {
                char c = source.charAt(i);
                int close = c == '{' ? closingBrace(source, i + 1) : -1;
                Placeholder placeholder = close < 0 ? null : Placeholder.parse(source.substring(i + 1, close));
                if (placeholder == null) {
                    literal.append(c);
                    i++;
                    continue;
                }
                if (literal.length() > 0) {
                    parts.add(literal.toString());
                    literal.setLength(0);
                }
                parts.add(placeholder);
                i = close + 1;
            }
            if (literal.length() > 0) {
                parts.add(literal.toString());
            }
            return new Template(source, parts.toArray());
        }

        /** The index of the '}' closing a '{' just before {@code from}, or -1 if another '{' or the end comes first. */
        private static int closingBrace(String s, int from) {
            for (int i = from; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '}') {
                    return i;
                }
                if (c == '{') {
                    return -1;
                }
            }
            return -1;
        }

        String expand(String path, String rawQuery, HeaderView request) {
            if (constant != null) {
                return constant;
            }
            StringBuilder sb = new StringBuilder(source.length() + 16);
            for (Object part : parts) {
                if (part instanceof String literal) {
                    sb.append(literal);
                    continue;
                }
                String value = ((Placeholder) part).value(path, rawQuery, request);
                if (value == null || value.isEmpty()) {
                    return null;
                }
                sb.append(value);
            }
            return sb.toString();
        }
    }

    /** A {@code {path.N}}, {@code {query.name}} or {@code {header.Name}} placeholder. */
    private static final class Placeholder {

        private final int kind;
        private final int segment;
        private final String name;

        private Placeholder(int kind, int segment, String name) {
            this.kind = kind;
            this.segment = segment;
            this.name = name;
        }

        /** The placeholder written as {@code {body}}, or null when it is not one. */
        static Placeholder parse(String body) {
            if (body.startsWith("path.") && body.length() > 5 && body.length() <= 14) {
                int n = 0;
                for (int i = 5; i < body.length(); i++) {
                    char c = body.charAt(i);
                    if (c < '0' || c > '9') {
                        return null;
                    }
                    n = n * 10 + (c - '0');
                }
                return n >= 1 ? new Placeholder(PATH, n, null) : null;
            }
            if (body.startsWith("query.") && body.length() > 6) {
                return new Placeholder(QUERY, 0, body.substring(6));
            }
            if (body.startsWith("header.") && body.length() > 7) {
                return new Placeholder(HEADER, 0, body.substring(7));
            }
            return null;
        }

        String value(String path, String rawQuery, HeaderView request) {
            switch (kind) {
                case PATH:
                    return pathSegment(path, segment);
                case QUERY:
                    return queryValue(rawQuery, name);
                default:
                    String value = request.first(name);
                    return value == null ? null : value.trim();
            }
        }
    }

    /** The {@code n}-th (1-based) segment after the leading '/', or null. */
    static String pathSegment(String path, int n) {
        int start = path.startsWith("/") ? 1 : 0;
        int len = path.length();
        for (int k = 1; start <= len; k++) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = len;
            }
            if (k == n) {
                return end > start ? path.substring(start, end) : null;
            }
            start = end + 1;
        }
        return null;
    }

    /** The percent-decoded first value of parameter {@code name}, or null (also for a parameter without {@code =}). */
    static String queryValue(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        int n = rawQuery.length();
        int start = 0;
        while (start < n) {
            int end = start;
            int nameEnd = -1;
            boolean encodedName = false;
            for (char c; end < n && (c = rawQuery.charAt(end)) != '&'; end++) {
                if (nameEnd < 0) {
                    if (c == '=') {
                        nameEnd = end;
                    } else if (c == '%') {
                        encodedName = true;
                    }
                }
            }
            boolean hasValue = nameEnd >= 0;
            if (!hasValue) {
                nameEnd = end;
            }
            boolean match = encodedName
                ? decode(rawQuery, start, nameEnd).equals(name)
                : nameEnd - start == name.length() && rawQuery.startsWith(name, start);
            if (match) {
                return hasValue ? decode(rawQuery, nameEnd + 1, end) : null;
            }
            start = end + 1;
        }
        return null;
    }

    /** Percent-decodes {@code s[start, end)} as UTF-8; a malformed escape stays as written. */
    static String decode(String s, int start, int end) {
        int pct = s.indexOf('%', start);
        if (pct < 0 || pct >= end) {
            return s.substring(start, end);
        }
        byte[] raw = s.substring(start, end).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[raw.length];
        int o = 0;
        for (int i = 0; i < raw.length; i++) {
            byte b = raw[i];
            if (b == '%' && i + 2 < raw.length) {
                int hi = Character.digit(raw[i + 1], 16);
                int lo = Character.digit(raw[i + 2], 16);
                if (hi >= 0 && lo >= 0) {
                    out[o++] = (byte) (hi << 4 | lo);
                    i += 2;
                    continue;
                }
            }
            out[o++] = b;
        }
        return new String(out, 0, o, StandardCharsets.UTF_8);
    }
}
