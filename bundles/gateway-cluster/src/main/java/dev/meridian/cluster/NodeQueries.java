package dev.meridian.cluster;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Asks every live member of the cluster, this node included, one question of a topic, and
 * gathers each node's answer: what the console merges across the cluster on request (per-node
 * time series, for example). Each node answers through its {@link NodeQueryHandler} registered
 * for the topic. Only bytes cross the cluster: the topic's owner chooses their format (JSON).
 *
 * <p><b>Failure.</b> A node's failure is never the stage's: a node without a handler for the
 * topic ({@code "no handler for topic X"}), whose handler threw (its message), answered more than
 * {@link #MAX_BYTES}, did not answer within the timeout ({@code "no answer within N ms"}), left
 * the cluster during the query, or whose answer is not sealed with the cluster secret, is listed
 * in {@link Answers#failed()} with why, and the others' answers are there as usual. The stage
 * fails only when this service is closed (the node is stopping).
 *
 * <p><b>Threads.</b> The call seals and sends the question without waiting (microseconds for a
 * small one) and returns; the stage completes on a thread of this bundle ({@code meridian-query-io}),
 * never in the call (unless the service is already closed) and never on a Hazelcast thread. That
 * thread is shared by every query of the node: merge there only what is quick and hand heavier
 * work to an executor of your own.
 *
 * <pre>{@code
 * // GOOD: every node's part, merged on arrival; a missing node shown as missing
 * queries.askAll("metrics.series", json(request), Duration.ofSeconds(2))
 *     .thenApply(a -> merge(a.byNode(), a.failed()));
 * // BAD: waiting on a Jetty or Camel thread; a failed node treated as "no data"
 * queries.askAll(topic, q, timeout).toCompletableFuture().join().byNode().values()...
 * }</pre>
 *
 * @since 1.5
 */
@ProviderType
public interface NodeQueries {

    /** The largest question and answer, in bytes (4 MiB): a bigger answer is its node's failure. */
    int MAX_BYTES = 4 * 1024 * 1024;

    /**
     * Completes (never exceptionally for a node's failure) within {@code timeout} with each
     * answering node's bytes by node name, and each node that failed or did not answer in time with
     * why; a node with no handler for the topic is listed as failed ("no handler for topic X").
     *
     * @param topic the handlers' {@link NodeQueryHandler#TOPIC} property: 1-128 letters, digits,
     *        {@code .}, {@code _} or {@code -}, starting with a letter or digit
     * @param question at most {@link #MAX_BYTES}, handed as is to every node's handler
     * @param timeout how long to wait for the slowest node, positive
     * @throws IllegalArgumentException for a malformed topic, a question over the bound or a timeout that is not positive
     * @throws NullPointerException for a null argument
     */
    CompletionStage<Answers> askAll(String topic, byte[] question, Duration timeout);

    /**
     * Every asked node in exactly one of the two maps, by node name (sorted, unmodifiable).
     *
     * @param byNode each answering node's answer
     * @param failed each other node's reason
     */
    record Answers(Map<String, byte[]> byNode, Map<String, String> failed) {
        public Answers {
            byNode = Collections.unmodifiableMap(new TreeMap<>(byNode));
            failed = Collections.unmodifiableMap(new TreeMap<>(failed));
        }
    }
}
