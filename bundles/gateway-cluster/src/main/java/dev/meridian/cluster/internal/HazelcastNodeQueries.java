package dev.meridian.cluster.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.TargetDisconnectedException;
import com.hazelcast.spi.exception.TargetNotMemberException;

import dev.meridian.cluster.NodeQueries;

/**
 * {@link NodeQueries} on this node's Hazelcast instance: one {@link QueryTask} to every member
 * through the executor {@code meridian-queries} (2 threads and 256 queued tasks a member), each
 * member's reply gathered on this bundle's thread {@code meridian-query-io} as it arrives, and the
 * stage completed when every member replied or the timeout passed, whichever is first. A member
 * still silent at the timeout is listed as such and its task cancelled (its handler interrupted,
 * from the thread {@code meridian-query-cancel}: Hazelcast's cancel waits for the member).
 *
 * <p>On a member this also answers: its {@link QueryResponder} sits in the member's user context
 * until {@link #close}. A client-mode node is not a member (Hazelcast's executor runs on members
 * only), so it answers its own part here, on {@code meridian-query-io}.
 */
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service",
    attribute = "objectClass:List<String>=dev.meridian.cluster.NodeQueries") // registered by HazelcastMembership, not DS
final class HazelcastNodeQueries implements NodeQueries, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastNodeQueries.class);
    /** Topics as the handlers' property names them: letters, digits, '.', '_' and '-'. */
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final int POOL_SIZE = 2;
    static final int QUEUE_CAPACITY = 256;

    private final HazelcastInstance hazelcast;
    private final ClusterSeal seal;
    private final String localName;
    private final QueryResponder responder;
    private final boolean member;
    /** Where replies are gathered, timeouts fire and every stage completes. */
    private final ScheduledThreadPoolExecutor io;
    /** Where timed-out tasks are cancelled: Hazelcast's cancel blocks until the member answers it. */
    private final ThreadPoolExecutor cancels;
    private final Set<Gathering> pending = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param localName this node's name ({@link HazelcastMembership#NODE_ATTRIBUTE})
     * @param handlers this node's handlers, which answer every node's questions
     * @param member false for a client-mode node, which answers its own part itself
     */
    HazelcastNodeQueries(HazelcastInstance hazelcast, ClusterSeal seal, String localName, QueryHandlers handlers,
        boolean member) {
        this.hazelcast = hazelcast;
        this.seal = seal;
        this.localName = localName;
        this.member = member;
        this.responder = new QueryResponder(seal, localName, handlers);
        this.io = new ScheduledThreadPoolExecutor(2, daemon("meridian-query-io"));
        this.io.setRemoveOnCancelPolicy(true); // a query answered in time drops its timeout at once
        this.cancels = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(1024),
            daemon("meridian-query-cancel"), new ThreadPoolExecutor.DiscardPolicy()); // a cancel is best effort
        if (member) {
            hazelcast.getUserContext().put(QueryResponder.CONTEXT, responder);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * The executor the tasks run on, on a member: few threads, since a handler answers from memory
     * (a slow one holds one until the asker's timeout interrupts it), and a bounded queue, beyond
     * which a member refuses a question at once (the asker lists it as busy) instead of queueing
     * work nobody waits for any more.
     */
    static void configure(Config c) {
        c.getExecutorConfig(QueryTask.EXECUTOR).setPoolSize(POOL_SIZE).setQueueCapacity(QUEUE_CAPACITY)
            .setStatisticsEnabled(false);
    }

    @Override
    public CompletionStage<Answers> askAll(String topic, byte[] question, Duration timeout) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(timeout, "timeout");
        if (!TOPIC.matcher(topic).matches()) {
            throw new IllegalArgumentException("a query topic is 1-128 letters, digits, '.', '_' or '-', starting with a"
                + " letter or digit: " + topic);
        }
        if (question.length > MAX_BYTES) {
            throw new IllegalArgumentException("a question of " + question.length + " bytes is over the bound of "
                + MAX_BYTES + " (4 MiB)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a query timeout is positive: " + timeout);
        }
        Gathering g = new Gathering(topic, timeout);
        if (closed) {
            g.result.completeExceptionally(new IllegalStateException("the node's cluster queries are closed"));
            return g.result.minimalCompletionStage();
        }
        pending.add(g);
        send(g, question); // sent from the caller's thread (one hop less); gathered and completed on ours
        return g.result.minimalCompletionStage();
    }

    /**
     * Sends the task to every member (and answers locally on a client node). Runs in the caller's
     * thread, so whatever completes the stage (the replies, the timeout, a failure to send) is
     * handed to {@code meridian-query-io}: never in the call.
     */
    private void send(Gathering g, byte[] question) {
        String id = UUID.randomUUID().toString();
        long left = g.timeout.toNanos() - (System.nanoTime() - g.startNanos);
        QueryTask task = QueryTask.sealed(seal, g.topic, id, System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(left),
            question);
        Map<String, CompletionStage<byte[]>> replies = new HashMap<>();
        Map<String, Future<byte[]>> cancellable = new HashMap<>();
        try {
            Set<Member> members = hazelcast.getCluster().getMembers();
            Map<Member, Future<byte[]>> futures = hazelcast.getExecutorService(QueryTask.EXECUTOR).submitToMembers(task, members);
            for (Map.Entry<Member, Future<byte[]>> e : futures.entrySet()) {
                String name = g.name(e.getKey());
                replies.put(name, stage(e.getValue()));
                cancellable.put(name, e.getValue());
            }
            if (!member) {
                replies.put(g.name(localName), CompletableFuture.supplyAsync(() -> responder.answer(task), io));
            }
        } catch (RuntimeException e) { // not active, shutting down, or closed here: no member was asked
            completeOnIo(g, () -> g.unsent("not asked: " + reason(e)));
            return;
        }
        g.expect(replies.keySet(), cancellable);
        try {
            g.timeoutAt(io.schedule(g::timedOut, left, TimeUnit.NANOSECONDS));
        } catch (RejectedExecutionException closing) {
            g.closed();
            return;
        }
        replies.forEach((name, reply) -> reply.whenCompleteAsync((bytes, failure) -> g.replied(name, id, bytes, failure), io));
    }

    private void completeOnIo(Gathering g, Runnable completion) {
        try {
            io.execute(completion);
        } catch (RejectedExecutionException closing) {
            g.closed();
        }
    }

    @SuppressWarnings("unchecked")
    private static CompletionStage<byte[]> stage(Future<byte[]> future) {
        if (future instanceof CompletionStage<?> stage) { // Hazelcast's executor futures are CompletableFutures
            return (CompletionStage<byte[]>) stage;
        }
        throw new IllegalStateException("Hazelcast's executor future is not a CompletionStage: " + future.getClass());
    }

    /** Why a member did not reply, in words for the console. */
    private static String reason(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof MemberLeftException || t instanceof TargetNotMemberException) {
            return "left the cluster during the query";
        }
        if (t instanceof TargetDisconnectedException) {
            return "left the cluster or was cut off during the query";
        }
        if (t instanceof HazelcastInstanceNotActiveException) {
            return "the cluster member is not active (stopping)";
        }
        if (t instanceof RejectedExecutionException) {
            return "busy: its queue of " + QUEUE_CAPACITY + " questions is full";
        }
        if (t instanceof CancellationException) {
            return "cancelled";
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getName();
    }

    /**
     * One query's replies as they come: every asked node ends in exactly one of the two maps.
     * Touched by replies, the timeout and close, on several threads: guarded by {@code this},
     * and finished once.
     */
    private final class Gathering {
        final String topic;
        final Duration timeout;
        final long startNanos = System.nanoTime();
        final CompletableFuture<Answers> result = new CompletableFuture<>();
        private final Map<String, byte[]> byNode = new HashMap<>();
        private final Map<String, String> failed = new HashMap<>();
        private final Map<String, Member> asked = new HashMap<>();
        private Set<String> waiting = Set.of();
        private Map<String, Future<byte[]>> cancellable = Map.of();
        private ScheduledFuture<?> timeoutTask;
        private boolean done;

        Gathering(String topic, Duration timeout) {
            this.topic = topic;
            this.timeout = timeout;
        }

        /** The member's node name; another member already named so (a stranger) by its address too. */
        synchronized String name(Member m) {
            String name = m.getAttribute(HazelcastMembership.NODE_ATTRIBUTE);
            String key = name != null ? name : "member at " + m.getAddress();
            if (asked.containsKey(key)) {
                key = key + " (" + m.getAddress() + ")";
            }
            asked.put(key, m);
            return key;
        }

        synchronized String name(String node) {
            asked.put(node, null);
            return node;
        }

        synchronized void expect(Set<String> names, Map<String, Future<byte[]>> futures) {
            waiting = new HashSet<>(names);
            cancellable = futures; // never empty: a member lists itself, a client answers itself
        }

        synchronized void timeoutAt(ScheduledFuture<?> task) {
            timeoutTask = task;
            if (done) {
                task.cancel(false);
            }
        }

        synchronized void replied(String name, String id, byte[] reply, Throwable failure) {
            if (done || !waiting.remove(name)) {
                return; // late: already listed as silent
            }
            if (failure != null) {
                failed.put(name, reason(failure));
            } else {
                Member m = asked.get(name);
                String node = m == null ? name : String.valueOf(m.getAttribute(HazelcastMembership.NODE_ATTRIBUTE));
                try {
                    QueryTask.Reply r = QueryTask.Reply.decode(seal.open(QueryTask.answerContext(id, node), reply));
                    if (r.failure() != null) {
                        failed.put(name, r.failure());
                    } else if (r.answer().length > MAX_BYTES) {
                        failed.put(name, "an answer of " + r.answer().length + " bytes is over the bound of " + MAX_BYTES);
                    } else {
                        byNode.put(name, r.answer());
                    }
                } catch (ClusterSeal.Forged e) {
                    failed.put(name, "its answer is refused: " + e.getMessage());
                }
            }
            if (waiting.isEmpty()) {
                finish();
            }
        }

        synchronized void timedOut() {
            if (done) {
                return;
            }
            for (String name : waiting) {
                failed.put(name, "no answer within " + timeout.toMillis() + " ms");
                Future<byte[]> f = cancellable.get(name);
                if (f != null) {
                    cancels.execute(() -> cancel(f, name));
                }
            }
            waiting.clear();
            finish();
        }

        private void cancel(Future<byte[]> f, String name) {
            try {
                f.cancel(true); // interrupts the handler on the member, or drops the task from its queue
            } catch (RuntimeException e) {
                LOG.debug("could not cancel the query of topic {} on node {}", topic, name, e);
            }
        }

        synchronized void unsent(String why) {
            for (Map.Entry<String, Member> e : new ArrayList<>(asked.entrySet())) {
                failed.put(e.getKey(), why);
            }
            if (asked.isEmpty()) {
                failed.put(localName, why);
            }
            finish();
        }

        synchronized void closed() {
            if (!done) {
                done = true;
                pending.remove(this);
                result.completeExceptionally(new IllegalStateException("the node's cluster queries closed during the query"));
            }
        }

        private void finish() {
            if (done) {
                return;
            }
            done = true;
            pending.remove(this);
            if (timeoutTask != null) {
                timeoutTask.cancel(false);
            }
            result.complete(new Answers(byNode, failed));
        }
    }

    /** Stops answering here and fails the queries still gathering. */
    @Override
    public void close() {
        closed = true;
        if (member) {
            try {
                hazelcast.getUserContext().remove(QueryResponder.CONTEXT, responder);
            } catch (HazelcastInstanceNotActiveException stopped) {
                LOG.debug("the member stopped before its queries: nothing answers there any more");
            }
        }
        List<Gathering> open = new ArrayList<>(pending);
        open.forEach(Gathering::closed);
        io.shutdown();
        cancels.shutdownNow();
    }
}
