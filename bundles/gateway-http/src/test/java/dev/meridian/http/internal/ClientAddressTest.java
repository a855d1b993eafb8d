package dev.meridian.http.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
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
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
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
 * The client address through the real data plane: a Jetty server with this bundle's handler and
 * upstream client, a JDK upstream recording the {@code X-Forwarded-For} it receives, a policy
 * recording what {@link PolicyRequest} says, the access log; clients on loopback addresses
 * (127.0.0.2 trusted, 127.0.0.3 not) by binding their socket's local address. Both upstream
 * paths: bodiless GETs (Meridian's own HTTP/1.1 client) and POSTs with a body (Jetty's client).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientAddressTest {

    private static final String TRUSTED = "127.0.0.2";
    private static final String UNTRUSTED = "127.0.0.3";

    @TempDir
    Path dir;

    private QueuedThreadPool threads;
    private HttpClient client;
    private BodyStore bodies;
    private AccessLog accessLog;
    private Server server;
    private HttpServer upstream;
    private int port;
    private final BlockingQueue<String> forwardedFor = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();

    @BeforeEach
    void dataPlane() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        upstream.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            List<String> xff = ex.getRequestHeaders().get("X-Forwarded-For");
            forwardedFor.add(xff == null ? "(none)" : String.join(" | ", xff));
            ex.sendResponseHeaders(200, 2);
            try (OutputStream out = ex.getResponseBody()) {
                out.write("ok".getBytes(StandardCharsets.UTF_8));
            }
        });
        upstream.start();

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
        TrustedProxies proxies = TrustedProxies.parse(TRUSTED + ", 10.0.0.0/8, ::1");
        JettyUpstream up = new JettyUpstream(client, threads, true, tls, bodies, proxies);
        PolicyChain policies = new PolicyChain((action, delayMillis) -> {
            var task = client.getScheduler().schedule(action, delayMillis, TimeUnit.MILLISECONDS);
            return task::cancel;
        });
        Policy recorder = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                seen.add(request.clientAddress() + " via " + request.peerAddress());
                return Decision.proceed();
            }
        };
        String yaml = "id: t\nbasePath: /t\nupstream: { url: \"http://127.0.0.1:" + upstream.getAddress().getPort()
            + "/\", timeout: 5s }\n";
        ApiDefinition api = DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
        RouteTable table = new RouteTable(1, 1, List.of(new Route(api, List.of(recorder), new ApiMetrics(api.id()))));

        accessLog = new AccessLog(dir.resolve("access.log"), 1 << 20, 1);
        server = new Server(threads);
        ServerConnector serverConnector = new ServerConnector(server, 1, 1,
            SlowClientSweeper.connections(new HttpConfiguration()));
        serverConnector.setHost("::"); // IPv4 and IPv6 clients
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
        upstream.stop(0);
    }

    /** One request from {@code from} (a loopback address bound as the socket's local one); the status line. */
    private String send(String from, String method, String forwarded, String requestId) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress(from.contains(":") ? "::1" : "127.0.0.1", port), 5_000);
            s.setSoTimeout(10_000);
            String body = method.equals("POST") ? "hi" : "";
            String head = method + " /t/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-Request-Id: " + requestId + "\r\n"
                + (forwarded == null ? "" : "X-Forwarded-For: " + forwarded + "\r\n")
                + (body.isEmpty() ? "" : "Content-Length: " + body.length() + "\r\n") + "\r\n" + body;
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return answer.substring(0, answer.indexOf('\r'));
        }
    }

    private String accessLine(String requestId) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("access.log"))
            ? Files.readAllLines(dir.resolve("access.log")).stream().filter(l -> l.contains("request_id=" + requestId + " "))
                .findFirst().orElse(null) : null, l -> l != null);
    }

    @Test
    void should_ignore_a_spoofed_forwarded_for_from_an_untrusted_peer() throws Exception {
        for (String method : new String[] {"GET", "POST"}) {
            assertEquals("HTTP/1.1 200 OK", send(UNTRUSTED, method, "6.6.6.6, 10.0.0.9", "spoof-" + method));

            assertEquals(UNTRUSTED + " via " + UNTRUSTED, seen.poll(5, TimeUnit.SECONDS), method);
            assertEquals(UNTRUSTED, forwardedFor.poll(5, TimeUnit.SECONDS), method + ": the upstream sees the peer alone");
            String line = accessLine("spoof-" + method);
            assertTrue(line.contains(" client=" + UNTRUSTED + " upstream="), line);
        }
    }

    @Test
    void should_take_the_right_most_untrusted_hop_from_a_trusted_peer() throws Exception {
        for (String method : new String[] {"GET", "POST"}) {
            assertEquals("HTTP/1.1 200 OK", send(TRUSTED, method, "6.6.6.6, 198.51.100.7, 10.1.2.3", "via-" + method));

            assertEquals("198.51.100.7 via " + TRUSTED, seen.poll(5, TimeUnit.SECONDS), method);
            assertEquals("6.6.6.6, 198.51.100.7, 10.1.2.3, " + TRUSTED, forwardedFor.poll(5, TimeUnit.SECONDS),
                method + ": the received chain with the peer appended, in one field");
            String line = accessLine("via-" + method);
            assertTrue(line.contains(" client=198.51.100.7 peer=" + TRUSTED + " upstream="), line);
        }
    }

    @Test
    void should_use_the_trusted_peer_itself_when_it_sends_no_chain() throws Exception {
        assertEquals("HTTP/1.1 200 OK", send(TRUSTED, "GET", null, "bare"));

        assertEquals(TRUSTED + " via " + TRUSTED, seen.poll(5, TimeUnit.SECONDS));
        assertEquals(TRUSTED, forwardedFor.poll(5, TimeUnit.SECONDS));
        assertTrue(accessLine("bare").contains(" client=" + TRUSTED + " upstream="), accessLine("bare"));
    }

    @Test
    void should_trust_an_ipv6_peer_and_forward_it_without_brackets() throws Exception {
        assertEquals("HTTP/1.1 200 OK", send("::1", "GET", "2001:db8::7, [2001:db8::8]:443", "v6"));

        assertEquals("2001:db8::8 via [0:0:0:0:0:0:0:1]", seen.poll(5, TimeUnit.SECONDS));
        assertEquals("2001:db8::7, [2001:db8::8]:443, 0:0:0:0:0:0:0:1", forwardedFor.poll(5, TimeUnit.SECONDS));
        assertTrue(accessLine("v6").contains(" client=2001:db8::8 peer=[0:0:0:0:0:0:0:1] upstream="), accessLine("v6"));
    }
}
