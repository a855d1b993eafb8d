package dev.meridian.manager.internal;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.meridian.cluster.NodeQueries;
import dev.meridian.cluster.NodeQueryHandler;
import dev.meridian.core.Settings;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Json;

/**
 * The revision this node started serving last, when it was committed and when this node served it
 * (issue 14: the console's nodes page shows the propagation of the last apply on every node,
 * whoever made it). {@link RevisionAdopter} tells it; {@code GET /api/v1/cluster} asks every
 * node through {@link NodeQueries} (topic {@value #TOPIC}, bounded by {@link #ASK_TIMEOUT}) and
 * adds it to each node as {@code served}.
 */
@Component(service = {LastServed.class, NodeQueryHandler.class}, property = NodeQueryHandler.TOPIC + "=" + LastServed.TOPIC)
public final class LastServed implements NodeQueryHandler {

    static final String TOPIC = "node.last-served";
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(1);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile NodeQueries queries;

    private final String nodeName = Settings.nodeName();
    private volatile Served last;

    /** Revision {@code revision}, committed at {@code committedAt} (epoch ms, 0 unknown), served here at {@code servedAt}. */
    record Served(long revision, long committedAt, long servedAt) {

        Map<String, Object> toTree() {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("revision", revision);
            t.put("propagationMs", committedAt > 0 ? Math.max(0, servedAt - committedAt) : null);
            t.put("servedAt", java.time.Instant.ofEpochMilli(servedAt).toString());
            return t;
        }
    }

    /** This node serves {@code revision} from now on; it was committed at {@code committedAtMillis} (0: unknown). */
    void served(long revision, long committedAtMillis) {
        Served s = last;
        if (s == null || revision >= s.revision()) {
            last = new Served(revision, committedAtMillis, System.currentTimeMillis());
        }
    }

    /** This node's last served revision, or null before the first. */
    Served last() {
        return last;
    }

    @Override
    public byte[] answer(byte[] question) {
        Served s = last;
        return Json.write(s == null ? Map.of() : s.toTree());
    }

    /** Every live node's last served revision by node name (this node's alone without a cluster); nodes that did not answer are absent. */
    Map<String, Map<String, Object>> byNode() {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        NodeQueries ask = queries;
        if (ask == null) {
            Served s = last;
            if (s != null) {
                out.put(nodeName, s.toTree());
            }
            return out;
        }
        try {
            NodeQueries.Answers answers = ask.askAll(TOPIC, new byte[0], ASK_TIMEOUT).toCompletableFuture()
                .get(ASK_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            answers.byNode().forEach((node, bytes) -> {
                try {
                    if (Json.read(bytes) instanceof Map<?, ?> tree && !tree.isEmpty()) {
                        Map<String, Object> copy = new LinkedHashMap<>();
                        tree.forEach((k, v) -> copy.put(String.valueOf(k), v));
                        out.put(node, copy);
                    }
                } catch (DefinitionException e) {
                    // an unreadable answer: that node is shown without it
                }
            });
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // the listing answers without it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }
}
