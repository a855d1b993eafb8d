package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.UserAuthFactory;
import org.apache.sshd.client.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CONTRACT §9 identities and audit on two nodes as processes: tokens created on one node work and
 * are revoked on both, each role's allowed and refused calls (Bearer and Basic), a token as the
 * ssh password with Karaf's command ACLs, failed logins slowed per source address (admin API and
 * ssh, one throttle for both), the generated
 * admin password kept out of karaf.log, the audit of every kind of call, tokens and audit after a
 * restart of both nodes, and the revision history bounded by {@code MERIDIAN_REVISIONS_KEEP}.
 * Tests build on each other (ordered): tokens made first are used later.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecurityIdentityE2EIT {

    private static final int KEEP = 5;

    @RegisterExtension
    static final MeridianCluster<CountingUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("si1", 30500, 5961), NodeSpec.of("si2", 30510, 5962))
        .cluster("security-it")
        .env("MERIDIAN_REVISIONS_KEEP", Integer.toString(KEEP))
        .upstream(CountingUpstream::new)
        .build();

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"(mrd_[A-Za-z0-9_-]{43})\"");

    /** Secrets of the tokens made in the first test, used by the later ones. */
    private static String operator;
    private static String viewer;

    private static MeridianNode first() {
        return CLUSTER.node(0);
    }

    private static MeridianNode second() {
        return CLUSTER.node(1);
    }

    private static String api(String id) {
        return String.join("\n", "id: " + id, "basePath: /" + id, "upstream: { url: '" + CLUSTER.upstream().url("/") + "' }", "");
    }

    private static HttpResponse<String> call(MeridianNode node, String method, String path, String auth, String contentType, String body)
        throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.adminUrl(path))).timeout(Duration.ofSeconds(30));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String admin(MeridianNode node) {
        return basic("admin", node.password());
    }

    private static String create(MeridianNode node, String name, String role, String ttl) throws Exception {
        HttpResponse<String> r = call(node, "POST", "/api/v1/tokens", admin(node), "application/json",
            "{\"name\":\"" + name + "\",\"role\":\"" + role + "\"" + (ttl == null ? "" : ",\"ttl\":\"" + ttl + "\"") + "}");
        assertEquals(201, r.statusCode(), r.body());
        Matcher m = TOKEN.matcher(r.body());
        assertTrue(m.find(), "a token of mrd_ and 43 base64url characters (256 bits): " + r.body());
        assertTrue(r.body().contains("\"role\":\"" + role + "\""), r.body());
        assertTrue(r.body().contains("\"expires\":\""), r.body());
        return m.group(1);
    }

    @Test
    @Order(1)
    void should_create_tokens_on_one_node_that_work_on_both_and_refuse_a_duplicate_name() throws Exception {
        operator = create(first(), "ops", "operator", "30d");
        viewer = create(first(), "view", "viewer", null);
        HttpResponse<String> dup = call(second(), "POST", "/api/v1/tokens", admin(second()), "application/json",
            "{\"name\":\"ops\",\"role\":\"viewer\"}");
        assertEquals(409, dup.statusCode(), "duplicate name refused on the other node too: " + dup.body());
        HttpResponse<String> bad = call(first(), "POST", "/api/v1/tokens", admin(first()), "application/json",
            "{\"name\":\"x\",\"role\":\"root\"}");
        assertEquals(422, bad.statusCode(), bad.body());
        HttpResponse<String> tooLong = call(first(), "POST", "/api/v1/tokens", admin(first()), "application/json",
            "{\"name\":\"y\",\"role\":\"viewer\",\"ttl\":\"400d\"}");
        assertEquals(422, tooLong.statusCode(), tooLong.body());

        for (MeridianNode n : List.of(first(), second())) {
            Awaitility.await("tokens listed on " + n.name).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<String> list = call(n, "GET", "/api/v1/tokens", admin(n), null, null);
                assertEquals(200, list.statusCode(), list.body());
                assertTrue(list.body().contains("\"name\":\"ops\"") && list.body().contains("\"name\":\"view\""), list.body());
                assertFalse(list.body().contains("mrd_") || list.body().contains("sha256") || list.body().contains(Hashes.sha256(operator)),
                    "never the token or its hash: " + list.body());
            });
            assertEquals(200, call(n, "GET", "/api/v1/apis", bearer(operator), null, null).statusCode());
            assertEquals(200, call(n, "GET", "/api/v1/apis", basic("view", viewer), null, null).statusCode(), "a token as Basic password");
        }
    }

    @Test
    @Order(2)
    void should_allow_each_role_its_calls_and_answer_403_naming_the_role_needed() throws Exception {
        // viewer: reads only
        for (String path : List.of("/api/v1/apis", "/api/v1/revisions", "/api/v1/cluster", "/api/v1/plugins", "/api/v1/audit")) {
            HttpResponse<String> r = call(second(), "GET", path, bearer(viewer), null, null);
            assertEquals(200, r.statusCode(), path + ": " + r.body());
        }
        HttpResponse<String> put = call(second(), "PUT", "/api/v1/apis/si-viewer", bearer(viewer), "application/yaml", api("si-viewer"));
        assertEquals(403, put.statusCode(), put.body());
        assertTrue(put.body().contains("needs 'operator'") && put.body().contains("\"needed\":\"operator\""), put.body());
        HttpResponse<String> inval = call(second(), "POST", "/api/v1/cache/invalidate", bearer(viewer), "application/json", "{\"tags\":[\"t\"]}");
        assertEquals(403, inval.statusCode(), inval.body());

        // operator: changes, not tokens
        HttpResponse<String> applied = call(first(), "PUT", "/api/v1/apis/si-ops?wait=all", bearer(operator), "application/yaml", api("si-ops"));
        assertEquals(200, applied.statusCode(), applied.body());
        HttpResponse<String> invalidated = call(first(), "POST", "/api/v1/cache/invalidate", bearer(operator), "application/json",
            "{\"tags\":[\"si-tag\"]}");
        assertEquals(200, invalidated.statusCode(), invalidated.body());
        HttpResponse<String> mint = call(first(), "POST", "/api/v1/tokens", bearer(operator), "application/json", "{\"name\":\"x\",\"role\":\"admin\"}");
        assertEquals(403, mint.statusCode(), mint.body());
        assertTrue(mint.body().contains("needs 'admin'"), mint.body());
        assertEquals(403, call(first(), "GET", "/api/v1/tokens", bearer(operator), null, null).statusCode());

        // no or wrong credentials
        assertEquals(401, call(first(), "GET", "/api/v1/apis", null, null, null).statusCode());
        assertEquals(401, call(first(), "GET", "/api/v1/apis", bearer("mrd_" + "A".repeat(43)), null, null).statusCode());

        // the Felix web console is for admin only
        HttpResponse<String> console = call(first(), "GET", "/system/console", basic("view", viewer), null, null);
        assertTrue(console.statusCode() == 401 || console.statusCode() == 403, "viewer refused the web console: " + console.statusCode());
        HttpResponse<String> opsConsole = call(first(), "GET", "/system/console", basic("ops", operator), null, null);
        assertTrue(opsConsole.statusCode() == 401 || opsConsole.statusCode() == 403, "operator refused the web console: " + opsConsole.statusCode());
        HttpResponse<String> adminConsole = call(first(), "GET", "/system/console", admin(first()), null, null);
        assertTrue(adminConsole.statusCode() == 200 || adminConsole.statusCode() == 302, "admin: " + adminConsole.statusCode());
    }

    @Test
    @Order(3)
    void should_revoke_a_token_on_every_node() throws Exception {
        String temp = create(first(), "temp", "viewer", "1h");
        Awaitility.await("temp usable on si2").atMost(Duration.ofSeconds(10))
            .until(() -> call(second(), "GET", "/api/v1/apis", bearer(temp), null, null).statusCode() == 200);
        HttpResponse<String> revoked = call(first(), "DELETE", "/api/v1/tokens/temp", admin(first()), null, null);
        assertEquals(200, revoked.statusCode(), revoked.body());
        long start = System.nanoTime();
        Awaitility.await("temp refused on si2").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
            .until(() -> call(second(), "GET", "/api/v1/apis", bearer(temp), null, null).statusCode() == 401);
        System.out.printf("revocation refused on the other node after %d ms%n", (System.nanoTime() - start) / 1_000_000);
        assertEquals(401, call(first(), "GET", "/api/v1/apis", bearer(temp), null, null).statusCode());
        assertEquals(404, call(second(), "DELETE", "/api/v1/tokens/temp", admin(second()), null, null).statusCode());
        HttpResponse<String> list = call(second(), "GET", "/api/v1/tokens", admin(second()), null, null);
        assertFalse(list.body().contains("\"temp\""), list.body());
    }

    @Test
    @Order(4)
    void should_take_a_token_as_ssh_password_and_apply_command_acls() throws Exception {
        String list = second().shellAs("view", viewer, "gateway:list");
        assertTrue(list.contains("si-ops"), list);
        long before = revision(first());
        Path file = first().home.resolve("si-viewer.api.yaml");
        Files.writeString(file, api("si-shell"));
        String refused;
        try {
            refused = first().shellAs("view", viewer, "gateway:apply " + file);
        } catch (IOException e) {
            refused = e.getMessage(); // the exec's exit status is not 0
        }
        System.out.println("viewer's gateway:apply: " + refused);
        assertFalse(refused.contains("revision"), refused);
        assertEquals(before, revision(first()), "no revision made by a viewer's gateway:apply");
        // a path is read on the node with its rights: admin's only; an operator pipes the file
        String byPath = first().shellAs("ops", operator, "gateway:apply " + file);
        assertTrue(byPath.contains("needs the admin role"), byPath);
        assertEquals(before, revision(first()), "no revision made by an operator's gateway:apply <path>");
        String applied = first().shellAs("ops", operator, "gateway:apply --input", Files.readAllBytes(file));
        assertTrue(revision(first()) > before, "the operator's gateway:apply --input made a revision: " + applied);
        assertThrows(Exception.class, () -> first().shellAs("view", "mrd_" + "B".repeat(43), "gateway:list"));
        String audit = first().shell("gateway:audit --limit 50");
        assertTrue(audit.contains("ops") && audit.contains("apply [si-shell]") && audit.contains("shell"), audit);
    }

    private static long revision(MeridianNode node) throws Exception {
        HttpResponse<String> r = call(node, "GET", "/api/v1/apis", admin(node), null, null);
        Matcher m = Pattern.compile("\"revision\"\\s*:\\s*(\\d+)").matcher(r.body());
        assertTrue(m.find(), r.body());
        return Long.parseLong(m.group(1));
    }

    @Test
    @Order(5)
    void should_slow_failed_logins_per_source_address_without_locking_admin_out() throws Exception {
        String bad = basic("mallory", "guess");
        // bad logins from 127.0.0.2 as fast as they are answered: the 401s are the failures counted
        List<Long> counted = new java.util.ArrayList<>();
        int slowed = 0;
        long t0 = System.nanoTime();
        while (counted.size() < 9 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20)) {
            int status = rawStatus(first(), "127.0.0.2", bad);
            if (status == 401) {
                counted.add((System.nanoTime() - t0) / 1_000_000);
            } else {
                assertEquals(429, status);
                slowed++;
            }
            Thread.sleep(10); // pacing the probe, not an assertion on time
        }
        System.out.println("failures counted at ms " + counted + ", " + slowed + " answered 429 between them");
        assertEquals(9, counted.size());
        assertTrue(counted.get(4) < 2000, "the first 5 failures are not slowed: " + counted);
        long[] minGapMs = {250, 500, 1000};
        for (int i = 0; i < minGapMs.length; i++) {
            long gap = counted.get(6 + i) - counted.get(5 + i);
            // times are taken where the answers arrive, the window starts where the failure was
            // counted: one answer's delay earlier (seen in CI: 998 ms for a 1,000 ms window)
            assertTrue(gap >= minGapMs[i] - 50, "failure " + (7 + i) + " came " + gap + " ms after the one before: " + counted);
        }
        assertTrue(slowed > 0);
        // right after the 9th failure the address is closed for 2 s; another address is not slowed
        assertEquals(429, rawStatus(first(), "127.0.0.2", admin(first())), "even the right password waits on the slowed address");
        long start = System.nanoTime();
        assertEquals(200, rawStatus(first(), "127.0.0.1", admin(first())));
        long otherMs = (System.nanoTime() - start) / 1_000_000;
        System.out.println("a login from 127.0.0.1 meanwhile took " + otherMs + " ms");
        assertTrue(otherMs < 1000, "another address answered in " + otherMs + " ms");
        long waited = System.nanoTime();
        Awaitility.await("admin back in from 127.0.0.2").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
            .until(() -> rawStatus(first(), "127.0.0.2", admin(first())) == 200);
        System.out.println("admin from the slowed address got in after " + (System.nanoTime() - waited) / 1_000_000 + " ms");
        Awaitility.await("refused logins logged").atMost(Duration.ofSeconds(5))
            .until(() -> karafLog(first()).contains("refused login of user 'mallory' from 127.0.0.2"));
        assertFalse(karafLog(first()).contains("guess"), "never the password");
    }

    @Test
    @Order(6)
    void should_slow_failed_ssh_logins_per_source_address_and_share_the_throttle_with_the_admin_api() throws Exception {
        MeridianNode node = first();
        // the test before ended with a success from 127.0.0.2, so its failures are forgotten
        String closedFor4s = "refused ssh login of user 'mallory' from 127.0.0.2 (address slowed for 4000 ms)";
        try (SshClient client = passwordOnlyClient()) {
            List<Long> attemptMs = new java.util.ArrayList<>();
            long t0 = System.nanoTime();
            int attempts = 0;
            // wrong passwords from 127.0.0.2 as fast as they are answered, until the 10th counted failure closes it for 4 s
            while (!karafLog(node).contains(closedFor4s)) {
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "never closed for 4 s: " + attemptMs);
                long a = System.nanoTime();
                assertFalse(sshLogin(client, node, "127.0.0.2", "mallory", "guess-ssh-" + attempts), "a wrong password is refused");
                attemptMs.add((System.nanoTime() - a) / 1_000_000);
                attempts++;
                Thread.sleep(20); // pacing the probe, not an assertion on time
            }
            System.out.println(attempts + " wrong ssh logins from 127.0.0.2, each refused in ms " + attemptMs);
            assertTrue(attempts >= 10, "ten failures are counted before a 4 s close: " + attempts);
            // closed now for up to 4 s: the admin API's door is closed to it too (one throttle), the right ssh password is not checked
            assertEquals(429, rawStatus(node, "127.0.0.2", admin(node)), "the ssh flood slows the address at the admin API");
            long r = System.nanoTime();
            assertFalse(sshLogin(client, node, "127.0.0.2", "admin", node.password()), "the right password is refused while slowed");
            long refusedMs = (System.nanoTime() - r) / 1_000_000;
            System.out.println("the right password from the slowed 127.0.0.2 was refused in " + refusedMs + " ms");
            assertTrue(refusedMs < 2000, "refused at once, no thread sleeping: " + refusedMs + " ms");
            long o = System.nanoTime();
            assertTrue(sshLogin(client, node, "127.0.0.1", "admin", node.password()), "127.0.0.1 is not slowed");
            System.out.println("admin's ssh login from 127.0.0.1 meanwhile took " + (System.nanoTime() - o) / 1_000_000 + " ms");
            long w = System.nanoTime();
            Awaitility.await("admin back in over ssh from 127.0.0.2").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                .until(() -> sshLogin(client, node, "127.0.0.2", "admin", node.password()));
            System.out.println("admin's ssh login from 127.0.0.2 accepted " + (System.nanoTime() - w) / 1_000_000 + " ms after the refusal");
        }
        assertTrue(node.shell("gateway:list") != null, "the shell works as before");
        String log = karafLog(node);
        assertTrue(log.contains("refused ssh login of user 'mallory' from 127.0.0.2"), "each checked refusal logged with address and user");
        assertTrue(log.contains("refused ssh login of user 'admin' from 127.0.0.2: too many failed logins"),
            "the refusal without a password check logged too");
        assertFalse(log.contains("guess-ssh-"), "never the password");
    }

    /** An ssh client that tries the password alone (one JAAS login per connection: each attempt counts once). */
    private static SshClient passwordOnlyClient() {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        client.setUserAuthFactories(List.<UserAuthFactory>of(UserAuthPasswordFactory.INSTANCE));
        client.start();
        return client;
    }

    /** Whether an ssh password login of {@code user} from {@code from} (a loopback address the socket is bound to) is accepted. */
    private static boolean sshLogin(SshClient client, MeridianNode node, String from, String user, String password) throws IOException {
        try (ClientSession session = client.connect(user, new InetSocketAddress("127.0.0.1", node.sshPort), null,
            new InetSocketAddress(InetAddress.getByName(from), 0)).verify(15, TimeUnit.SECONDS).getSession()) {
            session.addPasswordIdentity(password);
            AuthFuture auth = session.auth();
            assertTrue(auth.await(15, TimeUnit.SECONDS), "an answer to the login within 15 s");
            return auth.isSuccess();
        }
    }

    /** The status of {@code GET /api/v1/apis} over a socket bound to {@code from} (a loopback address). */
    private static int rawStatus(MeridianNode node, String from, String auth) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            s.connect(new InetSocketAddress("127.0.0.1", URI.create(node.adminUrl("/")).getPort()), 5000);
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/v1/apis HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + auth + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    private static String karafLog(MeridianNode node) throws IOException {
        return Files.readString(node.home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
    }

    @Test
    @Order(7)
    void should_print_the_generated_password_to_the_console_only_and_store_its_hash() throws Exception {
        for (MeridianNode n : List.of(first(), second())) {
            String password = n.password();
            assertNotNull(password);
            assertFalse(karafLog(n).contains(password), "the generated password is not in karaf.log of " + n.name);
            try (Stream<Path> logs = Files.list(n.home.resolve("data/log"))) {
                for (Path log : logs.toList()) {
                    assertFalse(Files.readString(log, StandardCharsets.ISO_8859_1).contains(password), log.toString());
                }
            }
            String users = Files.readString(n.home.resolve("etc/users.properties"), StandardCharsets.ISO_8859_1);
            assertFalse(users.contains(password), "users.properties holds only a hash");
            assertTrue(users.contains("admin = {CRYPT}"), users);
            assertFalse(Files.exists(n.home.resolve("data/meridian/admin.password")));
        }
    }

    @Test
    @Order(8)
    void should_audit_changes_tokens_invalidations_and_refusals_on_every_node() throws Exception {
        Files.writeString(first().home.resolve("deploy/si-deploy.api.yaml"), api("si-deploy"));
        for (MeridianNode n : List.of(first(), second())) {
            Awaitility.await("audit on " + n.name).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<String> r = call(n, "GET", "/api/v1/audit?limit=1000", bearer(viewer), null, null);
                assertEquals(200, r.statusCode(), r.body());
                String b = r.body();
                assertTrue(b.contains("\"user\":\"ops\",\"role\":\"operator\",\"source\":\"127.0.0.1\",\"call\":\"apply si-ops\""), b);
                assertTrue(b.contains("\"call\":\"POST /api/v1/tokens\"") && b.contains("created token ops (operator"), b);
                assertTrue(b.contains("revoked token temp"), b);
                assertTrue(b.contains("\"user\":\"view\",\"role\":\"viewer\"") && b.contains("refused 403: needs operator"), b);
                assertTrue(b.contains("\"call\":\"POST /api/v1/cache/invalidate\"") && b.contains("tags [si-tag]"), b);
                assertTrue(b.contains("\"source\":\"shell\""), b);
                assertTrue(b.contains("\"user\":\"deploy:si-deploy.api.yaml\",\"role\":\"admin\",\"source\":\"deploy\""), b);
                assertFalse(b.contains("mrd_"), "never a token: " + b);
            });
        }
        HttpResponse<String> one = call(first(), "GET", "/api/v1/audit?limit=1", admin(first()), null, null);
        assertEquals(1, one.body().split("\"time\"").length - 1, one.body());
        assertEquals(400, call(first(), "GET", "/api/v1/audit?limit=x", admin(first()), null, null).statusCode());
    }

    @Test
    @Order(9)
    void should_bound_the_revision_history_on_disk_and_in_the_listing() throws Exception {
        for (int i = 0; i < KEEP + 3; i++) {
            HttpResponse<String> r = call(first(), "PUT", "/api/v1/apis/si-bound?wait=all", admin(first()), "application/yaml",
                api("si-bound").replace("basePath: /si-bound", "basePath: /si-bound" + i));
            assertEquals(200, r.statusCode(), r.body());
        }
        long newest = revision(first());
        for (MeridianNode n : List.of(first(), second())) {
            Awaitility.await("bounded history on " + n.name).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<String> r = call(n, "GET", "/api/v1/revisions?limit=100", admin(n), null, null);
                assertEquals(String.valueOf(KEEP), r.headers().firstValue("X-Meridian-Revisions-Keep").orElse(""));
                assertEquals(KEEP, r.body().split("\"revision\"").length - 1, r.body());
                try (Stream<Path> files = Files.list(n.home.resolve("data/meridian/revisions"))) {
                    assertEquals(KEEP, files.filter(f -> f.getFileName().toString().endsWith(".json")).count());
                }
            });
        }
        long oldestKept = newest - KEEP + 1;
        assertEquals(200, call(first(), "POST", "/api/v1/rollback", admin(first()), "application/json", "{\"to\":" + oldestKept + "}").statusCode());
        assertEquals(404, call(first(), "POST", "/api/v1/rollback", admin(first()), "application/json", "{\"to\":" + (oldestKept - 2) + "}").statusCode());
    }

    @Test
    @Order(10)
    void should_keep_tokens_revocations_and_audit_across_a_restart_of_both_nodes() throws Exception {
        HttpResponse<String> before = call(first(), "GET", "/api/v1/audit?limit=1000", admin(first()), null, null);
        int entries = before.body().split("\"time\"").length - 1;
        CLUSTER.restartAll();
        for (MeridianNode n : List.of(first(), second())) {
            Awaitility.await("tokens back on " + n.name).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .until(() -> call(n, "GET", "/api/v1/apis", bearer(operator), null, null).statusCode() == 200);
            assertEquals(200, call(n, "GET", "/api/v1/apis", bearer(viewer), null, null).statusCode());
            HttpResponse<String> audit = call(n, "GET", "/api/v1/audit?limit=1000", admin(n), null, null);
            assertTrue(audit.body().split("\"time\"").length - 1 >= entries, "audit kept on " + n.name + ": " + audit.body());
            assertTrue(audit.body().contains("revoked token temp"), audit.body());
            HttpResponse<String> tokens = call(n, "GET", "/api/v1/tokens", admin(n), null, null);
            assertFalse(tokens.body().contains("\"temp\""), "a revoked token stays revoked: " + tokens.body());
        }
    }

    @Test
    @Order(11)
    void should_give_a_node_joining_later_the_tokens_and_the_audit() throws Exception {
        MeridianNode late = CLUSTER.startNode(NodeSpec.of("si3", 30520, 5963));
        Awaitility.await("tokens on the late node").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
            .until(() -> call(late, "GET", "/api/v1/apis", bearer(operator), null, null).statusCode() == 200);
        HttpResponse<String> tokens = call(late, "GET", "/api/v1/tokens", admin(late), null, null);
        assertTrue(tokens.body().contains("\"ops\"") && !tokens.body().contains("\"temp\""), tokens.body());
        Awaitility.await("audit on the late node").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            HttpResponse<String> audit = call(late, "GET", "/api/v1/audit?limit=1000", admin(late), null, null);
            assertTrue(audit.body().contains("revoked token temp") && audit.body().contains("\"call\":\"apply si-ops\""), audit.body());
        });
        late.close();
    }

    /** SHA-256 as the node stores it, to check that no answer carries it. */
    static final class Hashes {
        static String sha256(String s) throws Exception {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
