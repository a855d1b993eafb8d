package dev.meridian.manager.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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

/**
 * Publishes this node's status (revision served, state, policy types) to the cluster within
 * 20 ms of a change of revision or state, and at least every 5 s, and answers the cluster listing. Without a
 * cluster bundle the listing is this node alone.
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
    /** The newest revision this node could not serve, and why; shown while it serves an older one. */
    private volatile ClusterNode.Failure failure;

    @Activate
    void activate() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-node-status");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::publishIfChanged, 0, 20, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        timer.shutdownNow();
    }

    ClusterNode localStatus() {
        List<Map<String, String>> plugins = engine.plugins().stream()
            .filter(p -> p.active())
            .map(p -> {
                Map<String, String> m = new java.util.LinkedHashMap<>();
                m.put("type", p.type());
                m.put("bundle", p.bundle());
                m.put("version", p.version());
                return m;
            })
            .toList();
        long served = engine.current().revision();
        ClusterNode.Failure f = failure;
        return new ClusterNode(identity.name(), identity.region(), identity.address(), served,
            engine.nodeState().wireName(), plugins, f != null && f.revision() > served ? f : null);
    }

    /** Records that {@code revision} cannot be served here; published within 20 ms, cleared once a revision as new is served. */
    void failed(long revision, String reason) {
        ClusterNode.Failure f = failure;
        if (f == null || revision >= f.revision()) {
            failure = new ClusterNode.Failure(revision, reason);
        }
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
            boolean due = System.nanoTime() - lastPublishNanos > TimeUnit.SECONDS.toNanos(5);
            if (!due && generation == lastGeneration && state.equals(lastState) && f == lastFailure) {
                return;
            }
            lastGeneration = generation;
            lastState = state;
            lastFailure = f;
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

    /** The cluster listing, with this node's entry always current. */
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
