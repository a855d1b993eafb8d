package dev.meridian.cache;

import java.util.Collection;
import java.util.Locale;

/** Small allocation-free text helpers for header values and keys. Stateless. */
final class Tokens {

    private Tokens() {}

    static boolean ows(char c) {
        return c == ' ' || c == '\t';
    }

    /** First index in {@code [start, end)} that is not optional whitespace (or {@code end}). */
    static int skipOws(String s, int start, int end) {
        while (start < end && ows(s.charAt(start))) {
            start++;
        }
        return start;
    }

    /** End of {@code [start, end)} without trailing optional whitespace. */
    static int trimOws(String s, int start, int end) {
        while (end > start && ows(s.charAt(end - 1))) {
            end--;
        }
        return end;
    }

    /** Sees one trimmed, non-empty element {@code list[start, end)}; answers true to stop. */
    @FunctionalInterface
    interface Element {
        boolean visit(String list, int start, int end);
    }

    /** Visits each trimmed, non-empty element of a comma-separated list; true when a visit stopped. */
    static boolean forEachElement(String list, Element element) {
        int n = list.length();
        int i = 0;
        while (i < n) {
            int from = i;
            while (i < n && list.charAt(i) != ',') {
                i++;
            }
            int start = skipOws(list, from, i);
            int end = trimOws(list, start, i);
            if (end > start && element.visit(list, start, end)) {
                return true;
            }
            i++;
        }
        return false;
    }

    /** Adds each non-empty, trimmed, lower-cased element of a comma-separated list. */
    static void addLowerCase(String list, Collection<String> out) {
        forEachElement(list, (l, start, end) -> {
            out.add(l.substring(start, end).toLowerCase(Locale.ROOT));
            return false;
        });
    }

    /** Whether a comma-separated list holds {@code token} (case-insensitive, trimmed). */
    static boolean listContains(String list, String token) {
        return forEachElement(list, (l, start, end) ->
            end - start == token.length() && l.regionMatches(true, start, token, 0, token.length()));
    }

    /** Appends {@code s[start, end)}, escaping {@code |}, {@code \} and {@code extra} with {@code \}. */
    static void appendEscaped(StringBuilder sb, String s, int start, int end, char extra) {
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c == '|' || c == '\\' || c == extra) {
                sb.append('\\');
            }
            sb.append(c);
        }
    }

    static void appendEscaped(StringBuilder sb, String s) {
        appendEscaped(sb, s, 0, s.length(), '|');
    }

    /** Appends {@code s} lower-cased (ASCII letters only: header names are tokens). */
    static void appendLowerCase(StringBuilder sb, String s, int start, int end, boolean escape) {
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            }
            if (escape && (c == '|' || c == '\\' || c == '=')) {
                sb.append('\\');
            }
            sb.append(c);
        }
    }

    /**
     * Compares {@code a[aStart, aEnd)} with {@code b[bStart, bEnd)} in code point order, which
     * is the byte order of their UTF-8 encodings.
     */
    static int compareCodePoints(String a, int aStart, int aEnd, String b, int bStart, int bEnd) {
        int n = Math.min(aEnd - aStart, bEnd - bStart);
        for (int k = 0; k < n; k++) {
            char x = a.charAt(aStart + k);
            char y = b.charAt(bStart + k);
            if (x != y) {
                return fixUp(x) - fixUp(y);
            }
        }
        return (aEnd - aStart) - (bEnd - bStart);
    }

    /** Moves surrogates above the rest of the BMP so that UTF-16 order becomes code point order. */
    private static int fixUp(char c) {
        if (c >= 0xD800) {
            return c >= 0xE000 ? c - 0x800 : c + 0x2000;
        }
        return c;
    }

    static String hex(byte[] bytes, int count) {
        char[] out = new char[count * 2];
        for (int i = 0; i < count; i++) {
            out[2 * i] = Character.forDigit((bytes[i] >> 4) & 0xF, 16);
            out[2 * i + 1] = Character.forDigit(bytes[i] & 0xF, 16);
        }
        return new String(out);
    }
}
