package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code oauth2-introspection} policy on three nodes of the shipped distribution (one
 * Hazelcast cluster) against the {@link IdentityProvider} stand-in over HTTPS (RFC 7662, client
 * Basic with the secret from {@code ${secret:idp-client}}, the CA in the policy's {@code ca}):
 * many concurrent requests with 8 tokens on every node cost 8 IdP calls; a fourth node joining
 * serves the held tokens with 0 calls; a revocation by token, subject or client through the admin
 * API answers 401 on every node (delay per node printed; an operator may, a viewer may not); an
 * apply refetches nothing; with the IdP down held tokens keep serving and new ones answer 503;
 * and the requests/s and µs of a cache hit beside a pass-through API and a set-headers one in the
 * same run. Figures are printed; counts are asserted.
 *
 * <p>Ports: traffic 15000-15032 (admin +1, ssh +2), the IdP 15090, cluster 6071-6074.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IntrospectionE2EIT {

    private static final int IDP_PORT = 15090;
    private static final Path SECRETS = secrets("in1", "in2", "in3", "in4");
    private static final IdentityProvider IDP = startIdp();

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(node("in1", 15000, 6071), node("in2", 15010, 6072), node("in3", 15020, 6073))
        .cluster("introspection-it")
        .upstream(HttpUpstream.with(8, 256).on("/", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        .api("orders", up -> api("orders", up, policy("")))
        .api("orders-write", up -> api("orders-write", up, policy("    requiredScopes: [orders:write]\n")))
        .api("plain", up -> api("plain", up, ""))
        .api("headers", up -> api("headers", up, "  - type: set-headers\n    request: { set: { X-Seen: \"yes\" } }\n"))
        .build();

    private static final HttpClient CLIENT = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .executor(Executors.newFixedThreadPool(16))
        .connectTimeout(Duration.ofSeconds(5))
        .build();

    /** The 8 tokens of the first test, held by the cluster from then on. */
    private static final List<String> HELD = new ArrayList<>();

    private static NodeSpec node(String name, int http, int cluster) {
        return NodeSpec.of(name, http, cluster).withEnv("MERIDIAN_SECRETS_DIR", SECRETS.resolve(name).toString());
    }

    private static Path secrets(String... nodes) {
        Path root = Paths.get("target", "e2e", "IntrospectionE2EIT-secrets").toAbsolutePath();
        SecretDirs.fresh(root, nodes);
        try {
            for (String n : nodes) {
                Files.writeString(root.resolve(n).resolve("idp-client"), "gateway-secret\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return root;
    }

    private static IdentityProvider startIdp() {
        try {
            TestPki pki = TestPki.create(Paths.get("target", "e2e", "IntrospectionE2EIT-pki").toAbsolutePath());
            return new IdentityProvider(pki, IDP_PORT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One oauth2-introspection entry of a {@code policies} list; {@code more} adds indented fields. */
    private static String policy(String more) {
        StringBuilder ca = new StringBuilder();
        for (String line : IDP.caPem().strip().split("\n")) {
            ca.append("      ").append(line).append('\n');
        }
        return "  - type: oauth2-introspection\n"
            + "    url: " + IDP.introspectionUrl() + "\n"
            + "    clientId: gateway\n"
            + "    clientSecret: \"${secret:idp-client}\"\n"
            + "    cacheTtl: 10m\n"
            + more
            + "    ca: |\n" + ca;
    }

    private static String api(String id, Upstream up, String policies) {
        return "id: " + id + "\nbasePath: /" + id + "\nupstream: { url: '" + up.url("/") + "', timeout: 10s }\n"
            + (policies.isEmpty() ? "" : "policies:\n" + policies);
    }

    @AfterAll
    static void stopIdp() {
        IDP.close();
    }

    private static HttpResponse<String> get(MeridianNode node, String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.trafficUrl(path))).timeout(Duration.ofSeconds(20)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status of a GET, or -1 when it failed outright. */
    private static int status(MeridianNode node, String path, String token) {
        try {
            return get(node, path, token).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String token(String subject, String client) {
        return IDP.opaqueToken(subject, client, "orders:read", Duration.ofHours(1));
    }

    private static HttpResponse<String> revoke(String field, String value) throws Exception {
        return CLUSTER.node(0).send("POST", "/api/v1/introspection/revoke", "application/json",
            "{\"" + field + "\":\"" + value + "\"}");
    }

    /**
     * Polls every node with {@code token} until each answers 401 (bounded); answers each node's
     * delay in ms from {@code since} (System.nanoTime()).
     */
    private static Map<String, Long> untilRejectedEverywhere(String token, long since) {
        Map<String, Long> took = new TreeMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<MeridianNode> waiting = new ArrayList<>(CLUSTER.nodes());
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            for (var it = waiting.iterator(); it.hasNext(); ) {
                MeridianNode n = it.next();
                if (status(n, "/orders/r", token) == 401) {
                    took.put(n.name, (System.nanoTime() - since) / 1_000_000);
                    it.remove();
                }
            }
        }
        assertTrue(waiting.isEmpty(), "still admitted after 10 s on " + waiting);
        return took;
    }

    @Test
    @Order(10)
    void should_make_one_idp_call_per_token_cluster_wide_under_concurrency() throws Exception {
        for (int i = 0; i < 8; i++) {
            HELD.add(token("user-" + i, "app-" + (i % 2)));
        }
        IDP.resetCounts();
        IDP.delay(Duration.ofMillis(300)); // a slow IdP: the requests pile up behind each call
        ExecutorService pool = Executors.newFixedThreadPool(48);
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        try {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int r = 0; r < 480; r++) {
                MeridianNode n = CLUSTER.node(r % 3);
                String t = HELD.get(r % 8);
                all.add(CompletableFuture.runAsync(() ->
                    statuses.computeIfAbsent(status(n, "/orders/a", t), s -> new AtomicLong()).incrementAndGet(), pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            IDP.delay(Duration.ZERO);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("introspection e2e concurrency: 480 requests with 8 tokens on 3 nodes in %.1f s, statuses %s -> %d IdP calls%n",
            seconds, statuses, IDP.calls(IdentityProvider.Endpoint.INTROSPECT));
        assertEquals(480L, statuses.getOrDefault(200, new AtomicLong()).get(), statuses.toString());
        assertEquals(8, IDP.calls(IdentityProvider.Endpoint.INTROSPECT));
        for (String t : HELD) {
            assertEquals(1, IDP.introspections(t));
        }
    }

    @Test
    @Order(20)
    void should_answer_401_and_403_with_challenges() throws Exception {
        MeridianNode n = CLUSTER.node(1);
        HttpResponse<String> missing = get(n, "/orders/a", null);
        assertEquals(401, missing.statusCode());
        assertEquals("Bearer realm=\"meridian\"", missing.headers().firstValue("WWW-Authenticate").orElse(""));

        String gone = token("dave", "app-0");
        IDP.revoke(gone);
        HttpResponse<String> inactive = get(n, "/orders/a", gone);
        assertEquals(401, inactive.statusCode());
        assertEquals("Bearer realm=\"meridian\", error=\"invalid_token\"", inactive.headers().firstValue("WWW-Authenticate").orElse(""));
        assertTrue(inactive.body().contains("\"error\""), inactive.body());

        HttpResponse<String> scope = get(n, "/orders-write/a", HELD.get(0));
        assertEquals(403, scope.statusCode());
        assertTrue(scope.headers().firstValue("WWW-Authenticate").orElse("").contains("error=\"insufficient_scope\""),
            scope.headers().map().toString());
        String writer = IDP.opaqueToken("erin", "app-0", "orders:read orders:write", Duration.ofHours(1));
        assertEquals(200, get(n, "/orders-write/a", writer).statusCode());
    }

    @Test
    @Order(30)
    void should_serve_held_tokens_on_a_joining_node_with_no_idp_call() throws Exception {
        MeridianNode fourth = CLUSTER.startNode(node("in4", 15030, 6074));
        try {
            long before = IDP.calls(IdentityProvider.Endpoint.INTROSPECT) + IDP.refused();
            Map<Integer, AtomicLong> statuses = new TreeMap<>();
            long start = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                statuses.computeIfAbsent(status(fourth, "/orders/j", HELD.get(i % 8)), s -> new AtomicLong()).incrementAndGet();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long calls = IDP.calls(IdentityProvider.Endpoint.INTROSPECT) + IDP.refused() - before;
            System.out.printf("introspection e2e joiner: 1000 requests with the 8 held tokens on in4 in %.1f s, statuses %s, %d IdP calls%n",
                seconds, statuses, calls);
            assertEquals(1000L, statuses.getOrDefault(200, new AtomicLong()).get(), statuses.toString());
            assertEquals(0, calls);
        } finally {
            fourth.close();
        }
    }

    @Test
    @Order(35)
    void should_refetch_nothing_after_an_apply() throws Exception {
        long before = IDP.calls(IdentityProvider.Endpoint.INTROSPECT);
        CLUSTER.apply("orders", api("orders", CLUSTER.upstream(), policy("    inactiveTtl: 5s\n")));
        for (MeridianNode n : CLUSTER.nodes()) {
            for (String t : HELD) {
                assertEquals(200, status(n, "/orders/after-apply", t), n.name);
            }
        }
        long calls = IDP.calls(IdentityProvider.Endpoint.INTROSPECT) - before;
        System.out.printf("introspection e2e apply: 24 requests with the held tokens on 3 nodes after an apply, %d IdP calls%n", calls);
        assertEquals(0, calls);
    }

    @Test
    @Order(40)
    void should_make_a_revocation_effective_on_every_node() throws Exception {
        String byToken = token("frank", "app-0");
        String bySubject = token("grace", "app-0");
        String byClient = token("heidi", "batch-7");
        for (MeridianNode n : CLUSTER.nodes()) {
            for (String t : List.of(byToken, bySubject, byClient)) {
                assertEquals(200, status(n, "/orders/r", t), n.name);
            }
        }
        long calls = IDP.calls(IdentityProvider.Endpoint.INTROSPECT);

        long start = System.nanoTime();
        HttpResponse<String> r = revoke("token", byToken);
        assertEquals(200, r.statusCode(), r.body());
        long answered = (System.nanoTime() - start) / 1_000_000;
        assertTrue(!r.body().contains(byToken), "the answer never shows the token: " + r.body());
        Map<String, Long> tokenMs = untilRejectedEverywhere(byToken, start);

        start = System.nanoTime();
        assertEquals(200, revoke("subject", "grace").statusCode());
        Map<String, Long> subjectMs = untilRejectedEverywhere(bySubject, start);

        start = System.nanoTime();
        assertEquals(200, revoke("client", "batch-7").statusCode());
        Map<String, Long> clientMs = untilRejectedEverywhere(byClient, start);

        System.out.printf("introspection e2e revocation (ms from the call to the first 401 per node; call answered in %d ms): "
            + "token %s, subject %s, client %s; IdP calls %d%n",
            answered, tokenMs, subjectMs, clientMs, IDP.calls(IdentityProvider.Endpoint.INTROSPECT) - calls);
        assertEquals(calls, IDP.calls(IdentityProvider.Endpoint.INTROSPECT), "revocations need no IdP call");
        for (MeridianNode n : CLUSTER.nodes()) {
            assertEquals(200, status(n, "/orders/r", HELD.get(0)), "other tokens unaffected on " + n.name);
        }
        // a subject logs in again after its revocation (iat is in seconds)
        Thread.sleep(1100);
        assertEquals(200, status(CLUSTER.node(2), "/orders/r", token("grace", "app-0")));

        HttpResponse<String> audit = CLUSTER.node(0).get(CLUSTER.node(0).adminUrl("/api/v1/audit?limit=20"), true);
        assertTrue(audit.body().contains("revoked introspection subject grace"), audit.body());
        assertTrue(!audit.body().contains(byToken), "the audit never shows the token");
    }

    @Test
    @Order(45)
    void should_let_an_operator_revoke_and_refuse_a_viewer() throws Exception {
        MeridianNode n = CLUSTER.node(1);
        String operator = mint(n, "intro-ops", "operator");
        String viewer = mint(n, "intro-view", "viewer");
        String t = token("ivan", "app-0");
        assertEquals(200, status(n, "/orders/o", t));

        assertEquals(403, revokeAs(n, viewer, t).statusCode());
        assertEquals(200, status(n, "/orders/o", t), "a refused revocation changes nothing");
        HttpResponse<String> r = revokeAs(n, operator, t);
        assertEquals(200, r.statusCode(), r.body());
        untilRejectedEverywhere(t, System.nanoTime());
        HttpResponse<String> invalid = revokeAs(n, operator, null);
        assertEquals(422, invalid.statusCode(), invalid.body());
    }

    private static String mint(MeridianNode n, String name, String role) throws Exception {
        HttpResponse<String> r = n.send("POST", "/api/v1/tokens", "application/json",
            "{\"name\":\"" + name + "\",\"role\":\"" + role + "\",\"ttl\":\"1d\"}");
        assertEquals(201, r.statusCode(), r.body());
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(r.body());
        assertTrue(m.find(), r.body());
        return m.group(1);
    }

    /** The revocation of {@code token} (or a body naming nothing when null) with a Bearer admin token. */
    private static HttpResponse<String> revokeAs(MeridianNode n, String bearer, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(n.adminUrl("/api/v1/introspection/revoke")))
            .timeout(Duration.ofSeconds(20))
            .header("Authorization", "Bearer " + bearer)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(token == null ? "{\"user\":\"x\"}" : "{\"token\":\"" + token + "\"}"))
            .build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(50)
    void should_keep_serving_held_tokens_and_answer_503_for_new_ones_while_the_idp_is_down() throws Exception {
        IDP.down();
        try {
            Map<Integer, AtomicLong> held = new TreeMap<>();
            Map<Integer, AtomicLong> fresh = new TreeMap<>();
            HttpResponse<String> unavailable = null;
            long start = System.nanoTime();
            for (int i = 0; i < 300; i++) {
                MeridianNode n = CLUSTER.node(i % 3);
                held.computeIfAbsent(status(n, "/orders/d", HELD.get(i % 8)), s -> new AtomicLong()).incrementAndGet();
                if (i % 10 == 0) {
                    HttpResponse<String> r = get(n, "/orders/d", token("new-" + i, "app-0"));
                    fresh.computeIfAbsent(r.statusCode(), s -> new AtomicLong()).incrementAndGet();
                    unavailable = r;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("introspection e2e IdP down: %.1f s, held tokens %s, new tokens %s, %d calls refused by the IdP%n",
                seconds, held, fresh, IDP.refused());
            assertEquals(300L, held.getOrDefault(200, new AtomicLong()).get(), held.toString());
            assertEquals(30L, fresh.getOrDefault(503, new AtomicLong()).get(), fresh.toString());
            assertEquals("1", unavailable.headers().firstValue("Retry-After").orElse(""));
            assertTrue(IDP.refused() <= 30, "one call per new token at most: " + IDP.refused());
        } finally {
            IDP.up();
        }
        assertEquals(200, status(CLUSTER.node(0), "/orders/d", token("after", "app-0")));
    }

    @Test
    @Order(60)
    void should_print_the_cost_of_a_cache_hit_beside_a_pass_through_api() throws Exception {
        String hot = HELD.get(1);
        MeridianNode n = CLUSTER.node(0);
        assertEquals(200, status(n, "/orders/w", hot));
        long calls = IDP.calls(IdentityProvider.Endpoint.INTROSPECT);
        int threads = 8;
        List<Double> plainRps = new ArrayList<>();
        List<Double> hitRps = new ArrayList<>();
        List<Double> plainUs = new ArrayList<>();
        List<Double> headersUs = new ArrayList<>();
        List<Double> hitUs = new ArrayList<>();
        for (int round = 0; round < 3; round++) { // alternated, so neither side has the warmer JIT alone
            plainRps.add(rate(n, "/plain/p", null, threads, Duration.ofSeconds(2)));
            hitRps.add(rate(n, "/orders/p", hot, threads, Duration.ofSeconds(2)));
            plainUs.add(1e6 / rate(n, "/plain/p", null, 1, Duration.ofSeconds(1)));
            headersUs.add(1e6 / rate(n, "/headers/p", null, 1, Duration.ofSeconds(1)));
            hitUs.add(1e6 / rate(n, "/orders/p", hot, 1, Duration.ofSeconds(1)));
        }
        System.out.printf("introspection e2e hit cost (one node, keep-alive clients, same run, 3 alternated rounds, medians): "
            + "%d threads: pass-through %.0f req/s, introspection hit %.0f req/s -> ratio %.2f; "
            + "1 thread: pass-through %.0f us/request, set-headers (a request policy that does nothing costly) %.0f us, "
            + "introspection hit %.0f us -> +%.0f us over pass-through, +%.0f us over set-headers "
            + "(rounds: rps %s / %s, us %s / %s / %s)%n",
            threads, median(plainRps), median(hitRps), median(hitRps) / median(plainRps),
            median(plainUs), median(headersUs), median(hitUs), median(hitUs) - median(plainUs), median(hitUs) - median(headersUs),
            rounded(plainRps), rounded(hitRps), rounded(plainUs), rounded(headersUs), rounded(hitUs));
        assertEquals(calls, IDP.calls(IdentityProvider.Endpoint.INTROSPECT), "hits make no call");
    }

    /**
     * Issue 12: each policy hot-swappable under load, and "an apply or a policy bundle update
     * refetches nothing". Two clients on in1 — a held token (200), the same token where its scope
     * is short (403), no token (401) — while the policy bundle is updated and refreshed twice on
     * in1: every answer as before, no IdP call.
     */
    @Test
    @Order(62)
    void should_answer_every_request_alike_and_call_the_idp_for_nothing_while_the_bundle_is_updated() throws Exception {
        MeridianNode n = CLUSTER.node(0);
        String held = HELD.get(1);
        assertEquals(200, status(n, "/orders/hot", held));
        long calls = IDP.calls(IdentityProvider.Endpoint.INTROSPECT);
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        AtomicLong answered = new AtomicLong();
        List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> clients = new ArrayList<>();
        for (Map.Entry<String, Integer> c : Map.of("/orders/hot", 200, "/orders-write/hot", 403).entrySet()) {
            clients.add(new Thread(() -> {
                while (running.get()) {
                    int withToken = status(n, c.getKey(), held);
                    int without = status(n, c.getKey(), null);
                    if (withToken != c.getValue() || without != 401) {
                        wrong.add(c.getKey() + ": " + withToken + " with the token, " + without + " without");
                    }
                    answered.addAndGet(2);
                }
            }, "introspection-hot" + c.getKey().replace('/', '-')));
        }
        clients.forEach(Thread::start);
        try {
            awaitMore(answered, 200);
            for (int round = 0; round < 2; round++) {
                n.shell("bundle:update -r dev.meridian.policy.oauth2-introspection");
                awaitMore(answered, 200);
            }
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
        long made = IDP.calls(IdentityProvider.Endpoint.INTROSPECT) - calls;
        System.out.printf("introspection e2e hot swap: %d answers through 2 bundle updates on %s, %d wrong, %d IdP calls%n",
            answered.get(), n.name, wrong.size(), made);
        assertEquals(List.of(), wrong.stream().limit(5).toList(), wrong.size() + " wrong answers");
        assertEquals(0, made, "a bundle update refetches nothing: the answers live in the cluster");
    }

    private static void awaitMore(AtomicLong answered, long more) {
        long before = answered.get();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= before + more);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static List<Long> rounded(List<Double> values) {
        return values.stream().map(Math::round).toList();
    }

    /**
     * Requests/s of {@code threads} keep-alive connections sending GETs on {@code path} back to back
     * for {@code d} (a raw socket each: the JDK client's own cost would hide the gateway's); every
     * answer must be 200.
     */
    private static double rate(MeridianNode n, String path, String token, int threads, Duration d) throws Exception {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        int port = Integer.parseInt(n.trafficUrl("/").replaceAll(".*:(\\d+)/$", "$1"));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong ok = new AtomicLong();
        AtomicLong bad = new AtomicLong();
        long end = System.nanoTime() + d.toNanos();
        try {
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                loops.add(CompletableFuture.runAsync(() -> {
                    try (Socket socket = new Socket("127.0.0.1", port)) {
                        socket.setTcpNoDelay(true);
                        socket.setSoTimeout(10_000);
                        OutputStream out = socket.getOutputStream();
                        InputStream in = new BufferedInputStream(socket.getInputStream());
                        while (System.nanoTime() < end) {
                            out.write(request);
                            out.flush();
                            (readStatus(in) == 200 ? ok : bad).incrementAndGet();
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, pool));
            }
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(d.toSeconds() + 30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, bad.get(), "non-200 answers on " + path);
        return ok.get() / (d.toNanos() / 1e9);
    }

    /** Reads one response (Content-Length or chunked); answers its status. */
    private static int readStatus(InputStream in) throws IOException {
        String statusLine = HttpLines.read(in);
        if (statusLine == null) {
            throw new IOException("connection closed");
        }
        long length = 0;
        boolean chunked = false;
        String h;
        while ((h = HttpLines.read(in)) != null && !h.isEmpty()) {
            if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Long.parseLong(h.substring(15).trim());
            } else if (h.regionMatches(true, 0, "transfer-encoding:", 0, 18) && h.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        if (!chunked) {
            in.skipNBytes(length);
        } else {
            long size;
            while ((size = Long.parseLong(HttpLines.read(in).split(";")[0].trim(), 16)) > 0) {
                in.skipNBytes(size);
                HttpLines.read(in);
            }
            while ((h = HttpLines.read(in)) != null && !h.isEmpty()) {
                // trailers
            }
        }
        return Integer.parseInt(statusLine.split(" ")[1]);
    }
}
