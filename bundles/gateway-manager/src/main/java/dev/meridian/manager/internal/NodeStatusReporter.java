package dev.meridian.manager.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.ClusterMembership;
import dev.meridian.cluster.ClusterNode;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayState;
import dev.meridian.core.PluginInfo;
import dev.meridian.core.RouteTable;
import dev.meridian.core.TableListener;

/**
 * Publishes this node's status (revision served, state, policy types) to the cluster as soon as
 * the engine tells of a change of revision, state or policy types ({@link TableListener}; nothing
 * polls the engine), and every 5 s as a heartbeat, and answers the cluster listing. Without a
 * cluster bundle the listing is this node alone. A policy type whose bundle is being replaced here
 * is listed {@code "status":"pending"}, so that other nodes wait for it instead of refusing it
 * ({@link #awaitTypesOnLiveNodes}).
 */
@Component(service = NodeStatusReporter.class, immediate = true)
public final class NodeStatusReporter {

    private static final Logger LOG = LoggerFactory.getLogger(NodeStatusReporter.class);

    @Reference
    private GatewayEngine engine;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ClusterMembership membership;

    private final NodeIdentity identity = NodeIdentity.fromEnvironment();
    private ScheduledExecutorService timer;
    private ClusterNode lastPublished;
    private long lastPublishNanos;
    private long lastGeneration = -1;
    private String lastState = "";
    private ClusterNode.Failure lastFailure;
    private List<PluginInfo> lastPlugins = List.of();
    /** Callers waiting for types that some live node lists as pending; checked on every tick. */
    private final List<TypeWait> waits = new CopyOnWriteArrayList<>();

    private record TypeWait(Set<String> types, long deadline, CompletableFuture<Void> done) {
    }
    /** Whether the wait check runs (every 20 ms, only while someone waits). */
    private final AtomicBoolean waitCheckScheduled = new AtomicBoolean();
    /** Whether a publish is queued on the timer thread (events coalesce into one). */
    private final AtomicBoolean publishQueued = new AtomicBoolean();
    private final TableListener changes = new TableListener() {
        @Override
        public void swapped(RouteTable table, GatewayState state) {
            requestPublish();
        }

        @Override
        public void nodeChanged() {
            requestPublish();
        }
    };
    /** The newest revision this node could not serve, and why; shown while it serves an older one. */
    private volatile ClusterNode.Failure failure;

    @Activate
    void activate() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-node-status");
            t.setDaemon(true);
            return t;
        });
        engine.addListener(changes);
        timer.scheduleWithFixedDelay(this::heartbeat, 0, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        engine.removeListener(changes);
        timer.shutdownNow();
        waits.forEach(w -> w.done().complete(null));
        waits.clear();
    }

    /** How often the status is published unchanged, so that the entry of a node that vanished expires. */
    static final int HEARTBEAT_SECONDS = 5;

    private void heartbeat() {
        lastPublishNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(HEARTBEAT_SECONDS + 1L); // due
        publishIfChanged();
    }

    /** Publishes on the timer thread soon; requests made meanwhile are served by the same publish. */
    private void requestPublish() {
        ScheduledExecutorService t = timer;
        if (t == null) {
            return; // not active: the first heartbeat publishes
        }
        if (publishQueued.compareAndSet(false, true)) {
            try {
                t.execute(() -> {
                    publishQueued.set(false);
                    publishIfChanged();
                });
            } catch (RejectedExecutionException stopped) {
                publishQueued.set(false);
            }
        }
    }

    ClusterNode localStatus() {
        List<Map<String, String>> plugins = new ArrayList<>();
        engine.plugins().stream().filter(PluginInfo::active).forEach(p -> plugins.add(entry(p, false)));
        engine.pendingPlugins().forEach(p -> plugins.add(entry(p, true)));
        long served = engine.current().revision();
        ClusterNode.Failure f = failure;
        return new ClusterNode(identity.name(), identity.region(), identity.address(), served,
            engine.nodeState().wireName(), plugins, f != null && f.revision() > served ? f : null);
    }

    private static Map<String, String> entry(PluginInfo p, boolean pending) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("type", p.type());
        m.put("bundle", p.bundle());
        m.put("version", p.version());
        if (pending) {
            m.put(ClusterNode.PLUGIN_STATUS, ClusterNode.PENDING);
        }
        return m;
    }

    /** The newest revision this node could not serve while it serves an older one, else 0 (for {@code /metrics}). */
    long unservedRevision() {
        ClusterNode.Failure f = failure;
        return f != null && f.revision() > engine.current().revision() ? f.revision() : 0;
    }

    /** Records that {@code revision} cannot be served here; published at once, cleared once a revision as new is served. */
    void failed(long revision, String reason) {
        ClusterNode.Failure f = failure;
        if (f == null || revision >= f.revision()) {
            failure = new ClusterNode.Failure(revision, reason);
        }
        requestPublish();
    }

    private void publishIfChanged() {
        ClusterMembership m = membership;
        if (m == null) {
            return;
        }
        try {
            long generation = engine.current().generation();
            String state = engine.nodeState().wireName();
            ClusterNode.Failure f = failure;
            List<PluginInfo> plugins = new ArrayList<>(engine.plugins());
            plugins.addAll(engine.pendingPlugins());
            boolean due = System.nanoTime() - lastPublishNanos > TimeUnit.SECONDS.toNanos(HEARTBEAT_SECONDS);
            if (!due && generation == lastGeneration && state.equals(lastState) && f == lastFailure
                && plugins.equals(lastPlugins)) {
                return;
            }
            lastGeneration = generation;
            lastState = state;
            lastFailure = f;
            lastPlugins = plugins;
            ClusterNode now = localStatus();
            if (!now.equals(lastPublished) || due) {
                m.publishLocalStatus(now);
                lastPublished = now;
                lastPublishNanos = System.nanoTime();
            }
        } catch (RuntimeException e) {
            LOG.warn("publishing node status to the cluster failed", e);
        }
    }

    /** The names of the live nodes (this one included) that list {@code type} as pending, not usable yet. */
    static List<String> awaiting(List<ClusterNode> nodes, String type) {
        return nodes.stream().filter(n -> !n.state().equals("unreachable")).filter(n -> n.awaits(type))
            .map(ClusterNode::name).toList();
    }

    /** Those of {@code types} that some live node lists as pending. */
    Set<String> pendingOnLiveNodes(Collection<String> types) {
        List<ClusterNode> nodes = cluster();
        Set<String> out = new TreeSet<>();
        types.forEach(t -> {
            if (!awaiting(nodes, t).isEmpty()) {
                out.add(t);
            }
        });
        return out;
    }

    /**
     * Completes once no live node lists any of {@code types} as pending (each is usable or absent
     * there), or at {@code deadlineNanos} ({@link System#nanoTime()}). Checked every 20 ms while
     * someone waits (the replicated listing, read from memory); the caller's thread only waits.
     */
    CompletableFuture<Void> awaitTypesOnLiveNodes(Collection<String> types, long deadlineNanos) {
        if (types.isEmpty() || pendingOnLiveNodes(types).isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        TypeWait w = new TypeWait(Set.copyOf(types), deadlineNanos, new CompletableFuture<>());
        waits.add(w);
        if (timer == null || timer.isShutdown()) {
            waits.remove(w);
            w.done().complete(null);
        } else {
            scheduleWaitCheck();
        }
        return w.done();
    }

    private void scheduleWaitCheck() {
        if (waitCheckScheduled.compareAndSet(false, true)) {
            try {
                timer.schedule(this::waitCheck, 20, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopped) {
                waitCheckScheduled.set(false);
            }
        }
    }

    private void waitCheck() {
        checkWaits();
        waitCheckScheduled.set(false);
        if (!waits.isEmpty()) {
            scheduleWaitCheck();
        }
    }

    private void checkWaits() {
        if (waits.isEmpty()) {
            return;
        }
        try {
            List<ClusterNode> nodes = cluster();
            long now = System.nanoTime();
            for (TypeWait w : waits) {
                boolean settled = w.types().stream().allMatch(t -> awaiting(nodes, t).isEmpty());
                if (settled || now - w.deadline() >= 0) {
                    waits.remove(w);
                    w.done().complete(null);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("checking policy types on the cluster's nodes failed", e);
        }
    }

    /** The cluster listing, with this node's entry always current. */
    /** {@link ClusterMembership#safe()}: stopping one node now loses no entry; true without a cluster. */
    boolean safe() {
        ClusterMembership m = membership;
        return m == null || m.safe();
    }

    /** This node's name in the cluster listing. */
    String localName() {
        return identity.name();
    }

    List<ClusterNode> cluster() {
        ClusterNode local = localStatus();
        ClusterMembership m = membership;
        if (m == null) {
            return List.of(local);
        }
        try {
            List<ClusterNode> nodes = new java.util.ArrayList<>(m.nodes().stream().filter(n -> !n.name().equals(local.name())).toList());
            nodes.add(local);
            nodes.sort(java.util.Comparator.comparing(ClusterNode::name));
            return nodes;
        } catch (RuntimeException e) {
            LOG.warn("reading the cluster listing failed; answering with this node only", e);
            return List.of(local);
        }
    }
}
