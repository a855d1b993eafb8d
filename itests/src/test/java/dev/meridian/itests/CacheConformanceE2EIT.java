package dev.meridian.itests;

import static dev.meridian.itests.RawHttpClient.Field.of;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.meridian.itests.RawHttpClient.Field;
import dev.meridian.itests.RawHttpClient.Response;
import dev.meridian.itests.ScriptedUpstream.Answer;
import dev.meridian.itests.ScriptedUpstream.Received;
import dev.meridian.itests.ScriptedUpstream.Script;

/**
 * Meridian as an RFC 9111 shared cache (issue 9 §3, CONTRACT §6), seen from outside: one node
 * from the distribution, one API with {@code cache: {ttl: 0s, respectCacheControl: true}} in
 * front of a {@link ScriptedUpstream} that sends exactly the bytes each test scripts. Every test
 * has a path of its own (as the public http-tests/cache-tests suite does) and names the section
 * it checks. "Reused" means the second request, on another connection, was answered with
 * {@code X-Cache: HIT} and never reached the upstream.
 *
 * <p>The API maps {@code /conf/...} to the same path on the upstream, so {@code Location} and
 * {@code Content-Location} values mean the same URL on both sides.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CacheConformanceE2EIT {

    private static final int HTTP = 24080;
    private static final String FRESH = "max-age=3600";

    @RegisterExtension
    static final MeridianCluster<ScriptedUpstream> NODE = MeridianCluster
        .of(NodeSpec.of("conf1", HTTP, 24181, 24101))
        .upstream(ScriptedUpstream::new)
        .api("conf", up -> definition(up, "conf", "/conf", "{ttl: 0s, respectCacheControl: true}"))
        .build();

    private static String definition(ScriptedUpstream up, String id, String basePath, String cache) {
        return String.join("\n", "id: " + id, "basePath: " + basePath,
            "upstream: { url: '" + up.url(basePath) + "' }", "cache: " + cache, "");
    }

    private static void apply(String id, String basePath, String cache) throws Exception {
        NODE.apply(id, definition(NODE.upstream(), id, basePath, cache));
    }

    private static ScriptedUpstream upstream() {
        return NODE.upstream();
    }

    private static Response get(String path, Field... headers) throws IOException {
        return RawHttpClient.once(HTTP, "GET", path, headers);
    }

    private static Response send(String method, String path, String body) throws IOException {
        try (RawHttpClient c = new RawHttpClient(HTTP)) {
            return c.send(method, path, List.of(of("Content-Type", "text/plain")), body.getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Two GETs of {@code path}, each on its own connection. */
    private static Response[] twice(String path, Script script) throws IOException {
        upstream().on(path, script);
        Response first = get(path);
        Response second = get(path);
        return new Response[] {first, second};
    }

    private static void assertReused(String path, Response second) {
        assertEquals("HIT", second.xCache(), path + ": second answer " + second);
        assertEquals(1, upstream().gets(path), path + ": the upstream saw the second request; second answer " + second);
    }

    private static void assertNotReused(String path, Response second) {
        assertEquals(2, upstream().gets(path), path + ": the second request was not sent to the upstream; second answer " + second);
        assertNotEquals("HIT", second.xCache(), path + ": " + second);
    }

    /** The response's {@code Date}, or now when it has none. */
    private static Instant dateOf(Response r) {
        return r.first("Date").map(ScriptedUpstream::parseHttpDate).orElse(Instant.now());
    }

    /**
     * Waits until the clock passes {@code t}: used where a stored response must become stale.
     * HTTP dates have one-second resolution, so callers add a second of margin.
     */
    private static void awaitPast(Instant t) {
        Duration left = Duration.between(Instant.now(), t);
        Awaitility.await("clock past " + t).atMost((left.isNegative() ? Duration.ZERO : left).plusSeconds(2))
            .pollInterval(Duration.ofMillis(50)).until(() -> Instant.now().isAfter(t));
    }

    private static long age(Response r) {
        List<String> ages = r.all("Age");
        assertEquals(1, ages.size(), "one Age line: " + r);
        assertTrue(ages.get(0).matches("[0-9]+"), "Age a non-negative integer: " + r);
        return Long.parseLong(ages.get(0));
    }

    // ---- Age (RFC 9111 §5.1) and the generated Age (§4.2.3) ------------------------------------

    static Stream<Arguments> ageFields() {
        return Stream.of(
            arguments("non-numeric", List.of("abc"), true),
            arguments("negative", List.of("-7200"), true),
            arguments("float", List.of("7200.0"), true),
            arguments("list-old-first", List.of("7200, 0"), false),
            arguments("list-old-last", List.of("0, 7200"), true),
            arguments("two-lines-old-first", List.of("7200", "0"), false),
            arguments("two-lines-old-last", List.of("0", "7200"), true),
            arguments("valid-old", List.of("7200"), false));
    }

    @ParameterizedTest(name = "Age {0}: {1}, reused {2}")
    @MethodSource("ageFields")
    void should_ignore_an_invalid_age_and_use_the_first_member_of_a_list_rfc9111_5_1(String name, List<String> ages,
                                                                                      boolean reused) throws Exception {
        String path = "/conf/age-parse/" + name;
        Answer answer = Answer.ok("age " + name).with("Cache-Control", FRESH);
        for (String a : ages) {
            answer = answer.with("Age", a);
        }
        Response[] r = twice(path, Script.always(answer));
        assertEquals(200, r[0].status(), r[0].toString());
        if (reused) {
            assertReused(path, r[1]);
            long age = age(r[1]);
            assertTrue(age < 60, "an ignored Age counts as 0, a generated Age replaces it (§4): " + r[1]);
        } else {
            assertNotReused(path, r[1]);
        }
    }

    @Test
    void should_serve_a_hit_with_a_generated_age_that_counts_the_upstream_age_and_the_stored_date_rfc9111_4_2_3()
        throws Exception {
        String aged = "/conf/age-generated/upstream-age";
        Response[] r = twice(aged, Script.always(Answer.ok("aged").with("Cache-Control", FRESH).with("Age", "30")));
        assertReused(aged, r[1]);
        long age = age(r[1]);
        assertTrue(age >= 30 && age < 90, "Age includes the upstream's 30 s (corrected_age_value): " + r[1]);
        assertEquals(r[0].all("Date"), r[1].all("Date"), "the stored Date, never rewritten (RFC 9110 §6.6.1)");

        String old = "/conf/age-generated/old-date";
        String date = ScriptedUpstream.httpDate(Instant.now().minusSeconds(10));
        Response[] o = twice(old, Script.always(Answer.ok("old").with("Date", date).with("Cache-Control", FRESH)));
        assertReused(old, o[1]);
        assertTrue(age(o[1]) >= 10, "apparent_age = response_time - date_value >= 10 s: " + o[1]);
        assertEquals(List.of(date), o[1].all("Date"), "the origin's Date, once: " + o[1]);
    }

    @Test
    void should_give_every_answer_one_date_the_gateway_adds_when_the_origin_sent_none_rfc9110_6_6_1() throws Exception {
        // the server adds no Date of its own (GatewayHandler does, once per answer)
        String path = "/conf/date/none";
        Instant before = Instant.now().minusSeconds(1);
        Response[] r = twice(path, Script.always(Answer.ok("undated").with("Cache-Control", FRESH).withoutDate()));
        assertReused(path, r[1]);
        assertEquals(1, r[0].all("Date").size(), "one Date added to the miss: " + r[0]);
        Instant added = dateOf(r[0]);
        assertTrue(!added.isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
            && !added.isAfter(Instant.now().plusSeconds(1)), "the time it was received: " + r[0]);
        assertEquals(r[0].all("Date"), r[1].all("Date"), "the hit: the Date stored with it, once: " + r[1]);
        Response unrouted = get("/nowhere/at-all");
        assertEquals(404, unrouted.status(), unrouted.toString());
        assertEquals(1, unrouted.all("Date").size(), "the gateway's own answer has one Date: " + unrouted);
    }

    @Test
    void should_reuse_and_age_a_response_whose_freshness_comes_from_expires_rfc9111_4_2_1() throws Exception {
        String path = "/conf/expires/future";
        Instant now = Instant.now();
        String date = ScriptedUpstream.httpDate(now);
        String expires = ScriptedUpstream.httpDate(now.plusSeconds(3600));
        Response[] r = twice(path, Script.always(Answer.ok("expires").with("Date", date).with("Expires", expires)));
        assertReused(path, r[1]);
        assertTrue(age(r[1]) < 60, r[1].toString());
        assertEquals(List.of(date), r[1].all("Date"), "the stored Date: " + r[1]);
        assertEquals(List.of(expires), r[1].all("Expires"), r[1].toString());
    }

    // ---- freshness directives (§5.2.2.10 s-maxage, §1.2.2 delta-seconds) -------------------------

    static Stream<Arguments> sharedLifetimes() {
        return Stream.of(
            arguments("s-maxage-alone", "s-maxage=3600", true),
            arguments("s-maxage-over-max-age-0", "max-age=0, s-maxage=3600", true),
            arguments("s-maxage-0-over-max-age", "max-age=3600, s-maxage=0", false),
            arguments("s-maxage-leading-zeros", "max-age=0, s-maxage=003600", true));
    }

    @ParameterizedTest(name = "{0}: Cache-Control: {1}, reused {2}")
    @MethodSource("sharedLifetimes")
    void should_use_s_maxage_over_max_age_as_a_shared_cache_rfc9111_5_2_2_10(String name, String cc, boolean reused)
        throws Exception {
        String path = "/conf/s-maxage/" + name;
        Response[] r = twice(path, Script.always(Answer.ok(name).with("Cache-Control", cc)));
        if (reused) {
            assertReused(path, r[1]);
        } else {
            assertNotReused(path, r[1]);
        }
    }

    @ParameterizedTest(name = "Cache-Control: {0}")
    @ValueSource(strings = {"max-age=003600", "max-age=0000000003600", "public, max-age=03600"})
    void should_accept_delta_seconds_with_leading_zeros_rfc9111_1_2_2(String cc) throws Exception {
        String path = "/conf/leading-zeros/" + cc.replaceAll("[^a-z0-9]", "_");
        Response[] r = twice(path, Script.always(Answer.ok("zeros").with("Cache-Control", cc)));
        assertReused(path, r[1]);
    }

    // ---- must-revalidate (§5.2.2.2), stale-while-revalidate and stale-if-error (RFC 5861) ------

    @Test
    void should_revalidate_a_stale_must_revalidate_entry_with_its_validator_rfc9111_5_2_2_2() throws Exception {
        String path = "/conf/must-revalidate/revalidated";
        upstream().on(path, (req, nth) -> {
            if (nth == 1) {
                return Answer.ok("mr body").with("Cache-Control", "max-age=1, must-revalidate").with("ETag", "\"mr1\"");
            }
            if (req.first("If-None-Match").orElse("").contains("\"mr1\"")) {
                return Answer.notModified().with("Cache-Control", "max-age=60, must-revalidate").with("ETag", "\"mr1\"");
            }
            return Answer.ok("mr refetched").with("Cache-Control", "max-age=60, must-revalidate").with("ETag", "\"mr2\"");
        });
        Response first = get(path);
        awaitPast(dateOf(first).plusMillis(2200));
        Response stale = get(path);
        assertEquals(2, upstream().count(path), "a stale must-revalidate entry goes to the upstream: " + stale);
        Received revalidation = upstream().received(path).get(1);
        assertEquals(Optional.of("\"mr1\""), revalidation.first("If-None-Match"), "a conditional request with the stored ETag (§4.3.1)");
        assertEquals(200, stale.status(), stale.toString());
        assertEquals("mr body", stale.text(), "the stored body, validated by the 304");
        Response renewed = get(path);
        assertReusedAfterRevalidation(path, renewed);
        assertEquals("mr body", renewed.text());
    }

    @Test
    void should_never_serve_a_stale_must_revalidate_entry_when_the_upstream_fails_rfc9111_5_2_2_2() throws Exception {
        String failing = "/conf/must-revalidate/upstream-503";
        String closing = "/conf/must-revalidate/upstream-closes";
        Answer stored = Answer.ok("must not be served stale").with("Cache-Control", "max-age=1, must-revalidate");
        upstream().on(failing, Script.sequence(stored, Answer.status(503, "Service Unavailable").withBody("down")));
        upstream().on(closing, Script.sequence(stored, Answer.disconnect()));
        Response a = get(failing);
        Response b = get(closing);
        awaitPast(dateOf(b).plusMillis(2200));
        Response afterError = get(failing);
        Response afterClose = get(closing);
        assertEquals(503, afterError.status(), "the upstream's error, not the stale entry: " + afterError);
        assertTrue(afterClose.status() >= 500, "an error (504 recommended), not the stale entry: " + afterClose);
        assertNotEquals(a.text(), afterClose.text(), afterClose.toString());
        assertEquals(2, upstream().count(failing));
    }

    @Test
    void should_serve_stale_within_stale_while_revalidate_and_revalidate_in_the_background_rfc5861_3() throws Exception {
        String path = "/conf/swr/within";
        upstream().on(path, (req, nth) -> Answer.ok("swr v" + nth)
            .with("Cache-Control", nth == 1 ? "max-age=1, stale-while-revalidate=30" : FRESH));
        Response first = get(path);
        awaitPast(dateOf(first).plusMillis(2200));
        Response stale = get(path);
        assertEquals(200, stale.status(), stale.toString());
        assertEquals("swr v1", stale.text(), "served stale within the window: " + stale);
        assertEquals("STALE", stale.xCache(), stale.toString());
        Awaitility.await("background revalidation").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
            .until(() -> upstream().count(path) == 2);
        Awaitility.await("the refreshed entry served").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
            .until(() -> get(path).text().equals("swr v2"));
        Response refreshed = get(path);
        assertEquals("HIT", refreshed.xCache(), refreshed.toString());
        assertEquals(2, upstream().count(path), "the background refresh stored the answer");
    }

    @Test
    void should_not_serve_stale_past_the_stale_while_revalidate_window_rfc5861_3() throws Exception {
        String path = "/conf/swr/past";
        upstream().on(path, (req, nth) -> Answer.ok("swr past v" + nth).with("Cache-Control", "max-age=1, stale-while-revalidate=1"));
        Response first = get(path);
        awaitPast(dateOf(first).plusMillis(3300));
        Response late = get(path);
        assertEquals("swr past v2", late.text(), "past max-age + stale-while-revalidate: fetched before answering: " + late);
        assertNotEquals("STALE", late.xCache(), late.toString());
    }

    @Test
    void should_serve_stale_within_stale_if_error_when_the_upstream_fails_rfc5861_4() throws Exception {
        String failing = "/conf/sie/within-503";
        String closing = "/conf/sie/within-close";
        Answer stored = Answer.ok("sie stored").with("Cache-Control", "max-age=1, stale-if-error=60");
        upstream().on(failing, Script.sequence(stored, Answer.status(503, "Service Unavailable").withBody("down")));
        upstream().on(closing, Script.sequence(stored, Answer.disconnect()));
        get(failing);
        Response b = get(closing);
        awaitPast(dateOf(b).plusMillis(2200));
        Response afterError = get(failing);
        Response afterClose = get(closing);
        assertEquals(2, upstream().count(failing), "the stale entry was tried against the upstream first");
        assertEquals(200, afterError.status(), "stale-if-error: the stored answer instead of a 503: " + afterError);
        assertEquals("sie stored", afterError.text());
        assertEquals(200, afterClose.status(), "stale-if-error: the stored answer instead of a 502: " + afterClose);
        assertEquals("sie stored", afterClose.text());
    }

    @Test
    void should_not_serve_stale_past_the_stale_if_error_window_rfc5861_4() throws Exception {
        String path = "/conf/sie/past";
        upstream().on(path, Script.sequence(Answer.ok("sie past").with("Cache-Control", "max-age=1, stale-if-error=1"),
            Answer.status(503, "Service Unavailable").withBody("down")));
        Response first = get(path);
        awaitPast(dateOf(first).plusMillis(3300));
        Response late = get(path);
        assertEquals(503, late.status(), "past max-age + stale-if-error: the error, not the stale answer: " + late);
    }

    // ---- request directives (§5.2.1.7) ---------------------------------------------------------

    @Test
    void should_answer_only_if_cached_with_504_on_a_miss_and_from_the_cache_on_a_hit_rfc9111_5_2_1_7() throws Exception {
        String path = "/conf/only-if-cached/one";
        upstream().on(path, Script.always(Answer.ok("oic").with("Cache-Control", FRESH)));
        Response miss = get(path, of("Cache-Control", "only-if-cached"));
        assertEquals(504, miss.status(), "nothing stored: 504 Gateway Timeout, without asking the upstream: " + miss);
        assertEquals(0, upstream().count(path), "only-if-cached never reaches the upstream");
        get(path);
        Response hit = get(path, of("Cache-Control", "only-if-cached"));
        assertEquals(200, hit.status(), hit.toString());
        assertEquals("oic", hit.text());
        assertEquals(1, upstream().count(path));
    }

    // ---- conditional requests answered by the cache (RFC 9110 §13, §15.4.5) -------------------

    @Test
    void should_answer_a_matching_if_none_match_with_a_304_carrying_the_etag_rfc9110_15_4_5() throws Exception {
        String path = "/conf/conditional/etag-in-304";
        upstream().on(path, Script.always(Answer.ok("etag body").with("Cache-Control", FRESH).with("ETag", "\"abcdef\"")));
        get(path);
        Response r = get(path, of("If-None-Match", "\"abcdef\""));
        assertEquals(304, r.status(), r.toString());
        assertEquals(List.of("\"abcdef\""), r.all("ETag"), "a 304 carries the ETag the 200 would have: " + r);
        assertEquals(List.of(FRESH), r.all("Cache-Control"), "and its Cache-Control: " + r);
        assertEquals("HIT", r.xCache(), r.toString());
        assertEquals(1, upstream().count(path));
    }

    /** An origin that evaluates conditionals as RFC 9110 §13.2.2 orders them, for requests the cache forwards. */
    private static Script conditionalOrigin(String body, String etag, String lastModified) {
        return (req, nth) -> {
            Answer full = Answer.ok(body).with("Cache-Control", FRESH).with("ETag", etag).with("Last-Modified", lastModified);
            Optional<String> inm = req.first("If-None-Match");
            if (inm.isPresent()) {
                return inm.get().contains(etag) ? Answer.notModified().with("Cache-Control", FRESH).with("ETag", etag) : full;
            }
            Optional<String> ims = req.first("If-Modified-Since");
            if (ims.isPresent() && !ScriptedUpstream.parseHttpDate(lastModified).isAfter(ScriptedUpstream.parseHttpDate(ims.get()))) {
                return Answer.notModified().with("Cache-Control", FRESH).with("ETag", etag);
            }
            return full;
        };
    }

    @Test
    void should_give_if_none_match_precedence_over_if_modified_since_rfc9110_13_2_2() throws Exception {
        String path = "/conf/conditional/inm-precedence";
        Instant now = Instant.now();
        String lastModified = ScriptedUpstream.httpDate(now.minusSeconds(3600));
        upstream().on(path, conditionalOrigin("precedence body", "\"p1\"", lastModified));
        get(path);
        Response unmatched = get(path, of("If-None-Match", "\"other\""), of("If-Modified-Since", ScriptedUpstream.httpDate(now)));
        assertEquals(200, unmatched.status(), "If-None-Match fails, so If-Modified-Since is ignored: " + unmatched);
        assertEquals("precedence body", unmatched.text());
        Response matched = get(path, of("If-None-Match", "\"p1\""),
            of("If-Modified-Since", ScriptedUpstream.httpDate(now.minusSeconds(7200))));
        assertEquals(304, matched.status(), "If-None-Match matches, so If-Modified-Since is ignored: " + matched);
    }

    static Stream<Arguments> etagComparisons() {
        return Stream.of(
            arguments("weak-weak", "W/\"w1\"", "W/\"w1\"", true),
            arguments("weak-stored-strong-asked", "W/\"w1\"", "\"w1\"", true),
            arguments("strong-stored-weak-asked", "\"s1\"", "W/\"s1\"", true),
            arguments("obs-text", "\"abcdef\u00fc\"", "\"abcdef\u00fc\"", true),
            arguments("in-a-list", "\"m1\"", "\"x\", \"m1\", W/\"y\"", true),
            arguments("star", "\"s2\"", "*", true),
            arguments("weak-different", "W/\"w1\"", "W/\"w2\"", false));
    }

    @ParameterizedTest(name = "{0}: stored {1}, If-None-Match {2}, 304 {3}")
    @MethodSource("etagComparisons")
    void should_compare_entity_tags_weakly_for_if_none_match_rfc9110_13_1_2(String name, String etag, String inm,
                                                                              boolean notModified) throws Exception {
        String path = "/conf/etag-compare/" + name;
        upstream().on(path, Script.always(Answer.ok("compare " + name).with("Cache-Control", FRESH).with("ETag", etag)));
        Response stored = get(path);
        assertEquals(List.of(etag), stored.all("ETag"), "the ETag byte for byte: " + stored);
        Response r = get(path, of("If-None-Match", inm));
        if (notModified) {
            assertEquals(304, r.status(), r.toString());
            assertEquals(List.of(etag), r.all("ETag"), "the stored ETag byte for byte: " + r);
        } else {
            assertEquals(200, r.status(), r.toString());
            assertEquals("compare " + name, r.text());
        }
        assertEquals(1, upstream().count(path), "answered from the cache");
    }

    // ---- invalidation by unsafe methods (§4.4) -------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "M-SEARCH", "FROBNICATE"})
    void should_invalidate_the_target_uri_after_a_successful_unsafe_request_and_nothing_else_rfc9111_4_4(String method)
        throws Exception {
        String base = "/conf/invalidate/" + method.toLowerCase();
        String target = base + "/item";
        String otherQuery = target + "?v=2";
        String sibling = base + "/sibling";
        Script script = (req, nth) -> req.isGet() ? Answer.ok(req.target() + " fetch " + nth).with("Cache-Control", FRESH)
            : Answer.ok("done").with("Cache-Control", "no-store");
        upstream().on(target, script).on(sibling, script);
        for (String p : List.of(target, otherQuery, sibling)) {
            get(p);
            assertEquals("HIT", get(p).xCache(), p + " stored");
        }
        Response unsafe = send(method, target, "abc");
        assertEquals(200, unsafe.status(), method + " reached the upstream: " + unsafe);
        assertEquals(1, upstream().count(target, r -> r.method().equals(method)));

        Response after = get(target);
        assertNotEquals("HIT", after.xCache(), "a successful " + method + " invalidates its URL: " + after);
        assertEquals(2, upstream().count(target, r -> r.isGet() && r.target().equals(target)), after.toString());
        Response otherAfter = get(otherQuery);
        assertEquals("HIT", otherAfter.xCache(), "another query is another URL: " + otherAfter);
        Response siblingAfter = get(sibling);
        assertEquals("HIT", siblingAfter.xCache(), "another path is another URL: " + siblingAfter);
        assertEquals(1, upstream().gets(sibling));
    }

    @Test
    void should_invalidate_same_origin_location_and_content_location_urls_and_no_other_host_rfc9111_4_4() throws Exception {
        String base = "/conf/invalidate-location";
        String byLocation = base + "/by-location";
        String byContentLocation = base + "/by-content-location";
        String foreign = base + "/foreign";
        Script stored = (req, nth) -> Answer.ok(req.target() + " fetch " + nth).with("Cache-Control", FRESH);
        upstream().on(byLocation, stored).on(byContentLocation, stored).on(foreign, stored);
        upstream().on(base + "/create", Script.always(Answer.status(201, "Created").with("Location", byLocation)
            .with("Content-Location", byContentLocation).withBody("created")));
        upstream().on(base + "/elsewhere", Script.always(Answer.ok("updated")
            .with("Location", "http://elsewhere.example" + foreign)
            .with("Content-Location", "http://elsewhere.example" + foreign)));
        for (String p : List.of(byLocation, byContentLocation, foreign)) {
            get(p);
            assertEquals("HIT", get(p).xCache(), p + " stored");
        }
        assertEquals(201, send("POST", base + "/create", "x").status());
        Response loc = get(byLocation);
        Response cl = get(byContentLocation);
        assertAll(
            () -> assertNotEquals("HIT", loc.xCache(), "the Location URL is invalidated: " + loc),
            () -> assertNotEquals("HIT", cl.xCache(), "the Content-Location URL is invalidated: " + cl),
            () -> assertEquals(2, upstream().gets(byLocation), "Location URL fetched again"),
            () -> assertEquals(2, upstream().gets(byContentLocation), "Content-Location URL fetched again"));

        assertEquals(200, send("PUT", base + "/elsewhere", "x").status());
        Response f = get(foreign);
        assertEquals("HIT", f.xCache(), "a Location on another host must not invalidate: " + f);
        assertEquals(1, upstream().gets(foreign));
    }

    // ---- what is stored (§3.1, §3.2) ------------------------------------------------------------

    @Test
    void should_store_and_serve_every_end_to_end_field_and_no_hop_by_hop_field_rfc9111_3_1() throws Exception {
        String path = "/conf/headers/stored";
        List<Field> endToEnd = List.of(of("Content-Type", "text/plain"),
            of("Content-Location", "/conf/headers/representation"),
            of("Content-Security-Policy", "default-src 'self'"),
            of("X-Frame-Options", "deny"),
            of("Content-Foo", "content-foo-value"),
            of("X-Content-Foo", "x-content-foo-value"),
            of("Test-Header", "test-header-value"),
            of("Clear-Site-Data", "\"cache\""),
            of("Strict-Transport-Security", "max-age=60"),
            of("Link", "</a.css>; rel=preload; as=style"),
            of("WWW-Authenticate", "Basic realm=\"conformance\""));
        Answer answer = Answer.ok("headers body").with("Cache-Control", FRESH)
            .with("Connection", "X-Hop-A, x-hop-b").with("X-Hop-A", "1").with("X-Hop-B", "2")
            .with("Keep-Alive", "timeout=30").with("Proxy-Authenticate", "Basic realm=\"proxy\"")
            .with("Proxy-Connection", "keep-alive").with("Proxy-Foo", "bar");
        for (Field f : endToEnd) {
            answer = answer.with(f.name(), f.value());
        }
        Response[] r = twice(path, Script.always(answer));
        assertReused(path, r[1]);
        for (Field f : endToEnd) {
            assertEquals(List.of(f.value()), r[1].all(f.name()), f.name() + " stored and served: " + r[1]);
        }
        for (Response each : r) {
            for (String hop : List.of("X-Hop-A", "X-Hop-B", "Keep-Alive")) {
                assertFalse(each.has(hop), hop + " is hop-by-hop (RFC 9110 §7.6.1): " + each);
            }
            assertFalse(each.all("Connection").stream().anyMatch(v -> v.toLowerCase().contains("x-hop")),
                "the upstream's Connection field is not forwarded: " + each);
        }
        for (String proxy : List.of("Proxy-Authenticate", "Proxy-Connection", "Proxy-Foo")) {
            assertFalse(r[1].has(proxy), proxy + " is not stored: " + r[1]);
        }
    }

    @Test
    void should_not_store_a_set_cookie_response_unless_configured() throws Exception {
        String path = "/conf/headers/set-cookie-default";
        Response[] r = twice(path, (req, nth) -> Answer.ok("cookie " + nth).with("Cache-Control", FRESH).with("Set-Cookie", "a=" + nth));
        assertNotReused(path, r[1]);
        assertEquals(List.of("a=2"), r[1].all("Set-Cookie"), "never another response's cookie (CONTRACT §6): " + r[1]);
    }

    @Test
    void should_store_and_serve_set_cookie_when_store_set_cookie_is_configured_rfc9111_3_1() throws Exception {
        apply("cookies", "/cookies", "{ttl: 0s, respectCacheControl: true, storeSetCookie: true}");
        String path = "/cookies/stored";
        Response[] r = twice(path, Script.always(Answer.ok("cookies").with("Cache-Control", FRESH)
            .with("Set-Cookie", "a=b; Path=/").with("Set-Cookie", "c=d; HttpOnly")));
        assertReused(path, r[1]);
        assertEquals(List.of("a=b; Path=/", "c=d; HttpOnly"), r[1].all("Set-Cookie"), "both lines, in order: " + r[1]);
    }

    @Test
    void should_store_and_serve_a_chunked_upstream_response_rfc9112_7_1() throws Exception {
        String path = "/conf/chunked/plain";
        String body = "chunked body: one, two, three";
        Response[] r = twice(path, Script.always(Answer.ok(body).with("Cache-Control", FRESH).chunked("")));
        assertEquals(200, r[0].status(), r[0].toString());
        assertEquals(body, r[0].text());
        assertReused(path, r[1]);
        assertEquals(200, r[1].status(), r[1].toString());
        assertEquals(body, r[1].text());
    }

    @Test
    void should_store_and_serve_a_chunked_response_with_chunk_extensions_and_trailers_rfc9112_7_1() throws Exception {
        String path = "/conf/chunked/extensions-trailers";
        String body = "chunked body with extensions and a trailer section";
        Response[] r = twice(path, Script.always(Answer.ok(body).with("Cache-Control", FRESH).with("Trailer", "X-Checksum")
            .chunked(";ext=1").withTrailer("X-Checksum", "abc")));
        assertEquals(200, r[0].status(), r[0].toString());
        assertEquals(body, r[0].text());
        assertReused(path, r[1]);
        assertEquals(body, r[1].text());
    }

    @Test
    void should_update_stored_fields_from_a_304_except_content_length_rfc9111_3_2() throws Exception {
        String path = "/conf/update304/fields";
        String body = "update304 body";
        upstream().on(path, (req, nth) -> {
            if (nth == 1) {
                return Answer.ok(body).with("Cache-Control", "max-age=1").with("ETag", "\"u1\"")
                    .with("Content-Type", "text/plain").with("Test-Header", "A").with("X-Frame-Options", "deny")
                    .with("Content-Security-Policy", "default-src 'self'").with("Content-Foo", "foo-A");
            }
            if (req.first("If-None-Match").orElse("").contains("\"u1\"")) {
                return Answer.notModified().with("Cache-Control", FRESH).with("ETag", "\"u1\"")
                    .with("Content-Type", "text/plain;charset=utf-8").with("Test-Header", "B")
                    .with("X-Frame-Options", "sameorigin").with("Content-Security-Policy", "default-src 'self' cdn.example.com")
                    .with("Content-Foo", "foo-B").with("Content-Length", "3");
            }
            return Answer.ok("refetched without a condition").with("Cache-Control", FRESH);
        });
        Response first = get(path);
        awaitPast(dateOf(first).plusMillis(2200));
        Response validated = get(path);
        assertEquals(2, upstream().count(path));
        assertEquals(Optional.of("\"u1\""), upstream().received(path).get(1).first("If-None-Match"));
        Response hit = get(path);
        assertReusedAfterRevalidation(path, hit);
        for (Response r : List.of(validated, hit)) {
            assertEquals(200, r.status(), r.toString());
            assertEquals(body, r.text(), "the stored body, whole: " + r);
            assertEquals(List.of("B"), r.all("Test-Header"), r.toString());
            assertEquals(List.of("sameorigin"), r.all("X-Frame-Options"), r.toString());
            assertEquals(List.of("text/plain;charset=utf-8"), r.all("Content-Type"), r.toString());
            assertEquals(List.of("default-src 'self' cdn.example.com"), r.all("Content-Security-Policy"), r.toString());
            assertEquals(List.of("foo-B"), r.all("Content-Foo"), r.toString());
            assertEquals(List.of(FRESH), r.all("Cache-Control"), r.toString());
            for (String length : r.all("Content-Length")) {
                assertEquals(Integer.toString(body.length()), length, "Content-Length is not taken from a 304: " + r);
            }
        }
    }

    private static void assertReusedAfterRevalidation(String path, Response hit) {
        assertEquals("HIT", hit.xCache(), "fresh again after the 304: " + hit);
        assertEquals(2, upstream().count(path), hit.toString());
    }

    // ---- interim responses (RFC 9110 §15.2) ------------------------------------------------------

    private static final Field EARLY_HINT = of("Link", "</style.css>; rel=preload; as=style");

    @Test
    void should_forward_an_interim_103_early_hints_response_to_the_client_rfc9110_15_2() throws Exception {
        String path = "/conf/interim/forwarded";
        upstream().on(path, Script.always(Answer.ok("after hints").with("Cache-Control", FRESH)
            .withInterim(103, "Early Hints", EARLY_HINT)));
        Response r = get(path);
        assertEquals(200, r.status(), r.toString());
        assertEquals("after hints", r.text());
        assertEquals(1, r.interim().size(), "the 103 reached the client: " + r);
        assertEquals(103, r.interim().get(0).status());
        assertEquals(List.of(EARLY_HINT.value()), r.interim().get(0).all("Link"), r.toString());
    }

    @Test
    void should_store_the_final_response_and_never_an_interim_one_rfc9111_3() throws Exception {
        String path = "/conf/interim/not-cached";
        upstream().on(path, Script.always(Answer.ok("final only").with("Cache-Control", FRESH)
            .withInterim(103, "Early Hints", EARLY_HINT)));
        Response first = get(path);
        assertEquals(200, first.status(), first.toString());
        Response second = get(path);
        assertReused(path, second);
        assertEquals(200, second.status(), second.toString());
        assertEquals("final only", second.text());
        assertTrue(second.interim().isEmpty(), "no stored interim response replayed: " + second);
        assertFalse(second.has("Link"), "the 103's fields are not merged into the stored response: " + second);
    }

    // ---- targeted cache control (RFC 9213) -------------------------------------------------------

    static Stream<Arguments> targetedFields() {
        return Stream.of(
            arguments("cdn-private", List.of(of("CDN-Cache-Control", "private"), of("Cache-Control", FRESH)), false),
            arguments("cdn-no-store", List.of(of("CDN-Cache-Control", "no-store"), of("Cache-Control", FRESH)), false),
            arguments("cdn-max-age-0", List.of(of("CDN-Cache-Control", "max-age=0"), of("Cache-Control", FRESH)), false),
            arguments("cdn-no-cache", List.of(of("CDN-Cache-Control", "no-cache"), of("Cache-Control", FRESH)), false),
            arguments("cdn-over-cc-no-store", List.of(of("Cache-Control", "no-store"), of("CDN-Cache-Control", FRESH)), true),
            arguments("cdn-over-cc-private", List.of(of("Cache-Control", "private"), of("CDN-Cache-Control", FRESH)), true),
            arguments("cdn-over-cc-max-age-0", List.of(of("Cache-Control", "max-age=0"), of("CDN-Cache-Control", FRESH)), true),
            arguments("meridian-private", List.of(of("Meridian-Cache-Control", "private"), of("CDN-Cache-Control", FRESH),
                of("Cache-Control", FRESH)), false),
            arguments("meridian-no-store", List.of(of("Meridian-Cache-Control", "no-store"), of("CDN-Cache-Control", FRESH),
                of("Cache-Control", FRESH)), false),
            arguments("meridian-max-age-0", List.of(of("Meridian-Cache-Control", "max-age=0"), of("CDN-Cache-Control", FRESH),
                of("Cache-Control", FRESH)), false),
            arguments("meridian-over-all", List.of(of("Meridian-Cache-Control", FRESH), of("CDN-Cache-Control", "no-store"),
                of("Cache-Control", "no-store")), true),
            arguments("cdn-invalid-ignored-cc-no-store", List.of(of("CDN-Cache-Control", "max-age=3600, &&&&&"),
                of("Cache-Control", "no-store")), false),
            arguments("cdn-invalid-ignored-cc-fresh", List.of(of("CDN-Cache-Control", "max-age=0, &&&&&"),
                of("Cache-Control", FRESH)), true),
            arguments("cdn-wrong-type-ignored", List.of(of("CDN-Cache-Control", "max-age=\"3600\""),
                of("Cache-Control", "no-store")), false),
            arguments("meridian-invalid-falls-back-to-cdn", List.of(of("Meridian-Cache-Control", "max-age=3600, &&&"),
                of("CDN-Cache-Control", "no-store"), of("Cache-Control", FRESH)), false));
    }

    @ParameterizedTest(name = "{0}: {1}, reused {2}")
    @MethodSource("targetedFields")
    void should_give_targeted_cache_control_fields_precedence_over_cache_control_rfc9213_2_1(String name, List<Field> fields,
                                                                                            boolean reused) throws Exception {
        String path = "/conf/targeted/" + name;
        Answer answer = Answer.ok("targeted " + name);
        for (Field f : fields) {
            answer = answer.with(f.name(), f.value());
        }
        Response[] r = twice(path, Script.always(answer));
        assertEquals(200, r[0].status(), r[0].toString());
        if (reused) {
            assertReused(path, r[1]);
        } else {
            assertNotReused(path, r[1]);
        }
    }

    // ---- field values byte for byte (RFC 9110 §5.5) ---------------------------------------------

    @Test
    void should_pass_response_field_values_byte_for_byte_over_a_shared_upstream_connection_rfc9110_5_5() throws Exception {
        String base = "/conf/bytes/response-";
        List<String[]> variants = List.of(
            new String[] {"MaX-aGe=3600", "Text/Plain; Charset=UTF-8", "No-Cache=\"Set-Cookie\", max-age=3600"},
            new String[] {"max-age=3600", "text/plain; charset=utf-8", "no-cache=\"set-cookie\", max-age=3600"});
        int before = upstream().connections();
        List<Response> seen = new ArrayList<>();
        List<String[]> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String[] v = variants.get(i % 2);
            String path = base + i;
            upstream().on(path, Script.always(Answer.ok("bytes " + i).with("Cache-Control", v[0]).with("Content-Type", v[1])
                .with("X-Variant", v[2])));
            seen.add(get(path));
            expected.add(v);
            seen.add(get(path));
            expected.add(v);
        }
        String[] noStore = {"No-StOrE", "no-store"};
        for (int i = 0; i < 6; i++) {
            String path = base + "nostore-" + i;
            String v = noStore[i % 2];
            upstream().on(path, Script.always(Answer.ok("no store " + i).with("Cache-Control", v)));
            Response r = get(path);
            assertEquals(List.of(v), r.all("Cache-Control"), "Cache-Control as the upstream sent it: " + r);
        }
        for (int i = 0; i < seen.size(); i++) {
            Response r = seen.get(i);
            String[] v = expected.get(i);
            assertEquals(List.of(v[0]), r.all("Cache-Control"), "request " + i + ": " + r);
            assertEquals(List.of(v[1]), r.all("Content-Type"), "request " + i + ": " + r);
            assertEquals(List.of(v[2]), r.all("X-Variant"), "request " + i + ": " + r);
        }
        int used = upstream().connections() - before;
        assertTrue(used < 14, "the gateway reused its upstream connections (else this test sees no parser field cache): "
            + used + " connections for 14 upstream requests");
    }

    @Test
    void should_pass_request_field_values_byte_for_byte_over_a_shared_client_connection_rfc9110_5_5() throws Exception {
        String base = "/conf/bytes/request-";
        List<List<Field>> variants = List.of(
            List.of(of("User-Agent", "MeRiDiAn-PrObE/1.0"), of("Accept", "Text/Plain"), of("Accept-Language", "En-Us"),
                of("Cookie", "Session=AbC")),
            List.of(of("User-Agent", "meridian-probe/1.0"), of("Accept", "text/plain"), of("Accept-Language", "en-us"),
                of("Cookie", "session=abc")));
        try (RawHttpClient client = new RawHttpClient(HTTP)) {
            for (int i = 0; i < 6; i++) {
                String path = base + i;
                upstream().on(path, Script.always(Answer.ok("request " + i).with("Cache-Control", "no-store")));
                Response r = client.send("GET", path, variants.get(i % 2), null);
                assertEquals(200, r.status(), r.toString());
            }
        }
        for (int i = 0; i < 6; i++) {
            Received got = upstream().received(base + i).get(0);
            for (Field f : variants.get(i % 2)) {
                assertEquals(List.of(f.value()), got.all(f.name()), "request " + i + " reached the upstream with " + got.fields());
            }
        }
    }
}
