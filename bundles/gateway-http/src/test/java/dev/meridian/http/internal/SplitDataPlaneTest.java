package dev.meridian.http.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Redaction;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ShapeSplit;
import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.PolicyChain;
import dev.meridian.core.flow.Steps;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;

/**
 * A split API through the real data plane (Jetty server, this bundle's handler and upstream
 * client, two JDK upstreams answering their own name): the shape's upstream answers,
 * {@code X-Meridian-Shape} names it, a cookie split sets its cookie once, the API's rejection says
 * {@code main}, the access log says {@code shape=}, counters per shape, no field on an API without
 * split. Both the direct path (no policies) and a chain with a policy.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SplitDataPlaneTest {

    @TempDir
    Path dir;

    private QueuedThreadPool threads;
    private HttpClient client;
    private BodyStore bodies;
    private AccessLog accessLog;
    private Server server;
    private final List<HttpServer> upstreams = new ArrayList<>();
    private int port;
    private ApiMetrics v2Metrics;

    private HttpServer named(String name) throws IOException {
        HttpServer up = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        up.createContext("/", ex -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        up.start();
        upstreams.add(up);
        return up;
    }

    private static ApiDefinition parse(String yaml) throws Exception {
        return DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
    }

    /** The main route of a split API with its shape v2, as the engine compiles it. */
    private Route split(String id, String stickyBy, String weight, List<Policy> policies, String main, String v2)
        throws Exception {
        ApiDefinition api = parse("id: " + id + "\nbasePath: /" + id + "\nupstream: { url: '" + main + "', timeout: 5s }\n"
            + "split: { stickyBy: '" + stickyBy + "', to: [{shape: v2, weight: " + weight + "}] }\n"
            + "shapes: { v2: { upstream: { url: '" + v2 + "', timeout: 5s } } }\n");
        ApiMetrics m = new ApiMetrics(ApiMetrics.key(id, "v2"));
        if (v2Metrics == null) {
            v2Metrics = m;
        }
        Route shape = Route.forShape(api, "v2", api.shapes().get("v2").upstream(), Redaction.NONE, policies, List.of(), m);
        return new Route(api, api.upstream(), Redaction.NONE, policies, new ApiMetrics(id),
            new ShapeSplit(api.id(), api.basePath(), api.split(), List.of(shape)));
    }

    @BeforeEach
    void dataPlane() throws Exception {
        String main = "http://127.0.0.1:" + named("main").getAddress().getPort() + "/";
        String v2 = "http://127.0.0.1:" + named("v2").getAddress().getPort() + "/";

        threads = new QueuedThreadPool(8, 2);
        threads.start();
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setExecutor(threads);
        UpstreamTlsContexts tls = new UpstreamTlsContexts();
        client = new HttpClient(new UpstreamTransport(connector, tls));
        client.setExecutor(threads);
        client.start();
        bodies = BodyStore.open(dir.resolve("spool"), 64 * 1024, 1024 * 1024);
        TrustedProxies proxies = TrustedProxies.parse("");
        JettyUpstream up = new JettyUpstream(client, threads, true, tls, bodies, proxies);
        PolicyChain policies = new PolicyChain((action, delayMillis) -> {
            var task = client.getScheduler().schedule(action, delayMillis, TimeUnit.MILLISECONDS);
            return task::cancel;
        });
        Policy auth = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return request.header("X-Key").map(k -> {
                    request.attributes().put(PolicyRequest.CONSUMER, k);
                    return Decision.proceed();
                }).orElse(Decision.reject(401, "no key"));
            }
        };
        RouteTable table = new RouteTable(1, 1, List.of(
            split("all", "header:X-User", "100%", List.of(), main, v2),
            split("none", "ip", "0%", List.of(), main, v2),
            split("cookie", "cookie:ab", "50%", List.of(), main, v2),
            split("keyed", "consumer", "100%", List.of(auth), main, v2),
            new Route(parse("id: plain\nbasePath: /plain\nupstream: { url: '" + main + "' }\n"), List.of(),
                new ApiMetrics("plain"))));

        accessLog = new AccessLog(dir.resolve("access.log"), 1 << 20, 1);
        server = new Server(threads);
        ServerConnector serverConnector = new ServerConnector(server, 1, 1,
            SlowClientSweeper.connections(new HttpConfiguration()));
        serverConnector.setHost("127.0.0.1");
        server.addConnector(serverConnector);
        GatewayHandler handler = new GatewayHandler(() -> table, () -> { }, accessLog, () -> null, proxies);
        handler.steps(new Steps(policies, CacheSteps.NONE, up), CacheSteps.NONE);
        server.setHandler(handler);
        server.start();
        port = serverConnector.getLocalPort();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
        client.stop();
        threads.stop();
        bodies.close();
        accessLog.close();
        upstreams.forEach(u -> u.stop(0));
    }

    /** The whole answer (head and body) to one GET with extra header lines. */
    private String get(String path, String requestId, String... fields) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            StringBuilder head = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n"
                + "X-Request-Id: " + requestId + "\r\n");
            for (String f : fields) {
                head.append(f).append("\r\n");
            }
            s.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private String accessLine(String requestId) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("access.log"))
            ? Files.readAllLines(dir.resolve("access.log")).stream().filter(l -> l.contains("request_id=" + requestId + " "))
                .findFirst().orElse(null) : null, l -> l != null);
    }

    @Test
    void should_send_the_request_to_the_shape_upstream_and_say_so() throws Exception {
        String a = get("/all/x", "r1", "X-User: u1");
        assertTrue(a.startsWith("HTTP/1.1 200"), a);
        assertTrue(a.contains("\r\nX-Meridian-Shape: v2\r\n"), a);
        assertTrue(a.endsWith("\r\n\r\nv2"), a);
        assertTrue(accessLine("r1").contains(" api=all shape=v2 rev=1 "), accessLine("r1"));
        assertEquals(1, v2Metrics.requests(2));

        String b = get("/none/x", "r2");
        assertTrue(b.contains("\r\nX-Meridian-Shape: main\r\n") && b.endsWith("\r\n\r\nmain"), b);
        assertTrue(accessLine("r2").contains(" api=none shape=main rev=1 "), accessLine("r2"));
    }

    @Test
    void should_not_stamp_an_api_without_split() throws Exception {
        String a = get("/plain/x", "p1");
        assertTrue(a.startsWith("HTTP/1.1 200") && a.endsWith("main"), a);
        assertFalse(a.contains("X-Meridian-Shape"), a);
        assertFalse(accessLine("p1").contains("shape="), accessLine("p1"));
    }

    @Test
    void should_choose_after_the_api_policies_and_stamp_their_rejection_main() throws Exception {
        String ok = get("/keyed/x", "k1", "X-Key: team-a");
        assertTrue(ok.contains("\r\nX-Meridian-Shape: v2\r\n") && ok.endsWith("v2"), ok);
        String refused = get("/keyed/x", "k2");
        assertTrue(refused.startsWith("HTTP/1.1 401"), refused);
        assertTrue(refused.contains("\r\nX-Meridian-Shape: main\r\n"), refused);
    }

    @Test
    void should_set_the_split_cookie_once_and_follow_it() throws Exception {
        String first = get("/cookie/x", "c1");
        int at = first.indexOf("\r\nSet-Cookie: ab=");
        assertTrue(at > 0, first);
        String setCookie = first.substring(at + 2, first.indexOf("\r\n", at + 2));
        assertTrue(setCookie.endsWith("; Path=/cookie; Max-Age=31536000; HttpOnly; SameSite=Lax"), setCookie);
        String cookie = setCookie.substring("Set-Cookie: ".length(), setCookie.indexOf(';'));
        String shape = first.substring(first.lastIndexOf('\n') + 1);
        for (int i = 0; i < 5; i++) {
            String again = get("/cookie/x", "c" + (i + 2), "Cookie: other=1; " + cookie);
            assertFalse(again.contains("Set-Cookie"), again);
            assertTrue(again.contains("\r\nX-Meridian-Shape: " + shape + "\r\n") && again.endsWith(shape), again);
        }
    }
}
