package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.sun.net.httpserver.HttpServer;

/**
 * The hot-deploy guarantee end to end: the distribution runs as a process; client threads send
 * a steady stream over keep-alive connections they never reopen; meanwhile 50+ revisions are
 * applied, an API is added and deleted, a rollback happens and the set-headers bundle is updated
 * three times. Not one request may fail, not one connection may close, and the last shape must
 * be served.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class HotApplyZeroLossE2EIT {

    private static final Path WORK = Paths.get("target", "e2e");
    private static HttpServer upstream;
    private static MeridianNode node;

    @BeforeAll
    static void startNode() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        upstream.setExecutor(Executors.newFixedThreadPool(8));
        upstream.createContext("/bodies/digest", ex -> {
            byte[] in = ex.getRequestBody().readAllBytes();
            byte[] body = (in.length + " " + sha256(in) + " " + ex.getRequestHeaders().getFirst("Transfer-Encoding"))
                .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        upstream.createContext("/bodies/big", ex -> {
            ex.sendResponseHeaders(200, 0); // chunked
            byte[] block = new byte[64 * 1024];
            java.util.Arrays.fill(block, (byte) 'm');
            for (int i = 0; i < 128; i++) {
                ex.getResponseBody().write(block);
            }
            ex.close();
        });
        upstream.createContext("/", ex -> {
            byte[] body = ("{\"path\":\"" + ex.getRequestURI().getPath() + "\"}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        upstream.start();
        node = new MeridianNode("e2e-1", WORK, 28080, 28181, 28101, "e2e-secret").start();
        node.awaitReady(Duration.ofMinutes(3));
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
        if (upstream != null) {
            upstream.stop(0);
            ((java.util.concurrent.ExecutorService) upstream.getExecutor()).shutdownNow();
        }
    }

    private static String definition(String id, String basePath, String upstreamPath, int shape) {
        return String.join("\n",
            "id: " + id,
            "basePath: " + basePath,
            "upstream:",
            "  url: http://127.0.0.1:" + upstream.getAddress().getPort() + upstreamPath,
            "  timeout: 5s",
            "policies:",
            "  - type: set-headers",
            "    request: { set: { X-Shape: \"" + shape + "\" } }",
            "    response: { set: { X-Shape: \"" + shape + "\" } }",
            "");
    }

    private static void put(String id, String yaml) throws IOException, InterruptedException {
        HttpResponse<String> r = node.send("PUT", "/api/v1/apis/" + id, "application/yaml", yaml);
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void should_fail_no_request_and_close_no_connection_while_applying_and_updating_policy_bundles() throws Exception {
        put("orders", definition("orders", "/orders", "/v1", 1));
        int clients = 4;
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong ok = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Long> revisionsSeen = new CopyOnWriteArrayList<>();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> {
                try (KeepAliveClient c = new KeepAliveClient(node.httpPort)) {
                    long lastRevision = 0;
                    while (running.get()) {
                        KeepAliveClient.Reply r = c.get("/orders/items/42?q=1");
                        long rev = Long.parseLong(r.headers().getOrDefault("x-meridian-revision", "-1"));
                        if (r.status() != 200 || !r.body().equals("{\"path\":\"/v1/items/42\"}") || rev < lastRevision) {
                            failures.add("status " + r.status() + " rev " + rev + " after " + lastRevision + " body " + r.body());
                        } else {
                            ok.incrementAndGet();
                        }
                        lastRevision = rev;
                    }
                    revisionsSeen.add(lastRevision);
                } catch (IOException | RuntimeException e) {
                    failures.add(Thread.currentThread().getName() + ": " + e);
                }
            }, "client-" + i);
            t.start();
            threads.add(t);
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() > 200);

        int bundleUpdates = 0;
        for (int shape = 2; shape <= 52; shape++) {
            put("orders", definition("orders", "/orders", "/v1", shape));
            if (shape % 15 == 0) {
                String out = node.shell("bundle:update -r dev.meridian.policy.set-headers");
                bundleUpdates++;
                assertTrue(failures.isEmpty(), "after bundle update: " + failures + " " + out);
            }
            if (shape == 20) {
                put("billing", definition("billing", "/billing", "/b", shape));
            }
            if (shape == 30) {
                assertEquals(200, node.send("DELETE", "/api/v1/apis/billing", null, null).statusCode());
            }
            if (shape == 40) {
                HttpResponse<String> rb = node.send("POST", "/api/v1/rollback", "application/json", "{\"to\": 2}");
                assertEquals(200, rb.statusCode(), rb.body());
            }
        }
        long before = ok.get();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() > before + 200);
        running.set(false);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(20));
        }

        assertTrue(failures.isEmpty(), "failed requests: " + failures.size() + " first: " + failures.stream().limit(5).toList());
        assertEquals(3, bundleUpdates);
        assertEquals(clients, revisionsSeen.size(), "every client finished on its original connection");
        HttpResponse<String> last = node.get(node.trafficUrl("/orders/x"), false);
        assertEquals(200, last.statusCode());
        assertEquals("52", last.headers().firstValue("X-Shape").orElse(null));
        String revision = last.headers().firstValue("X-Meridian-Revision").orElseThrow();
        assertTrue(Long.parseLong(revision) >= 54, "revision " + revision);
        System.out.printf("zero-loss run: %d requests ok over %d keep-alive connections, %d revisions, %d bundle updates%n",
            ok.get(), clients, Long.parseLong(revision), bundleUpdates);
    }

    @Test
    void should_stream_request_and_response_bodies_both_ways() throws Exception {
        put("bodies", String.join("\n", "id: bodies", "basePath: /bodies",
            "upstream: { url: 'http://127.0.0.1:" + upstream.getAddress().getPort() + "/bodies' }", ""));
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        byte[] payload = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(7).nextBytes(payload);

        HttpResponse<String> fixed = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.trafficUrl("/bodies/digest")))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(payload)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, fixed.statusCode(), fixed.body());
        assertTrue(fixed.body().startsWith(payload.length + " " + sha256(payload)), fixed.body());

        // unknown length: the JDK client sends it chunked
        HttpResponse<String> chunked = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.trafficUrl("/bodies/digest")))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(payload))).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chunked.statusCode(), chunked.body());
        assertTrue(chunked.body().startsWith(payload.length + " " + sha256(payload)), chunked.body());

        byte[] tooBig = new byte[10 * 1024 * 1024 + 1];
        HttpResponse<String> rejected = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.trafficUrl("/bodies/digest")))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(tooBig))).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(413, rejected.statusCode(), rejected.body());

        HttpResponse<byte[]> big = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.trafficUrl("/bodies/big"))).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, big.statusCode());
        assertEquals(128 * 64 * 1024, big.body().length);
    }

    @Test
    void should_open_warm_connections_and_respect_the_pool_limit() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            AtomicLong accepted = new AtomicLong();
            List<java.net.Socket> sockets = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        sockets.add(silent.accept()); // never answers: requests hold their connection
                        accepted.incrementAndGet();
                    }
                } catch (IOException closed) {
                    // socket closed at the end of the test
                }
            }, "silent-upstream");
            acceptor.start();
            put("pooled", String.join("\n", "id: pooled", "basePath: /pooled",
                "upstream:", "  url: http://127.0.0.1:" + silent.getLocalPort(), "  timeout: 3s",
                "  pool: { maxConnections: 2, warm: 2 }", ""));
            Awaitility.await("warm connections").atMost(Duration.ofSeconds(10)).until(() -> accepted.get() == 2);

            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                calls.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.trafficUrl("/pooled/" + i))).build(),
                    HttpResponse.BodyHandlers.ofString()));
            }
            // while all five hang, only pool.maxConnections connections reach the upstream
            Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofMillis(2500)).until(() -> accepted.get() == 2);
            for (var call : calls) {
                assertEquals(504, call.get(20, TimeUnit.SECONDS).statusCode());
            }
            for (java.net.Socket socket : sockets) {
                socket.close();
            }
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void should_serve_exactly_the_last_revision_after_a_restart() throws Exception {
        put("restart-probe", definition("restart-probe", "/restart", "/r", 7));
        String revision = node.get(node.trafficUrl("/restart/a"), false).headers().firstValue("X-Meridian-Revision").orElseThrow();
        node.close();
        node.start();
        node.awaitReady(Duration.ofMinutes(2));
        HttpResponse<String> r = node.get(node.trafficUrl("/restart/a"), false);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(revision, r.headers().firstValue("X-Meridian-Revision").orElseThrow());
        assertEquals("7", r.headers().firstValue("X-Shape").orElseThrow());
    }
}
