package dev.meridian.policy.apikey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.meridian.core.ConsumerIndex;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.ConsumerKey;
import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyRequest;

class ApiKeyPolicyTest {

    private static final Instant NOW = Instant.parse("2026-12-03T05:00:00Z");
    private static final String ALICE = "alice-key-0000000001";
    private static final String BOB = "bob-key-000000000001";
    private static final String OLD = "alice-old-key-000001";

    /** Alice (group partners, one live key, one expired), Bob (no group), through the engine's real index. */
    private static ConsumerIndex index(Clock clock) {
        Map<String, ConsumerDefinition> consumers = new LinkedHashMap<>();
        consumers.put("alice", new ConsumerDefinition("alice", Set.of("partners"), List.of(
            ConsumerKey.ofHash("live", ConsumerKey.hashOf(ALICE), Optional.empty()),
            ConsumerKey.ofHash("old", ConsumerKey.hashOf(OLD), Optional.of(NOW.minusSeconds(1))))));
        consumers.put("bob", new ConsumerDefinition("bob", Set.of(), List.of(
            ConsumerKey.ofHash("main", ConsumerKey.hashOf(BOB), Optional.empty()))));
        return ConsumerIndex.of(consumers, clock);
    }

    private static final Consumers CONSUMERS = index(Clock.fixed(NOW, ZoneOffset.UTC));

    private static ApiKeyPolicy policy(Map<String, Object> config) throws PolicyConfigException {
        return new ApiKeyPolicy(ApiKeyConfig.parse(config), CONSUMERS);
    }

    private static Decision.Reject rejected(Decision d, int status) {
        Decision.Reject r = assertInstanceOf(Decision.Reject.class, d);
        assertEquals(status, r.status());
        return r;
    }

    @Test
    void should_identify_the_consumer_and_drop_the_key_header() throws Exception {
        FakeRequest request = FakeRequest.withHeaders("x-api-key", ALICE, "Accept", "*/*");

        Decision d = policy(Map.of()).onRequest(request);

        assertSame(Decision.proceed(), d);
        assertEquals("alice", request.attributes().get(PolicyRequest.CONSUMER));
        assertEquals(List.of(), request.headers("X-Api-Key"), "the upstream never sees the key");
        assertEquals(List.of("*/*"), request.headers("Accept"));
    }

    @Test
    void should_answer_401_with_a_challenge_without_a_key() throws Exception {
        Decision.Reject r = rejected(policy(Map.of()).onRequest(FakeRequest.withHeaders()), 401);

        assertEquals(Map.of("WWW-Authenticate", "Key realm=\"meridian\""), r.headers());
        assertTrue(r.message().contains("header X-Api-Key"), r.message());
        rejected(policy(Map.of()).onRequest(FakeRequest.withHeaders("X-Api-Key", "")), 401);
    }

    @Test
    void should_answer_401_for_an_unknown_or_expired_key() throws Exception {
        Decision.Reject unknown = rejected(policy(Map.of()).onRequest(FakeRequest.withHeaders("X-Api-Key", "guess-000000000000")), 401);
        Decision.Reject expired = rejected(policy(Map.of()).onRequest(FakeRequest.withHeaders("X-Api-Key", OLD)), 401);

        assertEquals(Map.of("WWW-Authenticate", "Key realm=\"meridian\""), unknown.headers());
        assertEquals(unknown, expired, "an expired key is told apart from no key only");
    }

    @Test
    void should_let_through_only_allowed_ids_or_groups() throws Exception {
        ApiKeyPolicy partners = policy(Map.of("allow", List.of("partners")));
        ApiKeyPolicy bobOnly = policy(Map.of("allow", List.of("bob")));

        assertSame(Decision.proceed(), partners.onRequest(FakeRequest.withHeaders("X-Api-Key", ALICE)));
        FakeRequest bob = FakeRequest.withHeaders("X-Api-Key", BOB);
        Decision.Reject r = rejected(partners.onRequest(bob), 403);
        assertEquals(Map.of(), r.headers());
        assertEquals(null, bob.attributes().get(PolicyRequest.CONSUMER), "no consumer set when refused");
        assertSame(Decision.proceed(), bobOnly.onRequest(FakeRequest.withHeaders("X-Api-Key", BOB)));
        rejected(bobOnly.onRequest(FakeRequest.withHeaders("X-Api-Key", ALICE)), 403);
    }

    @Test
    void should_read_the_key_from_a_header_of_its_choice() throws Exception {
        FakeRequest request = FakeRequest.withHeaders("Authorization-Key", BOB, "X-Api-Key", "ignored");

        assertSame(Decision.proceed(), policy(Map.of("header", "Authorization-Key")).onRequest(request));
        assertEquals("bob", request.attributes().get(PolicyRequest.CONSUMER));
        assertEquals(List.of("ignored"), request.headers("X-Api-Key"));
    }

    @Test
    void should_read_the_key_from_the_query_decoded() throws Exception {
        ApiKeyPolicy inQuery = policy(Map.of("query", "api_key"));

        FakeRequest plain = FakeRequest.withQuery("page=2&api_key=" + BOB + "&x=1");
        assertSame(Decision.proceed(), inQuery.onRequest(plain));
        assertEquals("bob", plain.attributes().get(PolicyRequest.CONSUMER));
        assertEquals(List.of("api_key"), plain.removedQueryParameters, "the key does not reach the upstream");
        FakeRequest refused = FakeRequest.withQuery("api_key=nobody");
        rejected(inQuery.onRequest(refused), 401);
        assertEquals(List.of(), refused.removedQueryParameters, "a refused request reaches no upstream: nothing to take out");
        assertSame(Decision.proceed(), inQuery.onRequest(FakeRequest.withQuery("api_key=" + ALICE.replace("-", "%2D"))));
        rejected(inQuery.onRequest(FakeRequest.withQuery("xapi_key=" + BOB)), 401);
        rejected(inQuery.onRequest(FakeRequest.withQuery("api_key=%zz")), 401);
        rejected(inQuery.onRequest(FakeRequest.withHeaders("X-Api-Key", BOB)), 401);
    }

    @Test
    void should_see_a_revocation_through_a_live_registry_without_being_rebuilt() throws Exception {
        AtomicReference<Consumers> newest = new AtomicReference<>(CONSUMERS);
        Consumers live = new Consumers() {
            @Override
            public Optional<ApiConsumer> byKey(String presentedKey) {
                return newest.get().byKey(presentedKey);
            }

            @Override
            public Optional<ApiConsumer> byId(String id) {
                return newest.get().byId(id);
            }

            @Override
            public int size() {
                return newest.get().size();
            }
        };
        ApiKeyPolicy policy = new ApiKeyPolicy(ApiKeyConfig.parse(Map.of()), live);
        assertSame(Decision.proceed(), policy.onRequest(FakeRequest.withHeaders("X-Api-Key", BOB)));

        newest.set(ConsumerIndex.of(Map.of(), Clock.systemUTC())); // the next revision deleted every consumer

        rejected(policy.onRequest(FakeRequest.withHeaders("X-Api-Key", BOB)), 401);
    }

    @Test
    void should_refuse_a_bad_configuration_naming_every_field() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> ApiKeyConfig.parse(Map.of(
            "header", "X Api", "query", "a&b", "allow", List.of("Team A", "ok"), "colour", "red")));

        assertEquals(List.of("colour", "", "header", "query", "allow[0]"),
            e.problems().stream().map(PolicyConfigException.Problem::path).toList());
        PolicyConfigException empty = assertThrows(PolicyConfigException.class, () -> ApiKeyConfig.parse(Map.of("allow", List.of())));
        assertEquals("allow", empty.problems().get(0).path());
        assertThrows(PolicyConfigException.class, () -> ApiKeyConfig.parse(Map.of("allow", "team-a")));
    }

    @Test
    void should_default_to_the_x_api_key_header() throws Exception {
        ApiKeyConfig config = ApiKeyConfig.parse(Map.of());

        assertEquals("X-Api-Key", config.header());
        assertEquals(Set.of(), config.allow());
    }
}
