package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Secrets and TLS material of upstreams, resolved where used (CONTRACT §9): two clustered nodes,
 * each with its own {@code MERIDIAN_SECRETS_DIR}, in front of an HTTPS upstream with its own CA that
 * requires a client certificate (mutual TLS). The upstream's host (a loopback address of its own,
 * 127.x.y.z) and a path token come from secrets, and so do the CA and the client certificate and
 * key. None of those values appears in an admin answer, shell output, {@code /metrics}, a log, the
 * access log or any file under either node's directory; the upstream sees the resolved path;
 * an unrelated apply keeps the pooled connection; a rotated CA file is used after
 * {@code secrets-reload} without an edit of the definition.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpstreamSecretsE2EIT {

    private static final Path SECRETS = Paths.get("target", "upstream-secrets-e2e").toAbsolutePath();
    private static final Path PKI_DIR = Paths.get("target", "e2e-pki", "UpstreamSecretsE2EIT").toAbsolutePath();
    private static final TestPki PKI = TestPki.create(PKI_DIR);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A loopback address of the upstream's own, so that the host's value is found nowhere by chance. */
    private static final String HOST = "127." + (100 + RANDOM.nextInt(150)) + "." + (100 + RANDOM.nextInt(150)) + "."
        + (100 + RANDOM.nextInt(150));
    private static final String PATH_TOKEN = "pt-" + HexFormat.of().formatHex(RANDOM.generateSeed(12));
    /** The CA file of the rotation test (the same path on both nodes). */
    private static final Path ROTATED_CA = PKI_DIR.resolve("rotated-ca.pem");

    static {
        try {
            SecretDirs.fresh(SECRETS, "us1", "us2");
            PKI.issue("upstream", "/CN=partner-upstream", "IP:" + HOST, false);
            PKI.issue("client", "/CN=meridian-client", "DNS:meridian-client", false);
            PKI.issue("loopback-only", "/CN=other-name", "IP:127.0.0.1", false);
            PKI.issue("stranger", "/CN=stranger", "IP:127.0.0.1", true); // self-signed: not our CA
            for (String node : List.of("us1", "us2")) {
                write(node, "up-host", HOST + "\n");
                write(node, "up-path", PATH_TOKEN + "\n");
                write(node, "up-ca", Files.readString(PKI.ca()));
                write(node, "client-cert", Files.readString(PKI.cert("client")));
                write(node, "client-key", Files.readString(PKI.key("client")));
            }
            write("us1", "bad-host", "someone@" + HOST + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("us1", 28500, 6021).withEnv("MERIDIAN_SECRETS_DIR", SECRETS.resolve("us1").toString()),
            NodeSpec.of("us2", 28510, 6022).withEnv("MERIDIAN_SECRETS_DIR", SECRETS.resolve("us2").toString()))
        .cluster("upstream-secrets-it")
        .upstream(HttpUpstream.with(2, 64).on("/", ex -> {
            byte[] body = "plain".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        .build();

    private static TlsUpstream partner;

    private static void write(String node, String name, String value) throws IOException {
        Files.writeString(SECRETS.resolve(node).resolve(name), value);
    }

    /** The partner API: host and path token, CA, client certificate and key all from secrets. */
    private static String partnerApi(String id, String hostSecret, String ca) {
        return String.join("\n", "id: " + id, "basePath: /" + id, "upstream:",
            "  url: 'https://${secret:" + hostSecret + "}:" + partner.port() + "/${secret:up-path}/v2'",
            "  tls: { ca: '" + ca + "', cert: '${secret:client-cert}', key: '${secret:client-key}' }", "");
    }

    private static TlsUpstream partner() throws Exception {
        if (partner == null) {
            partner = CLUSTER.startUpstream(() -> new TlsUpstream(PKI.cert("upstream"), PKI.key("upstream"), PKI.ca(),
                InetAddress.getByName(HOST)));
        }
        return partner;
    }

    @Test
    @Order(1)
    void should_call_the_upstream_the_secrets_name_over_mutual_tls_on_both_nodes() throws Exception {
        partner();
        HttpResponse<String> applied = CLUSTER.node(0).send("PUT", "/api/v1/apis/partner?wait=all", "application/yaml",
            partnerApi("partner", "up-host", "${secret:up-ca}"));
        assertEquals(200, applied.statusCode(), applied.body());

        for (MeridianNode node : CLUSTER.nodes()) {
            HttpResponse<String> r = node.get(node.trafficUrl("/partner/orders/1?q=2"), false);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("tls-upstream client=CN=meridian-client", r.body());
        }
        assertTrue(partner.paths.contains("/" + PATH_TOKEN + "/v2/orders/1"), partner.paths.toString());
        String shown = CLUSTER.node(1).get(CLUSTER.node(1).adminUrl("/api/v1/apis/partner"), true).body();
        assertTrue(shown.contains("https://${secret:up-host}:" + partner.port() + "/${secret:up-path}/v2"), shown);
        assertTrue(shown.contains("${secret:client-key}"), shown);
    }

    @Test
    @Order(2)
    void should_refuse_a_missing_secret_or_an_invalid_resolved_url_with_422_and_no_revision() throws Exception {
        MeridianNode node = CLUSTER.node(0);
        String before = node.get(node.adminUrl("/api/v1/revisions?limit=1"), true).body();

        HttpResponse<String> missing = node.send("PUT", "/api/v1/apis/nohost", "application/yaml",
            partnerApi("nohost", "absent-host", "${secret:up-ca}"));
        HttpResponse<String> invalid = node.send("PUT", "/api/v1/apis/badhost", "application/yaml",
            partnerApi("badhost", "bad-host", "${secret:up-ca}"));
        HttpResponse<String> noFile = node.send("PUT", "/api/v1/apis/nofile", "application/yaml",
            partnerApi("nofile", "up-host", PKI_DIR.resolve("absent.pem").toString()));

        assertEquals(422, missing.statusCode(), missing.body());
        assertTrue(missing.body().contains("upstream.url") && missing.body().contains("absent-host"), missing.body());
        assertEquals(422, invalid.statusCode(), invalid.body());
        assertTrue(invalid.body().contains("upstream.url") && invalid.body().contains("user info"), invalid.body());
        assertFalse(invalid.body().contains(HOST), invalid.body());
        assertEquals(422, noFile.statusCode(), noFile.body());
        assertTrue(noFile.body().contains("upstream.tls.ca") && noFile.body().contains("absent.pem"), noFile.body());
        assertEquals(before, node.get(node.adminUrl("/api/v1/revisions?limit=1"), true).body());
    }

    @Test
    @Order(3)
    void should_keep_the_pooled_connection_across_an_unrelated_apply() throws Exception {
        MeridianNode node = CLUSTER.node(0);
        for (int i = 0; i < 20; i++) {
            assertEquals(200, node.get(node.trafficUrl("/partner/warm"), false).statusCode());
        }
        Set<Integer> before = new HashSet<>(partner.connections);

        // After each unrelated apply and after the reload, requests still go over the connections
        // opened before: a rebuilt pool would serve every one of them on a new connection. (Jetty's
        // client may open one more when a request comes before the last answer's connection is
        // back in the pool; that is not a new pool.)
        List<String> phases = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> applied = node.send("PUT", "/api/v1/apis/unrelated?wait=all", "application/yaml",
                String.join("\n", "id: unrelated", "basePath: /unrelated",
                    "upstream: { url: '" + CLUSTER.upstream().url("/") + "', timeout: " + (10 + i) + "s }", ""));
            assertEquals(200, applied.statusCode(), applied.body());
            phases.add(reused(node, "/partner/after", before, "after unrelated apply " + (i + 1)));
        }

        HttpResponse<String> reloaded = node.send("POST", "/api/v1/secrets/reload", null, null);
        assertEquals(200, reloaded.statusCode(), reloaded.body());
        phases.add(reused(node, "/partner/reloaded", before, "after a reload of unchanged secrets"));

        System.out.println("UpstreamSecretsE2EIT: " + before.size() + " upstream connection(s) before 3 unrelated applies,"
            + " a secrets reload and 80 requests, " + partner.connections.size() + " after; " + String.join("; ", phases));
    }

    /** Sends 20 requests to {@code path} and asserts some came over a connection of {@code before}; says how many. */
    private String reused(MeridianNode node, String path, Set<Integer> before, String when) throws Exception {
        int from = partner.requestPorts.size();
        for (int j = 0; j < 20; j++) {
            assertEquals(200, node.get(node.trafficUrl(path), false).statusCode());
        }
        List<Integer> all = new ArrayList<>(partner.requestPorts);
        List<Integer> ports = all.subList(from, all.size());
        long old = ports.stream().filter(before::contains).count();
        assertTrue(old > 0, "every request " + when + " came over a new upstream connection (the pool was rebuilt): "
            + ports + ", before: " + before);
        return when + ": " + old + " of " + ports.size() + " on a connection from before";
    }


    @Test
    @Order(4)
    void should_use_a_rotated_ca_file_after_secrets_reload_without_an_edit() throws Exception {
        Files.copy(PKI.cert("stranger"), ROTATED_CA, StandardCopyOption.REPLACE_EXISTING); // not the upstream's CA
        HttpResponse<String> applied = CLUSTER.node(0).send("PUT", "/api/v1/apis/rotated?wait=all", "application/yaml",
            partnerApi("rotated", "up-host", ROTATED_CA.toString()));
        assertEquals(200, applied.statusCode(), applied.body());
        for (MeridianNode node : CLUSTER.nodes()) {
            HttpResponse<String> untrusted = node.get(node.trafficUrl("/rotated/x"), false);
            assertEquals(502, untrusted.statusCode(), untrusted.body());
            assertTrue(untrusted.body().contains("not trusted"), untrusted.body());
        }

        Files.copy(PKI.ca(), ROTATED_CA, StandardCopyOption.REPLACE_EXISTING);
        MeridianNode first = CLUSTER.node(0);
        assertEquals(502, first.get(first.trafficUrl("/rotated/x"), false).statusCode(),
            "a changed file is read on the next apply or reload, like a secret");

        HttpResponse<String> reloaded = first.send("POST", "/api/v1/secrets/reload", null, null);
        assertEquals(200, reloaded.statusCode(), reloaded.body());
        String out = CLUSTER.node(1).shell("gateway:secrets-reload");
        assertTrue(out.contains("Secrets reloaded"), out);

        for (MeridianNode node : CLUSTER.nodes()) {
            HttpResponse<String> ok = node.get(node.trafficUrl("/rotated/x"), false);
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(200, node.get(node.trafficUrl("/partner/x"), false).statusCode());
        }
    }

    @Test
    @Order(5)
    void should_redact_the_resolved_host_from_a_tls_failure_in_the_answer_the_log_and_the_access_log() throws Exception {
        TlsUpstream misnamed = CLUSTER.startUpstream(() -> new TlsUpstream(PKI.cert("loopback-only"),
            PKI.key("loopback-only"), null, InetAddress.getByName(HOST)));
        HttpResponse<String> applied = CLUSTER.node(0).send("PUT", "/api/v1/apis/misnamed?wait=all", "application/yaml",
            String.join("\n", "id: misnamed", "basePath: /misnamed",
                "upstream: { url: 'https://${secret:up-host}:" + misnamed.port() + "', tls: { ca: '${secret:up-ca}' } }", ""));
        assertEquals(200, applied.statusCode(), applied.body());

        MeridianNode node = CLUSTER.node(0);
        Path log = node.home.resolve("data/log/karaf.log");
        // TLS failures are logged at most once a second (for all upstreams): asked until one is
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
            HttpResponse<String> refused = node.get(node.trafficUrl("/misnamed/x"), false);
            assertEquals(502, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("does not name its host"), refused.body());
            return Files.readString(log).contains("upstream TLS of API misnamed failed");
        });
        String line = Files.readString(log).lines().filter(l -> l.contains("upstream TLS of API misnamed failed"))
            .findFirst().orElseThrow();
        assertTrue(line.contains("${secret:up-host}"), "the JDK's message names the host: shown as its reference: " + line);
    }

    @Test
    @Order(6)
    void should_report_a_node_whose_secrets_lack_the_upstream_host_and_serve_after_its_reload() throws Exception {
        MeridianNode first = CLUSTER.node(0);
        MeridianNode second = CLUSTER.node(1);
        write("us1", "first-host", HOST + "\n");

        HttpResponse<String> applied = first.send("PUT", "/api/v1/apis/onlyfirst", "application/yaml",
            partnerApi("onlyfirst", "first-host", "${secret:up-ca}"));
        assertEquals(200, applied.statusCode(), applied.body());
        long revision = Long.parseLong(applied.body().replaceAll("(?s).*\"revision\"\\s*:\\s*(\\d+).*", "$1"));

        Awaitility.await().atMost(Duration.ofSeconds(20))
            .until(() -> first.get(first.adminUrl("/api/v1/cluster"), true).body().contains("secret 'first-host' not found"));
        assertEquals(200, first.get(first.trafficUrl("/onlyfirst/x"), false).statusCode());
        HttpResponse<String> previous = second.get(second.trafficUrl("/onlyfirst/x"), false);
        assertEquals(404, previous.statusCode(), "the second node serves the revision before: " + previous.body());

        write("us2", "first-host", HOST + "\n");
        String out = second.shell("gateway:secrets-reload");

        assertTrue(out.contains("revision " + revision), out);
        assertEquals(200, second.get(second.trafficUrl("/onlyfirst/x"), false).statusCode());
    }

    @Test
    @Order(7)
    void should_show_no_value_in_any_answer_output_metrics_log_or_file() throws Exception {
        List<String> answers = new ArrayList<>();
        for (MeridianNode node : CLUSTER.nodes()) {
            for (String path : List.of("/api/v1/apis", "/api/v1/apis/partner", "/api/v1/apis/rotated", "/api/v1/revisions",
                "/api/v1/revisions/1", "/api/v1/revisions/2", "/api/v1/cluster", "/api/v1/cache/stats", "/api/v1/audit")) {
                answers.add(path + " " + node.get(node.adminUrl(path), true).body());
            }
            answers.add(node.get(node.adminUrl("/metrics"), false).body());
            answers.add(node.send("POST", "/api/v1/validate", "application/yaml",
                partnerApi("partner", "bad-host", "${secret:up-ca}")).body());
            for (String command : List.of("gateway:list", "gateway:show partner", "gateway:show misnamed", "gateway:revisions",
                "gateway:cluster", "gateway:show -r 1 partner")) {
                answers.add(command + " " + node.shell(command));
            }
        }
        String all = String.join("\n", answers);
        assertTrue(all.contains("${secret:up-host}") && all.contains("${secret:client-key}"), "the answers show the references");
        List<String> values = values();
        for (String v : values) {
            assertFalse(all.contains(v), "a value in an answer: " + v);
        }

        List<String> hits = new ArrayList<>();
        long[] scanned = new long[2];
        for (String node : List.of("us1", "us2")) {
            FileGrep.scan(CLUSTER.workDir().resolve(node), f -> {
                scanned[0]++;
                scanned[1] += f.content().length;
                values.stream().filter(v -> f.holds(v.getBytes(StandardCharsets.UTF_8)))
                    .forEach(v -> hits.add(f.file() + " holds a secret value"));
            });
        }
        assertEquals(List.of(), hits);
        assertTrue(scanned[0] > 100, "scanned " + scanned[0] + " files");
        Path accessLog = CLUSTER.workDir().resolve("us1").resolve("data/log/access.log");
        assertTrue(Files.readString(accessLog).contains("api=misnamed"), "the access log was scanned with the failure in it");
        System.out.println("UpstreamSecretsE2EIT: scanned " + scanned[0] + " files, " + scanned[1] / 1024 + " KiB, for "
            + values.size() + " values: no hit");
    }

    /** Every value the secrets hold: the host, the path token, and a line of each PEM's base64 (the key's too). */
    private static List<String> values() throws IOException {
        List<String> values = new ArrayList<>(List.of(HOST, PATH_TOKEN));
        for (Path pem : List.of(PKI.ca(), PKI.cert("client"), PKI.key("client"))) {
            values.add(Files.readAllLines(pem).get(2)); // a whole line of base64, inside the block
        }
        return values;
    }
}
