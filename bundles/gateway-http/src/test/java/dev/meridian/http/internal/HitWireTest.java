package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpGenerator;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bytes the connection writes for a hit ({@link HitWire}) are those Jetty's generator writes
 * for the same response, and the prepared form gives the same bytes as the general one.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HitWireTest {

    private static final HttpField DATE = new PreEncodedHttpField(HttpHeader.DATE, "Sun, 06 Dec 2026 03:00:00 GMT");
    private static final HttpField REVISION = new PreEncodedHttpField(GatewayHandler.REVISION, "7");
    private static final HttpField HIT = new PreEncodedHttpField(GatewayHandler.X_CACHE, "HIT");

    private static List<Map.Entry<String, String>> stored(int bodyLength) {
        return List.of(Map.entry("Content-Type", "application/json"), Map.entry("content-length", String.valueOf(bodyLength)),
            Map.entry("Cache-Control", "public, max-age=60"), Map.entry("ETag", "\"v1\""), Map.entry("X-Custom", "a b"),
            Map.entry("Date", "Sun, 06 Dec 2026 02:59:59 GMT"), Map.entry("Connection", "keep-alive"));
    }

    /** The fields GatewayHandler puts on a hit of {@code wire}: its Date, its others, Age and the stamps. */
    private static HttpFields.Mutable fields(StoredWire.Prepared wire, String age, String requestId) {
        HttpFields.Mutable out = HttpFields.build();
        out.add(wire.date());
        for (HttpField f : wire.fields()) {
            out.add(f);
        }
        out.add(new HttpField(HttpHeader.AGE, age));
        out.add(REVISION);
        out.add(new HttpField(GatewayHandler.REQUEST_ID, requestId));
        out.add(HIT);
        return out;
    }

    private static byte[] jetty(int status, HttpFields fields, byte[] body, boolean head) throws Exception {
        HttpGenerator gen = new HttpGenerator();
        MetaData.Response info = new MetaData.Response(status, null, HttpVersion.HTTP_1_1, fields, body.length);
        ByteBuffer header = null;
        ByteBuffer content = head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<HttpGenerator.Result> seen = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            HttpGenerator.Result r = gen.generateResponse(info, head, header, null, content, true);
            seen.add(r);
            switch (r) {
                case NEED_HEADER -> header = org.eclipse.jetty.util.BufferUtil.allocate(8192); // empty, in Jetty's flush mode
                case FLUSH -> {
                    for (ByteBuffer b : new ByteBuffer[] {header, content}) {
                        if (b != null && b.hasRemaining()) {
                            byte[] bytes = new byte[b.remaining()];
                            b.get(bytes);
                            out.write(bytes);
                        }
                    }
                }
                case DONE -> {
                    return out.toByteArray();
                }
                default -> {
                }
            }
        }
        throw new AssertionError("the generator did not finish: " + seen + " " + gen);
    }

    private static byte[] bytes(ByteBuffer[] buffers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer b : buffers) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    private static HitShortcut conn() {
        return new HitShortcut(null, null, null);
    }

    @Test
    void should_write_the_bytes_jettys_generator_writes_for_a_hit() throws Exception {
        for (int length : new int[] {0, 17, 1024, HitWire.COPY_BODY, HitWire.COPY_BODY + 1, 100_000}) {
            byte[] body = new byte[length];
            Arrays.fill(body, (byte) 'x');
            StoredWire.Prepared wire = StoredWire.prepare(stored(length));
            HttpFields.Mutable fields = fields(wire, "12", "req-1");
            for (boolean head : new boolean[] {false, true}) {
                byte[] expected = jetty(200, fields, body, head);
                ByteBuffer[] general = HitWire.encode(conn(), 200, fields, body, head);
                assertEquals(new String(expected, StandardCharsets.ISO_8859_1), new String(bytes(general), StandardCharsets.ISO_8859_1),
                    "length " + length + (head ? " HEAD" : " GET"));
                ByteBuffer[] prepared = HitWire.storedHit(conn(), wire.date(), wire.wire(), "12", REVISION, "req-1", HIT, body, head);
                assertArrayEquals(expected, bytes(prepared), "prepared, length " + length + (head ? " HEAD" : " GET"));
                boolean copied = !head && length > 0 && length <= HitWire.COPY_BODY;
                assertEquals(!head && length > HitWire.COPY_BODY ? 2 : 1, prepared.length, "one write when the body is small");
                if (copied) {
                    assertEquals(1, general.length);
                }
            }
        }
    }

    @Test
    void should_write_a_status_other_than_200_and_no_length_on_a_304_as_jetty_does() throws Exception {
        HttpFields.Mutable fields = HttpFields.build().add(DATE).add(new HttpField("X-A", "1"));
        for (int status : new int[] {203, 404, 410}) {
            byte[] body = "gone".getBytes(StandardCharsets.ISO_8859_1);
            assertArrayEquals(jetty(status, fields, body, false), bytes(HitWire.encode(conn(), status, fields, body, false)),
                "status " + status);
        }
        String notModified = new String(bytes(HitWire.encode(conn(), 304, fields, new byte[0], false)), StandardCharsets.ISO_8859_1);
        assertTrue(notModified.startsWith("HTTP/1.1 304 Not Modified\r\n") && !notModified.contains("Content-Length"), notModified);
    }

    @Test
    void should_make_cr_and_lf_spaces_and_what_latin_1_lacks_a_question_mark() {
        HttpFields.Mutable fields = HttpFields.build().add(new HttpField("X-Id", "a\r\nSet-Cookie: x=1")).add(new HttpField("X-U", "é€"));
        String text = new String(bytes(HitWire.encode(conn(), 200, fields, new byte[0], false)), StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("X-Id: a  Set-Cookie: x=1\r\n"), text);
        assertTrue(text.contains("X-U: é?\r\n"), text);
        assertEquals(1, text.split("\r\n\r\n", -1).length - 1, "one blank line: " + text);
    }

    @Test
    void should_grow_the_connections_head_buffer_for_a_large_head() {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            big.append('v');
        }
        HttpFields.Mutable fields = HttpFields.build();
        for (int i = 0; i < 10; i++) {
            fields.add(new HttpField("X-Big-" + i, big.toString()));
        }
        HitShortcut conn = conn();
        byte[] written = bytes(HitWire.encode(conn, 200, fields, "ok".getBytes(StandardCharsets.ISO_8859_1), false));
        String text = new String(written, StandardCharsets.ISO_8859_1);
        assertTrue(text.endsWith("Content-Length: 2\r\n\r\nok"), text.substring(text.length() - 40));
        assertTrue(written.length > 30_000);
    }
}
