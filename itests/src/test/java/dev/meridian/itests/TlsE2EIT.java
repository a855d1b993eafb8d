package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS everywhere CONTRACT §9 asks for, on one node with certificates the test makes with
 * openssl: the admin port HTTPS only; traffic over HTTPS with certificates chosen by SNI and
 * replaced under load without a failed request or a closed connection; https upstreams verified
 * against a private CA, with a client certificate for mutual TLS.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class TlsE2EIT {

    private static final int HTTPS_PORT = 32103;
    private static final Path PKI_DIR = Paths.get("target", "e2e-pki", "TlsE2EIT").toAbsolutePath();
    private static final TestPki PKI = TestPki.create(PKI_DIR);
    private static final Path TRAFFIC_DIR = trafficDir();

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> NODE = MeridianCluster
        .of(NodeSpec.of("tls-1", 32100, 32101, 32102))
        .env("MERIDIAN_ADMIN_TLS_CERT", PKI.cert("admin").toString())
        .env("MERIDIAN_ADMIN_TLS_KEY", PKI.key("admin").toString())
        .env("MERIDIAN_HTTPS_PORT", Integer.toString(HTTPS_PORT))
        .env("MERIDIAN_TLS_DIR", TRAFFIC_DIR.toString())
        .upstream(HttpUpstream.with(4, 256).on("/", ex -> {
            byte[] body = ("proto=" + ex.getRequestHeaders().getFirst("X-Forwarded-Proto")).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }))
        .api("front", up -> String.join("\n", "id: front", "basePath: /front",
            "upstream: { url: '" + up.url("/") + "' }", ""))
        .build();

    /**
     * {@code alpha} (alpha.test) and {@code beta} (*.beta.test) with RSA keys, {@code gamma}
     * (gamma.test) with an EC P-256 key, {@code delta} (delta.test) with an Ed25519 key, issued by
     * the test CA; alpha is the default (first name).
     */
    private static Path trafficDir() {
        Path dir = PKI_DIR.resolve("traffic");
        PKI.issue("admin", "/CN=meridian-admin", "IP:127.0.0.1,DNS:localhost", false);
        PKI.issue("alpha", "/CN=alpha.test/O=gen0", "DNS:alpha.test", false);
        PKI.issue("beta", "/CN=beta.test", "DNS:*.beta.test", false);
        PKI.issue("gamma", "/CN=gamma.test", "DNS:gamma.test", "ec");
        PKI.issue("delta", "/CN=delta.test", "DNS:delta.test", "ed25519");
        PKI.install("alpha", dir);
        PKI.install("beta", dir);
        PKI.install("gamma", dir);
        PKI.install("delta", dir);
        return dir;
    }

    // ------------------------------------------------------------------ admin port

    @Test
    void should_serve_the_admin_port_over_https_only() throws Exception {
        MeridianNode node = NODE.node(0);
        assertTrue(node.adminUrl("/").startsWith("https://"));
        assertEquals(200, node.get(node.adminUrl("/ready"), false).statusCode());
        assertEquals(200, node.send("GET", "/api/v1/apis", null, null).statusCode());
        // plain HTTP gets no HTTP answer from the admin port
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.adminPort + "/ready")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString()));
        // the admin certificate is the one given; its keystore is the owner's only
        assertEquals("CN=meridian-admin", handshake(node.adminPort, null).getSubjectX500Principal().getName());
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(node.home.resolve("data/meridian/admin-tls.p12"))));
    }

    @Test
    void should_keep_the_admin_keystore_password_off_the_disk() throws Exception {
        MeridianNode node = NODE.node(0);
        // the password bin/setenv handed to the JVM, read from its environment
        String password = null;
        for (String entry : new String(Files.readAllBytes(Paths.get("/proc", Long.toString(node.jvm().pid()), "environ")),
            StandardCharsets.UTF_8).split("\0")) {
            if (entry.startsWith("MERIDIAN_ADMIN_KEYSTORE_PASSWORD=")) {
                password = entry.substring(entry.indexOf('=') + 1);
            }
        }
        assertTrue(password != null && password.length() >= 24, "a random password in the node's environment");
        // it is the keystore's: the store opens with it (and pax-web serves with it: the test above)
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(node.home.resolve("data/meridian/admin-tls.p12"))) {
            store.load(in, password.toCharArray());
        }
        assertEquals(List.of("admin"), java.util.Collections.list(store.aliases()));

        // nowhere under the node's directory: not in ConfigAdmin's store (data/cache), etc/, logs
        assertEquals(List.of(), FileGrep.holding(node.home, password.getBytes(StandardCharsets.UTF_8)));
        // ConfigAdmin persisted pax-web's configuration with the placeholder in its place
        assertTrue(!FileGrep.holding(node.home.resolve("data/cache"),
            "$[env:MERIDIAN_ADMIN_KEYSTORE_PASSWORD]".getBytes(StandardCharsets.UTF_8)).isEmpty(),
            "pax-web's persisted configuration keeps the placeholder");
    }

    // ------------------------------------------------------------------ traffic port

    @Test
    void should_choose_the_traffic_certificate_by_sni() throws Exception {
        // alpha as installed now (the reload test replaces it, in whichever order the tests run)
        String alpha = dev.meridian.tls.Pem.certificates(Files.readString(TRAFFIC_DIR.resolve("alpha.crt"))).get(0)
            .getSubjectX500Principal().getName();
        assertTrue(alpha.endsWith("CN=alpha.test"), alpha);
        assertEquals(alpha, handshake(HTTPS_PORT, "alpha.test").getSubjectX500Principal().getName());
        assertEquals("CN=beta.test", handshake(HTTPS_PORT, "www.beta.test").getSubjectX500Principal().getName());
        assertEquals("CN=beta.test", handshake(HTTPS_PORT, "WWW.Beta.Test").getSubjectX500Principal().getName());
        assertEquals(alpha, handshake(HTTPS_PORT, "beta.test").getSubjectX500Principal().getName(),
            "a wildcard covers one label, not the bare domain: the default");
        assertEquals(alpha, handshake(HTTPS_PORT, "unknown.test").getSubjectX500Principal().getName(),
            "no name matches: the default (first in name order)");
        assertEquals(alpha, handshake(HTTPS_PORT, null).getSubjectX500Principal().getName(), "no SNI: the default");
        try (KeepAliveClient c = new KeepAliveClient(tlsSocket(HTTPS_PORT, "www.beta.test"), "www.beta.test")) {
            KeepAliveClient.Reply r = c.get("/front/x");
            assertEquals(200, r.status());
            assertEquals("proto=https", r.body());
        }
    }

    @Test
    void should_serve_ec_and_ed25519_certificates_beside_rsa_by_name_and_by_what_the_client_accepts() throws Exception {
        X509Certificate gamma = handshake(HTTPS_PORT, "gamma.test");
        assertEquals("CN=gamma.test", gamma.getSubjectX500Principal().getName());
        assertEquals("EC", gamma.getPublicKey().getAlgorithm());
        X509Certificate delta = handshake(HTTPS_PORT, "delta.test");
        assertEquals("CN=delta.test", delta.getSubjectX500Principal().getName());
        assertEquals("EdDSA", delta.getPublicKey().getAlgorithm());
        assertEquals("RSA", handshake(HTTPS_PORT, "alpha.test").getPublicKey().getAlgorithm(),
            "a client that prefers ECDSA (the JDK's) still gets the RSA pair that names alpha.test");
        try (KeepAliveClient c = new KeepAliveClient(tlsSocket(HTTPS_PORT, "gamma.test"), "gamma.test")) {
            assertEquals("proto=https", c.get("/front/ec").body());
        }
        // clients that accept one key type only (openssl): the pair of that type, whatever the name
        assertTrue(sClient("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-noservername").contains("CN = gamma.test"));
        assertTrue(sClient("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-servername", "unknown.test")
            .contains("CN = gamma.test"));
        assertTrue(sClient("-tls1_3", "-sigalgs", "ed25519", "-servername", "unknown.test").contains("CN = delta.test"));
        assertTrue(sClient("-tls1_3", "-sigalgs", "ecdsa_secp256r1_sha256", "-noservername").contains("CN = gamma.test"));
        String refused = sClient("-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256", "-servername", "gamma.test");
        assertTrue(refused.contains("no peer certificate available") && !refused.contains("CN = alpha.test"),
            "an RSA-only client asking for a name only an EC pair has: refused, not given another name's certificate: " + refused);
    }

    @Test
    void should_replace_certificates_under_load_without_a_failed_request_or_a_closed_connection() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger keptAlive = new AtomicInteger();
        AtomicInteger fresh = new AtomicInteger();
        AtomicReference<String> lastSeen = new AtomicReference<>("");
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(new Thread(() -> {
                try (KeepAliveClient c = new KeepAliveClient(tlsSocket(HTTPS_PORT, "alpha.test"), "alpha.test")) {
                    while (!stop.get()) {
                        KeepAliveClient.Reply r = c.get("/front/k" + id);
                        if (r.status() != 200) {
                            failures.add("keep-alive " + id + ": " + r.status() + " " + r.body());
                        }
                        keptAlive.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.add("keep-alive " + id + ": " + e);
                }
            }, "tls-keepalive-" + i));
        }
        threads.add(new Thread(() -> {
            while (!stop.get()) {
                try (SSLSocket s = tlsSocket(HTTPS_PORT, "alpha.test");
                    KeepAliveClient c = new KeepAliveClient(s, "alpha.test")) {
                    KeepAliveClient.Reply r = c.get("/front/new");
                    if (r.status() != 200) {
                        failures.add("new connection: " + r.status() + " " + r.body());
                    }
                    lastSeen.set(((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName());
                    fresh.incrementAndGet();
                } catch (Exception e) {
                    failures.add("new connection: " + e);
                }
            }
        }, "tls-new-connections"));
        Path karafLog = NODE.node(0).home.resolve("data/log/karaf.log");
        long logBefore = Files.readAllLines(karafLog, StandardCharsets.ISO_8859_1).size();
        threads.forEach(Thread::start);
        try {
            for (int gen = 1; gen <= 3; gen++) {
                PKI.issue("alpha" + gen, "/CN=alpha.test/O=gen" + gen, "DNS:alpha.test", false);
                if (gen == 2) {
                    // half-written: the new certificate with a key cut short; the previous pair stays
                    Path log = NODE.node(0).home.resolve("data/log/karaf.log");
                    long refusedBefore = refusals(log);
                    String key = Files.readString(PKI.key("alpha" + gen));
                    Files.copy(PKI.cert("alpha" + gen), TRAFFIC_DIR.resolve("alpha.crt"), StandardCopyOption.REPLACE_EXISTING);
                    Files.writeString(TRAFFIC_DIR.resolve("alpha.key"), key.substring(0, key.length() / 2));
                    Awaitility.await("the half-written pair refused").atMost(Duration.ofSeconds(15))
                        .pollInterval(Duration.ofMillis(200)).until(() -> refusals(log) > refusedBefore);
                    assertEquals("O=gen1,CN=alpha.test", handshake(HTTPS_PORT, "alpha.test").getSubjectX500Principal().getName(),
                        "a half-written pair keeps the previous certificate");
                }
                Files.copy(PKI.cert("alpha" + gen), TRAFFIC_DIR.resolve("alpha.crt"), StandardCopyOption.REPLACE_EXISTING);
                Files.copy(PKI.key("alpha" + gen), TRAFFIC_DIR.resolve("alpha.key"), StandardCopyOption.REPLACE_EXISTING);
                String expected = "O=gen" + gen + ",CN=alpha.test";
                Awaitility.await("new handshakes see gen" + gen).atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(100)).until(() -> expected.equals(lastSeen.get()));
            }
            int keptBefore = keptAlive.get();
            Awaitility.await("keep-alive connections still served").atMost(Duration.ofSeconds(10))
                .until(() -> keptAlive.get() > keptBefore + 100);
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(20_000);
            }
        }
        System.out.printf("TLS reload under load: %d requests on 4 keep-alive connections, %d new connections, %d failures%n",
            keptAlive.get(), fresh.get(), failures.size());
        assertEquals(List.of(), List.copyOf(failures), "failed requests or closed connections");
        assertTrue(keptAlive.get() > 1_000, "keep-alive requests: " + keptAlive.get());
        assertTrue(fresh.get() > 50, "new connections: " + fresh.get());
        // one line of ours per reload, naming what changed; none of Jetty's per-certificate lines
        List<String> logged = Files.readAllLines(karafLog, StandardCharsets.ISO_8859_1);
        List<String> reloads = logged.subList((int) logBefore, logged.size()).stream()
            .filter(l -> l.contains("TLS certificates reloaded")).toList();
        assertEquals(3, reloads.size(), String.join("\n", reloads));
        assertTrue(reloads.stream().allMatch(l -> l.contains("| INFO ") && l.contains(": replaced alpha [alpha.test]; serving [alpha, beta, delta, gamma]")),
            String.join("\n", reloads));
        assertEquals(List.of(), logged.stream().filter(l -> l.contains("x509=")).toList(),
            "Jetty's SslContextFactory logs no INFO line per certificate (at start or on a reload)");
        // MERIDIAN_HTTP_SELECTORS is left to its default, one per core: the load above ran on that many
        int cores = Runtime.getRuntime().availableProcessors();
        assertTrue(logged.stream().anyMatch(l -> l.contains(":" + HTTPS_PORT + " (" + cores + " selectors)")),
            "HTTPS with " + cores + " selectors");
    }

    // ------------------------------------------------------------------ upstreams

    @Test
    void should_verify_https_upstreams_against_the_private_ca() throws Exception {
        MeridianNode node = NODE.node(0);
        PKI.issue("upstream", "/CN=upstream", "IP:127.0.0.1", false);
        PKI.issue("rogue", "/CN=rogue", "IP:127.0.0.1", true);
        TlsUpstream trusted = NODE.startUpstream(() -> new TlsUpstream(PKI.cert("upstream"), PKI.key("upstream"), null));
        TlsUpstream rogue = NODE.startUpstream(() -> new TlsUpstream(PKI.cert("rogue"), PKI.key("rogue"), null));

        NODE.apply("up-ca", api("up-ca", trusted.url("/"), "tls: { ca: '" + PKI.ca() + "' }"));
        HttpResponse<String> ok = node.get(node.trafficUrl("/up-ca/x"), false);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("tls-upstream client=none", ok.body());

        String inline = Files.readString(PKI.ca()).replace("\n", "\\n");
        NODE.apply("up-inline", api("up-inline", trusted.url("/"), "tls: { ca: \"" + inline + "\" }"));
        assertEquals(200, node.get(node.trafficUrl("/up-inline/x"), false).statusCode());

        NODE.apply("up-jdk", api("up-jdk", trusted.url("/"), null));
        HttpResponse<String> untrusted = node.get(node.trafficUrl("/up-jdk/x"), false);
        assertEquals(502, untrusted.statusCode());
        assertTrue(untrusted.body().contains("not trusted"), untrusted.body());

        NODE.apply("up-rogue", api("up-rogue", rogue.url("/"), "tls: { ca: '" + PKI.ca() + "' }"));
        HttpResponse<String> refused = node.get(node.trafficUrl("/up-rogue/x"), false);
        assertEquals(502, refused.statusCode());
        assertTrue(refused.body().contains("not trusted"), refused.body());
        // logged at most once a second for all upstreams: the first of the two is there
        assertTrue(Files.readString(node.home.resolve("data/log/karaf.log"))
            .contains("upstream TLS of API up-jdk failed: the upstream's certificate is not trusted"));

        HttpResponse<String> invalid = node.send("PUT", "/api/v1/apis/up-bad", "application/yaml",
            api("up-bad", trusted.url("/"), "tls: { ca: '" + PKI.ca() + "', verify: false }"));
        assertEquals(422, invalid.statusCode());
        assertTrue(invalid.body().contains("upstream.tls.verify"), invalid.body());
    }

    @Test
    void should_present_the_client_certificate_to_a_mutual_tls_upstream() throws Exception {
        MeridianNode node = NODE.node(0);
        PKI.issue("mtls", "/CN=mtls-upstream", "IP:127.0.0.1", false);
        PKI.issue("client", "/CN=meridian-client", "DNS:meridian-client", false);
        TlsUpstream mtls = NODE.startUpstream(() -> new TlsUpstream(PKI.cert("mtls"), PKI.key("mtls"), PKI.ca()));

        NODE.apply("up-mtls", api("up-mtls", mtls.url("/"), "tls: { ca: '" + PKI.ca() + "', cert: '" + PKI.cert("client")
            + "', key: '" + PKI.key("client") + "' }"));
        HttpResponse<String> ok = node.get(node.trafficUrl("/up-mtls/x"), false);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("tls-upstream client=CN=meridian-client", ok.body());

        NODE.apply("up-nocert", api("up-nocert", mtls.url("/"), "tls: { ca: '" + PKI.ca() + "' }"));
        HttpResponse<String> refused = node.get(node.trafficUrl("/up-nocert/x"), false);
        assertEquals(502, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("client certificate"), refused.body());
    }

    // ------------------------------------------------------------------ helpers

    private static long refusals(Path log) throws IOException {
        return Files.readString(log).lines().filter(l -> l.contains("refused alpha (")).count();
    }

    private static String api(String id, String url, String tls) {
        return String.join("\n", "id: " + id, "basePath: /" + id, "upstream:", "  url: '" + url + "'",
            tls == null ? "" : "  " + tls, "");
    }

    /** A TLS connection to 127.0.0.1 trusting the test CA, with SNI {@code host} (none when null). */
    private static SSLSocket tlsSocket(int port, String host) throws IOException {
        SSLContext ctx = MeridianNode.trusting(PKI.ca());
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(host == null ? List.of() : List.of(new SNIHostName(host)));
        s.setSSLParameters(p);
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    /** openssl s_client's output for a handshake with the traffic port with {@code options}; its exit status is not checked. */
    private static String sClient(String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + HTTPS_PORT));
        command.addAll(List.of(options));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "openssl s_client did not end");
        return out;
    }

    /** The certificate a new handshake with SNI {@code host} (none when null) presents. */
    private static X509Certificate handshake(int port, String host) throws IOException {
        try (SSLSocket s = tlsSocket(port, host)) {
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }
}
