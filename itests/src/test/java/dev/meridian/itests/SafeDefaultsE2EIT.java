package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 11's safe defaults seen from outside, on two node processes: the admin port and ssh
 * listen on loopback only (traffic on every address); the cluster secret keeps out a node with
 * another secret or none (each stops by itself), and a plain Hazelcast process that joins the
 * cluster port cannot change what the nodes serve — not the revision, not a stored answer, not
 * through an invalidation broadcast.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class SafeDefaultsE2EIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String CLUSTER_NAME = "safe-it";

    private static final String SECRET = "safe-it-" + java.util.UUID.randomUUID();
    /** sd2 reads the secret from a file (MERIDIAN_CLUSTER_SECRET_FILE wins over a wrong MERIDIAN_CLUSTER_SECRET). */
    private static final Path SECRET_FILE = secretFile();

    private static Path secretFile() {
        try {
            Path dir = Files.createDirectories(Path.of("target", "safe-it"));
            return Files.writeString(dir.resolve("cluster.secret"), SECRET + "\n").toAbsolutePath();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @RegisterExtension
    static final MeridianCluster<CountingUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("sd1", 30000, 5981), NodeSpec.of("sd2", 30010, 5982)
            .withEnv("MERIDIAN_CLUSTER_SECRET", "wrong").withEnv("MERIDIAN_CLUSTER_SECRET_FILE", SECRET_FILE.toString()))
        .cluster(CLUSTER_NAME)
        .env("MERIDIAN_CLUSTER_SECRET", SECRET)
        .upstream(CountingUpstream::new)
        .api("safe", up -> String.join("\n", "id: safe", "basePath: /safe",
            "upstream: { url: '" + up.url("/") + "' }", "cache:", "  ttl: 300s", ""))
        .build();

    private static HttpResponse<String> get(MeridianNode n, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(n.trafficUrl(path))).timeout(Duration.ofSeconds(15)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    /** Addresses listening on a TCP port, from /proc/net/tcp and tcp6 ("127.0.0.1", "0.0.0.0", "::", ...). */
    private static Set<String> listening(int port) throws IOException {
        Set<String> out = new TreeSet<>();
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(file);
            if (!Files.exists(p)) {
                continue;
            }
            for (String line : Files.readAllLines(p).subList(1, Files.readAllLines(p).size())) {
                String[] f = line.trim().split("\\s+");
                String[] local = f[1].split(":");
                if (!f[3].equals("0A") || Integer.parseInt(local[1], 16) != port) {
                    continue; // 0A: LISTEN
                }
                out.add(address(local[0]));
            }
        }
        return out;
    }

    /** /proc/net's hex address (little-endian words) as text; IPv4-mapped IPv6 as its IPv4 address. */
    private static String address(String hex) {
        byte[] b = new byte[hex.length() / 2];
        for (int word = 0; word < b.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                b[word * 4 + i] = (byte) Integer.parseInt(hex.substring(word * 8 + (3 - i) * 2, word * 8 + (3 - i) * 2 + 2), 16);
            }
        }
        if (b.length == 16) {
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            boolean any = true;
            for (byte x : b) {
                any &= x == 0;
            }
            if (any) {
                return "::";
            }
            if (mapped) {
                b = java.util.Arrays.copyOfRange(b, 12, 16);
            } else {
                return hex;
            }
        }
        return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }

    @Test
    @Order(10)
    void should_listen_for_admin_and_ssh_on_loopback_only_and_for_traffic_everywhere() throws Exception {
        for (MeridianNode n : CLUSTER.nodes()) {
            URI admin = URI.create(n.adminUrl("/"));
            assertEquals(Set.of("127.0.0.1"), listening(admin.getPort()), n.name + ": the admin port (API, web console)");
            assertEquals(Set.of("127.0.0.1"), listening(admin.getPort() + 1), n.name + ": ssh");
            Set<String> traffic = listening(URI.create(n.trafficUrl("/")).getPort());
            assertTrue(traffic.contains("0.0.0.0") || traffic.contains("::"), n.name + ": traffic on every address: " + traffic);
            assertEquals(Set.of("127.0.0.1"), listening(clusterPort(n)), n.name + ": the cluster port on MERIDIAN_CLUSTER_HOST");
        }
    }

    private static int clusterPort(MeridianNode n) {
        return n.name.equals("sd1") ? 5981 : 5982;
    }

    @Test
    @Order(20)
    void should_stop_a_node_with_another_cluster_secret_or_none_before_it_changes_anything() throws Exception {
        long revision = newestRevision();
        int i = 0;
        for (String secret : new String[] {"not-the-cluster-secret", ""}) {
            i++;
            MeridianNode stranger = CLUSTER.newNode(NodeSpec.of("sd-stranger-" + i, 30010 + 10 * (i + 1), 5982 + i)
                .withEnv("MERIDIAN_CLUSTER_SECRET", secret));
            stranger.start();
            Awaitility.await("the node with " + (secret.isEmpty() ? "no secret" : "another secret") + " stopped by itself")
                .atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> !stranger.process().isAlive());
            String log = Files.readString(stranger.home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
            assertTrue(log.contains("every node of a cluster needs the same MERIDIAN_CLUSTER_SECRET"), stranger.logTail(40));
            for (MeridianNode n : CLUSTER.nodes()) {
                assertFalse(n.clusterStates().containsKey(stranger.name), n.name + " never lists " + stranger.name);
            }
        }
        assertEquals(revision, newestRevision(), "nothing was committed");
        assertEquals(200, get(CLUSTER.node(1), "/safe/item/after-strangers").statusCode());
    }

    @Test
    @Order(30)
    void should_not_let_a_foreign_hazelcast_member_change_revisions_stored_answers_or_invalidate() throws Exception {
        CountingUpstream rogueUpstream = CLUSTER.startUpstream(CountingUpstream::new);
        // an answer stored by sd1 only (and held in sd1's fast tier): sd2 will read it from the cluster
        HttpResponse<String> stored = get(CLUSTER.node(0), "/safe/item/honest");
        assertEquals("MISS", stored.headers().firstValue("X-Cache").orElse(""));
        assertEquals("HIT", get(CLUSTER.node(0), "/safe/item/honest").headers().firstValue("X-Cache").orElse(""));
        long revision = newestRevision();
        String servedRevision = get(CLUSTER.node(1), "/safe/x").headers().firstValue("X-Meridian-Revision").orElseThrow();

        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), RogueMember.class.getName(), CLUSTER_NAME, "5985",
            "127.0.0.1:5981,127.0.0.1:5982", origin(CLUSTER.upstream()), origin(rogueUpstream)));
        Process rogue = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out;
        try {
            assertTrue(rogue.waitFor(120, TimeUnit.SECONDS), "the rogue member finished");
            out = new String(rogue.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            rogue.destroyForcibly();
        }
        List<String> said = out.lines().filter(l -> l.startsWith("rogue ")).toList();
        System.out.println(String.join("\n", said));
        assertTrue(said.stream().anyMatch(l -> l.startsWith("rogue forged revisions") && !l.contains("not found")), out);
        assertTrue(said.stream().anyMatch(l -> l.startsWith("rogue forged cache entry")), out);
        assertTrue(said.stream().filter(l -> l.startsWith("rogue broadcast to sd")).allMatch(l -> l.contains("refused")), out);
        assertTrue(said.contains("rogue done"), out);

        // nothing it wrote is served: the revision, the stored answer, the fast tier it tried to invalidate
        Thread.sleep(2000);
        for (MeridianNode n : CLUSTER.nodes()) {
            HttpResponse<String> r = get(n, "/safe/x");
            assertEquals(servedRevision, r.headers().firstValue("X-Meridian-Revision").orElseThrow(), n.name);
        }
        assertEquals(revision, newestRevision());
        assertEquals(0, rogueUpstream.total(), "no request went to the rogue's upstream");
        HttpResponse<String> onSd2 = get(CLUSTER.node(1), "/safe/item/honest");
        assertTrue(onSd2.body().contains("honest") && !onSd2.body().contains("forged"), onSd2.body());
        assertEquals("HIT", get(CLUSTER.node(0), "/safe/item/honest").headers().firstValue("X-Cache").orElse(""),
            "the rogue's invalidation was refused");
        assertTrue(CLUSTER.node(0).logTail(400).contains("has no MERIDIAN_CLUSTER_SECRET"), "the stranger was named in the log");

        // and the next change takes the numbers the rogue occupied
        CLUSTER.apply("safe", String.join("\n", "id: safe", "basePath: /safe",
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }", "cache:", "  ttl: 200s", ""));
        assertEquals(revision + 1, newestRevision());
        for (MeridianNode n : CLUSTER.nodes()) {
            assertEquals(Long.toString(revision + 1), get(n, "/safe/y").headers().firstValue("X-Meridian-Revision").orElseThrow(),
                n.name);
        }
    }

    /** An upstream's URL as a revision stores it (scheme, host and port, no trailing slash). */
    private static String origin(Upstream up) {
        String url = up.url("/");
        return url.substring(0, url.length() - 1);
    }

    private static long newestRevision() throws Exception {
        HttpResponse<String> r = CLUSTER.node(0).get(CLUSTER.node(0).adminUrl("/api/v1/revisions"), true);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"revision\":(\\d+)").matcher(r.body());
        long max = 0;
        while (m.find()) {
            max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }
}
