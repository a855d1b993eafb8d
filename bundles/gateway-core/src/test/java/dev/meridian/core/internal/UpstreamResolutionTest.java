package dev.meridian.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.core.GatewayState;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ValidationException;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Problem;
import dev.meridian.model.Upstream;
import dev.meridian.tls.OpenSsl;

/**
 * An upstream resolved where it is used: {@code ${secret:NAME}} in its URL and TLS material from
 * files and secrets, read on every compile, equal material kept as the same instance.
 */
class UpstreamResolutionTest {

    @TempDir
    static Path pki;
    private static OpenSsl ssl;

    @TempDir
    Path secrets;
    private EngineComponent engine;

    @BeforeAll
    static void certificates() throws Exception {
        ssl = new OpenSsl(pki);
        ssl.selfSigned("ca1", "rsa:2048", "ca one");
    }

    @BeforeEach
    void start() {
        engine = new EngineComponent(Duration.ofSeconds(1), new SecretResolver(Optional.of(secrets), 64 * 1024));
        engine.activate(null);
    }

    @AfterEach
    void stop() {
        engine.deactivate();
    }

    @Test
    void should_call_the_resolved_host_and_path_and_show_only_the_references() throws Exception {
        write("host", "partner-7f3a.example:8443\n");
        write("tok", "t0k3n-9d2e");

        RouteTable table = publish(1, api("a", "https://${secret:host}/v2/${secret:tok}", null));

        Route route = table.match("/a");
        Upstream called = route.upstream();
        assertEquals("https://partner-7f3a.example:8443/v2/t0k3n-9d2e", called.url().toString());
        assertEquals("partner-7f3a.example", called.host());
        assertEquals(8443, called.port());
        assertEquals("/v2/t0k3n-9d2e", called.path());
        assertEquals("https://${secret:host}/v2/${secret:tok}", called.shown());
        assertFalse(called.toString().contains("partner-7f3a") || called.toString().contains("t0k3n"), called.toString());
        String tree = engine.state().apis().get("a").toTree().toString();
        assertTrue(tree.contains("https://${secret:host}/v2/${secret:tok}"), tree);
        assertEquals("cannot reach ${secret:host}", route.redact("cannot reach partner-7f3a.example:8443"));
        assertEquals("No name matching ${secret:host} found", route.redact("No name matching partner-7f3a.example found"));
        assertEquals("GET /v2/${secret:tok}/x", route.redact("GET /v2/t0k3n-9d2e/x"));
    }

    @Test
    void should_refuse_a_missing_secret_at_upstream_url_naming_it() throws Exception {
        ValidationException e = assertThrows(ValidationException.class,
            () -> engine.validate(List.of(api("a", "https://${secret:nohost}/v2", null))));

        assertEquals("upstream.url", e.problems().get(0).path());
        assertTrue(e.problems().get(0).message().contains("'nohost'"), e.problems().toString());
    }

    @Test
    void should_refuse_a_value_that_makes_the_url_invalid_without_quoting_it() throws Exception {
        write("host", "user:hunter2@partner.example");

        ValidationException e = assertThrows(ValidationException.class,
            () -> engine.validate(List.of(api("a", "https://${secret:host}/v2", null))));

        String all = e.problems().stream().map(Problem::describe).toList().toString();
        assertTrue(all.contains("upstream.url") && all.contains("user info"), all);
        assertFalse(all.contains("hunter2"), all);
    }

    @Test
    void should_read_tls_material_from_a_secret_and_from_a_file_again_on_every_compile() throws Exception {
        Path caFile = secrets.resolveSibling(secrets.getFileName() + "-ca.pem");
        Files.writeString(caFile, ssl.read("ca1.crt"));
        write("client-cert", ssl.read("ca1.crt"));
        write("client-key", ssl.read("ca1.key"));
        ApiDefinition tls = api("a", "https://127.0.0.1:9443", "{ ca: '" + caFile + "', cert: '${secret:client-cert}', key: '${secret:client-key}' }");
        RouteTable first = publish(1, tls);
        Upstream before = first.match("/a").upstream();
        assertEquals(ssl.read("ca1.crt"), before.tls().ca());
        assertEquals(ssl.read("ca1.key").strip(), before.tls().key().strip());
        assertFalse(before.toString().contains("PRIVATE KEY"), before.toString());
        assertEquals("${secret:client-key}", engine.state().apis().get("a").upstream().tls().key());

        RouteTable unrelated = publish(2, tls, api("b", "http://127.0.0.1:9000", null));
        assertSame(before, unrelated.match("/a").upstream(), "same material: the same upstream, its pool kept");

        ssl.selfSigned("ca3", "rsa:2048", "ca three");
        Files.writeString(caFile, ssl.read("ca3.crt"));
        RouteTable reloaded = engine.recompile().get(5, TimeUnit.SECONDS);
        Upstream after = reloaded.match("/a").upstream();
        assertEquals(ssl.read("ca3.crt"), after.tls().ca());
        assertNotEquals(before, after);
    }

    @Test
    void should_refuse_an_unreadable_tls_file_or_bad_pem_at_its_field() throws Exception {
        write("bad-ca", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");

        ValidationException e = assertThrows(ValidationException.class, () -> engine.validate(List.of(
            api("a", "https://127.0.0.1:9443", "{ ca: '${secret:bad-ca}' }"),
            api("b", "https://127.0.0.1:9443", "{ ca: '" + secrets.resolve("absent.pem") + "' }"))));

        List<String> paths = e.problems().stream().map(Problem::path).toList();
        assertEquals(List.of("[0].upstream.tls.ca", "[1].upstream.tls.ca"), paths, e.problems().toString());
        assertTrue(e.problems().get(1).message().contains("no such file"), e.problems().toString());
    }

    @Test
    void should_keep_serving_when_a_recompile_cannot_resolve_the_upstream() throws Exception {
        write("host", "127.0.0.1");
        RouteTable first = publish(1, api("a", "http://${secret:host}:9000", null));
        Files.delete(secrets.resolve("host"));

        ExecutionException e = assertThrows(ExecutionException.class, () -> engine.recompile().get(5, TimeUnit.SECONDS));

        ValidationException v = assertInstanceOf(ValidationException.class, e.getCause());
        assertEquals("[a].upstream.url", v.problems().get(0).path());
        assertSame(first, engine.current());
    }

    private static ApiDefinition targetsApi(String id, String... urls) throws Exception {
        StringBuilder yaml = new StringBuilder("id: " + id + "\nbasePath: /" + id + "\nupstream:\n  targets: [");
        for (int i = 0; i < urls.length; i++) {
            yaml.append(i == 0 ? "" : ", ").append("{url: '").append(urls[i]).append("'}");
        }
        yaml.append("]\n");
        return DefinitionParser.parse(yaml.toString().getBytes(StandardCharsets.UTF_8), Format.YAML).get(0);
    }

    @Test
    void should_resolve_each_target_and_keep_an_unchanged_upstream_of_targets_as_the_same_instance() throws Exception {
        write("host", "partner-7f3a.example:8443\n");
        RouteTable table = publish(1, targetsApi("a", "http://127.0.0.1:9000", "https://${secret:host}/v2"));
        Upstream called = table.match("/a").upstream();
        assertTrue(called.hasTargets());
        assertEquals("http://127.0.0.1:9000", called.targets().targets().get(0).upstream().url().toString());
        Upstream second = called.targets().targets().get(1).upstream();
        assertEquals("https://partner-7f3a.example:8443/v2", second.url().toString());
        assertEquals("https://${secret:host}/v2", second.shown());
        assertFalse(table.match("/a").redact("partner-7f3a.example failed").contains("partner-7f3a"));

        RouteTable again = publish(2, targetsApi("a", "http://127.0.0.1:9000", "https://${secret:host}/v2"),
            api("b", "http://127.0.0.1:9001", null));
        assertSame(called, again.match("/a").upstream(), "an unchanged upstream of targets keeps its instance");
    }

    @Test
    void should_name_the_target_whose_secret_is_missing() throws Exception {
        ValidationException e = assertThrows(ValidationException.class,
            () -> engine.validate(List.of(targetsApi("a", "http://127.0.0.1:9000", "https://${secret:nohost}/v2"))));
        assertTrue(e.problems().stream().anyMatch(p -> p.path().equals("upstream.targets[1].url")
            && p.message().contains("nohost")), e.problems().toString());
    }

    private RouteTable publish(long revision, ApiDefinition... apis) throws Exception {
        return engine.publish(GatewayState.of(revision, List.of(apis))).get(5, TimeUnit.SECONDS);
    }

    private void write(String name, String value) throws Exception {
        Files.writeString(secrets.resolve(name), value, StandardCharsets.UTF_8);
    }

    private static ApiDefinition api(String id, String url, String tls) throws Exception {
        String yaml = "id: " + id + "\nbasePath: /" + id + "\nupstream:\n  url: '" + url + "'\n" + (tls == null ? "" : "  tls: " + tls + "\n");
        return DefinitionParser.parse(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML).get(0);
    }
}
