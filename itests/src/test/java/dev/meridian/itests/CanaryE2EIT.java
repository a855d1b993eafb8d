package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongPredicate;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Canary applies on three nodes (CONTRACT §8 "Canary apply", issue 13 item 4), with real upstreams
 * that answer their own name: a canary whose upstream fails one request in ten is rolled back by
 * the cluster by itself within its window while the stable side fails nothing; a good canary keeps
 * each sticky key on one side on every node, is reported by every node in {@code GET
 * /api/v1/canary} and is promoted by call with no failed request; bad parameters, changes during a
 * canary, a viewer's promote and abort and calls without a canary are refused, a consumer change
 * during a canary is not, and an abort serves the stable side again. Figures (time to the
 * rollback, the canary's share, requests per side) are printed.
 *
 * <p>The tests build on each other (ordered): each starts from the API {@code orders} as the one
 * before left it, with no canary running.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CanaryE2EIT {

    private static final String PASSWORD = "canary-secret";
    private static final int THREADS_PER_NODE = 3;
    /**
     * Requests per second of each client: 9 clients, 360/s over the cluster. Unpaced, the clients
     * saturate the 2-core box (~1,000/s) and both sides' p99 are the scheduler's.
     */
    private static final int LANE_RATE = 40;

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("cy1", 22000, 6131), NodeSpec.of("cy2", 22010, 6132), NodeSpec.of("cy3", 22020, 6133))
        .cluster("canary-it")
        .password(PASSWORD)
        .upstream(named("stable"))
        .build();


    /** The upstream the second test promotes: stable for the third. */
    private static volatile HttpUpstream v2;

    // ------------------------------------------------------------------ upstreams and definitions

    /** An upstream answering 200 with its own name. */
    private static HttpUpstream.Spec named(String name) {
        return HttpUpstream.with(8, 512).on("/", ex -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
    }

    /** An upstream answering 500 ({@code bad-500}) to every 10th request it receives, 200 ({@code bad}) otherwise. */
    private static HttpUpstream.Spec failingOneInTen(AtomicLong received) {
        return HttpUpstream.with(8, 512).on("/", ex -> {
            boolean fail = received.incrementAndGet() % 10 == 0;
            byte[] body = (fail ? "bad-500" : "bad").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(fail ? 500 : 200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
    }

    private static String orders(Upstream up) {
        return String.join("\n", "id: orders", "basePath: /orders", "upstream: { url: '" + up.url("/") + "' }", "");
    }

    // ------------------------------------------------------------------ admin calls

    private static String admin() {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> call(MeridianNode node, String method, String path, String auth, String contentType,
                                             String body) throws IOException, InterruptedException {
        return node.sendAs(auth, method, path, contentType, body);
    }

    private static HttpResponse<String> call(String method, String path, String contentType, String body) throws Exception {
        return call(CLUSTER.node(0), method, path, admin(), contentType, body);
    }

    /** The answer's JSON after checking its status. */
    private static Object expect(int status, HttpResponse<String> r, String what) {
        assertEquals(status, r.statusCode(), what + ": " + r.body());
        return MiniJson.parse(r.body());
    }

    /** {@code GET /api/v1/canary} on a node, as admin. */
    private static Object canary(MeridianNode node) throws Exception {
        return expect(200, call(node, "GET", "/api/v1/canary", admin(), null, null), "GET /api/v1/canary on " + node.name);
    }

    /** The revision the cluster's state is at ({@code GET /api/v1/apis}). */
    private static long currentRevision() throws Exception {
        return MiniJson.num(expect(200, call("GET", "/api/v1/apis", null, null), "GET /api/v1/apis"), "revision");
    }

    /** Waits until every node lists every node of the class serving {@code revision}. */
    private static void awaitEveryNodeServes(long revision) {
        for (MeridianNode n : CLUSTER.nodes()) {
            Awaitility.await("every node serving " + revision + " in the listing of " + n.name).atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> {
                    Object listing = expect(200, call(n, "GET", "/api/v1/cluster", admin(), null, null), "GET /api/v1/cluster");
                    Map<String, Long> revisions = new TreeMap<>();
                    for (Object node : MiniJson.list(listing, "nodes")) {
                        revisions.put(MiniJson.str(node, "name"), MiniJson.num(node, "revision"));
                    }
                    for (MeridianNode m : CLUSTER.nodes()) {
                        assertEquals(revision, revisions.getOrDefault(m.name, -1L), m.name + " in " + revisions);
                    }
                });
        }
    }

    /** The audit entries (newest first) of node 0 that {@code matches} accepts. */
    private static List<Object> audit(java.util.function.Predicate<Object> matches) throws Exception {
        List<Object> out = new ArrayList<>();
        for (Object e : MiniJson.list(expect(200, call("GET", "/api/v1/audit?limit=50", null, null), "GET /api/v1/audit"))) {
            if (matches.test(e)) {
                out.add(e);
            }
        }
        return out;
    }

    private static String auditCall(Object entry) {
        return String.valueOf(MiniJson.at(entry, "call"));
    }

    private static long auditRevision(Object entry) {
        Object r = MiniJson.at(entry, "revision");
        return r == null ? -1 : MiniJson.num(r);
    }

    /** Aborts a canary a failed test left running, so that the next test starts without one. */
    @AfterEach
    void abortALeftoverCanary() {
        try {
            Object status = canary(CLUSTER.node(0));
            if ("running".equals(MiniJson.at(status, "state"))) {
                HttpResponse<String> r = call("POST", "/api/v1/canary/abort", null, null);
                System.out.println("CanaryE2EIT: aborted a canary left running: " + r.statusCode() + " " + r.body());
            }
        } catch (Exception | AssertionError e) {
            System.out.println("CanaryE2EIT: could not check for a leftover canary: " + e);
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    @Order(10)
    void should_roll_back_a_failing_canary_by_itself_within_its_window_with_no_stable_failure() throws Exception {
        HttpUpstream stable = CLUSTER.upstream();
        AtomicLong badReceived = new AtomicLong();
        HttpUpstream bad = CLUSTER.startUpstream(failingOneInTen(badReceived));
        long n = MiniJson.num(MiniJson.parse(CLUSTER.apply("orders", orders(stable)).body()), "revision");
        long canaryRev = n + 1;
        long rollbackRev = n + 2;

        try (Load load = new Load("r")) {
            load.awaitAnswers(3L * 200, Duration.ofSeconds(30));
            long stableBefore = load.count(r -> r == n);
            long applied = System.nanoTime();
            Object answer = expect(200, call("PUT", "/api/v1/apis/orders?canary=5%25&stickyBy=header:X-User&window=20s&wait=all",
                "application/yaml", orders(bad)), "canary apply");
            long answered = System.nanoTime();
            assertEquals(canaryRev, MiniJson.num(answer, "revision"), "the canary is revision N+1: " + answer);
            assertEquals(Boolean.TRUE, MiniJson.at(answer, "changed"), String.valueOf(answer));
            assertEquals(n, MiniJson.num(answer, "canary", "stable"), "canary.stable: " + answer);
            assertEquals("5%", MiniJson.at(answer, "canary", "share"), "canary.share: " + answer);
            System.out.printf("CanaryE2EIT: canary %d of 5%% (bad upstream, window 20s) applied with wait=all in %d ms%n",
                canaryRev, (answered - applied) / 1_000_000);

            // the cluster rolls it back by itself: revision N+2 on the traffic
            Awaitility.await("revision " + rollbackRev + " (the rollback) answering traffic").atMost(Duration.ofSeconds(45))
                .pollInterval(Duration.ofMillis(100)).until(() -> load.firstSeen(rollbackRev) != null);
            double toRollback = (load.firstSeen(rollbackRev) - applied) / 1e9;
            long stableDuring = load.count(r -> r == n) - stableBefore;
            long canaryDuring = load.count(r -> r == canaryRev);
            double share = 100.0 * canaryDuring / Math.max(1, stableDuring + canaryDuring);
            Object status = Awaitility.await("GET /api/v1/canary: state none").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> canary(CLUSTER.node(0)), s -> "none".equals(MiniJson.at(s, "state")));
            double toNone = (System.nanoTime() - applied) / 1e9;
            System.out.printf("CanaryE2EIT: rollback revision %d first answered %.1f s after the canary apply (window 20s);"
                + " GET /api/v1/canary said none after %.1f s%n", rollbackRev, toRollback, toNone);
            System.out.printf("CanaryE2EIT: while the canary ran: %d stable answers, %d canary answers (%d of them 500):"
                + " canary share %.2f%% (5%% asked); the bad upstream received %d requests%n",
                stableDuring, canaryDuring, load.count(r -> r == canaryRev, s -> s != 200), share, badReceived.get());

            // the last outcome
            assertEquals("rolled-back", MiniJson.at(status, "last", "outcome"), "last outcome: " + status);
            assertEquals(canaryRev, MiniJson.num(status, "last", "canary"), "last.canary: " + status);
            assertEquals(rollbackRev, MiniJson.num(status, "last", "revision"), "last.revision: " + status);
            assertEquals("meridian", MiniJson.at(status, "last", "user"), "last.user: " + status);

            // every node serves N+2, on the traffic too, before the load stops
            awaitEveryNodeServes(rollbackRev);
            Awaitility.await("answers of revision " + rollbackRev + " on every node").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100)).until(() -> CLUSTER.nodes().stream().allMatch(m -> load.firstSeen(m.name, rollbackRev) != null));
            long afterRollback = load.count(r -> r == rollbackRev);
            Awaitility.await("more answers on revision " + rollbackRev).atMost(Duration.ofSeconds(15))
                .until(() -> load.count(r -> r == rollbackRev) >= afterRollback + 300);
            load.stop();

            System.out.printf("CanaryE2EIT: bad canary run: %s%n", load.summary());
            assertTrue(toRollback <= 30.0, "the rollback took " + toRollback + " s, more than window + 10 s");
            assertEquals(0, load.count(r -> r == n, s -> s != 200), "stable-side (revision " + n + ") failures: " + load.failures());
            assertEquals(0, load.count(r -> r == rollbackRev, s -> s != 200), "failures on revision " + rollbackRev + ": " + load.failures());
            assertTrue(load.count(r -> r == canaryRev, s -> s == 500) > 0, "the canary side answered some 500s: " + load.summary());
            assertEquals(0, load.count(r -> r != n && r != canaryRev && r != rollbackRev), "answers of other revisions: " + load.summary());
            assertEquals(0, load.transportErrors(), "requests failed on the connection: " + load.failures());
            assertEquals(0, load.wrongSide(Map.of(n, "stable", canaryRev, "bad", rollbackRev, "stable")),
                "answers whose body is not the upstream of the revision they name: " + load.summary());
            assertTrue(share >= 2.0 && share <= 9.0, "canary share " + share + "% (5% asked)");
        }

        // audit: the start, and the end by the cluster itself
        Awaitility.await("audit of the canary's start and rollback").atMost(Duration.ofSeconds(10)).ignoreExceptions()
            .untilAsserted(() -> {
                List<Object> start = audit(e -> auditCall(e).contains("canary") && auditRevision(e) == canaryRev);
                assertFalse(start.isEmpty(), "an audit entry of the canary's start (revision " + canaryRev + ")");
                List<Object> end = audit(e -> auditCall(e).equals("canary rollback " + canaryRev));
                assertEquals(1, end.size(), "one audit entry 'canary rollback " + canaryRev + "'");
                assertEquals("meridian", MiniJson.at(end.get(0), "user"), String.valueOf(end.get(0)));
                assertEquals(rollbackRev, auditRevision(end.get(0)), String.valueOf(end.get(0)));
                assertTrue(String.valueOf(MiniJson.at(end.get(0), "summary")).startsWith("rolled back by itself"), String.valueOf(end.get(0)));
            });
        // the stable definition everywhere
        for (MeridianNode m : CLUSTER.nodes()) {
            HttpResponse<String> r = call(m, "GET", "/api/v1/apis/orders", admin(), null, null);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("127.0.0.1:" + stable.port()), "the stable upstream on " + m.name + ": " + r.body());
            assertFalse(r.body().contains("127.0.0.1:" + bad.port()), "the bad upstream gone on " + m.name + ": " + r.body());
        }
    }

    @Test
    @Order(20)
    void should_keep_each_key_on_one_side_on_every_node_and_promote_a_good_canary_with_no_failed_request() throws Exception {
        v2 = CLUSTER.startUpstream(named("v2"));
        long stableRev = currentRevision();
        long canaryRev = stableRev + 1;
        long promotedRev = stableRev + 2;
        try (Load load = new Load("p")) {
            load.awaitAnswers(3L * 200, Duration.ofSeconds(30));
            Object answer = expect(200, call("PUT", "/api/v1/apis/orders?canary=10%25&stickyBy=header:X-User&wait=all",
                "application/yaml", orders(v2)), "canary apply");
            assertEquals(canaryRev, MiniJson.num(answer, "revision"), String.valueOf(answer));
            assertEquals(stableRev, MiniJson.num(answer, "canary", "stable"), String.valueOf(answer));
            assertEquals("10%", MiniJson.at(answer, "canary", "share"), String.valueOf(answer));

            // the status while it runs: both sides, every node reporting, not breached
            Object status = Awaitility.await("GET /api/v1/canary: both sides counted, three nodes reporting")
                .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> canary(CLUSTER.node(1)), s -> MiniJson.num(s, "sides", "stable", "requests") > 0
                    && MiniJson.num(s, "sides", "canary", "requests") > 0
                    && MiniJson.list(s, "nodes").size() == 3
                    && MiniJson.list(s, "nodes").stream().allMatch(x -> Boolean.TRUE.equals(MiniJson.at(x, "reported"))));
            System.out.println("CanaryE2EIT: GET /api/v1/canary while the good canary runs: " + status);
            assertEquals("running", MiniJson.at(status, "state"), String.valueOf(status));
            assertEquals(canaryRev, MiniJson.num(status, "revision"), String.valueOf(status));
            assertEquals(stableRev, MiniJson.num(status, "stable"), String.valueOf(status));
            assertEquals("10%", MiniJson.at(status, "share"), String.valueOf(status));
            assertEquals("header:X-User", MiniJson.at(status, "stickyBy"), String.valueOf(status));
            assertEquals("admin", MiniJson.at(status, "user"), String.valueOf(status));
            assertEquals(canaryRev, MiniJson.num(status, "sides", "canary", "revision"), String.valueOf(status));
            assertEquals(stableRev, MiniJson.num(status, "sides", "stable", "revision"), String.valueOf(status));
            assertEquals(0, MiniJson.num(status, "sides", "canary", "errors"), String.valueOf(status));
            assertEquals(0, MiniJson.num(status, "sides", "stable", "errors"), String.valueOf(status));
            assertNotEquals("breached", MiniJson.at(status, "verdict"), String.valueOf(status));
            List<String> reporting = MiniJson.list(status, "nodes").stream().map(x -> MiniJson.str(x, "name")).sorted().toList();
            assertEquals(List.of("cy1", "cy2", "cy3"), reporting, String.valueOf(status));

            // one side per key on every node
            int onCanary = 0;
            int users = 200;
            try (KeepAliveClient c0 = new KeepAliveClient(CLUSTER.node(0).httpPort);
                 KeepAliveClient c1 = new KeepAliveClient(CLUSTER.node(1).httpPort);
                 KeepAliveClient c2 = new KeepAliveClient(CLUSTER.node(2).httpPort)) {
                List<KeepAliveClient> clients = List.of(c0, c1, c2);
                for (int u = 0; u < users; u++) {
                    Map<String, String> key = Map.of("X-User", "sticky-" + u);
                    long first = -1;
                    for (int i = 0; i < clients.size(); i++) {
                        KeepAliveClient.Reply r = clients.get(i).get("/orders/item", key);
                        assertEquals(200, r.status(), r.body());
                        long rev = revisionOf(r);
                        assertEquals(rev == canaryRev ? "v2" : "stable", r.body(), "the side's upstream answered, revision " + rev);
                        assertTrue(rev == stableRev || rev == canaryRev, "revision " + rev);
                        if (i == 0) {
                            first = rev;
                        } else {
                            assertEquals(first, rev, "sticky-" + u + " on " + CLUSTER.node(i).name + " (cy1 said " + first + ")");
                        }
                    }
                    onCanary += first == canaryRev ? 1 : 0;
                }
            }
            System.out.printf("CanaryE2EIT: %d users asked on the three nodes: each on one side everywhere, %d on the canary%n",
                users, onCanary);
            assertTrue(onCanary > 0 && onCanary < users, onCanary + " of " + users + " users on the 10% canary");

            // judged, not only waiting: past minRequests, and past the 100 requests a side that the p99 check needs
            Object judged = Awaitility.await("GET /api/v1/canary: 100 canary requests in the window, or the canary gone")
                .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> canary(CLUSTER.node(2)), s -> !"running".equals(MiniJson.at(s, "state"))
                    || MiniJson.num(s, "sides", "canary", "requests") >= 100 && "passing".equals(MiniJson.at(s, "verdict")));
            System.out.println("CanaryE2EIT: GET /api/v1/canary once judged: " + judged);
            assertEquals("running", MiniJson.at(judged, "state"), "the good canary still runs: " + judged);
            assertEquals("passing", MiniJson.at(judged, "verdict"), String.valueOf(judged));

            // promote
            Object promoted = expect(200, call("POST", "/api/v1/canary/promote", null, null), "promote");
            assertEquals("promoted", MiniJson.at(promoted, "outcome"), String.valueOf(promoted));
            assertEquals(promotedRev, MiniJson.num(promoted, "revision"), String.valueOf(promoted));
            assertEquals(canaryRev, MiniJson.num(promoted, "canary"), String.valueOf(promoted));
            assertEquals(Boolean.TRUE, MiniJson.at(promoted, "changed"), String.valueOf(promoted));
            awaitEveryNodeServes(promotedRev);
            Awaitility.await("answers of revision " + promotedRev + " on every node").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100)).until(() -> CLUSTER.nodes().stream().allMatch(m -> load.firstSeen(m.name, promotedRev) != null));
            long afterPromote = load.count(r -> r == promotedRev);
            Awaitility.await("more answers on revision " + promotedRev).atMost(Duration.ofSeconds(15))
                .until(() -> load.count(r -> r == promotedRev) >= afterPromote + 300);
            load.stop();
            System.out.printf("CanaryE2EIT: good canary run: %s%n", load.summary());
            assertEquals(0, load.failed(), "failed requests: " + load.failures());
            assertEquals(0, load.wrongSide(Map.of(stableRev, "stable", canaryRev, "v2", promotedRev, "v2")),
                "answers whose body is not the upstream of the revision they name: " + load.summary());
            assertEquals(0, load.count(r -> r != stableRev && r != canaryRev && r != promotedRev), "other revisions: " + load.summary());
            assertTrue(load.count(r -> r == canaryRev) > 0, "the canary side answered: " + load.summary());
        }
        // afterwards, every request on every node from v2
        for (MeridianNode m : CLUSTER.nodes()) {
            try (KeepAliveClient c = new KeepAliveClient(m.httpPort)) {
                for (int u = 0; u < 100; u++) {
                    KeepAliveClient.Reply r = c.get("/orders/item", Map.of("X-User", "after-" + u));
                    assertEquals(200, r.status(), r.body());
                    assertEquals("v2", r.body(), "after-" + u + " on " + m.name);
                    assertEquals(promotedRev, revisionOf(r), "after-" + u + " on " + m.name);
                }
            }
        }
        Object after = canary(CLUSTER.node(2));
        assertEquals("none", MiniJson.at(after, "state"), String.valueOf(after));
        assertEquals("promoted", MiniJson.at(after, "last", "outcome"), String.valueOf(after));
        assertEquals("admin", MiniJson.at(after, "last", "user"), String.valueOf(after));
        Awaitility.await("audit of the promotion").atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            List<Object> promote = audit(e -> auditCall(e).equals("canary promote " + canaryRev));
            assertEquals(1, promote.size(), "one audit entry 'canary promote " + canaryRev + "'");
            assertEquals(promotedRev, auditRevision(promote.get(0)), String.valueOf(promote.get(0)));
            assertEquals("admin", MiniJson.at(promote.get(0), "user"), String.valueOf(promote.get(0)));
        });
    }

    @Test
    @Order(30)
    void should_refuse_bad_parameters_changes_during_a_canary_and_a_viewers_promote_and_serve_the_stable_side_after_an_abort()
        throws Exception {
        // v2 the stable side, whatever the test before left (a no-op when it promoted v2)
        if (v2 == null) {
            v2 = CLUSTER.startUpstream(named("v2"));
        }
        CLUSTER.apply("orders", orders(v2));
        HttpUpstream v3 = CLUSTER.startUpstream(named("v3"));
        long before = currentRevision();

        // bad parameters: 422 naming the parameter, nothing committed
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("canary=150%25", "canary");
        bad.put("canary=abc", "canary");
        bad.put("canary=5%25&window=0s", "window");
        bad.put("canary=5%25&stickyBy=consumer", "stickyBy");
        bad.put("canary=5%25&maxErrorRate=x", "maxErrorRate");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            HttpResponse<String> r = call("PUT", "/api/v1/apis/orders?" + e.getKey(), "application/yaml", orders(v3));
            Object tree = expect(422, r, "?" + e.getKey());
            assertNotNull(MiniJson.at(tree, "error"), r.body());
            List<String> paths = MiniJson.list(tree, "details").stream().map(d -> MiniJson.str(d, "path")).toList();
            assertTrue(paths.contains(e.getValue()), "?" + e.getKey() + " names " + e.getValue() + ": " + r.body());
        }
        // a canary that changes consumers
        HttpResponse<String> withConsumer = call("POST", "/api/v1/apply?canary=5%25", "application/yaml",
            orders(v3) + "---\nkind: consumer\nid: c0\nkeys: [{id: k0, secret: \"c0-secret-value-123456\"}]\n");
        expect(422, withConsumer, "a canary that changes consumers");
        assertEquals(before, currentRevision(), "no refused call committed a revision");

        // a canary of v3 beside v2
        long canaryRev = before + 1;
        Object started = expect(200, call("PUT", "/api/v1/apis/orders?canary=50%25&stickyBy=header:X-User&wait=all",
            "application/yaml", orders(v3)), "canary apply");
        assertEquals(canaryRev, MiniJson.num(started, "revision"), String.valueOf(started));
        assertEquals("50%", MiniJson.at(started, "canary", "share"), String.valueOf(started));

        // changes during the canary: 409 for APIs, a second canary and a rollback; 200 for a consumer
        String running = "a canary of revision " + canaryRev + " is running";
        // (the plain apply names another upstream: one equal to what runs is no change, 200 "changed": false as in §5)
        List<HttpResponse<String>> refused = List.of(
            call("PUT", "/api/v1/apis/orders", "application/yaml", orders(CLUSTER.upstream())),
            call("PUT", "/api/v1/apis/other", "application/yaml",
                "id: other\nbasePath: /other\nupstream: { url: '" + v3.url("/") + "' }\n"),
            call("PUT", "/api/v1/apis/orders?canary=5%25", "application/yaml", orders(CLUSTER.upstream())),
            call("DELETE", "/api/v1/apis/orders", null, null),
            call("POST", "/api/v1/rollback", "application/json", "{\"to\": " + before + "}"));
        for (HttpResponse<String> r : refused) {
            Object tree = expect(409, r, r.request().method() + " " + r.request().uri());
            assertTrue(MiniJson.str(tree, "error").startsWith(running), r.request().uri() + ": " + r.body());
        }
        HttpResponse<String> consumer = call("PUT", "/api/v1/consumers/c1", "application/json",
            "{\"id\":\"c1\",\"keys\":[{\"id\":\"k1\",\"secret\":\"s3cret-value-123456\"}]}");
        Object consumerAnswer = expect(200, consumer, "a consumer change during the canary");
        Object stillRunning = canary(CLUSTER.node(0));
        assertEquals("running", MiniJson.at(stillRunning, "state"), "after the consumer change: " + stillRunning);
        // the consumer reaches both sides: the brief leaves open whether the sides keep their numbers
        long canaryNow = MiniJson.num(stillRunning, "revision");
        System.out.printf("CanaryE2EIT: a consumer change during canary %d committed revision %d; the canary is then revision %d"
            + " beside stable %d%n", canaryRev, MiniJson.num(consumerAnswer, "revision"), canaryNow, MiniJson.num(stillRunning, "stable"));

        // both sides serve while it runs
        int v3Users = 0;
        try (KeepAliveClient c = new KeepAliveClient(CLUSTER.node(1).httpPort)) {
            for (int u = 0; u < 40; u++) {
                KeepAliveClient.Reply r = c.get("/orders/item", Map.of("X-User", "half-" + u));
                assertEquals(200, r.status(), r.body());
                v3Users += "v3".equals(r.body()) ? 1 : 0;
            }
        }
        assertTrue(v3Users > 0 && v3Users < 40, v3Users + " of 40 users on the 50% canary");

        // a viewer reads, never decides
        Object token = expect(201, call("POST", "/api/v1/tokens", "application/json", "{\"name\":\"v\",\"role\":\"viewer\",\"ttl\":\"1h\"}"),
            "a viewer token");
        String viewer = "Bearer " + MiniJson.str(token, "token");
        for (MeridianNode m : CLUSTER.nodes()) {
            HttpResponse<String> seen = call(m, "GET", "/api/v1/canary", viewer, null, null);
            assertEquals("running", MiniJson.at(expect(200, seen, "a viewer's GET /api/v1/canary on " + m.name), "state"), seen.body());
        }
        expect(403, call(CLUSTER.node(1), "POST", "/api/v1/canary/promote", viewer, null, null), "a viewer's promote");
        expect(403, call(CLUSTER.node(2), "POST", "/api/v1/canary/abort", viewer, null, null), "a viewer's abort");
        assertEquals("running", MiniJson.at(canary(CLUSTER.node(0)), "state"), "still running after the viewer's calls");

        // abort: the stable side again
        Object aborted = expect(200, call(CLUSTER.node(2), "POST", "/api/v1/canary/abort", admin(), null, null), "abort");
        assertEquals("aborted", MiniJson.at(aborted, "outcome"), String.valueOf(aborted));
        assertEquals(canaryNow, MiniJson.num(aborted, "canary"), String.valueOf(aborted));
        long abortRev = MiniJson.num(aborted, "revision");
        assertTrue(abortRev > canaryNow, "the abort commits a new revision: " + aborted);
        awaitEveryNodeServes(abortRev);
        for (MeridianNode m : CLUSTER.nodes()) {
            try (KeepAliveClient c = new KeepAliveClient(m.httpPort)) {
                for (int u = 0; u < 40; u++) {
                    KeepAliveClient.Reply r = c.get("/orders/item", Map.of("X-User", "half-" + u));
                    assertEquals(200, r.status(), r.body());
                    assertEquals("v2", r.body(), "half-" + u + " on " + m.name + " after the abort");
                    assertEquals(abortRev, revisionOf(r), "half-" + u + " on " + m.name + " after the abort");
                }
            }
            HttpResponse<String> def = call(m, "GET", "/api/v1/apis/orders", admin(), null, null);
            assertTrue(def.body().contains("127.0.0.1:" + v2.port()), "v2 the upstream of orders on " + m.name + ": " + def.body());
        }
        HttpResponse<String> kept = call("GET", "/api/v1/consumers/c1", null, null);
        assertEquals(200, kept.statusCode(), "the consumer applied during the canary is kept by the abort: " + kept.body());
        Object after = canary(CLUSTER.node(1));
        assertEquals("none", MiniJson.at(after, "state"), String.valueOf(after));
        assertEquals("aborted", MiniJson.at(after, "last", "outcome"), String.valueOf(after));
        assertEquals(canaryNow, MiniJson.num(after, "last", "canary"), String.valueOf(after));
        assertEquals(abortRev, MiniJson.num(after, "last", "revision"), String.valueOf(after));
        Awaitility.await("audit of the abort").atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            List<Object> abort = audit(e -> auditCall(e).equals("canary abort " + canaryNow));
            assertEquals(1, abort.size(), "one audit entry 'canary abort " + canaryNow + "'");
            assertEquals("admin", MiniJson.at(abort.get(0), "user"), String.valueOf(abort.get(0)));
        });

        // no canary: nothing to promote or abort
        for (String action : List.of("promote", "abort")) {
            expect(409, call("POST", "/api/v1/canary/" + action, null, null), action + " without a canary");
        }
        assertEquals(abortRev, currentRevision(), "the refused promote and abort committed nothing");
    }

    // ------------------------------------------------------------------ traffic

    private static long revisionOf(KeepAliveClient.Reply r) {
        String h = r.headers().get("x-meridian-revision");
        assertNotNull(h, "X-Meridian-Revision on every answer: " + r.headers());
        return Long.parseLong(h.trim());
    }

    /** One answer's kind: the revision it names (-1 without), its status and body. */
    private record Kind(long revision, int status, String body) {
    }

    /**
     * {@link #THREADS_PER_NODE} keep-alive clients per node, {@link #LANE_RATE} requests per second each, sending {@code GET /orders/item} with
     * an {@code X-User} never sent before, until stopped; answers counted by revision, status and
     * body. A failed connection is counted and replaced.
     */
    private static final class Load implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final ExecutorService pool = Executors.newFixedThreadPool(3 * THREADS_PER_NODE);
        private final List<Future<?>> lanes = new ArrayList<>();
        private final Map<Kind, LongAdder> answers = new ConcurrentHashMap<>();
        /** "node revision" → when it first answered (nanoTime). */
        private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
        private final LongAdder total = new LongAdder();
        private final LongAdder transportErrors = new LongAdder();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final long started = System.nanoTime();
        private volatile long stopped;

        Load(String prefix) {
            for (MeridianNode node : CLUSTER.nodes()) {
                for (int t = 0; t < THREADS_PER_NODE; t++) {
                    String lane = prefix + "-" + node.name + "-" + t + "-";
                    lanes.add(pool.submit(() -> run(node, lane)));
                }
            }
        }

        private Void run(MeridianNode node, String lane) throws InterruptedException {
            KeepAliveClient c = null;
            long i = 0;
            long period = TimeUnit.SECONDS.toNanos(1) / LANE_RATE;
            long next = System.nanoTime();
            try {
                while (!stop.get()) {
                    // paced: the next request at its slot (a late one goes at once, never in a burst to catch up)
                    long now = System.nanoTime();
                    if (next > now) {
                        java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                    }
                    next = Math.max(next + period, System.nanoTime() - period);
                    try {
                        if (c == null) {
                            c = new KeepAliveClient(node.httpPort);
                        }
                        KeepAliveClient.Reply r = c.get("/orders/item", Map.of("X-User", lane + i++));
                        String h = r.headers().get("x-meridian-revision");
                        long rev = h == null ? -1 : Long.parseLong(h.trim());
                        String body = r.body().length() > 60 ? r.body().substring(0, 60) : r.body();
                        answers.computeIfAbsent(new Kind(rev, r.status(), body), k -> new LongAdder()).increment();
                        firstSeen.putIfAbsent(node.name + " " + rev, System.nanoTime());
                        total.increment();
                        if ((r.status() != 200 || rev < 0) && failures.size() < 20) {
                            failures.add(node.name + ": " + r.status() + " revision " + rev + " " + body);
                        }
                    } catch (IOException | RuntimeException e) {
                        transportErrors.increment();
                        if (failures.size() < 20) {
                            failures.add(node.name + ": " + e);
                        }
                        close(c);
                        c = null;
                        Thread.sleep(50); // a refused connection is not retried in a busy loop
                    }
                }
            } finally {
                close(c);
            }
            return null;
        }

        private static void close(KeepAliveClient c) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    // the socket is gone either way
                }
            }
        }

        void awaitAnswers(long answered, Duration within) {
            Awaitility.await(answered + " answers of the load").atMost(within).until(() -> total.sum() >= answered);
        }

        long count(LongPredicate revision) {
            return count(revision, s -> true);
        }

        long count(LongPredicate revision, java.util.function.IntPredicate status) {
            return answers.entrySet().stream().filter(e -> revision.test(e.getKey().revision()) && status.test(e.getKey().status()))
                .mapToLong(e -> e.getValue().sum()).sum();
        }

        /** Non-200 answers, answers without a revision and failed connections. */
        long failed() {
            return count(r -> true, s -> s != 200) + count(r -> r < 0, s -> s == 200) + transportErrors.sum();
        }

        long transportErrors() {
            return transportErrors.sum();
        }

        /** Answers whose body does not start with the name of the upstream its revision should reach (revisions not in the map included). */
        long wrongSide(Map<Long, String> upstreamOf) {
            return answers.entrySet().stream()
                .filter(e -> !e.getKey().body().startsWith(Objects.requireNonNullElse(upstreamOf.get(e.getKey().revision()), "\u0000")))
                .mapToLong(e -> e.getValue().sum()).sum();
        }

        /** When revision {@code rev} first answered on any node, or null. */
        Long firstSeen(long rev) {
            return CLUSTER.nodes().stream().map(n -> firstSeen.get(n.name + " " + rev)).filter(Objects::nonNull).min(Long::compare).orElse(null);
        }

        Long firstSeen(String node, long rev) {
            return firstSeen.get(node + " " + rev);
        }

        List<String> failures() {
            return List.copyOf(failures);
        }

        String summary() {
            double seconds = ((stopped == 0 ? System.nanoTime() : stopped) - started) / 1e9;
            Map<String, Long> kinds = new TreeMap<>();
            answers.forEach((k, v) -> kinds.put("rev " + k.revision() + " " + k.status() + " " + k.body(), v.sum()));
            return String.format("%d requests in %.1f s (%.0f/s) from %d clients: %s, %d connection failures%s", total.sum(), seconds,
                total.sum() / seconds, lanes.size(), kinds, transportErrors.sum(), failures.isEmpty() ? "" : ", first failures " + failures);
        }

        void stop() throws Exception {
            if (stop.getAndSet(true)) {
                return;
            }
            try {
                for (Future<?> f : lanes) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                stopped = System.nanoTime();
                pool.shutdownNow();
            }
        }

        @Override
        public void close() throws Exception {
            stop();
        }
    }

    // ------------------------------------------------------------------ JSON

    /**
     * A small JSON reader for the admin API's answers (the itests have no JSON library): objects
     * as LinkedHashMap, arrays as ArrayList, integral numbers as Long, others as Double.
     */
    static final class MiniJson {
        private final String s;
        private int i;

        private MiniJson(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            MiniJson p = new MiniJson(text);
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) {
                throw p.error("trailing content");
            }
            return v;
        }

        /** The value at {@code path} (keys of objects, indexes of arrays), or null where it is missing. */
        static Object at(Object tree, Object... path) {
            Object v = tree;
            for (Object step : path) {
                if (v instanceof Map<?, ?> m && step instanceof String k) {
                    v = m.get(k);
                } else if (v instanceof List<?> l && step instanceof Integer n && n < l.size()) {
                    v = l.get(n);
                } else {
                    return null;
                }
            }
            return v;
        }

        /** The number at {@code path} in {@code tree}, failing with both when there is none. */
        static long num(Object tree, Object... path) {
            Object v = at(tree, path);
            assertTrue(v instanceof Number, () -> "a number at " + List.of(path) + " expected in " + tree);
            return ((Number) v).longValue();
        }

        /** The string at {@code path} in {@code tree}, failing with both when there is none. */
        static String str(Object tree, Object... path) {
            Object v = at(tree, path);
            assertTrue(v instanceof String, () -> "a string at " + List.of(path) + " expected in " + tree);
            return (String) v;
        }

        /** The array at {@code path} in {@code tree}, failing with both when there is none. */
        static List<Object> list(Object tree, Object... path) {
            Object v = at(tree, path);
            assertTrue(v instanceof List<?>, () -> "an array at " + List.of(path) + " expected in " + tree);
            @SuppressWarnings("unchecked")
            List<Object> l = (List<Object>) v;
            return l;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at " + i + " of " + s);
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("a value expected");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    return number();
            }
        }

        private Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) {
                throw error("unexpected content");
            }
            i += word.length();
            return v;
        }

        private Map<String, Object> object() {
            Map<String, Object> out = new LinkedHashMap<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return out;
            }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') {
                    throw error("a key expected");
                }
                String key = string();
                ws();
                if (i >= s.length() || s.charAt(i++) != ':') {
                    throw error("':' expected");
                }
                out.put(key, value());
                ws();
                if (i >= s.length()) {
                    throw error("'}' expected");
                }
                char c = s.charAt(i++);
                if (c == '}') {
                    return out;
                }
                if (c != ',') {
                    throw error("',' or '}' expected");
                }
            }
        }

        private List<Object> array() {
            List<Object> out = new ArrayList<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return out;
            }
            while (true) {
                out.add(value());
                ws();
                if (i >= s.length()) {
                    throw error("']' expected");
                }
                char c = s.charAt(i++);
                if (c == ']') {
                    return out;
                }
                if (c != ',') {
                    throw error("',' or ']' expected");
                }
            }
        }

        private String string() {
            StringBuilder out = new StringBuilder();
            i++;
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (i >= s.length()) {
                    break;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("a \\u escape cut short");
                        }
                        out.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> out.append(e);
                }
            }
            throw error("an unterminated string");
        }

        private Number number() {
            int from = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String n = s.substring(from, i);
            if (n.isEmpty()) {
                throw error("unexpected content");
            }
            if (n.matches("-?[0-9]{1,18}")) {
                return Long.parseLong(n);
            }
            try {
                return Double.parseDouble(n);
            } catch (NumberFormatException e) {
                throw error("a bad number");
            }
        }
    }
}
