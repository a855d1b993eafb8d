package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

import com.sun.net.httpserver.HttpServer;

/**
 * The edge policies on a node as a process. CORS: pages served from two other origins on
 * loopback (a small JDK server each) are loaded in headless Chromium (Debian's, driven through
 * its own chromedriver by Selenium; nothing downloads a browser) and make a real {@code fetch}
 * with credentials and a custom header to the node: the listed origin gets its answer (the
 * preflight answered by the node, only the actual request reaching the upstream), the other
 * one fails in the browser; with {@code api-key} or a deny-all {@code ip-filter} written before
 * {@code cors}, the preflight is still answered and the page reads the 401/403. ip-filter:
 * clients bind 127.0.0.x (and {@code ::1}, the node listens on {@code ::}) as their source.
 * Both bundles are then updated ({@code bundle:update -r}) twice each under a stream of
 * preflights and filtered requests: every answer stays what it was.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class EdgePoliciesE2EIT {

    private static final int HTTP = 13000;
    private static final int ALLOWED_PAGE_PORT = 13010;
    private static final int OTHER_PAGE_PORT = 13011;
    private static final int DRIVER_PORT = 13020;
    private static final String ALLOWED = "http://127.0.0.1:" + ALLOWED_PAGE_PORT;
    private static final String OTHER = "http://127.0.0.1:" + OTHER_PAGE_PORT;
    /** A second listed origin of the cached API (no page is served there: plain requests carry it). */
    private static final String SECOND = "https://second.example";
    private static final String CORS = "origins: ['" + ALLOWED + "']\n    headers: [X-Trace, X-Api-Key]\n"
        + "    exposeHeaders: [X-Upstream]\n    credentials: true\n";

    /** Every request the upstream received, as "METHOD path origin". */
    private static final List<String> UPSTREAM_SAW = new CopyOnWriteArrayList<>();

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(new NodeSpec("edge1", "edge1", HTTP, HTTP + 1, HTTP + 2, 6051, Map.of())
            .withEnv("MERIDIAN_CLUSTER_PORT", "6051")
            .withEnv("MERIDIAN_CLUSTER_MEMBERS", "127.0.0.1:6051")
            .withEnv("MERIDIAN_HTTP_HOST", "::"))
        .upstream(HttpUpstream.with(4, 64).on("/", ex -> {
            UPSTREAM_SAW.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " "
                + ex.getRequestHeaders().getFirst("Origin"));
            ex.getRequestBody().readAllBytes();
            byte[] body = "{\"from\":\"upstream\"}".getBytes(StandardCharsets.UTF_8);
            // an upstream's own CORS answer, which the policy must replace (with credentials, "*" fails in a browser)
            ex.getResponseHeaders().add("Access-Control-Allow-Origin", "*");
            ex.getResponseHeaders().add("X-Upstream", "seen");
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        // methods listed: the preflight (OPTIONS) still reaches cors, the API never serves OPTIONS itself
        .api("cors", up -> api("cors", up, "  - type: cors\n    " + CORS) + "methods: [GET]\n")
        .api("keyed", up -> api("keyed", up, "  - type: api-key\n    header: X-Api-Key\n  - type: cors\n    " + CORS))
        .api("walled", up -> api("walled", up,
            "  - type: ip-filter\n    deny: [0.0.0.0/0, '::/0']\n  - type: cors\n    " + CORS))
        .api("cached", up -> api("cached", up, "  - type: cors\n    origins: ['" + ALLOWED + "', '" + SECOND + "']\n")
            + "cache: { ttl: 60s }\n")
        .api("ipf", up -> api("ipf", up, "  - type: ip-filter\n    allow: [127.0.0.0/30, '::1']\n    deny: [127.0.0.3]\n"))
        .api("ipf6", up -> api("ipf6", up, "  - type: ip-filter\n    deny: ['::1/128']\n"))
        .build();

    private static HttpServer allowedPage;
    private static HttpServer otherPage;
    private static HeadlessChromium chromium;
    private static ChromeDriver browser;

    private static String api(String id, Upstream up, String policies) {
        return "id: " + id + "\nbasePath: /" + id + "\nupstream: { url: '" + up.url("/" + id + "-up") + "', timeout: 10s }\n"
            + "policies:\n" + policies;
    }

    @BeforeAll
    static void startPagesAndBrowser() throws IOException {
        allowedPage = page(ALLOWED_PAGE_PORT);
        otherPage = page(OTHER_PAGE_PORT);
        chromium = HeadlessChromium.start(DRIVER_PORT, "edge", options -> { });
        browser = chromium.driver();
    }

    @AfterAll
    static void stopBrowserAndPages() {
        if (chromium != null) {
            chromium.close();
        }
        if (allowedPage != null) {
            allowedPage.stop(0);
        }
        if (otherPage != null) {
            otherPage.stop(0);
        }
    }

    /** A page on its own origin (loopback, {@code port}); the fetch runs from it. */
    private static HttpServer page(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        server.createContext("/", ex -> {
            byte[] body = "<!doctype html><title>edge</title><p>cross-origin page</p>".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return server;
    }

    /**
     * Loads a page of {@code origin} and runs, in it, a {@code fetch} of {@code url} with
     * credentials and {@code headers}: {@code status:<n> upstream:<X-Upstream> body:<text>}, or
     * {@code error:<what the browser threw>}.
     */
    private static String fetchFrom(String origin, String url, Map<String, String> headers) {
        browser.get(origin + "/");
        StringBuilder js = new StringBuilder("const done = arguments[arguments.length - 1];\n")
            .append("fetch(arguments[0], {credentials: 'include', headers: arguments[1]})\n")
            .append("  .then(r => r.text().then(t => done('status:' + r.status + ' upstream:' + r.headers.get('X-Upstream') + ' body:' + t)))\n")
            .append("  .catch(e => done('error:' + e));");
        return String.valueOf(((JavascriptExecutor) browser).executeAsyncScript(js.toString(), url, headers));
    }

    private static String path(String api) {
        return "/" + api + "/data-" + UUID.randomUUID();
    }

    /** The node's access-log line for {@code method} on {@code path}, once written. */
    private static String accessLine(String method, String path) {
        Path log = CLUSTER.node(0).home.resolve("data/log/access.log");
        String[] line = new String[1];
        Awaitility.await(method + " " + path + " in the access log").atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> Files.exists(log) && (line[0] = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .filter(l -> l.contains(" method=" + method + " path=\"" + path + "\"")).findFirst().orElse(null)) != null);
        return line[0];
    }

    private static List<String> upstreamSaw(String path) {
        String suffix = path.substring(path.indexOf("/data-"));
        return UPSTREAM_SAW.stream().filter(s -> s.contains(suffix)).toList();
    }

    // ------------------------------------------------------------------ cors

    @Test
    void should_let_an_allowed_origin_read_the_answer_with_credentials_and_a_custom_header() {
        String path = path("cors");

        String result = fetchFrom(ALLOWED, CLUSTER.node(0).trafficUrl(path), Map.of("X-Trace", "t-1"));

        assertEquals("status:200 upstream:seen body:{\"from\":\"upstream\"}", result);
        assertTrue(accessLine("OPTIONS", path).contains(" status=204 "), "the preflight was answered by the node");
        assertEquals(List.of("GET /cors-up" + path.substring(5) + " " + ALLOWED), upstreamSaw(path),
            "only the actual request reached the upstream");
    }

    @Test
    void should_fail_in_the_browser_for_an_origin_not_listed() {
        String path = path("cors");

        String result = fetchFrom(OTHER, CLUSTER.node(0).trafficUrl(path), Map.of("X-Trace", "t-2"));

        assertTrue(result.startsWith("error:TypeError"), result);
        assertTrue(accessLine("OPTIONS", path).contains(" status=403 "), "the preflight was refused");
        assertEquals(List.of(), upstreamSaw(path));
    }

    @Test
    void should_answer_the_preflight_before_an_api_key_policy_written_first() {
        String path = path("keyed");

        String result = fetchFrom(ALLOWED, CLUSTER.node(0).trafficUrl(path), Map.of("X-Api-Key", "not-a-key"));

        // the page reads the 401: the preflight passed, and the rejection carries the allow headers
        assertTrue(result.startsWith("status:401 upstream:null body:") && result.contains("\"error\""), result);
        assertTrue(accessLine("OPTIONS", path).contains(" status=204 "), accessLine("OPTIONS", path));
        assertTrue(accessLine("GET", path).contains(" status=401 "), accessLine("GET", path));
        assertEquals(List.of(), upstreamSaw(path));
    }

    @Test
    void should_answer_the_preflight_before_an_ip_filter_written_first() {
        String path = path("walled");

        String result = fetchFrom(ALLOWED, CLUSTER.node(0).trafficUrl(path), Map.of("X-Trace", "t-3"));

        assertTrue(result.startsWith("status:403 upstream:null body:") && result.contains("client address not allowed"), result);
        assertTrue(accessLine("OPTIONS", path).contains(" status=204 "), accessLine("OPTIONS", path));
        assertEquals(List.of(), upstreamSaw(path));
    }

    @Test
    void should_pass_a_request_without_origin_untouched_but_for_vary() throws IOException {
        String path = path("cors");

        String answer = send("127.0.0.1", "GET", path, Map.of("X-Trace", "t-4"));

        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        String lower = answer.toLowerCase(Locale.ROOT);
        assertTrue(lower.contains("\r\nvary: origin\r\n"), answer);
        assertFalse(lower.contains("access-control-allow-origin"), "the upstream's '*' is not passed on: " + answer);
    }

    @Test
    void should_give_every_answer_of_a_cached_api_the_allow_origin_of_its_own_request() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String url = CLUSTER.node(0).trafficUrl(path("cached"));
        List<String> origins = Arrays.asList(ALLOWED, SECOND, null, "https://evil.example", ALLOWED, SECOND);
        List<String> seen = new ArrayList<>();

        for (String origin : origins) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
            if (origin != null) {
                b.header("Origin", origin);
            }
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.headers().allValues("Vary").stream().anyMatch(v -> v.contains("Origin")), r.headers().map().toString());
            seen.add(r.headers().firstValue("Access-Control-Allow-Origin").orElse("-") + " " + r.headers().firstValue("X-Cache").orElse("?"));
        }

        // the upstream's "*" never shows; an origin's allow header never reaches another origin, hit or miss
        List<String> allow = seen.stream().map(s -> s.substring(0, s.indexOf(' '))).toList();
        assertEquals(List.of(ALLOWED, SECOND, "-", "-", ALLOWED, SECOND), allow, seen.toString());
        assertTrue(seen.get(4).endsWith(" HIT") && seen.get(5).endsWith(" HIT"), "the repeats are served from the cache: " + seen);
    }

    @Test
    void should_refuse_credentials_with_any_origin_and_a_bad_cidr_at_apply_with_422() throws Exception {
        MeridianNode node = CLUSTER.node(0);
        String corsStar = "id: bad-cors\nbasePath: /bad-cors\nupstream: { url: 'http://127.0.0.1:1/' }\npolicies:\n"
            + "  - type: cors\n    origins: ['*']\n    credentials: true\n";
        String badCidr = "id: bad-ipf\nbasePath: /bad-ipf\nupstream: { url: 'http://127.0.0.1:1/' }\npolicies:\n"
            + "  - type: ip-filter\n    deny: [10.0.0.0/8, 10.0.0.1/8]\n";

        HttpResponse<String> cors = node.send("PUT", "/api/v1/apis/bad-cors", "application/yaml", corsStar);
        HttpResponse<String> ipf = node.send("PUT", "/api/v1/apis/bad-ipf", "application/yaml", badCidr);

        assertEquals(422, cors.statusCode(), cors.body());
        assertTrue(cors.body().contains("policies[0].origins"), cors.body());
        assertEquals(422, ipf.statusCode(), ipf.body());
        assertTrue(ipf.body().contains("policies[0].deny[1]") && ipf.body().contains("10.0.0.0/8"), ipf.body());
    }

    // ------------------------------------------------------------------ ip-filter

    @Test
    void should_let_through_allowed_peers_and_refuse_denied_and_unlisted_ones() throws IOException {
        assertStatus(200, send("127.0.0.1", "GET", path("ipf"), Map.of()));
        assertStatus(200, send("127.0.0.2", "GET", path("ipf"), Map.of()));
        String denied = send("127.0.0.3", "GET", path("ipf"), Map.of());
        assertStatus(403, denied);
        assertTrue(denied.contains("\"error\"") && denied.contains("client address not allowed"), denied);
        assertStatus(403, send("127.0.0.9", "GET", path("ipf"), Map.of()));
    }

    @Test
    void should_ignore_a_forwarded_for_from_an_untrusted_peer() throws IOException {
        assertStatus(403, send("127.0.0.3", "GET", path("ipf"), Map.of("X-Forwarded-For", "127.0.0.1")));
        assertStatus(403, send("127.0.0.9", "GET", path("ipf"), Map.of("X-Forwarded-For", "127.0.0.2")));
    }

    @Test
    void should_filter_ipv6_peers() throws IOException {
        assertStatus(200, send("::1", "GET", path("ipf"), Map.of()));
        assertStatus(403, send("::1", "GET", path("ipf6"), Map.of()));
        assertStatus(200, send("127.0.0.1", "GET", path("ipf6"), Map.of()));
    }

    // ------------------------------------------------------------------ hot swap

    @Test
    void should_answer_every_request_alike_while_both_policy_bundles_are_updated() throws Exception {
        MeridianNode node = CLUSTER.node(0);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest preflight = HttpRequest.newBuilder(URI.create(node.trafficUrl("/cors/hot")))
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10))
            .header("Origin", ALLOWED).header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "x-trace").build();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong answered = new AtomicLong();
        List<String> wrong = new CopyOnWriteArrayList<>();
        Thread browserLike = new Thread(() -> {
            while (running.get()) {
                try {
                    HttpResponse<String> r = client.send(preflight, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 204 || !ALLOWED.equals(r.headers().firstValue("Access-Control-Allow-Origin").orElse(null))) {
                        wrong.add("preflight: " + r.statusCode() + " " + r.headers().map());
                    }
                    answered.incrementAndGet();
                } catch (IOException | InterruptedException | RuntimeException e) {
                    wrong.add("preflight: " + e);
                }
            }
        }, "edge-hot-preflight");
        Thread peers = new Thread(() -> {
            while (running.get()) {
                try {
                    String denied = send("127.0.0.3", "GET", "/ipf/hot", Map.of());
                    String allowed = send("127.0.0.1", "GET", "/ipf/hot", Map.of());
                    if (!denied.startsWith("HTTP/1.1 403 ") || !allowed.startsWith("HTTP/1.1 200 ")) {
                        wrong.add("ip-filter: " + firstLine(denied) + " / " + firstLine(allowed));
                    }
                    answered.addAndGet(2);
                } catch (IOException | RuntimeException e) {
                    wrong.add("ip-filter: " + e);
                }
            }
        }, "edge-hot-peers");
        browserLike.start();
        peers.start();
        int updates = 0;
        try {
            awaitMore(answered, 200);
            for (int round = 0; round < 2; round++) {
                for (String bundle : List.of("dev.meridian.policy.cors", "dev.meridian.policy.ip-filter")) {
                    node.shell("bundle:update -r " + bundle);
                    updates++;
                    awaitMore(answered, 200);
                }
            }
        } finally {
            running.set(false);
            browserLike.join(TimeUnit.SECONDS.toMillis(20));
            peers.join(TimeUnit.SECONDS.toMillis(20));
        }

        System.out.printf("edge hot swap: %d requests answered through %d bundle updates, %d wrong%n", answered.get(),
            updates, wrong.size());
        assertEquals(List.of(), wrong.stream().limit(5).toList(), wrong.size() + " wrong answers");
        assertEquals(4, updates);
    }

    private static void awaitMore(AtomicLong answered, long n) {
        long before = answered.get();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= before + n);
    }

    private static String firstLine(String answer) {
        int end = answer.indexOf("\r\n");
        return end < 0 ? answer : answer.substring(0, end);
    }

    private static void assertStatus(int status, String answer) {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), () -> "expected " + status + ": " + answer);
    }

    /** One request from {@code from} (the socket's bound source address) to the node; the whole answer as text. */
    private static String send(String from, String method, String path, Map<String, String> headers) throws IOException {
        InetAddress source = InetAddress.getByName(from); // literals only: no lookup
        InetAddress node = source.getAddress().length == 16 ? InetAddress.getByName("::1") : InetAddress.getByName("127.0.0.1");
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(source, 0));
            s.connect(new InetSocketAddress(node, HTTP), 5_000);
            s.setSoTimeout(20_000);
            StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: gw\r\n")
                .append("Connection: close\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            OutputStream out = s.getOutputStream();
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            in.transferTo(answer);
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
