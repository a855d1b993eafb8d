package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Consumers and the api-key policy on three nodes (CONTRACT §8): consumers applied beside an API
 * in one set; a key answers 200 on every node, none or a wrong one 401 with the challenge, a
 * consumer outside {@code allow} 403; the upstream never sees the key; no answer shows a secret
 * or a hash and no file of any node holds a plain key; a key stops at its {@code expiresAt}
 * without an apply; a key removed by a PUT and a deleted consumer answer 401 on every node, the
 * time from the admin call's answer to the first 401 on each node printed; consumers survive a
 * node's restart.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsumersE2EIT {

    /** Outside the node directories, so that the grep for plain keys does not find the file that holds one. */
    private static final Path SECRETS = Paths.get("target", "e2e-secrets", "ConsumersE2EIT").toAbsolutePath();

    private static final String ALICE = "alice-0f1e2d3c4b5a69788796a5b4";
    private static final String ALICE_FILED = "alice-filed-5a6b7c8d9e0f1a2b3c4d";
    private static final String BOB = "bob-00112233445566778899aabb";
    private static final String CAROL_EXPIRED = "carol-ffeeddccbbaa99887766";
    private static final String DAVE_SOON = "dave-13579bdf02468ace1357";

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("ck1", 12000, 6041), NodeSpec.of("ck2", 12010, 6042), NodeSpec.of("ck3", 12020, 6043))
        .cluster("consumers-it")
        .password("consumers-secret")
        .env("MERIDIAN_SECRETS_DIR", SECRETS.toString())
        .upstream(HttpUpstream.with(4, 64).on("/", ex -> {
            // tells the test whether the key reached the upstream, and who the gateway said called
            byte[] body = ("key " + (ex.getRequestHeaders().containsKey("X-Api-Key") ? "present" : "absent"))
                .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("X-Seen-Query", String.valueOf(ex.getRequestURI().getRawQuery()));
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        .build();

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterAll
    static void dropSecrets() throws Exception {
        Files.deleteIfExists(SECRETS.resolve("alice-filed"));
    }

    private static HttpResponse<String> call(MeridianNode node, String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.trafficUrl(path))).timeout(Duration.ofSeconds(10));
        if (key != null) {
            b.header("X-Api-Key", key);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String apis(Upstream up) {
        return String.join("\n",
            "id: keyed", "basePath: /keyed", "upstream: { url: '" + up.url("/") + "' }",
            "policies:", "  - type: api-key", "---",
            "kind: api", "id: partners", "basePath: /partners", "upstream: { url: '" + up.url("/") + "' }",
            "policies:", "  - type: api-key", "    allow: [partners]", "---",
            "kind: api", "id: queried", "basePath: /queried", "upstream: { url: '" + up.url("/") + "' }",
            "policies:", "  - type: api-key", "    query: api_key", "");
    }

    private static String consumers() {
        return String.join("\n",
            "kind: consumer", "id: alice", "groups: [partners]", "keys:",
            "  - {id: k1, secret: \"" + ALICE + "\"}",
            "  - {id: k2, secret: \"${secret:alice-filed}\"}", "---",
            "kind: consumer", "id: bob", "keys:",
            "  - {id: main, hash: \"" + sha256(BOB) + "\"}", "---",
            "kind: consumer", "id: carol", "keys:",
            "  - {id: old, secret: \"" + CAROL_EXPIRED + "\", expiresAt: \"2020-01-01T00:00:00Z\"}", "");
    }

    private static String sha256(String key) {
        try {
            return "sha256:" + java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static long revision(HttpResponse<String> r) {
        Matcher m = Pattern.compile("\"revision\":(\\d+)").matcher(r.body());
        assertTrue(m.find(), r.body());
        return Long.parseLong(m.group(1));
    }

    @Test
    @Order(10)
    void should_apply_consumers_beside_apis_in_one_revision() throws Exception {
        Files.createDirectories(SECRETS);
        Files.writeString(SECRETS.resolve("alice-filed"), ALICE_FILED + "\n");
        MeridianNode first = CLUSTER.node(0);

        HttpResponse<String> r = first.send("POST", "/api/v1/apply?wait=all", "application/yaml",
            apis(CLUSTER.upstream()) + "---\n" + consumers());

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"added\":[\"keyed\",\"partners\",\"queried\",\"consumer:alice\",\"consumer:bob\",\"consumer:carol\"]"),
            r.body());
        assertEquals(3, r.body().split("\"propagationMs\":\\d+").length - 1, r.body());
        String history = first.get(first.adminUrl("/api/v1/revisions?limit=1"), true).body();
        assertTrue(history.contains("consumer:alice"), history);
        String audit = first.get(first.adminUrl("/api/v1/audit?limit=1"), true).body();
        assertTrue(audit.contains("consumer:alice"), audit);
    }

    @Test
    @Order(20)
    void should_answer_200_401_and_403_on_every_node() throws Exception {
        for (MeridianNode n : CLUSTER.nodes()) {
            HttpResponse<String> ok = call(n, "/keyed/x", ALICE);
            assertEquals(200, ok.statusCode(), n.name + ": " + ok.body());
            assertEquals("key absent", ok.body(), "the upstream never sees the key");
            assertEquals(200, call(n, "/keyed/x", ALICE_FILED).statusCode(), "a key from a secret file, on " + n.name);
            assertEquals(200, call(n, "/keyed/x", BOB).statusCode(), "a key applied as its hash, on " + n.name);

            HttpResponse<String> none = call(n, "/keyed/x", null);
            assertEquals(401, none.statusCode(), none.body());
            assertEquals("Key realm=\"meridian\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
            assertTrue(none.body().contains("\"error\""), none.body());
            HttpResponse<String> wrong = call(n, "/keyed/x", ALICE + "x");
            assertEquals(401, wrong.statusCode(), wrong.body());
            assertEquals("Key realm=\"meridian\"", wrong.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals(401, call(n, "/keyed/x", CAROL_EXPIRED).statusCode(), "an expired key, on " + n.name);

            assertEquals(200, call(n, "/partners/x", ALICE).statusCode(), "alice is in group partners");
            HttpResponse<String> forbidden = call(n, "/partners/x", BOB);
            assertEquals(403, forbidden.statusCode(), forbidden.body());
        }
    }

    /**
     * A key in the query (CONTRACT §8 {@code query: api_key}) identifies the consumer and is
     * taken out of the query the upstream receives (SPI 1.4), every parameter of its name, the
     * other parameters kept in order.
     */
    @Test
    @Order(22)
    void should_take_a_key_in_the_query_out_of_the_upstream_request() throws Exception {
        for (MeridianNode n : CLUSTER.nodes()) {
            HttpResponse<String> ok = call(n, "/queried/x?page=2&api_key=" + ALICE + "&x=%2F1&api_key=spare", null);
            assertEquals(200, ok.statusCode(), n.name + ": " + ok.body());
            assertEquals("page=2&x=%2F1", ok.headers().firstValue("X-Seen-Query").orElse(""), n.name);
            HttpResponse<String> only = call(n, "/queried/x?api_key=" + BOB, null);
            assertEquals(200, only.statusCode(), n.name + ": " + only.body());
            assertEquals("null", only.headers().firstValue("X-Seen-Query").orElse(""), "no query left, no '?'");

            assertEquals(401, call(n, "/queried/x?page=2", null).statusCode(), n.name);
            assertEquals(401, call(n, "/queried/x?api_key=" + ALICE + "x", null).statusCode(), n.name);
            assertEquals(401, call(n, "/queried/x", ALICE).statusCode(), "the key in a header where the query is configured");
        }
    }

    /**
     * Issue 12: each policy hot-swappable under load. Clients on ck1 — alice's key (200, the key
     * not forwarded), bob's key on a group he is not in (403), no key (401) — while the api-key
     * bundle is updated and refreshed twice on ck1: every answer as before.
     */
    @Test
    @Order(25)
    void should_answer_every_request_alike_while_the_api_key_bundle_is_updated() throws Exception {
        MeridianNode n = CLUSTER.node(0);
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong answered = new java.util.concurrent.atomic.AtomicLong();
        List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            clients.add(new Thread(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> ok = call(n, "/keyed/hot", ALICE);
                        int forbidden = call(n, "/partners/hot", BOB).statusCode();
                        int none = call(n, "/keyed/hot", null).statusCode();
                        if (ok.statusCode() != 200 || !"key absent".equals(ok.body()) || forbidden != 403 || none != 401) {
                            wrong.add(ok.statusCode() + " " + ok.body() + " / " + forbidden + " / " + none);
                        }
                        answered.addAndGet(3);
                    } catch (Exception e) {
                        wrong.add(e.toString());
                    }
                }
            }, "api-key-hot-" + c));
        }
        clients.forEach(Thread::start);
        try {
            for (int round = 0; round <= 2; round++) {
                if (round > 0) {
                    n.shell("bundle:update -r dev.meridian.policy.api-key");
                }
                long before = answered.get();
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= before + 300);
            }
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
        System.out.printf("consumers e2e hot swap: %d answers through 2 api-key bundle updates on %s, %d wrong%n",
            answered.get(), n.name, wrong.size());
        assertEquals(List.of(), wrong.stream().limit(5).toList(), wrong.size() + " wrong answers");
    }

    @Test
    @Order(30)
    void should_never_show_or_store_a_key() throws Exception {
        MeridianNode first = CLUSTER.node(0);
        List<String> answers = new ArrayList<>();
        answers.add(first.get(first.adminUrl("/api/v1/consumers"), true).body());
        HttpResponse<String> alice = first.get(first.adminUrl("/api/v1/consumers/alice"), true);
        assertEquals(200, alice.statusCode(), alice.body());
        assertTrue(alice.body().contains("\"id\":\"k1\"") && alice.body().contains("\"id\":\"k2\""), alice.body());
        answers.add(alice.body());
        HttpResponse<String> latest = first.get(first.adminUrl("/api/v1/revisions?limit=1"), true);
        long n = revision(latest);
        answers.add(first.get(first.adminUrl("/api/v1/revisions/" + n), true).body());
        answers.add(CLUSTER.node(2).get(CLUSTER.node(2).adminUrl("/api/v1/consumers/alice"), true).body());
        String shell = first.shell("gateway:consumers");
        assertTrue(shell.contains("alice") && shell.contains("k1, k2") && shell.contains("partners"), shell);
        answers.add(shell);
        for (String a : answers) {
            for (String secret : List.of(ALICE, ALICE_FILED, BOB, CAROL_EXPIRED)) {
                assertFalse(a.contains(secret), "a key in an answer: " + a);
            }
            assertFalse(a.contains("sha256"), "a hash in an answer: " + a);
        }
        assertEquals(404, first.get(first.adminUrl("/api/v1/consumers/nobody"), true).statusCode());

        for (String secret : List.of(ALICE, ALICE_FILED, CAROL_EXPIRED)) {
            List<Path> holding = FileGrep.holding(CLUSTER.workDir(), secret.getBytes(StandardCharsets.UTF_8));
            assertEquals(List.of(), holding, "files holding a plain key");
        }
        List<Path> hashed = FileGrep.holding(CLUSTER.workDir(), sha256(ALICE).getBytes(StandardCharsets.UTF_8));
        assertTrue(hashed.size() >= 3, "each node stores the hash: " + hashed);
    }

    @Test
    @Order(40)
    void should_refuse_bad_consumers_with_every_problem_and_a_stale_if_match_with_409() throws Exception {
        MeridianNode first = CLUSTER.node(0);
        HttpResponse<String> bad = first.send("PUT", "/api/v1/consumers/eve", "application/json",
            "{\"id\":\"eve\",\"keys\":[{\"id\":\"k\",\"secret\":\"short\"},{\"id\":\"j\",\"secret\":\"${secret:missing}\"}]}");
        assertEquals(422, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("keys[0].secret"), bad.body());
        HttpResponse<String> missing = first.send("PUT", "/api/v1/consumers/eve", "application/json",
            "{\"id\":\"eve\",\"keys\":[{\"id\":\"j\",\"secret\":\"${secret:missing}\"}]}");
        assertEquals(422, missing.statusCode(), missing.body());
        assertTrue(missing.body().contains("secret 'missing' not found"), missing.body());
        HttpResponse<String> twice = first.send("PUT", "/api/v1/consumers/eve", "application/json",
            "{\"id\":\"eve\",\"keys\":[{\"id\":\"j\",\"secret\":\"" + BOB + "\"}]}");
        assertEquals(422, twice.statusCode(), "bob's key given to eve: " + twice.body());

        HttpRequest stale = HttpRequest.newBuilder(URI.create(first.adminUrl("/api/v1/consumers/eve")))
            .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                "admin:consumers-secret".getBytes(StandardCharsets.UTF_8)))
            .header("Content-Type", "application/json").header("If-Match", "\"0\"") // the state before the first apply
            .PUT(HttpRequest.BodyPublishers.ofString("{\"id\":\"eve\",\"keys\":[]}")).build();
        HttpResponse<String> conflict = CLIENT.send(stale, HttpResponse.BodyHandlers.ofString());
        assertEquals(409, conflict.statusCode(), conflict.body());

        long before = revision(first.get(first.adminUrl("/api/v1/consumers"), true));
        HttpResponse<String> dry = first.send("POST", "/api/v1/validate", "application/yaml",
            "kind: consumer\nid: frank\nkeys: [{id: k, secret: \"frank-0123456789abcdef\"}]\n");
        assertEquals(200, dry.statusCode(), dry.body());
        assertTrue(dry.body().contains("\"added\":[\"consumer:frank\"]"), dry.body());
        assertEquals(before, revision(first.get(first.adminUrl("/api/v1/consumers"), true)), "a dry run makes no revision");

        HttpResponse<String> same = first.send("PUT", "/api/v1/consumers/bob", "application/yaml",
            "id: bob\nkeys: [{id: main, secret: \"" + BOB + "\"}]\n");
        assertEquals(200, same.statusCode(), same.body());
        assertTrue(same.body().contains("\"changed\":false"), "the secret of the hash applied before: " + same.body());
    }

    @Test
    @Order(50)
    void should_stop_a_key_at_its_expiry_on_every_node_without_an_apply() throws Exception {
        Instant expiry = Instant.now().plusSeconds(6).truncatedTo(ChronoUnit.SECONDS);
        HttpResponse<String> r = CLUSTER.node(1).send("PUT", "/api/v1/consumers/dave?wait=all", "application/yaml",
            "id: dave\nkeys: [{id: soon, secret: \"" + DAVE_SOON + "\", expiresAt: \"" + expiry + "\"}]\n");
        assertEquals(200, r.statusCode(), r.body());
        long revision = revision(r);
        for (MeridianNode n : CLUSTER.nodes()) {
            assertEquals(200, call(n, "/keyed/x", DAVE_SOON).statusCode(), "before its expiry, on " + n.name);
        }
        Awaitility.await("expiry").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
            .until(() -> Instant.now().isAfter(expiry));
        for (MeridianNode n : CLUSTER.nodes()) {
            HttpResponse<String> after = call(n, "/keyed/x", DAVE_SOON);
            assertEquals(401, after.statusCode(), "after its expiry, on " + n.name);
            assertEquals(Long.toString(revision), after.headers().firstValue("X-Meridian-Revision").orElse(""),
                "no apply in between");
        }
    }

    /** One node's revocation: ms from the admin call's answer to its first 401, and requests it let through meanwhile. */
    private record Refused(long ms, int accepted) {
        @Override
        public String toString() {
            return ms + " ms (" + accepted + " let through)";
        }
    }

    /**
     * Polls every node with {@code key} (one warm connection each) from the moment {@code change}
     * answered until each answers 401; returns each node's time to its first 401. The node that
     * took the call serves the revision when it answers: it lets nothing through after it.
     */
    private static Map<String, Refused> untilRefused(String key, int via, Change change) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLUSTER.nodes().size());
        try {
            for (MeridianNode n : CLUSTER.nodes()) {
                assertEquals(200, call(n, "/keyed/x", key).statusCode(), "before the revocation, on " + n.name);
            }
            HttpResponse<String> r = change.call();
            long answered = System.nanoTime();
            assertEquals(200, r.statusCode(), r.body());
            Map<String, CompletableFuture<Refused>> each = new LinkedHashMap<>();
            for (MeridianNode n : CLUSTER.nodes()) {
                each.put(n.name, CompletableFuture.supplyAsync(() -> {
                    long deadline = answered + TimeUnit.SECONDS.toNanos(10);
                    int accepted = 0;
                    try {
                        while (System.nanoTime() < deadline) {
                            if (call(n, "/keyed/x", key).statusCode() == 401) {
                                return new Refused((System.nanoTime() - answered) / 1_000_000, accepted);
                            }
                            accepted++;
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    throw new AssertionError(n.name + " still lets the key through 10 s after its revocation");
                }, pool));
            }
            Map<String, Refused> out = new LinkedHashMap<>();
            for (var e : each.entrySet()) {
                out.put(e.getKey(), e.getValue().get(15, TimeUnit.SECONDS));
            }
            assertEquals(0, out.get(CLUSTER.node(via).name).accepted(), "the node that answered serves the revocation: " + out);
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface Change {
        HttpResponse<String> call() throws Exception;
    }

    @Test
    @Order(60)
    void should_refuse_a_key_removed_by_a_put_on_every_node_as_fast_as_an_apply() throws Exception {
        Map<String, Refused> ms = untilRefused(ALICE, 0, () -> CLUSTER.node(0).send("PUT", "/api/v1/consumers/alice",
            "application/yaml", "id: alice\ngroups: [partners]\nkeys: [{id: k2, hash: \"" + sha256(ALICE_FILED) + "\"}]\n"));
        System.out.println("ConsumersE2EIT: key removed by PUT on ck1 -> first 401 per node (ms after the answer): " + ms);
        for (MeridianNode n : CLUSTER.nodes()) {
            assertEquals(200, call(n, "/keyed/x", ALICE_FILED).statusCode(), "alice's other key still works on " + n.name);
            assertEquals(200, call(n, "/partners/x", ALICE_FILED).statusCode());
        }
    }

    @Test
    @Order(70)
    void should_refuse_a_deleted_consumer_on_every_node_as_fast_as_an_apply() throws Exception {
        beforeDelete = revision(CLUSTER.node(1).get(CLUSTER.node(1).adminUrl("/api/v1/consumers"), true));
        Map<String, Refused> ms = untilRefused(BOB, 1, () -> CLUSTER.node(1).send("DELETE", "/api/v1/consumers/bob", null, null));
        System.out.println("ConsumersE2EIT: consumer deleted on ck2 -> first 401 per node (ms after the answer): " + ms);
        assertEquals(404, CLUSTER.node(2).get(CLUSTER.node(2).adminUrl("/api/v1/consumers/bob"), true).statusCode());
        HttpResponse<String> again = CLUSTER.node(0).send("DELETE", "/api/v1/consumers/bob", null, null);
        assertEquals(404, again.statusCode(), again.body());
    }

    /** The revision just before bob was deleted, for the rollback. */
    private static volatile long beforeDelete;

    @Test
    @Order(80)
    void should_keep_consumers_across_a_restart_of_a_node() throws Exception {
        MeridianNode third = CLUSTER.node(2);
        third.restart(Duration.ofMinutes(3));

        Awaitility.await("ck3 serves keys again").atMost(Duration.ofSeconds(60)).ignoreExceptions()
            .until(() -> call(third, "/keyed/x", ALICE_FILED).statusCode() == 200);
        assertEquals(401, call(third, "/keyed/x", BOB).statusCode(), "a deleted consumer stays deleted");
        assertEquals(401, call(third, "/keyed/x", ALICE).statusCode(), "a removed key stays removed");
        assertEquals(401, call(third, "/partners/x", DAVE_SOON).statusCode(), "an expired key: 401 before any allow check");
        HttpResponse<String> list = third.get(third.adminUrl("/api/v1/consumers"), true);
        assertTrue(list.body().contains("\"id\":\"alice\"") && !list.body().contains("\"id\":\"bob\""), list.body());
    }

    @Test
    @Order(90)
    void should_restore_consumers_with_a_rollback() throws Exception {
        HttpResponse<String> r = CLUSTER.node(0).send("POST", "/api/v1/rollback?wait=all", "application/json",
            "{\"to\": " + beforeDelete + "}");

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"added\":[\"consumer:bob\"]"), r.body());
        for (MeridianNode n : CLUSTER.nodes()) {
            assertEquals(200, call(n, "/keyed/x", BOB).statusCode(), "bob is back with the state of revision " + beforeDelete);
        }
    }
}
