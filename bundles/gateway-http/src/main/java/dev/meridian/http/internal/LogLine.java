package dev.meridian.http.internal;

import java.nio.charset.StandardCharsets;

/**
 * One access log line, built as ASCII bytes: each request thread reuses its own (the access log's
 * lane holds it), so a line costs no builder, no string and no encoding; its bytes are copied
 * once, into the thread's ring ({@link AccessLog#log(LogLine)}). Building it as a
 * {@code StringBuilder}, made a string and encoded was ~6% of a cache hit's CPU (JFR).
 *
 * <p>{@link #text(String)} makes what a client sent safe for the line. A path, a method or a reason
 * from Jetty's parser may carry bytes chosen by an attacker: a quote to close the field and forge
 * the next ones, a line break (CR, LF, or Unicode's NEL, LS, PS once decoded) to forge a whole
 * line, terminal escapes for whoever reads the log with {@code tail}. Printable ASCII passes as it
 * is, except {@code "} and {@code \} (written {@code \"} and {@code \\}); every other character is
 * written as {@code \xHH} (controls, DEL, Latin-1) or as a backslash, {@code u} and four hex digits
 * (beyond Latin-1), as nginx escapes its log variables. Every value of a line goes through it but
 * the code's own literals ({@link #raw(String)}) and numbers: the line is always printable ASCII.
 */
final class LogLine {

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private byte[] bytes = new byte[512];
    private int length;
    /** Whose line this is: the access log's lane that made it (null for a free-standing line). */
    private final Object owner;

    LogLine() {
        this(null);
    }

    LogLine(Object owner) {
        this.owner = owner;
    }

    Object owner() {
        return owner;
    }

    /** Empties the line for the next one. */
    LogLine reset() {
        length = 0;
        return this;
    }

    int length() {
        return length;
    }

    /** The line's bytes, {@code 0} to {@link #length()}. */
    byte[] bytes() {
        return bytes;
    }

    private void room(int n) {
        if (length + n > bytes.length) {
            bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + n));
        }
    }

    /** Appends one of the code's own ASCII literals as it is (never a value from outside). */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): the low byte of each char, a copy for ASCII
    LogLine raw(String literal) {
        int n = literal.length();
        room(n);
        literal.getBytes(0, n, bytes, length);
        length += n;
        return this;
    }

    LogLine raw(char c) {
        room(1);
        bytes[length++] = (byte) c;
        return this;
    }

    /** Appends {@code s} escaped (see the class); {@code -} when it is null or empty. */
    @SuppressWarnings("deprecation")
    LogLine text(String s) {
        if (s == null || s.isEmpty()) {
            return raw('-');
        }
        int n = s.length();
        int i = 0;
        while (i < n && plain(s.charAt(i))) {
            i++;
        }
        room(n);
        s.getBytes(0, i, bytes, length); // the plain run: nearly every value is plain as a whole
        length += i;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (plain(c)) {
                raw(c);
            } else if (c == '"' || c == '\\') {
                raw('\\').raw(c);
            } else if (c <= 0xff) {
                room(4);
                bytes[length++] = '\\';
                bytes[length++] = 'x';
                bytes[length++] = HEX[c >> 4];
                bytes[length++] = HEX[c & 0xf];
            } else {
                room(6);
                bytes[length++] = '\\';
                bytes[length++] = 'u';
                bytes[length++] = HEX[c >> 12];
                bytes[length++] = HEX[(c >> 8) & 0xf];
                bytes[length++] = HEX[(c >> 4) & 0xf];
                bytes[length++] = HEX[c & 0xf];
            }
        }
        return this;
    }

    private static boolean plain(char c) {
        return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
    }

    /** Appends {@code n} in decimal. */
    LogLine number(long n) {
        if (n < 0) {
            if (n == Long.MIN_VALUE) {
                return raw(Long.toString(n));
            }
            raw('-');
            n = -n;
        }
        int digits = 1;
        for (long t = n; t >= 10; t /= 10) {
            digits++;
        }
        room(digits);
        for (int at = length + digits - 1; at >= length; at--) {
            bytes[at] = (byte) ('0' + n % 10);
            n /= 10;
        }
        length += digits;
        return this;
    }

    /** Appends {@code nanos} as milliseconds with one decimal ({@code 12.3}). */
    LogLine millis(long nanos) {
        long micros = nanos / 1000;
        return number(micros / 1000).raw('.').number((micros % 1000) / 100);
    }

    /** The line as a string (tests, and the rare line not written through a lane). */
    @Override
    public String toString() {
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    }
}
