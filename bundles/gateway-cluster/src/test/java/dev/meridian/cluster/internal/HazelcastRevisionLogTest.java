package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;


import dev.meridian.cluster.CommittedRevision;

/**
 * The lock-free revision log on two real Hazelcast members in this JVM (loopback): one gap-free
 * sequence under concurrent commits from both, each revision computed from the one before it; a
 * refusal or a "nothing to do" is decided on the newest revision only; a number freed by pruning
 * is never taken by a node whose idea of the newest is far behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HazelcastRevisionLogTest {

    private static final String CLUSTER = "revision-log-test-" + UUID.randomUUID();
    @RegisterExtension
    static final LoopbackMembers MEMBERS = new LoopbackMembers(CLUSTER, 5871, 20, c -> HazelcastRevisionLog.configure(c, 2));

    @BeforeEach
    void empty() {
        MEMBERS.a.getMap(HazelcastRevisionLog.REVISIONS_MAP).clear();
        MEMBERS.a.getMap(HazelcastRevisionLog.HEAD_MAP).clear();
    }

    /** A payload that names the revision it was computed from. */
    private static Optional<String> next(Optional<CommittedRevision> base, String what) {
        return Optional.of("after=" + base.map(CommittedRevision::revision).orElse(0L) + ";" + what);
    }

    @Test
    void should_warm_the_commit_on_a_key_owned_by_each_member_and_leave_nothing() throws Exception {
        Set<com.hazelcast.cluster.Member> members = MEMBERS.a.getCluster().getMembers();
        List<Long> keys = HazelcastRevisionLog.warmupKeys(MEMBERS.a.getPartitionService(), members);
        assertEquals(members.size(), keys.size(), "one key per member: " + keys);
        Set<java.util.UUID> owners = new HashSet<>();
        for (long key : keys) {
            assertTrue(key < 0, "never a revision number: " + key);
            owners.add(MEMBERS.a.getPartitionService().getPartition(key).getOwner().getUuid());
        }
        assertEquals(members.stream().map(com.hazelcast.cluster.Member::getUuid).collect(java.util.stream.Collectors.toSet()), owners);

        HazelcastRevisionLog onA = new HazelcastRevisionLog(MEMBERS.a, 2);
        List<CommittedRevision> announced = new CopyOnWriteArrayList<>();
        onA.onCommitted(announced::add);
        try {
            onA.start();
            assertTrue(MEMBERS.a.getMap(HazelcastRevisionLog.REVISIONS_MAP).isEmpty(), "the warm-up leaves no entry");
            assertTrue(MEMBERS.a.getMap(HazelcastRevisionLog.HEAD_MAP).isEmpty(), "nor a head");
            assertEquals(1, onA.commit(base -> next(base, "first")).orElseThrow().revision());
            Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !announced.isEmpty());
            assertEquals(List.of(1L), announced.stream().map(CommittedRevision::revision).toList(), "warm-up keys are not announced");
        } finally {
            onA.close();
        }
    }

    @Test
    void should_commit_one_gap_free_sequence_when_two_members_commit_at_once() throws Exception {
        HazelcastRevisionLog onA = new HazelcastRevisionLog(MEMBERS.a, 2);
        HazelcastRevisionLog onB = new HazelcastRevisionLog(MEMBERS.b, 2);
        onA.start();
        onB.start();
        List<CommittedRevision> announcedOnB = new CopyOnWriteArrayList<>();
        onB.onCommitted(announcedOnB::add);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Long>>> writers = new ArrayList<>();
            int perWriter = 40;
            for (HazelcastRevisionLog log : List.of(onA, onB, onA, onB)) {
                String name = "w" + writers.size();
                writers.add(pool.submit(() -> {
                    List<Long> mine = new ArrayList<>();
                    for (int i = 0; i < perWriter; i++) {
                        String what = name + "-" + i;
                        mine.add(log.commit(base -> next(base, what)).orElseThrow().revision());
                    }
                    return mine;
                }));
            }
            Set<Long> numbers = new HashSet<>();
            for (Future<List<Long>> w : writers) {
                numbers.addAll(w.get(90, TimeUnit.SECONDS));
            }
            int total = 4 * perWriter;
            assertEquals(total, numbers.size(), "each change got its own number");
            Set<String> changes = new HashSet<>();
            for (long n = 1; n <= total; n++) {
                String payload = onA.get(n).orElseThrow(() -> new AssertionError("gap")).payload();
                assertTrue(payload.startsWith("after=" + (n - 1) + ";"), "revision " + n + " computed from " + payload);
                assertTrue(changes.add(payload.substring(payload.indexOf(';') + 1)), "a change committed twice: " + payload);
            }
            assertFalse(onA.get(total + 1).isPresent());
            assertEquals(total, onB.latest().orElseThrow().revision());
            Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> announcedOnB.size() == total);
        } finally {
            pool.shutdownNow();
            onA.close();
            onB.close();
        }
    }

    @Test
    void should_decide_nothing_to_do_and_refusals_on_the_newest_revision_only() throws Exception {
        HazelcastRevisionLog stale = new HazelcastRevisionLog(MEMBERS.a, 2); // not started: hears of nothing
        HazelcastRevisionLog other = new HazelcastRevisionLog(MEMBERS.b, 2);
        try {
            stale.commit(base -> next(base, "first"));
            other.commit(base -> next(base, "second")); // revision 2, unknown to `stale`
            List<Long> given = new CopyOnWriteArrayList<>();

            Optional<CommittedRevision> outcome = stale.commit(base -> {
                long n = base.map(CommittedRevision::revision).orElse(0L);
                given.add(n);
                return n < 2 ? Optional.empty() : next(base, "third"); // "nothing to do" on the stale base only
            });

            assertEquals(List.of(1L, 2L), given);
            assertEquals(3, outcome.orElseThrow().revision());
            other.commit(base -> next(base, "fourth"));
            List<Long> refusedOn = new CopyOnWriteArrayList<>();
            assertThrows(IllegalStateException.class, () -> stale.commit(base -> {
                refusedOn.add(base.orElseThrow().revision());
                throw new IllegalStateException("409 on " + base.orElseThrow().revision());
            }));
            assertEquals(List.of(3L, 4L), refusedOn, "the refusal on 3 was computed again on the newest, 4");
        } finally {
            stale.close();
            other.close();
        }
    }

    @Test
    void should_not_take_a_number_freed_by_pruning_when_its_idea_of_the_newest_is_far_behind() throws Exception {
        HazelcastRevisionLog behind = new HazelcastRevisionLog(MEMBERS.a, 2); // not started: hears of nothing
        try {
            behind.commit(base -> next(base, "one"));
            // meanwhile the cluster went on far past the kept window: 2 was pruned long ago
            long far = 1 + HazelcastRevisionLog.KEPT * 2L;
            MEMBERS.a.<Long, String>getMap(HazelcastRevisionLog.REVISIONS_MAP).set(far, "after=" + (far - 1) + ";elsewhere");
            MEMBERS.a.<String, Long>getMap(HazelcastRevisionLog.HEAD_MAP).set(HazelcastRevisionLog.HEAD, far);

            CommittedRevision committed = behind.commit(base -> next(base, "late")).orElseThrow();

            assertEquals(far + 1, committed.revision());
            assertEquals("after=" + far + ";late", committed.payload());
            assertFalse(behind.get(2).isPresent(), "the pruned number was given back");
        } finally {
            behind.close();
        }
    }

    @Test
    void should_keep_the_newest_when_nodes_seed_after_a_full_restart() {
        HazelcastRevisionLog onA = new HazelcastRevisionLog(MEMBERS.a, 2);
        HazelcastRevisionLog onB = new HazelcastRevisionLog(MEMBERS.b, 2);
        try {
            onA.seed(new CommittedRevision(12, "twelve"));
            onB.seed(new CommittedRevision(10, "ten")); // older: not kept

            assertEquals(new CommittedRevision(12, "twelve"), onB.latest().orElseThrow());
            assertFalse(onA.get(10).isPresent());
        } finally {
            onA.close();
            onB.close();
        }
    }

    @Test
    void should_refuse_revisions_not_sealed_with_the_cluster_secret_and_commit_over_them() throws Exception {
        ClusterSeal secret = ClusterSeal.of("the-cluster-secret");
        HazelcastRevisionLog onA = new HazelcastRevisionLog(MEMBERS.a, 2, secret);
        HazelcastRevisionLog onB = new HazelcastRevisionLog(MEMBERS.b, 2, secret);
        List<Long> announcedOnB = new CopyOnWriteArrayList<>();
        onB.start();
        try (AutoCloseable l = onB.onCommitted(r -> announcedOnB.add(r.revision()))) {
            assertEquals(1, onA.commit(base -> next(base, "first")).orElseThrow().revision());
            assertTrue(String.valueOf(MEMBERS.a.getMap(HazelcastRevisionLog.REVISIONS_MAP).get(1L)).startsWith("s1."),
                "stored sealed, not as plain JSON");
            assertEquals("after=0;first", onB.get(1).orElseThrow().payload());
            // a process with another secret, and one with none, write the next numbers through the same cluster
            MEMBERS.a.getMap(HazelcastRevisionLog.REVISIONS_MAP).put(2L, ClusterSeal.of("another").seal("revision:2", "{\"forged\":1}"));
            MEMBERS.a.getMap(HazelcastRevisionLog.REVISIONS_MAP).put(3L, "{\"forged\":2}");
            assertTrue(new HazelcastRevisionLog(MEMBERS.a, 2, ClusterSeal.of("another")).get(1).isEmpty(), "another secret reads nothing");
            assertTrue(onB.get(2).isEmpty());
            assertEquals(1, onB.latest().orElseThrow().revision(), "the forged numbers are not the newest");
            // the next commit takes number 2 over the forged value
            CommittedRevision second = onA.commit(base -> next(base, "second")).orElseThrow();
            assertEquals(2, second.revision());
            assertEquals("after=1;second", onB.get(2).orElseThrow().payload());
            Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> announcedOnB.contains(2L));
            assertEquals(List.of(1L, 2L), announcedOnB.stream().distinct().toList(), "forged puts are never announced");
        } finally {
            onB.close();
        }
    }

    @Test
    void should_seal_records_and_refuse_or_take_over_forged_ones() throws Exception {
        ClusterSeal secret = ClusterSeal.of("the-cluster-secret");
        HazelcastRecords onA = new HazelcastRecords(MEMBERS.a, "sealed-book", secret);
        HazelcastRecords onB = new HazelcastRecords(MEMBERS.b, "sealed-book", secret);
        List<String> seenOnB = new CopyOnWriteArrayList<>();
        onB.start();
        try (AutoCloseable l = onB.onWrite((k, v) -> seenOnB.add(k + "=" + v))) {
            assertTrue(onA.putIfAbsent("ci", "{\"role\":\"operator\"}").isEmpty());
            assertEquals(Optional.of("{\"role\":\"operator\"}"), onB.get("ci"));
            assertEquals(Optional.of("{\"role\":\"operator\"}"), onB.putIfAbsent("ci", "{}"), "taken: the record there");
            assertTrue(new HazelcastRecords(MEMBERS.a, "sealed-book", ClusterSeal.of("another")).get("ci").isEmpty());
            assertTrue(onB.replace("ci", "{\"role\":\"operator\"}", "{\"role\":\"viewer\"}"));
            // what a process without the secret writes is not read, not announced, and gives its key up
            MEMBERS.a.getMap(HazelcastRecords.PREFIX + "sealed-book").put("rogue", "{\"role\":\"admin\"}");
            MEMBERS.a.getMap(HazelcastRecords.PREFIX + "sealed-book").put("taken", "{\"role\":\"admin\"}");
            assertTrue(onA.get("rogue").isEmpty());
            assertEquals(java.util.Map.of("ci", "{\"role\":\"viewer\"}"), onA.all());
            assertTrue(onA.putIfAbsent("taken", "{\"role\":\"viewer\"}").isEmpty(), "a forged record does not hold a name");
            assertEquals(Optional.of("{\"role\":\"viewer\"}"), onB.get("taken"));
            Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> seenOnB.contains("taken={\"role\":\"viewer\"}"));
            assertTrue(seenOnB.stream().noneMatch(e -> e.startsWith("rogue")), String.valueOf(seenOnB));
        } finally {
            onB.close();
        }
    }
}
