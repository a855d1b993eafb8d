package dev.meridian.http.internal;

/**
 * What a client sent, made safe for one line of the access log. A path, a method or a reason from
 * Jetty's parser may carry bytes chosen by an attacker: a quote to close the field and forge the
 * next ones, a line break (CR, LF, or Unicode's NEL, LS, PS once decoded) to forge a whole line,
 * terminal escapes for whoever reads the log with {@code tail}. Printable ASCII passes as it is,
 * except {@code "} and {@code \} (written {@code \"} and {@code \\}); every other character is
 * written as {@code \xHH} (controls, DEL, Latin-1) or as a backslash, {@code u} and four hex digits
 * (beyond Latin-1), as nginx escapes its log variables. A value needing no escape (nearly every request) is appended as it is, without
 * allocating.
 */
final class LogText {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private LogText() {
    }

    /** Appends {@code s} escaped (see the class); {@code -} when it is null or empty. */
    static StringBuilder append(StringBuilder sb, String s) {
        if (s == null || s.isEmpty()) {
            return sb.append('-');
        }
        int i = 0;
        int n = s.length();
        while (i < n && plain(s.charAt(i))) {
            i++;
        }
        if (i == n) {
            return sb.append(s);
        }
        sb.append(s, 0, i);
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (plain(c)) {
                sb.append(c);
            } else if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c <= 0xff) {
                sb.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                sb.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf])
                    .append(HEX[c & 0xf]);
            }
        }
        return sb;
    }

    private static boolean plain(char c) {
        return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
    }
}
