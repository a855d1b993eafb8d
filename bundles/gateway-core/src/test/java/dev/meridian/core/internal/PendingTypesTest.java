package dev.meridian.core.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.meridian.core.GatewayEngine.TypeStatus;
import dev.meridian.core.PluginInfo;

class PendingTypesTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final Set<String> provided = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong fakeNanos = new AtomicLong(1_000_000_000L);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** On the fake clock: time moves only when the test says so. */
    private PendingTypes onFakeClock(Duration window) {
        return new PendingTypes(provided::contains, window, fakeNanos::get, timer);
    }

    private PendingTypes onRealClock(Duration window) {
        return new PendingTypes(provided::contains, window, System::nanoTime, timer);
    }

    @Test
    void should_be_absent_when_never_provided_nor_declared() {
        PendingTypes types = onFakeClock(Duration.ofSeconds(10));

        assertEquals(TypeStatus.ABSENT, types.status("typo"));
        assertEquals(List.of(), types.plugins());
    }

    @Test
    void should_complete_a_wait_at_once_when_no_type_is_pending() throws Exception {
        PendingTypes types = onRealClock(Duration.ofSeconds(10));
        provided.add("limit");

        CompletableFuture<Set<String>> wait = types.await(List.of("limit", "typo"), Duration.ofSeconds(10));

        assertTrue(wait.isDone(), "a typo and a provided type cost no wait");
        assertEquals(Set.of("typo"), wait.get());
    }

    @Test
    void should_be_provided_while_a_factory_is_registered_whatever_changed() {
        PendingTypes types = onFakeClock(Duration.ofSeconds(10));
        provided.add("limit");

        types.changed("limit", "b", "1");

        assertEquals(TypeStatus.PROVIDED, types.status("limit"));
        assertEquals(List.of(), types.plugins());
    }

    @Test
    void should_be_pending_after_its_factory_went_away_and_absent_after_the_wait_bound() {
        PendingTypes types = onFakeClock(Duration.ofSeconds(10));

        types.changed("limit", "dev.example.limit", "1.2.0");

        assertEquals(TypeStatus.PENDING, types.status("limit"));
        assertEquals(List.of(new PluginInfo("limit", "dev.example.limit", "1.2.0", false)), types.plugins());
        fakeNanos.addAndGet(TimeUnit.SECONDS.toNanos(9));
        assertEquals(TypeStatus.PENDING, types.status("limit"));
        fakeNanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(TypeStatus.ABSENT, types.status("limit"));
        assertEquals(List.of(), types.plugins());
    }

    @Test
    void should_extend_the_pending_time_on_every_change() {
        PendingTypes types = onFakeClock(Duration.ofSeconds(10));
        types.changed("limit", "b", "1");
        fakeNanos.addAndGet(TimeUnit.SECONDS.toNanos(8));

        types.changed("limit", "b", "1"); // resolved, starting...
        fakeNanos.addAndGet(TimeUnit.SECONDS.toNanos(8));

        assertEquals(TypeStatus.PENDING, types.status("limit"));
    }

    @Test
    void should_be_absent_at_once_when_withdrawn() {
        PendingTypes types = onFakeClock(Duration.ofSeconds(10));
        types.changed("limit", "b", "1");

        types.withdrawn("limit");

        assertEquals(TypeStatus.ABSENT, types.status("limit"));
    }

    @Test
    void should_complete_a_wait_when_the_type_comes_back() throws Exception {
        PendingTypes types = onRealClock(Duration.ofSeconds(30));
        types.changed("limit", "b", "1");
        CompletableFuture<Set<String>> wait = types.await(List.of("limit"), Duration.ofSeconds(30));
        assertFalse(wait.isDone());

        provided.add("limit");
        types.providersChanged();

        assertEquals(Set.of(), wait.get(1, TimeUnit.SECONDS));
    }

    @Test
    void should_wait_for_every_pending_type_of_a_wait() throws Exception {
        PendingTypes types = onRealClock(Duration.ofSeconds(30));
        types.changed("a", "b", "1");
        types.changed("c", "d", "1");
        CompletableFuture<Set<String>> wait = types.await(List.of("a", "c"), Duration.ofSeconds(30));

        provided.add("a");
        types.providersChanged();
        assertFalse(wait.isDone(), "c is still on its way");
        provided.add("c");
        types.providersChanged();

        assertEquals(Set.of(), wait.get(1, TimeUnit.SECONDS));
    }

    @Test
    void should_complete_a_wait_at_its_deadline_with_the_type_still_missing() throws Exception {
        PendingTypes types = onRealClock(Duration.ofSeconds(30));
        types.changed("limit", "b", "1");
        long start = System.nanoTime();

        Set<String> missing = types.await(List.of("limit"), Duration.ofMillis(300)).get(5, TimeUnit.SECONDS);

        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(Set.of("limit"), missing);
        assertTrue(tookMs >= 290 && tookMs < 3000, "waited " + tookMs + " ms");
        assertEquals(TypeStatus.PENDING, types.status("limit"), "the caller's deadline is not the type's");
    }

    @Test
    void should_complete_a_wait_when_the_type_turns_absent_before_the_deadline() throws Exception {
        PendingTypes types = onRealClock(Duration.ofMillis(300));
        types.changed("limit", "b", "1");
        long start = System.nanoTime();

        Set<String> missing = types.await(List.of("limit"), Duration.ofSeconds(30)).get(5, TimeUnit.SECONDS);

        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(Set.of("limit"), missing);
        assertTrue(tookMs < 3000, "waited " + tookMs + " ms");
        assertEquals(TypeStatus.ABSENT, types.status("limit"));
    }

    @Test
    void should_complete_a_wait_when_the_type_is_withdrawn() throws Exception {
        PendingTypes types = onRealClock(Duration.ofSeconds(30));
        types.changed("limit", "b", "1");
        CompletableFuture<Set<String>> wait = types.await(List.of("limit"), Duration.ofSeconds(30));

        types.withdrawn("limit");

        assertEquals(Set.of("limit"), wait.get(1, TimeUnit.SECONDS));
    }

    @Test
    void should_wake_several_waiters_with_different_deadlines() {
        PendingTypes types = onRealClock(Duration.ofSeconds(30));
        types.changed("limit", "b", "1");

        CompletableFuture<Set<String>> late = types.await(List.of("limit"), Duration.ofMillis(900));
        CompletableFuture<Set<String>> early = types.await(List.of("limit"), Duration.ofMillis(200));

        await().atMost(WAIT).until(early::isDone);
        assertFalse(late.isDone());
        await().atMost(WAIT).until(late::isDone);
    }

    @Test
    void should_complete_waiters_when_closed() throws Exception {
        PendingTypes types = onRealClock(Duration.ofSeconds(30));
        types.changed("limit", "b", "1");
        CompletableFuture<Set<String>> wait = types.await(List.of("limit"), Duration.ofSeconds(30));

        types.close();

        assertEquals(Set.of("limit"), wait.get(1, TimeUnit.SECONDS));
        assertTrue(types.await(List.of("limit"), Duration.ofSeconds(30)).isDone());
    }
}
