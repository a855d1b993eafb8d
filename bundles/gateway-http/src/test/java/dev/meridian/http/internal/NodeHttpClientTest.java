package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;
import dev.meridian.tls.CertifiedKey;
import dev.meridian.tls.KeyStores;
import dev.meridian.tls.OpenSsl;

/**
 * The node's outbound client against real local servers (the JDK's HTTP and HTTPS servers, a
 * certificate made by openssl): answers, the body cap, timeouts, refused connections, TLS trust
 * and host names, and where stages complete.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeHttpClientTest {

    @TempDir
    static Path pki;

    private static String localhostPem;
    private static String otherNamePem;
    private static SSLContext localhostTls;
    private static SSLContext otherNameTls;

    private HttpServer http;
    private HttpsServer https;
    private NodeHttpClient client;
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger requests = new AtomicInteger();
    private final java.util.Set<Integer> ports = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    private ExecutorService held;

    @BeforeAll
    static void certificates() throws Exception {
        OpenSsl ssl = new OpenSsl(pki);
        for (String[] cert : new String[][] {{"localhost", "DNS:localhost,IP:127.0.0.1"}, {"other", "DNS:other.example"}}) {
            ssl.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=" + cert[0], "-keyout", cert[0] + ".key", "-out", cert[0] + ".crt",
                "-addext", "subjectAltName=" + cert[1]);
        }
        localhostPem = ssl.read("localhost.crt");
        otherNamePem = ssl.read("other.crt");
        localhostTls = serverContext(localhostPem, ssl.read("localhost.key"));
        otherNameTls = serverContext(otherNamePem, ssl.read("other.key"));
    }

    private static SSLContext serverContext(String cert, String key) throws Exception {
        char[] password = KeyStores.randomPassword();
        KeyStore store = KeyStores.keys(Map.of("server", CertifiedKey.of(cert, key)), password);
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    @BeforeEach
    void servers() throws Exception {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        held = Executors.newCachedThreadPool();
        http.setExecutor(held);
        http.createContext("/ok", ex -> {
            requests.incrementAndGet();
            ports.add(ex.getRemoteAddress().getPort());
            received.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + ex.getRequestHeaders().getFirst("X-Probe")
                + " " + ex.getRequestHeaders().get("Content-Type") + " " + new String(ex.getRequestBody().readAllBytes(),
                StandardCharsets.UTF_8));
            ex.getResponseHeaders().add("X-Answer", "one");
            ex.getResponseHeaders().add("X-Answer", "two");
            answer(ex, 200, "{\"keys\":[]}");
        });
        http.createContext("/sized", ex -> {
            int n = Integer.parseInt(ex.getRequestURI().getQuery());
            answer(ex, 200, "x".repeat(n));
        });
        http.createContext("/chunked", ex -> {
            int n = Integer.parseInt(ex.getRequestURI().getQuery());
            ex.sendResponseHeaders(200, 0); // chunked: no length declared
            // 100-byte chunks; 8 KiB ones for a large body (10,000 flushed chunks of 100 bytes took
            // over the client's 5 s on a loaded box)
            int piece = n > 100_000 ? 8192 : 100;
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < n; i += piece) {
                    out.write("y".repeat(Math.min(piece, n - i)).getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        });
        http.createContext("/slow", ex -> {
            try {
                release.await(30, TimeUnit.SECONDS); // held until the test ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(ex, 200, "late");
        });
        http.createContext("/moved", ex -> {
            ex.getResponseHeaders().add("Location", "/ok");
            answer(ex, 302, "");
        });
        http.start();
        client = new NodeHttpClient();
        client.start();
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private HttpsServer httpsServer(SSLContext tls) throws IOException {
        HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        s.setHttpsConfigurator(new HttpsConfigurator(tls));
        s.createContext("/ok", ex -> answer(ex, 200, "secure"));
        s.start();
        https = s;
        return s;
    }

    @AfterEach
    void stop() {
        release.countDown();
        client.stop();
        http.stop(0);
        if (https != null) {
            https.stop(0);
        }
        held.shutdownNow();
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + pathAndQuery);
    }

    private static OutboundResponse await(java.util.concurrent.CompletionStage<OutboundResponse> stage) {
        return stage.toCompletableFuture().orTimeout(20, TimeUnit.SECONDS).join();
    }

    private static Throwable failure(java.util.concurrent.CompletionStage<OutboundResponse> stage) {
        CompletionException e = assertThrows(CompletionException.class, () -> await(stage));
        return e.getCause();
    }

    @Test
    void should_answer_status_fields_and_body() {
        OutboundResponse r = await(client.send(OutboundRequest.get(uri("/ok?a=1")).withHeader("X-Probe", "p")));

        assertEquals(200, r.status());
        assertEquals("{\"keys\":[]}", r.text());
        assertEquals(List.of("one", "two"), r.headers().get("x-answer"));
        assertEquals("one", r.header("X-Answer").orElseThrow());
        assertEquals("GET /ok?a=1 p null ", received.poll());
    }

    @Test
    void should_send_a_post_body_with_its_content_type() {
        OutboundResponse r = await(client.send(OutboundRequest.post(uri("/ok"), "application/x-www-form-urlencoded",
            "token=abc".getBytes(StandardCharsets.UTF_8))));

        assertEquals(200, r.status());
        assertEquals("POST /ok null [application/x-www-form-urlencoded] token=abc", received.poll(),
            "one Content-Type, the request's");
    }

    @Test
    void should_answer_a_redirect_without_following_it() {
        OutboundResponse r = await(client.send(OutboundRequest.get(uri("/moved"))));

        assertEquals(302, r.status());
        assertEquals("/ok", r.header("Location").orElseThrow());
        assertEquals(0, requests.get(), "the redirect was not followed");
    }

    @Test
    void should_take_a_body_of_exactly_the_cap_and_fail_one_byte_over() {
        assertEquals(1000, await(client.send(OutboundRequest.get(uri("/sized?1000")).withMaxBodyBytes(1000))).body().length);
        assertEquals(1000, await(client.send(OutboundRequest.get(uri("/chunked?1000")).withMaxBodyBytes(1000))).body().length);

        Throwable declared = failure(client.send(OutboundRequest.get(uri("/sized?1001")).withMaxBodyBytes(1000)));
        assertInstanceOf(IOException.class, declared);
        assertTrue(declared.getMessage().contains("over the limit of 1000 bytes"), declared.getMessage());
        Throwable streamed = failure(client.send(OutboundRequest.get(uri("/chunked?5000")).withMaxBodyBytes(1000)));
        assertInstanceOf(IOException.class, streamed);
        assertTrue(streamed.getMessage().contains("passed 1000 bytes"), streamed.getMessage());
    }

    @Test
    void should_apply_the_default_cap_of_one_mebibyte() {
        assertEquals(1 << 20, await(client.send(OutboundRequest.get(uri("/sized?" + (1 << 20))))).body().length);
        Throwable over = failure(client.send(OutboundRequest.get(uri("/chunked?" + ((1 << 20) + 1)))));
        assertTrue(over.getMessage().contains("over the limit of 1048576 bytes"), over.getMessage());
    }

    @Test
    void should_time_out_with_the_requests_timeout() {
        long start = System.nanoTime();
        Throwable timeout = failure(client.send(OutboundRequest.get(uri("/slow")).withTimeout(Duration.ofMillis(300))));
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertInstanceOf(SocketTimeoutException.class, timeout);
        assertTrue(timeout.getMessage().contains("within 300 ms"), timeout.getMessage());
        assertTrue(millis >= 250 && millis < 10_000, "timed out after " + millis + " ms");
    }

    @Test
    void should_fail_when_the_connection_is_refused() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Throwable refused = failure(client.send(OutboundRequest.get(URI.create("http://127.0.0.1:" + closed + "/"))));

        assertInstanceOf(IOException.class, refused);
        assertInstanceOf(ConnectException.class, refused.getCause(), refused.toString());
        assertTrue(refused.getMessage().startsWith("GET http://127.0.0.1:" + closed + "/: "), refused.getMessage());
    }

    @Test
    void should_refuse_a_certificate_the_jdk_does_not_trust() throws IOException {
        HttpsServer s = httpsServer(localhostTls);
        Throwable untrusted = failure(client.send(OutboundRequest.get(URI.create("https://localhost:" + s.getAddress().getPort() + "/ok"))));

        assertInstanceOf(IOException.class, untrusted);
        assertTrue(hasCause(untrusted, SSLException.class), untrusted.toString());
    }

    @Test
    void should_trust_the_requests_ca_and_still_check_the_host_name() throws IOException {
        HttpsServer s = httpsServer(localhostTls);
        int port = s.getAddress().getPort();
        OutboundResponse ok = await(client.send(OutboundRequest.get(URI.create("https://localhost:" + port + "/ok"))
            .withTrustedCaPem(localhostPem)));
        assertEquals("secure", ok.text());

        // the same server, but its certificate is not among those trusted for this call
        Throwable other = failure(client.send(OutboundRequest.get(URI.create("https://localhost:" + port + "/ok"))
            .withTrustedCaPem(otherNamePem)));
        assertTrue(hasCause(other, SSLException.class), other.toString());
    }

    @Test
    void should_refuse_a_trusted_certificate_for_another_host_name() throws IOException {
        HttpsServer s = httpsServer(otherNameTls); // a certificate for other.example, trusted, reached as localhost
        Throwable wrongName = failure(client.send(OutboundRequest.get(URI.create("https://localhost:" + s.getAddress().getPort() + "/ok"))
            .withTrustedCaPem(otherNamePem)));

        assertTrue(hasCause(wrongName, SSLException.class), wrongName.toString());
    }

    @Test
    void should_fail_with_a_clear_message_for_a_pem_without_certificates() {
        Throwable bad = failure(client.send(OutboundRequest.get(uri("/ok")).withTrustedCaPem("not a certificate")));

        assertInstanceOf(IOException.class, bad);
        assertTrue(bad.getMessage().contains("trustedCaPem"), bad.getMessage());
    }

    @Test
    void should_never_complete_on_the_callers_thread_even_when_failing_at_once() throws Exception {
        LinkedBlockingQueue<Runnable> completions = new LinkedBlockingQueue<>();
        NodeHttpClient gated = new NodeHttpClient(completions::add);
        gated.start();
        try {
            CompletableFuture<OutboundResponse> ok = gated.send(OutboundRequest.get(uri("/ok"))).toCompletableFuture();
            CompletableFuture<OutboundResponse> badPem = gated.send(OutboundRequest.get(uri("/ok")).withTrustedCaPem("x"))
                .toCompletableFuture();
            gated.stop();
            CompletableFuture<OutboundResponse> stopped = gated.send(OutboundRequest.get(uri("/ok"))).toCompletableFuture();

            // every completion waits in the gate: none happened inside send, on this thread
            assertFalse(badPem.isDone(), "a synchronous failure is not completed inside send");
            assertFalse(stopped.isDone(), "a call to a stopped client is not completed inside send");
            Thread runner = new Thread(() -> {
                for (int i = 0; i < 3; i++) {
                    try {
                        completions.take().run();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "completion-runner");
            Thread[] completedOn = new Thread[1];
            badPem.whenComplete((r, x) -> completedOn[0] = Thread.currentThread());
            runner.start();
            runner.join(20_000);
            assertTrue(badPem.isCompletedExceptionally());
            assertTrue(stopped.isCompletedExceptionally());
            assertTrue(ok.isDone());
            assertNotEquals(Thread.currentThread(), completedOn[0]);
            assertEquals("completion-runner", completedOn[0].getName());
        } finally {
            gated.stop();
        }
    }

    @Test
    void should_complete_on_the_clients_own_threads() throws Exception {
        // 2 s: the callback must be registered before the timeout fires, even on a loaded CI box
        // (with 200 ms it once fired first, and the callback then ran at once on the test thread).
        // The test waits for the callback, not for the stage: a thread that joins a stage helps
        // run its pending callbacks once it completes (CompletableFuture.postComplete), so
        // joining the stage itself made the callback run on the test thread now and then.
        CompletableFuture<Thread> completedOn = new CompletableFuture<>();
        CompletableFuture<OutboundResponse> f = client.send(OutboundRequest.get(uri("/slow")).withTimeout(Duration.ofSeconds(2)))
            .toCompletableFuture();
        f.whenComplete((r, x) -> completedOn.complete(Thread.currentThread()));
        Thread thread = completedOn.get(10, TimeUnit.SECONDS);
        assertTrue(f.isCompletedExceptionally(), "the slow call times out");
        assertTrue(thread.getName().startsWith("meridian-outbound"), thread.getName());
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void should_reuse_one_connection_for_calls_in_sequence() {
        for (int i = 0; i < 20; i++) {
            assertEquals(200, await(client.send(OutboundRequest.get(uri("/ok")))).status());
        }
        assertEquals(20, requests.get());
        assertEquals(1, ports.size(), "one pooled connection, kept alive: " + ports);
    }
}
