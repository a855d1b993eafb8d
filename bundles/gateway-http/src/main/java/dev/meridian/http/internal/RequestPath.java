package dev.meridian.http.internal;

/**
 * The one form of a request path that Meridian routes on, keys the cache with and sends to the
 * upstream (CONTRACT §9): RFC 3986 §6.2.2 normalisation, as Envoy's {@code normalize_path} does.
 * Percent-encoded unreserved characters are decoded ({@code %61} is {@code a}), every other
 * percent-encoding is kept with upper-case hex digits, then dot-segments are resolved (so
 * {@code %2E%2E} is a {@code ..}). Refused, because a server behind the gateway may read them
 * differently from the gateway: an encoded {@code /}, {@code \} or NUL, a raw {@code \}, a
 * {@code ;} path parameter, an empty segment ({@code //}), a dot-segment that would climb above
 * {@code /}, a {@code %} not followed by two hex digits, percent-encoded bytes that are not
 * shortest-form UTF-8 (overlong forms such as {@code %C0%AE}, surrogates, past U+10FFFF), and
 * characters a path may not carry raw (controls, space, non-ASCII, {@code "<>^`{|}}).
 *
 * <p>A path with no {@code %}, {@code ;}, {@code \}, dot-segment, empty segment or character
 * outside those allowed raw is already normal: it is returned as given, without allocating.
 */
final class RequestPath {

    private RequestPath() {
    }

    /** Why a path is refused; no stack trace (hostile input must not cost one per request). */
    static final class Refused extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** Characters a path segment may carry raw (RFC 3986 pchar without '%'), ';' excepted: it is refused. */
    private static final boolean[] RAW = new boolean[128];
    private static final boolean[] UNRESERVED = new boolean[128];

    static {
        String unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
        for (char c : unreserved.toCharArray()) {
            UNRESERVED[c] = true;
            RAW[c] = true;
        }
        for (char c : "!$&'()*+,=:@".toCharArray()) {
            RAW[c] = true;
        }
    }

    /**
     * The normal form of {@code raw}, the path as the client sent it (still percent-encoded).
     *
     * @throws Refused for a path that is ambiguous or malformed, with the reason
     */
    static String normalise(String raw) {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            throw new Refused("the path must start with /");
        }
        return isNormal(raw) ? raw : rebuild(raw);
    }

    /** True when nothing in {@code raw} needs decoding, resolving or refusing. */
    private static boolean isNormal(String raw) {
        int n = raw.length();
        for (int i = 1; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '/') {
                if (raw.charAt(i - 1) == '/') {
                    return false; // empty segment
                }
                continue;
            }
            if (c >= 128 || !RAW[c]) {
                return false; // '%', ';', '\', controls, non-ASCII and the like
            }
            if (c == '.' && raw.charAt(i - 1) == '/') {
                int end = i + 1 < n && raw.charAt(i + 1) == '.' ? i + 2 : i + 1;
                if (end == n || raw.charAt(end) == '/') {
                    return false; // "." or ".." segment
                }
            }
        }
        return true;
    }

    private static String rebuild(String raw) {
        int n = raw.length();
        StringBuilder out = new StringBuilder(n);
        // out holds "/seg/seg..." for the segments kept so far; starts[k] is where segment k's '/' is
        int[] starts = new int[n];
        int depth = 0;
        int i = 1;
        while (true) {
            int end = raw.indexOf('/', i);
            boolean last = end < 0;
            if (last) {
                end = n;
            }
            int mark = out.length();
            out.append('/');
            canonical(raw, i, end, out);
            int length = out.length() - mark - 1;
            boolean dot = length == 1 && out.charAt(mark + 1) == '.';
            boolean dotDot = length == 2 && out.charAt(mark + 1) == '.' && out.charAt(mark + 2) == '.';
            if (dot || dotDot) {
                out.setLength(mark);
                if (dotDot) {
                    if (depth == 0) {
                        throw new Refused("the path climbs above / with ..");
                    }
                    depth--;
                    out.setLength(starts[depth]);
                }
                if (last) {
                    out.append('/'); // "/a/." is "/a/" (RFC 3986 §5.2.4)
                }
            } else if (length == 0 && !last) {
                throw new Refused("the path has an empty segment (//)");
            } else {
                starts[depth++] = mark;
            }
            if (last) {
                break;
            }
            i = end + 1;
        }
        return out.length() == 0 ? "/" : out.toString();
    }

    /** Appends the canonical form of the segment raw[from, to). */
    private static void canonical(String raw, int from, int to, StringBuilder out) {
        int i = from;
        while (i < to) {
            char c = raw.charAt(i);
            if (c == '%') {
                int b = octet(raw, i, to);
                if (b < 0x80) {
                    if (b == '/') {
                        throw new Refused("the path has an encoded / (%2F)");
                    }
                    if (b == '\\') {
                        throw new Refused("the path has an encoded \\ (%5C)");
                    }
                    if (b == 0) {
                        throw new Refused("the path has an encoded NUL (%00)");
                    }
                    if (UNRESERVED[b]) {
                        out.append((char) b);
                    } else {
                        encoded(b, out);
                    }
                    i += 3;
                } else {
                    i = utf8(raw, i, to, b, out);
                }
            } else if (c == ';') {
                throw new Refused("the path has a ; parameter");
            } else if (c == '\\') {
                throw new Refused("the path has a \\");
            } else if (c < 128 && RAW[c]) {
                out.append(c);
                i++;
            } else {
                throw new Refused("the path has a character that must be percent-encoded");
            }
        }
    }

    /** The byte of the percent-encoding at raw[i]. */
    private static int octet(String raw, int i, int to) {
        if (i + 2 >= to) {
            throw new Refused("the path has a % not followed by two hex digits");
        }
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high < 0 || low < 0 || raw.charAt(i + 1) >= 128 || raw.charAt(i + 2) >= 128) {
            throw new Refused("the path has a % not followed by two hex digits");
        }
        return high << 4 | low;
    }

    /**
     * Checks the UTF-8 sequence starting with {@code lead} at raw[i] (each byte percent-encoded)
     * and appends it encoded; returns the index after it. Only shortest forms of scalar values
     * (RFC 3629 §4): no overlong form, no surrogate, nothing past U+10FFFF.
     */
    private static int utf8(String raw, int i, int to, int lead, StringBuilder out) {
        int count;
        int min;
        int max = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            count = 1;
            min = 0x80;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            count = 2;
            min = lead == 0xE0 ? 0xA0 : 0x80;   // E0 80..9F: overlong
            max = lead == 0xED ? 0x9F : 0xBF;   // ED A0..BF: surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            count = 3;
            min = lead == 0xF0 ? 0x90 : 0x80;   // F0 80..8F: overlong
            max = lead == 0xF4 ? 0x8F : 0xBF;   // F4 90..: past U+10FFFF
        } else {
            throw new Refused("the path has percent-encoded bytes that are not UTF-8 (or an overlong form)");
        }
        encoded(lead, out);
        int at = i + 3;
        for (int k = 0; k < count; k++) {
            if (at >= to || raw.charAt(at) != '%') {
                throw new Refused("the path has a truncated percent-encoded UTF-8 sequence");
            }
            int b = octet(raw, at, to);
            if (b < (k == 0 ? min : 0x80) || b > (k == 0 ? max : 0xBF)) {
                throw new Refused("the path has percent-encoded bytes that are not UTF-8 (or an overlong form)");
            }
            encoded(b, out);
            at += 3;
        }
        return at;
    }

    private static void encoded(int b, StringBuilder out) {
        out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
    }
}
