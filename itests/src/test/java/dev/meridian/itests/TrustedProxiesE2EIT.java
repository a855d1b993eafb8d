package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Trusted proxies (CONTRACT §8) on a node as a process: {@code MERIDIAN_TRUSTED_PROXIES} names
 * 127.0.0.2 (a proxy in front of the node) and 10.0.0.0/8 (the proxies behind it); clients reach
 * the node from 127.0.0.2 or 127.0.0.3 by binding their socket's local address. The upstream
 * records the {@code X-Forwarded-For} each request brought (by {@code X-Request-Id}); the node's
 * access log and an {@code ip-filter} policy show the client the node believed.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class TrustedProxiesE2EIT {

    private static final int HTTP = 11000;
    private static final String PROXY = "127.0.0.2";
    private static final String STRANGER = "127.0.0.3";
    /** X-Request-Id → the X-Forwarded-For fields the upstream received (joined with " | "). */
    private static final Map<String, String> FORWARDED = new ConcurrentHashMap<>();

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(node("tp1", HTTP, 6031).withEnv("MERIDIAN_TRUSTED_PROXIES", PROXY + ", 10.0.0.0/8"))
        .upstream(HttpUpstream.with(8, 128).on("/", ex -> {
            List<String> xff = ex.getRequestHeaders().get("X-Forwarded-For");
            FORWARDED.put(String.valueOf(ex.getRequestHeaders().getFirst("X-Request-Id")),
                xff == null ? "(none)" : String.join(" | ", xff));
            ex.getRequestBody().readAllBytes();
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        .api("tp", up -> "id: tp\nbasePath: /tp\nupstream: { url: '" + up.url("/tp-up") + "', timeout: 10s }\n")
        .api("tp-guarded", up -> "id: tp-guarded\nbasePath: /guarded\nupstream: { url: '" + up.url("/guarded-up")
            + "', timeout: 10s }\npolicies:\n  - type: ip-filter\n    deny: [198.51.100.0/24]\n")
        .build();

    /** A node on this test's ports (11000-11099, cluster 6031-6039), a Hazelcast member of its own. */
    private static NodeSpec node(String name, int http, int clusterPort) {
        return new NodeSpec(name, name, http, http + 1, http + 2, clusterPort, Map.of())
            .withEnv("MERIDIAN_CLUSTER_PORT", Integer.toString(clusterPort))
            .withEnv("MERIDIAN_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort);
    }

    /** The status of one request sent from {@code from} (bound as the socket's local address) with the given fields. */
    private static int send(String from, String method, String path, String requestId, String forwardedFor) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress("127.0.0.1", HTTP), 5_000);
            s.setSoTimeout(20_000);
            String body = method.equals("POST") ? "{\"a\":1}" : "";
            StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: gw\r\n")
                .append("Connection: close\r\nX-Request-Id: ").append(requestId).append("\r\n");
            if (forwardedFor != null) {
                head.append("X-Forwarded-For: ").append(forwardedFor).append("\r\n");
            }
            if (!body.isEmpty()) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length()).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(head.append("\r\n").append(body).toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1)).readLine();
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    /** The node's access log line of a request, once written (the log is written by a thread of its own). */
    private static String accessLine(String requestId) {
        Path log = CLUSTER.node(0).home.resolve("data/log/access.log");
        String[] line = new String[1];
        Awaitility.await("access log line of " + requestId).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
            .until(() -> Files.exists(log) && (line[0] = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .filter(l -> l.contains(" request_id=" + requestId + " ")).findFirst().orElse(null)) != null);
        return line[0];
    }

    private static String id(String what) {
        return what + "-" + UUID.randomUUID();
    }

    @Test
    void should_ignore_a_spoofed_forwarded_for_from_an_untrusted_peer() throws Exception {
        for (String method : List.of("GET", "POST")) { // Meridian's own upstream client, and Jetty's
            String id = id("spoof-" + method);
            assertEquals(200, send(STRANGER, method, "/tp/x", id, "6.6.6.6, 10.1.1.1"));

            assertEquals(STRANGER, FORWARDED.get(id), method + ": the upstream sees the peer alone");
            String line = accessLine(id);
            assertTrue(line.contains(" client=" + STRANGER + " upstream="), method + ": " + line);
            assertFalse(line.contains("6.6.6.6"), line);
        }
    }

    @Test
    void should_take_the_right_most_untrusted_hop_as_the_client_behind_a_trusted_proxy() throws Exception {
        for (String method : List.of("GET", "POST")) {
            String id = id("proxied-" + method);
            assertEquals(200, send(PROXY, method, "/tp/x", id, "6.6.6.6, 198.51.100.7, 10.1.2.3"));

            assertEquals("6.6.6.6, 198.51.100.7, 10.1.2.3, " + PROXY, FORWARDED.get(id),
                method + ": the chain the proxy sent, with the proxy appended");
            String line = accessLine(id);
            assertTrue(line.contains(" client=198.51.100.7 peer=" + PROXY + " upstream="), method + ": " + line);
        }
    }

    @Test
    void should_take_the_proxy_itself_when_it_forwards_no_chain() throws Exception {
        String id = id("bare");
        assertEquals(200, send(PROXY, "GET", "/tp/x", id, null));

        assertEquals(PROXY, FORWARDED.get(id));
        assertTrue(accessLine(id).contains(" client=" + PROXY + " upstream="), accessLine(id));
    }

    @Test
    void should_filter_policies_on_the_client_the_trusted_proxies_imply() throws Exception {
        // the denied network, named by the trusted proxy: refused
        assertEquals(403, send(PROXY, "GET", "/guarded/x", id("denied"), "198.51.100.7"));
        // the same claim from an untrusted peer is not believed: its client is the peer, not denied
        String spoof = id("claimed");
        assertEquals(200, send(STRANGER, "GET", "/guarded/x", spoof, "198.51.100.7"));
        assertEquals(STRANGER, FORWARDED.get(spoof));
        // an allowed client behind the proxy
        assertEquals(200, send(PROXY, "GET", "/guarded/x", id("allowed"), "203.0.113.5"));
        // a client that claims a denied hop left of its own address gains nothing, loses nothing
        assertEquals(200, send(PROXY, "GET", "/guarded/x", id("left"), "198.51.100.7, 203.0.113.5"));
    }

    @Test
    void should_keep_the_traffic_port_closed_when_a_trusted_proxy_entry_is_invalid() throws Exception {
        MeridianNode bad = CLUSTER.newNode(node("tp2", HTTP + 10, 6032)
            .withEnv("MERIDIAN_TRUSTED_PROXIES", "127.0.0.2, proxy.example")).start();
        Path karafLog = bad.home.resolve("data/log/karaf.log");
        Awaitility.await("tp2 names the invalid entry").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
            .until(() -> {
                assertTrue(bad.process().isAlive(), "tp2 exited");
                return Files.exists(karafLog) && Files.readString(karafLog)
                    .contains("the traffic port does not start: MERIDIAN_TRUSTED_PROXIES: 'proxy.example'");
            });
        // the admin plane answers and says the node is not ready; nothing listens on the traffic port
        Awaitility.await("tp2's admin port").atMost(Duration.ofMinutes(1)).ignoreExceptions()
            .until(() -> bad.get(bad.adminUrl("/ready"), false).statusCode() == 503);
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", HTTP + 10).close());
        assertNotEquals(200, bad.get(bad.adminUrl("/ready"), false).statusCode());
        bad.close();
    }
}
