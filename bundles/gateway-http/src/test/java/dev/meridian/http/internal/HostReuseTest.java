package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jetty.http.HostPortHttpField;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link HostReuse} between Jetty's parser (keeping no fields between requests, as the data plane's; or keeping them) and a recorder. */
@Timeout(30)
class HostReuseTest {

    /** What the connection's handler was given: each request's fields, and refusals. */
    static final class Recorder implements HttpParser.RequestHandler {
        final List<List<HttpField>> requests = new ArrayList<>();
        final List<Integer> refused = new ArrayList<>();

        @Override
        public void startRequest(String method, String uri, HttpVersion version) {
            requests.add(new ArrayList<>());
        }

        @Override
        public void parsedHeader(HttpField field) {
            requests.get(requests.size() - 1).add(field);
        }

        @Override
        public boolean headerComplete() {
            return false;
        }

        @Override
        public boolean content(ByteBuffer item) {
            return false;
        }

        @Override
        public boolean contentComplete() {
            return false;
        }

        @Override
        public boolean messageComplete() {
            return true; // one message per parse call, as Jetty's connection does
        }

        @Override
        public void earlyEOF() {
        }

        @Override
        public void badMessage(HttpException failure) {
            refused.add(failure.getCode());
        }

        HttpField host(int request) {
            return requests.get(request).stream().filter(f -> f.getHeader() == HttpHeader.HOST).findFirst().orElseThrow();
        }
    }

    private static Recorder parse(String... heads) {
        return parse(0, heads);
    }

    private static Recorder parse(int fieldCache, String... heads) {
        Recorder recorder = new Recorder();
        HttpParser parser = new HttpParser(new HostReuse(recorder), 8192, HttpCompliance.RFC9110);
        parser.setHeaderCacheSize(fieldCache);
        for (String head : heads) {
            ByteBuffer bytes = ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1));
            while (bytes.hasRemaining() && !parser.isState(HttpParser.State.CLOSE)) {
                if (parser.parseNext(bytes)) {
                    parser.reset();
                }
            }
        }
        return recorder;
    }

    private static String get(String host) {
        return "GET /a HTTP/1.1\r\nHost: " + host + "\r\nAccept: */*\r\n\r\n";
    }

    @ParameterizedTest
    @ValueSource(strings = {"gw.example", "gw.example:8080", "127.0.0.1:27090", "[::1]:8443", "UPPER.example"})
    void should_hand_on_from_the_second_request_a_host_equal_to_jettys_with_its_values_parsed_once(String host) {
        for (int fieldCache : new int[] {0, 1024}) {
            sameHostThrice(host, fieldCache);
        }
    }

    private static void sameHostThrice(String host, int fieldCache) {
        Recorder r = parse(fieldCache, get(host), get(host), get(host));

        HttpField first = r.host(0);
        HttpField second = r.host(1);
        assertInstanceOf(HostPortHttpField.class, first);
        assertInstanceOf(HostReuse.Parsed.class, second, "the parser's kept field, replaced");
        assertSame(second, r.host(2), "replaced once per connection");
        HostPortHttpField jetty = (HostPortHttpField) first;
        HostPortHttpField reused = (HostPortHttpField) second;
        assertEquals(jetty.getName(), reused.getName());
        assertEquals(jetty.getValue(), reused.getValue());
        assertEquals(jetty.getHost(), reused.getHost());
        assertEquals(jetty.getPort(), reused.getPort());
        assertArrayEquals(jetty.getValues(), reused.getValues());
        assertNotSame(reused.getValues(), reused.getValues(), "each caller gets its own array");
    }

    @Test
    void should_pass_on_a_new_host_value_as_jetty_parsed_it() {
        Recorder r = parse(get("a.example"), get("a.example"), get("b.example"), get("b.example"));

        assertInstanceOf(HostReuse.Parsed.class, r.host(1));
        HttpField changed = r.host(2);
        assertEquals("b.example", changed.getValue());
        assertTrue(!(changed instanceof HostReuse.Parsed), "a value seen once is Jetty's own field");
        assertEquals("b.example", ((HostPortHttpField) r.host(3)).getHost());
    }

    @Test
    void should_reuse_across_the_case_of_the_name_as_jetty_writes_it() {
        Recorder r = parse(get("a.example"), "GET /a HTTP/1.1\r\nhost: a.example\r\n\r\n");

        assertInstanceOf(HostReuse.Parsed.class, r.host(1), "the parser names the field Host whatever the case sent");
        assertEquals("Host", r.host(1).getName());
    }

    @Test
    void should_refuse_what_jetty_refuses() {
        Recorder r = parse(get("a.example"), get("a.example"), "GET /a HTTP/1.1\r\nHost: bad host\r\n\r\n");

        assertEquals(List.of(400), r.refused, "an invalid Host is Jetty's to refuse, as before");
    }
}
