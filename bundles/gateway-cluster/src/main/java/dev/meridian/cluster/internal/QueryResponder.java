package dev.meridian.cluster.internal;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.NodeQueries;
import dev.meridian.cluster.NodeQueryHandler;

/**
 * This node's side of a query: opens the question (refusing one the cluster secret did not seal
 * for its topic, id and deadline), finds the topic's handler, runs it on the calling thread (one
 * of the executor {@code meridian-queries}'s) and seals the reply for the query and this node.
 * Every failure of the node's own (no handler, the handler threw, an answer too big, the deadline
 * already past) is a sealed reply saying why: nothing of a handler's crosses the cluster but its
 * bytes and its exception's message. A forged task is refused with a {@link SecurityException}.
 */
final class QueryResponder {

    private static final Logger LOG = LoggerFactory.getLogger(QueryResponder.class);

    /** The member's user-context key this responder is found by. */
    static final String CONTEXT = "meridian.query.responder";

    private final ClusterSeal seal;
    private final String node;
    private final QueryHandlers handlers;
    /** When a refused task was last logged (at most one line a minute: a flood must not flood the log). */
    private final AtomicLong refusedLoggedAt = new AtomicLong();

    /** @param node this node's name, as the asker reads it from the member's attribute */
    QueryResponder(ClusterSeal seal, String node, QueryHandlers handlers) {
        this.seal = seal;
        this.node = node;
        this.handlers = handlers;
    }

    /** The sealed reply to {@code task}. @throws SecurityException when the task is not sealed with the cluster secret */
    byte[] answer(QueryTask task) {
        return seal.seal(QueryTask.answerContext(task.id, node), reply(task));
    }

    private byte[] reply(QueryTask task) {
        if (task.topic == null || task.id == null || task.sealedQuestion == null) {
            throw refused(task, "a malformed query task");
        }
        byte[] question;
        try {
            question = seal.open(QueryTask.questionContext(task.topic, task.id, task.deadline), task.sealedQuestion);
        } catch (ClusterSeal.Forged e) {
            throw refused(task, e.getMessage());
        }
        long late = System.currentTimeMillis() - task.deadline;
        if (late > 0) {
            // queued here past the asker's deadline: it stopped waiting, and the work would only delay the next
            return QueryTask.failure("no answer within the asker's timeout (started " + late + " ms after it)");
        }
        if (question.length > NodeQueries.MAX_BYTES) {
            return QueryTask.failure("a question of " + question.length + " bytes is over the bound of "
                + NodeQueries.MAX_BYTES);
        }
        Optional<NodeQueryHandler> handler = handlers.find(task.topic);
        if (handler.isEmpty()) {
            return QueryTask.failure("no handler for topic " + task.topic);
        }
        byte[] answer;
        try {
            answer = handler.get().answer(question);
        } catch (Exception | LinkageError e) { // LinkageError: a handler's bundle updated under it
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.debug("query handler of topic {} failed on node {} (query {})", task.topic, node, task.id, e);
            return QueryTask.failure(e.getMessage() != null ? e.getMessage() : e.getClass().getName());
        }
        if (answer == null) {
            return QueryTask.failure("the handler of topic " + task.topic + " answered null");
        }
        if (answer.length > NodeQueries.MAX_BYTES) {
            return QueryTask.failure("an answer of " + answer.length + " bytes is over the bound of "
                + NodeQueries.MAX_BYTES + " (4 MiB)");
        }
        return QueryTask.answer(answer);
    }

    private SecurityException refused(QueryTask task, String why) {
        long now = System.currentTimeMillis();
        long last = refusedLoggedAt.get();
        if (now - last >= 60_000 && refusedLoggedAt.compareAndSet(last, now)) {
            LOG.warn("node {} refused a query of topic {}: {} (at most one such line a minute)", node, task.topic, why);
        }
        return new SecurityException("query refused by node " + node + ": " + why);
    }
}
