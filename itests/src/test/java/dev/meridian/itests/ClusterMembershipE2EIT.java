package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes started from the distribution as separate processes form one Hazelcast cluster
 * over TCP/IP on loopback: each lists all three with the revision it serves; a fourth node with
 * a duplicate name is refused; a node that leaves gracefully disappears; a SIGKILLed one is
 * listed as unreachable.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterMembershipE2EIT {

    private static final Path WORK = Paths.get("target", "e2e");
    private static final String MEMBERS = "127.0.0.1:5911,127.0.0.1:5912,127.0.0.1:5913";
    private static final Pattern NAME = Pattern.compile("\"name\":\"([^\"]+)\"[^}]*?\"state\":\"([a-z]+)\"");
    private static final List<MeridianNode> NODES = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        for (int i = 1; i <= 3; i++) {
            NODES.add(new MeridianNode("cn" + i, WORK, 26080 + i * 10, 26081 + i * 10, 26082 + i * 10, "cluster-secret")
                .start(Map.of("MERIDIAN_CLUSTER_NAME", "membership-it", "MERIDIAN_CLUSTER_PORT", "591" + i,
                    "MERIDIAN_CLUSTER_MEMBERS", MEMBERS)));
        }
        for (MeridianNode n : NODES) {
            n.awaitReady(Duration.ofMinutes(3));
        }
    }

    @AfterAll
    static void stopCluster() {
        NODES.forEach(MeridianNode::close);
    }

    /** name → state, as one node's {@code GET /api/v1/cluster} answers. */
    private static Map<String, String> listing(MeridianNode node) throws Exception {
        HttpResponse<String> r = node.get(node.adminUrl("/api/v1/cluster"), true);
        assertEquals(200, r.statusCode(), r.body());
        Map<String, String> out = new java.util.TreeMap<>();
        Matcher m = NAME.matcher(r.body());
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    @Test
    @Order(1)
    void should_list_every_node_as_ready_on_every_node() throws Exception {
        Map<String, String> expected = Map.of("cn1", "ready", "cn2", "ready", "cn3", "ready");
        for (MeridianNode n : NODES) {
            Awaitility.await("listing on " + n.name).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> listing(n).equals(expected));
        }
        String shell = NODES.get(0).shell("gateway:cluster");
        assertTrue(shell.contains("cn1") && shell.contains("cn2") && shell.contains("cn3"), shell);
    }

    @Test
    @Order(2)
    void should_refuse_a_node_whose_name_is_taken() throws Exception {
        try (MeridianNode duplicate = new MeridianNode("cn2", WORK.resolve("dup"), 26140, 26141, 26142, "cluster-secret")) {
            duplicate.start(Map.of("MERIDIAN_CLUSTER_NAME", "membership-it", "MERIDIAN_CLUSTER_PORT", "5914",
                "MERIDIAN_CLUSTER_MEMBERS", MEMBERS));
            Awaitility.await("duplicate refused").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> java.nio.file.Files.exists(duplicate.home.resolve("data/log/karaf.log"))
                    && java.nio.file.Files.readString(duplicate.home.resolve("data/log/karaf.log")).contains("is already used by cluster member"));
            assertEquals("127.0.0.1:26100", addressOf(NODES.get(0), "cn2"), "the original cn2 keeps its place");
        }
    }

    @Test
    @Order(3)
    void should_drop_a_node_that_leaves_and_mark_a_killed_one_unreachable() throws Exception {
        NODES.get(2).close(); // SIGTERM: graceful leave
        Awaitility.await("cn3 gone").atMost(Duration.ofSeconds(90)).ignoreExceptions()
            .until(() -> listing(NODES.get(0)).equals(Map.of("cn1", "ready", "cn2", "ready")));

        ProcessHandle jvm = NODES.get(1).process().descendants()
            .filter(p -> p.info().command().orElse("").endsWith("java")).findFirst().orElseThrow();
        jvm.destroyForcibly(); // SIGKILL
        Awaitility.await("cn2 unreachable").atMost(Duration.ofSeconds(30)).ignoreExceptions()
            .until(() -> listing(NODES.get(0)).equals(Map.of("cn1", "ready", "cn2", "unreachable")));
    }

    private static String addressOf(MeridianNode node, String name) throws Exception {
        String body = node.get(node.adminUrl("/api/v1/cluster"), true).body();
        Matcher m = Pattern.compile("\"name\":\"" + name + "\",\"region\":\"[^\"]*\",\"address\":\"([^\"]+)\"").matcher(body);
        return m.find() ? m.group(1) : null;
    }
}
