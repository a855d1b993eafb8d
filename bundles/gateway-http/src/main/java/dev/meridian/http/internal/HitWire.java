package dev.meridian.http.internal;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.PreEncodedHttpField;

/**
 * The bytes of an answer written by the connection ({@link HitShortcut}), as Jetty's
 * {@code HttpGenerator} writes a response with a known body on a persistent {@code HTTP/1.1}
 * connection: the status line, each field in order (a pre-encoded one as its bytes, another as
 * its header's name or its own, ": ", its value with CR and LF made spaces and characters beyond
 * Latin-1 made '?'), except {@code Connection} (see {@link #putField}) and {@code Content-Length},
 * which comes after them with the body's length (none on a 204 or 304), the blank line, and the body unless it is a {@code HEAD} or a 204 or 304. A small body
 * is copied after the head, so the answer leaves in one write; a larger one is its own buffer.
 * {@code HitWireTest} compares these bytes with Jetty's generator's.
 */
final class HitWire {

    /** Bodies up to this size share the head's buffer. */
    static final int COPY_BODY = 8 * 1024;
    private static final byte[] COLON_SPACE = {':', ' '};
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] STATUS_200 = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] AGE = "Age: ".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] REQUEST_ID = (GatewayHandler.REQUEST_ID + ": ").getBytes(StandardCharsets.ISO_8859_1);

    private HitWire() {
    }

    /** The buffers to write for an answer of {@code status} with {@code fields} and {@code body}, in {@code conn}'s head buffer. */
    static ByteBuffer[] encode(HitShortcut conn, int status, HttpFields fields, byte[] body, boolean head) {
        boolean bodiless = status == 204 || status == 304 || status < 200;
        boolean withBody = !head && !bodiless && body.length > 0;
        int size = 512 + (withBody && body.length <= COPY_BODY ? body.length : 0);
        while (true) {
            ByteBuffer buffer = conn.head(size);
            try {
                return encode(buffer, status, fields, body, bodiless, withBody);
            } catch (BufferOverflowException tooSmall) {
                size = Math.max(size * 2, buffer.capacity() * 2);
            }
        }
    }

    /** As above, into {@code buffer} (cleared); throws {@link BufferOverflowException} when it is too small. */
    static ByteBuffer[] encode(ByteBuffer buffer, int status, HttpFields fields, byte[] body, boolean bodiless,
                               boolean withBody) {
        if (status == 200) {
            buffer.put(STATUS_200);
        } else {
            String reason = HttpStatus.getMessage(status);
            put(buffer, "HTTP/1.1 " + status + " " + (reason == null ? "" : reason));
            buffer.put(CRLF);
        }
        putFields(buffer, fields);
        if (!bodiless) {
            buffer.put(CONTENT_LENGTH);
            put(buffer, Integer.toString(body.length));
            buffer.put(CRLF);
        }
        buffer.put(CRLF);
        if (withBody && body.length <= buffer.remaining() && body.length <= COPY_BODY) {
            buffer.put(body);
            buffer.flip();
            return new ByteBuffer[] {buffer};
        }
        buffer.flip();
        return withBody ? new ByteBuffer[] {buffer, ByteBuffer.wrap(body)} : new ByteBuffer[] {buffer};
    }

    private static void putFields(ByteBuffer buffer, Iterable<HttpField> fields) {
        for (HttpField f : fields) {
            putField(buffer, f);
        }
    }

    /**
     * One field as Jetty's generator writes it; nothing for {@code Content-Length}, which Jetty
     * writes after the others (the body's length), nor for {@code Connection}: Jetty drops a
     * {@code keep-alive} on {@code HTTP/1.1}, and this connection stays open whatever a stored
     * field says (it never claims a close it does not make).
     */
    private static void putField(ByteBuffer buffer, HttpField f) {
        HttpHeader header = f.getHeader();
        if (header == HttpHeader.CONTENT_LENGTH || header == HttpHeader.CONNECTION) {
            return;
        }
        if (f instanceof PreEncodedHttpField p) {
            p.putTo(buffer, HttpVersion.HTTP_1_1);
            return;
        }
        HttpHeader h = f.getHeader();
        if (h != null) {
            buffer.put(h.getBytesColonSpace());
        } else {
            put(buffer, f.getName());
            buffer.put(COLON_SPACE);
        }
        put(buffer, f.getValue());
        buffer.put(CRLF);
    }

    /**
     * {@code text} as Latin-1, CR and LF as spaces, other characters as '?' (Jetty's generator's
     * sanitising); a text that needs none is copied in bulk.
     */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int) copies Latin-1 as it is: what is wanted
    private static void put(ByteBuffer buffer, String text) {
        if (text == null) {
            return;
        }
        int n = text.length();
        boolean plain = buffer.hasArray() && buffer.remaining() >= n;
        for (int i = 0; plain && i < n; i++) {
            char c = text.charAt(i);
            plain = c <= 0xff && c != '\r' && c != '\n';
        }
        if (plain) {
            text.getBytes(0, n, buffer.array(), buffer.arrayOffset() + buffer.position());
            buffer.position(buffer.position() + n);
            return;
        }
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c > 0xff) {
                buffer.put((byte) '?');
            } else if (c == '\r' || c == '\n') {
                buffer.put((byte) ' ');
            } else {
                buffer.put((byte) c);
            }
        }
    }

    /** {@code fields} as {@link #encode} writes them ({@code Content-Length} left out): a stored entry's, once per entry ({@link StoredWire}). */
    static byte[] block(HttpField[] fields) {
        for (int size = 1024; ; size *= 2) {
            ByteBuffer b = ByteBuffer.allocate(size);
            try {
                putFields(b, java.util.Arrays.asList(fields));
                b.flip();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                return bytes;
            } catch (BufferOverflowException tooSmall) {
                // again, larger
            }
        }
    }

    /**
     * A {@code 200} hit's answer from its prepared parts: the bytes {@link #encode} writes for the
     * fields {@code GatewayHandler} puts on such an answer (status line, {@code date}, the entry's
     * other fields as {@code block}, {@code Age}, the gateway's stamps, the length), then the body.
     */
    static ByteBuffer[] storedHit(HitShortcut conn, HttpField date, byte[] block, String age, HttpField revision,
                                  String requestId, HttpField outcome, byte[] body, boolean head) {
        boolean withBody = !head && body.length > 0;
        boolean copy = withBody && body.length <= COPY_BODY;
        int size = STATUS_200.length + block.length + requestId.length() + 256 + (copy ? body.length : 0);
        while (true) {
            ByteBuffer buffer = conn.head(size);
            try {
                buffer.put(STATUS_200);
                putField(buffer, date);
                buffer.put(block);
                if (age != null) {
                    buffer.put(AGE);
                    put(buffer, age);
                    buffer.put(CRLF);
                }
                putField(buffer, revision);
                buffer.put(REQUEST_ID);
                put(buffer, requestId);
                buffer.put(CRLF);
                putField(buffer, outcome);
                buffer.put(CONTENT_LENGTH);
                put(buffer, Integer.toString(body.length));
                buffer.put(CRLF);
                buffer.put(CRLF);
                if (copy) {
                    buffer.put(body);
                }
                buffer.flip();
                return withBody && !copy ? new ByteBuffer[] {buffer, ByteBuffer.wrap(body)} : new ByteBuffer[] {buffer};
            } catch (BufferOverflowException tooSmall) {
                size = buffer.capacity() * 2;
            }
        }
    }
}
