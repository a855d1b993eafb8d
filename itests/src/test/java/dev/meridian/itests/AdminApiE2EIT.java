package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.sun.net.httpserver.HttpExchange;

/**
 * The outside of one node, end to end: the admin API of CONTRACT §5 (auth, media types, errors
 * with field paths, idempotent applies, sets with prune, dry runs, optimistic locking, history,
 * rollback, wait=all, plugins, cluster), the traffic rules of §4 (error statuses, request ids,
 * path mapping, hop-by-hop and forwarded headers), the other ways in of §7 (ssh shell, deploy
 * folder, web console), the probes of §2 and a policy bundle stopped under a live API.
 *
 * <p>One node serves the whole class; every test uses its own API ids and base paths, so the
 * tests do not depend on each other's order.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AdminApiE2EIT {

    private static final String NODE_NAME = "admin-e2e";
    private static final String PASSWORD = "admin-e2e-secret";
    private static final String SET_HEADERS_BUNDLE = "dev.meridian.policy.set-headers";
    private static final String YAML = "application/yaml";
    private static final String JSON = "application/json";
    private static final Duration PROPAGATION = Duration.ofSeconds(15);

    private static final HttpClient HTTP = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> NODE = MeridianCluster
        .of(NodeSpec.of(NODE_NAME, 29080, 29181, 29101))
        .password(PASSWORD)
        .upstream(HttpUpstream.with(16, 64)
            .on("/", AdminApiE2EIT::echo)
            .on("/slow", ex -> {
                try {
                    Thread.sleep(3_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                respond(ex, 200, "text/plain", "slow");
            })
            .on("/h/hop", ex -> {
                ex.getResponseHeaders().add("Connection", "X-Custom");
                ex.getResponseHeaders().add("X-Custom", "v");
                ex.getResponseHeaders().add("Keep-Alive", "timeout=5");
                ex.getResponseHeaders().add("X-Kept", "yes");
                respond(ex, 200, "text/plain", "hop");
            }))
        .build();

    private static MeridianNode node() {
        return NODE.node(0);
    }

    // ---------------------------------------------------------------- admin API: errors

    @Test
    void should_answer_401_without_or_with_wrong_credentials() throws Exception {
        HttpResponse<String> none = node().get(node().adminUrl("/api/v1/apis"), false);
        assertEquals(401, none.statusCode(), none.body());
        assertTrue(obj(parse(none)).containsKey("error"), none.body());

        HttpResponse<String> wrongPassword = send(request(node().adminUrl("/api/v1/apis"))
            .header("Authorization", basic("admin", "not-" + PASSWORD)).GET());
        assertEquals(401, wrongPassword.statusCode(), wrongPassword.body());

        HttpResponse<String> wrongUser = send(request(node().adminUrl("/api/v1/apis"))
            .header("Authorization", basic("mallory", PASSWORD)).GET());
        assertEquals(401, wrongUser.statusCode(), wrongUser.body());

        HttpResponse<String> put = send(request(node().adminUrl("/api/v1/apis/e2e-unauth"))
            .header("Content-Type", YAML)
            .PUT(HttpRequest.BodyPublishers.ofString(def("e2e-unauth", "/e2e-unauth", echoUrl("/x")))));
        assertEquals(401, put.statusCode(), put.body());
        assertEquals(404, admin("GET", "/api/v1/apis/e2e-unauth", null, null).statusCode(), "an unauthenticated PUT applied nothing");

        assertEquals(200, admin("GET", "/api/v1/apis", null, null).statusCode());
    }

    @Test
    void should_answer_415_for_a_text_plain_body() throws Exception {
        long before = currentRevision();
        HttpResponse<String> r = admin("PUT", "/api/v1/apis/e2e-plain", "text/plain", def("e2e-plain", "/e2e-plain", echoUrl("/x")));
        assertEquals(415, r.statusCode(), r.body());
        assertTrue(obj(parse(r)).containsKey("error"), r.body());
        assertEquals(before, currentRevision());
        assertEquals(404, admin("GET", "/api/v1/apis/e2e-plain", null, null).statusCode());
    }

    @Test
    void should_answer_400_for_malformed_yaml_and_json() throws Exception {
        long before = currentRevision();
        HttpResponse<String> yaml = admin("PUT", "/api/v1/apis/e2e-malformed", YAML, "id: e2e-malformed\nbasePath: [unclosed\n  : :\n");
        assertEquals(400, yaml.statusCode(), yaml.body());
        assertTrue(obj(parse(yaml)).containsKey("error"), yaml.body());

        HttpResponse<String> json = admin("PUT", "/api/v1/apis/e2e-malformed", JSON, "{\"id\": \"e2e-malformed\", \"basePath\": ");
        assertEquals(400, json.statusCode(), json.body());
        assertTrue(obj(parse(json)).containsKey("error"), json.body());

        HttpResponse<String> set = admin("POST", "/api/v1/apply", JSON, "[{\"id\": \"e2e-malformed\"},");
        assertEquals(400, set.statusCode(), set.body());
        assertEquals(before, currentRevision());
    }

    @Test
    void should_answer_422_with_the_field_path_for_an_invalid_definition() throws Exception {
        long before = currentRevision();
        HttpResponse<String> r = admin("PUT", "/api/v1/apis/e2e-invalid", YAML, def("e2e-invalid", "/e2e-invalid", "ftp://127.0.0.1/files"));
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(detailPaths(r).contains("upstream.url"), "details[].path should name upstream.url: " + r.body());

        HttpResponse<String> unknownField = admin("PUT", "/api/v1/apis/e2e-invalid", YAML,
            def("e2e-invalid", "/e2e-invalid", echoUrl("/x"), "bogus: 1"));
        assertEquals(422, unknownField.statusCode(), unknownField.body());
        assertTrue(detailPaths(unknownField).contains("bogus"), "details[].path should name bogus: " + unknownField.body());

        assertEquals(before, currentRevision());
        assertEquals(404, admin("GET", "/api/v1/apis/e2e-invalid", null, null).statusCode());
    }

    @Test
    void should_answer_422_when_the_id_in_the_path_differs_from_the_body() throws Exception {
        long before = currentRevision();
        HttpResponse<String> r = admin("PUT", "/api/v1/apis/e2e-path-id", YAML, def("e2e-body-id", "/e2e-body-id", echoUrl("/x")));
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(obj(parse(r)).containsKey("error"), r.body());
        assertEquals(before, currentRevision());
        assertEquals(404, admin("GET", "/api/v1/apis/e2e-path-id", null, null).statusCode());
        assertEquals(404, admin("GET", "/api/v1/apis/e2e-body-id", null, null).statusCode());
    }

    @Test
    void should_answer_422_naming_policies_0_type_for_an_unknown_policy_type() throws Exception {
        long before = currentRevision();
        HttpResponse<String> r = admin("PUT", "/api/v1/apis/e2e-unknown-policy", YAML, def("e2e-unknown-policy", "/e2e-unknown-policy",
            echoUrl("/x"), "policies:", "  - type: no-such-policy", "    whatever: 1"));
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(detailPaths(r).contains("policies[0].type"), "details[].path should name policies[0].type: " + r.body());
        assertEquals(before, currentRevision());
    }

    @Test
    void should_answer_404_for_get_and_delete_of_an_unknown_api_without_a_new_revision() throws Exception {
        long before = currentRevision();
        HttpResponse<String> get = admin("GET", "/api/v1/apis/e2e-never-was", null, null);
        assertEquals(404, get.statusCode(), get.body());
        assertTrue(obj(parse(get)).containsKey("error"), get.body());
        HttpResponse<String> delete = admin("DELETE", "/api/v1/apis/e2e-never-was", null, null);
        assertEquals(404, delete.statusCode(), delete.body());
        assertTrue(obj(parse(delete)).containsKey("error"), delete.body());
        assertEquals(before, currentRevision());
    }

    // ---------------------------------------------------------------- admin API: changes

    @Test
    void should_answer_changed_false_with_the_same_revision_when_the_same_definition_is_put_again() throws Exception {
        String yaml = def("e2e-idem", "/e2e-idem", echoUrl("/idem"));
        long before = currentRevision();
        HttpResponse<String> first = admin("PUT", "/api/v1/apis/e2e-idem", YAML, yaml);
        assertEquals(200, first.statusCode(), first.body());
        Map<String, Object> a = obj(parse(first));
        assertEquals("e2e-idem", a.get("id"), first.body());
        assertEquals(Boolean.TRUE, a.get("changed"), first.body());
        assertEquals(before + 1, num(a.get("revision")), "one change, one revision: " + first.body());

        HttpResponse<String> second = admin("PUT", "/api/v1/apis/e2e-idem", YAML, yaml);
        assertEquals(200, second.statusCode(), second.body());
        Map<String, Object> b = obj(parse(second));
        assertEquals("e2e-idem", b.get("id"), second.body());
        assertEquals(Boolean.FALSE, b.get("changed"), second.body());
        assertEquals(num(a.get("revision")), num(b.get("revision")), second.body());
        assertEquals(num(a.get("revision")), currentRevision(), "an unchanged apply creates no revision");

        HttpResponse<String> asJson = admin("GET", "/api/v1/apis/e2e-idem", null, null);
        assertEquals(200, asJson.statusCode(), asJson.body());
        HttpResponse<String> third = admin("PUT", "/api/v1/apis/e2e-idem", JSON, asJson.body());
        assertEquals(200, third.statusCode(), third.body());
        assertEquals(Boolean.FALSE, obj(parse(third)).get("changed"), "the definition as returned, put back as JSON: " + third.body());
    }

    @Test
    void should_apply_a_yaml_multi_document_set_as_one_revision_and_prune_the_others_with_prune_true() throws Exception {
        putWait("e2e-prune-victim", def("e2e-prune-victim", "/e2e-prune-victim", echoUrl("/victim")));

        long before = currentRevision();
        String set1 = "---\n" + def("e2e-set-one", "/e2e-set-one", echoUrl("/one"))
            + "---\n" + def("e2e-set-two", "/e2e-set-two", echoUrl("/two"));
        HttpResponse<String> r1 = admin("POST", "/api/v1/apply", YAML, set1);
        assertEquals(200, r1.statusCode(), r1.body());
        Map<String, Object> c1 = obj(parse(r1));
        assertEquals(before + 1, num(c1.get("revision")), "a set is one revision: " + r1.body());
        assertEquals(Boolean.TRUE, c1.get("changed"), r1.body());
        assertEquals(Set.of("e2e-set-one", "e2e-set-two"), strings(c1.get("added")), r1.body());
        assertEquals(Set.of(), strings(c1.get("updated")), r1.body());
        assertEquals(Set.of(), strings(c1.get("removed")), r1.body());

        String set2 = def("e2e-set-one", "/e2e-set-one", echoUrl("/one-v2"))
            + "---\n" + def("e2e-set-three", "/e2e-set-three", echoUrl("/three"));
        HttpResponse<String> r2 = admin("POST", "/api/v1/apply", YAML, set2);
        assertEquals(200, r2.statusCode(), r2.body());
        Map<String, Object> c2 = obj(parse(r2));
        assertEquals(before + 2, num(c2.get("revision")), r2.body());
        assertEquals(Set.of("e2e-set-three"), strings(c2.get("added")), r2.body());
        assertEquals(Set.of("e2e-set-one"), strings(c2.get("updated")), r2.body());
        assertEquals(Set.of(), strings(c2.get("removed")), "without prune nothing is removed: " + r2.body());
        assertEquals(200, admin("GET", "/api/v1/apis/e2e-set-two", null, null).statusCode());

        Set<String> others = apiIds();
        others.removeAll(Set.of("e2e-set-one", "e2e-set-three"));
        assertTrue(others.contains("e2e-prune-victim") && others.contains("e2e-set-two"), others.toString());
        HttpResponse<String> r3 = admin("POST", "/api/v1/apply?prune=true", YAML, set2);
        assertEquals(200, r3.statusCode(), r3.body());
        Map<String, Object> c3 = obj(parse(r3));
        assertEquals(before + 3, num(c3.get("revision")), r3.body());
        assertEquals(Boolean.TRUE, c3.get("changed"), r3.body());
        assertEquals(others, strings(c3.get("removed")), r3.body());
        assertEquals(Set.of(), strings(c3.get("added")), r3.body());
        assertEquals(Set.of(), strings(c3.get("updated")), r3.body());
        assertEquals(Set.of("e2e-set-one", "e2e-set-three"), apiIds());
        assertEquals(before + 3, currentRevision());
    }

    @Test
    void should_validate_a_set_as_a_dry_run_that_changes_nothing() throws Exception {
        String original = def("e2e-val-existing", "/e2e-val-existing", echoUrl("/val"));
        putWait("e2e-val-existing", original);
        String beforeGet = admin("GET", "/api/v1/apis/e2e-val-existing", null, null).body();
        long before = currentRevision();

        String set = def("e2e-val-existing", "/e2e-val-existing", echoUrl("/val-v2"))
            + "---\n" + def("e2e-val-new", "/e2e-val-new", echoUrl("/val-new"));
        HttpResponse<String> r = admin("POST", "/api/v1/validate", YAML, set);
        assertEquals(200, r.statusCode(), r.body());
        Map<String, Object> v = obj(parse(r));
        assertEquals(Boolean.TRUE, v.get("valid"), r.body());
        Map<String, Object> diff = obj(v.get("diff"));
        assertEquals(Set.of("e2e-val-new"), strings(diff.get("added")), r.body());
        assertEquals(Set.of("e2e-val-existing"), strings(diff.get("updated")), r.body());
        assertEquals(Set.of(), strings(diff.get("removed")), r.body());

        String jsonSet = "[{\"id\":\"e2e-val-json\",\"basePath\":\"/e2e-val-json\",\"upstream\":{\"url\":\"" + echoUrl("/j") + "\"}}]";
        HttpResponse<String> j = admin("POST", "/api/v1/validate", JSON, jsonSet);
        assertEquals(200, j.statusCode(), j.body());
        assertEquals(Set.of("e2e-val-json"), strings(obj(obj(parse(j)).get("diff")).get("added")), j.body());

        HttpResponse<String> invalid = admin("POST", "/api/v1/validate", YAML, def("e2e-val-bad", "/e2e-val-bad", "ftp://127.0.0.1/x"));
        assertEquals(422, invalid.statusCode(), invalid.body());

        assertEquals(before, currentRevision(), "validate creates no revision");
        assertEquals(404, admin("GET", "/api/v1/apis/e2e-val-new", null, null).statusCode());
        assertEquals(404, admin("GET", "/api/v1/apis/e2e-val-json", null, null).statusCode());
        assertEquals(beforeGet, admin("GET", "/api/v1/apis/e2e-val-existing", null, null).body());
    }

    @Test
    void should_answer_409_for_a_stale_if_match_revision() throws Exception {
        long r1 = num(putWait("e2e-ifmatch", def("e2e-ifmatch", "/e2e-ifmatch", echoUrl("/v1"))).get("revision"));
        long r2 = num(putWait("e2e-ifmatch", def("e2e-ifmatch", "/e2e-ifmatch", echoUrl("/v2"))).get("revision"));
        assertTrue(r2 > r1);

        HttpResponse<String> stale = admin("PUT", "/api/v1/apis/e2e-ifmatch", YAML, def("e2e-ifmatch", "/e2e-ifmatch", echoUrl("/v3")),
            "If-Match", "\"" + r1 + "\"");
        assertEquals(409, stale.statusCode(), stale.body());
        assertTrue(obj(parse(stale)).containsKey("error"), stale.body());
        assertEquals(r2, currentRevision());
        assertTrue(admin("GET", "/api/v1/apis/e2e-ifmatch", null, null).body().contains("/v2"));

        HttpResponse<String> current = admin("PUT", "/api/v1/apis/e2e-ifmatch", YAML, def("e2e-ifmatch", "/e2e-ifmatch", echoUrl("/v3")),
            "If-Match", "\"" + r2 + "\"");
        assertEquals(200, current.statusCode(), current.body());
        assertEquals(r2 + 1, num(obj(parse(current)).get("revision")), current.body());
    }

    @Test
    void should_list_revisions_newest_first_with_limit() throws Exception {
        putWait("e2e-hist", def("e2e-hist", "/e2e-hist", echoUrl("/h1")));
        putWait("e2e-hist", def("e2e-hist", "/e2e-hist", echoUrl("/h2")));
        long current = currentRevision();

        HttpResponse<String> r = admin("GET", "/api/v1/revisions?limit=2", null, null);
        assertEquals(200, r.statusCode(), r.body());
        List<Object> list = arr(parse(r));
        assertEquals(2, list.size(), r.body());
        Map<String, Object> newest = obj(list.get(0));
        assertEquals(current, num(newest.get("revision")), r.body());
        assertEquals(current - 1, num(obj(list.get(1)).get("revision")), r.body());
        String time = (String) newest.get("time");
        assertNotNull(time, r.body());
        assertTrue(time.endsWith("Z"), "RFC 3339 UTC: " + time);
        Instant.parse(time);
        assertEquals("admin", newest.get("user"), r.body());
        assertNotNull(newest.get("source"), r.body());
        Map<String, Object> summary = obj(newest.get("summary"));
        assertTrue(summary.containsKey("added") && summary.containsKey("updated") && summary.containsKey("removed"), r.body());

        HttpResponse<String> all = admin("GET", "/api/v1/revisions", null, null);
        List<Object> entries = arr(parse(all));
        assertEquals(Math.min(50, current), entries.size(), "default limit 50");
        for (int i = 1; i < entries.size(); i++) {
            assertTrue(num(obj(entries.get(i - 1)).get("revision")) > num(obj(entries.get(i)).get("revision")), "newest first: " + all.body());
        }

        HttpResponse<String> before = admin("GET", "/api/v1/revisions?limit=1&before=" + current, null, null);
        assertEquals(200, before.statusCode(), before.body());
        List<Object> older = arr(parse(before));
        assertEquals(1, older.size(), before.body());
        assertEquals(current - 1, num(obj(older.get(0)).get("revision")), before.body());
    }

    @Test
    void should_include_the_full_state_in_a_single_revision() throws Exception {
        long ra = num(putWait("e2e-rev-a", def("e2e-rev-a", "/e2e-rev-a", echoUrl("/a"))).get("revision"));
        HttpResponse<String> del = admin("DELETE", "/api/v1/apis/e2e-rev-a", null, null);
        assertEquals(200, del.statusCode(), del.body());
        Map<String, Object> d = obj(parse(del));
        assertEquals("e2e-rev-a", d.get("id"), del.body());
        long rd = num(d.get("revision"));
        assertEquals(ra + 1, rd, del.body());

        HttpResponse<String> atA = admin("GET", "/api/v1/revisions/" + ra, null, null);
        assertEquals(200, atA.statusCode(), atA.body());
        Map<String, Object> entryA = obj(parse(atA));
        assertEquals(ra, num(entryA.get("revision")), atA.body());
        assertNotNull(entryA.get("time"), atA.body());
        assertTrue(ids(entryA.get("apis")).contains("e2e-rev-a"), atA.body());

        HttpResponse<String> atD = admin("GET", "/api/v1/revisions/" + rd, null, null);
        assertEquals(200, atD.statusCode(), atD.body());
        assertFalse(ids(obj(parse(atD)).get("apis")).contains("e2e-rev-a"), atD.body());

        assertEquals(404, admin("GET", "/api/v1/revisions/" + (rd + 100_000), null, null).statusCode());
    }

    @Test
    void should_roll_back_by_creating_a_new_revision_with_the_old_state() throws Exception {
        String shape1 = def("e2e-rb", "/e2e-rb", echoUrl("/rb"), "policies:", "  - type: set-headers",
            "    response: { set: { X-Shape: \"1\" } }");
        String shape2 = shape1.replace("\"1\"", "\"2\"");
        long r1 = num(putWait("e2e-rb", shape1).get("revision"));
        long r2 = num(putWait("e2e-rb", shape2).get("revision"));
        assertEquals("2", trafficGet("/e2e-rb/x").headers().firstValue("X-Shape").orElse(null));

        HttpResponse<String> rb = admin("POST", "/api/v1/rollback?wait=all", JSON, "{\"to\": " + r1 + "}");
        assertEquals(200, rb.statusCode(), rb.body());
        long r3 = num(obj(parse(rb)).get("revision"));
        assertEquals(r2 + 1, r3, "a rollback is a new revision: " + rb.body());
        assertEquals(r3, currentRevision());

        Map<String, Object> stateAt1 = byId(obj(parse(admin("GET", "/api/v1/revisions/" + r1, null, null))).get("apis"));
        Map<String, Object> stateAt3 = byId(obj(parse(admin("GET", "/api/v1/revisions/" + r3, null, null))).get("apis"));
        assertEquals(stateAt1, stateAt3, "revision " + r3 + " has the state of revision " + r1);

        Awaitility.await("rollback served").atMost(PROPAGATION).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            HttpResponse<String> t = trafficGet("/e2e-rb/x");
            assertEquals(200, t.statusCode(), t.body());
            assertEquals("1", t.headers().firstValue("X-Shape").orElse(null));
            assertEquals(Long.toString(r3), t.headers().firstValue("X-Meridian-Revision").orElse(null));
        });
    }

    @Test
    void should_answer_wait_all_with_this_node_and_the_revision_it_serves() throws Exception {
        HttpResponse<String> r = admin("PUT", "/api/v1/apis/e2e-wait?wait=all", YAML, def("e2e-wait", "/e2e-wait", echoUrl("/w")));
        assertEquals(200, r.statusCode(), r.body());
        Map<String, Object> answer = obj(parse(r));
        long revision = num(answer.get("revision"));
        List<Object> nodes = arr(answer.get("nodes"));
        assertEquals(1, nodes.size(), r.body());
        Map<String, Object> n = obj(nodes.get(0));
        assertEquals(NODE_NAME, n.get("name"), r.body());
        assertEquals(revision, num(n.get("revision")), r.body());
        assertEquals("ready", n.get("state"), r.body());
        assertTrue(n.containsKey("propagationMs"), r.body());
        HttpResponse<String> t = trafficGet("/e2e-wait/x");
        assertEquals(200, t.statusCode(), "served once wait=all answered: " + t.body());
        assertEquals(Long.toString(revision), t.headers().firstValue("X-Meridian-Revision").orElse(null));

        HttpResponse<String> set = admin("POST", "/api/v1/apply?wait=all", YAML, def("e2e-wait", "/e2e-wait", echoUrl("/w2")));
        assertEquals(200, set.statusCode(), set.body());
        Map<String, Object> setAnswer = obj(parse(set));
        Map<String, Object> setNode = obj(arr(setAnswer.get("nodes")).get(0));
        assertEquals(NODE_NAME, setNode.get("name"), set.body());
        assertEquals(num(setAnswer.get("revision")), num(setNode.get("revision")), set.body());
    }

    @Test
    void should_list_set_headers_among_the_plugins() throws Exception {
        HttpResponse<String> r = admin("GET", "/api/v1/plugins", null, null);
        assertEquals(200, r.statusCode(), r.body());
        List<Map<String, Object>> setHeaders = findMaps(parse(r), m -> "set-headers".equals(m.get("type")));
        assertFalse(setHeaders.isEmpty(), r.body());
        assertNotNull(setHeaders.get(0).get("bundle"), r.body());
        assertNotNull(setHeaders.get(0).get("version"), r.body());
        assertTrue(r.body().contains("\"" + NODE_NAME + "\""), "plugins per node: " + r.body());
    }

    @Test
    void should_list_one_ready_node_in_the_cluster() throws Exception {
        HttpResponse<String> r = admin("GET", "/api/v1/cluster", null, null);
        assertEquals(200, r.statusCode(), r.body());
        List<Object> nodes = arr(obj(parse(r)).get("nodes"));
        assertEquals(1, nodes.size(), r.body());
        Map<String, Object> n = obj(nodes.get(0));
        assertEquals(NODE_NAME, n.get("name"), r.body());
        assertEquals("ready", n.get("state"), r.body());
        assertEquals("default", n.get("region"), r.body());
        assertNotNull(n.get("address"), r.body());
        assertEquals(currentRevision(), num(n.get("revision")), r.body());
        assertFalse(findMaps(n.get("plugins"), m -> "set-headers".equals(m.get("type"))).isEmpty(), r.body());
    }

    // ---------------------------------------------------------------- traffic

    @Test
    void should_answer_404_json_with_revision_and_request_id_when_no_api_matches() throws Exception {
        HttpResponse<String> r = trafficGet("/e2e-nothing-here/at/all");
        assertEquals(404, r.statusCode(), r.body());
        assertTrue(obj(parse(r)).containsKey("error"), r.body());
        String revision = r.headers().firstValue("X-Meridian-Revision").orElse(null);
        assertNotNull(revision, "X-Meridian-Revision on a 404: " + r.headers().map());
        assertEquals(currentRevision(), Long.parseLong(revision));
        assertFalse(r.headers().firstValue("X-Request-Id").orElse("").isBlank(), "X-Request-Id on a 404: " + r.headers().map());
    }

    @Test
    void should_keep_a_client_request_id_and_forward_it_upstream() throws Exception {
        putWait("e2e-rid", def("e2e-rid", "/e2e-rid", echoUrl("/rid")));
        HttpResponse<String> r = send(request(node().trafficUrl("/e2e-rid/x")).header("X-Request-Id", "e2e-rid-0001").GET());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("e2e-rid-0001", r.headers().firstValue("X-Request-Id").orElse(null));
        assertEquals("e2e-rid-0001", upstreamHeaders(r.body()).get("x-request-id"), r.body());

        HttpResponse<String> generated = trafficGet("/e2e-rid/y");
        String id = generated.headers().firstValue("X-Request-Id").orElse("");
        assertFalse(id.isBlank(), generated.headers().map().toString());
        assertEquals(id, upstreamHeaders(generated.body()).get("x-request-id"), "a generated id is forwarded too: " + generated.body());
    }

    @Test
    void should_answer_502_json_when_the_upstream_refuses_the_connection() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        putWait("e2e-refused", def("e2e-refused", "/e2e-refused", "http://127.0.0.1:" + closedPort + "/gone", "  timeout: 5s"));
        HttpResponse<String> r = trafficGet("/e2e-refused/x");
        assertEquals(502, r.statusCode(), r.body());
        assertTrue(obj(parse(r)).containsKey("error"), r.body());
        assertTrue(r.headers().firstValue("X-Meridian-Revision").isPresent(), r.headers().map().toString());
    }

    @Test
    void should_answer_504_json_when_the_upstream_exceeds_its_timeout() throws Exception {
        putWait("e2e-slow", def("e2e-slow", "/e2e-slow", echoUrl("/slow"), "  timeout: 250ms"));
        long start = System.nanoTime();
        HttpResponse<String> r = trafficGet("/e2e-slow");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(obj(parse(r)).containsKey("error"), r.body());
        assertTrue(r.headers().firstValue("X-Meridian-Revision").isPresent(), r.headers().map().toString());
        assertTrue(tookMs < 2_500, "answered at the 250ms timeout, not when the 3s upstream finished: " + tookMs + " ms");
    }

    @Test
    void should_answer_413_json_for_a_content_length_body_over_10_mib() throws Exception {
        putWait("e2e-big", def("e2e-big", "/e2e-big", echoUrl("/big")));
        long length = 10L * 1024 * 1024 + 1;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node().httpPort)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /e2e-big/upload HTTP/1.1\r\nHost: 127.0.0.1:" + node().httpPort + "\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: " + length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread writer = new Thread(() -> {
                byte[] chunk = new byte[64 * 1024];
                long left = length;
                try {
                    while (left > 0) {
                        int n = (int) Math.min(chunk.length, left);
                        out.write(chunk, 0, n);
                        left -= n;
                    }
                    out.flush();
                } catch (IOException e) {
                    // the server may answer and close before reading the whole body
                }
            }, "e2e-big-body");
            writer.setDaemon(true);
            writer.start();
            Raw reply = readReply(new BufferedInputStream(socket.getInputStream()));
            assertEquals(413, reply.status(), reply.body());
            assertTrue(obj(MiniJson.parse(reply.body())).containsKey("error"), reply.body());
            assertNotNull(reply.header("X-Meridian-Revision"), reply.headers().toString());
        }
    }

    @Test
    void should_answer_404_for_a_method_the_api_does_not_allow() throws Exception {
        putWait("e2e-getonly", def("e2e-getonly", "/e2e-getonly", echoUrl("/g"), "methods: [GET]"));
        HttpResponse<String> get = trafficGet("/e2e-getonly/x");
        assertEquals(200, get.statusCode(), get.body());
        HttpResponse<String> post = send(request(node().trafficUrl("/e2e-getonly/x")).header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("hello")));
        assertEquals(404, post.statusCode(), post.body());
        assertTrue(obj(parse(post)).containsKey("error"), post.body());
    }

    @Test
    void should_map_the_base_path_onto_the_upstream_path_and_pass_the_query_verbatim() throws Exception {
        putWait("e2e-rewrite", def("e2e-rewrite", "/a", echoUrl("/up/v2")));
        HttpResponse<String> r = trafficGet("/a/x?q=%2F");
        assertEquals(200, r.statusCode(), r.body());
        Map<String, Object> seen = obj(MiniJson.parse(r.body()));
        assertEquals("/up/v2/x", seen.get("path"), r.body());
        assertEquals("q=%2F", seen.get("query"), r.body());

        HttpResponse<String> root = trafficGet("/a");
        assertEquals(200, root.statusCode(), root.body());
        assertEquals("/up/v2", obj(MiniJson.parse(root.body())).get("path"), root.body());

        assertEquals(404, trafficGet("/ab/x").statusCode(), "/a matches whole segments only");
    }

    @Test
    void should_not_forward_hop_by_hop_request_headers_and_should_add_forwarded_headers() throws Exception {
        putWait("e2e-hop", def("e2e-hop", "/e2e-hop", echoUrl("/h")));
        Raw reply = raw(node().httpPort, "GET /e2e-hop/echo HTTP/1.1\r\nHost: 127.0.0.1:" + node().httpPort + "\r\n"
            + "Connection: close, X-Hop-Req\r\nX-Hop-Req: secret\r\nKeep-Alive: timeout=5\r\nX-End-To-End: kept\r\n\r\n");
        assertEquals(200, reply.status(), reply.body());
        Map<String, String> up = upstreamHeaders(reply.body());
        assertEquals("kept", up.get("x-end-to-end"), reply.body());
        assertNull(up.get("x-hop-req"), "a header named in Connection is hop-by-hop: " + reply.body());
        assertNull(up.get("keep-alive"), "Keep-Alive is hop-by-hop: " + reply.body());
        String connection = up.getOrDefault("connection", "");
        assertFalse(connection.toLowerCase(Locale.ROOT).contains("x-hop-req"), "client's Connection forwarded: " + reply.body());

        String xff = up.get("x-forwarded-for");
        assertNotNull(xff, reply.body());
        assertTrue(xff.contains("127.0.0.1"), reply.body());
        assertEquals("http", up.get("x-forwarded-proto"), reply.body());
        String xfh = up.get("x-forwarded-host");
        assertTrue(("127.0.0.1:" + node().httpPort).equals(xfh) || "127.0.0.1".equals(xfh), "X-Forwarded-Host: " + reply.body());
    }

    @Test
    void should_not_forward_hop_by_hop_response_headers() throws Exception {
        Raw direct = raw(NODE.upstream().port(), "GET /h/hop HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertEquals("v", direct.header("X-Custom"), "test upstream sends the hop-by-hop headers: " + direct.headers());
        assertTrue(direct.header("Connection").contains("X-Custom"), "test upstream names X-Custom in Connection: " + direct.headers());

        putWait("e2e-hop-resp", def("e2e-hop-resp", "/e2e-hop-resp", echoUrl("/h")));
        Raw reply = raw(node().httpPort, "GET /e2e-hop-resp/hop HTTP/1.1\r\nHost: 127.0.0.1:" + node().httpPort + "\r\nConnection: close\r\n\r\n");
        assertEquals(200, reply.status(), reply.body());
        assertEquals("hop", reply.body());
        assertEquals("yes", reply.header("X-Kept"), reply.headers().toString());
        assertNull(reply.header("X-Custom"), "a header named in the upstream's Connection is hop-by-hop: " + reply.headers());
        assertNull(reply.header("Keep-Alive"), "Keep-Alive is hop-by-hop: " + reply.headers());
        String connection = reply.header("Connection");
        assertTrue(connection == null || !connection.toLowerCase(Locale.ROOT).contains("x-custom"), "upstream's Connection forwarded: " + reply.headers());
    }

    // ---------------------------------------------------------------- other ways in

    @Test
    void should_list_apis_with_gateway_list_over_ssh() throws Exception {
        putWait("e2e-shell-list", def("e2e-shell-list", "/e2e-shell-list", echoUrl("/sl")));
        String out = node().shell("gateway:list");
        assertTrue(out.contains("e2e-shell-list"), out);
        assertTrue(out.contains("/e2e-shell-list"), out);
    }

    @Test
    void should_apply_a_file_with_gateway_apply_over_ssh() throws Exception {
        Path file = NODE.workDir().resolve("shell-apply-set.yaml");
        Files.writeString(file, def("e2e-shell-one", "/e2e-shell-one", echoUrl("/s1"))
            + "---\n" + def("e2e-shell-two", "/e2e-shell-two", echoUrl("/s2")));
        long before = currentRevision();
        String out = node().shell("gateway:apply " + file.toAbsolutePath());
        assertEquals(before + 1, currentRevision(), "one file, one revision: " + out);
        assertEquals(200, admin("GET", "/api/v1/apis/e2e-shell-one", null, null).statusCode(), out);
        assertEquals(200, admin("GET", "/api/v1/apis/e2e-shell-two", null, null).statusCode(), out);
        Map<String, Object> entry = obj(arr(parse(admin("GET", "/api/v1/revisions?limit=1", null, null))).get(0));
        assertEquals("admin", entry.get("user"), entry.toString());
        Awaitility.await("shell-applied API served").atMost(PROPAGATION).pollInterval(Duration.ofMillis(200))
            .until(() -> trafficGet("/e2e-shell-two/x").statusCode() == 200);
    }

    @Test
    void should_show_the_history_with_gateway_revisions_over_ssh() throws Exception {
        putWait("e2e-shell-rev", def("e2e-shell-rev", "/e2e-shell-rev", echoUrl("/sr1")));
        putWait("e2e-shell-rev", def("e2e-shell-rev", "/e2e-shell-rev", echoUrl("/sr2")));
        long current = currentRevision();
        String out = node().shell("gateway:revisions");
        List<Long> rows = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s*\\|").matcher(out);
        while (m.find()) {
            rows.add(Long.parseLong(m.group(1)));
        }
        assertTrue(rows.size() >= 2, out);
        assertEquals(current, rows.get(0), "newest first: " + out);
        assertEquals(current - 1, rows.get(1), out);
    }

    @Test
    void should_apply_a_definition_dropped_into_deploy_ignore_a_broken_one_and_delete_on_removal() throws Exception {
        Path deploy = node().home.resolve("deploy");
        Path good = deploy.resolve("e2e-drop.api.yaml");
        Path malformed = deploy.resolve("e2e-drop-malformed.api.yaml");
        Path invalid = deploy.resolve("e2e-drop-invalid.api.yaml");
        try {
            drop(good, def("e2e-drop", "/e2e-drop", echoUrl("/drop")));
            Awaitility.await("dropped definition served").atMost(PROPAGATION).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> trafficGet("/e2e-drop/ping").statusCode() == 200);
            long revision = currentRevision();

            drop(malformed, "id: e2e-drop-malformed\nbasePath: [unclosed\n");
            drop(invalid, def("e2e-drop-invalid", "/e2e-drop-invalid", "ftp://127.0.0.1/x"));
            Awaitility.await("broken files change nothing").during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(250)).until(() -> currentRevision() == revision);
            assertEquals(404, admin("GET", "/api/v1/apis/e2e-drop-malformed", null, null).statusCode());
            assertEquals(404, admin("GET", "/api/v1/apis/e2e-drop-invalid", null, null).statusCode());
            assertEquals(200, trafficGet("/e2e-drop/ping").statusCode());

            Files.delete(good);
            Awaitility.await("API of the deleted file gone").atMost(PROPAGATION).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> trafficGet("/e2e-drop/ping").statusCode() == 404);
            assertEquals(404, admin("GET", "/api/v1/apis/e2e-drop", null, null).statusCode());
        } finally {
            Files.deleteIfExists(good);
            Files.deleteIfExists(malformed);
            Files.deleteIfExists(invalid);
        }
    }

    @Test
    void should_require_admin_credentials_for_the_web_console() throws Exception {
        HttpResponse<String> anonymous = node().get(node().adminUrl("/system/console"), false);
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        HttpResponse<String> wrong = send(request(node().adminUrl("/system/console")).header("Authorization", basic("admin", "wrong")).GET());
        assertEquals(401, wrong.statusCode(), wrong.body());
        HttpResponse<String> admin = send(request(node().adminUrl("/system/console")).header("Authorization", basic("admin", PASSWORD)).GET());
        assertTrue(admin.statusCode() == 200 || admin.statusCode() == 302, "admin gets the console: " + admin.statusCode() + " " + admin.body());
    }

    // ---------------------------------------------------------------- probes

    @Test
    void should_answer_probes_without_auth_and_export_metrics() throws Exception {
        assertEquals(200, node().get(node().adminUrl("/health"), false).statusCode());
        assertEquals(200, node().get(node().adminUrl("/ready"), false).statusCode());
        putWait("e2e-metrics", def("e2e-metrics", "/e2e-metrics", echoUrl("/m")));
        assertEquals(200, trafficGet("/e2e-metrics/x").statusCode());
        Awaitility.await("metrics exported").atMost(PROPAGATION).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            HttpResponse<String> m = node().get(node().adminUrl("/metrics"), false);
            assertEquals(200, m.statusCode(), m.body());
            assertTrue(m.body().contains("meridian_requests_total"), m.body());
            assertTrue(m.body().contains("meridian_revision"), m.body());
        });
    }

    // ---------------------------------------------------------------- policy bundle removal

    @Test
    void should_keep_serving_and_report_degraded_while_a_used_policy_bundle_is_stopped() throws Exception {
        putWait("e2e-plug", def("e2e-plug", "/e2e-plug", echoUrl("/plug"), "policies:", "  - type: set-headers",
            "    response: { set: { X-Plug: \"on\" } }"));
        assertServedWithPlugHeader();
        String stopped = null;
        try {
            stopped = node().shell("bundle:stop " + SET_HEADERS_BUNDLE);
            assertServedWithPlugHeader();
            Awaitility.await("node degraded").atMost(PROPAGATION).pollInterval(Duration.ofMillis(250))
                .until(AdminApiE2EIT::clusterState, "degraded"::equals);
            assertServedWithPlugHeader();
        } finally {
            String started = node().shell("bundle:start " + SET_HEADERS_BUNDLE);
            System.out.println("bundle:stop -> " + stopped + " / bundle:start -> " + started);
        }
        Awaitility.await("node ready again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(AdminApiE2EIT::clusterState, "ready"::equals);
        assertServedWithPlugHeader();
    }

    private static void assertServedWithPlugHeader() throws IOException, InterruptedException {
        HttpResponse<String> r = trafficGet("/e2e-plug/x");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("on", r.headers().firstValue("X-Plug").orElse(null), r.headers().map().toString());
    }

    private static String clusterState() throws IOException, InterruptedException {
        return (String) obj(arr(obj(parse(admin("GET", "/api/v1/cluster", null, null))).get("nodes")).get(0)).get("state");
    }

    // ---------------------------------------------------------------- helpers: definitions and calls

    /** A definition in YAML; {@code extra} lines follow {@code upstream.url}, so two-space lines belong to upstream. */
    private static String def(String id, String basePath, String url, String... extra) {
        StringBuilder b = new StringBuilder()
            .append("id: ").append(id).append('\n')
            .append("basePath: ").append(basePath).append('\n')
            .append("upstream:\n  url: ").append(url).append('\n');
        for (String line : extra) {
            b.append(line).append('\n');
        }
        return b.toString();
    }

    private static String echoUrl(String path) {
        return NODE.upstream().url(path);
    }

    /** PUT with {@code ?wait=all}, so that the answer comes once this node serves the change. */
    private static Map<String, Object> putWait(String id, String yaml) throws IOException, InterruptedException {
        HttpResponse<String> r = admin("PUT", "/api/v1/apis/" + id + "?wait=all", YAML, yaml);
        assertEquals(200, r.statusCode(), r.body());
        return obj(parse(r));
    }

    private static long currentRevision() throws IOException, InterruptedException {
        HttpResponse<String> r = admin("GET", "/api/v1/apis", null, null);
        assertEquals(200, r.statusCode(), r.body());
        return num(obj(parse(r)).get("revision"));
    }

    private static Set<String> apiIds() throws IOException, InterruptedException {
        return ids(obj(parse(admin("GET", "/api/v1/apis", null, null))).get("apis"));
    }

    private static HttpResponse<String> admin(String method, String path, String contentType, String body, String... headers)
        throws IOException, InterruptedException {
        HttpRequest.Builder b = request(node().adminUrl(path)).header("Authorization", basic("admin", PASSWORD));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return send(b);
    }

    private static HttpResponse<String> trafficGet(String path) throws IOException, InterruptedException {
        return send(request(node().trafficUrl(path)).GET());
    }

    private static HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Writes next to the target and moves it in, so the deploy folder never sees half a file. */
    private static void drop(Path target, String content) throws IOException {
        Path tmp = NODE.workDir().resolve(target.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---------------------------------------------------------------- helpers: the test upstream

    /** Echoes what arrived: method, raw path, raw query and the request headers (lower-case names). */
    private static void echo(HttpExchange ex) throws IOException {
        byte[] in = ex.getRequestBody().readAllBytes();
        Map<String, String> headers = new TreeMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(", ", v)));
        StringBuilder b = new StringBuilder("{\"method\":").append(quote(ex.getRequestMethod()))
            .append(",\"path\":").append(quote(ex.getRequestURI().getRawPath()))
            .append(",\"query\":").append(quote(ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery()))
            .append(",\"bodyLength\":").append(in.length)
            .append(",\"headers\":{");
        String sep = "";
        for (Map.Entry<String, String> e : headers.entrySet()) {
            b.append(sep).append(quote(e.getKey())).append(':').append(quote(e.getValue()));
            sep = ",";
        }
        b.append("}}");
        respond(ex, 200, "application/json", b.toString());
    }

    private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static Map<String, String> upstreamHeaders(String echoBody) {
        Map<String, String> out = new LinkedHashMap<>();
        obj(obj(MiniJson.parse(echoBody)).get("headers")).forEach((k, v) -> out.put(k, (String) v));
        return out;
    }

    // ---------------------------------------------------------------- helpers: raw HTTP/1.1

    record Raw(int status, Map<String, List<String>> headers, String body) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : String.join(", ", v);
        }
    }

    /** One request on its own socket, exactly as written (so hop-by-hop headers can be sent); the request should say Connection: close. */
    private static Raw raw(int port, String head) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(15_000);
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return readReply(new BufferedInputStream(s.getInputStream()));
        }
    }

    private static Raw readReply(InputStream in) throws IOException {
        String statusLine = line(in);
        if (statusLine == null) {
            throw new IOException("connection closed before a status line");
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        String h;
        while ((h = line(in)) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.substring(colon + 1).trim());
        }
        byte[] body;
        List<String> length = headers.get("content-length");
        List<String> te = headers.get("transfer-encoding");
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length.get(0)));
        } else if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            while (true) {
                int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
                if (size == 0) {
                    break;
                }
                buf.write(in.readNBytes(size));
                line(in);
            }
            body = buf.toByteArray();
        } else {
            body = in.readAllBytes();
        }
        return new Raw(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        return HttpLines.read(in);
    }

    // ---------------------------------------------------------------- helpers: JSON

    private static Object parse(HttpResponse<String> r) {
        try {
            return MiniJson.parse(r.body());
        } catch (RuntimeException e) {
            throw new AssertionError("not JSON (status " + r.statusCode() + "): " + r.body(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Object o) {
        assertTrue(o instanceof Map, "expected a JSON object, got " + o);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> arr(Object o) {
        assertTrue(o instanceof List, "expected a JSON array, got " + o);
        return (List<Object>) o;
    }

    private static long num(Object o) {
        assertTrue(o instanceof Number, "expected a JSON number, got " + o);
        return ((Number) o).longValue();
    }

    private static Set<String> strings(Object o) {
        Set<String> out = new HashSet<>();
        arr(o).forEach(v -> out.add((String) v));
        return out;
    }

    private static Set<String> ids(Object apis) {
        Set<String> out = new HashSet<>();
        arr(apis).forEach(a -> out.add((String) obj(a).get("id")));
        return out;
    }

    private static Map<String, Object> byId(Object apis) {
        Map<String, Object> out = new TreeMap<>();
        arr(apis).forEach(a -> out.put((String) obj(a).get("id"), a));
        return out;
    }

    private static List<String> detailPaths(HttpResponse<String> r) {
        List<String> out = new ArrayList<>();
        arr(obj(parse(r)).get("details")).forEach(d -> out.add((String) obj(d).get("path")));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> findMaps(Object tree, Predicate<Map<String, Object>> p) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (tree instanceof Map<?, ?> m) {
            if (p.test((Map<String, Object>) m)) {
                out.add((Map<String, Object>) m);
            }
            m.values().forEach(v -> out.addAll(findMaps(v, p)));
        } else if (tree instanceof List<?> l) {
            l.forEach(v -> out.addAll(findMaps(v, p)));
        }
        return out;
    }

    /** Just enough JSON for assertions: objects, arrays, strings, numbers (Long or Double), booleans, null. */
    static final class MiniJson {
        private final String s;
        private int i;

        private MiniJson(String s) {
            this.s = s;
        }

        static Object parse(String s) {
            MiniJson p = new MiniJson(s);
            Object v = p.value();
            p.ws();
            if (p.i != s.length()) {
                throw p.error("trailing content");
            }
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek('}')) {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                        if (peek(',')) {
                            i++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek(']')) {
                        i++;
                        return l;
                    }
                    while (true) {
                        l.add(value());
                        ws();
                        if (peek(',')) {
                            i++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"':
                    return string();
                case 't':
                    literal("true");
                    return Boolean.TRUE;
                case 'f':
                    literal("false");
                    return Boolean.FALSE;
                case 'n':
                    literal("null");
                    return null;
                default:
                    return number();
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
        }

        private Object number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String n = s.substring(start, i);
            if (n.isEmpty()) {
                throw error("unexpected character");
            }
            return n.contains(".") || n.contains("e") || n.contains("E") ? (Object) Double.parseDouble(n) : (Object) Long.parseLong(n);
        }

        private void literal(String word) {
            if (!s.startsWith(word, i)) {
                throw error("expected " + word);
            }
            i += word.length();
        }

        private boolean peek(char c) {
            return i < s.length() && s.charAt(i) == c;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at " + i + " in: " + s);
        }
    }
}
