package dev.meridian.http.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.Pipeline;
import dev.meridian.core.flow.Steps;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.policy.api.Policy;

/**
 * Sends requests through the data plane's own code once at start, so that the first requests
 * after the node's first apply do not run it cold: measured, each node's first proxied request
 * took 40-130 ms after a cold boot (its classes loaded, the code interpreted), the next ones 1-3 ms.
 *
 * <p>The requests go over a socket to a server of the warm-up's own on 127.0.0.1 (an ephemeral
 * port, open only while it runs), whose handler is a {@link GatewayHandler} with the steps and
 * the Camel pipeline real requests run and the upstream client they use, serving a route table
 * of its own that is never published: a route with a policy (so the pipeline and the policy
 * chain run) whose upstream is this same server (it answers 404: an upstream answer passed on),
 * and one whose upstream port is bound by the warm-up but not listening (502: the connect
 * failure every node answers while an upstream is down). No access log, no cache, nothing in the engine's counters. It runs on a
 * thread of its own while the boot goes on, for at most 5 s.
 *
 * <p>A node may be stopped while it runs: {@link #stop} ends it first (its loop checks the flag,
 * its server stops, which ends the request under way), so that the data plane's drain and
 * Camel's shutdown find no warm-up exchange in flight.
 */
final class ProxyWarmup {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyWarmup.class);
    /** Requests per route: enough for the client compiler to take the path (a few hundred ms on two cores). */
    static final int REQUESTS = 300;
    /** The most the warm-up may take: 5 s, whatever the box (2.5-3.7 s measured for 600 requests while three nodes boot). */
    private static final long BUDGET_NANOS = 5_000_000_000L;

    /** What a warm-up did: the statuses it got (status → count), how long it took, the port it used (0: none). */
    record Result(Map<Integer, Integer> statuses, long millis, int port) {
    }

    /** A policy that proceeds in both phases: the chain runs, the request is unchanged. */
    private static final Policy PROCEED = new Policy() {
    };

    private final HttpConfiguration http;
    private final Steps steps;
    private final Supplier<Pipeline> pipeline;
    private final int requests;
    private volatile boolean stopped;
    /** The warm-up's request under way, closed by {@link #stop}. */
    private volatile HttpURLConnection current;
    private volatile Server server;
    private volatile Thread thread;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    ProxyWarmup(HttpConfiguration http, Steps steps, Supplier<Pipeline> pipeline, int requests) {
        this.http = http;
        this.steps = steps;
        this.pipeline = pipeline;
        this.requests = requests;
    }

    /**
     * Runs the warm-up on a daemon thread of its own ({@code meridian-proxy-warmup}), then, if
     * {@code beforeTraffic} still says so (the node not ready: never on a node that serves, such as
     * after an update of this bundle), one full collection ({@link #collectBootGarbage});
     * {@link #done} completes after both, or at once when stopped.
     */
    ProxyWarmup start(BooleanSupplier beforeTraffic) {
        Thread t = new Thread(() -> {
            try {
                run();
                if (!stopped && beforeTraffic.getAsBoolean()) {
                    collectBootGarbage();
                }
            } finally {
                done.complete(null);
            }
        }, "meridian-proxy-warmup");
        t.setDaemon(true);
        thread = t;
        t.start();
        return this;
    }

    /**
     * Ends the warm-up if it still runs and waits for its thread up to {@code boundMillis}: the
     * flag ends its loop, stopping its server ends the request under way (its client gets an
     * error at once, the exchange inside is answered by the upstream client). Returns whether
     * its thread ended within the bound.
     */
    boolean stop(long boundMillis) {
        stopped = true;
        HttpURLConnection c = current;
        if (c != null) {
            c.disconnect(); // closes its socket: a read under way ends at once, whatever the server's stop leaves open
        }
        stopServer(server);
        Thread t = thread;
        if (t == null || t == Thread.currentThread()) {
            return true;
        }
        try {
            t.join(boundMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    /** Completes when the warm-up started by {@link #start} and its collection have ended (never exceptionally). */
    CompletionStage<Void> done() {
        return done;
    }

    /**
     * One full collection, while the node is not yet ready. What the boot leaves (Karaf's, Camel's,
     * Hazelcast's and Jetty's structures, the warm-up's compiled paths) is still in the young
     * generation; the first young collections under traffic copy it: measured on three nodes of
     * two cores, young pauses of 40-46 ms 30-40 s after the start, inside the first applies a
     * node serves (ParallelGC, 1 GiB heap; the boot's own were 80-166 ms). A full collection here
     * moves it to the old generation once, before traffic, so the later young pauses copy only
     * what requests leave. The JVM may ignore it ({@code -XX:+DisableExplicitGC}).
     */
    private static void collectBootGarbage() {
        long start = System.nanoTime();
        System.gc();
        LOG.info("boot garbage collected before readiness in {} ms", (System.nanoTime() - start) / 1_000_000);
    }

    /** Runs it on the caller's thread (a test's), {@code requests} through each route. */
    static Result run(HttpConfiguration http, Steps steps, Supplier<Pipeline> pipeline, int requests) {
        return new ProxyWarmup(http, steps, pipeline, requests).run();
    }

    /**
     * Runs the warm-up on the caller's thread: {@code requests} through each route, within 5 s,
     * until {@link #stop}. Never throws; a failure is logged and ends it early.
     */
    Result run() {
        long start = System.nanoTime();
        Map<Integer, Integer> statuses = new TreeMap<>();
        QueuedThreadPool threads = new QueuedThreadPool(4, 1);
        threads.setName("meridian-warmup");
        Server server = new Server(threads);
        this.server = server;
        int port = 0;
        Socket refused = new Socket();
        try {
            ServerConnector connector = new ServerConnector(server, 1, 1, SlowClientSweeper.connections(http));
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            RouteTable[] table = {RouteTable.empty()};
            GatewayHandler handler = new GatewayHandler(() -> table[0], () -> { }, null, pipeline, TrustedProxies.NONE);
            handler.steps(steps, CacheSteps.NONE);
            server.setHandler(handler);
            if (stopped) {
                return new Result(Map.of(), 0, 0);
            }
            server.start();
            port = connector.getLocalPort();
            // a port bound for the warm-up's whole run and never listening: connections to it are
            // refused, and no other process can take it meanwhile (a port bound, closed and used
            // afterwards was once taken by a test's upstream, which then got a warm-up request)
            refused.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            table[0] = new RouteTable(0, 0, List.of(
                route("answered", "http://127.0.0.1:" + port + "/meridian-warmup/none"),
                route("refused", "http://127.0.0.1:" + refused.getLocalPort() + "/")));
            long deadline = start + BUDGET_NANOS;
            for (int i = 0; i < requests && !stopped && System.nanoTime() - deadline < 0; i++) {
                for (String name : new String[] {"answered", "refused"}) {
                    statuses.merge(get(port, "/meridian-warmup/" + name + "/" + i), 1, Integer::sum);
                }
            }
        } catch (Exception e) {
            if (!stopped) {
                LOG.warn("warming the proxy path ended early (the first requests after an apply will be slower): {}", e.toString());
            }
        } finally {
            stopServer(server);
            try {
                refused.close();
            } catch (IOException e) {
                LOG.debug("warm-up's refused port not closed cleanly: {}", e.toString());
            }
        }
        Result result = new Result(Map.copyOf(statuses), (System.nanoTime() - start) / 1_000_000, port);
        LOG.info("proxy path warmed{}: {} requests in {} ms, statuses {}", stopped ? " (stopped early: the node stops)" : "",
            statuses.values().stream().mapToInt(Integer::intValue).sum(), result.millis(), result.statuses());
        return result;
    }

    private static void stopServer(Server server) {
        if (server == null) {
            return;
        }
        try {
            server.stop();
        } catch (Exception e) {
            LOG.debug("warm-up server not stopped cleanly: {}", e.toString());
        }
    }

    private static Route route(String name, String upstream) throws DefinitionException {
        String yaml = "id: meridian-warmup-" + name + "\nbasePath: /meridian-warmup/" + name + "\nupstream: { url: \"" + upstream
            + "\", timeout: 5s }\n";
        ApiDefinition api = DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
        return new Route(api, List.of(PROCEED), new ApiMetrics(api.id()));
    }

    /** One GET over the JDK's keep-alive connection cache; the body is read whole so that the connection is reused. */
    private int get(int port, String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
        c.setConnectTimeout(5_000);
        c.setReadTimeout(10_000);
        current = c;
        if (stopped) {
            throw new IOException("stopped");
        }
        int status = c.getResponseCode();
        try (InputStream body = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            if (body != null) {
                body.readAllBytes();
            }
        }
        return status;
    }
}
