package dev.meridian.cluster.internal;

import java.io.Serial;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;

/**
 * One question of a {@link dev.meridian.cluster.NodeQueries#askAll} as it crosses the cluster, run
 * by Hazelcast's executor {@code meridian-queries} on every member; and the wire format of the
 * question's seal and of the reply. Java-serialized like the bundle's other tasks and processors
 * (admitted by {@link DeserializationFilter} as {@code dev.meridian.*}; fields: strings, a long,
 * bytes), resolved by the member's class loader, this bundle's.
 *
 * <p>The question is sealed ({@link ClusterSeal}) with its topic, the query's id and its deadline,
 * so a process without the secret can neither send a question nor move a sniffed one to another
 * topic, and can replay one only until its deadline. The reply is sealed with the query's id and
 * the answering node's name, so an answer is neither forged by a foreign member nor moved from
 * one query or node to another. The work on the member is {@link QueryResponder}'s, found in the
 * member's user context; this class only carries.
 */
final class QueryTask implements Callable<byte[]>, Serializable, HazelcastInstanceAware {

    @Serial
    private static final long serialVersionUID = 1L;

    /** The Hazelcast executor the tasks run on (configured by {@link HazelcastNodeQueries#configure}). */
    static final String EXECUTOR = "meridian-queries";

    private static final byte ANSWER = 0;
    private static final byte FAILED = 1;

    final String topic;
    final String id;
    /** When the asker stops waiting, epoch milliseconds (members' clocks agree: NTP). */
    final long deadline;
    /** The question with its seal's tag appended. */
    final byte[] sealedQuestion;
    private transient HazelcastInstance member;

    QueryTask(String topic, String id, long deadline, byte[] sealedQuestion) {
        this.topic = topic;
        this.id = id;
        this.deadline = deadline;
        this.sealedQuestion = sealedQuestion;
    }

    /** {@code question} sealed by {@code seal} into a task of {@code topic}. */
    static QueryTask sealed(ClusterSeal seal, String topic, String id, long deadline, byte[] question) {
        return new QueryTask(topic, id, deadline, seal.seal(questionContext(topic, id, deadline), question));
    }

    static String questionContext(String topic, String id, long deadline) {
        return "query:" + topic + "\0" + id + "\0" + deadline;
    }

    static String answerContext(String id, String node) {
        return "query-answer:" + id + "\0" + node;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcast) {
        this.member = hazelcast;
    }

    @Override
    public byte[] call() {
        Object responder = member == null ? null : member.getUserContext().get(QueryResponder.CONTEXT);
        if (!(responder instanceof QueryResponder r)) {
            // a member not started by gateway-cluster, or a node stopping: nobody here can answer
            throw new IllegalStateException("this member answers no queries (not a Meridian node, or stopping)");
        }
        return r.answer(this);
    }

    /** A reply carrying an answer. */
    static byte[] answer(byte[] answer) {
        byte[] out = new byte[answer.length + 1];
        out[0] = ANSWER;
        System.arraycopy(answer, 0, out, 1, answer.length);
        return out;
    }

    /** A reply carrying why the node did not answer. */
    static byte[] failure(String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[text.length + 1];
        out[0] = FAILED;
        System.arraycopy(text, 0, out, 1, text.length);
        return out;
    }

    /** A reply, opened: the answer, or why there is none. */
    record Reply(byte[] answer, String failure) {
        static Reply decode(byte[] reply) {
            if (reply == null || reply.length == 0 || reply[0] != ANSWER && reply[0] != FAILED) {
                return new Reply(null, "an unreadable reply");
            }
            return reply[0] == ANSWER ? new Reply(Arrays.copyOfRange(reply, 1, reply.length), null)
                : new Reply(null, new String(reply, 1, reply.length - 1, StandardCharsets.UTF_8));
        }
    }
}
