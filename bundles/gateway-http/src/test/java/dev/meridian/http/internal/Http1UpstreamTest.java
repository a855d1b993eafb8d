package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.flow.Answer;
import dev.meridian.core.flow.Exchange;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

/** Meridian's own HTTP/1.1 upstream connections against a raw-socket upstream that sends exactly the bytes a test wants. */
@Timeout(30)
class Http1UpstreamTest {

    private QueuedThreadPool threads;
    private HttpClient client;
    private Http1Upstream upstream;
    private ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<String> heads = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        threads = new QueuedThreadPool(8, 2);
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setExecutor(threads);
        client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        client.setExecutor(threads);
        client.start();
        upstream = new Http1Upstream(client, threads);
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        client.stop();
    }

    /** Serves each connection with {@code script}: (the connection's request number, its output) per request head read. */
    private void serve(BiConsumer<Integer, OutputStream> script) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    sockets.add(s);
                    accepted.incrementAndGet();
                    Thread c = new Thread(() -> {
                        try (s) {
                            InputStream in = s.getInputStream();
                            OutputStream out = s.getOutputStream();
                            for (int n = 1; ; n++) {
                                String head = readHead(in);
                                if (head == null) {
                                    return;
                                }
                                heads.add(head);
                                script.accept(n, out);
                                out.flush();
                            }
                        } catch (IOException e) {
                            // the test closed it
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static void write(OutputStream out, String s) {
        try {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private record Result(int status, HttpFields fields, String body, Throwable bodyFailure) {
    }

    private Exchange exchange(String method, String timeout) throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(String.join("\n", "id: t", "basePath: /",
            "upstream: { url: 'http://127.0.0.1:" + server.getLocalPort() + "', timeout: " + timeout
                + ", pool: { maxConnections: 2 } }", "").getBytes(StandardCharsets.UTF_8), Format.YAML);
        Route route = new Route(api, List.of(), new ApiMetrics("t"));
        return new Exchange(new RouteTable(1, 1, List.of(route)), route, method, "/x", null, "rid", "127.0.0.1",
            System.nanoTime(), new JettyFields(HttpFields.EMPTY));
    }

    private Result call(String method) throws Exception {
        return call(method, "5s");
    }

    private Result call(String method, String timeout) throws Exception {
        Exchange e = exchange(method, timeout);
        CompletableFuture<Result> done = new CompletableFuture<>();
        HttpFields.Mutable fields = HttpFields.build().add("Accept", "text/plain").add("X-Case", "MiXeD");
        upstream.send(e, () -> {
            Answer a = e.answer();
            if (a instanceof Answer.Upstream up) {
                Content.Source source = ((JettyBody) up.body()).source();
                Content.Source.asString(source, StandardCharsets.ISO_8859_1, new org.eclipse.jetty.util.Promise<String>() {
                    @Override
                    public void succeeded(String body) {
                        done.complete(new Result(up.status(), ((JettyFields) up.headers()).fields(), body, null));
                    }

                    @Override
                    public void failed(Throwable x) {
                        done.complete(new Result(up.status(), ((JettyFields) up.headers()).fields(), null, x));
                    }
                });
            } else {
                done.complete(new Result(a.status(), HttpFields.EMPTY, ((Answer.Rejection) a).message(), null));
            }
        }, "/x", fields);
        return done.get(20, TimeUnit.SECONDS);
    }

    /** Sends a request; the future holds the status it was answered with (an upstream's or a rejection's). */
    private CompletableFuture<Answer> sendAsync(String timeout) throws Exception {
        Exchange e = exchange("GET", timeout);
        CompletableFuture<Answer> done = new CompletableFuture<>();
        upstream.send(e, () -> done.complete(e.answer()), "/x", HttpFields.build());
        return done;
    }

    @Test
    void should_answer_503_at_once_when_the_client_is_stopped() throws Exception {
        serve((n, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        client.stop();

        Answer a = sendAsync("5s").get(5, TimeUnit.SECONDS);

        assertEquals(503, a.status());
        assertEquals("upstream client stopped", ((Answer.Rejection) a).message());
        assertEquals(0, accepted.get(), "no connection tried");
    }

    @Test
    void should_answer_every_waiting_request_503_when_the_client_stops() throws Exception {
        // an upstream that reads heads and never answers: two requests on the pool's two
        // connections wait for a head, a third waits in the queue for a connection
        serve((n, out) -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        List<CompletableFuture<Answer>> flights = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            flights.add(sendAsync("60s"));
        }
        long waitUntil = System.nanoTime() + 5_000_000_000L;
        while (heads.size() < 2 && System.nanoTime() < waitUntil) {
            Thread.sleep(10);
        }
        assertEquals(2, heads.size(), "both connections carry a request");

        client.stop();

        for (CompletableFuture<Answer> f : flights) {
            Answer a = f.get(5, TimeUnit.SECONDS); // before: never answered, its exchange in flight for good
            assertEquals(503, a.status());
        }
    }

    @Test
    void should_pre_open_idle_connections_that_later_requests_use_without_a_new_one() throws Exception {
        serve((n, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        Exchange e = exchange("GET", "5s"); // pool.maxConnections: 2
        java.util.function.IntSupplier open = upstream.preOpen(e.route().upstream(), 5);
        long until = System.nanoTime() + 5_000_000_000L;
        // the client counts a connection open when its handshake completes, which may be before
        // this test's server thread returns from accept(): wait for both
        while ((open.getAsInt() < 2 || accepted.get() < 2) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(2, open.getAsInt(), "bounded by pool.maxConnections");
        assertEquals(2, accepted.get());
        java.util.Map<String, Integer> counts = new java.util.HashMap<>();
        upstream.connectionCounts(counts);
        assertEquals(java.util.Map.of("http://127.0.0.1:" + server.getLocalPort(), 2), counts);

        List<CompletableFuture<Answer>> two = List.of(sendAsync("5s"), sendAsync("5s"));
        for (CompletableFuture<Answer> f : two) {
            assertEquals(200, f.get(5, TimeUnit.SECONDS).status());
        }
        assertEquals(2, accepted.get(), "no new connection");
    }

    @Test
    void should_reuse_one_keep_alive_connection_for_sequential_requests() throws Exception {
        serve((n, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-N: " + n + "\r\n\r\nhello"));
        for (int i = 1; i <= 5; i++) {
            Result r = call("GET");
            assertEquals(200, r.status());
            assertEquals("hello", r.body());
            assertEquals(String.valueOf(i), r.fields().get("X-N"));
        }
        assertEquals(1, accepted.get());
        String head = heads.get(0);
        assertTrue(head.startsWith("GET /x HTTP/1.1\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n"), head);
        assertTrue(head.contains("\r\nX-Case: MiXeD\r\n"), head);
    }

    @Test
    void should_read_chunked_and_close_delimited_bodies() throws Exception {
        serve((n, out) -> {
            if (n == 1) {
                write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
            } else {
                write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
                close(out); // the end of the body is the end of the connection
            }
        });
        assertEquals("abcdefg", call("GET").body());
        assertEquals("until the end", call("GET").body());
        assertEquals("abcdefg", call("GET").body()); // on a new connection
        assertEquals(2, accepted.get());
    }

    private static void close(OutputStream out) {
        try {
            out.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void should_end_bodiless_answers_without_waiting_for_bytes() throws Exception {
        serve((n, out) -> write(out, switch (n) {
            case 1 -> "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n";
            case 2 -> "HTTP/1.1 304 Not Modified\r\nETag: \"1\"\r\n\r\n";
            default -> "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"; // HEAD: length, no body
        }));
        assertEquals(204, call("GET").status());
        assertEquals(304, call("GET").status());
        Result head = call("HEAD");
        assertEquals(200, head.status());
        assertEquals("", head.body());
        assertEquals(1, accepted.get());
    }

    @Test
    void should_skip_interim_answers_and_keep_the_final_one() throws Exception {
        serve((n, out) -> write(out, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        Result r = call("GET");
        assertEquals(200, r.status());
        assertEquals("ok", r.body());
    }

    @Test
    void should_send_again_on_a_new_connection_when_a_reused_one_was_closed_by_the_upstream() throws Exception {
        serve((n, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        assertEquals("ok", call("GET").body());
        // the upstream drops its idle keep-alive connection without a word (a reset, as a restart does)
        for (Socket s : sockets) {
            s.setSoLinger(true, 0);
            s.close();
        }
        Thread.sleep(100);
        Result r = call("GET");
        assertEquals(200, r.status(), String.valueOf(r.body()));
        assertEquals("ok", r.body());
        assertEquals(2, accepted.get());
    }

    @Test
    void should_answer_502_when_the_upstream_closes_before_its_answer_on_a_new_connection() throws Exception {
        serve((n, out) -> {
            throw new java.io.UncheckedIOException(new IOException("closing"));
        });
        Result r = call("GET");
        assertEquals(502, r.status());
    }

    @Test
    void should_answer_502_when_the_upstream_refuses_the_connection() throws Exception {
        server.close();
        Result r = call("GET");
        assertEquals(502, r.status());
        assertEquals("upstream refused the connection", r.body());
    }

    @Test
    void should_answer_504_and_drop_the_connection_when_the_head_is_late() throws Exception {
        serve((n, out) -> {
            // never answers
        });
        assertTimesOutWithin3s();
    }

    /** A call with a 300 ms timeout answers 504, well before the upstream would. */
    private void assertTimesOutWithin3s() throws Exception {
        long start = System.nanoTime();
        Result r = call("GET", "300ms");
        assertEquals(504, r.status());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3));
    }

    @Test
    void should_fail_the_body_when_the_upstream_closes_inside_a_body_larger_than_the_buffer() throws Exception {
        serve((n, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nonly a part");
            close(out);
        });
        Result r = call("GET");
        assertEquals(200, r.status());
        assertInstanceOf(Throwable.class, r.bodyFailure());
    }

    @Test
    void should_answer_502_when_the_upstream_dies_between_its_head_and_a_small_body() throws Exception {
        // a target killed under load: its head went out, its body never did (CI, UpstreamTargetsE2EIT)
        serve((n, out) -> {
            write(out, n == 1 ? "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part"
                : "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
            close(out);
        });
        Result r = call("GET");
        assertEquals(502, r.status(), "not a 200 with a body cut short: nothing reached the data plane");
        Result none = call("GET");
        assertEquals(502, none.status(), "the head alone, then the close");
    }

    @Test
    void should_wait_for_a_small_body_sent_after_its_head() throws Exception {
        serve((n, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello");
            sleep(200);
            write(out, " world");
        });
        Result r = call("GET");
        assertEquals(200, r.status());
        assertEquals("hello world", r.body());
        assertEquals("hello world", call("GET").body()); // the same connection, kept alive
        assertEquals(1, accepted.get());
    }

    @Test
    void should_answer_504_when_a_small_body_stalls_past_the_timeout() throws Exception {
        serve((n, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part"));
        assertTimesOutWithin3s();
    }

    @Test
    void should_hand_over_a_streamed_answer_at_its_head() throws Exception {
        // chunked (an event stream) and longer than the buffer: the head goes on before the body ends
        CompletableFuture<Answer> chunked = new CompletableFuture<>();
        CompletableFuture<Answer> large = new CompletableFuture<>();
        serve((n, out) -> {
            boolean first = n == 1;
            write(out, first ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + "x".repeat(100));
            try {
                (first ? chunked : large).get(10, TimeUnit.SECONDS); // the rest only once the head was handed over
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            write(out, first ? "0\r\n\r\n" : "x".repeat(19_900));
        });
        Exchange e = exchange("GET", "5s");
        upstream.send(e, () -> chunked.complete(e.answer()), "/x", HttpFields.build());
        assertEquals(200, chunked.get(10, TimeUnit.SECONDS).status());
        Content.Source.asString(((JettyBody) ((Answer.Upstream) chunked.get()).body()).source());
        Exchange e2 = exchange("GET", "5s");
        upstream.send(e2, () -> large.complete(e2.answer()), "/x", HttpFields.build());
        Answer a = large.get(10, TimeUnit.SECONDS);
        assertEquals(20_000, Content.Source.asString(((JettyBody) ((Answer.Upstream) a).body()).source()).length());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void should_queue_requests_beyond_the_pool_bound_and_serve_them_all() throws Exception {
        serve((n, out) -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        List<CompletableFuture<Result>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return call("GET");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<Result> c : calls) {
            assertEquals("ok", c.get(20, TimeUnit.SECONDS).body());
        }
        assertTrue(accepted.get() <= 2, "connections opened: " + accepted.get());
    }

    @Test
    void should_answer_every_request_of_many_clients_on_fast_reused_connections() throws Exception {
        // the answer of a fast upstream can be read before the request's write has left Jetty's
        // write flusher: the connection must not carry the next request until both are done
        serve((n, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        AtomicInteger ok = new AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        for (int t = 0; t < 8; t++) {
            clients.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 300; i++) {
                    try {
                        Result r = call("GET");
                        if (r.status() == 200 && "ok".equals(r.body())) {
                            ok.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }, pool));
        }
        try {
            for (CompletableFuture<Void> c : clients) {
                c.get(25, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(8 * 300, ok.get());
        assertTrue(accepted.get() <= 2, "connections opened: " + accepted.get());
    }

    @Test
    void should_answer_502_and_drop_the_connection_when_the_upstream_sends_garbage() throws Exception {
        AtomicInteger answers = new AtomicInteger();
        serve((n, out) -> write(out, answers.incrementAndGet() == 1 ? "SSH-2.0-OpenSSH\r\n\r\n\u0000\u00ff\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        Result r = call("GET");
        assertEquals(502, r.status());
        assertEquals("ok", call("GET").body()); // a new connection: the broken one was not pooled
        assertEquals(2, accepted.get());
    }

    @Test
    void should_not_believe_an_answer_with_two_lengths() throws Exception {
        serve((n, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"));
        Result lying = call("GET");
        assertTrue(lying.status() == 502 || lying.bodyFailure() != null, "two lengths: refused, not believed");
    }

    @Test
    void should_name_the_upstream_in_host_as_rfc_9110_says() {
        assertEquals("orders.internal", Http1Upstream.hostField("orders.internal", 80));
        assertEquals("orders.internal:8080", Http1Upstream.hostField("orders.internal", 8080));
        assertEquals("[::1]:9000", Http1Upstream.hostField("::1", 9000));
        assertEquals("[::1]:9000", Http1Upstream.hostField("[::1]", 9000));
    }

    @Test
    void should_refuse_a_field_that_would_split_the_request() {
        HttpFields fields = HttpFields.build().add("X-Bad", "a\rb");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> Http1Upstream.head("GET", "/", "h", fields));
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nX-A: é\r\n\r\n",
            new String(Http1Upstream.head("GET", "/", "h", HttpFields.build().add("X-A", "é")).toByteArray(),
                StandardCharsets.ISO_8859_1));
    }

    @Test
    void should_check_a_long_field_as_strictly_as_a_short_one() {
        String token = "Bearer " + "eyJhbGciOiJSUzI1NiJ9.".repeat(40);
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: " + token + "\r\nX-Q: " + "a?b".repeat(30) + "\r\n\r\n",
            new String(Http1Upstream.head("GET", "/", "h", HttpFields.build().add("Authorization", token).add("X-Q", "a?b".repeat(30)))
                .toByteArray(), StandardCharsets.ISO_8859_1), "long values (with a '?' too) copied byte for byte");
        String latin = "é".repeat(60);
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nX-A: " + latin + "\r\n\r\n",
            new String(Http1Upstream.head("GET", "/", "h", HttpFields.build().add("X-A", latin)).toByteArray(), StandardCharsets.ISO_8859_1));
        for (String bad : new String[] {"a".repeat(60) + "\r\nX-Injected: 1", "a".repeat(60) + "\n", "a".repeat(60) + "\0",
            "a".repeat(60) + "\u0100", "\u20ac" + "a".repeat(60)}) {
            HttpFields fields = HttpFields.build().add("X-Long", bad);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Http1Upstream.head("GET", "/", "h", fields), "refused: " + bad.replace("\r", "\\r").replace("\n", "\\n"));
        }
    }

    @Test
    void should_find_a_suspect_byte_at_every_position_of_a_long_value() {
        // the scan reads eight bytes at a time, then the tail: every offset of both, every kind of byte
        for (int length : new int[] {48, 53, 64, 71}) {
            assertFalse(Http1Upstream.Latin1.suspect("A".repeat(length).getBytes(StandardCharsets.ISO_8859_1)));
            assertFalse(Http1Upstream.Latin1.suspect("~ !>@\u00ff\u0080".repeat(length / 7 + 1).getBytes(StandardCharsets.ISO_8859_1)),
                "bytes either side of the tested ranges, high bytes too");
            for (int at = 0; at < length; at++) {
                for (char c : new char[] {'\r', '\n', '\0', '?', '\t', 0x1f}) {
                    byte[] bytes = "A".repeat(length).getBytes(StandardCharsets.ISO_8859_1);
                    bytes[at] = (byte) c;
                    assertTrue(Http1Upstream.Latin1.suspect(bytes), "byte " + (int) c + " at " + at + " of " + length);
                }
            }
        }
        String value = "b".repeat(50);
        for (int at = 0; at < value.length(); at++) {
            String bad = value.substring(0, at) + "\r\nX-Injected: 1" + value.substring(at);
            HttpFields fields = HttpFields.build().add("X-Long", bad);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Http1Upstream.head("GET", "/", "h", fields), "CR LF at " + at);
        }
    }
}
