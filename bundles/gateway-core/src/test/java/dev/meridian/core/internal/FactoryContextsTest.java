package dev.meridian.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.meridian.core.RouteTable;
import dev.meridian.core.SharedStates;
import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;
import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.SharedState;

/** The contexts handed to policy factories: late-bound services, clear failures without them, live consumers. */
@Timeout(20)
class FactoryContextsTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T05:00:00Z"), ZoneOffset.UTC);
    private static final OutboundRequest JWKS = OutboundRequest.get(URI.create("https://idp.example/jwks.json"));

    private final AtomicReference<Consumers> newest = new AtomicReference<>(RouteTable.NO_CONSUMERS);
    private final FactoryContexts node = new FactoryContexts(CLOCK, "node-a", newest::get);

    @AfterEach
    void stop() {
        node.close();
    }

    // ---- outbound HTTP

    @Test
    void should_fail_the_stage_clearly_when_no_http_client_is_bound() {
        PolicyContext context = node.open("jwt");

        Throwable failure = failureOf(context.http().send(JWKS));

        IllegalStateException e = assertInstanceOf(IllegalStateException.class, failure);
        assertTrue(e.getMessage().contains("outbound HTTP is not available: gateway-http is not running"), e.getMessage());
        assertTrue(e.getMessage().contains("idp.example") && e.getMessage().contains("node-a"), e.getMessage());
    }

    @Test
    void should_complete_the_failed_stage_on_a_timer_thread_never_the_callers() throws Exception {
        PolicyContext context = node.open("jwt");
        CountDownLatch hold = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(FactoryContexts.TIMER_THREADS);
        for (int i = 0; i < FactoryContexts.TIMER_THREADS; i++) {
            context.scheduler().schedule(() -> {
                busy.countDown();
                awaitQuietly(hold);
            }, Duration.ZERO);
        }
        assertTrue(busy.await(5, TimeUnit.SECONDS));

        CompletableFuture<Thread> completedOn = new CompletableFuture<>();
        context.http().send(JWKS).whenComplete((r, x) -> completedOn.complete(Thread.currentThread()));
        assertFalse(completedOn.isDone(), "not completed on the calling thread");
        hold.countDown();

        assertTrue(completedOn.get(5, TimeUnit.SECONDS).getName().startsWith("meridian-policy-timer-"));
    }

    @Test
    void should_fail_at_once_without_blocking_once_the_engine_stopped() {
        PolicyContext context = node.open("jwt");
        node.close();

        CompletionStage<OutboundResponse> stage = context.http().send(JWKS);

        assertTrue(stage.toCompletableFuture().isCompletedExceptionally());
        assertTrue(context.scheduler().schedule(() -> { }, Duration.ZERO).isDone(), "nothing runs on a stopped pool");
    }

    @Test
    void should_send_through_the_client_bound_at_the_time_of_each_call() throws Exception {
        OutboundHttp held = node.open("jwt").http(); // what a policy keeps in a final field
        RecordingHttp first = new RecordingHttp("first");
        RecordingHttp second = new RecordingHttp("second");

        node.bindHttp(first);
        assertEquals("first", body(held.send(JWKS)));
        node.unbindHttp(first); // gateway-http restarting
        assertInstanceOf(IllegalStateException.class, failureOf(held.send(JWKS)));
        node.bindHttp(second);
        assertEquals("second", body(held.send(JWKS)));

        assertEquals(1, first.sent.get());
        assertEquals(1, second.sent.get());
    }

    @Test
    void should_keep_the_new_client_when_a_greedy_rebind_unbinds_the_old_one_after() throws Exception {
        OutboundHttp held = node.open("jwt").http();
        RecordingHttp old = new RecordingHttp("old");
        RecordingHttp better = new RecordingHttp("better");
        node.bindHttp(old);

        node.bindHttp(better);
        node.unbindHttp(old);

        assertEquals("better", body(held.send(JWKS)));
    }

    @Test
    void should_fail_the_stage_when_the_bound_client_throws_instead_of_answering() {
        node.bindHttp(request -> {
            throw new IllegalArgumentException("unsupported scheme");
        });

        Throwable failure = failureOf(node.open("jwt").http().send(JWKS));

        assertEquals("unsupported scheme", failure.getMessage());
    }

    // ---- shared state

    @Test
    void should_fail_shared_state_calls_clearly_and_peek_nothing_while_the_cluster_is_not_bound() {
        SharedState jwks = node.open("jwt").state("jwt.jwks");

        IllegalStateException e = assertInstanceOf(IllegalStateException.class, failureOf(jwks.get("issuer")));

        assertTrue(e.getMessage().contains("shared state 'jwt.jwks' is not available: gateway-cluster is not running"),
            e.getMessage());
        assertEquals(Optional.empty(), jwks.peek("issuer"));
        assertEquals("jwt.jwks", jwks.name());
        assertInstanceOf(IllegalStateException.class, failureOf(jwks.put("k", new byte[] {1}, Duration.ofMinutes(1))));
        assertInstanceOf(IllegalStateException.class, failureOf(jwks.putIfAbsent("k", new byte[] {1}, Duration.ofMinutes(1))));
        assertInstanceOf(IllegalStateException.class, failureOf(jwks.compareAndSet("k", new byte[0], new byte[] {1}, Duration.ofMinutes(1))));
        assertInstanceOf(IllegalStateException.class, failureOf(jwks.remove("k")));
        assertInstanceOf(IllegalStateException.class, failureOf(jwks.addAndGet("k", 1, Duration.ofMinutes(1))));
    }

    @Test
    void should_reach_the_space_of_the_states_service_bound_at_each_call() throws Exception {
        SharedState held = node.open("jwt").state("jwt.jwks");
        InMemoryStates cluster = new InMemoryStates();
        node.bindStates(cluster);

        held.put("issuer", bytes("keys-1"), Duration.ofMinutes(5)).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertEquals("keys-1", new String(held.get("issuer").toCompletableFuture().get(5, TimeUnit.SECONDS).orElseThrow(),
            StandardCharsets.UTF_8));
        assertEquals(Optional.of("keys-1"), held.peekString("issuer"));

        InMemoryStates restarted = new InMemoryStates(); // gateway-cluster updated: a new service
        node.bindStates(restarted);
        node.unbindStates(cluster);
        restarted.open("jwt.jwks").put("issuer", bytes("keys-2"), Duration.ofMinutes(5));

        assertEquals(Optional.of("keys-2"), held.peekString("issuer"), "opened again from the new service");
        assertEquals(List.of("jwt.jwks"), cluster.opened);
        assertEquals(List.of("jwt.jwks", "jwt.jwks"), restarted.opened, "the test's own open, then the context's");
    }

    @Test
    void should_hand_out_one_space_per_name_to_every_factory() {
        PolicyContext jwt = node.open("jwt");
        PolicyContext other = node.open("jwt");

        assertSame(jwt.state("jwt.jwks"), other.state("jwt.jwks"));
        assertNotSame(jwt.state("jwt.jwks"), jwt.state("introspection"));
        assertSame(jwt.http(), other.http());
        assertNotSame(jwt.scheduler(), other.scheduler(), "timers are per factory");
        assertSame(jwt.scheduler(), jwt.scheduler());
    }

    @Test
    void should_refuse_a_shared_state_without_a_name() {
        PolicyContext context = node.open("jwt");

        assertThrows(IllegalArgumentException.class, () -> context.state(" "));
        assertThrows(IllegalArgumentException.class, () -> context.state(null));
    }

    // ---- clock, node, consumers, timers

    @Test
    void should_answer_the_engine_clock_and_node_name() {
        PolicyContext context = node.open("jwt");

        assertSame(CLOCK, context.clock());
        assertEquals("node-a", context.nodeName());
    }

    @Test
    void should_answer_consumers_from_the_newest_table_also_through_a_view_taken_before() {
        Consumers held = node.open("api-key").consumers();
        assertEquals(Optional.empty(), held.byKey("k-123"));

        ApiConsumer alice = new ApiConsumer("alice", Set.of("partners"), "k1");
        newest.set(new OneConsumer(alice, "k-123")); // a revision with alice published
        assertEquals(Optional.of(alice), held.byKey("k-123"));
        assertEquals(Optional.of(alice), held.byId("alice"));
        assertEquals(1, held.size());

        newest.set(RouteTable.NO_CONSUMERS); // alice revoked by the next apply
        assertEquals(Optional.empty(), held.byKey("k-123"));
        assertEquals(0, held.size());
    }

    @Test
    void should_cancel_the_timers_of_a_closed_context_only() {
        FactoryContext old = node.open("jwt");
        FactoryContext other = node.open("cors");
        var mine = old.scheduler().every(Duration.ofHours(1), () -> { });
        var theirs = other.scheduler().every(Duration.ofHours(1), () -> { });

        old.close();

        assertTrue(mine.isCancelled());
        assertFalse(theirs.isCancelled());
        assertEquals(0, old.pendingTimers());
        assertEquals(1, other.pendingTimers());
    }

    @Test
    void should_run_timers_on_named_daemon_threads() throws Exception {
        CompletableFuture<Thread> ran = new CompletableFuture<>();
        node.open("jwt").scheduler().schedule(() -> ran.complete(Thread.currentThread()), Duration.ZERO);

        Thread t = ran.get(5, TimeUnit.SECONDS);

        assertTrue(t.getName().startsWith("meridian-policy-timer-"), t.getName());
        assertTrue(t.isDaemon());
    }

    // ---- helpers

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Throwable failureOf(CompletionStage<?> stage) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> stage.toCompletableFuture().get(5, TimeUnit.SECONDS));
        return e.getCause();
    }

    private static String body(CompletionStage<OutboundResponse> stage) throws Exception {
        return stage.toCompletableFuture().get(5, TimeUnit.SECONDS).text();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** An HTTP client that answers 200 with its own name, counting what it was sent. */
    private static final class RecordingHttp implements OutboundHttp {
        final String name;
        final AtomicInteger sent = new AtomicInteger();

        RecordingHttp(String name) {
            this.name = name;
        }

        @Override
        public CompletionStage<OutboundResponse> send(OutboundRequest request) {
            sent.incrementAndGet();
            return CompletableFuture.completedFuture(new OutboundResponse(200, Map.of(), bytes(name)));
        }
    }

    /** One node's stand-in for gateway-cluster's port: a map per space, no TTL (not what is tested here). */
    private static final class InMemoryStates implements SharedStates {
        final List<String> opened = new ArrayList<>();
        private final Map<String, SharedState> spaces = new ConcurrentHashMap<>();

        @Override
        public synchronized SharedState open(String name) {
            opened.add(name);
            return spaces.computeIfAbsent(name, Space::new);
        }

        private record Space(String name, Map<String, byte[]> values) implements SharedState {
            Space(String name) {
                this(name, new ConcurrentHashMap<>());
            }

            @Override
            public Optional<byte[]> peek(String key) {
                return Optional.ofNullable(values.get(key));
            }

            @Override
            public CompletionStage<Optional<byte[]>> get(String key) {
                return CompletableFuture.completedFuture(peek(key));
            }

            @Override
            public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
                values.put(key, value);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl) {
                return CompletableFuture.completedFuture(values.putIfAbsent(key, value) == null);
            }

            @Override
            public CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl) {
                throw new UnsupportedOperationException();
            }

            @Override
            public CompletionStage<Boolean> remove(String key) {
                return CompletableFuture.completedFuture(values.remove(key) != null);
            }

            @Override
            public CompletionStage<Long> addAndGet(String key, long delta, Duration ttl) {
                throw new UnsupportedOperationException();
            }
        }
    }

    /** The consumers of a revision with one consumer holding one key (the real index is the consumers helper's). */
    private record OneConsumer(ApiConsumer consumer, String key) implements Consumers {
        @Override
        public Optional<ApiConsumer> byKey(String presentedKey) {
            return key.equals(presentedKey) ? Optional.of(consumer) : Optional.empty();
        }

        @Override
        public Optional<ApiConsumer> byId(String id) {
            return consumer.id().equals(id) ? Optional.of(consumer) : Optional.empty();
        }

        @Override
        public int size() {
            return 1;
        }
    }
}
