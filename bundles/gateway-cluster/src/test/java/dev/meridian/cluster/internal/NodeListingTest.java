package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;

import dev.meridian.cluster.ClusterNode;

/**
 * The cluster listing on two real Hazelcast members in this JVM (loopback): what one member
 * publishes, the other lists from its own events (verified, parsed, replaced whole); removals,
 * expiries and forged entries; entries written before the listing started; and a full read racing
 * a stream of changes ends on the newest value of each entry.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeListingTest {

    private static final String CLUSTER = "node-listing-test-" + UUID.randomUUID();
    private static final int FIRST_PORT = 5831;
    private static final int PORTS = 20;
    private static final ClusterSeal SEAL = ClusterSeal.of("listing-test-secret");
    @RegisterExtension
    static final LoopbackMembers MEMBERS = new LoopbackMembers(CLUSTER, FIRST_PORT, PORTS, c -> { });

    private String mapName;
    private final List<NodeListing> started = new ArrayList<>();

    @BeforeEach
    void freshMap() {
        mapName = "nodes-" + UUID.randomUUID(); // each test its own map: no listener sees another test's entries
    }

    @AfterEach
    void closeListings() {
        started.forEach(NodeListing::close);
    }

    private NodeListing listing(HazelcastInstance h) {
        NodeListing l = new NodeListing(map(h), SEAL).start();
        started.add(l);
        return l;
    }

    private ReplicatedMap<String, String> map(HazelcastInstance h) {
        return h.getReplicatedMap(mapName);
    }

    private static ClusterNode node(String name, long revision) {
        return new ClusterNode(name, "eu", "127.0.0.1:1", revision, "ready", List.of(Map.of("type", "set-headers")), null);
    }

    private static void awaitListed(NodeListing l, Set<String> live, List<ClusterNode> expected) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
            .untilAsserted(() -> assertEquals(expected, l.nodes(live)));
    }

    @Test
    void should_list_what_another_member_publishes_and_follow_its_changes() {
        NodeListing onA = listing(MEMBERS.a);
        NodeListing onB = listing(MEMBERS.b);
        Set<String> live = Set.of("n1", "n2");
        onA.publish("n1", NodeListing.toJson(node("n1", 1)), 60);
        onB.publish("n2", NodeListing.toJson(node("n2", 1)), 60);
        awaitListed(onB, live, List.of(node("n1", 1), node("n2", 1)));
        awaitListed(onA, live, List.of(node("n1", 1), node("n2", 1)));

        onA.publish("n1", NodeListing.toJson(node("n1", 7)), 60);
        awaitListed(onB, live, List.of(node("n1", 7), node("n2", 1)));

        onA.remove("n1");
        awaitListed(onB, live, List.of(node("n2", 1)));
    }

    @Test
    void should_show_a_node_missing_from_the_members_as_unreachable_unless_it_is_a_client() {
        NodeListing onA = listing(MEMBERS.a);
        String client = NodeListing.toJson(node("c1", 3));
        onA.publish("c1", client.substring(0, client.length() - 1) + ",\"client\":true}", 60);
        onA.publish("n9", NodeListing.toJson(node("n9", 3)), 60);
        awaitListed(onA, Set.of(), List.of(node("c1", 3), node("n9", 3).withState("unreachable")));
    }

    @Test
    void should_list_entries_written_before_it_started() {
        map(MEMBERS.a).put("n1", SEAL.seal(NodeListing.context("n1"), NodeListing.toJson(node("n1", 4))));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> map(MEMBERS.b).containsKey("n1"));
        NodeListing onB = listing(MEMBERS.b);
        assertEquals(List.of(node("n1", 4)), onB.nodes(Set.of("n1")), "read at start, not only from later events");
    }

    @Test
    void should_refuse_forged_and_unreadable_entries() {
        NodeListing onB = listing(MEMBERS.b);
        map(MEMBERS.a).put("x1", ClusterSeal.of("another-secret").seal(NodeListing.context("x1"), NodeListing.toJson(node("x1", 1))));
        map(MEMBERS.a).put("x2", SEAL.seal(NodeListing.context("x2"), "{not json"));
        map(MEMBERS.a).put("x3", SEAL.seal(NodeListing.context("x1"), NodeListing.toJson(node("x3", 1)))); // sealed for another name
        map(MEMBERS.a).put("n1", SEAL.seal(NodeListing.context("n1"), NodeListing.toJson(node("n1", 2))));
        awaitListed(onB, Set.of("n1"), List.of(node("n1", 2)));
        onB.reconcile();
        assertEquals(List.of(node("n1", 2)), onB.nodes(Set.of("n1")), "a full read refuses them too");
    }

    @Test
    void should_drop_an_entry_whose_time_to_live_ran_out() {
        NodeListing onB = listing(MEMBERS.b);
        onB.publish("n1", NodeListing.toJson(node("n1", 1)), 1);
        awaitListed(onB, Set.of("n1"), List.of(node("n1", 1)));
        awaitListed(onB, Set.of("n1"), List.of()); // the node stopped renewing it
    }

    @Test
    void should_end_on_the_newest_value_when_full_reads_race_changes() throws Exception {
        NodeListing onB = listing(MEMBERS.b);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> writes = pool.submit(() -> {
                for (int r = 1; r <= 300; r++) {
                    for (String n : List.of("n1", "n2", "n3")) {
                        map(MEMBERS.a).put(n, SEAL.seal(NodeListing.context(n), NodeListing.toJson(node(n, r))));
                    }
                }
                map(MEMBERS.a).remove("n3");
            });
            Future<?> reads = pool.submit(() -> {
                while (!writes.isDone()) {
                    onB.reconcile();
                }
            });
            writes.get(60, TimeUnit.SECONDS);
            reads.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        Set<String> live = Set.of("n1", "n2", "n3");
        awaitListed(onB, live, List.of(node("n1", 300), node("n2", 300)));
        onB.reconcile();
        assertEquals(List.of(node("n1", 300), node("n2", 300)), onB.nodes(live));
        assertTrue(onB.nodes(live).stream().noneMatch(n -> n.name().equals("n3")), "a removal is not undone by a full read");
    }
}
