package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import dev.meridian.cluster.NodeQueries;
import dev.meridian.cluster.NodeQueries.Answers;

/**
 * Questions to every node on three real Hazelcast members in this JVM (loopback, ports
 * 5901-5920), each with the cluster secret and the configuration {@link HazelcastMembership}
 * gives a node (the deserialization filter included): every node answers, the asker too; a node
 * without a handler, with a throwing, slow or oversized one, or killed during the query is listed
 * as failed while the others answer, and so is a member without a query service; a task not
 * sealed with the secret is refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HazelcastNodeQueriesTest {

    private static final String CLUSTER = "query-test-" + UUID.randomUUID();
    private static final String SECRET = "query-test-secret";
    private static final int FIRST_PORT = 5901;
    private static final int PORTS = 20;

    private static final List<Node> nodes = new ArrayList<>();

    /** A member as a node has it: its handlers and its queries. */
    private record Node(String name, HazelcastInstance member, QueryHandlers handlers, HazelcastNodeQueries queries) {
        void close() {
            queries.close();
            member.getLifecycleService().terminate();
        }
    }

    @BeforeAll
    static void start() {
        for (int i = 0; i < 3; i++) {
            nodes.add(join("n" + i));
        }
        Awaitility.await("three members").atMost(Duration.ofSeconds(60))
            .until(() -> nodes.get(0).member().getCluster().getMembers().size() == 3);
    }

    private static Node join(String name) {
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config(name));
        QueryHandlers handlers = new QueryHandlers();
        return new Node(name, member, handlers, new HazelcastNodeQueries(member, ClusterSeal.of(SECRET), name, handlers, true));
    }

    private static Config config(String name) {
        Config c = new Config().setClusterName(CLUSTER);
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        c.getMemberAttributeConfig().setAttribute(HazelcastMembership.NODE_ATTRIBUTE, name);
        c.getNetworkConfig().setPort(FIRST_PORT).setPortAutoIncrement(true).setPortCount(PORTS);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig j = c.getNetworkConfig().getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true)
            .setMembers(IntStream.range(FIRST_PORT, FIRST_PORT + PORTS).mapToObj(p -> "127.0.0.1:" + p).toList());
        DeserializationFilter.apply(c.getSerializationConfig()); // the task passes the node's filter
        HazelcastNodeQueries.configure(c);
        return c;
    }

    @AfterAll
    static void stop() {
        nodes.forEach(n -> n.queries().close());
        nodes.forEach(n -> n.member().shutdown());
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** Every node of the three answers {@code topic} with its name and the question. */
    private static void echoEverywhere(String topic) {
        for (Node n : nodes.subList(0, 3)) {
            n.handlers().add(topic, q -> utf8(n.name() + ":" + text(q)));
        }
    }

    @Test
    void should_answer_from_every_node_the_asker_included() throws Exception {
        String topic = unique("echo");
        echoEverywhere(topic);
        for (int asker = 0; asker < 3; asker++) {
            Answers a = await(nodes.get(asker).queries().askAll(topic, utf8("q" + asker), Duration.ofSeconds(10)));
            assertEquals(Map.of(), a.failed());
            assertEquals(List.of("n0", "n1", "n2"), List.copyOf(a.byNode().keySet()));
            for (String node : a.byNode().keySet()) {
                assertEquals(node + ":q" + asker, text(a.byNode().get(node)));
            }
        }
    }

    @Test
    void should_complete_on_the_query_thread_never_in_the_call() throws Exception {
        String topic = unique("thread");
        CountDownLatch answer = new CountDownLatch(1);
        for (Node n : nodes.subList(0, 3)) {
            n.handlers().add(topic, q -> {
                answer.await(10, TimeUnit.SECONDS);
                return q;
            });
        }
        // the continuation is attached before any node answers: it runs where the stage completes
        CompletionStage<String> completedOn = nodes.get(0).queries().askAll(topic, new byte[0], Duration.ofSeconds(10))
            .thenApply(a -> Thread.currentThread().getName());
        answer.countDown();
        assertEquals("meridian-query-io", await(completedOn));
    }

    @Test
    void should_list_a_node_without_handler_and_a_throwing_one_as_failed_with_why() throws Exception {
        String topic = unique("mixed");
        nodes.get(0).handlers().add(topic, q -> new byte[NodeQueries.MAX_BYTES]); // exactly the bound: an answer
        nodes.get(1).handlers().add(topic, q -> {
            throw new IllegalStateException("series store closed");
        });
        long start = System.nanoTime();
        Answers a = await(nodes.get(2).queries().askAll(topic, utf8("?"), Duration.ofSeconds(10)));
        long tookMs = (System.nanoTime() - start) / 1_000_000;

        assertEquals(Set.of("n0"), a.byNode().keySet());
        assertEquals(NodeQueries.MAX_BYTES, a.byNode().get("n0").length);
        assertEquals(Map.of("n1", "series store closed", "n2", "no handler for topic " + topic), a.failed());
        assertTrue(tookMs < 9_000, "every node replied: no wait for the timeout (" + tookMs + " ms)");
    }

    @Test
    void should_list_a_slow_node_and_an_oversized_answer_as_failed_within_the_timeout() throws Exception {
        String topic = unique("slow");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        nodes.get(0).handlers().add(topic, q -> utf8("quick"));
        nodes.get(1).handlers().add(topic, q -> {
            started.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            }
            return utf8("late");
        });
        nodes.get(2).handlers().add(topic, q -> new byte[NodeQueries.MAX_BYTES + 1]);
        try {
            long start = System.nanoTime();
            Answers a = await(nodes.get(0).queries().askAll(topic, utf8("?"), Duration.ofSeconds(1)));
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            assertEquals(Set.of("n0"), a.byNode().keySet());
            assertEquals("quick", text(a.byNode().get("n0")));
            assertEquals("no answer within 1000 ms", a.failed().get("n1"));
            assertTrue(a.failed().get("n2").contains("over the bound of " + NodeQueries.MAX_BYTES), a.failed().get("n2"));
            assertTrue(tookMs >= 950 && tookMs < 3_000, "completed at the timeout, " + tookMs + " ms");
            assertTrue(started.getCount() == 0);
            Awaitility.await("the slow handler interrupted by the cancel").atMost(Duration.ofSeconds(15))
                .untilTrue(interrupted);
        } finally {
            release.countDown();
        }
    }

    @Test
    void should_list_a_member_killed_during_the_query_as_failed_and_keep_the_others() throws Exception {
        String topic = unique("killed");
        echoEverywhere(topic);
        Node dying = join("n3");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        dying.handlers().add(topic, q -> {
            started.countDown();
            release.await(30, TimeUnit.SECONDS);
            return utf8("never seen");
        });
        try {
            Awaitility.await("four members").atMost(Duration.ofSeconds(60))
                .until(() -> nodes.get(0).member().getCluster().getMembers().size() == 4);
            long start = System.nanoTime();
            CompletionStage<Answers> pending = nodes.get(0).queries().askAll(topic, utf8("k"), Duration.ofSeconds(20));
            assertTrue(started.await(10, TimeUnit.SECONDS), "n3 is answering");
            long killed = System.nanoTime();
            dying.close();
            long terminateMs = (System.nanoTime() - killed) / 1_000_000;
            Answers a = await(pending);
            long listedMs = (System.nanoTime() - killed) / 1_000_000;
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            assertEquals(Set.of("n0", "n1", "n2"), a.byNode().keySet());
            assertEquals(Set.of("n3"), a.failed().keySet());
            System.out.printf("node queries: a member killed mid-query (terminate took %d ms) listed as \"%s\" %d ms"
                + " after the kill began (timeout 20 s)%n", terminateMs, a.failed().get("n3"), listedMs);
            assertTrue(tookMs < 15_000, tookMs + " ms");
        } finally {
            release.countDown();
            Awaitility.await("three members again").atMost(Duration.ofSeconds(30))
                .until(() -> nodes.get(0).member().getCluster().getMembers().size() == 3);
        }
    }

    @Test
    void should_list_a_member_that_answers_no_queries_as_failed() throws Exception {
        String topic = unique("bare");
        echoEverywhere(topic);
        // a member of the cluster without a query service: a node starting or stopping (or not Meridian's)
        HazelcastInstance bare = Hazelcast.newHazelcastInstance(config("n4"));
        try {
            Awaitility.await("four members").atMost(Duration.ofSeconds(60))
                .until(() -> nodes.get(0).member().getCluster().getMembers().size() == 4);
            Answers a = await(nodes.get(1).queries().askAll(topic, utf8("?"), Duration.ofSeconds(10)));
            assertEquals(Set.of("n0", "n1", "n2"), a.byNode().keySet());
            assertEquals(Set.of("n4"), a.failed().keySet());
            assertTrue(a.failed().get("n4").contains("answers no queries"), a.failed().get("n4"));
        } finally {
            bare.shutdown();
            Awaitility.await("three members again").atMost(Duration.ofSeconds(30))
                .until(() -> nodes.get(0).member().getCluster().getMembers().size() == 3);
        }
    }

    @Test
    void should_refuse_a_task_not_sealed_with_the_cluster_secret() throws Exception {
        String topic = unique("forged");
        AtomicInteger called = new AtomicInteger();
        nodes.get(1).handlers().add(topic, q -> {
            called.incrementAndGet();
            return utf8("secret data");
        });
        Member target = nodes.get(1).member().getCluster().getLocalMember();
        long deadline = System.currentTimeMillis() + 60_000;
        QueryTask genuine = QueryTask.sealed(ClusterSeal.of(SECRET), topic, "id-1", deadline, utf8("q"));
        List<QueryTask> forged = List.of(
            QueryTask.sealed(ClusterSeal.of("another secret"), topic, "id-1", deadline, utf8("q")),
            new QueryTask(topic, "id-1", deadline, utf8("q")), // no seal at all
            new QueryTask(topic, "id-1", deadline, new byte[40]), // as long as one, not one
            new QueryTask(topic, "id-2", deadline, genuine.sealedQuestion), // sealed for another query
            new QueryTask(topic, "id-1", deadline + 60_000, genuine.sealedQuestion)); // its deadline moved
        for (QueryTask task : forged) {
            Future<byte[]> reply = nodes.get(0).member().getExecutorService(QueryTask.EXECUTOR).submitToMember(task, target);
            ExecutionException refused = assertThrows(ExecutionException.class, () -> reply.get(20, TimeUnit.SECONDS));
            assertTrue(String.valueOf(refused.getCause()).contains("query refused by node n1"), String.valueOf(refused.getCause()));
        }
        assertEquals(0, called.get(), "no forged task reached the handler");

        byte[] reply = nodes.get(0).member().getExecutorService(QueryTask.EXECUTOR).submitToMember(genuine, target)
            .get(20, TimeUnit.SECONDS);
        QueryTask.Reply opened = QueryTask.Reply.decode(ClusterSeal.of(SECRET).open(QueryTask.answerContext("id-1", "n1"), reply));
        assertEquals("secret data", text(opened.answer()), "the genuine task is answered, its answer sealed for n1");
        assertThrows(ClusterSeal.Forged.class, () -> ClusterSeal.of(SECRET).open(QueryTask.answerContext("id-1", "n2"), reply),
            "an answer sealed for one node does not pass as another's");
    }

    @Test
    void should_complete_fifty_concurrent_queries() throws Exception {
        String topic = unique("many");
        echoEverywhere(topic);
        List<CompletableFuture<Answers>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(nodes.get(i % 3).queries().askAll(topic, utf8("q" + i), Duration.ofSeconds(20)).toCompletableFuture());
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(40, TimeUnit.SECONDS);
        for (int i = 0; i < 50; i++) {
            Answers a = all.get(i).get();
            assertEquals(Map.of(), a.failed(), "query " + i);
            assertEquals("n2:q" + i, text(a.byNode().get("n2")));
        }
    }

    @Test
    void should_answer_a_client_nodes_own_part_itself() throws Exception {
        String topic = unique("client");
        echoEverywhere(topic);
        QueryHandlers own = new QueryHandlers();
        own.add(topic, q -> utf8("c0:" + text(q)));
        // a client-mode node's queries: it is no member, so it answers its own part (the member's instance stands in)
        HazelcastNodeQueries client = new HazelcastNodeQueries(nodes.get(0).member(), ClusterSeal.of(SECRET), "c0", own, false);
        try {
            Answers a = await(client.askAll(topic, utf8("x"), Duration.ofSeconds(10)));
            assertEquals(Map.of(), a.failed());
            assertEquals("c0:x", text(a.byNode().get("c0")));
            assertEquals(Set.of("c0", "n0", "n1", "n2"), a.byNode().keySet());
        } finally {
            client.close();
        }
        ExecutionException closed = assertThrows(ExecutionException.class,
            () -> client.askAll(topic, utf8("x"), Duration.ofSeconds(1)).toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertTrue(closed.getCause() instanceof IllegalStateException, String.valueOf(closed.getCause()));
    }

    @Test
    void should_refuse_a_malformed_question() {
        NodeQueries q = nodes.get(0).queries();
        for (String bad : new String[] {"", " ", "a b", "../x", ".x", "x".repeat(129)}) {
            assertThrows(IllegalArgumentException.class, () -> q.askAll(bad, new byte[0], Duration.ofSeconds(1)), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> q.askAll("t", new byte[NodeQueries.MAX_BYTES + 1], Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> q.askAll("t", new byte[0], Duration.ZERO));
        assertThrows(NullPointerException.class, () -> q.askAll("t", null, Duration.ofSeconds(1)));
    }

    /** The round trip of a small question to three members (printed, not asserted). */
    @Test
    void should_print_the_round_trip_of_a_small_query() throws Exception {
        String topic = unique("ping");
        for (Node n : nodes.subList(0, 3)) {
            n.handlers().add(topic, q -> q);
        }
        NodeQueries q = nodes.get(0).queries();
        for (int i = 0; i < 50; i++) {
            await(q.askAll(topic, utf8("ping"), Duration.ofSeconds(10)));
        }
        long[] micros = new long[200];
        for (int i = 0; i < micros.length; i++) {
            long start = System.nanoTime();
            Answers a = await(q.askAll(topic, utf8("ping"), Duration.ofSeconds(10)));
            micros[i] = (System.nanoTime() - start) / 1000;
            assertEquals(3, a.byNode().size());
        }
        Arrays.sort(micros);
        System.out.printf("node queries: round trip of a 4-byte question to 3 members (with a secret), 200 calls:"
            + " p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n", micros[100] / 1000.0, micros[180] / 1000.0,
            micros[198] / 1000.0, micros[199] / 1000.0);
        assertArrayEquals(utf8("ping"), await(q.askAll(topic, utf8("ping"), Duration.ofSeconds(10))).byNode().get("n1"));

        // the floor: Hazelcast's executor alone, a trivial task to the same members, waited for on this thread
        com.hazelcast.core.IExecutorService executor = nodes.get(0).member().getExecutorService(QueryTask.EXECUTOR);
        for (int i = 0; i < micros.length + 50; i++) {
            long start = System.nanoTime();
            for (Future<byte[]> f : executor.submitToAllMembers(new Pong()).values()) {
                f.get(10, TimeUnit.SECONDS);
            }
            if (i >= 50) {
                micros[i - 50] = (System.nanoTime() - start) / 1000;
            }
        }
        Arrays.sort(micros);
        System.out.printf("node queries: Hazelcast's executor alone, a trivial task to the same 3 members: p50 %.2f ms,"
            + " p99 %.2f ms%n", micros[100] / 1000.0, micros[198] / 1000.0);
    }

    /** A task that does nothing (Java-serialized like {@link QueryTask}), for the floor above. */
    static final class Pong implements java.util.concurrent.Callable<byte[]>, java.io.Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public byte[] call() {
            return new byte[4];
        }
    }
}
