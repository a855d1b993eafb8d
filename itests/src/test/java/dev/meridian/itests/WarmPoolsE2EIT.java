package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Warm pools (issue 12 item 4) and the proxy warm-up's stop (issue 10) on real nodes.
 *
 * <p>Two nodes under load to an upstream that counts the connections it accepts; a third joins:
 * before its {@code /ready} it has opened about as many connections as a peer's pool holds
 * (the upstream's count, taken with the load paused so that only the joining node connects),
 * and its first requests after ready open none. Then a node stopped while its proxy warm-up runs
 * (the warm-up is on by default) stops in a second or two, not after Camel's 45 s.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WarmPoolsE2EIT {

    /** Concurrent clients per node under load: about the pool size each node's upstream pool reaches. */
    private static final int CLIENTS = 12;

    @RegisterExtension
    static final MeridianCluster<ConnectionCountingUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("wp1", 17000, 6081), NodeSpec.of("wp2", 17010, 6082))
        .cluster("warm-pools-it")
        .password("warm-pools-it-admin")
        .env("MERIDIAN_PROXY_WARMUP", "on") // the product's defaults: test nodes boot without the warm-up
        .env("EXTRA_JAVA_OPTS", "")         // and with C1 only (MeridianNode#start)
        .upstream(ConnectionCountingUpstream::new)
        .api("pools", up -> String.join("\n", "id: pools", "basePath: /pools", "upstream:", "  url: " + up.url(""),
            "  timeout: 5s", "  pool: { maxConnections: 64, warm: 0 }", ""))
        .build();

    @Test
    @Order(1)
    void a_joining_node_opens_its_peers_pool_sizes_before_ready_and_its_first_requests_open_none() throws Exception {
        ConnectionCountingUpstream up = CLUSTER.upstream();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

        // load: CLIENTS at once on each node for 15 s, three samples of the pools (every 5 s)
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<Thread> load = new ArrayList<>();
        for (MeridianNode n : CLUSTER.nodes()) {
            for (int i = 0; i < CLIENTS; i++) {
                Thread t = new Thread(() -> hammer(http, n, stop, ok, failed), "load-" + n.name + "-" + i);
                t.setDaemon(true);
                t.start();
                load.add(t);
            }
        }
        Thread.sleep(15_000);
        stop.set(true);
        for (Thread t : load) {
            t.join(10_000);
        }
        int peers = up.accepted.get();
        int perPeer = peers / CLUSTER.nodes().size();
        System.out.printf("warm pools: load %d requests ok, %d failed; the two peers opened %d upstream connections (%d each)%n",
            ok.get(), failed.get(), peers, perPeer);
        assertEquals(0, failed.get());
        assertTrue(perPeer >= CLIENTS / 2, "the peers' pools grew under load: " + peers);
        Thread.sleep(6_000); // one more sample: the peaks are in the cluster

        // the third node joins; nothing else connects to the upstream meanwhile
        int before = up.accepted.get();
        long t0 = System.nanoTime();
        MeridianNode joining = CLUSTER.newNode(NodeSpec.of("wp3", 17020, 6083)).start();
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!ready(joining)) {
            assertTrue(System.nanoTime() < until, "wp3 not ready within 3 min");
            assertTrue(joining.process().isAlive(), "wp3 exited");
            Thread.sleep(25);
        }
        long readyMillis = (System.nanoTime() - t0) / 1_000_000;
        int preOpened = up.accepted.get() - before;
        joining.awaitReady(Duration.ofSeconds(30)); // reads its password back

        // its first requests: at most as many at once as it pre-opened
        int clients = Math.max(1, Math.min(preOpened, 8));
        int atFirstRequest = up.accepted.get();
        AtomicLong firstOk = new AtomicLong();
        AtomicLong firstFailed = new AtomicLong();
        List<Thread> first = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> {
                for (int r = 0; r < 25; r++) {
                    count(get(http, joining, "/pools/first"), firstOk, firstFailed);
                }
            }, "first-" + i);
            t.start();
            first.add(t);
        }
        for (Thread t : first) {
            t.join(60_000);
        }
        int newConnections = up.accepted.get() - atFirstRequest;
        System.out.printf("warm pools: wp3 ready after %d ms having opened %d upstream connections (a peer's pool: ~%d); "
                + "its first %d requests (%d at once) opened %d new connections, %d failed%n",
            readyMillis, preOpened, perPeer, firstOk.get() + firstFailed.get(), clients, newConnections, firstFailed.get());
        System.out.println("warm pools: wp3 log: " + grep(joining, "upstream pools pre-opened"));
        assertEquals(0, firstFailed.get());
        assertTrue(preOpened >= perPeer / 2 && preOpened <= perPeer * 2 + 2,
            "pre-opened " + preOpened + " for a peer's pool of about " + perPeer);
        assertEquals(0, newConnections, "the first requests found warm connections");
    }

    @Test
    @Order(2)
    void a_node_stopped_while_its_proxy_warm_up_runs_stops_in_a_second_or_two() throws Exception {
        MeridianNode node = CLUSTER.newNode(NodeSpec.of("wp4", 17030, 6084)).start();
        Path log = node.home.resolve("data/log/karaf.log");
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!contains(log, "Meridian traffic port listening")) {
            assertTrue(System.nanoTime() < until, "wp4's traffic port not open within 3 min");
            assertTrue(node.process().isAlive(), "wp4 exited");
            Thread.sleep(10);
        }
        Thread.sleep(500); // under way: it runs for 1.5-5 s after the port opens
        boolean warmupRunning = !contains(log, "proxy path warmed");
        long t0 = System.nanoTime();
        ProcessHandle jvm = node.terminate();
        jvm.onExit().get(120, TimeUnit.SECONDS);
        long stopMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("proxy warm-up stop: SIGTERM %s the warm-up ended -> JVM gone in %d ms; %s; %s%n",
            warmupRunning ? "before" : "after", stopMillis, grep(node, "proxy warm-up "), grep(node, "proxy path warmed"));
        assertFalse(contains(log, "Inflights per route"), "no exchange left in flight at Camel's shutdown");
        assertTrue(stopMillis < 30_000, "stopped in " + stopMillis + " ms (Camel's graceful shutdown waits 45 s)");
        node.close();
    }

    private static boolean ready(MeridianNode n) {
        try {
            return n.get(n.adminUrl("/ready"), false).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void hammer(HttpClient http, MeridianNode n, AtomicBoolean stop, AtomicLong ok, AtomicLong failed) {
        while (!stop.get()) {
            count(get(http, n, "/pools/load"), ok, failed);
        }
    }

    private static void count(int status, AtomicLong ok, AtomicLong failed) {
        (status == 200 ? ok : failed).incrementAndGet();
    }

    private static int get(HttpClient http, MeridianNode n, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(n.trafficUrl(path))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static boolean contains(Path file, String text) throws IOException {
        return Files.exists(file) && Files.readString(file, StandardCharsets.ISO_8859_1).contains(text);
    }

    /** The lines of the node's karaf.log holding {@code text}, joined. */
    private static String grep(MeridianNode n, String text) throws IOException {
        Path log = n.home.resolve("data/log/karaf.log");
        return Files.readAllLines(log, StandardCharsets.ISO_8859_1).stream().filter(l -> l.contains(text))
            .map(String::strip).reduce((a, b) -> a + " | " + b).orElse("(no line with '" + text + "')");
    }

    /**
     * An HTTP/1.1 upstream on loopback that counts the connections it accepts: a thread per
     * connection, keep-alive, each request answered {@code 200 ok} after 20 ms (so that
     * concurrent clients need as many connections). It never closes an idle connection itself.
     */
    static final class ConnectionCountingUpstream implements Upstream {
        final AtomicInteger accepted = new AtomicInteger();
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        ConnectionCountingUpstream() throws IOException {
            server = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "counting-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        @Override
        public int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    sockets.add(s);
                    Thread t = new Thread(() -> serve(s), "counting-upstream-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (readHead(in)) {
                    Thread.sleep(20);
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
                        .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // closed by the node or by close()
            } finally {
                sockets.remove(s);
            }
        }

        /** Reads one request head (the gateway sends these requests without a body); false at the end of the stream. */
        private static boolean readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            int matched = 0;
            while ((b = in.read()) >= 0) {
                head.write(b);
                matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
                if (matched == 4) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException e) {
                // closing
            }
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing
                }
            }
        }
    }
}
