package dev.meridian.policy.jwt;

import static dev.meridian.policy.jwt.JwtHarness.decide;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;

/**
 * The key lifecycle across "nodes" (several factories over one shared state, each with its own
 * HTTP client and timers): rotation under load, forged kids, removed keys and their grace, IdP
 * outages, warm starts. Figures are printed, counts asserted.
 */
class KeyRotationTest {

    @RegisterExtension
    final JwtHarness h = new JwtHarness();

    private static String description(Decision decision) {
        return decision instanceof Decision.Reject r ? r.status() + " " + r.message() : decision.toString();
    }

    @Test
    void should_reject_no_valid_token_while_the_IdP_rotates_under_load() throws Exception {
        h.idp.addRsa("k1");
        Map<String, Object> config = h.config("keyGrace", "10m");
        List<Policy> nodes = List.of(h.policy("a", config), h.policy("b", config), h.policy("c", config));
        AtomicReference<String> signing = new AtomicReference<>("k1");
        List<String> issued = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger accepted = new AtomicInteger();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(6);
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            loops.add(CompletableFuture.runAsync(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (running.get()) {
                    // a fresh token from the key the IdP signs with now, or one issued earlier under any key
                    String token = issued.isEmpty() || random.nextBoolean()
                        ? h.idp.token(signing.get(), "user-" + random.nextInt(50))
                        : issued.get(random.nextInt(issued.size()));
                    if (issued.size() < 500) {
                        issued.add(token);
                    }
                    Decision decision = decide(nodes.get(random.nextInt(nodes.size())), TestRequest.bearer(token));
                    if (decision == Decision.proceed()) {
                        accepted.incrementAndGet();
                    } else {
                        failures.merge(description(decision), 1, Integer::sum);
                    }
                }
            }, clients));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> accepted.get() >= 200);
        h.idp.addRsa("k2");
        signing.set("k2");                       // tokens under k2 reach nodes that never saw it
        await().atMost(Duration.ofSeconds(20)).until(() -> accepted.get() >= 600);
        h.idp.unpublish("k1");                   // k1 leaves the JWKS; its tokens stay valid within keyGrace
        h.idp.addRsa("k3");
        signing.set("k3");                       // the refetch k3 causes is the one that sees k1 gone
        int before = accepted.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> accepted.get() >= before + 600);
        running.set(false);
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        clients.shutdown();

        KeySnapshot keys = KeySnapshot.decode(h.state.raw("jwks:" + h.idp.jwksUrl()).orElseThrow());
        System.out.printf("rotation under load: %d accepted, %d rejected %s, %d JWKS fetches for 3 nodes and 2 rotations%n",
            accepted.get(), failures.values().stream().mapToInt(Integer::intValue).sum(), failures, h.idp.fetches());
        assertEquals(Map.of(), failures, "valid tokens rejected during the rotation");
        assertTrue(keys.keys("k1").get(0).retired(), "k1 is kept as retired in the shared document");
        assertEquals(2, keys.publishedCount());
        assertTrue(h.idp.fetches() <= 4, "one fetch to start and one per new key, the nodes share them: " + h.idp.fetches());
    }

    @Test
    void should_fetch_at_most_once_a_second_under_a_flood_of_forged_kids() throws Exception {
        h.idp.addRsa("k1");
        Map<String, Object> config = h.config();
        List<Policy> nodes = List.of(h.policy("a", config), h.policy("b", config), h.policy("c", config));
        String valid = h.idp.token("k1", "alice");
        nodes.forEach(p -> assertEquals(Decision.proceed(), decide(p, TestRequest.bearer(valid))));
        int warm = h.idp.fetches();

        long start = System.nanoTime();
        List<CompletableFuture<Decision>> forged = new ArrayList<>();
        int sent = 0;
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3)) {
            String token = h.idp.signWithKid("k1", "forged-" + UUID.randomUUID(), h.idp.claims("mallory").build());
            Decision decision = nodes.get(sent % 3).onRequest(TestRequest.bearer(token));
            forged.add(decision instanceof Decision.Pending p ? p.stage().toCompletableFuture() : CompletableFuture.completedFuture(decision));
            sent++;
            // a valid token is still answered at once, on the request thread, in the middle of the flood
            assertEquals(Decision.proceed(), nodes.get(sent % 3).onRequest(TestRequest.bearer(valid)));
        }
        CompletableFuture.allOf(forged.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        int fetches = h.idp.fetches() - warm;
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        for (CompletableFuture<Decision> f : forged) {
            answers.merge(description(f.join()), 1, Integer::sum);
        }
        System.out.printf("forged kids: %d requests on 3 nodes over %.1f s -> %d JWKS fetches (%.2f/s); answers %s%n",
            sent, seconds, fetches, fetches / seconds, answers);
        assertEquals(Map.of("401 invalid token: unknown signing key", sent), answers);
        assertTrue(fetches <= Math.ceil(seconds) + 1, fetches + " fetches in " + seconds + " s");
        assertTrue(fetches >= 1, "an unknown kid does cause a refetch");
    }

    @Test
    void should_stop_a_removed_key_at_once_without_keyGrace() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config());
        String old = h.idp.token("k1", "alice");
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(old)));
        h.idp.unpublish("k1");
        h.idp.addRsa("k2");
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(h.idp.token("k2", "bob"))));
        Decision decision = decide(policy, TestRequest.bearer(old));
        assertEquals("401 invalid token: signing key no longer published", description(decision));
    }

    @Test
    void should_keep_a_removed_key_for_tokens_issued_before_within_keyGrace_and_exp() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config("keyGrace", "5m", "clockSkew", "10s"));
        long now = h.clock.millis();
        String old = h.idp.token("k1", "alice", c -> c.issueTime(new Date(now)).expirationTime(new Date(now + 3_600_000)));
        String shortLived = h.idp.token("k1", "bob", c -> c.issueTime(new Date(now)).expirationTime(new Date(now + 60_000)));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(old)), "the cluster holds k1 before it goes");
        h.idp.unpublish("k1");
        h.idp.addRsa("k2");
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(h.idp.token("k2", "carol"))));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(old)), "issued before the removal, within keyGrace");

        h.clock.shift(Duration.ofMinutes(2));
        long later = h.clock.millis();
        String minted = h.idp.token("k1", "mallory", c -> c.issueTime(new Date(later)).notBeforeTime(null)
            .expirationTime(new Date(later + 600_000)));
        assertEquals("401 invalid token: signing key no longer published", description(decide(policy, TestRequest.bearer(minted))),
            "a token issued with the removed key after its removal");
        assertEquals("401 invalid token: token expired", description(decide(policy, TestRequest.bearer(shortLived))),
            "the grace never extends a token past its exp");
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(old)));

        h.clock.shift(Duration.ofMinutes(4));
        assertEquals("401 invalid token: signing key no longer published", description(decide(policy, TestRequest.bearer(old))),
            "past keyGrace");
    }

    @Test
    void should_serve_the_last_good_keys_through_an_IdP_outage() throws Exception {
        h.idp.addRsa("k1");
        Map<String, Object> config = h.config("refreshInterval", "5s");
        Policy a = h.policy("a", config);
        Policy b = h.policy("b", config);
        assertEquals(Decision.proceed(), decide(a, TestRequest.bearer(h.idp.token("k1", "alice"))));
        h.idp.down();
        h.clock.shift(Duration.ofMinutes(1));          // the keys are stale: the tick tries, the IdP answers 503
        await().atMost(Duration.ofSeconds(10)).until(() -> h.idp.refused.get() >= 1);
        long start = System.nanoTime();
        int served = 0;
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(6)) {
            Policy node = served % 2 == 0 ? a : b;
            assertEquals(Decision.proceed(), decide(node, TestRequest.bearer(h.idp.token("k1", "user-" + served))),
                "a valid token during the outage");
            served++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("IdP down: %d new tokens served on 2 nodes in %.1f s, %d failed fetch attempts (backoff %s)%n",
            served, seconds, h.idp.refused.get(), KeySource.FAILURE_BACKOFF);
        assertTrue(h.idp.refused.get() <= Math.ceil(seconds / KeySource.FAILURE_BACKOFF.toSeconds()) + 2,
            "a dead IdP is left alone between attempts: " + h.idp.refused.get());
        h.idp.up();
        int fetched = h.idp.jwksFetches.get();
        await().atMost(Duration.ofSeconds(15)).until(() -> h.idp.jwksFetches.get() > fetched);
    }

    @Test
    void should_start_warm_from_the_cluster_on_a_new_node_a_bundle_update_and_an_apply() throws Exception {
        h.idp.addRsa("k1");
        h.idp.addEc("e1");
        Map<String, Object> config = h.config();
        assertEquals(Decision.proceed(), decide(h.policy("a", config), TestRequest.bearer(h.idp.token("k1", "alice"))));
        assertEquals(1, h.idp.fetches());

        JwtFactory joiner = new JwtFactory();
        var context = h.node("d");
        Policy fresh = joiner.create(config, context);                 // a node that joins (or a bundle update)
        for (int i = 0; i < 1000; i++) {
            assertEquals(Decision.proceed(), decide(fresh, TestRequest.bearer(h.idp.token(i % 2 == 0 ? "k1" : "e1", "u" + i))));
        }
        Policy reapplied = joiner.create(h.config("requiredScopes", List.of("x")), context);   // an apply on that node
        assertInstanceOf(Decision.Reject.class, decide(reapplied, TestRequest.bearer(h.idp.token("k1", "alice"))));
        System.out.printf("warm start: 1000 tokens on a joining node, then an apply: %d IdP fetches after the first%n",
            h.idp.fetches() - 1);
        assertEquals(1, h.idp.fetches(), "the joiner and the apply read the cluster's keys");
    }
    @Test
    void should_stop_refreshing_a_source_no_request_uses_and_revive_it_on_the_next() throws Exception {
        h.idp.addRsa("k1");
        Policy policy = h.policy("a", h.config("refreshInterval", "5s"));
        assertEquals(Decision.proceed(), decide(policy, TestRequest.bearer(h.idp.token("k1", "alice"))));
        assertEquals(1, h.idp.fetches());
        h.clock.shift(KeySource.IDLE.plusMinutes(1));   // stale, and idle: a removed API, a dry run
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(() -> h.idp.fetches() == 1);
        long now = h.clock.millis();
        policy.onRequest(TestRequest.bearer(h.idp.token("k1", "alice", c -> c.issueTime(new Date(now))
            .notBeforeTime(null).expirationTime(new Date(now + 60_000)))));
        await().atMost(Duration.ofSeconds(5)).until(() -> h.idp.fetches() == 2);
    }
}
