package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.meridian.cluster.ClusterMembership;
import dev.meridian.cluster.ClusterNode;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.NodeState;
import dev.meridian.core.PluginInfo;
import dev.meridian.core.GatewayState;
import dev.meridian.core.RouteTable;
import dev.meridian.core.TableListener;

class NodeStatusReporterTest {

    private static final Map<String, String> SET_HEADERS = Map.of("type", "set-headers", "bundle", "b", "version", "1");
    private static final Map<String, String> SET_HEADERS_PENDING = Map.of("type", "set-headers", "bundle", "b", "version", "1",
        ClusterNode.PLUGIN_STATUS, ClusterNode.PENDING);

    private volatile List<PluginInfo> active = List.of(new PluginInfo("set-headers", "b", "1", true));
    private volatile List<PluginInfo> pending = List.of();
    private final FakeMembership membership = new FakeMembership();
    private final NodeStatusReporter reporter = new NodeStatusReporter();
    private final List<TableListener> listeners = new CopyOnWriteArrayList<>();
    private volatile RouteTable served = RouteTable.empty();

    @BeforeEach
    void start() throws Exception {
        GatewayEngine engine = (GatewayEngine) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {GatewayEngine.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "plugins" -> active;
                case "pendingPlugins" -> pending;
                case "current" -> served;
                case "nodeState" -> NodeState.READY;
                case "addListener" -> {
                    listeners.add((TableListener) args[0]);
                    yield null;
                }
                case "removeListener" -> {
                    listeners.remove(args[0]);
                    yield null;
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });
        inject("engine", engine);
        inject("membership", membership);
        reporter.activate();
    }

    @AfterEach
    void stop() {
        reporter.deactivate();
    }

    @Test
    void should_list_a_type_being_replaced_here_as_pending() {
        active = List.of();
        pending = List.of(new PluginInfo("set-headers", "dev.meridian.policy.set-headers", "0.1.0", false));

        ClusterNode local = reporter.localStatus();

        assertEquals(List.of(Map.of("type", "set-headers", "bundle", "dev.meridian.policy.set-headers", "version", "0.1.0",
            "status", "pending")), local.plugins());
        assertTrue(local.awaits("set-headers"));
    }

    @Test
    void should_publish_promptly_when_a_type_goes_pending_and_comes_back() throws Exception {
        membership.published.get(5, TimeUnit.SECONDS); // the first status
        CompletableFuture<ClusterNode> pendingPublished = membership.next(n -> n.awaits("set-headers"));

        active = List.of();
        pending = List.of(new PluginInfo("set-headers", "b", "1", false));
        listeners.forEach(TableListener::nodeChanged); // as the engine tells it

        pendingPublished.get(1, TimeUnit.SECONDS); // not the 5 s heartbeat
        CompletableFuture<ClusterNode> backPublished = membership.next(n -> n.provides("set-headers"));
        active = List.of(new PluginInfo("set-headers", "b", "1", true));
        pending = List.of();
        listeners.forEach(TableListener::nodeChanged);
        backPublished.get(1, TimeUnit.SECONDS);
    }

    @Test
    void should_publish_the_revision_served_when_the_engine_tells_of_a_swap() throws Exception {
        membership.published.get(5, TimeUnit.SECONDS); // the first status
        CompletableFuture<ClusterNode> seven = membership.next(n -> n.revision() == 7);

        served = new RouteTable(7, 3, List.of());
        listeners.forEach(l -> l.swapped(served, GatewayState.EMPTY.withRevision(7)));

        assertEquals(7, seven.get(1, TimeUnit.SECONDS).revision()); // not the 5 s heartbeat
    }

    @Test
    void should_not_publish_between_heartbeats_when_nothing_is_told() throws Exception {
        membership.published.get(5, TimeUnit.SECONDS);
        int first = membership.count.get();

        served = new RouteTable(8, 4, List.of()); // changed, but nobody told the reporter

        Awaitility.await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
            .until(() -> membership.count.get() == first);
    }

    @Test
    void should_name_live_nodes_where_a_type_is_pending_and_skip_unreachable_ones() {
        List<ClusterNode> nodes = List.of(node("a", "ready", SET_HEADERS), node("b", "ready", SET_HEADERS_PENDING),
            node("c", "unreachable", SET_HEADERS_PENDING), node("d", "starting"));

        assertEquals(List.of("b"), NodeStatusReporter.awaiting(nodes, "set-headers"));
        assertEquals(List.of(), NodeStatusReporter.awaiting(nodes, "typo"));
    }

    @Test
    void should_complete_a_cluster_wait_once_no_live_node_lists_the_type_as_pending() throws Exception {
        membership.nodes.add(node("other", "ready", SET_HEADERS_PENDING));
        assertEquals(Set.of("set-headers"), reporter.pendingOnLiveNodes(List.of("set-headers", "typo")));

        CompletableFuture<Void> wait = reporter.awaitTypesOnLiveNodes(List.of("set-headers"), System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        assertFalse(wait.isDone());
        membership.nodes.set(0, node("other", "ready", SET_HEADERS));

        wait.get(1, TimeUnit.SECONDS);
        assertEquals(Set.of(), reporter.pendingOnLiveNodes(List.of("set-headers")));
    }

    @Test
    void should_complete_a_cluster_wait_at_its_deadline() throws Exception {
        membership.nodes.add(node("other", "ready", SET_HEADERS_PENDING));
        long start = System.nanoTime();

        reporter.awaitTypesOnLiveNodes(List.of("set-headers"), start + TimeUnit.MILLISECONDS.toNanos(200)).get(5, TimeUnit.SECONDS);

        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs >= 190 && tookMs < 3000, "waited " + tookMs + " ms");
    }

    @Test
    void should_not_wait_when_no_node_lists_a_type_as_pending() {
        membership.nodes.add(node("other", "ready"));

        assertTrue(reporter.awaitTypesOnLiveNodes(List.of("set-headers", "typo"), System.nanoTime() + TimeUnit.SECONDS.toNanos(30)).isDone());
    }

    @SafeVarargs
    private static ClusterNode node(String name, String state, Map<String, String>... plugins) {
        return new ClusterNode(name, "default", "127.0.0.1:1", 1, state, List.of(plugins));
    }

    private void inject(String field, Object value) throws ReflectiveOperationException {
        Field f = NodeStatusReporter.class.getDeclaredField(field);
        f.setAccessible(true);
        f.set(reporter, value);
    }

    /** The cluster as a list the test edits; records what this node publishes. */
    private static final class FakeMembership implements ClusterMembership {
        final List<ClusterNode> nodes = new CopyOnWriteArrayList<>();
        final CompletableFuture<ClusterNode> published = new CompletableFuture<>();
        final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        private final List<Map.Entry<java.util.function.Predicate<ClusterNode>, CompletableFuture<ClusterNode>>> watchers =
            new CopyOnWriteArrayList<>();

        CompletableFuture<ClusterNode> next(java.util.function.Predicate<ClusterNode> condition) {
            CompletableFuture<ClusterNode> f = new CompletableFuture<>();
            watchers.add(Map.entry(condition, f));
            return f;
        }

        @Override
        public String localName() {
            return "local";
        }

        @Override
        public List<ClusterNode> nodes() {
            return List.copyOf(nodes);
        }

        @Override
        public void publishLocalStatus(ClusterNode status) {
            count.incrementAndGet();
            published.complete(status);
            watchers.forEach(w -> {
                if (w.getKey().test(status)) {
                    w.getValue().complete(status);
                }
            });
        }
    }
}
