package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The hot-deploy guarantee end to end: the distribution runs as a process; client threads send
 * a steady stream over keep-alive connections they never reopen; meanwhile 50+ revisions are
 * applied, an API is added and deleted, a rollback happens and the set-headers bundle is updated
 * three times. Not one request may fail, not one connection may close, and the last shape must
 * be served. And while the set-headers bundle is replaced every other way (deploy folder drops,
 * refresh, feature upgrade), every apply naming it answers 200.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class HotApplyZeroLossE2EIT {

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> NODE = MeridianCluster
        .of(NodeSpec.of("e2e-1", 28080, 28181, 28101))
        .upstream(HttpUpstream.with(8, 256)
            .on("/bodies/digest", ex -> {
                byte[] in = ex.getRequestBody().readAllBytes();
                byte[] body = (in.length + " " + sha256(in) + " " + ex.getRequestHeaders().getFirst("Transfer-Encoding"))
                    .getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            })
            .on("/bodies/big", ex -> {
                ex.sendResponseHeaders(200, 0); // chunked
                byte[] block = new byte[64 * 1024];
                java.util.Arrays.fill(block, (byte) 'm');
                for (int i = 0; i < 128; i++) {
                    ex.getResponseBody().write(block);
                }
                ex.close();
            })
            .on("/", ex -> {
                byte[] body = ("{\"path\":\"" + ex.getRequestURI().getPath() + "\"}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            }))
        .build();

    private static MeridianNode node() {
        return NODE.node(0);
    }

    private static String definition(String id, String basePath, String upstreamPath, int shape) {
        return String.join("\n",
            "id: " + id,
            "basePath: " + basePath,
            "upstream:",
            "  url: " + NODE.upstream().url(upstreamPath),
            "  timeout: 5s",
            "policies:",
            "  - type: set-headers",
            "    request: { set: { X-Shape: \"" + shape + "\" } }",
            "    response: { set: { X-Shape: \"" + shape + "\" } }",
            "");
    }

    private static void put(String id, String yaml) throws IOException, InterruptedException {
        HttpResponse<String> r = node().send("PUT", "/api/v1/apis/" + id, "application/yaml", yaml);
        assertEquals(200, r.statusCode(), r.body());
    }

    /**
     * Keep-alive clients that send a steady stream to {@code /orders} until stopped; a failure is
     * a wrong status or body, a revision going backwards, or a connection the server closed.
     */
    private static final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong ok = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final List<Long> revisionsSeen = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new java.util.ArrayList<>();
        final int clients;

        Load(int clients) {
            this.clients = clients;
            for (int i = 0; i < clients; i++) {
                Thread t = new Thread(this::run, "client-" + i);
                t.start();
                threads.add(t);
            }
        }

        private void run() {
            try (KeepAliveClient c = new KeepAliveClient(node().httpPort)) {
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
        }

        /** Waits until {@code n} more requests succeeded. */
        void awaitMore(long n) {
            long before = ok.get();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= before + n);
        }

        /** Stops the clients and waits for them (bounded). */
        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
        }
    }

    @Test
    void should_fail_no_request_and_close_no_connection_while_applying_and_updating_policy_bundles() throws Exception {
        put("orders", definition("orders", "/orders", "/v1", 1));
        Load load = new Load(4);
        int bundleUpdates = 0;
        try {
            load.awaitMore(200);
            for (int shape = 2; shape <= 52; shape++) {
                put("orders", definition("orders", "/orders", "/v1", shape));
                if (shape % 15 == 0) {
                    String out = node().shell("bundle:update -r dev.meridian.policy.set-headers");
                    bundleUpdates++;
                    assertTrue(load.failures.isEmpty(), "after bundle update: " + load.failures + " " + out);
                }
                if (shape == 20) {
                    put("billing", definition("billing", "/billing", "/b", shape));
                }
                if (shape == 30) {
                    assertEquals(200, node().send("DELETE", "/api/v1/apis/billing", null, null).statusCode());
                }
                if (shape == 40) {
                    HttpResponse<String> rb = node().send("POST", "/api/v1/rollback", "application/json", "{\"to\": 2}");
                    assertEquals(200, rb.statusCode(), rb.body());
                }
            }
            load.awaitMore(200);
        } finally {
            load.close();
        }

        assertTrue(load.failures.isEmpty(), "failed requests: " + load.failures.size() + " first: " + load.failures.stream().limit(5).toList());
        assertEquals(3, bundleUpdates);
        assertEquals(load.clients, load.revisionsSeen.size(), "every client finished on its original connection");
        HttpResponse<String> last = node().get(node().trafficUrl("/orders/x"), false);
        assertEquals(200, last.statusCode());
        assertEquals("52", last.headers().firstValue("X-Shape").orElse(null));
        String revision = last.headers().firstValue("X-Meridian-Revision").orElseThrow();
        assertTrue(Long.parseLong(revision) >= 54, "revision " + revision);
        System.out.printf("zero-loss run: %d requests ok over %d keep-alive connections, %d revisions, %d bundle updates%n",
            load.ok.get(), load.clients, Long.parseLong(revision), bundleUpdates);
    }

    /**
     * Applies every ~0.2 s from another thread while the set-headers bundle is replaced every way
     * a platform team does it: stopped transiently (an apply, a validate, {@code gateway:apply}
     * and a dropped definition that land then must wait for it, not answer 422), {@code bundle:update}, {@code bundle:refresh}, its jar dropped into
     * {@code deploy/} with the same version (FileInstall updates it in place) and with a new one,
     * and its feature upgraded to a newer version. Every apply answers 200, no request fails, no
     * keep-alive connection closes.
     */
    @Test
    void should_answer_every_apply_while_policy_bundles_are_dropped_updated_refreshed_and_upgraded() throws Exception {
        Path jar = Paths.get(System.getProperty("meridian.setheaders.jar"));
        String installed = bundleVersion(jar);
        String[] v = installed.split("\\.");
        String dropped = v[0] + "." + v[1] + "." + (Integer.parseInt(v[2]) + 1);
        String upgraded = v[0] + "." + v[1] + "." + (Integer.parseInt(v[2]) + 2);
        Path work = Files.createDirectories(NODE.workDir().resolve("bundle-swaps").toAbsolutePath());
        Path droppedJar = reversioned(jar, dropped, work.resolve("set-headers-" + dropped + ".jar"));
        Path upgradedJar = reversioned(jar, upgraded, work.resolve("set-headers-" + upgraded + ".jar"));
        Path features = work.resolve("set-headers-upgrade-features.xml");
        Files.writeString(features, String.join("\n",
            "<features name=\"meridian-e2e-upgrade\" xmlns=\"http://karaf.apache.org/xmlns/features/v1.6.0\">",
            "  <feature name=\"meridian-policy-set-headers\" version=\"" + upgraded + "\" description=\"set-headers, re-versioned\">",
            "    <feature>scr</feature>",
            "    <feature>meridian-policy-api</feature>",
            "    <bundle start-level=\"78\">" + upgradedJar.toUri() + "</bundle>",
            "  </feature>",
            "</features>", ""));

        put("orders", definition("orders", "/orders", "/v1", 1));
        Load load = new Load(4);
        Applier applier = new Applier();
        Thread applying = new Thread(applier, "applier");
        applying.start();
        try {
            load.awaitMore(200);
            applier.awaitMore(3);

            // down on purpose for a while, but transiently (as an update or a refresh does): an
            // apply that lands now waits for the type instead of answering 422
            // (so do a validate, the shell's gateway:apply and a definition dropped into deploy/)
            long provided = providedCount(installed);
            Path shellFile = work.resolve("waits-shell.yaml");
            Files.writeString(shellFile, definition("waits-shell", "/waits-shell", "/w", 1));
            Path deployedDefinition = node().home.resolve("deploy").resolve("waits-deploy.api.yaml");
            node().shell("bundle:stop -t dev.meridian.policy.set-headers");
            long start = System.nanoTime();
            var waiting = async(() -> node().send("PUT", "/api/v1/apis/waits", "application/yaml", definition("waits", "/waits", "/w", 1)));
            var validating = async(() -> node().send("POST", "/api/v1/validate", "application/yaml", definition("waits-v", "/waits-v", "/w", 1)));
            var shelling = async(() -> node().shell("gateway:apply " + shellFile));
            dropInto(definition("waits-deploy", "/waits-deploy", "/w", 1), deployedDefinition);
            Awaitility.await("the apply waits for set-headers").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> !waiting.isDone() && !validating.isDone() && !shelling.isDone());
            node().shell("bundle:start dev.meridian.policy.set-headers");
            HttpResponse<String> waited = waiting.get(20, TimeUnit.SECONDS);
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(200, waited.statusCode(), waited.body());
            HttpResponse<String> validated = validating.get(20, TimeUnit.SECONDS);
            assertEquals(200, validated.statusCode(), validated.body());
            String shelled = shelling.get(20, TimeUnit.SECONDS);
            assertTrue(shelled.contains("Applied revision"), shelled);
            Awaitility.await("the dropped definition applied").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> node().send("GET", "/api/v1/apis/waits-deploy", null, null).statusCode() == 200);
            Files.delete(deployedDefinition);
            awaitProvided(installed, provided);
            applier.awaitMore(3);

            provided = providedCount(installed);
            node().shell("bundle:update dev.meridian.policy.set-headers");
            awaitProvided(installed, provided);
            applier.awaitMore(3);

            provided = providedCount(installed);
            node().shell("bundle:refresh dev.meridian.policy.set-headers");
            awaitProvided(installed, provided);
            applier.awaitMore(3);

            // the case first seen: the same jar copied into deploy/ (same name and version: updated in place)
            Path deployed = node().home.resolve("deploy").resolve("set-headers.jar");
            provided = providedCount(installed);
            dropInto(jar, deployed);
            awaitProvided(installed, provided);
            applier.awaitMore(3);

            provided = providedCount(dropped);
            dropInto(droppedJar, deployed);
            awaitProvided(dropped, provided);
            applier.awaitMore(3);

            // last: the features service then owns the bundle again (the jar stays in deploy/:
            // deleting it would make FileInstall uninstall the bundle it updated)
            provided = providedCount(upgraded);
            node().shell("feature:repo-add " + features.toUri());
            String out = node().shell("feature:install -u meridian-policy-set-headers/" + upgraded);
            awaitProvided(upgraded, provided);
            applier.awaitMore(3);
            load.awaitMore(200);

            applier.stop(applying);
            load.close();
            assertTrue(applier.refused.isEmpty(), applier.refused.size() + " of " + applier.answered.get() + " applies refused: "
                + applier.refused.stream().limit(5).toList() + " " + out);
            assertTrue(load.failures.isEmpty(), "failed requests: " + load.failures.size() + " first: "
                + load.failures.stream().limit(5).toList());
            assertEquals(load.clients, load.revisionsSeen.size(), "every client finished on its original connection");
            HttpResponse<String> last = node().get(node().trafficUrl("/churn/x"), false);
            assertEquals(200, last.statusCode(), last.body());
            assertEquals(Integer.toString(applier.lastShape), last.headers().firstValue("X-Shape").orElse(null));
            assertTrue(node().send("GET", "/api/v1/plugins", null, null).body()
                .contains("\"type\":\"set-headers\",\"bundle\":\"dev.meridian.policy.set-headers\",\"version\":\"" + upgraded + "\",\"active\":true"));
            System.out.printf("bundle swaps: %d applies all 200 (slowest %d ms; the one during the transient stop %d ms), "
                + "%d requests ok over %d keep-alive connections%n", applier.answered.get(), applier.slowestMs.get(), waitedMs,
                load.ok.get(), load.clients);
        } finally {
            applier.stop(applying);
            load.close();
        }
    }

    /** PUTs the API {@code churn} with a new shape every ~0.2 s and records every answer that is not 200. */
    private static final class Applier implements Runnable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong answered = new AtomicLong();
        final AtomicLong slowestMs = new AtomicLong();
        final ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
        volatile int lastShape;

        @Override
        public void run() {
            int shape = 0;
            long next = System.nanoTime();
            while (running.get()) {
                shape++;
                long start = System.nanoTime();
                try {
                    HttpResponse<String> r = node().send("PUT", "/api/v1/apis/churn", "application/yaml",
                        definition("churn", "/churn", "/c", shape));
                    if (r.statusCode() == 200) {
                        lastShape = shape;
                    } else {
                        refused.add(r.statusCode() + " " + r.body());
                    }
                } catch (IOException e) {
                    refused.add(e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                slowestMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
                answered.incrementAndGet();
                next += TimeUnit.MILLISECONDS.toNanos(200);
                java.util.concurrent.locks.LockSupport.parkNanos(Math.max(0, next - System.nanoTime())); // the pace, not a wait for a condition
            }
        }

        void awaitMore(long n) {
            long before = answered.get();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> answered.get() >= before + n);
        }

        void stop(Thread thread) throws InterruptedException {
            running.set(false);
            thread.join(TimeUnit.SECONDS.toMillis(40));
        }
    }

    /** How often the node logged that set-headers of {@code version} was bound. */
    private static long providedCount(String version) throws IOException {
        String line = "policy type 'set-headers' provided by dev.meridian.policy.set-headers " + version;
        Path log = node().home.resolve("data/log/karaf.log");
        try (java.util.stream.Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.endsWith(line)).count();
        }
    }

    private static void awaitProvided(String version, long before) {
        Awaitility.await("set-headers " + version + " bound again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> providedCount(version) > before);
    }

    private static String bundleVersion(Path jar) throws IOException {
        try (java.util.jar.JarFile in = new java.util.jar.JarFile(jar.toFile())) {
            return in.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
    }

    /** A copy of {@code jar} whose manifest says {@code Bundle-Version: version}. */
    private static Path reversioned(Path jar, String version, Path out) throws IOException {
        try (java.util.jar.JarFile in = new java.util.jar.JarFile(jar.toFile())) {
            java.util.jar.Manifest manifest = new java.util.jar.Manifest(in.getManifest());
            manifest.getMainAttributes().putValue("Bundle-Version", version);
            try (java.util.jar.JarOutputStream o = new java.util.jar.JarOutputStream(Files.newOutputStream(out), manifest)) {
                for (java.util.jar.JarEntry e : java.util.Collections.list(in.entries())) {
                    if (e.getName().equalsIgnoreCase(java.util.jar.JarFile.MANIFEST_NAME) || e.getName().equalsIgnoreCase("META-INF/")) {
                        continue;
                    }
                    o.putNextEntry(new java.util.jar.JarEntry(e.getName()));
                    try (java.io.InputStream is = in.getInputStream(e)) {
                        is.transferTo(o);
                    }
                    o.closeEntry();
                }
            }
        }
        return out;
    }

    /** Runs a blocking call on a thread of its own (the test thread goes on while it waits). */
    private static <T> java.util.concurrent.CompletableFuture<T> async(java.util.concurrent.Callable<T> call) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, task -> {
            Thread t = new Thread(task, "waiting-call");
            t.setDaemon(true);
            t.start();
        });
    }

    /** Writes next to the deploy folder and moves it in, so FileInstall never sees half a file. */
    private static void dropInto(String content, Path target) throws IOException {
        Path tmp = NODE.workDir().resolve(target.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Copies next to the deploy folder and moves it in, so FileInstall never sees half a jar. */
    private static void dropInto(Path jar, Path target) throws IOException {
        Path tmp = NODE.workDir().resolve(target.getFileName() + ".tmp");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void should_stream_request_and_response_bodies_both_ways() throws Exception {
        put("bodies", String.join("\n", "id: bodies", "basePath: /bodies",
            "upstream: { url: '" + NODE.upstream().url("/bodies") + "' }", ""));
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        byte[] payload = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(7).nextBytes(payload);

        HttpResponse<String> fixed = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node().trafficUrl("/bodies/digest")))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(payload)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, fixed.statusCode(), fixed.body());
        assertTrue(fixed.body().startsWith(payload.length + " " + sha256(payload)), fixed.body());

        // unknown length: the JDK client sends it chunked
        HttpResponse<String> chunked = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node().trafficUrl("/bodies/digest")))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(payload))).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chunked.statusCode(), chunked.body());
        assertTrue(chunked.body().startsWith(payload.length + " " + sha256(payload)), chunked.body());

        byte[] tooBig = new byte[10 * 1024 * 1024 + 1];
        HttpResponse<String> rejected = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node().trafficUrl("/bodies/digest")))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(tooBig))).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(413, rejected.statusCode(), rejected.body());

        HttpResponse<byte[]> big = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node().trafficUrl("/bodies/big"))).build(),
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
                calls.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node().trafficUrl("/pooled/" + i))).build(),
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
        String revision = node().get(node().trafficUrl("/restart/a"), false).headers().firstValue("X-Meridian-Revision").orElseThrow();
        node().restart(Duration.ofMinutes(2));
        HttpResponse<String> r = node().get(node().trafficUrl("/restart/a"), false);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(revision, r.headers().firstValue("X-Meridian-Revision").orElseThrow());
        assertEquals("7", r.headers().firstValue("X-Shape").orElseThrow());
    }
}
