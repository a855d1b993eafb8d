package dev.meridian.http.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.PolicyChain;
import dev.meridian.core.flow.Steps;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

/**
 * Upstream targets through the real data plane, in process: a Jetty server with this bundle's
 * handler, upstream client and {@link Targets}; JDK HTTP servers as targets (each counts what it
 * receives and answers its own status), a closed port as a dead target; the access log and the
 * metrics text as a user sees them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamTargetsFlowTest {

    @TempDir
    Path dir;

    private QueuedThreadPool threads;
    private HttpClient client;
    private BodyStore bodies;
    private AccessLog accessLog;
    private Server server;
    private Targets targets;
    private int port;
    private final List<HttpServer> upstreams = new ArrayList<>();
    private final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

    /** A target: counts requests per method, answers {@code status} (and /health {@code health}), names itself. */
    private final class Target {
        final String name;
        final HttpServer server;
        final AtomicInteger status = new AtomicInteger(200);
        final AtomicInteger health = new AtomicInteger(200);
        final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
        final AtomicInteger probes = new AtomicInteger();
        final List<String> bodies = java.util.Collections.synchronizedList(new ArrayList<>());

        Target(String name) throws IOException {
            this.name = name;
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            server.createContext("/", ex -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                int answer;
                if (ex.getRequestURI().getPath().equals("/health")) {
                    probes.incrementAndGet();
                    answer = health.get();
                } else {
                    hits.computeIfAbsent(ex.getRequestMethod(), k -> new AtomicInteger()).incrementAndGet();
                    bodies.add(new String(body, StandardCharsets.UTF_8));
                    answer = status.get();
                }
                byte[] out = name.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("X-Who", name);
                ex.sendResponseHeaders(answer, out.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(out);
                }
            });
            server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
            server.start();
            upstreams.add(server);
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        int requests() {
            return hits.values().stream().mapToInt(AtomicInteger::get).sum();
        }
    }

    /** Ports held until the gateway listens (so that it cannot take one), then closed: connections are refused. */
    private final List<ServerSocket> held = new ArrayList<>();

    /** A port nothing listens on once the gateway started: connections are refused. */
    private String deadUrl() throws IOException {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        return "http://127.0.0.1:" + s.getLocalPort();
    }

    /**
     * An upstream that dies between its answer's head and its body, on every connection: reads a
     * request head, writes {@code head} (and no more), closes (as a target killed under load does).
     */
    private String diesAfterItsHead(String head) throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!s.isClosed()) {
                try (java.net.Socket c = s.accept()) {
                    java.io.InputStream in = c.getInputStream();
                    int matched = 0;
                    for (int b; matched < 4 && (b = in.read()) >= 0; ) {
                        matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
                    }
                    c.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    // closed by the test, or the gateway let go first
                }
            }
        });
        t.setDaemon(true);
        t.start();
        closers.add(s);
        return "http://127.0.0.1:" + s.getLocalPort();
    }

    private final List<ServerSocket> closers = new ArrayList<>();

    private void start(String upstreamYaml) throws Exception {
        threads = new QueuedThreadPool(16, 2);
        threads.start();
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setExecutor(threads);
        UpstreamTlsContexts tls = new UpstreamTlsContexts();
        client = new HttpClient(new UpstreamTransport(connector, tls));
        client.setExecutor(threads);
        client.start();
        bodies = BodyStore.open(dir.resolve("spool"), 64 * 1024, 1024 * 1024);
        JettyUpstream up = new JettyUpstream(client, threads, true, tls, bodies);
        targets = new Targets(new HealthChecks(client));
        up.targets(targets);
        PolicyChain policies = new PolicyChain((action, delayMillis) -> {
            var task = client.getScheduler().schedule(action, delayMillis, TimeUnit.MILLISECONDS);
            return task::cancel;
        });
        String yaml = "id: t\nbasePath: /t\nupstream: " + upstreamYaml + "\n";
        ApiDefinition api = DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
        RouteTable table = new RouteTable(1, 1, List.of(new Route(api, List.of(), new ApiMetrics(api.id()))));
        targets.retainUsedBy(table);
        accessLog = new AccessLog(dir.resolve("access.log"), 1 << 20, 1);
        server = new Server(threads);
        ServerConnector serverConnector = new ServerConnector(server, 1, 1,
            SlowClientSweeper.connections(new HttpConfiguration()));
        serverConnector.setHost("127.0.0.1");
        server.addConnector(serverConnector);
        GatewayHandler handler = new GatewayHandler(() -> table, () -> { }, accessLog, () -> null, TrustedProxies.NONE);
        handler.steps(new Steps(policies, CacheSteps.NONE, up), CacheSteps.NONE);
        server.setHandler(handler);
        server.start();
        port = serverConnector.getLocalPort();
        for (ServerSocket s : held) {
            s.close();
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (targets != null) {
            targets.stop();
        }
        if (server != null) {
            server.stop();
            client.stop();
            threads.stop();
            bodies.close();
            accessLog.close();
        }
        upstreams.forEach(s -> s.stop(0));
        for (ServerSocket s : closers) {
            s.close();
        }
    }

    private HttpResponse<String> send(String method, String body, String requestId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/t/x"))
            .timeout(Duration.ofSeconds(10)).header("X-Request-Id", requestId);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Map<Integer, Integer> statuses(String method, int n) throws Exception {
        Map<Integer, Integer> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(send(method, method.equals("GET") ? null : "body-" + i, "r" + i).statusCode(), 1, Integer::sum);
        }
        return counts;
    }

    private String metrics() {
        StringBuilder out = new StringBuilder();
        targets.metrics(out);
        return out.toString();
    }

    private static String line(String metrics, String name, String target) {
        String prefix = name + "{target=\"" + target + "\"} ";
        return metrics.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
            .orElse("(absent)");
    }

    @Test
    void should_share_requests_by_weight_and_log_the_target_that_answered() throws Exception {
        Target a = new Target("a");
        Target b = new Target("b");
        start("{targets: [{url: '" + a.url() + "', weight: 3}, {url: '" + b.url() + "'}]}");
        assertEquals(Map.of(200, 400), statuses("GET", 400));
        assertEquals(300, a.requests());
        assertEquals(100, b.requests());
        // POSTs (Jetty's client, a body) are balanced alike
        assertEquals(Map.of(200, 40), statuses("POST", 40));
        assertEquals(330, a.requests());
        String line = await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(dir.resolve("access.log"))
            .stream().filter(l -> l.contains("request_id=r1 ")).findFirst().orElse(null), l -> l != null);
        assertTrue(line.endsWith(" upstream=" + a.url()) || line.endsWith(" upstream=" + b.url()), line);
        assertEquals("330", line(metrics(), "meridian_upstream_target_requests_total", a.url()));
    }

    @Test
    void should_answer_no_5xx_with_a_dead_target_then_eject_it() throws Exception {
        Target a = new Target("a");
        String dead = deadUrl();
        start("{targets: [{url: '" + a.url() + "'}, {url: '" + dead + "'}], retries: {attempts: 2, on: [connect-failure]}}");
        assertEquals(Map.of(200, 200), statuses("GET", 200));
        assertEquals(200, a.requests());
        String m = metrics();
        // round-robin sent the 2nd, 4th and 6th request there: three connect failures in a row eject it
        assertEquals(String.valueOf(TargetState.EJECT_AFTER), line(m, "meridian_upstream_target_failures_total", dead), m);
        assertEquals("1", line(m, "meridian_upstream_target_ejected", dead), m);
        assertEquals("1", line(m, "meridian_upstream_target_ejections_total", dead), m);
        assertTrue(m.contains("meridian_upstream_retries_total{api=\"t\"} 3\n"), m);
        // a PUT's body is sent again, whole, to the live target; a POST is never retried
        Target b = a;
        assertEquals(200, send("PUT", "the-body", "put").statusCode());
        assertTrue(b.bodies.contains("the-body"));
    }

    @Test
    void should_retry_elsewhere_when_a_target_dies_between_its_head_and_its_body() throws Exception {
        // CI saw this once in 25k requests with a target killed under load: the client got Jetty's 500
        Target a = new Target("a");
        String half = diesAfterItsHead("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n");
        start("{targets: [{url: '" + a.url() + "'}, {url: '" + half + "'}], retries: {attempts: 2, on: [connect-failure]}}");
        assertEquals(Map.of(200, 20), statuses("GET", 20));
        assertEquals(20, a.requests());
    }

    @Test
    void should_answer_502_when_the_upstream_dies_before_the_first_byte_of_a_streamed_body() throws Exception {
        // a chunked body is not awaited whole: the head was handed over, nothing was sent to the client yet
        String half = diesAfterItsHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-From: upstream\r\n\r\n");
        start("{url: '" + half + "'}");
        HttpResponse<String> r = send("GET", null, "cut");
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("{\"error\":\"upstream failed\"}", r.body());
        assertTrue(r.headers().firstValue("X-From").isEmpty(), "the upstream's fields are not the answer's");
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
        assertEquals("cut", r.headers().firstValue("X-Request-Id").orElse(null));
        String line = await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(dir.resolve("access.log"))
            .stream().filter(l -> l.contains("request_id=cut ")).findFirst().orElse(null), l -> l != null);
        assertTrue(line.contains(" status=502 ") && line.contains(" error=\""), line);
    }

    @Test
    void should_send_a_put_body_again_whole_to_the_next_target() throws Exception {
        String dead = deadUrl();
        Target a = new Target("a");
        start("{targets: [{url: '" + dead + "'}, {url: '" + a.url() + "'}], retries: {attempts: 1}}");
        String body = "x".repeat(20_000); // received whole in memory, sent once to the dead target, then again
        HttpResponse<String> r = send("PUT", body, "put1");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of(body), a.bodies);
        assertEquals(1, a.hits.get("PUT").get());
    }

    @Test
    void should_not_retry_a_post() throws Exception {
        String dead = deadUrl();
        Target a = new Target("a");
        start("{targets: [{url: '" + dead + "'}, {url: '" + a.url() + "'}], retries: {attempts: 2}}");
        assertEquals(502, send("POST", "x", "p1").statusCode(), "the first target is the dead one");
        assertEquals(0, a.requests());
        assertEquals(200, send("GET", null, "g1").statusCode());
        assertEquals(200, send("GET", null, "g2").statusCode(), "retried on a after the dead target refused");
        assertEquals(2, a.requests());
    }

    @Test
    void should_stop_sending_to_an_unhealthy_target_and_resume_once_healthy() throws Exception {
        Target a = new Target("a");
        Target b = new Target("b");
        start("{targets: [{url: '" + a.url() + "'}, {url: '" + b.url() + "'}],"
            + " healthCheck: {path: /health, interval: 1s, unhealthyAfter: 2, healthyAfter: 2}}");
        a.health.set(503);
        await().atMost(Duration.ofSeconds(10)).until(() -> line(metrics(), "meridian_upstream_target_healthy", a.url()).equals("0"));
        int before = a.requests();
        assertEquals(Map.of(200, 50), statuses("GET", 50));
        assertEquals(before, a.requests(), "no request to the unhealthy target");
        assertEquals("1", line(metrics(), "meridian_upstream_target_healthy", b.url()));
        a.health.set(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> line(metrics(), "meridian_upstream_target_healthy", a.url()).equals("1"));
        assertEquals(Map.of(200, 50), statuses("GET", 50));
        assertEquals(before + 25, a.requests(), "back in the rotation");
        assertTrue(a.probes.get() >= 4, "probes " + a.probes.get());
    }

    @Test
    void should_answer_503_at_once_when_every_target_is_down() throws Exception {
        Target a = new Target("a");
        a.health.set(500);
        start("{targets: [{url: '" + a.url() + "'}], healthCheck: {path: /health, interval: 1s, unhealthyAfter: 1}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> line(metrics(), "meridian_upstream_target_healthy", a.url()).equals("0"));
        HttpResponse<String> r = send("GET", null, "down");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("\"error\"") && r.body().contains(TargetCall.NONE_AVAILABLE), r.body());
        assertEquals(0, a.requests());
    }

    @Test
    void should_open_the_breaker_of_a_failing_target() throws Exception {
        Target a = new Target("a");
        Target b = new Target("b");
        a.status.set(500);
        start("{targets: [{url: '" + a.url() + "'}, {url: '" + b.url() + "'}],"
            + " circuitBreaker: {failureRatio: 50%, window: 10s, openFor: 30s, minRequests: 2}}");
        Map<Integer, Integer> counts = statuses("GET", 40);
        assertEquals(Map.of(500, 2, 200, 38), counts, "a answered twice (no retries configured), then its breaker opened");
        assertEquals(2, a.requests());
        String m = metrics();
        assertEquals("1", line(m, "meridian_upstream_target_breaker_state", a.url()), m);
        assertEquals("1", line(m, "meridian_upstream_target_breaker_openings_total", a.url()), m);
    }

    @Test
    void should_bound_retries_by_the_budget_when_every_target_fails() throws Exception {
        Target a = new Target("a");
        Target b = new Target("b");
        a.status.set(503);
        b.status.set(503);
        start("{targets: [{url: '" + a.url() + "'}, {url: '" + b.url() + "'}],"
            + " retries: {attempts: 5, on: [503], budget: 10%}}");
        // spread over time so that passive ejection (3 in a row per target) does not hide the budget:
        // every other request succeeds on its first try
        int n = 100;
        for (int i = 0; i < n; i++) {
            if (i % 2 == 1) {
                a.status.set(200);
                b.status.set(200);
                assertEquals(200, send("GET", null, "ok" + i).statusCode());
                a.status.set(503);
                b.status.set(503);
            } else {
                assertEquals(503, send("GET", null, "f" + i).statusCode());
            }
        }
        int hits = a.requests() + b.requests();
        String m = metrics();
        // 100 requests, 10% budget: at most 10 retries in the window (the minimum of 3 is below it)
        assertTrue(hits <= n + 10, "upstream requests " + hits + "\n" + m);
        assertTrue(hits > n, "some retries were made: " + hits);
        assertTrue(m.contains("meridian_upstream_retries_refused_total{api=\"t\"} "), m);
    }
}
