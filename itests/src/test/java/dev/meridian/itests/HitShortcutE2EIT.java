package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fresh cache hits answered by the traffic port's connection before Jetty's request handling
 * ({@code gateway-http}'s {@code HitShortcut}, issue 10), on a node process with the real cache:
 * the bytes are those of Jetty's way (which a {@code Connection} field still takes), pipelined
 * requests mixing hits, a miss and {@code Connection: close} are answered in order, a client that
 * pipelines hundreds of requests without reading gets every answer whole and in order, hostile
 * heads get what Jetty answers them, and many clients at once on many URLs get their own answers,
 * each with its access log line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class HitShortcutE2EIT {

    private static final int HTTP = 33000;

    @RegisterExtension
    static final MeridianCluster<CountingUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("hs1", HTTP, HTTP + 1, HTTP + 2))
        .upstream(CountingUpstream::new)
        .api("hs-cached", up -> String.join("\n", "id: hs-cached", "basePath: /cached",
            "upstream: { url: '" + up.url("/") + "' }", "cache: { ttl: 60s }", ""))
        .build();

    private static final String GET = "GET %s HTTP/1.1\r\nHost: gw.example\r\nX-Request-Id: %s\r\n%s\r\n";

    private static String get(String path, String id) {
        return String.format(GET, path, id, "");
    }

    /** One answer read off a connection: its head (lines without CRLF) and body. */
    private record Answer(List<String> head, byte[] body) {
        int status() {
            return Integer.parseInt(head.get(0).substring(9, 12));
        }

        String field(String name) {
            for (String line : head) {
                if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                    return line.substring(name.length() + 1).trim();
                }
            }
            return null;
        }

        /** The head with the fields that differ between two answers of one entry (Date, Age) made fixed. */
        List<String> comparable() {
            return head.stream().map(l -> l.replaceFirst("^(Date|Age): .*$", "$1: _")).toList();
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    /** Reads {@code count} answers of {@code in}; a HEAD's answer has no body ({@code heads}: which are). */
    private static List<Answer> read(InputStream in, int count, boolean... heads) throws IOException {
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<String> head = new ArrayList<>();
            for (String line = line(in); !line.isEmpty(); line = line(in)) {
                head.add(line);
            }
            Answer a = new Answer(head, new byte[0]);
            boolean isHead = i < heads.length && heads[i];
            String length = a.field("Content-Length");
            if (!isHead && length != null) {
                a = new Answer(head, in.readNBytes(Integer.parseInt(length)));
            }
            answers.add(a);
        }
        return answers;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed after " + b);
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), HTTP);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends {@code bytes} on a new connection and reads {@code count} answers. */
    private static List<Answer> exchange(String bytes, int count, boolean... heads) throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            return read(new BufferedInputStream(s.getInputStream()), count, heads);
        }
    }

    /** Whether the server closes {@code s} within 3 s (nothing more is read). */
    private static boolean closes(Socket s) throws IOException {
        s.setSoTimeout(3_000);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException open) {
            return false;
        }
    }

    private static Path accessLog() {
        return CLUSTER.node(0).home.resolve("data/log/access.log");
    }

    private static void awaitLogLines(String requestIdPrefix, int count) {
        Awaitility.await("access log lines of " + requestIdPrefix).atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> Files.readAllLines(accessLog()).stream()
                .filter(l -> l.contains(" request_id=" + requestIdPrefix)).count() == count);
    }

    @Test
    @Order(10)
    void should_write_a_fresh_hit_byte_for_byte_as_jettys_way_does() throws Exception {
        Answer miss = exchange(get("/cached/item/eq", "eq-0"), 1).get(0);
        assertEquals("MISS", miss.field("X-Cache"));
        // the same request; then with a Connection field, which the connection leaves to Jetty's way
        List<Answer> answers = exchange(get("/cached/item/eq", "eq-1")
            + String.format(GET, "/cached/item/eq", "eq-1", "Connection: keep-alive\r\n")
            + String.format(GET.replace("GET", "HEAD"), "/cached/item/eq", "eq-1", "")
            + String.format(GET.replace("GET", "HEAD"), "/cached/item/eq", "eq-1", "Connection: keep-alive\r\n"),
            4, false, false, true, true);
        Answer hit = answers.get(0);
        assertEquals(200, hit.status(), hit.head().toString());
        assertEquals("HIT", hit.field("X-Cache"));
        assertEquals(miss.text(), hit.text());
        assertEquals(answers.get(1).comparable(), hit.comparable(), "the GET hit's head, as Jetty writes it");
        assertEquals(answers.get(1).text(), hit.text());
        assertEquals(answers.get(3).comparable(), answers.get(2).comparable(), "the HEAD hit's head, as Jetty writes it");
        assertEquals(hit.comparable(), answers.get(2).comparable(), "HEAD and GET: the same head");
        assertEquals(List.of("HTTP/1.1 200 OK"), hit.head().subList(0, 1));
        assertEquals(String.valueOf(hit.body().length), hit.field("Content-Length"));
        assertEquals("eq-1", hit.field("X-Request-Id"));
        assertTrue(hit.field("X-Meridian-Revision") != null && hit.field("Date") != null && hit.field("Age") != null,
            hit.head().toString());
        assertEquals(1, CLUSTER.upstream().count("/item/eq"), "one upstream call");
        awaitLogLines("eq-1 ", 4);
        String line = Files.readAllLines(accessLog()).stream().filter(l -> l.contains(" request_id=eq-1 ")).findFirst()
            .orElseThrow();
        assertTrue(line.contains(" api=hs-cached ") && line.contains(" method=GET path=\"/cached/item/eq\" status=200 ")
            && line.contains(" upstream=-") && line.contains(" client=127.0.0.1"), line);
    }

    @Test
    @Order(20)
    void should_answer_pipelined_hits_a_miss_and_a_close_in_order() throws Exception {
        exchange(get("/cached/item/p", "p-0"), 1);
        try (Socket s = connect()) {
            String bytes = get("/cached/item/p", "p-1") + get("/cached/item/p", "p-2")
                + get("/cached/item/p-miss", "p-3") + get("/cached/item/p", "p-4")
                + String.format(GET, "/cached/item/p", "p-5", "Connection: close\r\n");
            s.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            List<Answer> answers = read(new BufferedInputStream(s.getInputStream()), 5);
            assertEquals(List.of("p-1", "p-2", "p-3", "p-4", "p-5"),
                answers.stream().map(a -> a.field("X-Request-Id")).toList());
            assertEquals(List.of("HIT", "HIT", "MISS", "HIT", "HIT"), answers.stream().map(a -> a.field("X-Cache")).toList());
            assertEquals("/item/p-miss fetch 1", answers.get(2).text());
            assertEquals("close", answers.get(4).field("Connection"));
            assertTrue(closes(s), "closed after the answer to Connection: close");
        }
        awaitLogLines("p-", 6);
    }

    @Test
    @Order(30)
    void should_answer_a_client_that_pipelines_without_reading_whole_and_in_order() throws Exception {
        exchange(get("/cached/big/1", "b-0"), 1);
        int n = 1000; // 1000 x 16 KiB: several times what both sockets buffer, so answers wait for the reader
        StringBuilder bytes = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            // every 50th a miss: Jetty's way, which must wait for the answers before it
            bytes.append(get(i % 50 == 0 ? "/cached/big/m" + i : "/cached/big/1", "b-" + i));
        }
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024); // a small window: the server's writes stop part way
            s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), HTTP), 5_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(bytes.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread.sleep(1_000); // nothing read meanwhile
            InputStream in = new BufferedInputStream(s.getInputStream());
            List<Answer> answers = read(in, n);
            for (int i = 1; i <= n; i++) {
                Answer a = answers.get(i - 1);
                assertEquals("b-" + i, a.field("X-Request-Id"), "answer " + i + " in order");
                assertEquals(200, a.status());
                assertEquals(16 * 1024, a.body().length, "answer " + i + " whole");
                assertEquals(i % 50 == 0 ? "MISS" : "HIT", a.field("X-Cache"), "answer " + i);
            }
            // the connection is still good
            out.write(get("/cached/big/1", "b-last").getBytes(StandardCharsets.ISO_8859_1));
            assertEquals("b-last", read(in, 1).get(0).field("X-Request-Id"));
        }
    }

    @Test
    @Order(40)
    void should_answer_hostile_heads_as_jetty_does() throws Exception {
        exchange(get("/cached/item/h", "h-0"), 1);
        // a doubled Host: 400, connection closed
        try (Socket s = connect()) {
            s.getOutputStream().write(("GET /cached/item/h HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + get("/cached/item/h", "h-x"))
                .getBytes(StandardCharsets.ISO_8859_1));
            Answer a = read(s.getInputStream(), 1).get(0);
            assertEquals(400, a.status(), a.head().toString());
            assertTrue(closes(s));
        }
        // no Host on HTTP/1.1: 400
        assertEquals(400, exchange("GET /cached/item/h HTTP/1.1\r\nX-Request-Id: h-1\r\n\r\n", 1).get(0).status());
        // an ambiguous path: the gateway's own JSON 400, as on Jetty's way
        Answer dots = exchange(get("/cached/item/a%2Fh", "h-2"), 1).get(0);
        assertEquals(400, dots.status(), dots.head().toString());
        assertTrue(dots.text().contains("\"error\""), dots.text());
        // URIs Jetty refuses or judges itself (bad escapes, dot segments above the root, NUL): its answer, not a closed connection
        for (String bad : new String[] {"/cached/%zz/h", "/cached/../../x", "/cached/%2e%2e/%2e%2e/x", "/cached/a%00b",
            "/cached/%c0%ae/x", "/cached/a\\b"}) {
            Answer a = exchange(get(bad, "h-bad"), 1).get(0);
            assertEquals(400, a.status(), bad + ": " + a.head());
        }
        // HTTP/1.0 without keep-alive: a hit, then the connection closes, as HTTP/1.0 wants
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /cached/item/h HTTP/1.0\r\nX-Request-Id: h-3\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            Answer a = read(s.getInputStream(), 1).get(0);
            assertEquals("HIT", a.field("X-Cache"));
            assertTrue(closes(s), "HTTP/1.0 without keep-alive: closed");
        }
        // an absolute URI: Jetty's way, a hit all the same
        assertEquals("HIT", exchange("GET http://gw.example/cached/item/h HTTP/1.1\r\nHost: gw.example\r\n\r\n", 1)
            .get(0).field("X-Cache"));
        // a head trickled a few bytes at a time is answered once complete
        try (Socket s = connect()) {
            byte[] head = get("/cached/item/h", "h-6").getBytes(StandardCharsets.ISO_8859_1);
            for (int i = 0; i < head.length; i += 7) {
                s.getOutputStream().write(head, i, Math.min(7, head.length - i));
                s.getOutputStream().flush();
                Thread.sleep(5);
            }
            Answer a = read(s.getInputStream(), 1).get(0);
            assertEquals("h-6", a.field("X-Request-Id"));
            assertEquals("HIT", a.field("X-Cache"));
        }
        // a conditional request: 304 from the entry (Jetty's way)
        String etag = exchange(get("/cached/etag/h", "h-7"), 1).get(0).field("ETag");
        Answer notModified = exchange(String.format(GET, "/cached/etag/h", "h-8", "If-None-Match: " + etag + "\r\n"), 1,
            true).get(0);
        assertEquals(304, notModified.status(), notModified.head().toString());
    }

    @Test
    @Order(50)
    void should_give_many_clients_on_many_urls_their_own_answers() throws Exception {
        int urls = 20;
        for (int u = 0; u < urls; u++) {
            exchange(get("/cached/item/m" + u, "m-prime-" + u), 1);
        }
        int clients = 16;
        int each = 150;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    int hits = 0;
                    try (Socket s = connect()) {
                        InputStream in = new BufferedInputStream(s.getInputStream());
                        for (int i = 0; i < each; i++) {
                            int u = (client * 7 + i) % urls;
                            String id = "m-" + client + "-" + i;
                            s.getOutputStream().write(get("/cached/item/m" + u, id).getBytes(StandardCharsets.ISO_8859_1));
                            Answer a = read(in, 1).get(0);
                            assertEquals(id, a.field("X-Request-Id"));
                            assertEquals("/item/m" + u + " fetch 1", a.text());
                            if ("HIT".equals(a.field("X-Cache"))) {
                                hits++;
                            }
                        }
                    }
                    return hits;
                }));
            }
            int hits = 0;
            for (Future<Integer> f : done) {
                hits += f.get(2, TimeUnit.MINUTES);
            }
            assertEquals(clients * each, hits);
        } finally {
            pool.shutdownNow();
        }
        for (int u = 0; u < urls; u++) {
            assertEquals(1, CLUSTER.upstream().count("/item/m" + u), "one upstream call for /item/m" + u);
        }
        Awaitility.await("one access log line per request").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
            .until(() -> {
                Pattern id = Pattern.compile(" request_id=m-\\d+-\\d+ ");
                return Files.readAllLines(accessLog()).stream().filter(l -> id.matcher(l).find()).count() == clients * each;
            });
    }
}
