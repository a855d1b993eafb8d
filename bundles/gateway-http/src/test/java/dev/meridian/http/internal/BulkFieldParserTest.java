package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link BulkFieldParser} against Jetty's own parser on the same bytes, read in the same pieces:
 * every event (request line, each field with its value, the head's end, the body, the message's
 * end, a refusal with its status) must be the same.
 */
@Timeout(60)
class BulkFieldParserTest {

    /** The data plane's: RFC 9110 without bare LF line ends (DataPlaneComponent). */
    private static final HttpCompliance MERIDIAN = HttpCompliance.RFC9110.without("meridian",
        HttpCompliance.Violation.LF_HEADER_TERMINATION, HttpCompliance.Violation.LF_CHUNK_TERMINATION);
    private static final int MAX_HEAD = 16 * 1024;

    private static final String TOKEN = "Bearer " + "eyJhbGciOiJSUzI1NiIsImtpZCI6InJvdGF0ZWQifQ.".repeat(15) + "sig_-";

    @Test
    void should_give_the_same_fields_as_jetty_and_parse_fewer_bytes_for_a_long_token() {
        String head = "GET /orders/1?x=1 HTTP/1.1\r\nHost: gw.example\r\nAuthorization: " + TOKEN + "\r\nAccept: */*\r\n\r\n";

        Parsed jetty = parse(Kind.JETTY, bytes(head), Integer.MAX_VALUE);
        Parsed bulk = parse(Kind.BULK, bytes(head), Integer.MAX_VALUE);

        assertEquals(jetty.events, bulk.events);
        assertTrue(jetty.events.stream().anyMatch(e -> e.startsWith("field Authorization: " + TOKEN + " [")), jetty.events.toString());
        assertTrue(bulk.headerBytes < jetty.headerBytes - 600,
            "the token's bytes were not parsed by Jetty: " + bulk.headerBytes + " vs " + jetty.headerBytes);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 64, 200, 1000, Integer.MAX_VALUE})
    void should_give_the_same_events_as_jetty_whatever_the_reads(int piece) {
        String value = "v\t" + "x".repeat(150) + "\u00e9\u00ff  ";
        String[] messages = {
            // several long values, a blank-padded one with HTAB and obs-text inside, a body, then a second request
            "POST /a HTTP/1.1\r\nHost: h\r\nCookie: " + "k=v; ".repeat(60) + "\r\nX-Long:   " + value + "\r\n"
                + "Authorization: " + TOKEN + "\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /b HTTP/1.1\r\nHost: h\r\nAuthorization: " + TOKEN.toLowerCase() + "\r\n\r\n",
            // a long Host and a long Content-Type next to a chunked body with a trailer
            "POST /c HTTP/1.1\r\nHost: " + "h".repeat(120) + "\r\nContent-Type: text/plain; " + "p=1; ".repeat(40)
                + "\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: " + "t".repeat(200) + "\r\n\r\n",
            // a value that looks like a stand-in, and more long values than there are stand-ins
            "GET /d HTTP/1.1\r\nHost: h\r\nX-A: ~abc~0\r\n" + longFields(11) + "\r\n",
        };
        for (String message : messages) {
            byte[] b = bytes(message);
            assertEquals(parse(Kind.JETTY, b, piece).events, parse(Kind.BULK, b, piece).events, message);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "CTL", "DEL", "BARE_LF", "BARE_CR", "OBS_FOLD", "NO_HOST", "TWO_LENGTHS", "SPACE_BEFORE_COLON", "NUL_IN_NAME", "TOO_LONG"})
    void should_refuse_what_jetty_refuses_with_the_same_status(String hostile) {
        String good = "Authorization: " + TOKEN + "\r\n";
        String head = switch (hostile) {
            case "CTL" -> "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: " + TOKEN + "\u0001x\r\n\r\n";
            case "DEL" -> "GET / HTTP/1.1\r\nHost: h\r\nX-V: " + "a".repeat(120) + "\u007f\r\n" + good + "\r\n";
            case "BARE_LF" -> "GET / HTTP/1.1\r\nHost: h\r\n" + good + "X-B: 1\n\r\n";
            case "BARE_CR" -> "GET / HTTP/1.1\r\nHost: h\r\nX-V: " + "a".repeat(120) + "\rb\r\n\r\n";
            case "OBS_FOLD" -> "GET / HTTP/1.1\r\nHost: h\r\n" + good + " folded\r\n\r\n";
            case "NO_HOST" -> "GET / HTTP/1.1\r\n" + good + "\r\n";
            case "TWO_LENGTHS" -> "POST / HTTP/1.1\r\nHost: h\r\n" + good + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab";
            case "SPACE_BEFORE_COLON" -> "GET / HTTP/1.1\r\nHost: h\r\nAuthorization : " + TOKEN + "\r\n\r\n";
            case "NUL_IN_NAME" -> "GET / HTTP/1.1\r\nHost: h\r\nX\u0000Y: " + "a".repeat(120) + "\r\n\r\n";
            case "TOO_LONG" -> "GET / HTTP/1.1\r\nHost: h\r\n" + good.repeat(MAX_HEAD / good.length() + 1) + "\r\n";
            default -> throw new IllegalArgumentException(hostile);
        };
        Parsed jetty = parse(Kind.JETTY, bytes(head), Integer.MAX_VALUE);
        assertTrue(jetty.events.stream().anyMatch(e -> e.startsWith("bad ")), "Jetty refuses " + hostile + ": " + jetty.events);
        for (int piece : new int[] {Integer.MAX_VALUE, 100, 1}) {
            assertEquals(parse(Kind.JETTY, bytes(head), piece).events, parse(Kind.BULK, bytes(head), piece).events, hostile);
        }
    }

    @Test
    void should_give_the_same_events_as_jetty_on_random_heads_and_random_damage() {
        Random random = new Random(20261203);
        String[] names = {"Authorization", "Cookie", "X-Token", "Content-Length", "Accept", "X-Forwarded-For", "Connection"};
        byte[] alphabet = bytes("abcXYZ019-_.~=;, \t\r\n:\u0000\u0001\u007f\u00e9");
        for (int n = 0; n < 3000; n++) {
            StringBuilder head = new StringBuilder(random.nextBoolean() ? "GET /r HTTP/1.1\r\nHost: h\r\n" : "POST /r HTTP/1.0\r\n");
            int fields = 1 + random.nextInt(6);
            for (int f = 0; f < fields; f++) {
                String name = names[random.nextInt(names.length)];
                int length = random.nextInt(4) == 0 ? random.nextInt(8) : 80 + random.nextInt(300);
                String value = name.equals("Content-Length") ? Integer.toString(random.nextInt(3)) : "t".repeat(length);
                head.append(name).append(random.nextInt(10) == 0 ? ":" : ": ").append(value)
                    .append(random.nextInt(8) == 0 ? "  " : "").append("\r\n");
            }
            head.append("\r\nab");
            byte[] b = bytes(head.toString());
            int damage = random.nextInt(3);
            for (int d = 0; d < damage; d++) {
                b[random.nextInt(b.length)] = alphabet[random.nextInt(alphabet.length)];
            }
            int piece = random.nextBoolean() ? Integer.MAX_VALUE : 1 + random.nextInt(400);
            assertEquals(parse(Kind.JETTY, b, piece).events, parse(Kind.BULK, b, piece).events,
                "head " + n + ": " + new String(b, StandardCharsets.ISO_8859_1));
        }
    }

    // ------------------------------------------------------------------ the two parsers on the same bytes

    private enum Kind { JETTY, BULK }

    private record Parsed(List<String> events, int headerBytes) {
    }

    private static Parsed parse(Kind kind, byte[] bytes, int piece) {
        Recorder recorder = new Recorder();
        Function<Recorder, HttpParser> make = r -> kind == Kind.JETTY
            ? new HttpParser(r, MAX_HEAD, MERIDIAN) : new BulkFieldParser(r, MAX_HEAD, MERIDIAN);
        HttpParser parser = make.apply(recorder);
        parser.setHeaderCacheSize(0);
        recorder.parser = parser;
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.flip();
        int headerBytes = -1;
        for (int at = 0; at < bytes.length && !parser.isState(HttpParser.State.CLOSE) && !parser.isState(HttpParser.State.CLOSED); ) {
            int n = Math.min(piece, bytes.length - at);
            buffer.compact();
            buffer.put(bytes, at, n);
            buffer.flip();
            at += n;
            while (buffer.hasRemaining()) {
                int before = buffer.position();
                HttpParser.State state = parser.getState();
                parser.parseNext(buffer);
                if (recorder.headerDone && headerBytes < 0) {
                    headerBytes = parser.getHeaderLength();
                }
                if (parser.isComplete()) {
                    parser.reset();
                    recorder.headerDone = false;
                } else if (buffer.position() == before && parser.getState() == state) {
                    break; // needs more bytes
                }
                if (parser.isState(HttpParser.State.CLOSE) || parser.isState(HttpParser.State.CLOSED)) {
                    break;
                }
            }
        }
        return new Parsed(recorder.events, headerBytes);
    }

    private static final class Recorder implements HttpParser.RequestHandler {
        final List<String> events = new ArrayList<>();
        HttpParser parser;
        boolean headerDone;

        @Override
        public void startRequest(String method, String uri, HttpVersion version) {
            events.add("start " + method + " " + uri + " " + version);
        }

        @Override
        public void parsedHeader(HttpField field) {
            events.add("field " + field.getName() + ": " + field.getValue() + " [" + field.getHeader() + ", "
                + field.getClass().getSimpleName() + "]");
        }

        @Override
        public void parsedTrailer(HttpField field) {
            events.add("trailer " + field.getName() + ": " + field.getValue());
        }

        @Override
        public boolean headerComplete() {
            headerDone = true;
            events.add("head complete");
            return false;
        }

        @Override
        public boolean content(ByteBuffer content) {
            byte[] b = new byte[content.remaining()];
            content.get(b);
            events.add("content " + new String(b, StandardCharsets.ISO_8859_1));
            return false;
        }

        @Override
        public boolean contentComplete() {
            events.add("content complete");
            return false;
        }

        @Override
        public boolean messageComplete() {
            events.add("message complete");
            return true;
        }

        @Override
        public void earlyEOF() {
            events.add("early EOF");
        }

        @Override
        public void badMessage(HttpException failure) {
            events.add("bad " + failure.getCode() + " " + failure.getReason());
        }
    }

    private static String longFields(int count) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < count; i++) {
            b.append("X-Long-").append(i).append(": ").append(Integer.toString(i).repeat(100 + i)).append("\r\n");
        }
        return b.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
