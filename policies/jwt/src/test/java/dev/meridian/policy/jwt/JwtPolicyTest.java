package dev.meridian.policy.jwt;

import static dev.meridian.policy.jwt.JwtHarness.decide;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;

/** One policy against a real local IdP: the token rules, one per test. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JwtPolicyTest {

    @RegisterExtension
    final JwtHarness h = new JwtHarness();

    private Decision.Reject rejected(Decision decision, int status) {
        Decision.Reject reject = assertInstanceOf(Decision.Reject.class, decision, () -> "expected a rejection, got " + decision);
        assertEquals(status, reject.status(), reject::toString);
        return reject;
    }

    private void invalid(Decision decision, String description) {
        Decision.Reject reject = rejected(decision, 401);
        assertEquals("Bearer realm=\"meridian\", error=\"invalid_token\", error_description=\"" + description + "\"",
            reject.headers().get("WWW-Authenticate"), reject::toString);
    }

    @Test
    void should_accept_a_valid_RS256_token_and_name_its_consumer() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config());
        TestRequest request = TestRequest.bearer(h.idp.token("k1", "alice"));
        assertEquals(Decision.proceed(), decide(policy, request));
        assertEquals("alice", request.attributes().get(PolicyRequest.CONSUMER));
    }

    @Test
    void should_accept_a_valid_ES256_token() throws Exception {
        h.idp.addEc("e1");
        Policy policy = h.policy("a", h.config());
        TestRequest request = TestRequest.bearer(h.idp.token("e1", "bob"));
        assertEquals(Decision.proceed(), decide(policy, request));
        assertEquals("bob", request.attributes().get(PolicyRequest.CONSUMER));
    }

    @Test
    void should_wait_only_for_the_first_keys_then_answer_at_once() throws Exception {
        h.idp.addRsa("k1");
        h.idp.delay(Duration.ofMillis(300));
        Policy policy = h.policy("a", h.config());
        Decision first = policy.onRequest(TestRequest.bearer(h.idp.token("k1", "alice")));
        assertInstanceOf(Decision.Pending.class, first, "the first token waits for the keys, off the request thread");
        assertEquals(Decision.proceed(), ((Decision.Pending) first).stage().toCompletableFuture().join());
        assertEquals(Decision.proceed(), policy.onRequest(TestRequest.bearer(h.idp.token("k1", "carol"))),
            "with the keys held a new token is verified on the request thread without waiting");
        assertEquals(1, h.idp.fetches());
    }

    @Test
    void should_challenge_a_request_without_a_token_without_an_error_code() throws Exception {
        h.idp.addRsa("k1");
        Decision.Reject reject = rejected(decide(h.policy("a", h.config()), new TestRequest()), 401);
        assertEquals("Bearer realm=\"meridian\"", reject.headers().get("WWW-Authenticate"));
    }

    @Test
    void should_reject_a_credential_that_is_not_a_bearer_token() throws Exception {
        h.idp.addRsa("k1");
        TestRequest request = new TestRequest();
        request.setHeader("Authorization", "Basic YWxpY2U6c2VjcmV0");
        invalid(decide(h.policy("a", h.config()), request), "expected a Bearer token");
    }

    @Test
    void should_reject_a_wrong_issuer() throws Exception {
        h.idp.addRsa("k1");
        String token = h.idp.token("k1", "alice", c -> c.issuer("https://evil.example/"));
        invalid(decide(h.policy("a", h.config()), TestRequest.bearer(token)), "wrong issuer");
    }

    @Test
    void should_reject_a_wrong_audience_and_accept_any_listed_one() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config("audience", List.of("orders", "billing")));
        invalid(decide(policy, TestRequest.bearer(h.idp.token("k1", "alice", c -> c.audience("shipping")))), "wrong audience");
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(h.idp.token("k1", "alice", c -> c.audience(List.of("x", "billing"))))));
    }

    @Test
    void should_accept_an_expired_token_within_the_skew_only() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config("clockSkew", "30s"));
        long now = h.clock.millis();
        String justExpired = h.idp.token("k1", "alice", c -> c.issueTime(new Date(now - 120_000)).notBeforeTime(null)
            .expirationTime(new Date(now - 20_000)));
        String expired = h.idp.token("k1", "alice", c -> c.issueTime(new Date(now - 120_000)).notBeforeTime(null)
            .expirationTime(new Date(now - 40_000)));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(justExpired)));
        invalid(decide(policy, TestRequest.bearer(expired)), "token expired");
        h.clock.shift(Duration.ofSeconds(15));
        invalid(decide(policy, TestRequest.bearer(justExpired)), "token expired");
    }

    @Test
    void should_accept_a_token_not_yet_valid_within_the_skew_only() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config("clockSkew", "30s"));
        long now = h.clock.millis();
        String soon = h.idp.token("k1", "alice", c -> c.issueTime(new Date(now)).notBeforeTime(new Date(now + 20_000)));
        String later = h.idp.token("k1", "alice", c -> c.issueTime(new Date(now)).notBeforeTime(new Date(now + 60_000)));
        String future = h.idp.token("k1", "alice", c -> c.issueTime(new Date(now + 60_000)).notBeforeTime(null));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(soon)));
        invalid(decide(policy, TestRequest.bearer(later)), "token not yet valid");
        invalid(decide(policy, TestRequest.bearer(future)), "token issued in the future");
        h.clock.shift(Duration.ofSeconds(45));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(later)));
    }

    @Test
    void should_reject_a_token_without_exp() throws Exception {
        h.idp.addRsa("k1");
        invalid(decide(h.policy("a", h.config()), TestRequest.bearer(h.idp.token("k1", "alice", c -> c.expirationTime(null)))),
            "token has no exp");
    }

    @Test
    void should_reject_an_algorithm_not_on_the_allow_list() throws Exception {
        h.idp.addRsa("k1");
        h.idp.addEc("e1");
        Policy policy = h.policy("a", h.config("algorithms", List.of("RS256")));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(h.idp.token("k1", "alice"))));
        invalid(decide(policy, TestRequest.bearer(h.idp.token("e1", "alice"))), "algorithm not allowed");
    }

    @Test
    void should_reject_an_unsecured_token() throws Exception {
        h.idp.addRsa("k1");
        String none = new PlainJWT(h.idp.claims("alice").build()).serialize();
        invalid(decide(h.policy("a", h.config()), TestRequest.bearer(none)), "malformed token");
    }

    @Test
    void should_reject_HS256_even_keyed_with_the_published_RSA_key() throws Exception {
        RSAKey k1 = h.idp.addRsa("k1");
        // the classic confusion: HMAC keyed with the public key everyone can download
        byte[] secret = k1.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
        SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), h.idp.claims("alice").build());
        hs.sign(new MACSigner(secret));
        invalid(decide(h.policy("a", h.config()), TestRequest.bearer(hs.serialize())), "algorithm not allowed");
    }

    @Test
    void should_reject_a_tampered_signature() throws Exception {
        h.idp.addRsa("k1");
        String token = h.idp.token("k1", "alice");
        String otherClaims = h.idp.token("k1", "mallory").split("\\.")[1];
        String[] parts = token.split("\\.");
        invalid(decide(h.policy("a", h.config()), TestRequest.bearer(parts[0] + "." + otherClaims + "." + parts[2])), "signature invalid");
    }

    @Test
    void should_reject_garbage() throws Exception {
        h.idp.addRsa("k1");
        invalid(decide(h.policy("a", h.config()), TestRequest.bearer("not.a.jwt")), "malformed token");
    }

    @Test
    void should_require_every_scope_from_scope_or_scp() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config("requiredScopes", List.of("orders:read", "orders:list")));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(
            h.idp.token("k1", "alice", c -> c.claim("scope", "profile orders:list orders:read")))));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(
            h.idp.token("k1", "alice", c -> c.claim("scp", List.of("orders:read", "orders:list"))))));
        Decision.Reject reject = rejected(decide(policy, TestRequest.bearer(
            h.idp.token("k1", "alice", c -> c.claim("scope", "orders:read")))), 403);
        assertEquals("Bearer realm=\"meridian\", error=\"insufficient_scope\", error_description=\"the token lacks a required scope\", "
            + "scope=\"orders:read orders:list\"", reject.headers().get("WWW-Authenticate"));
    }

    @Test
    void should_name_the_consumer_from_the_configured_claim() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config("consumerClaim", "client_id"));
        TestRequest request = TestRequest.bearer(h.idp.token("k1", "alice", c -> c.claim("client_id", "mobile-app")));
        assertEquals(Decision.proceed(), decide(policy, request));
        assertEquals("mobile-app", request.attributes().get(PolicyRequest.CONSUMER));
        invalid(decide(policy, TestRequest.bearer(h.idp.token("k1", "alice"))), "token has no consumer claim client_id");
    }

    @Test
    void should_answer_a_token_seen_before_from_memory_with_its_consumer() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config());
        String token = h.idp.token("k1", "alice");
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(token)));
        TestRequest again = TestRequest.bearer(token);
        assertEquals(Decision.proceed(), policy.onRequest(again));
        assertEquals("alice", again.attributes().get(PolicyRequest.CONSUMER));
    }

    @Test
    void should_find_the_keys_by_OIDC_discovery() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config("jwksUrl", null, "issuer", null, "issuerUrl", h.idp.issuer()));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(h.idp.token("k1", "alice"))));
        assertEquals(1, h.idp.discoveryFetches.get());
        assertEquals(1, h.idp.jwksFetches.get());
    }

    @Test
    void should_answer_503_when_no_key_was_ever_obtained() throws Exception {
        h.idp.addRsa("k1");
        h.idp.down();
        Decision.Reject reject = rejected(decide(h.policy("a", h.config()), TestRequest.bearer(h.idp.token("k1", "alice"))), 503);
        assertEquals("1", reject.headers().get("Retry-After"));
        h.idp.up();
        await().atMost(Duration.ofSeconds(15)).until(() -> decide(h.policy("b", h.config()),
            TestRequest.bearer(h.idp.token("k1", "alice"))) == Decision.proceed());
    }
    @Test
    void should_print_the_cost_of_a_decision_for_a_repeated_and_a_fresh_token() throws Exception {
        h.idp.addRsa("k1");
        h.idp.addEc("e1");
        Policy policy = h.policy("a", h.config());
        String repeated = h.idp.token("k1", "alice");
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(repeated)));
        int rounds = 200_000;
        double repeatedNs = 0;
        for (int round = 0; round < 3; round++) { // the first two warm the JIT up
            long start = System.nanoTime();
            int proceeded = 0;
            for (int i = 0; i < rounds; i++) {
                proceeded += policy.onRequest(TestRequest.bearer(repeated)) == Decision.proceed() ? 1 : 0;
            }
            repeatedNs = (System.nanoTime() - start) / (double) rounds;
            assertEquals(rounds, proceeded);
        }

        for (String kid : List.of("k1", "e1", "k1", "e1")) {   // the first round of each warms the JIT up
            List<String> fresh = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                fresh.add(h.idp.token(kid, "user-" + i));
            }
            long start = System.nanoTime();
            int proceeded = 0;
            for (String token : fresh) {
                proceeded += policy.onRequest(TestRequest.bearer(token)) == Decision.proceed() ? 1 : 0;
            }
            double freshUs = (System.nanoTime() - start) / 1e3 / fresh.size();
            assertEquals(fresh.size(), proceeded);
            System.out.printf("decision cost: repeated token %.0f ns; fresh %s token (parse + verify + claims) %.0f us%n",
                repeatedNs, kid.equals("k1") ? "RS256" : "ES256", freshUs);
        }
    }
}
