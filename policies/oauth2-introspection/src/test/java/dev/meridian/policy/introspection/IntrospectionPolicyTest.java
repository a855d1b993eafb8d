package dev.meridian.policy.introspection;

import static dev.meridian.policy.introspection.IntrospectionFixture.decide;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;

class IntrospectionPolicyTest {

    @RegisterExtension
    final IntrospectionFixture world = new IntrospectionFixture();

    private static void assertProceeds(Decision d) {
        assertSame(Decision.proceed(), d, () -> "expected proceed, got " + d);
    }

    private static Decision.Reject assertRejects(int status, Decision d) {
        Decision.Reject r = assertInstanceOf(Decision.Reject.class, d, () -> "expected a rejection, got " + d);
        assertEquals(status, r.status(), () -> "status of " + r);
        return r;
    }

    @Test
    void should_admit_an_active_token_and_name_its_consumer() throws Exception {
        world.idp.answer("tok-a", world.active("alice", "app-1", "orders:read", 3600));
        Policy policy = world.node("n1").policy(Map.of());
        FakeRequest request = FakeRequest.bearer("tok-a");

        assertProceeds(decide(policy, request));

        assertEquals("alice", request.attributes().get(PolicyRequest.CONSUMER));
        assertEquals(1, world.idp.calls.get());
    }

    @Test
    void should_answer_a_held_token_on_the_request_thread_without_a_call() throws Exception {
        world.idp.answer("tok-a", world.active("alice", "app-1", "", 3600));
        Policy policy = world.node("n1").policy(Map.of());
        assertProceeds(decide(policy, FakeRequest.bearer("tok-a")));

        Decision second = policy.onRequest(FakeRequest.bearer("tok-a"));

        assertProceeds(second); // not Pending: decided from the near cache
        assertEquals(1, world.idp.calls.get());
    }

    @Test
    void should_decide_every_held_token_without_a_stage_and_print_the_cost() throws Exception {
        world.idp.answer("tok-a", world.active("alice", "app-1", "orders:read", 3600));
        Policy policy = world.node("n1").policy(Map.of("requiredScopes", List.of("orders:read")));
        assertProceeds(decide(policy, FakeRequest.bearer("tok-a")));
        FakeRequest request = FakeRequest.bearer("tok-a");

        int proceeded = 0;
        long start = 0;
        int rounds = 200_000;
        for (int i = 0; i < 2 * rounds; i++) {
            if (i == rounds) {
                start = System.nanoTime(); // the first half warms the JIT
                proceeded = 0;
            }
            if (policy.onRequest(request) == Decision.proceed()) {
                proceeded++;
            }
        }
        long nanos = System.nanoTime() - start;

        assertEquals(rounds, proceeded);
        assertEquals(1, world.idp.calls.get());
        System.out.printf("oauth2-introspection hit (in-memory near cache): %.2f us per decision%n", nanos / 1e3 / rounds);
    }

    @Test
    void should_authenticate_to_the_idp_with_basic_and_post_the_token_as_a_form() throws Exception {
        world.idp.answer("tok-a", world.active("alice", "app-1", "", 3600));
        decide(world.node("n1").policy(Map.of()), FakeRequest.bearer("tok-a"));

        FakeIdp.Call call = world.idp.seen.get(0);
        // RFC 7662 §2.1 -> RFC 6749 §2.3.1: id and secret form-encoded, then Basic
        String expected = "Basic " + Base64.getEncoder().encodeToString(
            "gateway:s3cret%3Awith%26odd+chars".getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, call.authorization());
        assertEquals("application/x-www-form-urlencoded", call.contentType());
        assertEquals(Map.of("token", "tok-a", "token_type_hint", "access_token"), call.form());
    }

    @Test
    void should_reject_an_inactive_token_with_invalid_token() throws Exception {
        Policy policy = world.node("n1").policy(Map.of());

        Decision.Reject r = assertRejects(401, decide(policy, FakeRequest.bearer("unknown")));

        assertEquals("Bearer realm=\"meridian\", error=\"invalid_token\"", r.headers().get("WWW-Authenticate"));
    }

    @Test
    void should_keep_an_inactive_answer_for_ten_seconds_only() throws Exception {
        Policy policy = world.node("n1").policy(Map.of());
        assertRejects(401, decide(policy, FakeRequest.bearer("unknown")));
        world.clock.advance(Duration.ofSeconds(9));
        assertRejects(401, decide(policy, FakeRequest.bearer("unknown")));
        assertEquals(1, world.idp.calls.get(), "inactive answer held for 10 s");

        world.clock.advance(Duration.ofSeconds(2));
        world.idp.answer("unknown", world.active("bob", "app-1", "", 3600));

        assertProceeds(decide(policy, FakeRequest.bearer("unknown")));
        assertEquals(2, world.idp.calls.get());
    }

    @Test
    void should_hold_an_active_answer_for_cache_ttl_but_never_past_exp() throws Exception {
        world.idp.answer("short", world.active("alice", "app-1", "", 30));
        world.idp.answer("long", world.active("bob", "app-1", "", 3600));
        Policy policy = world.node("n1").policy(Map.of("cacheTtl", "5m"));
        assertProceeds(decide(policy, FakeRequest.bearer("short")));
        assertProceeds(decide(policy, FakeRequest.bearer("long")));

        String space = IntrospectionFactory.ANSWERS;
        Duration shortTtl = world.cluster.ttlLeft(space, keyOf("short")).orElseThrow();
        Duration longTtl = world.cluster.ttlLeft(space, keyOf("long")).orElseThrow();
        assertTrue(shortTtl.compareTo(Duration.ofSeconds(30)) <= 0, "capped at exp: " + shortTtl);
        assertEquals(Duration.ofMinutes(5), longTtl);

        world.clock.advance(Duration.ofSeconds(31));
        assertRejects(401, decide(policy, FakeRequest.bearer("short"))); // expired: asked again, IdP's exp has passed
        assertProceeds(decide(policy, FakeRequest.bearer("long")));
        assertEquals(3, world.idp.calls.get());

        world.clock.advance(Duration.ofMinutes(5));
        assertProceeds(decide(policy, FakeRequest.bearer("long")));
        assertEquals(4, world.idp.calls.get(), "asked again after cacheTtl");
    }

    private String keyOf(String token) {
        return BearerToken.sha256(token) + "@" + BearerToken.sha256(world.idp.url() + "\n" + IntrospectionFixture.CLIENT_ID).substring(0, 16);
    }

    @Test
    void should_store_only_a_digest_of_the_token() throws Exception {
        world.idp.answer("tok-secret-value", world.active("alice", "app-1", "", 3600));
        decide(world.node("n1").policy(Map.of()), FakeRequest.bearer("tok-secret-value"));

        byte[] stored = world.cluster.value(IntrospectionFactory.ANSWERS, keyOf("tok-secret-value")).orElseThrow();
        assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains("tok-secret-value"));
        assertEquals(64 + 1 + 16, keyOf("tok-secret-value").length());
    }

    @Test
    void should_make_one_call_for_a_hundred_concurrent_requests_with_one_token_on_two_nodes() throws Exception {
        world.idp.answer("hot", world.active("alice", "app-1", "", 3600));
        world.idp.delayMillis = 300; // every request arrives while the call is outstanding
        Policy p1 = world.node("n1").policy(Map.of());
        Policy p2 = world.node("n2").policy(Map.of());

        List<CompletableFuture<Decision>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Policy p = i % 2 == 0 ? p1 : p2;
            all.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return decide(p, FakeRequest.bearer("hot"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<Decision> f : all) {
            assertProceeds(f.get(20, TimeUnit.SECONDS));
        }
        assertEquals(1, world.idp.calls.get());
    }

    @Test
    void should_serve_a_joining_node_from_the_cluster_without_a_call() throws Exception {
        world.idp.answer("tok-a", world.active("alice", "app-1", "", 3600));
        decide(world.node("n1").policy(Map.of()), FakeRequest.bearer("tok-a"));

        Policy late = world.node("n3").policy(Map.of());

        assertProceeds(decide(late, FakeRequest.bearer("tok-a")));
        assertEquals(1, world.idp.calls.get());
    }

    @Test
    void should_start_warm_after_an_apply_or_a_bundle_update() throws Exception {
        world.idp.answer("tok-a", world.active("alice", "app-1", "", 3600));
        IntrospectionFixture.Node n1 = world.node("n1");
        decide(n1.policy(Map.of()), FakeRequest.bearer("tok-a"));

        // a new revision (another cacheTtl) and a new factory instance (the bundle updated)
        Policy next = new IntrospectionFactory().create(world.config(Map.of("cacheTtl", "9m")), n1.context);

        assertProceeds(next.onRequest(FakeRequest.bearer("tok-a")));
        assertEquals(1, world.idp.calls.get());
    }

    @Test
    void should_answer_503_with_retry_after_when_the_idp_fails_and_nothing_is_held() throws Exception {
        world.idp.answer("held", world.active("alice", "app-1", "", 3600));
        Policy policy = world.node("n1").policy(Map.of());
        assertProceeds(decide(policy, FakeRequest.bearer("held")));
        world.idp.status = 500;

        Decision.Reject r = assertRejects(503, decide(policy, FakeRequest.bearer("new")));
        assertEquals("1", r.headers().get("Retry-After"));
        assertProceeds(decide(policy, FakeRequest.bearer("held")));
        assertEquals(2, world.idp.calls.get());
    }

    @Test
    void should_call_a_failing_idp_at_most_once_per_token_per_second_across_nodes() throws Exception {
        world.idp.status = 502;
        Policy p1 = world.node("n1").policy(Map.of());
        Policy p2 = world.node("n2").policy(Map.of());
        assertRejects(503, decide(p1, FakeRequest.bearer("new")));

        for (int i = 0; i < 10; i++) {
            assertRejects(503, decide(i % 2 == 0 ? p1 : p2, FakeRequest.bearer("new")));
        }
        assertEquals(1, world.idp.calls.get(), "the failure mark answers for a second");

        world.clock.advance(Duration.ofMillis(1001));
        world.idp.status = 200;
        world.idp.answer("new", world.active("alice", "app-1", "", 3600));
        assertProceeds(decide(p2, FakeRequest.bearer("new")));
        assertEquals(2, world.idp.calls.get());
    }

    @Test
    void should_answer_503_when_the_idp_answers_garbage() throws Exception {
        world.idp.answer("odd", "<html>login</html>");

        assertRejects(503, decide(world.node("n1").policy(Map.of()), FakeRequest.bearer("odd")));
    }

    @Test
    void should_answer_503_when_the_idp_answer_is_larger_than_64_kib() throws Exception {
        world.idp.answer("big", "{\"active\":true,\"x\":\"" + "a".repeat(70_000) + "\"}");

        assertRejects(503, decide(world.node("n1").policy(Map.of()), FakeRequest.bearer("big")));
    }

    @Test
    void should_answer_401_without_error_code_when_there_is_no_bearer_token() throws Exception {
        Policy policy = world.node("n1").policy(Map.of());

        Decision.Reject none = assertRejects(401, decide(policy, new FakeRequest()));
        FakeRequest basic = new FakeRequest();
        basic.setHeader("Authorization", "Basic YTpi");
        Decision.Reject other = assertRejects(401, decide(policy, basic));

        assertEquals("Bearer realm=\"meridian\"", none.headers().get("WWW-Authenticate"));
        assertEquals("Bearer realm=\"meridian\"", other.headers().get("WWW-Authenticate"));
        assertEquals(0, world.idp.calls.get());
    }

    @Test
    void should_reject_a_malformed_bearer_token_without_a_call() throws Exception {
        Decision.Reject r = assertRejects(401, decide(world.node("n1").policy(Map.of()), FakeRequest.bearer("a b\"c")));

        assertEquals("Bearer realm=\"meridian\", error=\"invalid_token\"", r.headers().get("WWW-Authenticate"));
        assertEquals(0, world.idp.calls.get());
    }

    @Test
    void should_answer_403_insufficient_scope_when_a_required_scope_is_missing() throws Exception {
        world.idp.answer("reader", world.active("alice", "app-1", "orders:read", 3600));
        world.idp.answer("writer", world.active("bob", "app-1", "orders:read orders:write", 3600));
        Policy policy = world.node("n1").policy(Map.of("requiredScopes", List.of("orders:write")));

        Decision.Reject r = assertRejects(403, decide(policy, FakeRequest.bearer("reader")));
        assertProceeds(decide(policy, FakeRequest.bearer("writer")));

        assertEquals("Bearer realm=\"meridian\", error=\"insufficient_scope\", scope=\"orders:write\"", r.headers().get("WWW-Authenticate"));
    }

    @Test
    void should_name_the_consumer_from_the_configured_claim_or_the_client() throws Exception {
        world.idp.answer("user", world.active("alice", "app-1", "", 3600));
        world.idp.answer("machine", "{\"active\":true,\"client_id\":\"batch\",\"exp\":" + (world.clock.seconds() + 60) + "}");
        Policy bySub = world.node("n1").policy(Map.of());
        Policy byClient = world.node("n1").policy(Map.of("consumerClaim", "client_id"));
        FakeRequest a = FakeRequest.bearer("user");
        FakeRequest b = FakeRequest.bearer("user");
        FakeRequest c = FakeRequest.bearer("machine");

        decide(bySub, a);
        decide(byClient, b);
        decide(bySub, c);

        assertEquals("alice", a.attributes().get(PolicyRequest.CONSUMER));
        assertEquals("app-1", b.attributes().get(PolicyRequest.CONSUMER));
        assertEquals("batch", c.attributes().get(PolicyRequest.CONSUMER), "no sub: the client is the consumer");
    }

    @Test
    void should_reject_a_revoked_token_on_every_node() throws Exception {
        world.idp.answer("tok-a", world.active("alice", "app-1", "", 3600));
        world.idp.answer("tok-b", world.active("alice", "app-1", "", 3600));
        IntrospectionFixture.Node n1 = world.node("n1");
        Policy p1 = n1.policy(Map.of());
        Policy p2 = world.node("n2").policy(Map.of());
        assertProceeds(decide(p1, FakeRequest.bearer("tok-a")));
        assertProceeds(decide(p2, FakeRequest.bearer("tok-a")));
        assertProceeds(decide(p2, FakeRequest.bearer("tok-b")));

        world.revoke(n1, "token " + world.clock.millis() + " " + BearerToken.sha256("tok-a"));

        assertRejects(401, decide(p1, FakeRequest.bearer("tok-a")));
        assertRejects(401, decide(p2, FakeRequest.bearer("tok-a")));
        assertProceeds(decide(p2, FakeRequest.bearer("tok-b")));
        assertEquals(2, world.idp.calls.get(), "a revocation needs no call");
    }

    @Test
    void should_reject_tokens_of_a_revoked_subject_issued_before_the_revocation() throws Exception {
        world.idp.answer("alice-old", world.active("alice", "app-1", "", 3600));
        world.idp.answer("bob", world.active("bob", "app-1", "", 3600));
        IntrospectionFixture.Node n1 = world.node("n1");
        Policy policy = n1.policy(Map.of());
        assertProceeds(decide(policy, FakeRequest.bearer("alice-old")));

        world.revoke(n1, "sub " + world.clock.millis() + " alice");
        world.clock.advance(Duration.ofSeconds(5));
        world.idp.answer("alice-new", world.active("alice", "app-1", "", 3600)); // iat after the revocation

        assertRejects(401, decide(policy, FakeRequest.bearer("alice-old")));
        assertProceeds(decide(policy, FakeRequest.bearer("alice-new")));
        assertProceeds(decide(policy, FakeRequest.bearer("bob")));
    }

    @Test
    void should_ask_again_for_a_revoked_client_token_without_iat() throws Exception {
        String noIat = "{\"active\":true,\"client_id\":\"batch\",\"exp\":" + (world.clock.seconds() + 3600) + "}";
        world.idp.answer("machine", noIat);
        IntrospectionFixture.Node n1 = world.node("n1");
        Policy policy = n1.policy(Map.of());
        assertProceeds(decide(policy, FakeRequest.bearer("machine")));

        world.revoke(n1, "client " + world.clock.millis() + " batch");
        world.clock.advance(Duration.ofMillis(10));
        world.idp.answer("machine", "{\"active\":false}"); // the IdP revoked it too

        assertRejects(401, decide(policy, FakeRequest.bearer("machine")));
        assertEquals(2, world.idp.calls.get(), "the held answer predates the revocation: asked again");
    }

    @Test
    void should_not_share_answers_between_two_idps_or_clients() throws Exception {
        world.idp.answer("tok-a", world.active("alice", "app-1", "", 3600));
        IntrospectionFixture.Node n1 = world.node("n1");
        decide(n1.policy(Map.of()), FakeRequest.bearer("tok-a"));

        decide(n1.policy(Map.of("clientId", "other-gateway")), FakeRequest.bearer("tok-a"));

        assertEquals(2, world.idp.calls.get());
    }
}
