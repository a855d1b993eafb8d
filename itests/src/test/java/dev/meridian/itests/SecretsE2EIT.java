package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Secrets by reference (CONTRACT §9): two clustered nodes, each with its own
 * {@code MERIDIAN_SECRETS_DIR} (outside the node directories). The upstream records the
 * {@code X-Token} each request brought, by path: {@code /n0} through the first node, {@code /n1}
 * through the second. The value reaches the upstream and appears in no admin answer, shell
 * output, metrics, log, revision file or any other file under either node's directory.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretsE2EIT {

    private static final Path SECRETS = Paths.get("target", "secrets-e2e").toAbsolutePath();
    /** path at the upstream → the X-Token of the last request there. */
    private static final Map<String, String> SEEN = new ConcurrentHashMap<>();
    /** path at the upstream → the X-Literal of the last request there. */
    private static final Map<String, String> LITERAL = new ConcurrentHashMap<>();
    private static final List<String> VALUES = new ArrayList<>(); // every value written: none may leak

    static {
        try {
            for (String node : List.of("se1", "se2")) {
                Path dir = Files.createDirectories(SECRETS.resolve(node));
                try (Stream<Path> left = Files.list(dir)) { // files of an earlier run would hide a missing secret
                    for (Path f : (Iterable<Path>) left::iterator) {
                        Files.delete(f);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("se1", 32000, 5951).withEnv("MERIDIAN_SECRETS_DIR", SECRETS.resolve("se1").toString()),
            NodeSpec.of("se2", 32010, 5952).withEnv("MERIDIAN_SECRETS_DIR", SECRETS.resolve("se2").toString()))
        .cluster("secrets-it")
        .upstream(HttpUpstream.with(8, 128).on("/", ex -> {
            SEEN.put(ex.getRequestURI().getPath(), String.valueOf(ex.getRequestHeaders().getFirst("X-Token")));
            LITERAL.put(ex.getRequestURI().getPath(), String.valueOf(ex.getRequestHeaders().getFirst("X-Literal")));
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        .build();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String secret(String node, String name) throws IOException {
        String value = "sv-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        synchronized (VALUES) {
            VALUES.add(value);
        }
        Files.writeString(SECRETS.resolve(node).resolve(name), value + "\n");
        return value;
    }

    private static String definition(String id, String header, String reference) {
        return String.join("\n", "id: " + id, "basePath: /" + id,
            "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }",
            "policies:",
            "  - type: set-headers",
            "    request: { set: { " + header + ": '" + reference + "', X-Literal: 'a $${secret:tok} b' } }", "");
    }

    private String token(MeridianNode node, String api, String path) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(node.trafficUrl("/" + api + path)))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return SEEN.get(path);
    }

    @Test
    @Order(1)
    void should_send_the_value_upstream_on_every_node_and_keep_the_reference_in_the_definition() throws Exception {
        String v1 = secret("se1", "tok");
        Files.writeString(SECRETS.resolve("se2").resolve("tok"), v1 + "\n");

        HttpResponse<String> applied = CLUSTER.node(0).send("PUT", "/api/v1/apis/sec?wait=all", "application/yaml",
            definition("sec", "X-Token", "${secret:tok}"));

        assertEquals(200, applied.statusCode(), applied.body());
        assertEquals(v1, token(CLUSTER.node(0), "sec", "/n0"));
        assertEquals(v1, token(CLUSTER.node(1), "sec", "/n1"));
        String shown = CLUSTER.node(1).get(CLUSTER.node(1).adminUrl("/api/v1/apis/sec"), true).body();
        assertTrue(shown.contains("${secret:tok}") && shown.contains("$${secret:tok}"), shown);
    }

    @Test
    @Order(2)
    void should_send_the_literal_text_of_an_escaped_reference() throws Exception {
        token(CLUSTER.node(0), "sec", "/lit");

        assertEquals("a ${secret:tok} b", LITERAL.get("/lit"));
    }

    @Test
    @Order(3)
    void should_refuse_an_apply_naming_a_missing_secret_with_422_and_no_revision() throws Exception {
        MeridianNode node = CLUSTER.node(0);
        String before = node.get(node.adminUrl("/api/v1/revisions?limit=1"), true).body();

        HttpResponse<String> r = node.send("PUT", "/api/v1/apis/missing", "application/yaml",
            definition("missing", "X-Token", "Bearer ${secret:absent-one}"));

        assertEquals(422, r.statusCode(), r.body());
        assertTrue(r.body().contains("absent-one"), r.body());
        assertTrue(r.body().contains("policies[0].request.set.X-Token"), r.body());
        assertEquals(before, node.get(node.adminUrl("/api/v1/revisions?limit=1"), true).body());
    }

    @Test
    @Order(4)
    void should_serve_a_changed_secret_after_reload_with_no_failed_request() throws Exception {
        MeridianNode first = CLUSTER.node(0);
        MeridianNode second = CLUSTER.node(1);
        String old = token(first, "sec", "/n0");
        String v2 = secret("se1", "tok");
        Files.writeString(SECRETS.resolve("se2").resolve("tok"), v2 + "\n");
        assertEquals(old, token(first, "sec", "/n0"), "a changed file waits for a reload or an apply");

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ok = new AtomicLong();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<Thread> load = new ArrayList<>();
        for (MeridianNode node : List.of(first, second)) {
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(node.trafficUrl("/sec/load")))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                        } else {
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (IOException | InterruptedException e) {
                        failures.add(e.toString());
                    }
                }
            }, "load-" + node);
            t.start();
            load.add(t);
        }
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 50);

            HttpResponse<String> reloaded = first.send("POST", "/api/v1/secrets/reload", null, null);
            assertEquals(200, reloaded.statusCode(), reloaded.body());
            assertEquals(v2, token(first, "sec", "/n0"));
            assertEquals(old, token(second, "sec", "/n1"), "a reload is per node");

            String out = second.shell("gateway:secrets-reload");
            assertTrue(out.contains("Secrets reloaded"), out);
            assertEquals(v2, token(second, "sec", "/n1"));
            long at = ok.get();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > at + 50);
        } finally {
            stop.set(true);
            for (Thread t : load) {
                t.join(15_000);
            }
        }
        assertEquals(List.of(), failures);
        System.out.println("SecretsE2EIT: " + ok.get() + " requests across both reloads, 0 failed");
    }

    @Test
    @Order(5)
    void should_report_a_node_that_cannot_resolve_a_secret_and_serve_after_its_reload() throws Exception {
        MeridianNode first = CLUSTER.node(0);
        MeridianNode second = CLUSTER.node(1);
        String value = secret("se1", "only-first");

        HttpResponse<String> applied = first.send("PUT", "/api/v1/apis/partial", "application/yaml",
            definition("partial", "X-Token", "${secret:only-first}"));
        assertEquals(200, applied.statusCode(), applied.body());
        long revision = Long.parseLong(applied.body().replaceAll(".*\"revision\"\\s*:\\s*(\\d+).*", "$1"));

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            String listing = first.get(first.adminUrl("/api/v1/cluster"), true).body();
            return Pattern.compile("\"error\"\\s*:\\s*\\{\"revision\"\\s*:\\s*" + revision + "\\s*,\\s*\"reason\"[^}]*secret 'only-first' not found")
                .matcher(listing).find();
        });
        // catch-up publishes it again every second on se2: the failure is logged once, not once a try
        Path log = second.home.resolve("data/log/karaf.log");
        String failure = "revision " + revision + " cannot be served on this node";
        Awaitility.await("the failure logged").atMost(Duration.ofSeconds(10)).until(() -> lines(log, failure).size() >= 1);
        Awaitility.await("the failure logged once while it is retried").during(Duration.ofSeconds(5))
            .atMost(Duration.ofSeconds(8)).until(() -> lines(log, failure).size() == 1);
        String logged = lines(log, failure).get(0);
        assertTrue(logged.contains("| WARN ") && logged.contains("secret 'only-first' not found"), logged);
        String metrics = second.get(second.adminUrl("/metrics"), false).body();
        assertTrue(metrics.contains("\nmeridian_revision_unserved " + revision + "\n"), metrics);
        String listing = first.get(first.adminUrl("/api/v1/cluster"), true).body();
        assertFalse(listing.contains(value), listing);
        String shown = first.shell("gateway:cluster");
        assertTrue(shown.contains("cannot serve revision " + revision) && shown.contains("only-first"), shown);
        assertFalse(shown.contains(value), shown);
        assertEquals(value, token(first, "partial", "/p0"));
        HttpResponse<String> refused = second.send("POST", "/api/v1/secrets/reload", null, null);
        assertEquals(422, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("only-first"), refused.body());

        Files.writeString(SECRETS.resolve("se2").resolve("only-first"), value + "\n");
        String out = second.shell("gateway:secrets-reload");

        assertTrue(out.contains("revision " + revision), out);
        assertEquals(value, token(second, "partial", "/p1"));
        assertEquals(1, lines(log, "revision " + revision + " is served on this node now").size(), "the end of the failure logged once");
        assertEquals(1, lines(log, failure).size());
        assertTrue(second.get(second.adminUrl("/metrics"), false).body().contains("\nmeridian_revision_unserved 0\n"));
        Awaitility.await().atMost(Duration.ofSeconds(20))
            .until(() -> !first.get(first.adminUrl("/api/v1/cluster"), true).body().contains("only-first"));
    }

    private static List<String> lines(Path log, String containing) throws IOException {
        return Files.readAllLines(log, StandardCharsets.ISO_8859_1).stream().filter(l -> l.contains(containing)).toList();
    }

    @Test
    @Order(6)
    void should_show_no_value_in_any_answer_output_log_or_file() throws Exception {
        List<String> answers = new ArrayList<>();
        for (MeridianNode node : CLUSTER.nodes()) {
            for (String path : List.of("/api/v1/apis", "/api/v1/apis/sec", "/api/v1/apis/partial", "/api/v1/revisions",
                "/api/v1/revisions/1", "/api/v1/revisions/2", "/api/v1/revisions/3", "/api/v1/cluster", "/api/v1/plugins",
                "/api/v1/cache/stats")) {
                answers.add(path + " " + node.get(node.adminUrl(path), true).body());
            }
            answers.add(node.get(node.adminUrl("/metrics"), false).body());
            answers.add(node.send("POST", "/api/v1/validate", "application/yaml",
                definition("sec", "X-Token", "${secret:tok}x")).body());
            for (String command : List.of("gateway:list", "gateway:show sec", "gateway:show partial", "gateway:revisions",
                "gateway:cluster", "gateway:show -r 1 sec")) {
                answers.add(command + " " + node.shell(command));
            }
        }
        String all = String.join("\n", answers);
        assertTrue(all.contains("${secret:tok}"), "the answers show the references");
        List<String> values;
        synchronized (VALUES) {
            values = List.copyOf(VALUES);
        }
        assertEquals(3, values.size());
        for (String v : values) {
            assertFalse(all.contains(v), "a value in an answer: " + all);
        }

        List<String> hits = new ArrayList<>();
        List<Path> references = new ArrayList<>();
        long[] scanned = new long[2];
        for (String node : List.of("se1", "se2")) {
            FileGrep.scan(CLUSTER.workDir().resolve(node), f -> {
                scanned[0]++;
                scanned[1] += f.content().length;
                if (f.file().toString().contains("revisions") && f.holds("${secret:only-first}".getBytes(StandardCharsets.UTF_8))) {
                    references.add(f.file());
                }
                for (String v : values) {
                    if (f.holds(v.getBytes(StandardCharsets.UTF_8))) {
                        hits.add(f.file() + " holds a secret value");
                    }
                }
            });
        }
        assertEquals(List.of(), hits);
        // the revision made on se1 reached se2 through the cluster and was written there: with the reference
        assertTrue(references.stream().anyMatch(f -> f.startsWith(CLUSTER.workDir().resolve("se2"))), references.toString());
        assertTrue(scanned[0] > 100, "scanned " + scanned[0] + " files");
        System.out.println("SecretsE2EIT: scanned " + scanned[0] + " files, " + scanned[1] / 1024 + " KiB, for "
            + values.size() + " values: no hit");
    }
}
