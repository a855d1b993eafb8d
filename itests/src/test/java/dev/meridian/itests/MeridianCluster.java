package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The end-to-end setup of a test class as one JUnit 5 extension: an upstream, N nodes of the
 * shipped distribution as processes (one Hazelcast cluster on loopback when there are several),
 * APIs applied in front of the upstream, and everything stopped again.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final MeridianCluster<CountingUpstream> CLUSTER = MeridianCluster
 *     .of(NodeSpec.of("ca1", 27090, 5921), NodeSpec.of("ca2", 27100, 5922), NodeSpec.of("ca3", 27110, 5923))
 *     .cluster("cache-it")
 *     .upstream(CountingUpstream::new)
 *     .api("cached", up -> "id: cached\nbasePath: /cached\nupstream: { url: '" + up.url("/") + "' }\n")
 *     .build();
 * }</pre>
 *
 * <p>Before all tests: the upstream starts, every node is unpacked under
 * {@code target/e2e/<TestClass>/<node>} and started, the extension waits until each answers
 * {@code /ready} and, with more than one node, until each lists every node as {@code ready};
 * then the APIs are applied on the first node with {@code ?wait=all}. Without a password the
 * nodes generate theirs and the admin client reads it back. When a test fails, the tail of each
 * node's {@code karaf.log} is printed. After all tests (and when the setup fails halfway, and on
 * a JVM shutdown) every node and upstream it started is stopped: frozen nodes thawed, SIGTERM,
 * SIGKILL after 60 s.
 *
 * <p>Nodes a test starts itself ({@link #newNode}, {@link #startNode}, {@link #rejoinFresh}) and
 * upstreams ({@link #startUpstream}) are stopped the same way, so a test may close them early but
 * need not.
 */
final class MeridianCluster<U extends Upstream> implements BeforeAllCallback, AfterAllCallback, TestWatcher {

    private static final int LOG_LINES = 150;

    private final List<NodeSpec> specs;
    private final String clusterName;
    private final String password;
    private final Map<String, String> env;
    private final Duration readyTimeout;
    private final Upstream.Factory<U> upstreamFactory;
    private final List<Api<U>> apis;

    /** One secret per cluster and run (CONTRACT §9: required with more than one member); a node's own env may override it. */
    private final String clusterSecret = "it-" + java.util.UUID.randomUUID();
    private final List<MeridianNode> nodes = new CopyOnWriteArrayList<>();
    private final List<MeridianNode> started = new CopyOnWriteArrayList<>();
    private final List<Upstream> upstreams = new CopyOnWriteArrayList<>();
    private volatile U upstream;
    private volatile Path workDir;
    private volatile Thread shutdownHook;

    private record Api<U>(String id, Function<U, String> definition) {
    }

    private MeridianCluster(Builder<U> b) {
        this.specs = List.copyOf(b.specs);
        this.clusterName = b.clusterName;
        this.password = b.password;
        this.env = Map.copyOf(b.env);
        this.readyTimeout = b.readyTimeout;
        this.upstreamFactory = b.upstream;
        this.apis = List.copyOf(b.apis);
    }

    /** The nodes started before all tests, in this order. */
    static Builder<Upstream> of(NodeSpec... nodes) {
        return new Builder<>(List.of(nodes));
    }

    /** How the class's nodes and upstream are set up. */
    static final class Builder<U extends Upstream> {
        private final List<NodeSpec> specs;
        private String clusterName;
        private String password;
        private final Map<String, String> env = new LinkedHashMap<>();
        private Duration readyTimeout = Duration.ofMinutes(3);
        private Upstream.Factory<U> upstream;
        private final List<Api<U>> apis = new ArrayList<>();

        private Builder(List<NodeSpec> specs) {
            if (specs.isEmpty()) {
                throw new IllegalArgumentException("no nodes");
            }
            this.specs = specs;
        }

        /**
         * One Hazelcast cluster of this name: every node lists every node's cluster port as a
         * member. Without it each node forms a cluster of its own.
         */
        Builder<U> cluster(String name) {
            this.clusterName = name;
            return this;
        }

        /** The admin password of every node; without it each node generates its own. */
        Builder<U> password(String adminPassword) {
            this.password = adminPassword;
            return this;
        }

        /** An environment variable of every node (a node's own {@link NodeSpec#env()} wins). */
        Builder<U> env(String key, String value) {
            this.env.put(key, value);
            return this;
        }

        Builder<U> readyTimeout(Duration timeout) {
            this.readyTimeout = timeout;
            return this;
        }

        /** The upstream to start before the nodes; {@link MeridianCluster#upstream()} returns it. */
        @SuppressWarnings("unchecked")
        <V extends Upstream> Builder<V> upstream(Upstream.Factory<V> factory) {
            if (!apis.isEmpty()) {
                throw new IllegalStateException("name the upstream before the APIs in front of it");
            }
            Builder<V> self = (Builder<V>) this;
            self.upstream = factory;
            return self;
        }

        /** An API applied on the first node with {@code ?wait=all} once every node is ready; 200 expected. */
        Builder<U> api(String id, Function<U, String> definition) {
            apis.add(new Api<>(id, definition));
            return this;
        }

        MeridianCluster<U> build() {
            return new MeridianCluster<>(this);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        workDir = Paths.get("target", "e2e", context.getRequiredTestClass().getSimpleName()).toAbsolutePath();
        Thread hook = new Thread(this::stopAll, "meridian-e2e-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        shutdownHook = hook;
        try {
            if (upstreamFactory != null) {
                upstream = startUpstream(upstreamFactory);
            }
            for (NodeSpec spec : specs) {
                nodes.add(newNode(spec).start());
            }
            for (MeridianNode n : nodes) {
                n.awaitReady(readyTimeout);
            }
            if (nodes.size() > 1) {
                awaitEveryNodeListsEveryNode();
            }
            for (Api<U> api : apis) {
                apply(api.id(), api.definition().apply(upstream));
            }
        } catch (Exception | Error e) {
            dumpLogs("setup of " + context.getDisplayName() + " failed: " + e);
            stopAll();
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stopAll();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        dumpLogs(context.getDisplayName() + " failed: " + cause);
    }

    private void awaitEveryNodeListsEveryNode() {
        Map<String, String> expected = nodes.stream().collect(Collectors.toMap(n -> n.name, n -> "ready"));
        for (MeridianNode n : nodes) {
            Awaitility.await("every node listed as ready by " + n.name).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> n.clusterStates().entrySet().containsAll(expected.entrySet()));
        }
    }

    /** Stops every node and upstream started so far, nodes in parallel; bounded by {@link MeridianNode#close()}. */
    private synchronized void stopAll() {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (MeridianNode n : started) {
            closing.add(CompletableFuture.runAsync(n::close, task -> new Thread(task, "stop-" + n.name).start()));
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("stopping the nodes of " + workDir + ": " + e);
            started.forEach(MeridianNode::close);
        }
        started.clear();
        nodes.clear();
        upstreams.forEach(Upstream::close);
        upstreams.clear();
        Thread hook = shutdownHook;
        shutdownHook = null;
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down and the hook runs (or ran) already
            }
        }
    }

    private void dumpLogs(String why) {
        StringBuilder out = new StringBuilder("\n===== " + why + "\n");
        for (MeridianNode n : started) {
            out.append("===== ").append(n).append(", last ").append(LOG_LINES).append(" lines of ")
                .append(n.logTail(LOG_LINES)).append("\n");
        }
        System.out.println(out);
    }

    // ------------------------------------------------------------------ what tests use

    /** The i-th node (0-based) of the class's cluster. */
    MeridianNode node(int i) {
        return nodes.get(i);
    }

    /** The class's nodes, in order. */
    List<MeridianNode> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /** The upstream the builder named. */
    U upstream() {
        return Optional.ofNullable(upstream).orElseThrow(() -> new IllegalStateException("no upstream was named"));
    }

    /** Where the nodes are unpacked: {@code target/e2e/<TestClass>}, absolute. */
    Path workDir() {
        return workDir;
    }

    /** {@code PUT /api/v1/apis/{id}?wait=all} on the first node; fails the test unless 200. */
    HttpResponse<String> apply(String id, String yaml) throws Exception {
        HttpResponse<String> r = node(0).send("PUT", "/api/v1/apis/" + id + "?wait=all", "application/yaml", yaml);
        assertEquals(200, r.statusCode(), "apply " + id + ": " + r.body());
        return r;
    }

    /**
     * A further node, unpacked but not started (a test may edit its files first), in the class's
     * cluster: its members are the class's nodes. Stopped after all tests if the test does not.
     */
    MeridianNode newNode(NodeSpec spec) throws Exception {
        Map<String, String> nodeEnv = new LinkedHashMap<>(env);
        if (clusterName != null) {
            nodeEnv.put("MERIDIAN_CLUSTER_NAME", clusterName);
            nodeEnv.put("MERIDIAN_CLUSTER_PORT", Integer.toString(spec.clusterPort()));
            nodeEnv.put("MERIDIAN_CLUSTER_MEMBERS", specs.stream().map(s -> "127.0.0.1:" + s.clusterPort())
                .collect(Collectors.joining(",")));
            nodeEnv.putIfAbsent("MERIDIAN_CLUSTER_SECRET", clusterSecret);
        }
        nodeEnv.putAll(spec.env());
        MeridianNode node = new MeridianNode(spec, workDir, password, nodeEnv);
        started.add(node);
        return node;
    }

    /** {@link #newNode} started and ready. */
    MeridianNode startNode(NodeSpec spec) throws Exception {
        return newNode(spec).start().awaitReady(readyTimeout);
    }

    /**
     * Replaces the i-th node (stopped or killed by the test) with a fresh one of the same spec:
     * an empty directory, so it joins with nothing of its own; returns it once ready.
     */
    MeridianNode rejoinFresh(int i) throws Exception {
        MeridianNode old = nodes.get(i);
        old.close();
        MeridianNode fresh = newNode(specs.get(i));
        nodes.set(i, fresh);
        return fresh.start().awaitReady(readyTimeout);
    }

    /** Stops every node of the class gracefully, then starts them all again and waits until each is ready. */
    void restartAll() throws Exception {
        List<CompletableFuture<Void>> closing = nodes.stream()
            .map(n -> CompletableFuture.runAsync(n::close, task -> new Thread(task, "stop-" + n.name).start())).toList();
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
        for (MeridianNode n : nodes) {
            n.start();
        }
        for (MeridianNode n : nodes) {
            n.awaitReady(readyTimeout);
        }
    }

    /** A further upstream for one test, stopped after all tests if the test does not stop it. */
    <V extends Upstream> V startUpstream(Upstream.Factory<V> factory) throws Exception {
        V started = factory.start();
        upstreams.add(started);
        return started;
    }
}
