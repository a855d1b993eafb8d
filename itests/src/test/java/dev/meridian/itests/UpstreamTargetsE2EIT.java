package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.sun.net.httpserver.HttpServer;

/**
 * Upstream targets on a real node (CONTRACT §8): three target processes' worth of sockets on fixed
 * loopback ports (so that a killed one comes back where it was), weights, a target killed under
 * load without a 5xx answered, health checks in {@code /metrics}, the target coming back, the
 * breaker, the retry budget, an apply that keeps the targets' connections and health, and the
 * access log's {@code upstream=} field.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpstreamTargetsE2EIT {

    private static final int A = 20100;
    private static final int B = 20101;
    private static final int C = 20102;
    private static final int D = 20103;
    private static final int E = 20104;

    @RegisterExtension
    static final MeridianCluster<Upstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("tg1", 20000, 6111))
        .cluster("upstream-targets-it")
        .build();

    private static final Map<Integer, Target> TARGETS = new ConcurrentHashMap<>();

    /** A target on a fixed port: counts requests and the client ports (connections) they came over; its status and /health set by the test. */
    static final class Target implements Upstream {
        final int port;
        final AtomicInteger status = new AtomicInteger(200);
        final AtomicInteger health = new AtomicInteger(200);
        final AtomicInteger requests = new AtomicInteger();
        final Set<Integer> connections = ConcurrentHashMap.newKeySet();
        final List<Integer> requestPorts = java.util.Collections.synchronizedList(new ArrayList<>());
        private volatile HttpServer server;
        private volatile ExecutorService pool;

        Target(int port) throws IOException {
            this.port = port;
            start();
        }

        synchronized void start() throws IOException {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
            pool = Executors.newFixedThreadPool(8);
            s.setExecutor(pool);
            s.createContext("/", ex -> {
                ex.getRequestBody().readAllBytes();
                int answer;
                if (ex.getRequestURI().getPath().equals("/health")) {
                    answer = health.get();
                } else {
                    requests.incrementAndGet();
                    connections.add(ex.getRemoteAddress().getPort());
                    requestPorts.add(ex.getRemoteAddress().getPort());
                    answer = status.get();
                }
                byte[] body = ("target " + port).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(answer, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            });
            s.start();
            server = s;
        }

        /** Stops at once: open connections are closed, new ones refused. */
        synchronized void kill() {
            server.stop(0);
            pool.shutdownNow();
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public void close() {
            kill();
        }
    }

    private static Target target(int port) throws Exception {
        Target t = TARGETS.get(port);
        if (t == null) {
            t = CLUSTER.startUpstream(() -> new Target(port));
            TARGETS.put(port, t);
        }
        return t;
    }

    private static String url(int port) {
        return "http://127.0.0.1:" + port;
    }

    private static MeridianNode node() {
        return CLUSTER.node(0);
    }

    private static void apply(String yaml) throws Exception {
        HttpResponse<String> r = node().send("PUT", "/api/v1/apis/tg?wait=all", "application/yaml", yaml);
        assertEquals(200, r.statusCode(), r.body());
    }

    private static String api(String targets, String extra) {
        return "id: tg\nbasePath: /tg\nupstream:\n  targets: [" + targets + "]\n  timeout: 5s\n"
            + "  healthCheck: {path: /health, interval: 1s, unhealthyAfter: 2, healthyAfter: 2}\n"
            + "  retries: {attempts: 2, on: [connect-failure, 502, 503], budget: 20%}\n" + extra;
    }

    private static String metric(String name, int port) throws Exception {
        String body = node().get(node().adminUrl("/metrics"), false).body();
        Matcher m = Pattern.compile("(?m)^" + name + "\\{target=\"" + Pattern.quote(url(port)) + "\"} (\\d+)$").matcher(body);
        return m.find() ? m.group(1) : "(absent)";
    }

    private static int get(String path) throws Exception {
        return node().get(node().trafficUrl(path), false).statusCode();
    }

    @Test
    @Order(1)
    void should_share_requests_3_to_1_by_weight_and_log_the_target() throws Exception {
        Target a = target(A);
        Target b = target(B);
        apply(api("{url: '" + url(A) + "', weight: 3}, {url: '" + url(B) + "', weight: 1}", ""));
        for (int i = 0; i < 400; i++) {
            assertEquals(200, get("/tg/w" + i));
        }
        System.out.println("UpstreamTargetsE2EIT: weights 3:1 over 400 requests -> a " + a.requests + ", b " + b.requests);
        assertEquals(300, a.requests.get());
        assertEquals(100, b.requests.get());
        Path log = node().home.resolve("data/log/access.log");
        String line = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log)
            ? Files.readAllLines(log).stream().filter(l -> l.contains("path=\"/tg/w0\"")).findFirst().orElse(null) : null,
            l -> l != null);
        assertTrue(line.endsWith(" upstream=" + url(A)), line);
    }

    @Test
    @Order(2)
    void should_answer_no_5xx_when_a_target_is_killed_under_load_then_skip_it_and_take_it_back() throws Exception {
        Target a = target(A);
        Target b = target(B);
        AtomicBoolean running = new AtomicBoolean(true);
        Map<Integer, AtomicInteger> statuses = new TreeMap<>();
        ExecutorService load = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int worker = w;
            workers.add(load.submit(() -> {
                int i = 0;
                while (running.get()) {
                    int s = get("/tg/load-" + worker + "-" + i++);
                    synchronized (statuses) {
                        statuses.computeIfAbsent(s, k -> new AtomicInteger()).incrementAndGet();
                    }
                }
                return null;
            }));
        }
        Thread.sleep(2_000);
        b.kill();
        long killed = System.nanoTime();
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> metric("meridian_upstream_target_healthy", B).equals("0"));
        long unhealthyMs = (System.nanoTime() - killed) / 1_000_000;
        int aBefore = a.requests.get();
        Thread.sleep(2_000);
        running.set(false);
        for (Future<?> f : workers) {
            f.get(30, TimeUnit.SECONDS);
        }
        load.shutdownNow();
        System.out.println("UpstreamTargetsE2EIT: target killed under load (4 clients): answers " + statuses
            + ", marked unhealthy after " + unhealthyMs + " ms, retries " + retries());
        statuses.keySet().forEach(s -> assertTrue(s < 500, "a " + s + " answered: " + statuses));
        assertTrue(a.requests.get() > aBefore, "traffic went on to a");

        // b comes back where it was: healthy after two probes, and traffic reaches it again
        b.start();
        int bBefore = b.requests.get();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> metric("meridian_upstream_target_healthy", B).equals("1"));
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            get("/tg/back");
            return b.requests.get() > bBefore;
        });
    }

    private static String retries() throws Exception {
        Matcher m = Pattern.compile("(?m)^meridian_upstream_retries_total\\{api=\"tg\"} (\\d+)$")
            .matcher(node().get(node().adminUrl("/metrics"), false).body());
        return m.find() ? m.group(1) : "(absent)";
    }

    @Test
    @Order(3)
    void should_keep_connections_and_health_across_an_apply_that_keeps_the_targets() throws Exception {
        Target a = target(A);
        Target b = target(B);
        b.health.set(503);
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> metric("meridian_upstream_target_healthy", B).equals("0"));
        for (int i = 0; i < 20; i++) {
            assertEquals(200, get("/tg/before"));
        }
        Set<Integer> before = new HashSet<>(a.connections);
        int bRequests = b.requests.get();
        // the same targets, another weight and retry setting: a new upstream, the same target states and pools
        apply(api("{url: '" + url(A) + "', weight: 2}, {url: '" + url(B) + "', weight: 2}",
            ""));
        assertEquals("0", metric("meridian_upstream_target_healthy", B), "b's health kept across the apply");
        int from = a.requestPorts.size();
        for (int i = 0; i < 20; i++) {
            assertEquals(200, get("/tg/after"));
        }
        List<Integer> ports;
        synchronized (a.requestPorts) {
            ports = new ArrayList<>(a.requestPorts.subList(from, a.requestPorts.size()));
        }
        long old = ports.stream().filter(before::contains).count();
        System.out.println("UpstreamTargetsE2EIT: after an apply keeping the targets, " + old + " of " + ports.size()
            + " requests to a on connections from before (" + before.size() + " before, " + a.connections.size() + " now)");
        assertTrue(old > 0, "every request came over a new connection: " + ports + ", before " + before);
        assertEquals(bRequests, b.requests.get(), "no request to the unhealthy b after the apply");
        b.health.set(200);
    }

    @Test
    @Order(4)
    void should_open_the_breaker_of_a_failing_target() throws Exception {
        target(A);
        Target c = target(C);
        c.status.set(500);
        apply("id: tg\nbasePath: /tg\nupstream:\n  targets: [{url: '" + url(A) + "'}, {url: '" + url(C) + "'}]\n"
            + "  circuitBreaker: {failureRatio: 50%, window: 10s, openFor: 30s, minRequests: 2}\n");
        int fivexx = 0;
        for (int i = 0; i < 40; i++) {
            if (get("/tg/breaker") >= 500) {
                fivexx++;
            }
        }
        System.out.println("UpstreamTargetsE2EIT: breaker: " + c.requests + " requests reached the failing target, "
            + fivexx + " 500s passed on (no retries set)");
        assertEquals(2, c.requests.get(), "the breaker opened after 2 of 2 failed");
        assertEquals("1", metric("meridian_upstream_target_breaker_state", C));
    }

    @Test
    @Order(5)
    void should_bound_retries_by_the_budget_when_every_target_fails() throws Exception {
        Target d = target(D);
        Target e = target(E);
        d.status.set(503);
        e.status.set(503);
        apply("id: tg\nbasePath: /tg\nupstream:\n  targets: [{url: '" + url(D) + "'}, {url: '" + url(E) + "'}]\n"
            + "  retries: {attempts: 3, on: [503], budget: 10%}\n");
        int n = 100;
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            statuses.merge(get("/tg/budget"), 1, Integer::sum);
        }
        int hits = d.requests.get() + e.requests.get();
        System.out.println("UpstreamTargetsE2EIT: every target failing, " + n + " requests, attempts 3, budget 10%: answers "
            + statuses + ", " + hits + " upstream requests (up to " + (n * 4) + " without budget and ejection), retries "
            + retries() + ", ejected " + metric("meridian_upstream_target_ejected", D) + "/" + metric("meridian_upstream_target_ejected", E));
        assertEquals(Map.of(503, n), statuses);
        assertTrue(hits <= n + Math.max(3, n / 10), "upstream requests " + hits);
        assertTrue(Integer.parseInt(retries()) <= Math.max(3, n / 10), retries());
    }
}
