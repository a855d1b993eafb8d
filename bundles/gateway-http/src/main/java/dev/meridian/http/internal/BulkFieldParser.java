package dev.meridian.http.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpParser;

/**
 * Jetty's HTTP/1.1 request parser, with long field values taken in bulk.
 *
 * <p>Jetty's {@link HttpParser} reads a field value one byte at a time through its token table
 * and state machine. For a 700-byte bearer token that is more CPU than the rest of a proxied
 * request: {@code parseFields} was 38% of the node's samples for pass-through requests carrying
 * one, 5% without (JFR, 2026-12-03). So when a request's whole head is in the buffer, this
 * parser finds the ends of its lines eight bytes at a time, takes each long value (at least
 * {@value #LONG_VALUE} bytes, on a line with nothing unusual) as one ISO-8859-1 string, and
 * lets Jetty parse a copy of the head in which each such value is a short stand-in;
 * {@link #newHttpField}, through which Jetty makes every field of a head, puts the value back.
 *
 * <p>Jetty still parses the request line, every name, every short value, the framing fields
 * (Host, Content-Length, Transfer-Encoding, Connection are never stood in for) and the head's
 * end, and refuses what it refused before. A head with anything unusual — a control byte other
 * than HTAB in a line, a bare CR or LF, obs-fold, a head not complete in the buffer or longer
 * than the size limit allows — is left to Jetty as it came. Stand-ins carry a random tag of
 * the connection, so a client cannot name another line's value; and they can only swap values
 * of its own request.
 *
 * <p>Hooks used: {@code parseFields}, {@code setState} and {@code newHttpField}, all
 * overridable in Jetty 12.1 and called virtually by the parser. Jetty is embedded in this
 * bundle, so its version is ours; {@code BulkFieldParserTest} compares this parser with
 * Jetty's on the same bytes, so an upgrade that changes them fails there.
 */
final class BulkFieldParser extends HttpParser {

    /** Values at least this long are taken in bulk; shorter ones cost Jetty less than a stand-in. */
    static final int LONG_VALUE = 96;
    /** A head shorter than this has no long value worth a scan (most requests: no scan at all). */
    private static final int SCANNED_HEAD = 2 * LONG_VALUE;
    /** At most this many stand-ins per head; further long values are Jetty's to parse. */
    private static final int STAND_INS = 8;

    private static final long DELS = Words.repeat(0x7F);

    private final int maxHeaderBytes;
    /** {@code ~<random>~}: this connection's stand-ins are the tag and one digit. */
    private final String tag;
    private final String[] values = new String[STAND_INS];
    private final int[] from = new int[STAND_INS];
    private final int[] to = new int[STAND_INS];
    /** How many of {@link #values} stand in the head Jetty is parsing; 0 outside that parse. */
    private int standing;
    /** The parser just entered the fields of a head: the buffer's position is a line's start. */
    private boolean fieldsStart;

    BulkFieldParser(RequestHandler handler, int maxHeaderBytes, HttpCompliance compliance) {
        super(handler, maxHeaderBytes, compliance);
        this.maxHeaderBytes = maxHeaderBytes;
        // seven base-36 characters: a stand-in is parsed by Jetty byte by byte too, so it is kept short
        this.tag = "~" + Long.toString(ThreadLocalRandom.current().nextLong(2_176_782_336L, 78_364_164_096L), 36) + "~";
    }

    /** The connection's own answers of fresh hits, if any: see {@link #parseNext}. */
    private HitShortcut shortcut;

    void shortcut(HitShortcut shortcut) {
        this.shortcut = shortcut;
    }

    /**
     * Jetty's, going on with the next request in {@code buffer} after one {@link HitShortcut}
     * answered: Jetty's connection parses again only after a request it handled itself, or after
     * a read, so pipelined requests behind an answered one would wait for bytes that never come.
     */
    @Override
    public boolean parseNext(ByteBuffer buffer) {
        boolean handle = super.parseNext(buffer);
        while (!handle && shortcut != null && shortcut.answeredOne() && buffer.hasRemaining() && isStart()) {
            handle = super.parseNext(buffer);
        }
        return handle;
    }

    @Override
    protected void setState(State state) {
        super.setState(state);
        fieldsStart = state == State.HEADER;
    }

    @Override
    protected boolean parseFields(ByteBuffer buffer) {
        if (!fieldsStart) {
            return super.parseFields(buffer);
        }
        fieldsStart = false;
        int start = buffer.position();
        if (buffer.remaining() < SCANNED_HEAD) {
            return super.parseFields(buffer);
        }
        int end = headEnd(buffer, start);
        if (end < 0) {
            return super.parseFields(buffer);
        }
        ByteBuffer head = standIns(buffer, start, end);
        try {
            boolean handled = super.parseFields(head);
            // Jetty returns at the head's end (the last bytes, the empty line, are not stood in)
            int left = head.remaining();
            if (left > end - to[standing - 1]) {
                throw new IllegalStateException("the head's parse stopped " + left + " bytes before its end");
            }
            buffer.position(end - left);
            return handled;
        } finally {
            Arrays.fill(values, 0, standing, null);
            standing = 0;
        }
    }

    @Override
    public HttpField newHttpField(HttpHeader header, String name, String value) {
        if (standing > 0 && value != null && value.length() == tag.length() + 1 && value.startsWith(tag)) {
            int i = value.charAt(tag.length()) - '0';
            if (i >= 0 && i < standing) {
                return super.newHttpField(header, name, values[i]);
            }
        }
        return super.newHttpField(header, name, value);
    }

    /**
     * Where the head that starts at {@code start} ends (after its empty line), noting its long
     * values in {@link #from}/{@link #to}; -1 when there is none to stand in for or the head is
     * not one to touch.
     */
    private int headEnd(ByteBuffer buffer, int start) {
        int room = maxHeaderBytes > 0 ? maxHeaderBytes - getHeaderLength() : Integer.MAX_VALUE;
        int limit = (int) Math.min(buffer.limit(), (long) start + Math.max(0, room));
        int found = 0;
        int line = start;
        while (line < limit) {
            byte first = buffer.get(line);
            if (first == '\r') {
                if (line + 1 < limit && buffer.get(line + 1) == '\n' && found > 0) {
                    standing = found;
                    return line + 2;
                }
                return -1;
            }
            if (first == ' ' || first == '\t') {
                return -1; // obs-fold
            }
            int cr = lineEnd(buffer, line, limit);
            if (cr < 0) {
                return -1;
            }
            if (cr - line > LONG_VALUE && found < STAND_INS) {
                int colon = indexOf(buffer, line, cr, (byte) ':');
                if (colon > line && !framing(buffer, line, colon - line)) {
                    int v = colon + 1;
                    while (v < cr && isBlank(buffer.get(v))) {
                        v++;
                    }
                    int e = cr;
                    while (e > v && isBlank(buffer.get(e - 1))) {
                        e--;
                    }
                    if (e - v >= LONG_VALUE) {
                        from[found] = v;
                        to[found] = e;
                        found++;
                    }
                }
            }
            line = cr + 2;
        }
        return -1;
    }

    /** The head from {@code start} to {@code end} with each noted value replaced by its stand-in; the values kept. */
    private ByteBuffer standIns(ByteBuffer buffer, int start, int end) {
        int length = end - start;
        for (int i = 0; i < standing; i++) {
            length -= to[i] - from[i] - (tag.length() + 1);
        }
        byte[] head = new byte[length];
        int at = 0;
        int copied = start;
        for (int i = 0; i < standing; i++) {
            buffer.get(copied, head, at, from[i] - copied);
            at += from[i] - copied;
            byte[] value = new byte[to[i] - from[i]];
            buffer.get(from[i], value);
            values[i] = new String(value, StandardCharsets.ISO_8859_1);
            for (int c = 0; c < tag.length(); c++) {
                head[at++] = (byte) tag.charAt(c);
            }
            head[at++] = (byte) ('0' + i);
            copied = to[i];
        }
        buffer.get(copied, head, at, end - copied);
        return ByteBuffer.wrap(head);
    }

    /**
     * The index of the CR that ends the line from {@code i}, when the line's bytes up to it are
     * free of control bytes but HTAB and a LF follows it; -1 otherwise, or when no line end is
     * before {@code limit}. Eight bytes at a time; a word with a byte below 0x20 or a DEL is
     * looked at byte by byte.
     */
    private static int lineEnd(ByteBuffer buffer, int i, int limit) {
        while (true) {
            while (i + Long.BYTES <= limit) {
                long x = buffer.getLong(i);
                if (Words.hasBelow(x, Words.SPACES) || Words.has(x, DELS)) {
                    break;
                }
                i += Long.BYTES;
            }
            int stop = Math.min(limit, i + Long.BYTES);
            for (; i < stop; i++) {
                byte b = buffer.get(i);
                if ((b >= 0 && b < 0x20) || b == 0x7F) {
                    if (b == '\t') {
                        continue;
                    }
                    return b == '\r' && i + 1 < limit && buffer.get(i + 1) == '\n' ? i : -1;
                }
            }
            if (i >= limit) {
                return -1;
            }
        }
    }

    private static int indexOf(ByteBuffer buffer, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (buffer.get(i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t';
    }

    /** Host, Content-Length, Transfer-Encoding, Connection: Jetty reads their values itself. */
    private static boolean framing(ByteBuffer buffer, int at, int length) {
        return switch (length) {
            case 4 -> named(buffer, at, "host");
            case 10 -> named(buffer, at, "connection");
            case 14 -> named(buffer, at, "content-length");
            case 17 -> named(buffer, at, "transfer-encoding");
            default -> false;
        };
    }

    private static boolean named(ByteBuffer buffer, int at, String lowerCase) {
        for (int i = 0; i < lowerCase.length(); i++) {
            int b = buffer.get(at + i);
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != lowerCase.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
