package dev.meridian.cache;

import java.util.List;

/**
 * A client's own conditional GET or HEAD answered from a stored entry (RFC 9110 §13.2.2, RFC
 * 9111 §4.3.2). When {@code If-None-Match} is present it alone decides, by weak comparison
 * (§8.8.3.2), and {@code If-Modified-Since} is ignored (§13.1.3); otherwise {@code
 * If-Modified-Since} is compared with the stored {@code Last-Modified}, or, without one, with the
 * stored {@code Date}, or the time the entry was received (RFC 9111 §4.3.2).
 *
 * <p>Anything malformed answers "not known to be unmodified", so the full stored response is
 * sent, which is always a correct answer: an {@code If-None-Match} that is not {@code *} alone
 * nor a list of valid entity-tags, an invalid stored {@code ETag}, an {@code If-Modified-Since}
 * that is not one HTTP-date. Entity-tags are compared character for character; obs-text (bytes
 * 0x80 to 0xFF, seen as the ISO-8859-1 characters U+0080 to U+00FF) is valid in them, any
 * character above U+00FF is not (it cannot come from a byte).
 *
 * <p>Only the GET/HEAD answer is decided here: a request that also carries {@code If-Match},
 * {@code If-Unmodified-Since} or {@code If-Range} has preconditions for the origin (RFC 9111
 * §4.3.2) and should not be answered from the cache at all. Stateless.
 */
public final class Conditionals {

    private Conditionals() {
    }

    /** Whether the request's conditions say it already has {@code entry}: answer 304 instead. */
    public static boolean notModified(HeaderView request, CachedResponse entry) {
        return notModified(request, entry.headerView(), entry.responseTimeMillis());
    }

    /**
     * Whether the request's conditions say it already has the stored response with header fields
     * {@code stored}, received at {@code receivedMillis}: answer 304 instead.
     */
    public static boolean notModified(HeaderView request, HeaderView stored, long receivedMillis) {
        List<String> inm = request.values(Fields.IF_NONE_MATCH);
        if (!inm.isEmpty()) {
            return ifNoneMatchMatches(inm, stored.values(Fields.ETAG));
        }
        List<String> ims = request.values(Fields.IF_MODIFIED_SINCE);
        if (ims.size() != 1) {
            return false; // absent, or not one HTTP-date
        }
        long since = HttpDates.parse(ims.get(0));
        if (since == HttpDates.INVALID) {
            return false; // ignored (RFC 9110 §13.1.3)
        }
        long modified = HttpDates.parse(stored.first(Fields.LAST_MODIFIED));
        if (modified == HttpDates.INVALID) {
            modified = HttpDates.parse(stored.first(Fields.DATE));
        }
        if (modified == HttpDates.INVALID) {
            modified = receivedMillis;
        }
        return modified <= since;
    }

    /**
     * Whether an {@code If-None-Match} (all its lines) matches the stored {@code ETag} lines by
     * weak comparison: {@code *} alone matches any stored response; otherwise one listed
     * entity-tag must weakly match the one stored entity-tag. False when the field or the stored
     * tag is malformed, or there is no stored tag.
     */
    static boolean ifNoneMatchMatches(List<String> ifNoneMatch, List<String> storedEtag) {
        if (isStar(ifNoneMatch)) {
            return true;
        }
        if (storedEtag.size() != 1) {
            return false; // none, or several: not one entity-tag
        }
        String stored = storedEtag.get(0);
        int storedStart = Tokens.skipOws(stored, 0, stored.length());
        int storedEnd = entityTagEnd(stored, storedStart);
        if (storedEnd < 0 || Tokens.skipOws(stored, storedEnd, stored.length()) != stored.length()) {
            return false;
        }
        boolean matched = false;
        for (int i = 0, n = ifNoneMatch.size(); i < n; i++) {
            String line = ifNoneMatch.get(i);
            int len = line.length();
            int p = 0;
            while (p < len) {
                p = Tokens.skipOws(line, p, len);
                if (p < len && line.charAt(p) == ',') {
                    p++; // an empty element (RFC 9110 §5.6.1)
                    continue;
                }
                if (p == len) {
                    break;
                }
                int end = entityTagEnd(line, p);
                if (end < 0) {
                    return false; // not an entity-tag: the whole field is malformed
                }
                matched |= weakMatch(line, p, end, stored, storedStart, storedEnd);
                p = Tokens.skipOws(line, end, len);
                if (p < len && line.charAt(p) != ',') {
                    return false;
                }
                p++;
            }
        }
        return matched;
    }

    /**
     * Whether two entity-tags match by weak comparison (RFC 9110 §8.8.3.2): their opaque-tags
     * are equal character for character, whether or not either is weak. False unless both are
     * valid entity-tags.
     */
    public static boolean weakMatch(String a, String b) {
        int aEnd = entityTagEnd(a, 0);
        int bEnd = entityTagEnd(b, 0);
        return aEnd == a.length() && bEnd == b.length() && weakMatch(a, 0, aEnd, b, 0, bEnd);
    }

    private static boolean weakMatch(String a, int aStart, int aEnd, String b, int bStart, int bEnd) {
        int aOpaque = a.charAt(aStart) == 'W' ? aStart + 2 : aStart;
        int bOpaque = b.charAt(bStart) == 'W' ? bStart + 2 : bStart;
        int length = aEnd - aOpaque;
        return length == bEnd - bOpaque && a.regionMatches(aOpaque, b, bOpaque, length);
    }

    /**
     * The end of the entity-tag that starts at {@code start} ({@code [W/] DQUOTE *etagc DQUOTE},
     * RFC 9110 §8.8.3; {@code W/} case-sensitive), or -1 when none starts there.
     */
    static int entityTagEnd(String s, int start) {
        int p = start;
        int len = s.length();
        if (p + 1 < len && s.charAt(p) == 'W' && s.charAt(p + 1) == '/') {
            p += 2;
        }
        if (p >= len || s.charAt(p) != '"') {
            return -1;
        }
        for (p++; p < len; p++) {
            char c = s.charAt(p);
            if (c == '"') {
                return p + 1;
            }
            if (!etagc(c)) {
                return -1;
            }
        }
        return -1;
    }

    /** {@code etagc = %x21 / %x23-7E / obs-text}, obs-text as ISO-8859-1 characters. */
    private static boolean etagc(char c) {
        return c == 0x21 || c >= 0x23 && c <= 0x7E || c >= 0x80 && c <= 0xFF;
    }

    /** Whether the field is exactly {@code *} (one member, RFC 9110 §13.1.2). */
    private static boolean isStar(List<String> lines) {
        boolean star = false;
        for (int i = 0, n = lines.size(); i < n; i++) {
            String line = lines.get(i);
            int start = Tokens.skipOws(line, 0, line.length());
            int end = Tokens.trimOws(line, start, line.length());
            if (end == start) {
                continue;
            }
            if (star || end - start != 1 || line.charAt(start) != '*') {
                return false;
            }
            star = true;
        }
        return star;
    }
}
