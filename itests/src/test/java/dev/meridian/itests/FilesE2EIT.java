package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Files under pressure (issue 11 item 7), one node: its data dir ({@code MERIDIAN_DATA}, which
 * holds the revision files) and its access log ({@code MERIDIAN_ACCESS_LOG}) each on a small
 * tmpfs mounted for this class (as root; skipped with a message when {@code mount} is refused),
 * filled to the last page by a test and freed again. The deploy folder: an oversized file, a
 * symbolic link, a file written slowly in pieces, and a restart that must not re-apply a file
 * over a newer change made through the API.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FilesE2EIT {

    private static final Path MOUNTS = Paths.get("target", "files-e2e").toAbsolutePath();
    private static final Path DATA = MOUNTS.resolve("data");
    private static final Path LOGS = MOUNTS.resolve("log");
    /** Why the tmpfs mounts failed, or null when both are mounted. */
    private static final String NOT_MOUNTED;
    private static final String PASSWORD = "files-e2e-admin";

    static {
        String why = Tmpfs.mount(DATA, "512k");
        NOT_MOUNTED = why != null ? why : Tmpfs.mount(LOGS, "512k");
    }

    @RegisterExtension
    static final MeridianCluster<CountingUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("fi1", 32020, 32021, 32022)
            .withEnv("MERIDIAN_DATA", DATA.toString())
            .withEnv("MERIDIAN_ACCESS_LOG", LOGS.resolve("access.log").toString())
            .withEnv("MERIDIAN_DEPLOY_MAX_BYTES", "4k"))
        .password(PASSWORD)
        .upstream(CountingUpstream::new)
        .api("f1", up -> api("f1", up, "base"))
        .build();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterAll
    static void unmount() {
        Tmpfs.unmount(DATA);
        Tmpfs.unmount(LOGS);
    }

    private static String api(String id, Upstream up, String marker) {
        return String.join("\n", "id: " + id, "basePath: /" + id, "upstream: { url: '" + up.url("/") + "' }",
            "policies:", "  - type: set-headers", "    response: { set: { X-Marker: " + marker + " } }", "");
    }

    private static MeridianNode node() {
        return CLUSTER.node(0);
    }

    private static Path deploy() {
        return CLUSTER.workDir().resolve("fi1").resolve("deploy");
    }

    private HttpResponse<String> traffic(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(node().trafficUrl(path))).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static long latestRevision() throws Exception {
        String body = node().get(node().adminUrl("/api/v1/revisions?limit=1"), true).body();
        Matcher m = Pattern.compile("\"revision\"\\s*:\\s*(\\d+)").matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static String show(String id) throws Exception {
        HttpResponse<String> r = node().get(node().adminUrl("/api/v1/apis/" + id), true);
        return r.statusCode() + " " + r.body();
    }

    private static long metric(String name) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)").matcher(node().get(node().adminUrl("/metrics"), false).body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long written(Path log, String marker) throws IOException {
        return Files.readAllLines(log).stream().filter(l -> l.contains(marker)).count();
    }

    // ---- deploy folder -----------------------------------------------------------------------

    @Test
    @Order(1)
    void should_refuse_an_oversized_deploy_file_naming_file_and_cap() throws Exception {
        long before = latestRevision();
        String padding = "# " + "x".repeat(100) + "\n";
        Files.writeString(deploy().resolve("big.api.yaml"), api("big", CLUSTER.upstream(), "big") + padding.repeat(50));

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
            node().logTail(400).contains("deploy: big.api.yaml is 5"));
        String log = node().logTail(400);
        assertTrue(log.contains("over MERIDIAN_DEPLOY_MAX_BYTES (4096): refused, nothing changed"), log);
        assertTrue(log.contains("ERROR"), log);
        assertEquals(before, latestRevision());
        assertTrue(show("big").startsWith("404"), show("big"));
    }

    @Test
    @Order(2)
    void should_refuse_a_symlink_in_the_deploy_folder() throws Exception {
        long before = latestRevision();
        Path real = Files.writeString(CLUSTER.workDir().resolve("linked.yaml"), api("linked", CLUSTER.upstream(), "l"));
        Files.createSymbolicLink(deploy().resolve("linked.api.yaml"), real);

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
            node().logTail(400).contains("deploy: linked.api.yaml is a symbolic link: refused"));
        assertEquals(before, latestRevision());
        assertTrue(show("linked").startsWith("404"), show("linked"));
    }

    @Test
    @Order(3)
    void should_apply_a_file_written_slowly_in_pieces_once_and_whole() throws Exception {
        long before = latestRevision();
        String whole = api("slow", CLUSTER.upstream(), "whole");
        // cut where the head alone is a valid definition (no policies yet): applied half-written, it would serve without them
        int cut = whole.indexOf("policies:");
        List<String> pieces = List.of(whole.substring(0, 20), whole.substring(20, cut), whole.substring(cut, cut + 12),
            whole.substring(cut + 12));
        Path file = deploy().resolve("slow.api.yaml");
        for (String piece : pieces) {
            Files.writeString(file, piece, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Thread.sleep(300); // the writer's pace, shorter than MERIDIAN_DEPLOY_SETTLE [500ms]
        }

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> latestRevision() > before);
        Awaitility.await("one revision for the file, no second one").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
            .until(() -> latestRevision() == before + 1);
        assertTrue(show("slow").contains("whole"), show("slow"));
        assertEquals("whole", traffic("/slow/x").headers().firstValue("X-Marker").orElse(""));
    }

    @Test
    @Order(4)
    void should_not_reapply_an_unchanged_deploy_file_over_a_newer_api_change_after_restart() throws Exception {
        Path file = deploy().resolve("order.api.yaml");
        Files.writeString(file, api("order", CLUSTER.upstream(), "from-file"));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> show("order").contains("from-file"));
        HttpResponse<String> put = node().send("PUT", "/api/v1/apis/order", "application/yaml",
            api("order", CLUSTER.upstream(), "from-api"));
        assertEquals(200, put.statusCode(), put.body());
        long afterApi = latestRevision();

        node().restart(Duration.ofMinutes(3));

        Awaitility.await("the API's change stays").during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8))
            .until(() -> show("order").contains("from-api"));
        assertEquals(afterApi, latestRevision());
        assertTrue(node().logTail(600).contains("order.api.yaml is unchanged since it was applied"), node().logTail(100));

        Files.writeString(file, api("order", CLUSTER.upstream(), "file-edited"));

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> show("order").contains("file-edited"));
    }

    // ---- full disk ---------------------------------------------------------------------------

    @Test
    @Order(5)
    void should_refuse_changes_with_507_while_the_revision_dir_is_full_and_publish_nothing() throws Exception {
        assumeTrue(NOT_MOUNTED == null, NOT_MOUNTED);
        long before = latestRevision();
        assertEquals(200, traffic("/f1/a").statusCode());
        Path filler = Tmpfs.fill(DATA);
        try {
            HttpResponse<String> put = node().send("PUT", "/api/v1/apis/f2", "application/yaml", api("f2", CLUSTER.upstream(), "f2"));
            HttpResponse<String> delete = node().send("DELETE", "/api/v1/apis/f1", null, null);
            HttpResponse<String> rollback = node().send("POST", "/api/v1/rollback", "application/json", "{\"to\": 1}");

            for (HttpResponse<String> r : List.of(put, delete, rollback)) {
                assertEquals(507, r.statusCode(), r.body());
                assertTrue(r.body().contains("cannot be written to this node's disk") && r.body().contains("nothing was changed"), r.body());
            }
            assertEquals(before, latestRevision());
            assertEquals(before, metric("meridian_revision"));
            assertTrue(show("f2").startsWith("404"), show("f2"));
            HttpResponse<String> served = traffic("/f1/b");
            assertEquals(200, served.statusCode());
            assertEquals(Long.toString(before), served.headers().firstValue("X-Meridian-Revision").orElse(""));
            assertEquals(404, traffic("/f2/b").statusCode());
        } finally {
            Files.delete(filler);
        }

        HttpResponse<String> put = node().send("PUT", "/api/v1/apis/f2", "application/yaml", api("f2", CLUSTER.upstream(), "f2"));

        assertEquals(200, put.statusCode(), put.body());
        assertEquals(before + 1, latestRevision(), "no gap in the numbering");
        assertEquals(200, traffic("/f2/c").statusCode());
        try (var files = Files.list(DATA.resolve("revisions"))) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".staged")), "no staged file left");
        }
    }

    // ---- access log on a full disk -----------------------------------------------------------

    @Test
    @Order(6)
    void should_drop_and_count_access_log_lines_while_full_and_resume_after() throws Exception {
        assumeTrue(NOT_MOUNTED == null, NOT_MOUNTED);
        Path log = LOGS.resolve("access.log");
        assertEquals(200, traffic("/f1/before-full").statusCode());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.readString(log).contains("/f1/before-full"));
        long dropped = metric("meridian_access_log_dropped_total");
        assertTrue(dropped >= 0, "the counter is exported");
        Path filler = Tmpfs.fill(LOGS);
        try {
            // the last page of access.log may still take a few lines: use it up until one is dropped
            int[] sent = {0};
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                traffic("/f1/page-" + sent[0]++);
                return metric("meridian_access_log_dropped_total") > dropped;
            });
            long full = metric("meridian_access_log_dropped_total");
            for (int i = 0; i < 50; i++) {
                assertEquals(200, traffic("/f1/while-full-" + i).statusCode(), "the data plane serves on");
            }
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> metric("meridian_access_log_dropped_total") >= full + 50);
            assertEquals(0, written(log, "while-full"));
        } finally {
            Files.delete(filler);
        }

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            traffic("/f1/after-full");
            return Files.readString(log).contains("/f1/after-full");
        });
        assertTrue(node().logTail(400).contains("is written again"), node().logTail(50));
    }
}
