package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rate-limit policy on three nodes (issue 13, item 1; CONTRACT §8). The upstream counts the
 * requests it gets per second of arrival (the windows are aligned on the epoch, so a node's
 * window and the upstream's second agree to the loopback's latency).
 *
 * <ul>
 * <li>Cluster scope, 1,000/s for the API, clients sending ~3,000/s spread over the three nodes
 * for {@link #LOAD}: every full second after a 2 s warm-up admits at most 1,000 and, when its clients got at least 2,000 answers in it (a shared box can stall them), at least 980 (98%), counted by
 * the upstream and from the 200 answers; the third node is SIGKILLed halfway through (the
 * window it dies in loses at most its unused lease, never over-admits).</li>
 * <li>An apply that changes the limit mid-window keeps the window's count.</li>
 * <li>{@code scope: node} admits the limit on each node: limit x nodes.</li>
 * <li>429 with {@code Retry-After}, {@code RateLimit-Policy} and {@code RateLimit} exact; the
 * same draft headers on admitted answers; a bad configuration answers 422 naming the field.</li>
 * </ul>
 * The figures (what the clients drove, admitted per window) are printed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RateLimitE2EIT {

    /** Load duration, as the issue asks (the class ran in ~2.5 minutes with 30 s). */
    private static final Duration LOAD = Duration.ofSeconds(60);
    private static final int LIMIT = 1_000;
    private static final int TARGET_RATE = 3_000;
    private static final int CLIENTS_PER_NODE = 6;
    /**
     * Seconds printed but not checked at the start of the load: 18 connections opened and the
     * code paths compiled while 3,000 requests/s arrive. In one run of a cold box the first second
     * admitted 890 at the upstream and 4 of them reached it in the next second (1,004 there;
     * never more than 2,000 over the two): the limit holds per window at the gateway, the
     * upstream's second lags it when an admitted request takes long to get there.
     */
    private static final int WARM_UP_SECONDS = 2;

    /** 429s the load's clients got, by second of the answer. */
    private static final ConcurrentMap<Long, AtomicInteger> refusedPerSecond = new ConcurrentHashMap<>();
    /** Requests the upstream got, by path prefix and by second of arrival. */
    private static final ConcurrentMap<String, ConcurrentMap<Long, AtomicInteger>> ARRIVALS = new ConcurrentHashMap<>();

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("rl1", 19000, 6101), NodeSpec.of("rl2", 19010, 6102), NodeSpec.of("rl3", 19020, 6103))
        .cluster("ratelimit-it")
        .password("ratelimit-secret")
        .upstream(HttpUpstream.with(16, 512).on("/", ex -> {
            long second = System.currentTimeMillis() / 1_000;
            String path = ex.getRequestURI().getPath();
            String api = path.substring(0, path.indexOf('/', 1) < 0 ? path.length() : path.indexOf('/', 1));
            ARRIVALS.computeIfAbsent(api, a -> new ConcurrentHashMap<>()).computeIfAbsent(second, s -> new AtomicInteger())
                .incrementAndGet();
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        .api("rl", up -> api("rl", up, "limit: " + LIMIT, "per: 1s", "key: api", "scope: cluster"))
        .build();

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String api(String id, Upstream up, String... policy) {
        // the upstream's path names the API: it counts arrivals by the path's first segment
        StringBuilder b = new StringBuilder("id: " + id + "\nbasePath: /" + id + "\nupstream: { url: '" + up.url("/" + id) + "' }\n"
            + "policies:\n  - type: rate-limit\n");
        for (String line : policy) {
            b.append("    ").append(line).append('\n');
        }
        return b.toString();
    }

    private static HttpResponse<String> call(MeridianNode node, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.trafficUrl(path))).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static int arrived(String api, long second) {
        AtomicInteger n = ARRIVALS.getOrDefault(api, new ConcurrentHashMap<>()).get(second);
        return n == null ? 0 : n.get();
    }

    private static int arrivedTotal(String api) {
        return ARRIVALS.getOrDefault(api, new ConcurrentHashMap<>()).values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /**
     * One client thread: a keep-alive connection to a node, requests paced at {@code rate}/s;
     * if its node dies it moves to the next live one (connection failures to a killed node are
     * counted apart, not as answers).
     */
    private static final class Client implements Runnable {
        final AtomicReferenceArray<MeridianNode> nodes;
        final AtomicReferenceArray<Boolean> alive;
        int node;
        final double rate;
        final long until;
        final ConcurrentMap<Long, AtomicInteger> ok;
        final AtomicLong limited;
        final AtomicLong other;
        final AtomicLong refused;

        Client(AtomicReferenceArray<MeridianNode> nodes, AtomicReferenceArray<Boolean> alive, int node, double rate, long until,
            ConcurrentMap<Long, AtomicInteger> ok, AtomicLong limited, AtomicLong other, AtomicLong refused) {
            this.nodes = nodes;
            this.alive = alive;
            this.node = node;
            this.rate = rate;
            this.until = until;
            this.ok = ok;
            this.limited = limited;
            this.other = other;
            this.refused = refused;
        }

        @Override
        public void run() {
            KeepAliveClient c = null;
            long start = System.nanoTime();
            long sent = 0;
            while (System.currentTimeMillis() < until) {
                long due = start + (long) (sent / rate * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
                sent++;
                try {
                    if (c == null) {
                        c = new KeepAliveClient(nodes.get(node).httpPort);
                    }
                    KeepAliveClient.Reply r = c.getAllowingClose("/rl/load");
                    if (r.status() == 200) {
                        ok.computeIfAbsent(System.currentTimeMillis() / 1_000, s -> new AtomicInteger()).incrementAndGet();
                    } else if (r.status() == 429) {
                        limited.incrementAndGet();
                        refusedPerSecond.computeIfAbsent(System.currentTimeMillis() / 1_000, s -> new AtomicInteger())
                            .incrementAndGet();
                    } else {
                        other.incrementAndGet();
                    }
                    if ("close".equalsIgnoreCase(r.headers().get("connection"))) {
                        c.close();
                        c = null;
                    }
                } catch (IOException e) {
                    close(c);
                    c = null;
                    if (!alive.get(node)) {
                        refused.incrementAndGet();
                        node = (node + 1) % nodes.length();
                    } else {
                        other.incrementAndGet();
                    }
                }
            }
            close(c);
        }

        private static void close(KeepAliveClient c) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing a socket after a failure: nothing more to learn
                }
            }
        }
    }

    @Test
    @Order(10)
    void should_admit_98_to_100_percent_of_the_limit_per_window_across_three_nodes_and_a_kill() throws Exception {
        int nodeCount = CLUSTER.nodes().size();
        AtomicReferenceArray<MeridianNode> nodes = new AtomicReferenceArray<>(CLUSTER.nodes().toArray(MeridianNode[]::new));
        AtomicReferenceArray<Boolean> alive = new AtomicReferenceArray<>(new Boolean[] {true, true, true});
        // warm-up: every node has compiled the API and leased once
        for (int i = 0; i < nodeCount; i++) {
            assertEquals(200, call(nodes.get(i), "/rl/warm").statusCode());
        }
        ConcurrentMap<Long, AtomicInteger> ok = new ConcurrentHashMap<>();
        AtomicLong limited = new AtomicLong();
        AtomicLong other = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        int clients = CLIENTS_PER_NODE * nodeCount;
        long startMillis = (System.currentTimeMillis() / 1_000 + 1) * 1_000; // start on a whole second
        long until = startMillis + LOAD.toMillis();
        while (System.currentTimeMillis() < startMillis) {
            Thread.onSpinWait();
        }
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            running.add(pool.submit(new Client(nodes, alive, i % nodeCount, (double) TARGET_RATE / clients, until, ok, limited,
                other, refused)));
        }
        // SIGKILL the third node halfway through, in the middle of a second
        long killAt = startMillis + LOAD.toMillis() / 2 + 400;
        while (System.currentTimeMillis() < killAt) {
            Thread.sleep(5);
        }
        alive.set(2, false);
        CLUSTER.node(2).kill();
        long killedSecond = killAt / 1_000;
        for (Future<?> f : running) {
            f.get(LOAD.toSeconds() + 60, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        Thread.sleep(500); // the last admitted requests reach the upstream

        long answered = ok.values().stream().mapToInt(AtomicInteger::get).sum() + limited.get() + other.get();
        System.out.printf("rate-limit e2e: %d clients drove %.0f requests/s for %d s over %d nodes (target %d/s): %d answered,"
            + " %d x 200, %d x 429, %d other, %d refused by the killed node%n", clients, answered / (double) LOAD.toSeconds(),
            LOAD.toSeconds(), nodeCount, TARGET_RATE, answered, answered - limited.get() - other.get(), limited.get(), other.get(),
            refused.get());
        StringBuilder perSecond = new StringBuilder();
        List<String> wrong = new ArrayList<>();
        int full = 0;
        int inRange = 0;
        int notDriven = 0;
        long minAdmitted = Long.MAX_VALUE;
        for (long s = startMillis / 1_000; s < until / 1_000; s++) {
            int up = arrived("/rl", s);
            int twoHundreds = ok.getOrDefault(s, new AtomicInteger()).get();
            int answeredThen = twoHundreds + refusedPerSecond.getOrDefault(s, new AtomicInteger()).get();
            boolean underDriven = answeredThen < 2 * LIMIT;
            boolean aroundKill = s == killedSecond || s == killedSecond + 1;
            boolean warming = s < startMillis / 1_000 + WARM_UP_SECONDS;
            perSecond.append(String.format("  second %d%s: upstream %d, 200s %d, answers %d%s%n", s - startMillis / 1_000,
                aroundKill ? " (node 3 killed in it or just before)" : warming ? " (warm-up, not checked)" : "", up, twoHundreds,
                answeredThen, underDriven ? " (under-driven: the floor not checked)" : ""));
            if (warming) {
                continue;
            }
            full++;
            // the upstream counts by arrival: a request a node admitted at the very end of window
            // s-1 may arrive in second s (CI saw 998 then 1001), so a second above the limit
            // counts as over-admission only if it and the one before passed two windows' worth
            int before = arrived("/rl", s - 1);
            if (up > LIMIT && up + before > 2 * LIMIT) {
                wrong.add("second " + (s - startMillis / 1_000) + ": " + up + " > " + LIMIT + " (the second before: " + before + ")");
            }
            if (aroundKill) {
                if (up < LIMIT - 64 - LIMIT / 50) {
                    wrong.add("second " + (s - startMillis / 1_000) + " (kill): " + up + ", more than one lease (64) lost");
                }
            } else if (up >= LIMIT * 98 / 100) {
                inRange++;
            } else if (underDriven) {
                notDriven++;
            } else {
                wrong.add("second " + (s - startMillis / 1_000) + ": " + up + " < 98% of " + LIMIT + " with " + answeredThen
                    + " answers");
            }
            minAdmitted = Math.min(minAdmitted, up);
        }
        System.out.print(perSecond);
        System.out.printf("rate-limit e2e: %d of %d checked seconds (the 2 around the kill apart) within [98%%, 100%%] of %d,"
            + " %d under-driven; lowest %d; upstream total %d, 200s total %d%n", inRange, full - 2, LIMIT, notDriven, minAdmitted,
            arrivedTotal("/rl"), ok.values().stream().mapToInt(AtomicInteger::get).sum());
        long windows = until / 1_000 - startMillis / 1_000 + 1;
        assertTrue(arrivedTotal("/rl") <= windows * LIMIT, "never more than the limit over the run: " + arrivedTotal("/rl")
            + " in " + windows + " windows");
        assertEquals(List.of(), wrong, perSecond.toString());
        assertEquals(0, other.get(), "no answer but 200 and 429 from a live node");
        assertTrue(inRange >= (full - 2) * 9 / 10, "at least 90% of the seconds fully driven\n" + perSecond);
    }

    @Test
    @Order(20)
    void should_keep_the_windows_count_across_an_apply_that_changes_the_limit() throws Exception {
        List<MeridianNode> live = CLUSTER.nodes().subList(0, 2);
        // an hour's window: the whole test runs inside one (waits if the hour is about to turn)
        while (System.currentTimeMillis() % 3_600_000 > 3_600_000 - 60_000) {
            Thread.sleep(1_000);
        }
        long hour = System.currentTimeMillis() / 3_600_000;
        applyOn(live.get(0), api("rl-apply", CLUSTER.upstream(), "limit: 100", "per: 1h", "key: api"));
        int admitted = 0;
        for (int i = 0; i < 60; i++) {
            admitted += call(live.get(i % 2), "/rl-apply/x").statusCode() == 200 ? 1 : 0;
        }
        assertEquals(60, admitted);
        applyOn(live.get(1), api("rl-apply", CLUSTER.upstream(), "limit: 80", "per: 1h", "key: api"));
        int after = 0;
        int refused = 0;
        for (int i = 0; i < 60; i++) {
            int status = call(live.get(i % 2), "/rl-apply/x").statusCode();
            after += status == 200 ? 1 : 0;
            refused += status == 429 ? 1 : 0;
        }
        assertEquals(hour, System.currentTimeMillis() / 3_600_000, "the test ran inside one window");
        assertEquals(20, after, "80 - the 60 already admitted in this window");
        assertEquals(40, refused);
        assertEquals(80, arrivedTotal("/rl-apply"), "the upstream got exactly the limit");
        System.out.printf("rate-limit e2e: limit 100 -> 80 by an apply after 60 admitted: %d more admitted, %d refused%n",
            after, refused);
    }

    @Test
    @Order(30)
    void should_admit_the_limit_on_each_node_with_scope_node() throws Exception {
        List<MeridianNode> live = CLUSTER.nodes().subList(0, 2);
        applyOn(live.get(0), api("rl-node", CLUSTER.upstream(), "limit: 50", "per: 1h", "key: api", "scope: node"));
        Map<String, Integer> admitted = new TreeMap<>();
        for (MeridianNode n : live) {
            int ok = 0;
            for (int i = 0; i < 80; i++) {
                ok += call(n, "/rl-node/x").statusCode() == 200 ? 1 : 0;
            }
            admitted.put(n.name, ok);
        }
        System.out.printf("rate-limit e2e: scope node, limit 50, 80 requests per live node: admitted %s%n", admitted);
        assertEquals(Map.of("rl1", 50, "rl2", 50), admitted, "limit x nodes");
    }

    @Test
    @Order(40)
    void should_answer_429_with_retry_after_and_the_draft_headers() throws Exception {
        MeridianNode node = CLUSTER.node(0);
        applyOn(node, api("rl-headers", CLUSTER.upstream(), "limit: 2", "per: 1h", "key: ip"));
        HttpResponse<String> first = call(node, "/rl-headers/x");
        HttpResponse<String> second = call(node, "/rl-headers/x");
        long now = System.currentTimeMillis();
        HttpResponse<String> third = call(node, "/rl-headers/x");
        assertEquals(List.of(200, 200, 429), List.of(first.statusCode(), second.statusCode(), third.statusCode()));
        long secondsLeft = (3_600_000 - now % 3_600_000 + 999) / 1_000;
        String retryAfter = third.headers().firstValue("Retry-After").orElseThrow();
        assertTrue(Math.abs(Long.parseLong(retryAfter) - secondsLeft) <= 2, retryAfter + " vs " + secondsLeft);
        assertEquals("\"ip\";q=2;w=3600", third.headers().firstValue("RateLimit-Policy").orElseThrow());
        assertEquals("\"ip\";r=0;t=" + retryAfter, third.headers().firstValue("RateLimit").orElseThrow());
        assertTrue(third.body().contains("\"error\"") && third.body().contains("rate limit exceeded"), third.body());
        assertEquals("\"ip\";q=2;w=3600", first.headers().firstValue("RateLimit-Policy").orElseThrow());
        assertTrue(first.headers().firstValue("RateLimit").orElseThrow().startsWith("\"ip\";r=1;t="),
            first.headers().map().toString());
        assertTrue(second.headers().firstValue("RateLimit").orElseThrow().startsWith("\"ip\";r=0;t="));

        HttpResponse<String> bad = node.send("PUT", "/api/v1/apis/rl-bad?wait=all", "application/yaml",
            api("rl-bad", CLUSTER.upstream(), "limit: -1", "per: 2h", "key: user"));
        assertEquals(422, bad.statusCode(), bad.body());
        for (String field : List.of("limit", "per", "key")) {
            assertTrue(bad.body().contains(field), field + " named in " + bad.body());
        }
        System.out.printf("rate-limit e2e: 429 headers: Retry-After: %s, RateLimit-Policy: %s, RateLimit: %s; bad config: %s%n",
            retryAfter, third.headers().firstValue("RateLimit-Policy").orElseThrow(),
            third.headers().firstValue("RateLimit").orElseThrow(), bad.body());
    }

    /**
     * The policy's bundle updated twice ({@code bundle:update -r}) on a node while two clients
     * stream requests through a rate-limited API: no request fails; a cluster-scope window spent
     * before the updates stays spent after them (its count lives in the cluster).
     */
    @Test
    @Order(50)
    void should_hot_swap_the_policy_bundle_under_load_without_a_failed_request() throws Exception {
        MeridianNode node = CLUSTER.node(0);
        applyOn(node, api("rl-swap", CLUSTER.upstream(), "limit: 1000000", "per: 1s", "key: api"));
        applyOn(node, api("rl-spent", CLUSTER.upstream(), "limit: 5", "per: 1h", "key: api"));
        while (System.currentTimeMillis() % 3_600_000 > 3_600_000 - 90_000) {
            Thread.sleep(1_000);
        }
        int spent = 0;
        for (int i = 0; i < 8; i++) {
            spent += call(node, "/rl-spent/x").statusCode() == 200 ? 1 : 0;
        }
        assertEquals(5, spent);
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        AtomicLong answered = new AtomicLong();
        List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> streams = new ArrayList<>();
        for (MeridianNode target : CLUSTER.nodes().subList(0, 2)) {
            Thread t = new Thread(() -> {
                KeepAliveClient c = null;
                while (running.get()) {
                    try {
                        if (c == null) {
                            c = new KeepAliveClient(target.httpPort);
                        }
                        KeepAliveClient.Reply r = c.getAllowingClose("/rl-swap/x");
                        if (r.status() != 200) {
                            wrong.add(target.name + ": " + r.status() + " " + r.body());
                        }
                        if ("close".equalsIgnoreCase(r.headers().get("connection"))) {
                            c.close();
                            c = null;
                        }
                        answered.incrementAndGet();
                    } catch (IOException e) {
                        wrong.add(target.name + ": " + e);
                        c = null;
                    }
                }
                Client.close(c);
            }, "rl-swap-" + target.name);
            t.start();
            streams.add(t);
        }
        int updates = 0;
        try {
            awaitMore(answered, 200);
            for (int round = 0; round < 2; round++) {
                node.shell("bundle:update -r dev.meridian.policy.rate-limit");
                updates++;
                awaitMore(answered, 500);
            }
        } finally {
            running.set(false);
            for (Thread t : streams) {
                t.join(20_000);
            }
        }
        System.out.printf("rate-limit e2e: %d requests through %d bundle updates, %d failed%n", answered.get(), updates,
            wrong.size());
        assertEquals(List.of(), wrong.stream().limit(5).toList(), wrong.size() + " failed requests");
        assertEquals(429, call(node, "/rl-spent/x").statusCode(), "the window spent before the updates stays spent");
        assertEquals(429, call(CLUSTER.node(1), "/rl-spent/x").statusCode());
    }

    private static void awaitMore(AtomicLong answered, long n) {
        long before = answered.get();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= before + n);
    }

    private static void applyOn(MeridianNode node, String yaml) throws Exception {
        String id = yaml.substring(4, yaml.indexOf('\n'));
        HttpResponse<String> r = node.send("PUT", "/api/v1/apis/" + id + "?wait=all", "application/yaml", yaml);
        assertEquals(200, r.statusCode(), "apply " + id + ": " + r.body());
    }
}
