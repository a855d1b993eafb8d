package dev.meridian.cluster;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Answers this node's part of a {@link NodeQueries#askAll} question of one topic. Registered as
 * an OSGi service with the property {@value #TOPIC} naming the topic ({@code metrics.series});
 * the cluster bundle tracks it and calls it when any node asks. With two handlers for a topic,
 * the one of the highest service ranking answers (then the oldest).
 *
 * <p><b>Threads.</b> Called on one of the node's two query threads (Hazelcast's executor
 * {@code meridian-queries}), which every node's questions share: answer quickly from memory
 * (milliseconds), never wait on I/O or another node. A handler still running when the asker's
 * timeout passes is interrupted. Called concurrently: keep it thread-safe.
 *
 * <p><b>Failure.</b> What it throws becomes its node's failure on the asker, with the exception's
 * message (only the message crosses the cluster). An answer over {@link NodeQueries#MAX_BYTES}
 * is refused the same way; null is not an answer.
 *
 * <pre>{@code
 * // GOOD: read an in-memory snapshot, encode it
 * public byte[] answer(byte[] question) { return json(series.snapshot(parse(question))); }
 * // BAD: blocks both query threads of the node, so every other topic's questions time out too
 * public byte[] answer(byte[] question) { return httpClient.send(...).body(); }
 * }</pre>
 *
 * @since 1.5
 */
@ConsumerType
public interface NodeQueryHandler {

    /** The service property naming the topic a handler answers. */
    String TOPIC = "meridian.query";

    /**
     * This node's answer to {@code question}, at most {@link NodeQueries#MAX_BYTES}.
     *
     * @throws Exception any failure, reported to the asker with its message
     */
    byte[] answer(byte[] question) throws Exception;
}
