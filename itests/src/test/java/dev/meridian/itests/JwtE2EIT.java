package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code jwt} policy on three nodes of the shipped distribution (one Hazelcast cluster)
 * against the {@link IdentityProvider} stand-in over HTTPS (the policy trusts its CA through its
 * {@code ca} field): the answers and challenges, a key rotation under load from client threads
 * on every node with 0 valid tokens rejected, a flood of forged kids costing the IdP at most
 * about one JWKS fetch per second cluster-wide, an IdP outage of 60 s changing nothing, a fourth
 * node serving its first 1,000 tokens with 0 IdP calls, and an apply that fetches nothing.
 * Figures are printed; counts are asserted.
 *
 * <p>Ports: traffic 14000-14032 (admin +1, ssh +2), the IdP 14090, cluster 6061-6064.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JwtE2EIT {

    private static final int IDP_PORT = 14090;
    private static final IdentityProvider IDP = startIdp();

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("jw1", 14000, 6061), NodeSpec.of("jw2", 14010, 6062), NodeSpec.of("jw3", 14020, 6063))
        .cluster("jwt-it")
        .upstream(HttpUpstream.with(8, 256).on("/", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        .api("orders", up -> api("orders", up, ""))
        .api("orders-admin", up -> api("orders-admin", up, "    requiredScopes: [orders:admin]\n"))
        .build();

    private static final HttpClient CLIENT = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .executor(Executors.newFixedThreadPool(16))
        .connectTimeout(Duration.ofSeconds(5))
        .build();

    private static IdentityProvider startIdp() {
        try {
            TestPki pki = TestPki.create(Paths.get("target", "e2e", "JwtE2EIT-pki").toAbsolutePath());
            IdentityProvider idp = new IdentityProvider(pki, IDP_PORT);
            idp.addRsaKey("rsa-1");
            idp.addEcKey("ec-1");
            return idp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An API behind the jwt policy; {@code more} adds indented policy fields. */
    private static String api(String id, Upstream up, String more) {
        StringBuilder ca = new StringBuilder();
        for (String line : IDP.caPem().strip().split("\n")) {
            ca.append("      ").append(line).append('\n');
        }
        return "id: " + id + "\nbasePath: /" + id + "\nupstream: { url: '" + up.url("/") + "', timeout: 10s }\n"
            + "policies:\n"
            + "  - type: jwt\n"
            + "    jwksUrl: " + IDP.jwksUrl() + "\n"
            + "    issuer: " + IDP.issuer() + "\n"
            + "    audience: [orders]\n"
            + "    algorithms: [RS256, ES256]\n"
            + "    keyGrace: 10m\n"
            + "    refreshInterval: 1h\n"
            + more
            + "    ca: |\n" + ca;
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

    private static String token(String kid, String subject) {
        return IDP.token(kid, subject, "orders", "orders:read", Duration.ofMinutes(15));
    }

    /** The status of a GET, or -1 when it failed outright. */
    private static int status(MeridianNode node, String token) {
        try {
            return get(node, "/orders/x", token).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * {@code threads} clients, each sending GETs with the token {@code tokenFor} gives to a random
     * node of {@code nodes} until {@code running} is false; every status counted.
     */
    private static List<CompletableFuture<Void>> load(int threads, List<MeridianNode> nodes, IntFunction<String> tokenFor,
                                                      AtomicBoolean running, Map<Integer, AtomicLong> statuses, ExecutorService pool) {
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            loops.add(CompletableFuture.runAsync(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                int i = 0;
                while (running.get()) {
                    MeridianNode node = nodes.get(random.nextInt(nodes.size()));
                    statuses.computeIfAbsent(status(node, tokenFor.apply(i++)), s -> new AtomicLong()).incrementAndGet();
                }
            }, pool));
        }
        return loops;
    }

    private static long count(Map<Integer, AtomicLong> statuses, int status) {
        AtomicLong n = statuses.get(status);
        return n == null ? 0 : n.get();
    }

    private static long total(Map<Integer, AtomicLong> statuses) {
        return statuses.values().stream().mapToLong(AtomicLong::get).sum();
    }

    @Test
    @Order(10)
    void should_accept_RS256_and_ES256_on_every_node_and_answer_with_challenges() throws Exception {
        for (MeridianNode node : CLUSTER.nodes()) {
            assertEquals(200, get(node, "/orders/a", token("rsa-1", "alice")).statusCode(), node.name);
            assertEquals(200, get(node, "/orders/a", token("ec-1", "bob")).statusCode(), node.name);
        }
        MeridianNode node = CLUSTER.node(0);
        HttpResponse<String> missing = get(node, "/orders/a", null);
        assertEquals(401, missing.statusCode());
        assertEquals("Bearer realm=\"meridian\"", missing.headers().firstValue("WWW-Authenticate").orElse(""));

        HttpResponse<String> wrongAudience = get(node, "/orders/a", IDP.token("rsa-1", "alice", "billing", "", Duration.ofMinutes(5)));
        assertEquals(401, wrongAudience.statusCode());
        assertTrue(wrongAudience.headers().firstValue("WWW-Authenticate").orElse("").contains("error=\"invalid_token\""),
            wrongAudience.headers().map().toString());
        assertTrue(wrongAudience.body().contains("\"error\""), wrongAudience.body());

        HttpResponse<String> expired = get(node, "/orders/a", IDP.token("rsa-1", "alice", "orders", "", Duration.ofMinutes(-5)));
        assertEquals(401, expired.statusCode());

        HttpResponse<String> scope = get(node, "/orders-admin/a", token("rsa-1", "alice"));
        assertEquals(403, scope.statusCode());
        assertTrue(scope.headers().firstValue("WWW-Authenticate").orElse("").contains("error=\"insufficient_scope\""),
            scope.headers().map().toString());
        assertEquals(200, get(node, "/orders-admin/a", IDP.token("rsa-1", "alice", "orders", "orders:admin", Duration.ofMinutes(5)))
            .statusCode());
        System.out.printf("jwt e2e: JWKS fetches to warm 3 nodes and 2 APIs: %d%n", IDP.keyFetches());
    }

    @Test
    @Order(20)
    void should_reject_no_valid_token_while_the_IdP_rotates_under_load() throws Exception {
        AtomicReference<String> signing = new AtomicReference<>("rsa-1");
        List<String> issued = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        IDP.resetCounts();
        long start = System.nanoTime();
        List<CompletableFuture<Void>> loops = load(8, CLUSTER.nodes(), i -> {
            // a fresh token from the key the IdP signs with now, or one it issued earlier (any key)
            if (issued.isEmpty() || i % 2 == 0) {
                String fresh = token(signing.get(), "user-" + (i % 100));
                if (issued.size() < 400) {
                    issued.add(fresh);
                }
                return fresh;
            }
            return issued.get(ThreadLocalRandom.current().nextInt(issued.size()));
        }, running, statuses, pool);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> count(statuses, 200) >= 1_000);
            IDP.addRsaKey("rsa-2");
            signing.set("rsa-2");                   // tokens under a key no node has seen
            long before = count(statuses, 200);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> count(statuses, 200) >= before + 1_500);
            IDP.unpublish("rsa-1");                 // rsa-1 leaves the JWKS: its tokens live on within keyGrace
            IDP.addEcKey("ec-2");
            signing.set("ec-2");                    // the refetch ec-2 causes is the one that sees rsa-1 gone
            long after = count(statuses, 200);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> count(statuses, 200) >= after + 1_500);
        } finally {
            running.set(false);
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            pool.shutdown();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("jwt e2e rotation: %d requests in %.1f s on 3 nodes (%.0f/s), statuses %s, %d JWKS fetches for 2 new keys%n",
            total(statuses), seconds, total(statuses) / seconds, statuses, IDP.keyFetches());
        assertEquals(total(statuses), count(statuses, 200), "valid tokens rejected during the rotation: " + statuses);
        assertTrue(IDP.keyFetches() <= 4, "the nodes share each new key's fetch: " + IDP.keyFetches());
    }

    @Test
    @Order(30)
    void should_fetch_about_once_a_second_under_a_flood_of_forged_kids() throws Exception {
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        IDP.resetCounts();
        long start = System.nanoTime();
        // 256 forged requests in flight at all times, round-robin over the nodes, for 10 s:
        // each waits (pending, off the request threads) for the next fetch, then gets its 401
        Semaphore inFlight = new Semaphore(256);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        int n = 0;
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
            if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue;
            }
            MeridianNode node = CLUSTER.node(n++ % 3);
            HttpRequest request = HttpRequest.newBuilder(URI.create(node.trafficUrl("/orders/x"))).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + forged()).GET().build();
            sent.add(CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((response, failure) -> {
                    statuses.computeIfAbsent(failure == null ? response.statusCode() : -1, s -> new AtomicLong()).incrementAndGet();
                    inFlight.release();
                    return null;
                }));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        long fetches = IDP.keyFetches();
        System.out.printf("jwt e2e forged kids: %d requests in %.1f s on 3 nodes (%.0f/s), statuses %s -> %d JWKS fetches (%.2f/s)%n",
            total(statuses), seconds, total(statuses) / seconds, statuses, fetches, fetches / seconds);
        assertEquals(total(statuses), count(statuses, 401), "every forged token is refused: " + statuses);
        assertTrue(fetches >= 1 && fetches <= Math.ceil(seconds) + 2, fetches + " fetches in " + seconds + " s");
        // and a valid token is still answered at once
        assertEquals(200, get(CLUSTER.node(0), "/orders/a", token("rsa-2", "alice")).statusCode());
    }

    /** A token with a random kid and a signature no key made (the forger has no key), claims otherwise fine. */
    private static String forged() {
        String claims = "{\"iss\":\"" + IDP.issuer() + "\",\"aud\":\"orders\",\"sub\":\"mallory\",\"exp\":"
            + (System.currentTimeMillis() / 1000 + 600) + "}";
        return forged(claims);
    }

    /** A token with a random kid and a signature no key made (the forger has no key). */
    private static String forged(String claims) {
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String header = "{\"alg\":\"RS256\",\"kid\":\"forged-" + UUID.randomUUID() + "\"}";
        byte[] signature = new byte[256];
        ThreadLocalRandom.current().nextBytes(signature);
        return b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8))
            + "." + b64.encodeToString(signature);
    }

    @Test
    @Order(40)
    void should_change_nothing_while_the_IdP_is_down_for_a_minute() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);   // 6 valid-token clients + 2 forgers
        Map<Integer, AtomicLong> forgedStatuses = new ConcurrentHashMap<>();
        IDP.resetCounts();
        IDP.down();
        long start = System.nanoTime();
        List<CompletableFuture<Void>> loops = new ArrayList<>(load(6, CLUSTER.nodes(),
            i -> token(i % 2 == 0 ? "rsa-2" : "ec-2", "user-" + i), running, statuses, pool));
        // unknown kids keep the nodes asking the dead IdP: the last good keys must serve anyway
        loops.addAll(load(2, CLUSTER.nodes(), i -> forged(), running, forgedStatuses, pool));
        try {
            Awaitility.await().pollDelay(Duration.ofSeconds(60)).atMost(Duration.ofSeconds(61)).until(() -> true);
        } finally {
            running.set(false);
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            pool.shutdown();
            IDP.up();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("jwt e2e IdP down: %d requests with fresh tokens in %.1f s on 3 nodes, statuses %s; "
            + "forged %s; %d fetch attempts refused by the IdP%n", total(statuses), seconds, statuses, forgedStatuses, IDP.refused());
        assertEquals(total(statuses), count(statuses, 200), "failures during the outage: " + statuses);
        assertTrue(total(statuses) > 0);
        assertEquals(total(forgedStatuses), count(forgedStatuses, 401), forgedStatuses.toString());
        assertTrue(IDP.refused() >= 1, "the nodes did try the IdP during the outage");
        assertTrue(IDP.refused() <= Math.ceil(seconds / 5) + 2, "a dead IdP is asked every 5 s at most: " + IDP.refused());
    }

    @Test
    @Order(50)
    void should_serve_a_joining_node_from_the_cluster_with_no_IdP_call() throws Exception {
        MeridianNode fourth = CLUSTER.startNode(NodeSpec.of("jw4", 14030, 6064));
        Awaitility.await("jw4 serves orders").atMost(Duration.ofSeconds(60)).ignoreExceptions()
            .until(() -> get(fourth, "/orders/a", null).statusCode() == 401);
        IDP.resetCounts();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < 1_000; i++) {
            int s = status(fourth, token(i % 2 == 0 ? "rsa-2" : "ec-2", "joiner-" + i));
            statuses.computeIfAbsent(s, k -> new AtomicLong()).incrementAndGet();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("jwt e2e joiner: 1000 fresh tokens on jw4 in %.1f s, statuses %s, %d IdP calls%n",
            seconds, statuses, IDP.keyFetches() + IDP.refused());
        assertEquals(1_000, count(statuses, 200), statuses.toString());
        assertEquals(0, IDP.keyFetches() + IDP.refused(), "the joiner reads the cluster's keys");
    }

    @Test
    @Order(60)
    void should_fetch_nothing_when_another_API_is_applied() throws Exception {
        IDP.resetCounts();
        CLUSTER.apply("invoices", api("invoices", CLUSTER.upstream(), ""));
        for (MeridianNode node : CLUSTER.nodes()) {
            assertEquals(200, get(node, "/invoices/1", token("ec-2", "alice")).statusCode(), node.name);
            assertEquals(200, get(node, "/orders/1", token("rsa-2", "alice")).statusCode(), node.name);
        }
        System.out.printf("jwt e2e apply: %d IdP calls%n", IDP.keyFetches() + IDP.refused());
        assertEquals(0, IDP.keyFetches() + IDP.refused(), "an apply compiles new policies around the keys held");
    }
}
