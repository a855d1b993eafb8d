package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Traffic split on three nodes (CONTRACT §8, issue 13 item 3), two real upstreams that answer
 * their own name: a 5% split over 100,000 distinct sticky keys spread over the nodes lands within
 * 5% ± 0.5 pp and puts each key on the same shape on every node; raising the weight to 20% then
 * 100% by applies under load moves no key back to main and fails no request; a cookie split gives
 * a new client its id and keeps it on its shape on every node; a consumer split keeps each
 * consumer (identified by the API's api-key policy) on one shape on every node; the response cache keeps each
 * shape's answers apart; {@code X-Meridian-Shape} on a split API's answers only; {@code /metrics}
 * counts the shapes apart. Figures (share, requests per second, keys moved) are printed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SplitE2EIT {

    private static final int KEYS = 100_000;
    private static final int RAISE_KEYS = 20_000;

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("sp1", 21000, 6121), NodeSpec.of("sp2", 21010, 6122), NodeSpec.of("sp3", 21020, 6123))
        .cluster("split-it")
        .password("split-secret")
        .upstream(named("main"))
        .build();

    /** The shape of each key after the 5% split: 0 main, 1 v2. */
    private static final byte[] FIRST = new byte[KEYS];
    private static volatile HttpUpstream v2;

    /** An upstream answering its own name. */
    private static HttpUpstream.Spec named(String name) {
        return HttpUpstream.with(8, 512).on("/", ex -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
    }

    private static String pricing(String weight) {
        return String.join("\n", "id: pricing", "basePath: /pricing",
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }",
            "split: { stickyBy: 'header:X-User', to: [{shape: v2, weight: " + weight + "}] }",
            "shapes: { v2: { upstream: { url: '" + v2.url("/") + "' } } }", "");
    }

    /** The shape a reply says, checked against the body its upstream wrote. */
    private static String shapeOf(KeepAliveClient.Reply r) {
        assertEquals(200, r.status(), r.body());
        String shape = r.headers().get("x-meridian-shape");
        assertEquals(r.body(), shape, "X-Meridian-Shape names the upstream that answered");
        return shape;
    }

    @Test
    @Order(10)
    void should_send_five_percent_of_keys_to_v2_and_each_key_to_one_shape_on_every_node() throws Exception {
        v2 = CLUSTER.startUpstream(named("v2"));
        CLUSTER.apply("pricing", pricing("5%"));

        int threadsPerNode = 4;
        ExecutorService pool = Executors.newFixedThreadPool(3 * threadsPerNode);
        AtomicInteger failed = new AtomicInteger();
        long start = System.nanoTime();
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int n = 0; n < 3; n++) {
                for (int t = 0; t < threadsPerNode; t++) {
                    int node = n;
                    int lane = t;
                    work.add(pool.submit(() -> {
                        try (KeepAliveClient c = new KeepAliveClient(CLUSTER.node(node).httpPort)) {
                            // keys i with i % 3 == node, split over this node's lanes
                            for (int i = node + 3 * lane; i < KEYS; i += 3 * threadsPerNode) {
                                KeepAliveClient.Reply r = c.get("/pricing/quote", Map.of("X-User", "u-" + i));
                                if (r.status() != 200) {
                                    failed.incrementAndGet();
                                    continue;
                                }
                                FIRST[i] = (byte) ("v2".equals(shapeOf(r)) ? 1 : 0);
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : work) {
                f.get(150, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int toV2 = 0;
        for (byte b : FIRST) {
            toV2 += b;
        }
        double share = 100.0 * toV2 / KEYS;
        System.out.printf("SplitE2EIT: split 5%% over %d keys on 3 nodes: %.3f%% to v2 (%d), %d failed, %.0f req/s%n",
            KEYS, share, toV2, failed.get(), KEYS / seconds);
        assertEquals(0, failed.get());
        assertTrue(share >= 4.5 && share <= 5.5, "share " + share);

        // the same key on the other nodes: the same shape
        int checked = 0;
        for (int n = 0; n < 3; n++) {
            try (KeepAliveClient c = new KeepAliveClient(CLUSTER.node(n).httpPort)) {
                for (int i = 0; i < 3000; i++) {
                    if (i % 3 == n) {
                        continue;
                    }
                    String shape = shapeOf(c.get("/pricing/quote", Map.of("X-User", "u-" + i)));
                    assertEquals(FIRST[i] == 1 ? "v2" : "main", shape, "key u-" + i + " on " + CLUSTER.node(n).name);
                    checked++;
                }
            }
        }
        System.out.printf("SplitE2EIT: %d keys asked again on the other nodes: all on the same shape%n", checked);
    }

    @Test
    @Order(20)
    void should_move_no_key_back_to_main_when_the_weight_rises_under_load() throws Exception {
        // per node and key: 1 once that node answered v2 for it; a later main from that node is a move back
        AtomicIntegerArray seenV2 = new AtomicIntegerArray(3 * RAISE_KEYS);
        AtomicInteger backToMain = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicLong served = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        for (int i = 0; i < RAISE_KEYS; i++) {
            if (FIRST[i] == 1) {
                for (int n = 0; n < 3; n++) {
                    seenV2.set(n * RAISE_KEYS + i, 1);
                }
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<?>> load = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int node = t % 3;
            int lane = t / 3;
            load.add(pool.submit(() -> {
                try (KeepAliveClient c = new KeepAliveClient(CLUSTER.node(node).httpPort)) {
                    for (int i = lane; !stop.get(); i = (i + 2) % RAISE_KEYS) {
                        KeepAliveClient.Reply r = c.get("/pricing/quote", Map.of("X-User", "u-" + i));
                        served.incrementAndGet();
                        if (r.status() != 200) {
                            failed.incrementAndGet();
                            continue;
                        }
                        boolean nowV2 = "v2".equals(shapeOf(r));
                        if (nowV2) {
                            seenV2.set(node * RAISE_KEYS + i, 1);
                        } else if (seenV2.get(node * RAISE_KEYS + i) == 1) {
                            backToMain.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        try {
            for (String weight : List.of("20%", "100%")) {
                long before = served.get();
                long applied = System.nanoTime();
                CLUSTER.apply("pricing", pricing(weight));
                System.out.printf("SplitE2EIT: raised to %s under load (apply with wait=all took %d ms)%n", weight,
                    (System.nanoTime() - applied) / 1_000_000);
                // a full pass over the keys on each node after the apply, at least
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> served.get() - before >= 3L * RAISE_KEYS);
            }
        } finally {
            stop.set(true);
            for (Future<?> f : load) {
                f.get(30, TimeUnit.SECONDS);
            }
            pool.shutdownNow();
        }
        int v2Keys = 0;
        for (int i = 0; i < 3 * RAISE_KEYS; i++) {
            v2Keys += seenV2.get(i);
        }
        System.out.printf("SplitE2EIT: %d requests during 5%% -> 20%% -> 100%%: %d moved back to main, %d failed,"
            + " %d of %d (node, key) pairs seen on v2 under load%n", served.get(), backToMain.get(), failed.get(), v2Keys, 3 * RAISE_KEYS);
        assertEquals(0, backToMain.get());
        assertEquals(0, failed.get());
        // at 100%, every key on v2 on every node
        for (MeridianNode n : CLUSTER.nodes()) {
            try (KeepAliveClient c = new KeepAliveClient(n.httpPort)) {
                for (int i = 0; i < RAISE_KEYS; i++) {
                    assertEquals("v2", shapeOf(c.get("/pricing/quote", Map.of("X-User", "u-" + i))), "u-" + i + " on " + n.name);
                }
            }
        }
    }

    @Test
    @Order(30)
    void should_give_a_new_client_a_cookie_and_keep_it_on_its_shape_on_every_node() throws Exception {
        CLUSTER.apply("shop", String.join("\n", "id: shop", "basePath: /shop",
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }",
            "split: { stickyBy: 'cookie:ab_id', to: [{shape: v2, weight: 50%}] }",
            "shapes: { v2: { upstream: { url: '" + v2.url("/") + "' } } }", ""));
        Set<String> shapes = new HashSet<>();
        try (KeepAliveClient c0 = new KeepAliveClient(CLUSTER.node(0).httpPort);
             KeepAliveClient c1 = new KeepAliveClient(CLUSTER.node(1).httpPort);
             KeepAliveClient c2 = new KeepAliveClient(CLUSTER.node(2).httpPort)) {
            List<KeepAliveClient> clients = List.of(c0, c1, c2);
            for (int user = 0; user < 60; user++) {
                KeepAliveClient.Reply first = clients.get(user % 3).get("/shop/cart", Map.of());
                String shape = shapeOf(first);
                shapes.add(shape);
                String setCookie = first.headers().get("set-cookie");
                assertNotNull(setCookie, "a client without the cookie gets one");
                assertTrue(setCookie.startsWith("ab_id=") && setCookie.contains("HttpOnly")
                    && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/shop"), setCookie);
                String cookie = setCookie.substring(0, setCookie.indexOf(';'));
                for (KeepAliveClient c : clients) {
                    for (int again = 0; again < 3; again++) {
                        KeepAliveClient.Reply r = c.get("/shop/cart", Map.of("Cookie", "theme=dark; " + cookie));
                        assertEquals(shape, shapeOf(r), cookie);
                        assertNull(r.headers().get("set-cookie"), "a client with its cookie keeps it");
                    }
                }
            }
        }
        assertEquals(Set.of("main", "v2"), shapes, "60 new clients at 50%: both shapes");
    }

    @Test
    @Order(35)
    void should_keep_each_consumer_on_one_shape_on_every_node_after_its_authentication() throws Exception {
        StringBuilder set = new StringBuilder(String.join("\n", "id: keyed", "basePath: /keyed",
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }",
            "policies: [{type: api-key}]",
            "split: { stickyBy: consumer, to: [{shape: v2, weight: 50%}] }",
            "shapes: { v2: { upstream: { url: '" + v2.url("/") + "' } } }", ""));
        int consumers = 24;
        for (int i = 0; i < consumers; i++) {
            set.append("---\nkind: consumer\nid: c").append(i).append("\nkeys: [{id: k, secret: \"split-key-")
                .append(i).append("-0123456789abcdef\"}]\n");
        }
        var r = CLUSTER.node(0).send("POST", "/api/v1/apply?wait=all", "application/yaml", set.toString());
        assertEquals(200, r.statusCode(), r.body());
        Set<String> shapes = new HashSet<>();
        List<KeepAliveClient> clients = new ArrayList<>();
        try {
            for (MeridianNode n : CLUSTER.nodes()) {
                clients.add(new KeepAliveClient(n.httpPort));
            }
            for (int i = 0; i < consumers; i++) {
                Map<String, String> key = Map.of("X-Api-Key", "split-key-" + i + "-0123456789abcdef");
                String shape = shapeOf(clients.get(0).get("/keyed/x", key));
                shapes.add(shape);
                for (KeepAliveClient c : clients) {
                    assertEquals(shape, shapeOf(c.get("/keyed/x", key)), "consumer c" + i);
                }
            }
            KeepAliveClient.Reply anonymous = clients.get(1).get("/keyed/x");
            assertEquals(401, anonymous.status(), anonymous.body());
            assertEquals("main", anonymous.headers().get("x-meridian-shape"), "the API's policies answered before any choice");
        } finally {
            for (KeepAliveClient c : clients) {
                c.close();
            }
        }
        assertEquals(Set.of("main", "v2"), shapes, consumers + " consumers at 50%: both shapes");
    }

    @Test
    @Order(40)
    void should_never_serve_one_shapes_cached_answer_to_the_other() throws Exception {
        CLUSTER.apply("cached", String.join("\n", "id: cached", "basePath: /cached",
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }",
            "cache: { ttl: 60s }",
            "split: { stickyBy: 'header:X-User', to: [{shape: v2, weight: 5%}] }",
            "shapes: { v2: { upstream: { url: '" + v2.url("/") + "' } } }", ""));
        // the buckets are salted with the API id: find one key per shape of this API
        String onMain = null;
        String onV2 = null;
        try (KeepAliveClient c = new KeepAliveClient(CLUSTER.node(0).httpPort)) {
            for (int i = 0; i < 2000 && (onMain == null || onV2 == null); i++) {
                String key = "c-" + i;
                String shape = shapeOf(c.get("/cached/probe/" + i, Map.of("X-User", key)));
                if (shape.equals("v2") && onV2 == null) {
                    onV2 = key;
                } else if (shape.equals("main") && onMain == null) {
                    onMain = key;
                }
            }
            assertNotNull(onMain);
            assertNotNull(onV2);
            KeepAliveClient.Reply m1 = c.get("/cached/item", Map.of("X-User", onMain));
            assertEquals("main", shapeOf(m1));
            assertEquals("MISS", m1.headers().get("x-cache"));
            KeepAliveClient.Reply v1 = c.get("/cached/item", Map.of("X-User", onV2));
            assertEquals("v2", shapeOf(v1), "v2's user never gets main's cached answer");
            assertEquals("MISS", v1.headers().get("x-cache"));
        }
        for (MeridianNode n : CLUSTER.nodes()) {
            try (KeepAliveClient c = new KeepAliveClient(n.httpPort)) {
                KeepAliveClient.Reply m = c.get("/cached/item", Map.of("X-User", onMain));
                assertEquals("main", shapeOf(m), n.name);
                assertEquals("HIT", m.headers().get("x-cache"), n.name);
                KeepAliveClient.Reply v = c.get("/cached/item", Map.of("X-User", onV2));
                assertEquals("v2", shapeOf(v), n.name);
                assertEquals("HIT", v.headers().get("x-cache"), n.name);
            }
        }
    }

    @Test
    @Order(45)
    void should_answer_no_5xx_when_a_target_of_the_shape_is_dead() throws Exception {
        // 21499: in this test's port range, nothing listens there (connections refused)
        CLUSTER.apply("guarded", String.join("\n", "id: guarded", "basePath: /guarded",
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }",
            "split: { stickyBy: 'header:X-User', to: [{shape: v2, weight: 100%}] }",
            "shapes:",
            "  v2:",
            "    upstream:",
            "      targets: [{url: '" + v2.url("") + "'}, {url: 'http://127.0.0.1:21499'}]",
            "      healthCheck: {path: /health, interval: 1s, unhealthyAfter: 1, healthyAfter: 1}",
            "      retries: {attempts: 2, on: [connect-failure, 502, 503], budget: 100%}", ""));
        int fiveXx = 0;
        int n = 0;
        for (MeridianNode node : CLUSTER.nodes()) {
            try (KeepAliveClient c = new KeepAliveClient(node.httpPort)) {
                for (int i = 0; i < 200; i++, n++) {
                    KeepAliveClient.Reply r = c.get("/guarded/x", Map.of("X-User", "g-" + i));
                    if (r.status() >= 500) {
                        fiveXx++;
                    } else {
                        assertEquals("v2", shapeOf(r));
                    }
                }
            }
        }
        System.out.printf("SplitE2EIT: %d requests to a shape with one dead target of two: %d answered 5xx%n", n, fiveXx);
        assertEquals(0, fiveXx);
    }

    @Test
    @Order(50)
    void should_stamp_only_split_apis_and_count_shapes_apart_in_metrics() throws Exception {
        CLUSTER.apply("plain", String.join("\n", "id: plain", "basePath: /plain",
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }", ""));
        try (KeepAliveClient c = new KeepAliveClient(CLUSTER.node(1).httpPort)) {
            KeepAliveClient.Reply r = c.get("/plain/x");
            assertEquals(200, r.status());
            assertFalse(r.headers().containsKey("x-meridian-shape"), "an API without split is not stamped");
        }
        MeridianNode n = CLUSTER.node(0);
        String metrics = n.get(n.adminUrl("/metrics"), false).body();
        long v2 = sample(metrics, "meridian_requests_total{api=\"pricing\",shape=\"v2\",code=\"2xx\"}");
        long main = sample(metrics, "meridian_requests_total{api=\"pricing\",code=\"2xx\"}");
        System.out.printf("SplitE2EIT: %s /metrics: pricing main 2xx %d, v2 2xx %d%n", n.name, main, v2);
        assertTrue(v2 > 0 && main > 0, metrics);
        assertTrue(metrics.contains("meridian_request_duration_seconds_count{api=\"pricing\",shape=\"v2\"}"), metrics);
    }

    private static long sample(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\d+)").matcher(metrics);
        assertTrue(m.find(), series + " in " + metrics);
        return Long.parseLong(m.group(1));
    }

    /**
     * The console's data (issue 14): each node counts its own answers per API and shape; any node's
     * {@code GET /api/v1/metrics/series} merges every node's part exactly, with the apply as a
     * marker; {@code /metrics/stream} pushes the merged second.
     */
    @Test
    @Order(60)
    void should_merge_every_nodes_series_exactly_and_stream_the_merged_second() throws Exception {
        long from = System.currentTimeMillis() / 1_000 - 1;
        HttpResponse<String> applied = CLUSTER.apply("counted", String.join("\n", "id: counted", "basePath: /counted",
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }", ""));
        long revision = Long.parseLong(field(applied.body(), "revision"));
        int[] sent = {50, 70, 90};
        for (int n = 0; n < 3; n++) {
            try (KeepAliveClient c = new KeepAliveClient(CLUSTER.node(n).httpPort)) {
                for (int i = 0; i < sent[n]; i++) {
                    assertEquals(200, c.get("/counted/x" + i).status());
                }
            }
        }
        long to = System.currentTimeMillis() / 1_000 + 1;
        for (String res : List.of("1s", "1m")) {
            MeridianNode asked = CLUSTER.node(1);
            HttpResponse<String> r = asked.get(asked.adminUrl("/api/v1/metrics/series?api=counted&res=" + res + "&from=" + (from - 60)
                + "&to=" + (to + 60)), true);
            assertEquals(200, r.statusCode(), r.body());
            String body = r.body();
            System.out.printf("SplitE2EIT: series %s of counted from %s: %s%n", res, asked.name,
                body.length() > 600 ? body.substring(0, 600) + "..." : body);
            Matcher total = Pattern.compile("\"total\":\\{\"requests\":(\\d+)").matcher(body);
            assertTrue(total.find(), body);
            assertEquals(50 + 70 + 90, Long.parseLong(total.group(1)), "every node's answers, merged exactly (" + res + ")");
            assertTrue(body.contains("\"nodes\":[\"sp1\",\"sp2\",\"sp3\"]"), "all three nodes answered: " + body);
            assertTrue(body.contains("\"failed\":{}"), body);
            assertTrue(Pattern.compile("\"kind\":\"apply\",\"revision\":" + revision + ",\"user\":\"admin\"").matcher(body).find(),
                "the apply of revision " + revision + " is a marker: " + body);
        }
        // the nodes page's propagation: every node's last served revision, commit to served there
        HttpResponse<String> listing = CLUSTER.node(2).get(CLUSTER.node(2).adminUrl("/api/v1/cluster?served=true"), true);
        assertEquals(200, listing.statusCode(), listing.body());
        Matcher served = Pattern.compile("\"served\":\\{\"revision\":(\\d+),\"propagationMs\":(\\d+)").matcher(listing.body());
        int nodesServed = 0;
        while (served.find()) {
            assertTrue(Long.parseLong(served.group(1)) >= revision, listing.body());
            assertTrue(Long.parseLong(served.group(2)) < 10_000, "propagation in ms: " + listing.body());
            nodesServed++;
        }
        assertEquals(3, nodesServed, "each node's last served revision and its propagation: " + listing.body());
        System.out.println("SplitE2EIT: cluster?served=true: " + listing.body());

        HttpResponse<String> bad = CLUSTER.node(0).get(CLUSTER.node(0).adminUrl("/api/v1/metrics/series?res=7s&from=x"), true);
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("\"path\":\"res\"") && bad.body().contains("\"path\":\"from\""), bad.body());

        // the stream: an event of a second holding the API's merged counts, while a client keeps asking
        AtomicBoolean stop = new AtomicBoolean();
        Thread load = new Thread(() -> {
            try (KeepAliveClient c = new KeepAliveClient(CLUSTER.node(2).httpPort)) {
                while (!stop.get()) {
                    c.get("/counted/live");
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                // the assertion below says what was missed
            }
        });
        load.start();
        java.net.HttpURLConnection stream = (java.net.HttpURLConnection) java.net.URI.create(
            CLUSTER.node(0).adminUrl("/api/v1/metrics/stream")).toURL().openConnection();
        stream.setRequestProperty("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
            "admin:split-secret".getBytes(StandardCharsets.UTF_8)));
        stream.setReadTimeout(10_000);
        try (java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(stream.getInputStream(),
            StandardCharsets.UTF_8))) {
            assertEquals(200, stream.getResponseCode());
            assertTrue(stream.getContentType().startsWith("text/event-stream"), stream.getContentType());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String event = null;
            String seen = null;
            for (String line; System.nanoTime() < deadline && (line = lines.readLine()) != null; ) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ") && "second".equals(event) && line.contains("\"api\":\"counted\"")) {
                    seen = line;
                    break;
                }
            }
            assertNotNull(seen, "an event of a second with the API's counts within 10 s");
            assertTrue(seen.contains("\"nodes\":[\"sp1\",\"sp2\",\"sp3\"]"), seen);
            System.out.println("SplitE2EIT: stream event: " + (seen.length() > 400 ? seen.substring(0, 400) + "..." : seen));
        } finally {
            stop.set(true);
            stream.disconnect();
            load.join(5_000);
        }
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), name + " in " + json);
        return m.group(1);
    }
}
